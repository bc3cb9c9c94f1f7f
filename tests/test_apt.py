"""Installing the driven tools with apt: the backports source comes from the system's mirror."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import GOBINOPT
from gobinopt import apt

DEB822 = """Types: deb
URIs: http://mirror.invalid/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.invalid/debian-security
Suites: bookworm-security
Components: main
"""


def _apt_root(tmp_path: Path, **files: str) -> Path:
    root = tmp_path / "apt"
    (root / "sources.list.d").mkdir(parents=True)
    for name, text in files.items():
        (root / name.replace("__", "/")).write_text(text)
    return root


def test_backports_source_uses_the_mirror_of_a_deb822_system(tmp_path: Path) -> None:
    """On a stock Debian 12 (deb822 sources, no backports) upx brings a backports line from the
    same mirror and installs upx-ucl from that suite."""
    root = _apt_root(tmp_path, **{"sources.list.d__debian.sources": DEB822})
    p = apt.plan(["upx"], release="bookworm", apt_root=root, present=lambda t: False)
    assert p.backports_source == "deb http://mirror.invalid/debian bookworm-backports main"
    assert p.backports_packages == ("upx-ucl",)
    assert p.commands[-1] == (
        "apt-get",
        "install",
        "-y",
        "-qq",
        "-t",
        "bookworm-backports",
        "upx-ucl",
    )


def test_backports_source_from_one_line_sources(tmp_path: Path) -> None:
    """A classic sources.list gives the mirror of its `deb URI bookworm main` line."""
    root = _apt_root(
        tmp_path,
        **{"sources.list": "# comment\ndeb [arch=amd64] http://m.invalid/d bookworm main\n"},
    )
    p = apt.plan(["upx", "gcc"], release="bookworm", apt_root=root, present=lambda t: False)
    assert p.backports_source == "deb http://m.invalid/d bookworm-backports main"
    assert p.packages == ("gcc",)


def test_listed_backports_are_not_added_twice(tmp_path: Path) -> None:
    """When a source already lists bookworm-backports nothing is added."""
    root = _apt_root(
        tmp_path,
        **{
            "sources.list.d__debian.sources": DEB822,
            "sources.list.d__bp.list": "deb http://mirror.invalid/debian bookworm-backports main\n",
        },
    )
    p = apt.plan(["upx"], release="bookworm", apt_root=root, present=lambda t: False)
    assert p.backports_source == ""


def test_present_tools_need_nothing(tmp_path: Path) -> None:
    """Tools already on PATH produce an empty plan (no apt-get update at all)."""
    p = apt.plan(["strip", "upx"], release="bookworm", apt_root=tmp_path, present=lambda t: True)
    assert p.tools == () and p.commands == ()


def test_unknown_tool_is_a_clear_error() -> None:
    """A tool apt cannot bring (go comes from PyPI) is refused with the list of installable ones."""
    with pytest.raises(apt.AptError, match="cannot install go"):
        apt.plan(["go"], release="bookworm", present=lambda t: False)


def test_install_hint_for_upx_is_a_command_that_works_as_printed() -> None:
    """upx's hint is gobinopt's own installer, which adds the backports suite itself."""
    from gobinopt.tools import INSTALL_HINTS

    assert INSTALL_HINTS["upx"].startswith("gobinopt doctor --install upx")


def test_doctor_install_dry_run_prints_the_apt_commands() -> None:
    """`doctor --install --dry-run` prints what it would run and exits 0."""
    res = subprocess.run(
        [*GOBINOPT, "doctor", "--install", "--dry-run", "upx"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    if shutil.which("upx"):
        assert "nothing to install" in res.stdout
    else:
        assert "upx-ucl" in res.stdout


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root")
def test_install_as_non_root_is_exit_5_or_skipped_with_best_effort(tmp_path: Path) -> None:
    """Without root `--install` of a missing tool exits 5 naming sudo; `--best-effort` says what
    it skipped and exits 0."""
    # World-readable (pytest's tmp_path is private to root; the child runs as nobody).
    empty = Path(tempfile.mkdtemp(prefix="gobinopt-path-"))
    empty.chmod(0o755)
    # A PATH holding only apt-get: every tool it could install is missing there (gobinopt
    # itself runs by absolute path).
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        pytest.skip("not a Debian system: no apt-get")
    (empty / "apt-get").symlink_to(apt_get)
    env = dict(os.environ, PATH=str(empty), HOME=str(tmp_path))
    setpriv = shutil.which("setpriv")
    assert setpriv is not None
    base = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *GOBINOPT, "doctor"]
    tool = "hyperfine"
    try:
        strict = subprocess.run(
            [*base, "--install", tool], capture_output=True, text=True, env=env, check=False
        )
        soft = subprocess.run(
            [*base, "--install", "--best-effort", tool],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    finally:
        shutil.rmtree(empty, ignore_errors=True)
    assert strict.returncode == 5, strict.stderr
    assert "needs root" in strict.stderr and strict.stderr.count("\n") == 1
    assert soft.returncode == 0, soft.stderr
    assert f"skipped installing {tool}" in soft.stderr

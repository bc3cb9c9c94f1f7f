"""gobinopt's cache directory: sizes by kind as `du` counts them, cleaning by kind and by age,
never through a symbolic link, and through read-only directories such as Go's module cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import run_gobinopt
from gobinopt.cache import KINDS, cache_dir, clean, info, parse_age
from gobinopt.errors import ExitStatus, GobinoptError

DAY = 86400.0


def du(path: Path) -> int:
    """Disk usage of ``path`` in bytes according to GNU du."""
    res = subprocess.run(["du", "-s", "-B1", str(path)], capture_output=True, text=True, check=True)
    return int(res.stdout.split()[0])


def write(path: Path, size: int, age_days: float = 0.0) -> Path:
    """A file of ``size`` bytes whose modification time is ``age_days`` ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    when = time.time() - age_days * DAY
    os.utime(path, (when, when))
    return path


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary GOBINOPT_CACHE with real files of every kind: old (30 days) and new ones."""
    root = tmp_path / "cache"
    monkeypatch.setenv("GOBINOPT_CACHE", str(root))
    write(root / "artifacts" / "aaaa" / "base", 300_000, age_days=30)
    write(root / "artifacts" / "aaaa" / "aaaa-1.bin", 200_000, age_days=30)
    write(root / "artifacts" / "bbbb" / "base", 100_000)
    write(root / "gocache" / "README", 100, age_days=30)
    write(root / "gocache" / "0a" / "0a11-a", 5_000, age_days=30)
    write(root / "gocache" / "0a" / "0a22-d", 70_000)
    write(root / "gocache" / "ff" / "ff33-d", 9_000, age_days=30)
    write(root / "toolchains" / "1.22.10" / "go" / "bin" / "go", 150_000, age_days=30)
    write(root / "toolchains" / "1.22.10" / "go" / "VERSION", 20, age_days=30)
    write(root / "example" / "example-0123456789ab", 80_000)
    write(root / "launcher" / "2d57781f" / "launcher", 60_000, age_days=30)
    write(root / "stray.sqlite", 4_000, age_days=30)
    yield root


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """$GOBINOPT_CACHE wins, then $XDG_CACHE_HOME/gobinopt, then ~/.cache/gobinopt."""
    monkeypatch.setenv("GOBINOPT_CACHE", "/somewhere/else")
    assert cache_dir() == Path("/somewhere/else")
    monkeypatch.delenv("GOBINOPT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert cache_dir() == Path("/xdg/gobinopt")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path(os.path.expanduser("~/.cache/gobinopt"))


def test_info_sizes_each_kind_as_du_does(cache: Path) -> None:
    """Each kind's size equals `du -s -B1` of its directory; unknown entries are "other"; the
    total equals `du` of the whole cache minus its own directory entry."""
    result = info()
    kinds = {k.kind: k for k in result.kinds}
    assert tuple(kinds) == KINDS and result.exists and result.root == cache
    for kind in KINDS[:-1]:
        assert kinds[kind].bytes == du(cache / kind), kind
    assert kinds["other"].bytes == du(cache / "stray.sqlite")
    assert kinds["artifacts"].entries == 2 and kinds["artifacts"].files == 3
    assert kinds["gocache"].entries == 4 and kinds["toolchains"].entries == 1
    assert result.bytes == du(cache) - du_dir_itself(cache)


def du_dir_itself(path: Path) -> int:
    """The blocks of the directory entry itself (du counts it, the kinds do not)."""
    return path.stat().st_blocks * 512


def test_clean_older_than_keeps_what_was_used_recently(cache: Path) -> None:
    """--older-than removes the entries whose newest file is older than the age, keeps the
    rest, and reports exactly the disk usage it freed."""
    before = du(cache)
    result = clean(older_than_s=7 * DAY)
    assert not (cache / "artifacts" / "aaaa").exists() and (cache / "artifacts" / "bbbb").exists()
    assert not (cache / "gocache" / "0a" / "0a11-a").exists()
    assert (cache / "gocache" / "0a" / "0a22-d").exists()
    assert not (cache / "toolchains" / "1.22.10").exists()
    assert not (cache / "launcher" / "2d57781f").exists() and not (cache / "stray.sqlite").exists()
    assert (cache / "example" / "example-0123456789ab").exists()
    assert result.kept == 3  # bbbb, 0a22-d, the example
    assert result.bytes == before - du(cache)
    freed = {k.kind: k for k in result.freed}
    assert freed["gocache"].entries == 3 and freed["example"].entries == 0


def test_clean_by_kind_removes_only_that_kind(cache: Path) -> None:
    """`clean gocache` removes the whole Go build cache and nothing else."""
    others = {k: du(cache / k) for k in ("artifacts", "toolchains", "example", "launcher")}
    gocache = du(cache / "gocache")
    result = clean(["gocache"])
    assert not (cache / "gocache").exists() and result.bytes == gocache
    assert {k: du(cache / k) for k in others} == others


def test_dry_run_removes_nothing(cache: Path) -> None:
    """--dry-run reports what would be freed and leaves every file in place."""
    before = du(cache)
    result = clean(dry_run=True)
    assert result.dry_run and result.bytes == before - du_dir_itself(cache)
    assert du(cache) == before


def test_clean_never_follows_symlinks_out_of_the_cache(cache: Path, tmp_path: Path) -> None:
    """A link inside the cache (to a file, a directory, or in place of a kind's directory) is
    removed as a link: what it points to stays whole."""
    outside = tmp_path / "precious"
    write(outside / "keep.bin", 50_000, age_days=30)
    write(outside / "nested" / "keep2.bin", 10_000, age_days=30)
    (cache / "artifacts" / "cccc").symlink_to(outside)
    (cache / "gocache" / "0a" / "link-d").symlink_to(outside / "keep.bin")
    shutil.rmtree(cache / "launcher")
    (cache / "launcher").symlink_to(outside / "nested")
    usage = {k.kind: k.bytes for k in info().kinds}
    assert usage["launcher"] < 10_000  # the link itself, not what it points to
    clean()
    assert (outside / "keep.bin").stat().st_size == 50_000
    assert (outside / "nested" / "keep2.bin").stat().st_size == 10_000
    assert not os.path.lexists(cache / "launcher") and not os.path.lexists(cache / "artifacts")


def test_clean_copes_with_read_only_directories(tmp_path: Path) -> None:
    """Read-only files in read-only directories (as Go leaves its module cache) are removed by
    their owner without root's privileges."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv not found — install with apt-get install util-linux")
    nobody = 65534
    base = Path(tempfile.mkdtemp(prefix="gobinopt-cache-test-", dir="/tmp"))
    try:
        root = base / "cache"
        mod = root / "gocache" / "mod" / "example.com" / "lib@v1.0.0"
        write(mod / "lib.go", 3_000, age_days=30)
        write(root / "gocache" / "0b" / "0b44-d", 2_000, age_days=30)
        for p in [base, *base.rglob("*")]:
            os.chown(p, nobody, nobody, follow_symlinks=False)
        base.chmod(0o755)
        for p in sorted(root.rglob("*"), reverse=True):
            p.chmod(0o555 if p.is_dir() else 0o444)
        code = (
            "from gobinopt.cache import clean; r = clean(['gocache']); "
            "print(r.bytes, r.freed[0].entries)"
        )
        command = [setpriv, f"--reuid={nobody}", f"--regid={nobody}", "--clear-groups"]
        if os.geteuid() != 0:
            command = []
        res = subprocess.run(
            [*command, sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=dict(os.environ, GOBINOPT_CACHE=str(root)),
            timeout=120,
            check=False,
        )
        assert res.returncode == 0, res.stderr
        assert int(res.stdout.split()[1]) == 2
        assert not (root / "gocache").exists()
    finally:
        for p in [base, *base.rglob("*")]:
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)
        shutil.rmtree(base)


def test_parse_age_units() -> None:
    """Ages are a number and one of s, m, h, d, w; anything else is a usage error."""
    assert [parse_age(a) for a in ("90s", "30m", "12h", "7d", "2w", "1.5d")] == [
        90,
        1800,
        43200,
        7 * DAY,
        14 * DAY,
        1.5 * DAY,
    ]
    for bad in ("7", "d", "7 days", "-1d", "7y"):
        with pytest.raises(GobinoptError) as err:
            parse_age(bad)
        assert err.value.status == ExitStatus.USAGE


def test_cli_shows_and_cleans_the_cache(cache: Path) -> None:
    """`gobinopt cache` lists every kind with its size; `cache clean KIND --older-than` says
    what it freed; unknown kinds and ages are usage errors (exit 2) in one line."""
    env = dict(os.environ, GOBINOPT_CACHE=str(cache))
    shown = run_gobinopt("cache", env=env)
    assert shown.returncode == 0, shown.stderr
    assert str(cache) in shown.stdout
    for kind in KINDS:
        assert kind in shown.stdout, kind
    as_json = json.loads(run_gobinopt("cache", "info", "--json", env=env).stdout)
    assert as_json["root"] == str(cache)
    artifacts = du(cache / "artifacts")
    assert [k["bytes"] for k in as_json["kinds"] if k["kind"] == "artifacts"] == [artifacts]
    freed = run_gobinopt("cache", "clean", "artifacts", "--older-than", "7d", "--json", env=env)
    assert freed.returncode == 0, freed.stderr
    doc = json.loads(freed.stdout)
    assert doc["bytes"] == artifacts - du(cache / "artifacts") and doc["kept"] == 1
    said = run_gobinopt("cache", "clean", "launcher", env=env)
    assert said.returncode == 0 and said.stdout.startswith("freed ") and "launcher" in said.stdout
    for args in (["clean", "bogus"], ["clean", "--older-than", "soon"]):
        res = run_gobinopt("cache", *args, env=env)
        assert res.returncode == ExitStatus.USAGE and res.stderr.count("\n") == 1, res.stderr

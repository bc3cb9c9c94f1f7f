"""The environments seam: where `go build` runs, and what that place is (its fingerprint)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class BuildResult:
    """Outcome of one `go build`: the artifact, or the compiler's message."""

    ok: bool
    path: str
    seconds: float
    message: str = ""
    #: `go build` was stopped by Ctrl-C or a kill, so its failure is not the program's.
    interrupted: bool = False


class BuildEnvironment(Protocol):
    """A place that can build Go programs and describe itself."""

    name: str
    kind: str

    def fingerprint(self, go: str) -> dict[str, str]:
        """OS and distro, kernel, libc family and version, linker, Go version and env, WSL."""
        ...

    def build(
        self,
        go: str,
        directory: str,
        package: str,
        args: list[str],
        cgo: bool,
        out: str,
        gocache: str,
    ) -> BuildResult:
        """Run `go build` and return where the artifact is, or why it failed."""
        ...

    def missing_tool(self, cgo: bool) -> str | None:
        """The tool this environment lacks for such a build, or None when it can build."""
        ...

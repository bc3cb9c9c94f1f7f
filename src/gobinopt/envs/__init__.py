"""Build environments: where `go build` runs and where its artifacts run (see
:mod:`gobinopt.envs.interface` for the protocol, :mod:`gobinopt.envs.registry` for the kinds).

The registry (and the backends it imports) loads on first use, so that importing a small piece
of this package (the CLI's image recipe names) stays cheap on the `--help` path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gobinopt.envs.interface import BuildCommand, BuildEnvironment, BuildResult, RunResult

if TYPE_CHECKING:
    from gobinopt.envs.registry import Unsupported, backend_for

__all__ = [
    "BuildCommand",
    "BuildEnvironment",
    "BuildResult",
    "RunResult",
    "Unsupported",
    "backend_for",
]


def __getattr__(name: str) -> Any:
    if name in ("Unsupported", "backend_for"):
        from gobinopt.envs import registry

        return getattr(registry, name)
    raise AttributeError(f"module 'gobinopt.envs' has no attribute {name!r}")

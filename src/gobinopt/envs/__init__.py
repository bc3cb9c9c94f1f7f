"""Build environments: where `go build` runs and where its artifacts run (see
:mod:`gobinopt.envs.interface` for the protocol, :mod:`gobinopt.envs.registry` for the kinds)."""

from gobinopt.envs.interface import BuildCommand, BuildEnvironment, BuildResult, RunResult
from gobinopt.envs.registry import Unsupported, backend_for

__all__ = [
    "BuildCommand",
    "BuildEnvironment",
    "BuildResult",
    "RunResult",
    "Unsupported",
    "backend_for",
]

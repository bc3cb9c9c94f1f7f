"""The matrix seam: a matrix file's model, and the variants it expands into.

A *build spec* is everything `go build` sees (environment, toolchain, CGO_ENABLED, -buildmode,
-ldflags, -trimpath); a *variant* is a build spec plus an ordered post-step pipeline. One build
serves every pipeline over the same spec.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from gobinopt.errors import ExitStatus, GobinoptError


class MatrixError(GobinoptError):
    """A matrix file is malformed: the message names the file, the key and what is allowed."""

    status = ExitStatus.BAD_INPUT


#: Environment kinds the model accepts; `docker` and `wsl` are run by a later backend.
ENV_KINDS = ("native", "musl", "docker", "wsl")
BUILDMODES = ("exe", "pie")
LDFLAG_SETS = ("", "-s", "-w", "-s -w")
STEP_KINDS = ("strip", "upx")


@dataclass(frozen=True, slots=True)
class Probe:
    """The command that proves a variant still works."""

    args: tuple[str, ...] = ("-version",)
    exit_code: int = 0
    #: A substring the probe's stdout must contain ("" = any output).
    output: str = ""
    timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class Program:
    """What to build: a directory or a package of the toolchain's own sources (`std:cmd/gofmt`)."""

    name: str
    #: Absolute directory of the main package, or "" for a std package.
    directory: str
    #: The package argument of `go build` ("." for a directory, "cmd/gofmt" for std).
    package: str
    probe: Probe


@dataclass(frozen=True, slots=True)
class LatencySettings:
    """The ``[latency]`` table: how each ok variant's start-up latency is measured."""

    warmup: int = 3
    min_runs: int = 10
    max_runs: int = 60
    #: Seconds spent at most per variant and mode (warm, cold).
    budget_s: float = 5.0
    cold: bool = True


@dataclass(frozen=True, slots=True)
class Environment:
    """A named place where builds run."""

    name: str
    kind: str
    #: Docker image or WSL distro, for the kinds that need one.
    image: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    """One post-build transform with its options (`strip --strip-all`, `upx --best --lzma`)."""

    kind: str
    args: tuple[str, ...]

    @property
    def label(self) -> str:
        """Human-readable form, e.g. ``upx --best --lzma``."""
        return " ".join((self.kind, *self.args))


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Post steps applied in order to a copy of the built artifact."""

    name: str
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class BuildSpec:
    """Everything that determines one `go build`."""

    environment: str
    toolchain: str
    cgo: bool
    buildmode: str
    ldflags: str
    trimpath: bool

    @property
    def id(self) -> str:
        """Stable short id of the spec (a hash of its fields)."""
        blob = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:10]

    def go_args(self) -> list[str]:
        """The `go build` flags for this spec (output and package excluded)."""
        args = [f"-buildmode={self.buildmode}"]
        if self.trimpath:
            args.append("-trimpath")
        if self.ldflags:
            args.append(f"-ldflags={self.ldflags}")
        return args

    def label(self) -> str:
        """Compact description: ``[host] go:host CGO_ENABLED=0 exe -ldflags="-s -w"``."""
        parts = [
            f"[{self.environment}]",
            f"go:{self.toolchain}",
            f"CGO_ENABLED={int(self.cgo)}",
            self.buildmode,
        ]
        if self.ldflags:
            parts.append(f'-ldflags="{self.ldflags}"')
        if self.trimpath:
            parts.append("-trimpath")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Variant:
    """A build spec and the pipeline applied to its artifact."""

    build: BuildSpec
    pipeline: Pipeline

    @property
    def id(self) -> str:
        """Stable id: the build spec's id and the pipeline's steps."""
        steps = json.dumps([[s.kind, *s.args] for s in self.pipeline.steps]).encode()
        return f"{self.build.id}-{hashlib.sha256(steps).hexdigest()[:6]}"

    def label(self) -> str:
        """The build label followed by the pipeline, e.g. ``… | strip → upx --best --lzma``."""
        steps = " → ".join(s.label for s in self.pipeline.steps) or "no post steps"
        return f"{self.build.label()} | {steps}"

    def fields(self) -> dict[str, Any]:
        """The axis values of this variant, keyed by their matrix-file names."""
        return {
            "environment": self.build.environment,
            "toolchain": self.build.toolchain,
            "CGO_ENABLED": int(self.build.cgo),
            "buildmode": self.build.buildmode,
            "ldflags": self.build.ldflags,
            "trimpath": self.build.trimpath,
            "post": self.pipeline.name,
        }


@dataclass(frozen=True, slots=True)
class Matrix:
    """A validated matrix file."""

    path: str
    program: Program
    environments: tuple[Environment, ...]
    toolchains: tuple[str, ...]
    cgo: tuple[bool, ...]
    buildmodes: tuple[str, ...]
    ldflags: tuple[str, ...]
    trimpath: tuple[bool, ...]
    pipelines: tuple[Pipeline, ...]
    include: tuple[dict[str, object], ...] = field(default=())
    exclude: tuple[dict[str, object], ...] = field(default=())
    #: None when the matrix has no ``[latency]`` table (start-up latency is not measured).
    latency: LatencySettings | None = None

    def environment(self, name: str) -> Environment:
        """The environment called ``name``."""
        return next(e for e in self.environments if e.name == name)

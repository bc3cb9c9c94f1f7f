"""The environments seam: where `go build` runs, how that build is spelled, where the built
artifact's post steps and probes run, and what that place is (its fingerprint).

The pipeline (:mod:`gobinopt.pipeline`) talks to a build environment only through
:class:`BuildEnvironment`, and gets one from :func:`gobinopt.envs.backend_for`, the registry
that owns the environment kinds (``native``, ``musl``, ``docker``, ``wsl``). A backend is
constructed from the matrix's :class:`~gobinopt.matrix.interface.Environment`
(``Backend(environment)``; the host backends also accept a bare name) and lives for one run:
the pipeline calls :meth:`BuildEnvironment.close` once when the run ends, also on Ctrl-C.

The protocol, method by method (all paths are paths on this machine):

``name``, ``kind``
    The matrix's environment name and kind (``"native"``, ``"musl"``, ``"docker"``, ``"wsl"``).

``fingerprint(go) -> dict[str, str]``
    What the place is, taken *inside* it: OS/distro, kernel, machine, libc family and version,
    linker, C compiler, Go version and GOOS/GOARCH/GOAMD64, ``strip`` and ``upx`` versions,
    WSL. Values are one line each ("" when unknown). It enters the store key of every variant
    built there, so it must be stable across runs and must change when a tool that shapes the
    artifact changes. ``go`` is the host's `go` (a backend with its own toolchain reports that).
    Called once per (environment, toolchain) and run; may be slow (a container start).

``command(go, spec, directory, package, out) -> BuildCommand``
    The exact `go build` of ``spec``: the variables it sets, the argv (``argv[0]`` is ``go``)
    and the working directory. ``directory`` is the program's source directory ("" for a
    package of the toolchain's own sources, ``std:cmd/gofmt``), ``package`` the `go build`
    package argument, ``out`` the artifact's path. The same value is executed by ``build`` and
    printed by :meth:`BuildCommand.shell`, so the printed command is the one that ran. Pure:
    no process is started. The variables come from :mod:`gobinopt.envs.gobuild` (the hermetic
    invocation is written once there; a backend never spells GOTOOLCHAIN itself).

``build(command, gocache) -> BuildResult``
    Run ``command`` and leave the artifact at its ``-o`` path on this machine (a container
    backend writes it through a mount owned by the calling user). ``gocache`` is the host's
    private GOCACHE; a backend with its own cache (a volume per image) may ignore it. Never
    raises for a failing build: ``ok=False`` with the tool's last lines in ``message``;
    ``interrupted=True`` when Ctrl-C or a kill stopped it (the outcome is unknown, not broken).

``missing_tool(cgo) -> str | None``
    The one thing this place lacks for such a build, as a tool name (``"musl-gcc"``: the
    pipeline reports ``skipped: musl-gcc not found — install with …``) or as a whole line
    starting with ``"skipped: "`` (``"skipped: docker daemon not reachable — start it with
    …"``), reported as it is. None when it can build.

``extra_ldflags(cgo) -> tuple[str, ...]``
    Linker arguments this place adds to every build's ``-ldflags`` (musl's static link).

``run(argv, *, cwd, env=None, timeout) -> RunResult``
    Run one command *where the artifact runs*: the post steps (``strip``, ``upx`` — this
    place's own, the ones whose versions are in its fingerprint) and the smoke probes. Every
    path in ``argv`` and ``cwd`` lies inside the directory of the ``out`` of a build this
    backend made (the build's output directory); a backend that runs elsewhere maps them.
    ``argv[0]`` is a bare tool name looked up on the place's PATH, or such a path (the
    artifact). ``env``: variables set *on top of* the place's own environment (None: none).
    ``timeout`` in seconds. It is post-build work: a backend runs it at lower CPU priority
    where it can, so that the builds running alongside are not slowed down. Never raises for
    the command's own failure:

    * ``returncode`` is the exit status (negative: killed by that signal, as
      :mod:`subprocess` reports it), None when the timeout expired (the command was killed);
    * a command that cannot be found gives 127 with ``<name>: not found`` in ``stderr`` (how
      a post step's missing tool is recognised), one that cannot be executed 126 with the
      reason in ``stderr`` (as a shell does);
    * ``interrupted`` is True when Ctrl-C or a kill of the run stopped it
      (:func:`gobinopt.tools.interrupted` of the status, or the backend's own knowledge).

``close()``
    Release what the backend holds for the run (containers, connections); idempotent.

Latency (:mod:`gobinopt.probe.latency`) is measured on this machine with its C launcher,
whatever the environment: a backend whose artifacts cannot run here gets a latency error.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
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

    @classmethod
    def from_exit(
        cls,
        out: str,
        seconds: float,
        returncode: int | None,
        output: str,
        *,
        interrupted: bool = False,
    ) -> BuildResult:
        """The result of a `go build` that ended with ``returncode`` (None: timed out) and
        printed ``output``: the artifact, or the last lines of the compiler's message."""
        if interrupted:
            return cls(False, out, seconds, "go build interrupted", interrupted=True)
        if returncode is None:
            return cls(False, out, seconds, "go build timed out")
        if returncode != 0:
            text = output.strip().splitlines()
            return cls(False, out, seconds, " / ".join(text[-6:]) or "go build failed")
        return cls(True, out, seconds)


@dataclass(frozen=True, slots=True)
class RunResult:
    """Outcome of one command run by :meth:`BuildEnvironment.run`."""

    #: Exit status (negative: the signal that killed it); None when the timeout expired.
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    #: Stopped by Ctrl-C or a kill of the run: the outcome says nothing about the command.
    interrupted: bool = False

    @property
    def timed_out(self) -> bool:
        """The command was killed because its timeout expired."""
        return self.returncode is None


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

    @property
    def out(self) -> str:
        """The artifact's path (the value of ``-o``)."""
        return self.argv[self.argv.index("-o") + 1]

    def shell(self, go: str = "go", toolchain: str = "") -> str:
        """One line to paste into a shell: ``VAR=value … go build …``, quoted with shlex.

        ``go`` replaces the path of the `go` binary (which is private to this machine);
        ``toolchain`` (``go1.22.10``) adds ``GOTOOLCHAIN=…`` so any Go 1.21+ fetches it."""
        assigns = [f"{k}={shlex.quote(v)}" for k, v in self.env]
        if toolchain:
            assigns.insert(0, f"GOTOOLCHAIN={toolchain}")
        return " ".join([*assigns, shlex.join([go, *self.argv[1:]])])


class BuildEnvironment(Protocol):
    """A place that builds Go programs, runs their artifacts, spells its builds and describes
    itself (see the module docstring for the contract of each member)."""

    name: str
    kind: str

    def fingerprint(self, go: str) -> dict[str, str]:
        """OS and distro, kernel, libc family and version, linker, C compiler, Go version and
        env, strip and upx versions, WSL — taken inside the place."""
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
        """The tool (or a ``skipped: …`` line) this place lacks for such a build, or None."""
        ...

    def extra_ldflags(self, cgo: bool) -> tuple[str, ...]:
        """Linker arguments this place adds to every build."""
        ...

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str] | None = None,
        timeout: float,
    ) -> RunResult:
        """Run ``argv`` where the artifact runs (post steps, probes)."""
        ...

    def close(self) -> None:
        """Release what the backend holds for the run; idempotent."""
        ...

"""The host itself (`native`): builds with the host's `go` and C toolchain, runs post steps and
probes as local processes, and fingerprints the host (WSL 1 or 2 included)."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from gobinopt.envs.gobuild import go_build_argv, goflags, hermetic_env
from gobinopt.envs.interface import BuildCommand, BuildResult, RunResult
from gobinopt.tools import interrupted, which

if TYPE_CHECKING:
    from gobinopt.matrix.interface import BuildSpec, Environment

#: Seconds one `go build` may take.
BUILD_TIMEOUT_S = 1800.0
#: Niceness of post steps and probes: they must not slow down the builds running alongside.
POST_NICENESS = 10


def first_line(argv: list[str], env: Mapping[str, str] | None = None) -> str:
    """The first line a command prints (stdout, else stderr), "" when it cannot run."""
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = (res.stdout or res.stderr).strip().splitlines()
    return lines[0].strip() if lines else ""


def _os_release() -> str:
    try:
        with open("/etc/os-release", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.system()


def in_wsl() -> bool:
    """Whether this Linux runs inside WSL (its kernel says Microsoft, or WSL set its variable)."""
    if os.environ.get("WSL_DISTRO_NAME"):
        return True
    try:
        with open("/proc/version", encoding="utf-8") as fh:
            return "microsoft" in fh.read().lower()
    except OSError:
        return False


def wsl_field() -> str:
    """The fingerprint's ``wsl``: "2" or "1" inside WSL 2 or 1, "false" elsewhere.

    The version comes from :func:`gobinopt.envs.wsl.wsl_version` (kernel release, then
    WSL_DISTRO_NAME and the binfmt_misc interop entry); "true" when only :func:`in_wsl` can
    tell (WSL, version unknown)."""
    try:
        from gobinopt.envs.wsl import wsl_version
    except ImportError:
        return str(in_wsl()).lower()
    version = wsl_version(platform.release(), os.environ, "/proc/sys/fs/binfmt_misc")
    if version is not None:
        return str(version)
    return "true" if in_wsl() else "false"


def _preexec_lower_priority() -> None:
    os.nice(POST_NICENESS)


class NativeEnvironment:
    """Builds on the host with the host's C toolchain; runs artifacts as local processes."""

    kind = "native"

    def __init__(self, environment: Environment | str) -> None:
        self.name = environment if isinstance(environment, str) else environment.name

    def cc(self) -> str | None:
        """The C compiler cgo builds use here (None: Go's default `gcc`/`cc`)."""
        return None

    def missing_tool(self, cgo: bool) -> str | None:
        """`gcc` is needed for cgo builds on the host."""
        if cgo and which("gcc") is None and which("cc") is None:
            return "gcc"
        return None

    def extra_ldflags(self, cgo: bool) -> tuple[str, ...]:
        """Linker arguments this environment adds (none on the host)."""
        return ()

    def command(
        self,
        go: str,
        spec: BuildSpec,
        directory: str,
        package: str,
        out: str,
        base_env: Mapping[str, str] | None = None,
    ) -> BuildCommand:
        """``CGO_ENABLED=… [CC=…] GOFLAGS=… [GOARCH=…] [GOAMD64=…] [ENV…] go build FLAGS -o
        OUT PACKAGE`` in ``directory`` (GOROOT/src for std packages).

        GOFLAGS is ``-buildvcs=false`` followed by the matrix's ``[env]`` GOFLAGS when it sets
        one, else by the caller's own GOFLAGS (``base_env``, default the process environment).
        """
        extra = dict(spec.env)
        extra.pop("GOFLAGS", None)
        env: list[tuple[str, str]] = [("CGO_ENABLED", "1" if spec.cgo else "0")]
        cc = self.cc()
        if cc and spec.cgo:
            env.append(("CC", cc))
        env.append(("GOFLAGS", goflags(spec.env, base_env)))
        if spec.goarch:
            env.append(("GOARCH", spec.goarch))
        if spec.goamd64:
            env.append(("GOAMD64", spec.goamd64))
        env.extend(extra.items())
        argv = go_build_argv(go, spec.go_args(self.extra_ldflags(spec.cgo)), out, package)
        cwd = directory or os.path.join(first_line([go, "env", "GOROOT"], hermetic_env()), "src")
        return BuildCommand(tuple(env), tuple(argv), cwd)

    def libc(self) -> str:
        """The C library family and version the host links against."""
        family, version = platform.libc_ver()
        return f"{family} {version}".strip() or first_line(["ldd", "--version"])

    def fingerprint(self, go: str) -> dict[str, str]:
        """What this place is, so results from different places are never mixed up."""
        genv = hermetic_env()
        goenv = (
            first_line([go, "env", "GOOS"], genv) + "/" + first_line([go, "env", "GOARCH"], genv)
        )
        return {
            "environment": self.name,
            "kind": self.kind,
            "os": _os_release(),
            "kernel": platform.release(),
            "machine": platform.machine(),
            "libc": self.libc(),
            "linker": first_line(["ld", "--version"]),
            "cc": first_line([self.cc() or "gcc", "--version"]),
            "go": first_line([go, "version"], genv),
            "goenv": goenv + " GOAMD64=" + first_line([go, "env", "GOAMD64"], genv),
            "strip": first_line(["strip", "--version"]),
            "upx": first_line(["upx", "--version"]),
            "wsl": wsl_field(),
        }

    def build(self, command: BuildCommand, gocache: str) -> BuildResult:
        """Run ``command`` with the private build cache and no toolchain switching."""
        env = hermetic_env(gocache, extra=dict(command.env))
        out = command.out
        start = time.monotonic()
        try:
            res = subprocess.run(
                list(command.argv),
                cwd=command.cwd,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=BUILD_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return BuildResult.from_exit(out, time.monotonic() - start, None, "")
        return BuildResult.from_exit(
            out,
            time.monotonic() - start,
            res.returncode,
            res.stderr or res.stdout,
            interrupted=interrupted(res.returncode),
        )

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str] | None = None,
        timeout: float,
    ) -> RunResult:
        """Run ``argv`` as a local process at lower priority (a bare name is found on PATH)."""
        exe = argv[0]
        if os.sep not in exe:
            found = which(exe)
            if found is None:
                return RunResult(127, "", f"{exe}: not found", 0.0)
            exe = found
        full_env = None if env is None else {**os.environ, **env}
        start = time.monotonic()
        try:
            res = subprocess.run(
                [exe, *argv[1:]],
                cwd=cwd,
                env=full_env,
                capture_output=True,
                text=True,
                errors="replace",
                check=False,
                timeout=timeout,
                preexec_fn=_preexec_lower_priority,
            )
        except subprocess.TimeoutExpired:
            return RunResult(None, "", f"timed out after {timeout:g} s", time.monotonic() - start)
        except FileNotFoundError as exc:
            return RunResult(127, "", f"cannot execute: {exc.strerror}", time.monotonic() - start)
        except OSError as exc:
            return RunResult(126, "", f"cannot execute: {exc.strerror}", time.monotonic() - start)
        return RunResult(
            res.returncode,
            res.stdout,
            res.stderr,
            time.monotonic() - start,
            interrupted=interrupted(res.returncode),
        )

    def close(self) -> None:
        """Nothing to release."""

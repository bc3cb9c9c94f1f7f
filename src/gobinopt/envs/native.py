"""The host itself (`native`), and the host with `CC=musl-gcc` (`musl`, cgo linked statically)."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Mapping

from gobinopt.envs.interface import BuildCommand, BuildResult
from gobinopt.matrix.interface import BuildSpec
from gobinopt.tools import interrupted, which

#: GOFLAGS every build gets: the artifact must not depend on the state of a VCS checkout.
BASE_GOFLAGS = "-buildvcs=false"


def goflags(spec: BuildSpec, base_env: Mapping[str, str] | None = None) -> str:
    """GOFLAGS of a build: ``-buildvcs=false``, then the matrix's ``[env]`` GOFLAGS when it
    sets one, else the caller's own GOFLAGS (``base_env``, default the process environment)."""
    base = os.environ if base_env is None else base_env
    user = dict(spec.env).get("GOFLAGS", base.get("GOFLAGS", ""))
    return " ".join(f for f in (BASE_GOFLAGS, user.strip()) if f)


def _first_line(argv: list[str]) -> str:
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
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


class NativeEnvironment:
    """Builds on the host with the host's C toolchain."""

    kind = "native"

    def __init__(self, name: str) -> None:
        self.name = name

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
        env.append(("GOFLAGS", goflags(spec, base_env)))
        if spec.goarch:
            env.append(("GOARCH", spec.goarch))
        if spec.goamd64:
            env.append(("GOAMD64", spec.goamd64))
        env.extend(extra.items())
        argv = (go, "build", *spec.go_args(self.extra_ldflags(spec.cgo)), "-o", out, package)
        cwd = directory or os.path.join(_first_line([go, "env", "GOROOT"]), "src")
        return BuildCommand(tuple(env), argv, cwd)

    def libc(self) -> str:
        """The C library family and version the host links against."""
        family, version = platform.libc_ver()
        return f"{family} {version}".strip() or _first_line(["ldd", "--version"])

    def fingerprint(self, go: str) -> dict[str, str]:
        """What this place is, so results from different places are never mixed up."""
        env = _first_line([go, "env", "GOOS"]) + "/" + _first_line([go, "env", "GOARCH"])
        return {
            "environment": self.name,
            "kind": self.kind,
            "os": _os_release(),
            "kernel": platform.release(),
            "machine": platform.machine(),
            "libc": self.libc(),
            "linker": _first_line(["ld", "--version"]),
            "cc": _first_line([self.cc() or "gcc", "--version"]),
            "go": _first_line([go, "version"]),
            "goenv": env + " GOAMD64=" + _first_line([go, "env", "GOAMD64"]),
            "wsl": str(in_wsl()).lower(),
        }

    def build(self, command: BuildCommand, gocache: str) -> BuildResult:
        """Run ``command`` with the private build cache and no toolchain switching."""
        env = dict(os.environ, GOCACHE=gocache, GOTOOLCHAIN="local")
        env.pop("GOROOT", None)
        env.update(command.env)
        out = command.argv[command.argv.index("-o") + 1]
        start = time.monotonic()
        try:
            res = subprocess.run(
                list(command.argv),
                cwd=command.cwd,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=1800,
            )
        except subprocess.TimeoutExpired:
            return BuildResult(False, out, time.monotonic() - start, "go build timed out")
        seconds = time.monotonic() - start
        if interrupted(res.returncode):
            return BuildResult(False, out, seconds, "go build interrupted", interrupted=True)
        if res.returncode != 0:
            text = (res.stderr or res.stdout).strip().splitlines()
            return BuildResult(False, out, seconds, " / ".join(text[-6:]) or "go build failed")
        return BuildResult(True, out, seconds)


class MuslEnvironment(NativeEnvironment):
    """The host with `CC=musl-gcc`: cgo variants are linked statically against musl."""

    kind = "musl"

    def cc(self) -> str | None:
        """musl-gcc, the wrapper from Debian's musl-tools (found on PATH by `go build`)."""
        return "musl-gcc"

    def missing_tool(self, cgo: bool) -> str | None:
        """musl-gcc is needed for cgo builds."""
        return "musl-gcc" if cgo and which("musl-gcc") is None else None

    def extra_ldflags(self, cgo: bool) -> tuple[str, ...]:
        """Link cgo variants externally and statically."""
        return ("-linkmode", "external", "-extldflags", "-static") if cgo else ()

    def libc(self) -> str:
        """musl, with the version its loader reports."""
        for path in ("/usr/lib/musl/lib/libc.so", "/lib/ld-musl-x86_64.so.1"):
            if os.path.exists(path):
                text = subprocess.run([path], capture_output=True, text=True, check=False).stderr
                for line in text.splitlines():
                    if line.startswith("Version"):
                        return "musl " + line.split()[-1]
        return "musl"

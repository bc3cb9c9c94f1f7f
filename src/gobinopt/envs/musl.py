"""The host with `CC=musl-gcc` (`musl`): cgo variants are linked statically against musl, so
they run on the host like any static binary."""

from __future__ import annotations

import os
import subprocess

from gobinopt.envs.native import NativeEnvironment
from gobinopt.tools import which


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

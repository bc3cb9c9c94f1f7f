"""Does a variant still run? The smoke probe, run where the artifact runs (the environment that
built it, see :meth:`gobinopt.envs.interface.BuildEnvironment.run`); latency measurement comes
with its own module."""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gobinopt.probe.interface import Probe

if TYPE_CHECKING:
    from gobinopt.envs.interface import BuildEnvironment

#: Size of the environment used for the "large environment" run of packed binaries: UPX's stub
#: has been reported to crash when the environment is big.
LARGE_ENV_BYTES = 1 << 20

#: Statuses of a command that could not be started (not found, not executable), as a shell
#: reports them; the reason is in its stderr.
_CANNOT_START = (126, 127)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One run of the probe command."""

    ok: bool
    exit_code: int | None
    message: str
    #: Stopped by Ctrl-C or a kill rather than by its own doing: the outcome is unknown.
    interrupted: bool = False


def run_probe(
    path: str,
    probe: Probe,
    env: Mapping[str, str] | None = None,
    environment: BuildEnvironment | None = None,
) -> ProbeResult:
    """Execute ``path`` with the probe's arguments in ``environment`` (default: this machine),
    with ``env`` set on top of its environment, and check the outcome."""
    if environment is None:
        from gobinopt.envs.native import NativeEnvironment

        environment = NativeEnvironment("host")
    res = environment.run(
        [path, *probe.args],
        cwd=os.path.dirname(path) or ".",
        env=env,
        timeout=probe.timeout_s,
    )
    code = res.returncode
    if code is None:
        return ProbeResult(False, None, f"timed out after {probe.timeout_s:g} s")
    if code != probe.exit_code and res.interrupted:
        return ProbeResult(False, code, "interrupted", interrupted=True)
    if code in _CANNOT_START and code != probe.exit_code and not res.stdout:
        reason = res.stderr.strip().splitlines()[-1:] or [f"exit {code}"]
        if reason[0].startswith("cannot execute"):
            return ProbeResult(False, None, reason[0][:200])
    if code < 0:
        name = signal.Signals(-code).name
        return ProbeResult(False, code, f"killed by {name}")
    if code != probe.exit_code:
        tail = (res.stderr or res.stdout).strip().splitlines()[-1:] or [""]
        return ProbeResult(
            False,
            code,
            f"exit {code}, expected {probe.exit_code}: {tail[0][:200]}",
        )
    if probe.output and probe.output not in res.stdout:
        return ProbeResult(False, code, f"output lacks {probe.output!r}")
    return ProbeResult(True, code, "ok")


def large_environment() -> dict[str, str]:
    """Variables that pad the environment by about LARGE_ENV_BYTES (set on top of the place's
    own environment)."""
    chunk = "x" * 1000
    return {f"GOBINOPT_PAD_{i}": chunk for i in range(LARGE_ENV_BYTES // 1000)}

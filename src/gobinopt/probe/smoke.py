"""Run a variant's probe command once and judge it: exit code, expected output, signals."""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass

from gobinopt.matrix.interface import Probe
from gobinopt.tools import interrupted

#: Size of the environment used for the "large environment" run of packed binaries: UPX's stub
#: has been reported to crash when the environment is big.
LARGE_ENV_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One run of the probe command."""

    ok: bool
    exit_code: int | None
    message: str
    #: Stopped by Ctrl-C or a kill rather than by its own doing: the outcome is unknown.
    interrupted: bool = False


def run_probe(path: str, probe: Probe, env: dict[str, str] | None = None) -> ProbeResult:
    """Execute ``path`` with the probe's arguments and check the outcome."""
    try:
        res = subprocess.run(
            [path, *probe.args],
            capture_output=True,
            text=True,
            timeout=probe.timeout_s,
            check=False,
            env=env,
            errors="replace",
        )
    except subprocess.TimeoutExpired:
        return ProbeResult(False, None, f"timed out after {probe.timeout_s:g} s")
    except OSError as exc:
        return ProbeResult(False, None, f"cannot execute: {exc.strerror}")
    if res.returncode != probe.exit_code and interrupted(res.returncode):
        return ProbeResult(False, res.returncode, "interrupted", interrupted=True)
    if res.returncode < 0:
        name = signal.Signals(-res.returncode).name
        return ProbeResult(False, res.returncode, f"killed by {name}")
    if res.returncode != probe.exit_code:
        tail = (res.stderr or res.stdout).strip().splitlines()[-1:] or [""]
        return ProbeResult(
            False,
            res.returncode,
            f"exit {res.returncode}, expected {probe.exit_code}: {tail[0][:200]}",
        )
    if probe.output and probe.output not in res.stdout:
        return ProbeResult(False, res.returncode, f"output lacks {probe.output!r}")
    return ProbeResult(True, res.returncode, "ok")


def large_environment() -> dict[str, str]:
    """The current environment padded with variables to about LARGE_ENV_BYTES."""
    env = dict(os.environ)
    chunk = "x" * 1000
    for i in range(LARGE_ENV_BYTES // 1000):
        env[f"GOBINOPT_PAD_{i}"] = chunk
    return env

"""Post-build transforms (strip, upx) applied in order to a copy of the artifact, run by the
environment that built it (its own `strip` and `upx`, see
:meth:`gobinopt.envs.interface.BuildEnvironment.run`)."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from gobinopt.steps.interface import Step, StepResult
from gobinopt.tools import skipped_message

if TYPE_CHECKING:
    from gobinopt.envs.interface import BuildEnvironment

__all__ = ["STEP_TIMEOUT_S", "Step", "StepResult", "apply", "command", "copy"]

#: Seconds one post step may take (upx --best --lzma on a large binary is slow).
STEP_TIMEOUT_S = 900.0

#: Exit status of a command that could not be found (as a shell reports it).
_NOT_FOUND = 127


def command(step: Step, path: str) -> list[str]:
    """The command that applies ``step`` to the file at ``path`` in place, as a user types it
    (``strip --strip-all app``, ``upx --best --lzma app``); :func:`apply` runs exactly this."""
    return [step.kind, *step.args, path]


def apply(step: Step, path: str, environment: BuildEnvironment | None = None) -> StepResult:
    """Run ``step`` on the file at ``path`` in place, with ``environment``'s own tool (default:
    this machine's)."""
    if environment is None:
        from gobinopt.envs.native import NativeEnvironment

        environment = NativeEnvironment("host")
    argv = command(step, path)
    if step.kind == "upx":
        argv.insert(1, "-q")  # quiet: only the messages change, not the packed bytes
    res = environment.run(argv, cwd=os.path.dirname(path) or ".", timeout=STEP_TIMEOUT_S)
    if res.returncode is None:
        return StepResult(False, False, f"{step.label} timed out")
    if res.interrupted:
        return StepResult(False, False, f"{step.label}: interrupted", interrupted=True)
    if res.returncode == _NOT_FOUND and not res.stdout and "not found" in res.stderr:
        return StepResult(False, True, skipped_message(step.kind))
    if res.returncode != 0:
        text = (
            (res.stderr + "\n" + res.stdout).replace(f"'{path}'", "BINARY").replace(path, "BINARY")
        )
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        msg = next(
            (ln for ln in lines if "Exception" in ln or "error" in ln.lower()),
            lines[-1] if lines else f"exit {res.returncode}",
        )
        return StepResult(False, False, f"{step.label}: {msg}")
    return StepResult(True)


def copy(src: str, dst: str) -> None:
    """Copy an artifact, keeping its mode bits."""
    shutil.copy2(src, dst)

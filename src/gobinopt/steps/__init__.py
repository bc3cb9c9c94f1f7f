"""Post-build transforms (strip, upx) applied in order to a copy of the artifact."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from gobinopt.matrix.interface import Step
from gobinopt.tools import interrupted, skipped_message, which


@dataclass(frozen=True, slots=True)
class StepResult:
    """Whether a step worked; ``message`` is the tool's own words when it did not."""

    ok: bool
    skipped: bool = False
    message: str = ""
    #: The tool was stopped by Ctrl-C or a kill: the outcome says nothing about the binary.
    interrupted: bool = False


def command(step: Step, path: str) -> list[str]:
    """The command that applies ``step`` to the file at ``path`` in place, as a user types it
    (``strip --strip-all app``, ``upx --best --lzma app``); :func:`apply` runs exactly this."""
    return [step.kind, *step.args, path]


def apply(step: Step, path: str) -> StepResult:
    """Run ``step`` on the file at ``path`` in place."""
    tool = which(step.kind)
    if tool is None:
        return StepResult(False, True, skipped_message(step.kind))
    argv = [tool, *command(step, path)[1:]]
    if step.kind == "upx":
        argv.insert(1, "-q")  # quiet: only the messages change, not the packed bytes
    try:
        # Lower priority: post steps (upx --best is CPU-heavy) must not slow the `go build`
        # that runs alongside them; measured sizes do not depend on scheduling.
        res = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
            preexec_fn=_lower_priority,
        )
    except subprocess.TimeoutExpired:
        return StepResult(False, False, f"{step.label} timed out")
    if interrupted(res.returncode):
        return StepResult(False, False, f"{step.label}: interrupted", interrupted=True)
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


def _lower_priority() -> None:
    os.nice(10)


def copy(src: str, dst: str) -> None:
    """Copy an artifact, keeping its mode bits."""
    shutil.copy2(src, dst)

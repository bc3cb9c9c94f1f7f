"""The post-steps seam: one post-build transform of an artifact and what applying it gave."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Step:
    """One post-build transform with its options (`strip --strip-all`, `upx --best --lzma`)."""

    kind: str
    args: tuple[str, ...]

    @property
    def label(self) -> str:
        """Human-readable form, e.g. ``upx --best --lzma``."""
        return " ".join((self.kind, *self.args))


@dataclass(frozen=True, slots=True)
class StepResult:
    """Whether a step worked; ``message`` is the tool's own words when it did not."""

    ok: bool
    skipped: bool = False
    message: str = ""
    #: The tool was stopped by Ctrl-C or a kill: the outcome says nothing about the binary.
    interrupted: bool = False

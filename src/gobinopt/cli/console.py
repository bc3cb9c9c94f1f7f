"""Rich consoles and the spinner observer shared by the command groups (rich is imported lazily,
so `--help` stays fast)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


def stdout_console() -> Console:
    """The console for results: terminal width on a TTY, 160 columns in a pipe or a file."""
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def escape(text: str) -> str:
    """Escape rich markup: Go names such as ``F[go.shape.int]`` contain brackets."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


class StatusObserver:
    """Shows the current stage in a transient spinner on stderr (an ``Observer``)."""

    def __init__(self, initial: str) -> None:
        from rich.console import Console

        self._console = Console(stderr=True)
        self._status = self._console.status(initial)

    def __enter__(self) -> StatusObserver:
        self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._status.stop()

    def stage(self, name: str) -> None:
        """Show the stage now running."""
        self._status.update(name)

    def note(self, message: str) -> None:
        """Log a message above the spinner."""
        self._console.log(message)

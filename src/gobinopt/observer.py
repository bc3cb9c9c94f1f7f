"""Progress without printing: the library calls an observer, the CLI decides how to show it."""

from __future__ import annotations

from typing import Protocol


class Observer(Protocol):
    """Receives progress events; every method is optional to act upon."""

    def stage(self, name: str) -> None:
        """A named stage of work begins (for example "parsing pclntab")."""

    def note(self, message: str) -> None:
        """Something the user may want to know that is not an error."""


class SilentObserver:
    """The default observer: ignores everything, so the library never prints."""

    def stage(self, name: str) -> None:
        """Ignore the stage."""

    def note(self, message: str) -> None:
        """Ignore the note."""


SILENT = SilentObserver()

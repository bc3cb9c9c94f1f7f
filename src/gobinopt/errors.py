"""One exit status per kind of outcome, and the base error every seam's exception derives from.

The CLI maps any :class:`GobinoptError` to its :attr:`~GobinoptError.status` and prints
``error: <message> (hint: <hint>)`` on one line; nothing else reaches the user as a traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Documented exit codes of every `gobinopt` command (README, "Exit codes")."""

    OK = 0
    #: The command ran but its verdict is negative (a budget exceeded, a variant broken).
    FAILURE = 1
    #: The command line itself is wrong (unknown option, missing argument).
    USAGE = 2
    #: An input path does not exist or is not a regular file.
    NOT_FOUND = 3
    #: An input exists but is not something gobinopt can read (not an executable, corrupt).
    BAD_INPUT = 4
    #: A tool the command needs (go, strip, upx, …) is not installed.
    TOOL_MISSING = 5
    #: A bug in gobinopt: the message says where to report it.
    INTERNAL = 70
    #: Interrupted by the user (Ctrl-C).
    INTERRUPTED = 130


class GobinoptError(Exception):
    """Base of every deliberate gobinopt error: a one-line message, a hint, an exit status."""

    status: ExitStatus = ExitStatus.FAILURE

    def __init__(self, message: str, *, hint: str = "", status: ExitStatus | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if status is not None:
            self.status = status

    def one_line(self) -> str:
        """The message and hint folded into a single line, as the CLI prints it."""
        text = " ".join(self.message.split())
        if self.hint:
            text += f" (hint: {' '.join(self.hint.split())})"
        return text


class InterruptedRunError(GobinoptError):
    """A run stopped because its tools were stopped by a signal (Ctrl-C, kill)."""

    status = ExitStatus.INTERRUPTED


class InputNotFoundError(GobinoptError):
    """An input path is missing or is not a regular file."""

    status = ExitStatus.NOT_FOUND


class BadInputError(GobinoptError):
    """An input file exists but cannot be understood."""

    status = ExitStatus.BAD_INPUT


class ToolMissingError(GobinoptError):
    """An external program the work needs is not installed."""

    status = ExitStatus.TOOL_MISSING

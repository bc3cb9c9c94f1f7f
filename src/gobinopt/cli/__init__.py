"""The command-line shell: parse, call the library, render, map errors to exit codes.

Every error is mapped to an :class:`~gobinopt.errors.ExitStatus` here and nowhere else, and is
printed as one line on stderr. ``GOBINOPT_DEBUG=1`` adds the traceback for bug reports.
"""

from __future__ import annotations

import os
import sys

from gobinopt.errors import ExitStatus, GobinoptError

#: The hint of the one line Ctrl-C prints (exit 130).
INTERRUPTED_HINT = "whatever finished before it is kept; run the same command again to resume"
_INTERRUPTED = f"interrupted (hint: {INTERRUPTED_HINT})"


def _fail(message: str, status: ExitStatus) -> int:
    sys.stderr.write(f"gobinopt: error: {message}\n")
    return int(status)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv`` and return the exit status (never raises, never tracebacks)."""
    import typer

    from gobinopt.cli.app import build_app

    command = build_app()
    args = sys.argv[1:] if argv is None else argv
    try:
        result = command.main(args=args, prog_name="gobinopt", standalone_mode=False)
    except GobinoptError as exc:
        return _fail(exc.one_line(), exc.status)
    except typer.Exit as exc:
        result = exc.exit_code
    except typer.Abort:
        return _fail(_INTERRUPTED, ExitStatus.INTERRUPTED)
    except typer.TyperException as exc:
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            sys.stderr.write(f"gobinopt: error: {exc.format_message()}\n")
        return int(ExitStatus.USAGE)
    except KeyboardInterrupt:
        return _fail(_INTERRUPTED, ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitStatus.OK)
    except Exception as exc:
        if os.environ.get("GOBINOPT_DEBUG"):
            raise
        return _fail(
            f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())} "
            "(hint: this is a bug in gobinopt; rerun with GOBINOPT_DEBUG=1 and report the "
            "traceback)",
            ExitStatus.INTERNAL,
        )
    if result == ExitStatus.INTERRUPTED:
        # Typer turns a KeyboardInterrupt outside the invoked command (while parsing) into a
        # silent Exit(130); the root group turns the ones inside it into InterruptedRunError.
        return _fail(_INTERRUPTED, ExitStatus.INTERRUPTED)
    return int(result) if isinstance(result, int) else int(ExitStatus.OK)


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())

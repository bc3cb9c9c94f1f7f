"""The typer application: one sub-module per command group registers its commands here."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup
from typer.models import TyperPath

from gobinopt import __version__
from gobinopt.cli import (
    INTERRUPTED_HINT,
    article,
    cache,
    diff,
    doctor,
    environments,
    envs,
    explain,
    gate,
    matrix,
    probe,
    report,
)
from gobinopt.errors import InterruptedRunError

HELP = """Measure why a Go binary is as big as it is, what each knob would save, and what it
costs.

Exit codes: 0 ok, 1 negative verdict, 2 usage error, 3 input not found, 4 bad input,
5 required tool missing, 70 internal error, 130 interrupted."""


class _Root(TyperGroup):
    """The root group: Ctrl-C inside any command becomes the one-line "interrupted" error.

    Typer turns a KeyboardInterrupt into a silent ``Exit(130)``; catching it here, around the
    invoked command, keeps the documented message.
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise InterruptedRunError("interrupted", hint=INTERRUPTED_HINT) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gobinopt {__version__}")
        raise typer.Exit()


def _paths_unchecked(command: Any) -> None:
    """Turn off Click's own checks of path parameters (exists, readable, …) in the whole tree:
    gobinopt validates paths itself (gobinopt.paths), with one line and the README's exit
    codes, where Click would print a usage error and exit 2."""
    for param in getattr(command, "params", []):
        if isinstance(param.type, TyperPath):
            param.type.exists = param.type.readable = param.type.writable = False
            param.type.file_okay = param.type.dir_okay = True
    for sub in getattr(command, "commands", {}).values():
        _paths_unchecked(sub)


def build_app() -> Any:
    """The click command tree behind ``gobinopt``."""
    app = typer.Typer(
        name="gobinopt",
        cls=_Root,
        help=HELP,
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )

    @app.callback()
    def root(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version."
        ),
    ) -> None:
        """Measure why a Go binary is as big as it is."""

    explain.register(app)
    diff.register(app)
    doctor.register(app)
    envs.register(app)
    matrix.register(app)
    probe.register(app)
    report.register(app)
    article.register(app)
    environments.register(app)
    cache.register(app)
    gate.register(app)
    command = typer.main.get_command(app)
    _paths_unchecked(command)
    return command

"""The typer application: one sub-module per command group registers its commands here."""

from __future__ import annotations

from typing import Any

import typer

from gobinopt import __version__
from gobinopt.cli import article, doctor, explain, matrix, probe, report

HELP = """Measure why a Go binary is as big as it is, what each knob would save, and what it
costs.

Exit codes: 0 ok, 1 negative verdict, 2 usage error, 3 input not found, 4 bad input,
5 required tool missing, 70 internal error, 130 interrupted."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gobinopt {__version__}")
        raise typer.Exit()


def build_app() -> Any:
    """The click command tree behind ``gobinopt``."""
    app = typer.Typer(
        name="gobinopt",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
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
    doctor.register(app)
    matrix.register(app)
    probe.register(app)
    report.register(app)
    article.register(app)
    return typer.main.get_command(app)

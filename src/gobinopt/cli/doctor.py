"""``gobinopt doctor``: which of the tools gobinopt drives are installed."""

from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    """Add the doctor command to ``app``."""

    @app.command()
    def doctor(
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    ) -> None:
        """List the external tools gobinopt uses, their versions, and how to install the rest."""
        from gobinopt import tools

        found = tools.doctor()
        if as_json:
            typer.echo(
                json.dumps(
                    [
                        {"name": t.name, "path": t.path, "version": t.version, "install": t.hint}
                        for t in found
                    ],
                    indent=2,
                )
            )
            return
        from rich.table import Table

        from gobinopt.cli.console import escape, stdout_console

        table = Table(title="tools")
        for col in ("tool", "status", "version / install with"):
            table.add_column(col)
        for t in found:
            table.add_row(
                t.name,
                "ok" if t.path else "[red]missing[/]",
                escape(t.version if t.path else t.hint),
            )
        stdout_console().print(table)

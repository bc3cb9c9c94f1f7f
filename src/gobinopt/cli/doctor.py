"""``gobinopt doctor``: which of the tools gobinopt drives are installed, and installing the
missing ones with apt (`--install`)."""

from __future__ import annotations

import json
import sys

import typer

from gobinopt.errors import ExitStatus, GobinoptError


def register(app: typer.Typer) -> None:
    """Add the doctor command to ``app``."""

    @app.command()
    def doctor(
        tools_: list[str] | None = typer.Argument(
            None,
            metavar="[TOOL]...",
            help="Tools to install with --install (default: strip, gcc, upx, musl-gcc).",
            show_default=False,
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
        install: bool = typer.Option(
            False,
            "--install",
            help="Install the missing tools with apt (root on Debian; adds bookworm-backports "
            "for upx).",
        ),
        best_effort: bool = typer.Option(
            False,
            "--best-effort",
            help="With --install: when installing is impossible here, say what was skipped and "
            "exit 0 (for set-up scripts).",
        ),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="With --install: print the commands, run nothing."
        ),
    ) -> None:
        """List the external tools gobinopt uses, their versions, and how to install the rest."""
        from gobinopt import tools

        if install:
            _install(list(tools_ or []), best_effort=best_effort, dry_run=dry_run)
            return
        if tools_:
            raise GobinoptError(
                "tool names are only taken with --install",
                hint="gobinopt doctor --install upx",
                status=ExitStatus.USAGE,
            )
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


def _install(names: list[str], *, best_effort: bool, dry_run: bool) -> None:
    from gobinopt import apt

    wanted = names or list(apt.MATRIX_TOOLS)
    try:
        plan = apt.plan(wanted)
        if not plan.tools:
            typer.echo(f"nothing to install: {', '.join(wanted)} present")
            return
        if dry_run:
            if plan.backports_source:
                typer.echo(f"echo '{plan.backports_source}' > {apt.BACKPORTS_LIST}")
            for argv in plan.commands:
                typer.echo(" ".join(argv))
            return
        apt.check_can_install()
        typer.echo(f"installing {', '.join(plan.packages + plan.backports_packages)}", err=True)
        apt.execute(plan, on_command=lambda cmd: typer.echo(f"+ {cmd}", err=True))
    except apt.AptError as exc:
        if not best_effort:
            raise
        missing = ", ".join(t for t in wanted if not _present(t))
        sys.stderr.write(
            f"gobinopt: skipped installing {missing or 'nothing'}: {exc.one_line()}; "
            "variants that need them will be reported as skipped\n"
        )
        return
    still = [t for t in plan.tools if not _present(t)]
    if still:
        raise GobinoptError(
            f"still missing after apt: {', '.join(still)}", status=ExitStatus.TOOL_MISSING
        )
    typer.echo(f"installed: {', '.join(plan.tools)}")


def _present(tool: str) -> bool:
    from gobinopt.tools import which

    return which(tool) is not None

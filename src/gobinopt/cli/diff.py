"""``gobinopt diff A B``: why build B is bigger (or smaller) than build A, as rich tables that fit
80 columns, a ``--json`` document or ``--markdown`` for a pull-request comment."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gobinopt.cli.console import StatusObserver, escape, stdout_console
from gobinopt.errors import ExitStatus, GobinoptError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from gobinopt.diff import Diff, Level, Row, Side


def register(app: typer.Typer) -> None:
    """Add the diff command to ``app``."""

    @app.command()
    def diff(
        old: str = typer.Argument(
            ...,
            metavar="OLD",
            help="The old build: a binary or an `explain --json` document; with --store, a "
            "variant id or words of its label ('CGO_ENABLED=1 exe').",
            show_default=False,
        ),
        new: str = typer.Argument(
            ...,
            metavar="NEW",
            help="The new build, like OLD.",
            show_default=False,
        ),
        store: Path | None = typer.Option(
            None,
            "--store",
            help="Compare two stored variants of this `matrix run` results store (no binary is "
            "read).",
        ),
        top: int = typer.Option(
            20, "--top", min=0, help="Rows of packages and functions, by |Δ| (0 = all)."
        ),
        show_all: bool = typer.Option(False, "--all", help="Also list rows that did not change."),
        loaded_only: bool = typer.Option(
            False,
            "--loaded-only",
            help="Count only bytes loaded at run time (no DWARF, symbol tables, or headers "
            "outside segments).",
        ),
        as_json: bool = typer.Option(
            False, "--json", help="Print the gobinopt.diff/v1 JSON document instead."
        ),
        markdown: bool = typer.Option(
            False, "--markdown", help="Print Markdown for a pull-request comment (< 65,536 chars)."
        ),
    ) -> None:
        """Compare two builds (binaries or saved `explain --json` documents, in any mix): section
        categories, sections, Go modules, packages and functions, build settings and warnings."""
        from gobinopt.diff import diff_files, to_document, to_markdown

        if as_json and markdown:
            raise GobinoptError(
                "give at most one of --json and --markdown",
                hint="gobinopt diff OLD NEW --markdown >> $GITHUB_STEP_SUMMARY",
                status=ExitStatus.USAGE,
            )
        quiet = as_json or markdown or not sys.stderr.isatty()
        if store is not None:
            from gobinopt.diff import compare
            from gobinopt.diff.stored import stored_sides

            a, b = stored_sides(store, old, new)
            result = compare(a, b, loaded_only=loaded_only, unchanged=show_all)
        elif quiet:
            result = diff_files(old, new, loaded_only=loaded_only, unchanged=show_all)
        else:
            with StatusObserver("comparing") as observer:
                result = diff_files(
                    old,
                    new,
                    loaded_only=loaded_only,
                    unchanged=show_all,
                    observer=observer,
                )
        if as_json:
            typer.echo(json.dumps(to_document(result, top=top, show_all=show_all), indent=2))
            return
        if markdown:
            typer.echo(to_markdown(result, top=top, show_all=show_all), nl=False)
            return
        render(result, stdout_console(), top, show_all)


def _b(n: int | None) -> str:
    return "" if n is None else f"{n:,}"


def _signed(n: int) -> str:
    return f"{n:+,}" if n else "0"


def _pct(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:+.1f}%" if value else "0%"


#: Tables never grow wider than a classic terminal; long names fold onto more lines.
WIDTH = 80


def _print(console: Console, table: Table) -> None:
    console.print(table, width=min(console.width, WIDTH))


def _table(title: str, name: str, *extra: str) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column(name, overflow="fold", ratio=1, min_width=12)
    for col in ("old", "new", "Δ", "Δ%", *extra):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("", no_wrap=True, min_width=4)
    return table


def _describe(side: Side) -> str:
    what = f"{side.format.upper()} {side.machine} {side.file_type}"
    if side.packer:
        what += f", packed by {side.packer}"
    what += f", Go {side.go_version}" if side.go_version else (", Go" if side.is_go else ", not Go")
    return what


def render(diff: Diff, console: Console, top: int, show_all: bool) -> None:
    """Print the diff as tables (each fits an 80-column terminal)."""
    from gobinopt.diff import LevelName
    from gobinopt.diff.document import TITLES, level_top

    unit = "loaded bytes" if diff.loaded_only else "bytes"
    width = min(console.width, WIDTH)
    for role, side, total in (
        ("old", diff.old, diff.old_total),
        ("new", diff.new, diff.new_total),
    ):
        console.print(f"[bold]{role}[/] {escape(side.source)}", width=width)
        console.print(f"    {escape(_describe(side))}, {total:,} {unit}", width=width)
    pct = _pct(diff.delta_pct)
    console.print(
        f"[bold]Δ {_signed(diff.delta)} {unit}[/]" + (f" ({pct})" if pct else ""), width=width
    )
    for warning in diff.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", width=width)
    if diff.settings:
        from rich import box
        from rich.table import Table

        table = Table(
            title="Build settings that differ",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
        )
        table.add_column("setting", overflow="fold", ratio=2)
        table.add_column("old", overflow="fold", ratio=3)
        table.add_column("new", overflow="fold", ratio=3)
        for s in diff.settings:
            table.add_row(escape(s.key), escape(s.old or "—"), escape(s.new or "—"))
        _print(console, table)
    for level in diff.levels:
        title, column = TITLES[level.name]
        if not level.available:
            console.print(f"{title}: not compared ({escape(level.note)})", width=width)
            continue
        _render_level(console, level, f"{title} ({unit})", column, level_top(level, top), show_all)
        if level.name is LevelName.SECTIONS:
            _render_memory(console, level, show_all)
    for note in diff.notes:
        console.print(f"note: {escape(note)}", width=width)


def _name(row: Row) -> str:
    text = escape(row.name) if row.name else "(no package: go:/type: symbols)"
    if row.explicit:
        return f"[italic]{text}[/]"
    if row.old_name is not None:
        text += f"\n[dim]was {escape(row.old_name)}[/]"
    if row.old_version != row.new_version:
        text += f"\n[dim]{escape(row.old_version or '—')} → {escape(row.new_version or '—')}[/]"
    elif row.new_version:
        text += f" [dim]{escape(row.new_version)}[/]"
    return text


def _render_level(
    console: Console, level: Level, title: str, column: str, top: int, show_all: bool
) -> None:
    from gobinopt.diff import LevelName

    # Function counts beside the bytes of modules and packages (for functions they would only
    # count duplicate names: the column is left out to give the names room).
    counts = level.name in (LevelName.MODULES, LevelName.PACKAGES)
    table = _table(title, column, *(("Δfn",) if counts else ()))
    shown = level.shown(top, show_all)

    def cells(row: Row) -> list[str]:
        out = [_name(row), _b(row.old), _b(row.new), _signed(row.delta), _pct(row.delta_pct)]
        if counts:
            fn = (row.new_count or 0) - (row.old_count or 0)
            out.append(_signed(fn) if fn and not row.explicit else "")
        symbol = row.mark.symbol
        out.append(f"[bold]{symbol}[/]" if symbol in ("NEW", "GONE") else symbol)
        return out

    pad = [""] * (2 if counts else 1)
    for row in shown.rows:
        table.add_row(*cells(row))
    if shown.left_out:
        table.add_row(
            f"… {shown.left_out:,} more",
            _b(shown.left_out_old),
            _b(shown.left_out_new),
            _signed(shown.left_out_delta),
            "",
            *pad,
        )
    for row in level.rest:
        table.add_row(*cells(row))
    table.add_section()
    pct = 100.0 * level.delta / level.old_total if level.old_total else None
    table.add_row(
        "total", _b(level.old_total), _b(level.new_total), _signed(level.delta), _pct(pct), *pad
    )
    _print(console, table)
    if shown.hidden_same:
        console.print(
            f"[dim]{shown.hidden_same:,} unchanged rows hidden (--all shows them)[/]",
            width=min(console.width, WIDTH),
        )


def _render_memory(console: Console, level: Level, show_all: bool) -> None:
    rows = [r for r in level.rows if r.old_mem or r.new_mem]
    if not show_all:
        rows = [r for r in rows if r.mem_delta]
    if not rows:
        return
    table = _table("Memory bytes of the sections", "section")
    for r in sorted(rows, key=lambda r: (-abs(r.mem_delta), r.name)):
        pct = 100.0 * r.mem_delta / r.old_mem if r.old_mem else None
        table.add_row(
            escape(r.name),
            _b(r.old_mem),
            _b(r.new_mem),
            _signed(r.mem_delta),
            _pct(pct),
            r.mark.symbol if r.mark.value in ("new", "gone") else ("" if r.mem_delta else "="),
        )
    table.add_section()
    old = sum(r.old_mem or 0 for r in level.rows)
    new = sum(r.new_mem or 0 for r in level.rows)
    table.add_row("total", _b(old), _b(new), _signed(new - old), "", "")
    _print(console, table)

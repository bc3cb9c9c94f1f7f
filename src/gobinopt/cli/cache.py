"""``gobinopt cache``: where the cache is, its size by kind, and cleaning it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from gobinopt.cache import CacheInfo, CleanResult


def human(n: int) -> str:
    """Bytes as ``0 B``, ``512 B``, ``1.5 KiB``, ``40.2 MiB``, ``1.1 GiB``."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def register(app: typer.Typer) -> None:
    """Add the cache command group to ``app``."""
    group = typer.Typer(
        name="cache",
        help="Show the size of gobinopt's cache by kind (the default) and clean it.",
        invoke_without_command=True,
        no_args_is_help=False,
    )

    @group.callback()
    def cache(ctx: typer.Context) -> None:
        """Show the size of gobinopt's cache by kind (the default) and clean it.

        Kinds: artifacts (matrix builds), gocache (their Go build cache), toolchains (Go from
        PyPI), example (explain --example), launcher (the probe's C launcher), other.
        """
        if ctx.invoked_subcommand is None:
            _show_info(as_json=False)

    @group.command("info")
    def info_command(
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    ) -> None:
        """Show the cache directory and its disk usage by kind."""
        _show_info(as_json=as_json)

    @group.command("clean")
    def clean_command(
        kinds: list[str] | None = typer.Argument(
            None,
            metavar="[KIND]...",
            help="Kinds to clean: artifacts, gocache, toolchains, example, launcher, other "
            "(default: all).",
            show_default=False,
        ),
        older_than: str | None = typer.Option(
            None,
            "--older-than",
            metavar="AGE",
            help="Only entries not modified for AGE (90s, 30m, 12h, 7d, 2w).",
        ),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="Say what would be removed; remove nothing."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    ) -> None:
        """Remove cached entries (whole builds, toolchains, launchers; single gocache files)."""
        from gobinopt.cache import clean, parse_age

        age = None if older_than is None else parse_age(older_than)
        result = clean(kinds, older_than_s=age, dry_run=dry_run)
        if as_json:
            typer.echo(json.dumps(_clean_document(result), indent=2))
        else:
            _render_clean(result)

    app.add_typer(group)


def _show_info(*, as_json: bool) -> None:
    from gobinopt.cache import info

    result = info()
    if as_json:
        typer.echo(json.dumps(_info_document(result), indent=2))
    else:
        _render_info(result)


def _info_document(info: CacheInfo) -> dict[str, object]:
    return {
        "root": str(info.root),
        "exists": info.exists,
        "bytes": info.bytes,
        "kinds": [
            {
                "kind": k.kind,
                "path": str(k.path),
                "bytes": k.bytes,
                "files": k.files,
                "entries": k.entries,
            }
            for k in info.kinds
        ],
    }


def _clean_document(result: CleanResult) -> dict[str, object]:
    return {
        "root": str(result.root),
        "dry_run": result.dry_run,
        "bytes": result.bytes,
        "kept": result.kept,
        "freed": [
            {"kind": k.kind, "bytes": k.bytes, "files": k.files, "entries": k.entries}
            for k in result.freed
        ],
    }


def _render_info(info: CacheInfo) -> None:
    from rich.text import Text

    from gobinopt.cli.console import Column, FitTable, Kind, stdout_console

    console = stdout_console()
    if not info.exists:
        console.print(Text(f"cache directory: {info.root} (empty: nothing cached yet)"))
        return
    console.print(Text(f"cache directory: {info.root}"), soft_wrap=True)
    table = FitTable(
        "",
        [Column("kind", Kind.NAME)]
        + [Column(c, Kind.NUMBER) for c in ("size", "bytes", "files", "entries")],
    )
    for k in info.kinds:
        table.row(k.kind, human(k.bytes), f"{k.bytes:,}", f"{k.files:,}", f"{k.entries:,}")
    table.section()
    files = sum(k.files for k in info.kinds)
    table.row("total", human(info.bytes), f"{info.bytes:,}", f"{files:,}", "")
    console.print(table.render(console))
    console.print(Text("clean with: gobinopt cache clean [KIND]... [--older-than 7d]"))


def _render_clean(result: CleanResult) -> None:
    verb = "would free" if result.dry_run else "freed"
    parts = [
        f"{k.kind} {human(k.bytes)} ({k.entries:,} entries)" for k in result.freed if k.entries
    ]
    line = f"{verb} {human(result.bytes)} in {result.root}"
    line += f": {', '.join(parts)}" if parts else ": nothing to remove"
    if result.kept:
        line += f"; kept {result.kept:,} newer entries"
    typer.echo(line)

"""``gobinopt report``, ``gobinopt plot`` and ``gobinopt recommend``: look instead of read."""

from __future__ import annotations

import shlex
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from gobinopt.results.interface import VariantRecord

from gobinopt.cli.matrix import DEFAULT_STORE


class PlotKind(StrEnum):
    """Pictures `gobinopt plot` draws."""

    tradeoff_warm = "tradeoff-warm"
    tradeoff_cold = "tradeoff-cold"
    categories = "categories"


def _records(store: Path, matrix: str | None) -> list[VariantRecord]:
    from gobinopt.paths import input_file
    from gobinopt.store.sqlite import Store

    input_file(store, "results store", hint="run `gobinopt matrix run` first, or pass --store")
    with Store(store) as db:
        return db.records(matrix)


def register(app: typer.Typer) -> None:
    """Add report, plot and recommend to ``app``."""

    @app.command()
    def report(
        store: Path = typer.Option(DEFAULT_STORE, "--store", help="SQLite results store."),
        matrix: str | None = typer.Option(None, "--matrix", help="Only this program's results."),
        out: Path = typer.Option(Path("reports/latest"), "--out", help="Report directory."),
        name: str = typer.Option("gobinopt report", "--name", help="Report title."),
        matrix_file: Path | None = typer.Option(
            None, "--matrix-file", help="Matrix file to show in the report."
        ),
        max_start_ms: float | None = typer.Option(None, "--max-start-ms"),
        no_upx: bool = typer.Option(False, "--no-upx"),
    ) -> None:
        """Write REPORT.md, report.html, results.json/.csv and the pictures into --out."""
        from gobinopt.paths import input_file, output_dir
        from gobinopt.report.analysis import Constraints
        from gobinopt.report.document import build_report

        if matrix_file is not None:
            input_file(
                matrix_file, "matrix file", hint="pass the matrix file the store was run from"
            )
        records = _records(store, matrix)
        output_dir(out, "report directory")
        text = matrix_file.read_text(errors="replace") if matrix_file else ""
        files = build_report(
            records,
            out,
            name=name,
            command="gobinopt " + shlex.join(sys.argv[1:]),
            matrix_text=text,
            constraints=Constraints(max_start_ms=max_start_ms, no_upx=no_upx),
        )
        typer.echo(f"wrote {files.markdown}, {files.html} and {len(files.pictures)} pictures")

    @app.command()
    def plot(
        kind: PlotKind = typer.Argument(..., help="Which picture."),
        out: Path = typer.Option(..., "--out", help="Output file (.png or .svg)."),
        store: Path = typer.Option(DEFAULT_STORE, "--store", help="SQLite results store."),
        matrix: str | None = typer.Option(None, "--matrix", help="Only this program's results."),
    ) -> None:
        """Draw one picture from the stored results."""
        from gobinopt.paths import output_file
        from gobinopt.report import plots
        from gobinopt.report.interface import point
        from gobinopt.report.plots import check_format

        check_format(out)
        points = [point(r) for r in _records(store, matrix)]
        output_file(out, "picture")
        if kind is PlotKind.categories:
            plots.stacked_categories(points, out)
        else:
            plots.tradeoff(points, kind.value.split("-")[1], out)
        typer.echo(f"wrote {out}")

    @app.command()
    def recommend(
        store: Path = typer.Option(DEFAULT_STORE, "--store", help="SQLite results store."),
        matrix: str | None = typer.Option(None, "--matrix", help="Only this program's results."),
        max_start_ms: float | None = typer.Option(
            None, "--max-start-ms", help="Warm start-up at most this."
        ),
        max_cold_start_ms: float | None = typer.Option(
            None, "--max-cold-start-ms", help="Cold start-up at most this."
        ),
        keep_debug_info: bool = typer.Option(False, "--keep-debug-info", help="Keep DWARF."),
        no_upx: bool = typer.Option(False, "--no-upx", help="No packed binaries."),
        static: bool = typer.Option(False, "--static", help="Statically linked only."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """The smallest stored variant that satisfies the constraints, with the exact commands."""
        from gobinopt.report.analysis import Constraints
        from gobinopt.report.analysis import recommend as pick
        from gobinopt.report.document import recommendation_json, warm_start
        from gobinopt.report.interface import point

        points = [point(r) for r in _records(store, matrix)]
        rec = pick(
            points, Constraints(max_start_ms, max_cold_start_ms, keep_debug_info, no_upx, static)
        )
        if as_json:
            typer.echo(recommendation_json(rec.point, rec.commands))
            return
        p = rec.point
        typer.echo(p.label)
        for twin in p.twins:
            typer.echo(f"  = {twin.label} (byte-identical)")
        typer.echo(
            f"  {p.size:,} bytes, {warm_start(p.warm_ms)}"
            f" ({rec.rejected} other artifacts rejected by the constraints)\n"
        )
        for cmd in rec.commands:
            typer.echo(cmd)

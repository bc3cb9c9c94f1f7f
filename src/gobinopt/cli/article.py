"""``gobinopt article``: run the article's matrices and write reports/article/ (one command)."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import typer

INTRO = """The article this project started from (shared/seeds/004, in Chinese) claims that on
native Linux `strip` saves 16.2 %, `upx --best` 28.9 %, and that `-buildmode=pie` makes a Go
binary 5.1 % *smaller*; that the three stack (pie, then strip, then upx); and that
`CGO_ENABLED=1` doubles the size. Each row below compares two variants of the matrix that differ
only in the knob the claim is about; "why" lists the section categories whose bytes changed most
(computed from the two binaries), or the tool's own error when the step fails."""


def register(app: typer.Typer) -> None:
    """Add the article command to ``app``."""

    @app.command()
    def article(
        matrices: Path = typer.Option(
            Path("matrices"), "--matrices", help="Folder with article.toml and article-gofmt.toml."
        ),
        store: Path = typer.Option(Path(".gobinopt") / "article.sqlite", "--store"),
        out: Path = typer.Option(Path("reports") / "article", "--out"),
        jobs: int = typer.Option(os.cpu_count() or 1, "--jobs", "-j", min=1),
        only_example: bool = typer.Option(
            False, "--only-example", help="Skip the cmd/gofmt matrix."
        ),
    ) -> None:
        """Measure the article's variants and write REPORT.md with its claims beside ours."""
        from gobinopt.cli.matrix import run_matrix_files
        from gobinopt.report.article import claims_table
        from gobinopt.report.document import build_report
        from gobinopt.report.interface import point

        files = [matrices / "article.toml"]
        if not only_example:
            files.append(matrices / "article-gofmt.toml")
        command = "gobinopt " + shlex.join(sys.argv[1:])
        results = run_matrix_files(files, store, out, jobs)
        main_file, main_name, main_records = results[0]
        extra = [
            (
                "The article's claims, measured: " + main_name,
                INTRO + "\n\n" + claims_table([point(r) for r in main_records]),
            )
        ]
        for f, name, records in results[1:]:
            sub = out / name
            build_report(
                records,
                sub,
                name=f"{name}: the article's variants",
                command=command,
                matrix_text=f.read_text(errors="replace"),
            )
            extra.append(
                (
                    f"The article's claims, measured: {name}",
                    claims_table([point(r) for r in records])
                    + f"\n\nFull report: [{name}/REPORT.md]({name}/REPORT.md)",
                )
            )
        files_written = build_report(
            main_records,
            out,
            name="The article, measured",
            command=command,
            matrix_text=main_file.read_text(errors="replace"),
            extra_sections=extra,
        )
        typer.echo(f"wrote {files_written.markdown}")

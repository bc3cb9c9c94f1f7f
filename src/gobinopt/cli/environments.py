"""``gobinopt environments``: build the example and cmd/gofmt in every environment of
matrices/environments*.toml and write reports/environments/ (one command)."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import typer

INTRO = """Each row compares a variant built in one environment with the same variant (same
CGO_ENABLED, -buildmode, -ldflags, post steps) built on the host, as `gobinopt diff --store`
compares them: the size delta, the sections that changed most, and the build settings and
environment facts (libc, linker, C compiler, Go) that differ. "identical" means the two files
have the same sha256. Environments this machine cannot run (no Docker daemon, no image, no
wsl.exe) are listed as skipped in the variant table with the reason."""

WSL_INTRO = """The article this project started from (shared/seeds/004) says a Go binary built in
WSL2 is about 23 % bigger than the same source built on native Linux, blaming the WSL linker
and debug information. What a WSL build really changes for a Go program is where the source
lives: under `/mnt/c/...` the absolute paths embedded in the binary (the pclntab file table,
the DWARF line tables, the build info) are those of the Windows drive. The `wsl-path`
environment builds the same source from such a path on this machine."""


def register(app: typer.Typer) -> None:
    """Add the environments command to ``app``."""

    @app.command()
    def environments(
        matrices: Path = typer.Option(
            Path("matrices"),
            "--matrices",
            help="Folder with environments.toml and environments-gofmt.toml.",
        ),
        store: Path = typer.Option(Path(".gobinopt") / "environments.sqlite", "--store"),
        out: Path = typer.Option(Path("reports") / "environments", "--out"),
        jobs: int = typer.Option(os.cpu_count() or 1, "--jobs", "-j", min=1),
        only_example: bool = typer.Option(
            False, "--only-example", help="Skip the cmd/gofmt matrix."
        ),
        reference: str = typer.Option("host", "--reference", help="The environment compared to."),
        wsl: str = typer.Option("wsl-path", "--wsl", help="The WSL-style environment."),
    ) -> None:
        """Build in every environment and explain every byte of difference with `diff`."""
        from gobinopt.cli.matrix import run_matrix_files
        from gobinopt.report.document import build_report
        from gobinopt.report.environments import (
            compare_environments,
            comparison_table,
            wsl_claims,
        )

        files = [matrices / "environments.toml"]
        if not only_example:
            files.append(matrices / "environments-gofmt.toml")
        command = "gobinopt " + shlex.join(sys.argv[1:])
        results = run_matrix_files(files, store, out, jobs)
        sections: list[tuple[str, str]] = []
        for _f, name, records in results:
            comparisons = compare_environments(records, reference)
            sections.append(
                (
                    f"{name}: every environment against {reference}",
                    INTRO + "\n\n" + comparison_table(comparisons, reference),
                )
            )
            if any(r.spec.environment == wsl for r in records):
                sections.append(
                    (
                        f"{name}: the article's WSL claims, measured",
                        WSL_INTRO + "\n\n" + wsl_claims(records, wsl, reference),
                    )
                )
        main_file, _, main_records = results[0]
        for f, name, records in results[1:]:
            build_report(
                records,
                out / name,
                name=f"{name}: environments",
                command=command,
                matrix_text=f.read_text(errors="replace"),
            )
        files_written = build_report(
            main_records,
            out,
            name="Environments, measured",
            command=command,
            matrix_text=main_file.read_text(errors="replace"),
            extra_sections=sections,
        )
        typer.echo(f"wrote {files_written.markdown}")

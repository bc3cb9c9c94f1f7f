"""``gobinopt matrix``: run, plan, merge and export build matrices."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from gobinopt.cli.console import escape, stdout_console
from gobinopt.errors import ExitStatus, GobinoptError

if TYPE_CHECKING:
    from gobinopt.matrix import Plan
    from gobinopt.results.interface import VariantRecord

DEFAULT_STORE = Path(".gobinopt") / "results.sqlite"


class PlanFormat(StrEnum):
    """Output formats of `matrix plan`."""

    table = "table"
    json = "json"
    github = "github"


class ExportFormat(StrEnum):
    """Output formats of `matrix export`."""

    json = "json"
    csv = "csv"


def _default_matrix() -> Path:
    from importlib import resources

    return Path(str(resources.files("gobinopt") / "matrices" / "default.toml"))


def _plan(file: Path | None, shard: str | None, *, local: bool) -> Plan:
    """The plan of ``file``; a toolchain that cannot be had is one message before anything
    runs (``local``: also "host" and paths, which `matrix plan` does not need)."""
    from gobinopt.matrix import expand, load
    from gobinopt.toolchains import check

    plan = expand(load(file or _default_matrix()))
    check(plan.matrix.toolchains, f"{plan.matrix.path}: axes.toolchain: ", local=local)
    if shard:
        try:
            index, count = (int(x) for x in shard.split("/"))
        except ValueError:
            raise GobinoptError(
                f"--shard {shard!r}: expected I/N, e.g. 1/4", status=ExitStatus.USAGE
            ) from None
        plan = plan.shard(index, count)
    return plan


def register(app: typer.Typer) -> None:
    """Add the matrix command group to ``app``."""
    matrix = typer.Typer(
        help="Build every variant of a matrix, measure it, store the results.", no_args_is_help=True
    )
    app.add_typer(matrix, name="matrix")

    @matrix.command("run")
    def run(
        file: Path | None = typer.Argument(None, help="Matrix file (default: the embedded one)."),
        store: Path = typer.Option(DEFAULT_STORE, "--store", help="SQLite results store."),
        jobs: int = typer.Option(
            os.cpu_count() or 1,
            "--jobs",
            "-j",
            min=1,
            help="Variants post-processed at once; go builds of different compile families run "
            "jobs/2 at once.",
        ),
        force: bool = typer.Option(False, "--force", help="Rebuild even stored variants."),
        shard: str | None = typer.Option(None, "--shard", help="Run shard I/N only."),
        as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
    ) -> None:
        """Build and measure every variant; unchanged variants come from the store.

        A variant that fails to build, whose post step fails or that no longer runs its probe
        is a result ("broken", with the tool's message), not a failure of the run."""
        from gobinopt.paths import output_file
        from gobinopt.pipeline import Runner
        from gobinopt.store.sqlite import Store

        output_file(store, "results store")
        plan = _plan(file, shard, local=True)
        with Store(store) as db, _Progress(len(plan.variants)) as progress:
            summary = Runner(plan, db, jobs=jobs, force=force, observer=progress).run()
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "built": summary.built,
                        "reused": summary.reused,
                        "store": str(store),
                        "results": [_public(r) for r in summary.records],
                    },
                    indent=2,
                )
            )
        else:
            _summary(summary.records, summary.built, summary.reused, store)
        skipped = [r for r in summary.records if r.status.value == "skipped"]
        if summary.records and len(skipped) == len(summary.records):
            raise GobinoptError(
                f"nothing ran: {skipped[0].reason or 'skipped'}",
                status=ExitStatus.TOOL_MISSING,
            )

    @matrix.command("plan")
    def plan_cmd(
        file: Path | None = typer.Argument(None, help="Matrix file (default: the embedded one)."),
        fmt: PlanFormat = typer.Option(PlanFormat.table, "--format"),
        shards: int = typer.Option(4, "--shards", min=1, help="Shards for --format github."),
        shard: str | None = typer.Option(None, "--shard", help="Show shard I/N only."),
    ) -> None:
        """List the variants and builds a run would do (or a GitHub Actions matrix)."""
        from gobinopt.matrix import github_matrix

        plan = _plan(file, shard, local=False)
        if fmt is PlanFormat.github:
            typer.echo(json.dumps(github_matrix(plan, shards)))
            return
        rows = [{"id": v.id, "build": v.build.id, "label": v.label()} for v in plan.variants]
        if fmt is PlanFormat.json:
            typer.echo(json.dumps({"variants": rows, "builds": len(plan.builds)}, indent=2))
            return
        for row in rows:
            typer.echo(f"{row['id']}  {row['label']}")
        typer.echo(f"{len(rows)} variants, {len(plan.builds)} builds")

    @matrix.command("merge")
    def merge(
        out: Path = typer.Argument(..., help="Store to merge into (created if missing)."),
        inputs: list[Path] = typer.Argument(..., help="Stores to merge from."),
    ) -> None:
        """Combine result stores (for example the shards of a CI run)."""
        from gobinopt.paths import input_file, output_file
        from gobinopt.store.sqlite import Store

        output_file(out, "results store")
        for path in inputs:
            input_file(path, "results store", hint="pass the stores written by `matrix run`")
        with Store(out) as dest:
            for path in inputs:
                with Store(path) as src:
                    added = dest.merge_from(src)
                typer.echo(f"{path}: {added} results added")

    @matrix.command("export")
    def export(
        store: Path = typer.Option(DEFAULT_STORE, "--store", help="SQLite results store."),
        fmt: ExportFormat = typer.Option(ExportFormat.json, "--format"),
    ) -> None:
        """Print the stored results as JSON or CSV (schema gobinopt.results/v1)."""
        from gobinopt.errors import InputNotFoundError
        from gobinopt.results.export import export_csv, export_json
        from gobinopt.store.sqlite import Store

        if not store.is_file():
            raise InputNotFoundError(
                f"{store}: no such results store", hint="run `gobinopt matrix run` first"
            )
        with Store(store) as db:
            records = db.records()
        sys.stdout.write(
            export_json(records) + "\n" if fmt is ExportFormat.json else export_csv(records)
        )


def run_matrix_files(
    files: list[Path], store: Path, out: Path, jobs: int
) -> list[tuple[Path, str, list[VariantRecord]]]:
    """Run each matrix file into one store, with progress, after checking every path (for the
    commands that regenerate a committed report: `article`, `environments`); returns each
    file with its program name and records."""
    from gobinopt.matrix import expand, load
    from gobinopt.paths import input_file, output_dir, output_file
    from gobinopt.pipeline import Runner
    from gobinopt.store.sqlite import Store

    for f in files:
        input_file(f, "matrix file", hint="run from the repository root or pass --matrices")
    output_file(store, "results store")
    output_dir(out, "report directory")
    results = []
    with Store(store) as db:
        for f in files:
            plan = expand(load(f))
            with _Progress(len(plan.variants)) as progress:
                summary = Runner(plan, db, jobs=jobs, observer=progress).run()
            results.append((f, plan.matrix.program.name, summary.records))
    return results


class _Progress:
    """Progress of a run on stderr: a rich progress bar on a terminal; elsewhere (CI logs, a
    pipe) one plain line per finished build, per finished variant and per latency measurement.
    """

    def __init__(self, total: int, plain: bool | None = None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._plain = not sys.stderr.isatty() if plain is None else plain
        self._total = total
        self._done = 0
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            transient=True,
            disable=self._plain,
        )
        self._task = self._progress.add_task("matrix", total=total)

    def __enter__(self) -> _Progress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def _line(self, text: str) -> None:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def build_started(self, build: Any) -> None:
        text = build if isinstance(build, str) else f"building {build.label()}"
        self._progress.update(self._task, description=text[:90])

    def build_done(self, build: Any, result: Any) -> None:
        if self._plain:
            state = "built" if result.ok else "build failed"
            self._line(f"{state:<12} {build.label()}  {result.seconds:.1f} s")

    def variant_done(self, variant: Any, record: VariantRecord, cached: bool) -> None:
        state = "cached" if cached else record.status.value
        self._done += 1
        self._progress.update(self._task, advance=1, description=f"{state}: {variant.label()[:70]}")
        if self._plain:
            size = f"{record.size:,} B" if record.size else "-"
            seconds = record.post_seconds
            took = "" if cached or seconds is None else f"  {seconds:.1f} s"
            why = f"  ({record.reason})" if record.reason else ""
            self._line(
                f"[{self._done}/{self._total}] {state:<7} {variant.label()}  {size}{took}{why}"
            )

    def latency_done(self, variant: Any, record: VariantRecord) -> None:
        if not self._plain:
            return
        parts = [f"{s.mode} {s.median_s * 1000:.2f} ms ({s.runs} runs)" for s in record.latency]
        text = ", ".join(parts) or (record.latency_error or "no result")
        same = f"  (same bytes as {record.same_as})" if record.same_as else ""
        self._line(f"latency      {variant.label()}: {text}{same}")


def _public(record: VariantRecord) -> dict[str, Any]:
    """A record's JSON form without its embedded analysis document (kept in the store)."""
    doc = record.to_json()
    doc.pop("analysis", None)
    return doc


def _summary(records: list[VariantRecord], built: int, reused: int, store: Path) -> None:
    from rich.table import Table

    console = stdout_console()
    table = Table(
        title=f"{len(records)} variants · {built} builds run · {reused} reused · store {store}",
        title_justify="left",
    )
    for col in ("variant", "status", "bytes", "build s", "note"):
        table.add_column(col, justify="right" if col in ("bytes", "build s") else "left")

    def order(r: VariantRecord) -> tuple[int, int]:
        return ({"ok": 0, "broken": 1}.get(r.status.value, 2), r.size or 0)

    for r in sorted(records, key=order):
        note = r.reason
        big = r.large_env_probe
        if not note and big is not None and not big.ok:
            note = f"large environment: {big.message}"
        if not note and r.probe is not None and r.probe.skipped:
            note = r.probe.message
        if not note and r.same_as:
            note = f"same bytes as {r.same_as}"
        table.add_row(
            escape(r.label),
            r.status.value,
            f"{r.size:,}" if r.size else "-",
            f"{r.build_seconds or 0:.1f}",
            escape(note),
        )
    console.print(table)

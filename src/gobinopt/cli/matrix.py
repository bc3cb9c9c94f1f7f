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


def _plan(file: Path | None, shard: str | None) -> Plan:
    from gobinopt.matrix import expand, load

    plan = expand(load(file or _default_matrix()))
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
        from gobinopt.matrix.run import Runner
        from gobinopt.store.sqlite import Store

        plan = _plan(file, shard)
        with Store(store) as db, _Progress(len(plan.variants)) as progress:
            summary = Runner(plan, db, jobs=jobs, force=force, observer=progress).run()
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "built": summary.built,
                        "reused": summary.reused,
                        "store": str(store),
                        "results": summary.records,
                    },
                    indent=2,
                )
            )
        else:
            _summary(summary.records, summary.built, summary.reused, store)
        skipped = [r for r in summary.records if r.get("status") == "skipped"]
        if summary.records and len(skipped) == len(summary.records):
            raise GobinoptError(
                f"nothing ran: {skipped[0].get('reason', 'skipped')}",
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

        plan = _plan(file, shard)
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
        from gobinopt.errors import InputNotFoundError
        from gobinopt.store.sqlite import Store

        with Store(out) as dest:
            for path in inputs:
                if not path.is_file():
                    raise InputNotFoundError(f"{path}: no such results store")
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
        from gobinopt.store.sqlite import Store, export_csv, export_json

        if not store.is_file():
            raise InputNotFoundError(
                f"{store}: no such results store", hint="run `gobinopt matrix run` first"
            )
        with Store(store) as db:
            records = db.records()
        sys.stdout.write(
            export_json(records) + "\n" if fmt is ExportFormat.json else export_csv(records)
        )


class _Progress:
    """A rich progress bar with the last finished variant's status."""

    def __init__(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            transient=True,
            disable=not sys.stderr.isatty(),
        )
        self._task = self._progress.add_task("matrix", total=total)

    def __enter__(self) -> _Progress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def build_started(self, build: Any) -> None:
        text = build if isinstance(build, str) else f"building {build.label()}"
        self._progress.update(self._task, description=text[:90])

    def variant_done(self, variant: Any, record: dict[str, Any], cached: bool) -> None:
        state = "cached" if cached else record.get("status", "?")
        self._progress.update(self._task, advance=1, description=f"{state}: {variant.label()[:70]}")


def _summary(records: list[dict[str, Any]], built: int, reused: int, store: Path) -> None:
    from rich.table import Table

    console = stdout_console()
    table = Table(
        title=f"{len(records)} variants · {built} builds run · {reused} reused · store {store}",
        title_justify="left",
    )
    for col in ("variant", "status", "bytes", "build s", "note"):
        table.add_column(col, justify="right" if col in ("bytes", "build s") else "left")

    def order(r: dict[str, Any]) -> tuple[int, int]:
        return ({"ok": 0, "broken": 1}.get(r.get("status", ""), 2), r.get("size") or 0)

    for r in sorted(records, key=order):
        note = r.get("reason", "")
        big = r.get("large_env_probe")
        if not note and isinstance(big, dict) and not big.get("ok"):
            note = f"large environment: {big.get('message')}"
        table.add_row(
            escape(str(r.get("label", r["variant_id"]))),
            r.get("status", "?"),
            f"{r['size']:,}" if r.get("size") else "-",
            f"{r.get('build_seconds', 0):.1f}",
            escape(str(note)),
        )
    console.print(table)

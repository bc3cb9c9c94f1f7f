"""``gobinopt probe``: start-up latency of a binary, warm and cold, as a table or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gobinopt.cli.console import StatusObserver, stdout_console
from gobinopt.errors import ExitStatus

if TYPE_CHECKING:
    from rich.console import Console

    from gobinopt.probe.interface import LatencyResult

EPILOG = (
    "Exit status: 0 every run exited as expected; 1 a run exited otherwise (the table still "
    "shows it); 2 usage error, including --drop-caches without root; 3 BINARY not found; "
    "4 BINARY not executable, or an --export-* file cannot be written; 130 interrupted."
)


def register(app: typer.Typer) -> None:
    """Add the probe command to ``app``."""

    @app.command(
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        epilog=EPILOG,
    )
    def probe(
        binary: str = typer.Argument(
            ...,
            metavar="BINARY",
            help="The executable to start (a path, or a name on PATH).",
            show_default=False,
        ),
        args: list[str] | None = typer.Argument(
            None,
            metavar="ARGS",
            help="Arguments of the probe command (put them after --).",
            show_default=False,
        ),
        cold: bool | None = typer.Option(
            None,
            "--cold/--warm",
            help="Only cold runs (the binary evicted from the page cache before each run) or "
            "only warm runs. Default: both, one row each.",
            show_default=False,
        ),
        drop_caches: bool = typer.Option(
            False,
            "--drop-caches",
            help="Cold runs drop the whole page cache (sync; echo 3 > /proc/sys/vm/"
            "drop_caches) instead of evicting only the binary. Needs root.",
        ),
        runs_min: int = typer.Option(10, "--runs-min", min=1, help="Measured runs at least."),
        runs_max: int = typer.Option(1000, "--runs-max", min=1, help="Measured runs at most."),
        budget: float = typer.Option(
            10.0, "--budget", min=0.001, help="Seconds of measuring per mode at most."
        ),
        warmup: int = typer.Option(3, "--warmup", min=0, help="Unmeasured runs first."),
        precision: float = typer.Option(
            0.02,
            "--precision",
            min=0.0,
            help="Stop once the median's ~95% interval (1.57·IQR/√runs) is within this share "
            "of the median.",
        ),
        expect_exit: int = typer.Option(
            0, "--expect-exit", help="The exit status of a successful run."
        ),
        timeout: float = typer.Option(
            10.0, "--timeout", min=0.001, help="Seconds before a run is killed."
        ),
        as_json: bool = typer.Option(
            False, "--json", help="Print the gobinopt.probe/v1 JSON document instead."
        ),
        export_json: Path | None = typer.Option(
            None,
            "--export-json",
            metavar="FILE",
            help="Also write the results as hyperfine's JSON (results: command, mean, stddev, "
            "median, min, max, times, …, plus mode, peak RSS and faults).",
        ),
        export_csv: Path | None = typer.Option(
            None,
            "--export-csv",
            metavar="FILE",
            help="Also write hyperfine's CSV (one row per mode).",
        ),
        export_markdown: Path | None = typer.Option(
            None,
            "--export-markdown",
            metavar="FILE",
            help="Also write a Markdown table like hyperfine's (Relative compares medians).",
        ),
    ) -> None:
        """Measure the start-up latency of BINARY (exec to exit), its peak RSS and page faults.

        Example: gobinopt probe ./mybinary -- -version
        """
        from gobinopt.observer import SILENT, Observer
        from gobinopt.probe.latency import measure, resolve_executable, to_document

        argv = [binary, *(args or [])]
        if drop_caches and cold is False:
            from gobinopt.errors import GobinoptError

            raise GobinoptError(
                "--drop-caches applies to cold runs only",
                hint="leave out --warm",
                status=ExitStatus.USAGE,
            )
        if drop_caches:
            from gobinopt.probe.latency import check_drop_caches

            check_drop_caches()
        modes = [False, True] if cold is None else [cold]
        exports = _check_exports(export_json, export_csv, export_markdown)
        from gobinopt.errors import BadInputError
        from gobinopt.paths import input_file

        def readable(path: str) -> None:
            if any(modes):  # cold runs open the binary to evict it from the page cache
                input_file(path, "binary", hint="cold runs read the binary; make it readable")

        try:
            path = resolve_executable(argv[0])
        except BadInputError:  # not executable: unreadable too is "cannot read" (exit 3)
            readable(argv[0])
            raise
        readable(path)
        observer = StatusObserver("probing") if not as_json and sys.stderr.isatty() else None

        def one(mode: bool, obs: Observer = SILENT) -> LatencyResult:
            return measure(
                argv,
                cold=mode,
                drop_caches=drop_caches and mode,
                runs_min=runs_min,
                runs_max=max(runs_max, runs_min),
                budget_s=budget,
                warmup=warmup,
                precision=precision,
                expect_exit=expect_exit,
                timeout_s=timeout,
                observer=obs,
            )

        results: list[LatencyResult] = []
        for mode in modes:
            if observer is not None:
                with observer:
                    results.append(one(mode, observer))
            else:
                results.append(one(mode))
        _write_exports(exports, results)
        if as_json:
            typer.echo(json.dumps(to_document(results), indent=2))
        else:
            render(results, stdout_console())
        if not all(r.ok for r in results):
            raise typer.Exit(int(ExitStatus.FAILURE))


def _check_exports(
    as_json: Path | None, as_csv: Path | None, as_markdown: Path | None
) -> list[tuple[str, Path]]:
    """The export files asked for, each checked to be writable before anything is measured."""
    from gobinopt.paths import output_file

    wanted = [("json", as_json), ("csv", as_csv), ("markdown", as_markdown)]
    return [(fmt, output_file(p, f"{fmt} export")) for fmt, p in wanted if p is not None]


def _write_exports(exports: list[tuple[str, Path]], results: list[LatencyResult]) -> None:
    from gobinopt.errors import BadInputError
    from gobinopt.probe.export import to_csv, to_json, to_markdown

    for fmt, path in exports:
        if fmt == "json":
            text = json.dumps(to_json(results), indent=2) + "\n"
        elif fmt == "csv":
            text = to_csv(results)
        else:
            text = to_markdown(results)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BadInputError(
                f"{path}: cannot write the {fmt} export ({exc.strerror})",
                hint="pass a path in a writable directory",
            ) from None


def duration(seconds: float) -> str:
    """Seconds with three significant digits in µs, ms or s."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def _kib(kb: float | None) -> str:
    if kb is None:
        return "n/a"
    return f"{kb / 1024:.1f} MiB"


def render(results: list[LatencyResult], console: Console) -> None:
    """Print one row per mode, then how it was measured and any failure."""
    from gobinopt.cli.console import Column, FitTable, Kind

    if not results:
        return
    first = results[0]
    numbers = ("median", "IQR", "min", "max", "runs", "peak RSS", "faults min/maj")
    table = FitTable(
        f"start-up latency of {' '.join(first.argv)}",
        [
            Column("mode", Kind.NAME),
            *(Column(c, Kind.NUMBER) for c in numbers),
            Column("stopped by", Kind.TEXT),
        ],
    )
    for r in results:
        mode = r.mode if not r.cold else f"cold ({r.eviction.value})"
        rss = _kib(r.peak_rss_kb_median)
        if r.peak_rss_kb_max is not None and r.peak_rss_kb_median != r.peak_rss_kb_max:
            rss += f" (max {_kib(r.peak_rss_kb_max)})"
        table.row(
            mode,
            duration(r.median_s),
            f"{duration(r.iqr_s)} ({100 * r.rel_iqr:.1f}%)",
            duration(r.min_s),
            duration(r.max_s),
            f"{r.runs} (+{r.warmup} warm-up)",
            rss,
            f"{r.minor_faults:g} / {r.major_faults:g}",
            r.stopped_because.value,
            styles=None if r.ok else {8: "red"},
        )
    console.print(table.render(console))
    if first.method.value == "launcher":
        console.print(
            f"timed by the launcher {first.launcher} (spawn → wait4, CLOCK_MONOTONIC); peak RSS "
            f"is the command's own ru_maxrss (launcher floor {_kib(first.rss_floor_kb)})"
        )
    else:
        console.print("timed from Python (posix_spawn → wait4); peak RSS " + first.rss_note)
    for r in results:
        if r.resident_after_eviction is not None and r.resident_after_eviction > 0:
            console.print(
                f"note: {100 * r.resident_after_eviction:.0f}% of the binary stayed in the page "
                "cache after eviction (tmpfs, or mapped by another process): cold is partly warm"
            )
        if not r.ok:
            counts = ", ".join(f"exit {code} × {n}" for code, n in r.exit_codes)
            console.print(f"[red]{r.mode}: {r.failure}[/] ({counts})")

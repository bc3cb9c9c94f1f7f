"""``gobinopt gate``: save a baseline of binaries, and check binaries against it and budgets.

Exit statuses of the gate: 0 within budget, 1 over budget, 2 when it cannot decide (every
:class:`~gobinopt.gate.interface.GateError`, including input errors that elsewhere in gobinopt
are 3 or 4 — see the README's gate section).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand

from gobinopt.cli.console import escape, stdout_console
from gobinopt.errors import ExitStatus, GobinoptError

if TYPE_CHECKING:
    from rich.console import Console

    from gobinopt.gate.decide import Target
    from gobinopt.gate.interface import GateResult

_PROBE_KEY = "gobinopt.gate.probe_args"


class _ProbeArgsCommand(TyperCommand):
    """Everything after ``--`` is the probe's argument list, not more BINARY arguments."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if "--" in args:
            cut = args.index("--")
            ctx.meta[_PROBE_KEY] = args[cut + 1 :]
            args = args[:cut]
        return list(super().parse_args(ctx, args))


def _undecided(exc: GobinoptError) -> GobinoptError:
    from gobinopt.gate.interface import GateError

    return exc if isinstance(exc, GateError) else GateError(exc.message, hint=exc.hint)


def _targets(
    binaries: list[Path], names: list[str], store: Path | None, probe: bool, ctx: typer.Context
) -> list[Target]:
    from dataclasses import replace

    from gobinopt.gate.baseline import measure_latency
    from gobinopt.gate.interface import GateError
    from gobinopt.gate.targets import binary_targets, store_targets

    if not binaries and store is None:
        raise GateError(
            "give BINARY... or --store S", hint="gobinopt gate check ./app --baseline b.json"
        )
    targets = binary_targets(binaries, names)
    if store is not None:
        if names and not binaries:
            raise GateError("--name applies to BINARY arguments, not to --store variants")
        targets += store_targets(store)
    if probe:
        args = list(ctx.meta.get(_PROBE_KEY, []))
        targets = [replace(t, latency=measure_latency([t.path, *args])) for t in targets]
    elif ctx.meta.get(_PROBE_KEY):
        raise GateError(
            "arguments after -- are the start-up probe's, but --probe is not given",
            hint="add --probe, e.g. --probe -- -version",
        )
    return targets


def _warn(message: str) -> None:
    sys.stderr.write(f"gobinopt: warning: {' '.join(message.split())}\n")


def register(app: typer.Typer) -> None:
    """Add the gate command group to ``app``."""
    gate = typer.Typer(
        help="CI size-regression gate: save a baseline, check binaries against it and budgets. "
        "Exit 0 within budget, 1 over budget, 2 when it cannot decide.",
        no_args_is_help=True,
    )
    app.add_typer(gate, name="gate")

    @gate.command("save", cls=_ProbeArgsCommand)
    def save(
        ctx: typer.Context,
        binaries: list[Path] = typer.Argument(None, help="Binaries to record.", show_default=False),
        baseline: Path = typer.Option(..., "--baseline", help="Baseline file to write (.gz ok)."),
        name: list[str] = typer.Option(
            [], "--name", help="Name of each BINARY in the baseline, in order (default: file name)."
        ),
        store: Path | None = typer.Option(
            None, "--store", help="Also record every ok variant of this `matrix run` store."
        ),
        probe: bool = typer.Option(
            False, "--probe", help="Measure warm start-up latency too; its arguments follow --."
        ),
    ) -> None:
        """Save the gate's baseline: the binaries given and/or every ok variant of --store."""
        from gobinopt.gate.targets import save as save_baseline
        from gobinopt.paths import output_file

        try:
            output_file(baseline, "gate baseline")
            targets = _targets(binaries or [], name, store, probe, ctx)
            entries = save_baseline(targets, baseline)
        except GobinoptError as exc:
            raise _undecided(exc) from None
        console = stdout_console()
        console.print(f"saved {len(entries)} binaries to {escape(str(baseline))}")
        for e in entries:
            lat = f", start-up {e.latency.median_s * 1000:.2f} ms" if e.latency else ""
            loaded = f"{e.loaded_size:,}" if e.loaded_size is not None else "?"
            console.print(
                f"  {escape(e.name)}: {e.size:,} bytes, loaded {loaded}{lat} ({escape(e.source)})"
            )

    @gate.command("check", cls=_ProbeArgsCommand)
    def check(
        ctx: typer.Context,
        binaries: list[Path] = typer.Argument(None, help="Binaries to gate.", show_default=False),
        baseline: Path = typer.Option(..., "--baseline", help="Baseline written by `gate save`."),
        name: list[str] = typer.Option(
            [], "--name", help="Baseline name of each BINARY, in order (default: file name)."
        ),
        store: Path | None = typer.Option(
            None, "--store", help="Also gate every ok variant of this `matrix run` store."
        ),
        config: Path | None = typer.Option(
            None,
            "--config",
            help="Budget file (default: gobinopt.toml [gate] or pyproject.toml "
            "[tool.gobinopt.gate], searched upwards to the repository root).",
        ),
        max_size: str | None = typer.Option(None, "--max-size", help="Largest file size."),
        growth_bytes: str | None = typer.Option(
            None, "--growth-bytes", help="File-size growth allowed (default 16KiB; off)."
        ),
        growth_percent: str | None = typer.Option(
            None, "--growth-percent", help="File-size growth allowed, in percent."
        ),
        loaded_max_size: str | None = typer.Option(
            None, "--loaded-max-size", help="Largest loaded size (bytes mapped at run time)."
        ),
        loaded_growth_bytes: str | None = typer.Option(
            None, "--loaded-growth-bytes", help="Loaded-size growth allowed."
        ),
        loaded_growth_percent: str | None = typer.Option(
            None, "--loaded-growth-percent", help="Loaded-size growth allowed, in percent."
        ),
        category_growth: list[str] = typer.Option(
            [], "--category-growth", help="CATEGORY=SIZE growth allowed per section category."
        ),
        package_growth_bytes: str | None = typer.Option(
            None, "--package-growth-bytes", help="Growth allowed for any one Go package."
        ),
        module_growth_bytes: str | None = typer.Option(
            None, "--module-growth-bytes", help="Growth allowed for any one module (std too)."
        ),
        new_module_bytes: str | None = typer.Option(
            None, "--new-module-bytes", help="Largest size of a module the baseline lacks."
        ),
        latency_growth_percent: str | None = typer.Option(
            None, "--latency-growth-percent", help="Warm start-up growth allowed, in percent."
        ),
        latency_growth_ms: str | None = typer.Option(
            None, "--latency-growth-ms", help="Warm start-up growth allowed, in milliseconds."
        ),
        improvement_bytes: str | None = typer.Option(
            None, "--improvement-bytes", help="Report a shrink of this size (default 16KiB)."
        ),
        top: str | None = typer.Option(None, "--top", help="Rows per level of 'what grew'."),
        missing_baseline: str = typer.Option(
            "fail",
            "--missing-baseline",
            help="fail (exit 2) or pass (with a warning) when there is no baseline.",
        ),
        accept: str | None = typer.Option(
            None, "--accept", help="Accept a growth over budget, with this reason (on record)."
        ),
        commit: str = typer.Option(
            "HEAD", "--commit", help="Commit whose Binary-Size: trailer accepts a growth."
        ),
        markdown: Path | None = typer.Option(
            None, "--markdown", help="Write the job summary here (e.g. $GITHUB_STEP_SUMMARY)."
        ),
        comment: Path | None = typer.Option(
            None, "--comment", help="Write the sticky pull-request comment body here."
        ),
        junit: Path | None = typer.Option(None, "--junit", help="Write JUnit XML here."),
        as_json: bool = typer.Option(
            False, "--json", help="Print the gobinopt.gate/v1 JSON document instead of tables."
        ),
        annotations: bool = typer.Option(
            False, "--annotations", help="Print GitHub ::error/::warning annotations."
        ),
        probe: bool = typer.Option(
            False, "--probe", help="Measure warm start-up latency; its arguments follow --."
        ),
    ) -> None:
        """Gate binaries against the baseline and the budgets: exit 0 within budget, 1 over
        budget, 2 when it cannot decide."""
        from gobinopt.gate.accept import find_acceptance
        from gobinopt.gate.budgets import (
            budgets_from,
            find_config,
            parse_category_flags,
            read_config,
        )
        from gobinopt.gate.decide import check as run_check
        from gobinopt.gate.interface import GateError
        from gobinopt.paths import output_file

        try:
            if missing_baseline not in ("fail", "pass"):
                raise GateError(
                    f"--missing-baseline {missing_baseline!r}: expected fail or pass",
                    hint="--missing-baseline pass for the first run of a repository",
                )
            for path, what in ((markdown, "job summary"), (comment, "comment"), (junit, "JUnit")):
                if path is not None:
                    output_file(path, what)
            config_path = config or find_config(Path.cwd())
            table = read_config(config_path) if config_path is not None else {}
            flags: dict[str, object] = {
                key: value
                for key, value in {
                    "max_size": max_size,
                    "growth_bytes": growth_bytes,
                    "growth_percent": growth_percent,
                    "loaded_max_size": loaded_max_size,
                    "loaded_growth_bytes": loaded_growth_bytes,
                    "loaded_growth_percent": loaded_growth_percent,
                    "package_growth_bytes": package_growth_bytes,
                    "module_growth_bytes": module_growth_bytes,
                    "new_module_bytes": new_module_bytes,
                    "latency_growth_percent": latency_growth_percent,
                    "latency_growth_ms": latency_growth_ms,
                    "improvement_bytes": improvement_bytes,
                    "top": top,
                }.items()
                if value is not None
            }
            if category_growth:
                flags["categories"] = parse_category_flags(category_growth)
            budgets = budgets_from(table, flags)
            targets = _targets(binaries or [], name, store, probe, ctx)
            result = run_check(
                targets,
                baseline,
                budgets,
                missing_baseline_pass=missing_baseline == "pass",
                acceptance=find_acceptance(accept, Path.cwd(), commit),
            )
        except GobinoptError as exc:
            raise _undecided(exc) from None
        _write_outputs(result, markdown, comment, junit)
        if annotations:
            from gobinopt.gate.annotations import workflow_commands as lines

            out = sys.stderr if as_json else sys.stdout
            for line in lines(result):
                out.write(line + "\n")
            out.flush()
        for w in result.warnings:
            _warn(w)
        if as_json:
            from gobinopt.gate.document import to_document

            typer.echo(json.dumps(to_document(result), indent=2))
        else:
            render(result, stdout_console())
        if result.status is not ExitStatus.OK:
            raise typer.Exit(int(result.status))


def _write_outputs(
    result: GateResult, markdown: Path | None, comment: Path | None, junit: Path | None
) -> None:
    from gobinopt.gate import markdown as md
    from gobinopt.gate.junit import to_junit

    for path, text in (
        (markdown, md.summary(result) if markdown else ""),
        (comment, md.comment(result) if comment else ""),
        (junit, to_junit(result) if junit else ""),
    ):
        if path is None:
            continue
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            from gobinopt.gate.interface import GateError

            raise GateError(
                f"{path}: cannot write ({exc.strerror})", hint="pass a writable path"
            ) from None


def _table(title: str, *columns: str) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for col in columns:
        numeric = col in ("size", "Δ bytes", "Δ %", "old", "new", "limit", "actual")
        table.add_column(col, justify="right" if numeric else "left")
    return table


def render(result: GateResult, console: Console) -> None:
    """The terminal report: one row per binary, then each binary's budgets and what grew."""
    from gobinopt.gate.interface import Outcome, Verdict

    style = {
        Verdict.PASS: "green",
        Verdict.FAIL: "bold red",
        Verdict.ACCEPTED: "yellow",
        Verdict.NO_BASELINE: "yellow",
    }
    overview = _table("Binary size gate", "binary", "verdict", "size", "Δ bytes", "Δ %")
    for d in result.decisions:
        delta = "—" if d.delta is None else f"{d.delta:+,}"
        share = "—" if d.delta is None or not d.old_size else f"{100 * d.delta / d.old_size:+.2f}%"
        overview.add_row(
            escape(d.name),
            f"[{style[d.verdict]}]{d.verdict.value}[/]",
            f"{d.new_size:,}",
            delta,
            share,
        )
    console.print(overview)
    for d in result.decisions:
        checks = _table(f"{escape(d.name)}: budgets", "budget", "limit", "actual", "result")
        for c in d.checks:
            mark = {Outcome.PASS: "pass", Outcome.FAIL: "[bold red]FAIL[/]", Outcome.SKIP: "skip"}
            checks.add_row(escape(c.budget), escape(c.limit), escape(c.actual), mark[c.outcome])
        if d.checks:
            console.print(checks)
        for c in d.failed:
            console.print(f"  [bold]{escape(c.budget)}[/]: {escape(c.message)}", soft_wrap=True)
        if d.grew:
            grew = _table(f"{escape(d.name)}: what grew", "level", "name", "old", "new", "Δ bytes")
            for ch in d.grew:
                old = "—" if ch.old is None else f"{ch.old:,}"
                new = "—" if ch.new is None else f"{ch.new:,}"
                label = ch.name + (f" {ch.new_version}" if ch.new_version else "")
                grew.add_row(
                    ch.level,
                    escape(label) + (f" {ch.mark}" if ch.mark else ""),
                    old,
                    new,
                    f"{ch.delta:+,}",
                )
            console.print(grew)
        if d.improved:
            console.print(f"  improvement: {escape(d.name)} shrank by {-(d.delta or 0):,} bytes")
            for ch in d.shrank[:5]:
                console.print(f"    {ch.level} {escape(ch.name)} {ch.delta:+,}")
        for w in d.warnings:
            console.print(f"  [yellow]warning[/]: {escape(w)}", soft_wrap=True)
    acc = result.acceptance
    if acc is not None:
        console.print(
            f"[yellow]over budget, growth accepted[/] ({escape(acc.origin)}): {escape(acc.reason)}",
            soft_wrap=True,
        )
    verdict = result.verdict
    console.print(f"gate: [{style[verdict]}]{verdict.value}[/]")

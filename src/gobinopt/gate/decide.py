"""Decisions: every configured budget applied to every binary, and the gate's verdict.

The figures come from the diff engine: the baseline entry's ``explain`` document and the fresh
binary become two :class:`~gobinopt.diff.interface.Side` records, compared by
:func:`gobinopt.diff.compare.compare`; its levels name what grew (categories, modules,
packages, functions). How the budgets combine is documented in :mod:`gobinopt.gate.budgets`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from gobinopt.errors import GobinoptError
from gobinopt.gate.baseline import read_baseline, read_binary, side_of
from gobinopt.gate.budgets import percent_allowance, within
from gobinopt.gate.interface import (
    Acceptance,
    Baseline,
    BaselineEntry,
    BinaryDecision,
    Budgets,
    Change,
    Check,
    GateError,
    GateResult,
    Latency,
    Outcome,
    Verdict,
)

if TYPE_CHECKING:
    from gobinopt.diff.interface import Diff, Level, Side

#: Differences that any two commits have (vcs stamps, dependency versions: the change under
#: test) or that follow from the code change itself (how many file names, how much debug
#: information): no reason to warn that the baseline was built differently.
_EXPECTED_KEYS = (
    "vcs.",
    "dep ",
    "main module",
    "absolute file names in .gopclntab",
    "debug information",
)
#: Levels of the "what grew" report, in report order.
_REPORT_LEVELS = ("categories", "modules", "packages", "functions")


@dataclass(frozen=True, slots=True)
class Target:
    """A binary to gate: its name in the baseline, its path, and an optional latency."""

    name: str
    path: str
    #: Shown in reports (a path, or ``store:VARIANT``); the path when empty.
    source: str = ""
    latency: Latency | None = None


def _b(n: int) -> str:
    return f"{n:,} bytes"


def _signed(n: int) -> str:
    return f"{n:+,} bytes"


def pct(delta: int, base: int | None) -> str:
    """A delta in percent of ``base``, two decimals, or "" without a base."""
    if not base:
        return ""
    return f"{100 * delta / base:+.2f} %"


def _growth_actual(delta: int, base: int) -> str:
    p = pct(delta, base)
    return f"{_signed(delta)} ({p})" if p else _signed(delta)


def _pass_or_fail(ok: bool) -> Outcome:
    return Outcome.PASS if ok else Outcome.FAIL


def _skip(budget: str, limit: str, why: str) -> Check:
    return Check(budget, limit, "-", Outcome.SKIP, why)


def _max_check(budget: str, what: str, limit: int, size: int | None) -> Check:
    if size is None:
        return _skip(budget, _b(limit), f"the {what} is not known for this binary")
    ok = size <= limit
    verb = "within" if ok else "over"
    return Check(
        budget,
        _b(limit),
        _b(size),
        _pass_or_fail(ok),
        f"{what} {size:,} bytes is {verb} the maximum of {limit:,}"
        + ("" if ok else f" by {size - limit:,}"),
        excess=max(0, size - limit),
    )


def _growth_check(
    budget: str, what: str, old: int | None, new: int | None, allowance: int, limit: str
) -> Check:
    if old is None or new is None:
        return _skip(budget, limit, f"the {what} is not known on both sides")
    delta = new - old
    ok = within(delta, allowance)
    if delta <= 0:
        message = f"{what} did not grow ({_signed(delta)})"
    elif ok:
        message = f"{what} grew {delta:,} bytes, within the allowance of {allowance:,}"
    else:
        message = (
            f"{what} grew {delta:,} bytes, over the allowance of {allowance:,} "
            f"by {delta - allowance:,}"
        )
    return Check(
        budget,
        limit,
        _growth_actual(delta, old),
        _pass_or_fail(ok),
        message,
        excess=max(0, delta - allowance),
    )


def _size_checks(
    b: Budgets, prefix: str, what: str, old: int | None, new: int | None, has_base: bool
) -> list[Check]:
    max_size = b.loaded_max_size if prefix else b.max_size
    growth_bytes = b.loaded_growth_bytes if prefix else b.growth_bytes
    growth_percent = b.loaded_growth_percent if prefix else b.growth_percent
    out: list[Check] = []
    if max_size is not None:
        out.append(_max_check(f"{prefix}max_size", what, max_size, new))
    if growth_bytes is not None:
        key = f"{prefix}growth_bytes"
        if not has_base:
            out.append(_skip(key, _b(growth_bytes), "no baseline to grow from"))
        else:
            out.append(_growth_check(key, what, old, new, growth_bytes, _b(growth_bytes)))
    if growth_percent is not None:
        key = f"{prefix}growth_percent"
        limit = f"{growth_percent:g} %"
        if not has_base:
            out.append(_skip(key, limit, "no baseline to grow from"))
        elif old is None:
            out.append(_skip(key, limit, f"the {what} is not known on both sides"))
        else:
            allowance = percent_allowance(old, growth_percent)
            out.append(_growth_check(key, what, old, new, allowance, f"{limit} = {_b(allowance)}"))
    return out


def _rows_check(
    budget: str, noun: str, limit: int, level: Level | None, pick: Callable[[int, int], int]
) -> Check:
    """A budget on every row of a level: fails when any row's figure (``pick(old, new)``)
    exceeds ``limit``; the offenders are named, largest first."""
    if level is None or not level.available:
        note = level.note if level is not None else "no baseline"
        return _skip(budget, _b(limit), f"{noun}s not compared: {note}")
    worst_name, worst = "", None
    offenders: list[tuple[int, str]] = []
    for row in level.rows:
        if row.explicit:
            continue
        figure = pick(-1 if row.old is None else row.old, -1 if row.new is None else row.new)
        if figure < 0:
            continue
        if worst is None or figure > worst:
            worst, worst_name = figure, row.name
        if figure > limit:
            offenders.append((figure, row.name))
    offenders.sort(key=lambda t: (-t[0], t[1]))
    if worst is None:
        return Check(budget, _b(limit), "-", Outcome.PASS, f"no {noun} to check")
    named = ", ".join(f"{name} {fig:+,}" for fig, name in offenders[:5])
    more = f" and {len(offenders) - 5} more" if len(offenders) > 5 else ""
    if offenders:
        message = f"{len(offenders)} {noun}(s) over {limit:,} bytes: {named}{more}"
    else:
        message = f"largest: {worst_name or '(none)'} {worst:+,} bytes, within {limit:,}"
    return Check(
        budget,
        _b(limit),
        f"{worst_name} {worst:+,}" if worst_name else f"{worst:+,}",
        _pass_or_fail(not offenders),
        message,
        excess=max(0, worst - limit),
        offenders=tuple(name for _, name in offenders),
    )


def _growth_of(old: int, new: int) -> int:
    return new - max(old, 0) if new >= 0 else -1


def _new_size(old: int, new: int) -> int:
    return new if old < 0 and new >= 0 else -1


def _latency_checks(b: Budgets, old: Latency | None, new: Latency | None) -> list[Check]:
    out: list[Check] = []
    wanted = [
        ("latency_growth_ms", b.latency_growth_ms, f"{b.latency_growth_ms or 0:g} ms"),
        (
            "latency_growth_percent",
            b.latency_growth_percent,
            f"{b.latency_growth_percent or 0:g} %",
        ),
    ]
    for key, value, limit in wanted:
        if value is None:
            continue
        if old is None or new is None:
            which = "the baseline" if old is None else "this run"
            out.append(_skip(key, limit, f"start-up latency not probed in {which}"))
            continue
        delta_ms = (new.median_s - old.median_s) * 1000
        allowed_ms = value if key.endswith("_ms") else old.median_s * 1000 * value / 100
        ok = delta_ms <= allowed_ms
        out.append(
            Check(
                key,
                limit,
                f"{delta_ms:+.3f} ms ({pct(round(delta_ms * 1000), round(old.median_s * 1e6))})",
                _pass_or_fail(ok),
                f"warm start-up median {old.median_s * 1000:.3f} → {new.median_s * 1000:.3f} ms, "
                f"{'within' if ok else 'over'} the allowance of {allowed_ms:.3f} ms",
                excess=max(0, round((delta_ms - allowed_ms) * 1000)),
            )
        )
    return out


def _changes(diff: Diff, top: int, sign: int) -> tuple[Change, ...]:
    out: list[Change] = []
    for name in _REPORT_LEVELS:
        try:
            level = diff.level(name)
        except KeyError:
            continue
        if not level.available:
            continue
        rows = [
            r
            for r in (*level.rows, *level.rest)
            if r.delta * sign > 0 and (name == "categories" or not r.explicit)
        ]
        rows.sort(key=lambda r: (-abs(r.delta), r.name))
        out.extend(
            Change(name, r.name, r.old, r.new, r.old_version, r.new_version)
            for r in (rows[:top] if top > 0 else rows)
        )
    return tuple(out)


def _setting_differences(diff: Diff) -> tuple[str, ...]:
    out = []
    for s in diff.settings:
        if s.key.startswith(_EXPECTED_KEYS):
            continue
        out.append(
            f"{s.key}: {s.old if s.old is not None else '(none)'} → "
            f"{s.new if s.new is not None else '(none)'}"
        )
    return tuple(out)


def decide_binary(
    target: Target,
    side: Side,
    entry: BaselineEntry | None,
    base_side: Side | None,
    budgets: Budgets,
) -> BinaryDecision:
    """Apply every budget to one binary. Without a baseline entry only the absolute budgets
    (``max_size``, ``loaded_max_size``) can fail; the rest are skipped."""
    from gobinopt.diff.compare import compare

    source = target.source or target.path
    has_base = entry is not None and base_side is not None
    diff = compare(base_side, side) if base_side is not None else None
    old_size = base_side.file_size if base_side is not None else None
    old_loaded = base_side.loaded_size if base_side is not None else None
    checks = _size_checks(budgets, "", "file size", old_size, side.file_size, has_base)
    checks += _size_checks(
        budgets, "loaded_", "loaded size", old_loaded, side.loaded_size, has_base
    )
    for category, limit in budgets.categories:
        key = f"categories.{category}"
        if base_side is None:
            checks.append(_skip(key, _b(limit), "no baseline to grow from"))
            continue
        checks.append(
            _growth_check(
                key,
                f"{category} bytes",
                base_side.category_bytes(category),
                side.category_bytes(category),
                limit,
                _b(limit),
            )
        )
    levels = {lv.name.value: lv for lv in diff.levels} if diff is not None else {}
    if budgets.package_growth_bytes is not None:
        checks.append(
            _rows_check(
                "package_growth_bytes",
                "package",
                budgets.package_growth_bytes,
                levels.get("packages"),
                _growth_of,
            )
        )
    if budgets.module_growth_bytes is not None:
        checks.append(
            _rows_check(
                "module_growth_bytes",
                "module",
                budgets.module_growth_bytes,
                levels.get("modules"),
                _growth_of,
            )
        )
    if budgets.new_module_bytes is not None:
        checks.append(
            _rows_check(
                "new_module_bytes",
                "new module",
                budgets.new_module_bytes,
                levels.get("modules"),
                _new_size,
            )
        )
    old_latency = entry.latency if entry is not None else None
    if has_base:
        checks += _latency_checks(budgets, old_latency, target.latency)
    failed = any(c.outcome is Outcome.FAIL for c in checks)
    if failed:
        verdict = Verdict.FAIL
    elif not has_base:
        verdict = Verdict.NO_BASELINE
    else:
        verdict = Verdict.PASS
    warnings: list[str] = []
    settings: tuple[str, ...] = ()
    grew: tuple[Change, ...] = ()
    shrank: tuple[Change, ...] = ()
    improved = False
    if diff is not None:
        settings = _setting_differences(diff)
        if settings:
            warnings.append(
                "the baseline was built differently, so part of the change may not be code: "
                + "; ".join(settings[:6])
                + (f"; and {len(settings) - 6} more" if len(settings) > 6 else "")
            )
        warnings.extend(diff.warnings)
        warnings.extend(diff.notes)
        grew = _changes(diff, budgets.top, +1)
        delta = side.file_size - (old_size or 0)
        improved = budgets.improvement_bytes > 0 and -delta >= budgets.improvement_bytes
        if improved:
            shrank = _changes(diff, budgets.top, -1)
    else:
        warnings.append(
            f"{target.name}: no baseline entry, so only absolute budgets were checked "
            "(--missing-baseline pass)"
        )
    return BinaryDecision(
        name=target.name,
        source=source,
        verdict=verdict,
        checks=tuple(checks),
        old_size=old_size,
        new_size=side.file_size,
        old_loaded=old_loaded,
        new_loaded=side.loaded_size,
        old_latency_s=old_latency.median_s if old_latency is not None else None,
        new_latency_s=target.latency.median_s if target.latency is not None else None,
        grew=grew,
        shrank=shrank,
        settings=settings,
        warnings=tuple(warnings),
        improved=improved,
    )


def apply_acceptance(result: GateResult, acceptance: Acceptance | None) -> GateResult:
    """Turn every failing binary into an accepted one when a growth was put on record."""
    if acceptance is None:
        return result
    decisions = tuple(
        replace(d, verdict=Verdict.ACCEPTED) if d.verdict is Verdict.FAIL else d
        for d in result.decisions
    )
    return replace(result, decisions=decisions, acceptance=acceptance)


def check(
    targets: Sequence[Target],
    baseline_path: Path,
    budgets: Budgets,
    *,
    missing_baseline_pass: bool = False,
    acceptance: Acceptance | None = None,
) -> GateResult:
    """Gate ``targets`` against the baseline at ``baseline_path``.

    Raises GateError (exit 2) when it cannot decide: a binary is not there or unreadable, the
    baseline is missing (unless ``missing_baseline_pass``), unreadable, corrupt or of an
    unknown schema, or has no entry for a binary (unless ``missing_baseline_pass``).
    """
    from gobinopt.paths import input_file

    if not targets:
        raise GateError("no binary to gate", hint="pass BINARY... or --store S")
    names = [t.name for t in targets]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise GateError(
            f"two binaries are called {dupes[0]!r}", hint="give each one a --name, in order"
        )
    for t in targets:
        try:
            input_file(t.path, "binary", "check the path of the binary to gate")
        except GobinoptError as exc:  # InputNotFoundError: the gate says 2, not 3
            raise GateError(exc.message, hint="build the binary before gating it") from None
    gate_warnings: list[str] = []
    baseline: Baseline | None = None
    if missing_baseline_pass and not baseline_path.exists():
        gate_warnings.append(
            f"no baseline at {baseline_path}: nothing was compared (--missing-baseline pass); "
            "only absolute budgets were checked — save a baseline on the main branch"
        )
    else:
        baseline = read_baseline(baseline_path)
    decisions = []
    for t in targets:
        entry = baseline.entry(t.name) if baseline is not None else None
        if baseline is not None and entry is None:
            if not missing_baseline_pass:
                known = ", ".join(e.name for e in baseline.entries) or "none"
                raise GateError(
                    f"{baseline_path}: no baseline entry called {t.name!r} (it has: {known})",
                    hint="name the binary with --name, or pass --missing-baseline pass for a "
                    "binary that is new",
                )
            gate_warnings.append(f"{t.name}: not in the baseline (--missing-baseline pass)")
        base_side = side_of(entry, str(baseline_path)) if entry is not None else None
        _, side = read_binary(t.path, t.source or t.path)
        decisions.append(decide_binary(t, side, entry, base_side, budgets))
    if baseline is not None:
        unchecked = [e.name for e in baseline.entries if e.name not in names]
        if unchecked:
            gate_warnings.append(
                f"baseline entries not checked in this run: {', '.join(unchecked)}"
            )
    result = GateResult(
        baseline=str(baseline_path),
        budgets=budgets,
        decisions=tuple(decisions),
        warnings=tuple(gate_warnings),
    )
    if result.verdict is Verdict.FAIL:
        return apply_acceptance(result, acceptance)
    return result

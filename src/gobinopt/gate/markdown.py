"""Markdown of a gate result: the job summary (``$GITHUB_STEP_SUMMARY``, at most 1 MiB) and one
sticky pull-request comment (a hidden marker line first, at most 65,536 characters).

Both are the same report: a verdict line, one row per binary, then per binary (failures first)
its budgets, what grew (categories, modules, packages), improvements and warnings, and last the
functions that grew, per binary in a ``<details>`` block (they can run to thousands of rows).
When a limit would be passed the report stops at a whole line, closes any open ``<details>``
and ends with a line saying how many rows and binaries were left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from gobinopt.gate.interface import BinaryDecision, Change, Check, GateResult, Outcome, Verdict

#: The first line of the sticky comment: the next run finds it and edits the comment.
MARKER = "<!-- gobinopt-gate -->"
#: GitHub's limits: a step summary is at most 1 MiB, a comment body 65,536 characters.
SUMMARY_LIMIT_BYTES = 1024 * 1024
COMMENT_LIMIT_CHARS = 65_536

_ICON = {
    Verdict.PASS: "✅",
    Verdict.FAIL: "❌",
    Verdict.ACCEPTED: "⚠️",
    Verdict.NO_BASELINE: "⚪",
}
_OUTCOME = {Outcome.PASS: "✅ pass", Outcome.FAIL: "❌ fail", Outcome.SKIP: "➖ skipped"}
_LEVEL = {"categories": "category", "modules": "module", "packages": "package"}


def _text(s: str) -> str:
    """Plain text for a table cell or a line: no HTML, no table breaks."""
    return (
        s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    ).replace("\n", " ")


def _code(s: str) -> str:
    s = s.replace("`", "'").replace("|", "\\|").replace("\n", " ")
    return f"`{s}`" if s else "`(none)`"


def _n(v: int | None) -> str:
    return "—" if v is None else f"{v:,}"


def _d(v: int | None) -> str:
    return "—" if v is None else f"{v:+,}"


def _pct(delta: int | None, base: int | None) -> str:
    if delta is None or not base:
        return "—"
    return f"{100 * delta / base:+.2f} %"


def _headline(result: GateResult) -> str:
    n = len(result.decisions)
    failed = sum(1 for d in result.decisions if d.verdict is Verdict.FAIL)
    accepted = sum(1 for d in result.decisions if d.verdict is Verdict.ACCEPTED)
    verdict = result.verdict
    icon = _ICON[verdict]
    if verdict is Verdict.FAIL:
        text = f"{failed} of {n} binaries over budget"
    elif verdict is Verdict.ACCEPTED:
        text = f"{accepted} of {n} binaries over budget, growth accepted"
    elif verdict is Verdict.NO_BASELINE:
        text = "no baseline: nothing compared (passes with a warning)"
    else:
        text = f"{n} {'binary' if n == 1 else 'binaries'} within budget"
    return f"## {icon} Binary size gate: {text}"


def _latency(d: BinaryDecision) -> str:
    if d.old_latency_s is None and d.new_latency_s is None:
        return "—"
    old = "—" if d.old_latency_s is None else f"{d.old_latency_s * 1000:.2f}"
    new = "—" if d.new_latency_s is None else f"{d.new_latency_s * 1000:.2f}"
    return f"{old} → {new} ms"


def _overview(result: GateResult) -> list[str]:
    lines = [
        "| binary | verdict | size | Δ bytes | Δ % | loaded Δ | start-up |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for d in result.decisions:
        loaded = (
            None if d.old_loaded is None or d.new_loaded is None else d.new_loaded - d.old_loaded
        )
        lines.append(
            f"| {_code(d.name)} | {_ICON[d.verdict]} {d.verdict.value} | {_n(d.new_size)} | "
            f"{_d(d.delta)} | {_pct(d.delta, d.old_size)} | {_d(loaded)} | {_latency(d)} |"
        )
    return lines


def _checks(checks: Iterable[Check]) -> list[str]:
    lines = ["| budget | limit | actual | result |", "|---|---:|---:|---|"]
    lines += [
        f"| {_code(c.budget)} | {_text(c.limit)} | {_text(c.actual)} | {_OUTCOME[c.outcome]} |"
        for c in checks
    ]
    return lines


def _change_rows(changes: Iterable[Change], with_level: bool) -> list[str]:
    head = (
        "| level | name | old | new | Δ bytes | |"
        if with_level
        else ("| function | old | new | Δ bytes | |")
    )
    sep = "|---|---|---:|---:|---:|---|" if with_level else "|---|---:|---:|---:|---|"
    lines = [head, sep]
    for c in changes:
        name = _code(c.name)
        if c.old_version or c.new_version:
            versions = c.new_version or c.old_version or ""
            if c.old_version and c.new_version and c.old_version != c.new_version:
                versions = f"{c.old_version} → {c.new_version}"
            name += f" {_text(versions)}"
        cells = [name, _n(c.old), _n(c.new), _d(c.delta), c.mark]
        if with_level:
            cells.insert(0, _LEVEL.get(c.level, c.level))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _binary(d: BinaryDecision) -> list[str]:
    head = f"### {_ICON[d.verdict]} {_code(d.name)}: {d.verdict.value}"
    if d.delta is not None:
        head += f" ({_n(d.old_size)} → {_n(d.new_size)} bytes, {_d(d.delta)}, "
        head += f"{_pct(d.delta, d.old_size)})"
    lines = ["", head, ""]
    for c in d.failed:
        lines.append(f"- **{_text(c.budget)}**: {_text(c.message)}")
    if d.failed:
        lines.append("")
    lines += _checks(d.checks)
    code_rows = [c for c in d.grew if c.level != "functions"]
    if code_rows:
        lines += ["", "**What grew**", "", *_change_rows(code_rows, True)]
    if d.improved:
        lines += ["", f"**Improvement**: {_d(d.delta)} bytes", ""]
        shrank = [c for c in d.shrank if c.level != "functions"]
        if shrank:
            lines += _change_rows(shrank, True)
    if d.warnings:
        lines.append("")
        lines += [f"- ⚠️ {_text(w)}" for w in d.warnings]
    return lines


def _order(decisions: Iterable[BinaryDecision]) -> list[BinaryDecision]:
    rank = {Verdict.FAIL: 0, Verdict.ACCEPTED: 1, Verdict.PASS: 2, Verdict.NO_BASELINE: 3}
    return sorted(decisions, key=lambda d: (rank[d.verdict], -abs(d.delta or 0), d.name))


def _lines(result: GateResult) -> list[tuple[str, str]]:
    """Every line of the report with the binary it belongs to ("" for the gate-wide part)."""
    out: list[tuple[str, str]] = [(line, "") for line in [_headline(result), ""]]
    acc = result.acceptance
    if acc is not None:
        out.append((f"> **Growth accepted** ({_text(acc.origin)}): {_text(acc.reason)}", ""))
        out.append(("", ""))
    out += [(line, "") for line in _overview(result)]
    if result.warnings:
        out.append(("", ""))
        out += [(f"- ⚠️ {_text(w)}", "") for w in result.warnings]
    ordered = _order(result.decisions)
    for d in ordered:
        out += [(line, d.name) for line in _binary(d)]
    # Function rows can run to thousands: they come last, so a cut loses them first.
    for d in ordered:
        funcs = [c for c in d.grew if c.level == "functions"]
        if funcs:
            out += [
                (line, d.name)
                for line in [
                    "",
                    f"<details><summary>{_text(d.name)}: functions that grew "
                    f"({len(funcs):,})</summary>",
                    "",
                    *_change_rows(funcs, False),
                    "",
                    "</details>",
                ]
            ]
    return out


def render(result: GateResult, limit: int, measure: Callable[[str], int], what: str) -> str:
    """The report cut to ``limit`` units of ``measure`` (whole lines), with a closing note
    naming how many table rows and binaries were left out."""
    lines = _lines(result)
    note_room = 400
    used = 0
    kept: list[str] = []
    open_details = 0
    cut_at = len(lines)
    for i, (line, _) in enumerate(lines):
        cost = measure(line) + 1
        if used + cost + note_room + open_details * 12 > limit:
            cut_at = i
            break
        kept.append(line)
        used += cost
        open_details += line.startswith("<details>") - (line == "</details>")
    if cut_at < len(lines):
        rest = lines[cut_at:]
        rows = sum(1 for line, _ in rest if line.startswith("| ") and not line.startswith("|--"))
        headers = sum(1 for line, _ in rest if line.startswith("| budget |"))
        headers += sum(1 for line, _ in rest if line.startswith(("| level |", "| function |")))
        cut_binary = lines[cut_at][1]
        untouched = {name for _, name in rest if name} - {cut_binary}
        kept += ["</details>"] * open_details
        kept += [
            "",
            f"> ✂️ Truncated to stay under {what}: {rows - headers:,} more table rows"
            + (f" and the details of {len(untouched):,} more binaries" if untouched else "")
            + " were left out. `gobinopt gate check --json` has the full report.",
        ]
    return "\n".join(kept) + "\n"


def summary(result: GateResult, limit: int = SUMMARY_LIMIT_BYTES) -> str:
    """The job summary: at most ``limit`` bytes of UTF-8."""
    return render(
        result,
        limit,
        lambda s: len(s.encode("utf-8")),
        f"the {limit:,}-byte limit of a job summary",
    )


def comment(result: GateResult, limit: int = COMMENT_LIMIT_CHARS) -> str:
    """The sticky pull-request comment: the marker line, then the report, at most ``limit``
    characters in all."""
    body = render(
        result,
        limit - len(MARKER) - 1,
        len,
        f"the {limit:,}-character limit of a pull-request comment",
    )
    return f"{MARKER}\n{body}"

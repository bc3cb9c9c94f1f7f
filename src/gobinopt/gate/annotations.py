"""GitHub workflow commands of a gate result: ``::error`` for budgets over their limit,
``::warning`` for warnings, ``::notice`` for improvements and accepted growth — at most
:data:`PER_KIND` of each kind (GitHub shows no more per step), the biggest first.

A kind with more than the limit ends with a plain line saying how many were left out.
"""

from __future__ import annotations

from gobinopt.gate.interface import GateResult, Verdict

#: GitHub displays at most 10 annotations of each kind per step.
PER_KIND = 10


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, title: str, message: str) -> str:
    """One workflow command line, escaped."""
    return f"::{kind} title={_escape_property(title)}::{_escape_data(message)}"


def _what_grew(result: GateResult, name: str) -> str:
    for d in result.decisions:
        if d.name == name:
            rows = [c for c in d.grew if c.level in ("modules", "packages")]
            top = sorted(rows, key=lambda c: -c.delta)[:4]
            if top:
                return "; grew most: " + ", ".join(
                    f"{c.name} {c.delta:+,}{' NEW' if c.mark == 'NEW' else ''}" for c in top
                )
    return ""


def workflow_commands(result: GateResult, per_kind: int = PER_KIND) -> list[str]:
    """The workflow command lines, errors first, each kind biggest first and capped."""
    errors: list[tuple[int, str]] = []
    warnings: list[tuple[int, str]] = []
    notices: list[tuple[int, str]] = []
    for d in result.decisions:
        size = abs(d.delta or 0)
        for c in d.failed:
            text = f"{d.name}: {c.budget}: {c.message}{_what_grew(result, d.name)}"
            if d.verdict is Verdict.ACCEPTED and result.acceptance is not None:
                notices.append(
                    (
                        c.excess,
                        command(
                            "notice",
                            f"size growth accepted: {d.name}",
                            f"{text} — accepted: {result.acceptance.reason}",
                        ),
                    )
                )
            else:
                errors.append((c.excess, command("error", f"size budget: {d.name}", text)))
        for w in d.warnings:
            warnings.append((size, command("warning", f"size gate: {d.name}", w)))
        if d.improved:
            notices.append(
                (size, command("notice", f"size improvement: {d.name}", f"shrank {size:,} bytes"))
            )
    for w in result.warnings:
        warnings.append((1 << 62, command("warning", "size gate", w)))
    out: list[str] = []
    for kind, items in (("error", errors), ("warning", warnings), ("notice", notices)):
        items.sort(key=lambda t: -t[0])
        out.extend(line for _, line in items[:per_kind])
        if len(items) > per_kind:
            out.append(
                f"gobinopt gate: {len(items) - per_kind} more {kind} annotations left out "
                "(see the job summary)"
            )
    return out

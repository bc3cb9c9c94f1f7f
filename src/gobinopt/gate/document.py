"""The ``gate check --json`` document (schema ``gobinopt.gate/v1``, docs/gate-schema.md).

Plain dicts and lists only; every figure a table, a comment or a JUnit file shows is here.
"""

from __future__ import annotations

from typing import Any

from gobinopt.gate.budgets import describe
from gobinopt.gate.interface import REPORT_SCHEMA, BinaryDecision, Change, Check, GateResult


def _check(c: Check) -> dict[str, Any]:
    return {
        "budget": c.budget,
        "limit": c.limit,
        "actual": c.actual,
        "outcome": c.outcome.value,
        "message": c.message,
        "excess": c.excess,
        "offenders": list(c.offenders),
    }


def _change(c: Change) -> dict[str, Any]:
    return {
        "level": c.level,
        "name": c.name,
        "old": c.old,
        "new": c.new,
        "delta": c.delta,
        "mark": c.mark or "changed",
        "old_version": c.old_version,
        "new_version": c.new_version,
    }


def _decision(d: BinaryDecision) -> dict[str, Any]:
    return {
        "name": d.name,
        "source": d.source,
        "verdict": d.verdict.value,
        "size": {"old": d.old_size, "new": d.new_size, "delta": d.delta},
        "loaded_size": {
            "old": d.old_loaded,
            "new": d.new_loaded,
            "delta": None
            if d.old_loaded is None or d.new_loaded is None
            else d.new_loaded - d.old_loaded,
        },
        "latency_s": {"old": d.old_latency_s, "new": d.new_latency_s},
        "checks": [_check(c) for c in d.checks],
        "grew": [_change(c) for c in d.grew],
        "improved": d.improved,
        "shrank": [_change(c) for c in d.shrank],
        "settings": list(d.settings),
        "warnings": list(d.warnings),
    }


def to_document(result: GateResult) -> dict[str, Any]:
    """The JSON-ready document of a gate result."""
    acc = result.acceptance
    return {
        "schema": REPORT_SCHEMA,
        "verdict": result.verdict.value,
        "exit_status": int(result.status),
        "baseline": result.baseline,
        "accepted": None if acc is None else {"reason": acc.reason, "origin": acc.origin},
        "budgets": dict(describe(result.budgets)),
        "warnings": list(result.warnings),
        "binaries": [_decision(d) for d in result.decisions],
    }

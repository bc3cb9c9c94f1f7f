"""JUnit XML of a gate result: one ``<testcase>`` per binary and budget.

``classname`` is ``gobinopt.gate.<binary>`` and ``name`` the budget key (``growth_bytes``,
``categories.DWARF``, …). A failed budget carries a ``<failure>`` with its one-line message and
what grew; a skipped one a ``<skipped>``; an accepted failure passes, with the reason in a
``gobinopt.accepted`` property and in ``<system-out>``. A binary without a baseline (and
``--missing-baseline pass``) and without absolute budgets gets one skipped ``baseline`` case.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from gobinopt.gate.interface import BinaryDecision, Check, GateResult, Outcome, Verdict


def _grew(d: BinaryDecision) -> str:
    lines = [f"{c.level} {c.name}: {c.delta:+,} bytes {c.mark}".rstrip() for c in d.grew[:30]]
    return "what grew:\n" + "\n".join(lines) if lines else ""


def _case(suite: ET.Element, d: BinaryDecision, c: Check, result: GateResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {"classname": f"gobinopt.gate.{d.name}", "name": c.budget, "time": "0"},
    )
    if c.outcome is Outcome.SKIP:
        ET.SubElement(case, "skipped", {"message": c.message})
        return
    if c.outcome is Outcome.FAIL:
        if d.verdict is Verdict.ACCEPTED and result.acceptance is not None:
            props = ET.SubElement(case, "properties")
            ET.SubElement(
                props, "property", {"name": "gobinopt.accepted", "value": result.acceptance.reason}
            )
            out = ET.SubElement(case, "system-out")
            out.text = (
                f"over budget, accepted ({result.acceptance.origin}): "
                f"{result.acceptance.reason}\n{c.message}"
            )
            return
        failure = ET.SubElement(
            case, "failure", {"message": f"{c.message}", "type": "gobinopt.gate.over-budget"}
        )
        failure.text = f"limit {c.limit}, actual {c.actual}\n{_grew(d)}".rstrip()


def to_junit(result: GateResult) -> str:
    """The JUnit XML document (UTF-8, with an XML declaration)."""
    suites = ET.Element("testsuites", {"name": "gobinopt gate"})
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for d in result.decisions:
        suite = ET.SubElement(suites, "testsuite", {"name": f"gobinopt.gate.{d.name}"})
        checks = list(d.checks)
        if not checks:
            checks = [Check("baseline", "-", "-", Outcome.SKIP, "no baseline entry and no budget")]
        for c in checks:
            _case(suite, d, c, result)
        tests = len(checks)
        failures = sum(
            1 for c in checks if c.outcome is Outcome.FAIL and d.verdict is not Verdict.ACCEPTED
        )
        skipped = sum(1 for c in checks if c.outcome is Outcome.SKIP)
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", str(skipped))
        totals["tests"] += tests
        totals["failures"] += failures
        totals["skipped"] += skipped
    for key, value in totals.items():
        suites.set(key, str(value))
    suites.set("errors", "0")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"

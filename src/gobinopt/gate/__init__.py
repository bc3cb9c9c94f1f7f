"""The CI size-regression gate: baselines, budgets, decisions and CI outputs.

``gate save`` writes a baseline (:mod:`.baseline`); ``gate check`` compares binaries with it
through the diff engine and applies the budgets (:mod:`.budgets`, :mod:`.decide`); the results
render as Markdown (:mod:`.markdown`), JUnit (:mod:`.junit`), workflow annotations
(:mod:`.annotations`) and JSON (:mod:`.document`).
"""

from gobinopt.gate.interface import (
    BASELINE_SCHEMA,
    REPORT_SCHEMA,
    Budgets,
    GateError,
    GateResult,
    Verdict,
)

__all__ = ["BASELINE_SCHEMA", "REPORT_SCHEMA", "Budgets", "GateError", "GateResult", "Verdict"]

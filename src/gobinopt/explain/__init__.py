"""``gobinopt explain``: where every byte of a binary goes and what each knob would save."""

from gobinopt.explain.analyze import explain
from gobinopt.explain.interface import (
    SCHEMA,
    Basis,
    CategoryTotal,
    CodeAttribution,
    Explanation,
    Saving,
)

__all__ = [
    "SCHEMA",
    "Basis",
    "CategoryTotal",
    "CodeAttribution",
    "Explanation",
    "Saving",
    "explain",
]

"""The article's claims (shared/seeds/004, a Chinese blog post on WSL binary sizes) beside the
measured figures, with an explanation computed from the section categories of the variants.

Each claim names two variants that differ only in the knob it talks about; the measured change
is the size difference between those two stored variants. Nothing here is a measurement: it
only compares stored records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gobinopt.report.interface import Point


@dataclass(frozen=True, slots=True)
class Claim:
    """One of the article's claims about native Linux (its "原生 Linux" column)."""

    knob: str
    #: The size change the article claims, in percent (None for a qualitative claim).
    claimed_pct: float | None
    quote: str
    #: The variant without the knob, then the one with it (spec field → value).
    before: dict[str, Any]
    after: dict[str, Any]


BASE = {"CGO_ENABLED": 0, "buildmode": "exe", "ldflags": "", "trimpath": False, "post": "none"}

CLAIMS: tuple[Claim, ...] = (
    Claim(
        "strip --strip-unneeded",
        -16.2,
        "strip: −16.2 % on native Linux (−18.7 % on WSL2)",
        BASE,
        {**BASE, "post": "strip"},
    ),
    Claim(
        "upx --best --lzma",
        -28.9,
        "upx --best: −28.9 % on native Linux (−31.5 % on WSL2)",
        BASE,
        {**BASE, "post": "upx"},
    ),
    Claim(
        "-buildmode=pie",
        -5.1,
        "buildmode=pie: −5.1 % on native Linux (−9.3 % on WSL2), "
        '"a more compact relocation structure"',
        BASE,
        {**BASE, "buildmode": "pie"},
    ),
    Claim(
        "pie → strip → upx",
        None,
        "the three stack: first pie, then strip, then upx",
        BASE,
        {**BASE, "buildmode": "pie", "post": "strip,upx"},
    ),
    Claim(
        "CGO_ENABLED=1 (dynamic) vs 0",
        102.7,
        "CGO_ENABLED=1: 22.7 MB vs 11.2 MB for CGO_ENABLED=0 (+103 %), .symtab 94 KB vs 18 KB",
        BASE,
        {**BASE, "CGO_ENABLED": 1},
    ),
    Claim(
        '-ldflags="-s -w"',
        None,
        "-s -w strips the symbol table and debug information",
        BASE,
        {**BASE, "ldflags": "-s -w"},
    ),
)


def _find(points: list[Point], want: dict[str, Any], environment: str) -> Point | None:
    for p in points:
        spec = p.spec.fields()
        if spec.get("environment") != environment:
            continue
        if all(spec.get(k) == v for k, v in want.items()):
            return p
    return None


def _why(before: Point, after: Point) -> str:
    """The categories whose bytes changed most between two variants, in words (the category
    level of `gobinopt diff`)."""
    from gobinopt.diff.compare import biggest_changes, compare_categories

    return biggest_changes(compare_categories(before.categories, after.categories))


def _verdict(claimed: float | None, measured: float) -> str:
    if claimed is None:
        return "holds (smaller)" if measured < 0 else "**does not hold** (not smaller)"
    if abs(measured) < 1 <= abs(claimed):
        return "**does not hold** (no measurable change)"
    if (claimed < 0) != (measured < 0):
        return "**does not hold** (opposite direction)"
    if abs(claimed - measured) <= 5:
        return "holds"
    return "direction holds, size differs"


def claims_table(
    points: list[Point], environment: str = "host", describe: Callable[[Point], str] | None = None
) -> str:
    """A Markdown table: claim, article, measured, verdict, explanation from the data."""
    rows = [
        "| knob | the article says | measured here | verdict | why (largest category "
        "changes, or the tool's message) |",
        "|---|---|---|---|---|",
    ]
    for claim in CLAIMS:
        before = _find(points, claim.before, environment)
        after = _find(points, claim.after, environment)
        if before is None or after is None:
            rows.append(f"| {claim.knob} | {claim.quote} | not in this matrix | – | – |")
            continue
        if not after.ok or before.size is None or after.size is None or not before.size:
            rows.append(
                f"| {claim.knob} | {claim.quote} | **broken**: "
                f"{after.reason.replace('|', '/')[:200]} | does not hold | "
                "the step fails on this variant |"
            )
            continue
        pct = 100 * (after.size - before.size) / before.size
        measured = f"{pct:+.1f} % ({before.size:,} → {after.size:,} B)"
        if after.warm_ms is not None and before.warm_ms is not None and before.warm_ms:
            measured += f"; warm start {before.warm_ms:.2f} → {after.warm_ms:.2f} ms"
        why = _why(before, after)
        verdict = _verdict(claim.claimed_pct, pct)
        if claim.claimed_pct is None and claim.knob.startswith("pie"):
            verdict = "works here" if after.ok else "does not hold"
        rows.append(f"| {claim.knob} | {claim.quote} | {measured} | {verdict} | {why} |")
    return "\n".join(rows)

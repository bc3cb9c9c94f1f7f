"""Sides from a results store: two variants of a `matrix run`, picked by variant id or by a
label selector, compared from what the store kept (no binary is read when the record carries
its analysis document)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from gobinopt.diff.interface import DiffError, Side, SourceKind
from gobinopt.diff.sides import load_side, side_from_document
from gobinopt.errors import ExitStatus
from gobinopt.results.interface import VariantRecord

#: Spec values a selector word need not name: among several matches, the variant that keeps
#: the most of these defaults is the one meant ("CGO_ENABLED=1 exe" is the plain build).
_DEFAULTS = {"ldflags": "", "post": "none", "trimpath": False, "tags": "", "GOAMD64": ""}


def _words(record: VariantRecord) -> set[str]:
    """What a selector word may equal: spec values, KEY=VALUE pairs, label words."""
    out: set[str] = set(record.label.replace("|", " ").split())
    for key, value in record.spec.fields().items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        out |= {text, f"{key}={text}"}
        if key == "post":
            out |= set(text.split(","))
        if key == "environment":
            out.add(f"[{text}]")
    return out


def select(records: Sequence[VariantRecord], selector: str, role: str) -> VariantRecord:
    """The one variant ``selector`` names: a variant id, or words that all describe it.

    Raises DiffError naming the side: no match (exit 4), or several equally plain matches
    (exit 2, listing them)."""
    exact = [r for r in records if r.variant_id == selector]
    if exact:
        return exact[-1]
    words = selector.split()
    matches = [r for r in records if words and set(words) <= _words(r)]
    if not matches:
        raise DiffError(
            f"{role}: no stored variant matches {selector!r}",
            hint="use a variant id or words of its label (`gobinopt matrix export` lists them)",
        )
    # Later rows win for the same variant id (a re-run replaces an older toolchain's row).
    latest = {r.variant_id: r for r in matches}
    scored = sorted(
        latest.values(),
        key=lambda r: -sum(r.spec.fields().get(k, d) == d for k, d in _DEFAULTS.items()),
    )
    best = scored[0]
    best_score = sum(best.spec.fields().get(k, d) == d for k, d in _DEFAULTS.items())
    ties = [
        r
        for r in scored
        if sum(r.spec.fields().get(k, d) == d for k, d in _DEFAULTS.items()) == best_score
    ]
    if len(ties) > 1:
        names = "; ".join(f"{r.variant_id} ({r.label})" for r in ties[:4])
        raise DiffError(
            f"{role}: {selector!r} matches {len(ties)} stored variants: {names}",
            hint="add words that tell them apart, or pass a variant id",
            status=ExitStatus.USAGE,
        )
    return best


def side_from_record(record: VariantRecord, source: str, role: str) -> Side:
    """The side of a stored variant: from its stored analysis document, else its artifact."""
    if not record.ok and not record.artifact:
        raise DiffError(
            f"{role}: stored variant {record.variant_id} is {record.status.value} "
            f"({record.reason or 'no artifact'})",
            hint="pick an ok variant",
        )
    if record.analysis:
        side = side_from_document(json.loads(record.analysis), source)
        side = replace(side, kind=SourceKind.STORED)
    elif record.artifact and os.path.isfile(record.artifact):
        side = replace(load_side(record.artifact, role), source=source, kind=SourceKind.STORED)
    else:
        raise DiffError(
            f"{role}: stored variant {record.variant_id} has no analysis (stored by an older "
            "gobinopt) and its artifact is gone",
            hint="rerun `gobinopt matrix run --force`, or diff the binaries themselves",
        )
    return replace(side, fingerprint=record.fingerprint)


def stored_sides(store: Path, old: str, new: str) -> tuple[Side, Side]:
    """The two variants ``old`` and ``new`` select in ``store``."""
    from gobinopt.paths import input_file
    from gobinopt.store.sqlite import Store

    input_file(store, "results store", "pass the --store of a `gobinopt matrix run`")
    with Store(store) as db:
        records = db.records()
    a = select(records, old, "old")
    b = select(records, new, "new")
    return (
        side_from_record(a, f"{store}:{a.variant_id}", "old"),
        side_from_record(b, f"{store}:{b.variant_id}", "new"),
    )

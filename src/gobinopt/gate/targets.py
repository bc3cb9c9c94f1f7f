"""What the gate reads: binaries named on the command line, or every ok variant of a results
store of ``gobinopt matrix run`` (named by its label, with the latency the run measured)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from gobinopt.errors import GobinoptError
from gobinopt.gate.baseline import latency_from_record
from gobinopt.gate.decide import Target
from gobinopt.gate.interface import BaselineEntry, GateError


def binary_targets(paths: Sequence[Path], names: Sequence[str]) -> list[Target]:
    """One target per path, named by ``names`` in order (default: the file name).

    Raises GateError (exit 2) when more names than binaries are given.
    """
    if len(names) > len(paths):
        raise GateError(
            f"{len(names)} --name values for {len(paths)} binaries",
            hint="give at most one --name per BINARY, in order",
        )
    return [
        Target(name=names[i] if i < len(names) else p.name, path=str(p))
        for i, p in enumerate(paths)
    ]


def store_targets(store: Path) -> list[Target]:
    """Every ok variant of a results store, named by its label.

    Raises GateError (exit 2) when the store is missing or unreadable, has no ok variant, or an
    ok variant's artifact file is gone.
    """
    from gobinopt.paths import input_file
    from gobinopt.store.sqlite import Store

    try:
        input_file(store, "results store", "pass the --store of a `gobinopt matrix run`")
        with Store(store) as s:
            records = s.records()
    except GobinoptError as exc:
        raise GateError(exc.message, hint=exc.hint) from None
    out: list[Target] = []
    for rec in records:
        if not rec.ok:
            continue
        artifact = rec.artifact
        label = rec.label or rec.variant_id
        if not artifact or not os.path.isfile(artifact):
            raise GateError(
                f"{store}: the artifact of variant {label!r} is gone ({artifact or 'no path'})",
                hint="rerun `gobinopt matrix run` with this --store to rebuild it",
            )
        out.append(
            Target(
                name=label,
                path=artifact,
                source=f"store:{rec.variant_id}",
                latency=latency_from_record(rec),
            )
        )
    if not out:
        raise GateError(
            f"{store}: no ok variant to gate", hint="run `gobinopt matrix run` with this --store"
        )
    return out


def save(targets: Sequence[Target], baseline: Path) -> list[BaselineEntry]:
    """Read every target once and write the baseline; returns its entries.

    Raises GateError (exit 2) when a binary is missing or unreadable, or two share a name.
    """
    from gobinopt.gate.baseline import snapshot, write_baseline

    if not targets:
        raise GateError("no binary to save", hint="pass BINARY... or --store S")
    entries = [
        snapshot(t.path, t.name, source=t.source or t.path, latency=t.latency).entry
        for t in targets
    ]
    write_baseline(baseline, entries)
    return entries

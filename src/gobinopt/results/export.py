"""The export formats of stored records: a versioned JSON document and a flat CSV, one column
list for `matrix export` and a report's results.csv."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from gobinopt.results.interface import SCHEMA, VariantRecord

#: Figures of each start-up latency measurement, as CSV columns ``<mode>_<figure>``: seconds,
#: run count, the program's own peak RSS (median and max, KiB) and page faults (medians).
LATENCY_FIGURES = (
    "median_s",
    "iqr_s",
    "q1_s",
    "q3_s",
    "min_s",
    "max_s",
    "runs",
    "peak_rss_kb",
    "peak_rss_kb_max",
    "minor_faults",
    "major_faults",
)
#: Spec columns, named as in the matrix file.
SPEC_COLUMNS = (
    "environment",
    "toolchain",
    "CGO_ENABLED",
    "buildmode",
    "ldflags",
    "trimpath",
    "tags",
    "GOARCH",
    "GOAMD64",
    "post",
)
#: Flat columns of the CSV export: record fields, spec, probes, warm and cold latency, then
#: how to rebuild it (``commands``, joined with " && ") and the identical variant it copies.
CSV_COLUMNS = (
    "variant_id",
    "label",
    "status",
    "reason",
    "size",
    "sha256",
    "build_seconds",
    *SPEC_COLUMNS,
    "probe",
    "large_env_probe",
    *(f"{mode}_{figure}" for mode in ("warm", "cold") for figure in LATENCY_FIGURES),
    "latency_error",
    "commands",
    "same_as",
)


def export_json(records: Sequence[VariantRecord]) -> str:
    """The records as a versioned JSON document (each record in its stored JSON form, without
    the embedded analysis document, which `gobinopt diff --store` reads from the store)."""
    results = []
    for r in records:
        doc = r.to_json()
        doc.pop("analysis", None)
        results.append(doc)
    return json.dumps({"schema": SCHEMA, "results": results}, indent=2, sort_keys=True)


def _cell(rec: VariantRecord, col: str) -> object:
    mode, _, figure = col.partition("_")
    if mode in ("warm", "cold") and figure in LATENCY_FIGURES:
        lat = rec.latency_of(mode)
        if lat is None:
            return None
        if figure == "peak_rss_kb":
            return lat.peak_rss_kb
        return getattr(lat, figure)
    if col in SPEC_COLUMNS:
        return rec.spec.fields().get(col, "")
    if col in ("probe", "large_env_probe"):
        probe = getattr(rec, col)
        return "" if probe is None else probe.message
    if col == "commands":
        return " && ".join(rec.commands)
    if col == "status":
        return rec.status.value
    return getattr(rec, col)


def export_csv(records: Sequence[VariantRecord]) -> str:
    """The records as CSV with a fixed header (the first column names the schema version);
    numbers are written as Python writes them, so they read back exactly as in the JSON."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["schema", *CSV_COLUMNS])
    for rec in records:
        row = [SCHEMA]
        for col in CSV_COLUMNS:
            value = _cell(rec, col)
            row.append("" if value is None else str(value))
        writer.writerow(row)
    return out.getvalue()

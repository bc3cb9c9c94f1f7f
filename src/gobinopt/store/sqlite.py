"""SQLite results store. WAL mode and a busy timeout let two runs share one file; each variant
is committed on its own as soon as it finishes, so a killed run loses nothing it completed.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gobinopt.errors import BadInputError

#: Version of the exported JSON/CSV documents.
EXPORT_SCHEMA = "gobinopt.results/v1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    key        TEXT PRIMARY KEY,
    matrix     TEXT NOT NULL,
    variant_id TEXT NOT NULL,
    label      TEXT NOT NULL,
    status     TEXT NOT NULL,
    size       INTEGER,
    sha256     TEXT,
    record     TEXT NOT NULL,
    created    REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS results_matrix ON results(matrix);
"""
#: Flat columns of the CSV export, taken from each record.
CSV_COLUMNS = (
    "variant_id",
    "label",
    "status",
    "reason",
    "size",
    "sha256",
    "build_seconds",
    "environment",
    "toolchain",
    "CGO_ENABLED",
    "buildmode",
    "ldflags",
    "trimpath",
    "post",
    "probe",
    "large_env_probe",
)


class Store:
    """A results store on disk."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(
                str(self.path), timeout=60, check_same_thread=False, isolation_level=None
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=60000")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise BadInputError(
                f"{self.path}: not a gobinopt results store ({exc})",
                hint="pass another --store path",
            ) from None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        # One connection serves every thread of a run: transactions must not interleave.
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def has(self, key: str) -> bool:
        """Whether a result for this content key is stored."""
        with self._lock:
            row = self._db.execute("SELECT 1 FROM results WHERE key = ?", (key,)).fetchone()
        return row is not None

    def get(self, key: str) -> dict[str, Any] | None:
        """The record stored under ``key``, or None."""
        with self._lock:
            row = self._db.execute("SELECT record FROM results WHERE key = ?", (key,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put(self, key: str, matrix: str, record: dict[str, Any]) -> None:
        """Store (or replace) one variant's result, committed immediately."""
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    matrix,
                    record["variant_id"],
                    record["label"],
                    record["status"],
                    record.get("size"),
                    record.get("sha256"),
                    json.dumps(record, sort_keys=True),
                    time.time(),
                ),
            )

    def records(self, matrix: str | None = None) -> list[dict[str, Any]]:
        """Stored records (of one matrix when given), oldest first."""
        with self._lock:
            if matrix is None:
                rows = self._db.execute("SELECT record FROM results ORDER BY created").fetchall()
            else:
                rows = self._db.execute(
                    "SELECT record FROM results WHERE matrix = ? ORDER BY created", (matrix,)
                ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def merge_from(self, other: Store) -> int:
        """Copy every row of ``other`` that this store lacks; returns how many were added."""
        rows = other._db.execute("SELECT * FROM results").fetchall()
        added = 0
        with self._tx() as db:
            for row in rows:
                cur = db.execute(
                    "INSERT OR IGNORE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row
                )
                added += cur.rowcount
        return added


def export_json(records: list[dict[str, Any]]) -> str:
    """The records as a versioned JSON document."""
    return json.dumps({"schema": EXPORT_SCHEMA, "results": records}, indent=2, sort_keys=True)


def export_csv(records: list[dict[str, Any]]) -> str:
    """The records as CSV with a fixed header (the first column names the schema version)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["schema", *CSV_COLUMNS])
    for rec in records:
        spec = rec.get("spec", {})
        row = [EXPORT_SCHEMA]
        for col in CSV_COLUMNS:
            value = rec.get(col, spec.get(col, ""))
            if isinstance(value, dict):
                value = value.get("message", "")
            row.append("" if value is None else str(value))
        writer.writerow(row)
    return out.getvalue()

"""SQLite results store. WAL mode and a busy timeout let two runs share one file; each variant
is committed on its own as soon as it finishes, so a killed run loses nothing it completed.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gobinopt.errors import BadInputError
from gobinopt.results.interface import ResultsError, VariantRecord

#: The store's own schema (``PRAGMA user_version``): 0 and 1 are stores written before the
#: typed record (their rows are ``gobinopt.results/v1`` dicts, read unchanged); 2 is this one.
STORE_VERSION = 2

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


class Store:
    """A results store on disk."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Opening a new store from several processes at once can find SQLite switching the
        # journal mode (which does not wait for a busy handler): retry for a while.
        deadline = time.monotonic() + 60
        while True:
            try:
                self._db = self._open()
                return
            except sqlite3.OperationalError as exc:
                locked = "locked" in str(exc) or "busy" in str(exc)
                if locked and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                if locked:
                    raise BadInputError(
                        f"{self.path}: results store stayed locked by another process ({exc})",
                        hint="wait for the other run to finish, or pass another --store",
                    ) from None
                raise BadInputError(
                    f"{self.path}: not a gobinopt results store ({exc})",
                    hint="pass another --store path",
                ) from None
            except sqlite3.DatabaseError as exc:
                raise BadInputError(
                    f"{self.path}: not a gobinopt results store ({exc})",
                    hint="pass another --store path",
                ) from None

    def _open(self) -> sqlite3.Connection:
        """Connect, refuse a newer schema, and create or mark the table (one transaction)."""
        db = sqlite3.connect(
            str(self.path), timeout=60, check_same_thread=False, isolation_level=None
        )
        try:
            db.execute("PRAGMA busy_timeout=60000")
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > STORE_VERSION:
                raise BadInputError(
                    f"{self.path}: results store of schema {version}, written by a newer "
                    f"gobinopt (this one reads schemas up to {STORE_VERSION})",
                    hint="upgrade gobinopt (pip install -U gobinopt), or pass another --store",
                )
            db.execute("PRAGMA journal_mode=WAL")
            if version < STORE_VERSION:
                # Create the table if new and mark the store's schema. Older rows stay as
                # they are: VariantRecord.from_json reads v1 dicts.
                db.executescript(
                    f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version = {STORE_VERSION};COMMIT;"
                )
        except BaseException:
            db.close()
            raise
        return db

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

    def get(self, key: str) -> VariantRecord | None:
        """The record stored under ``key``, or None."""
        with self._lock:
            row = self._db.execute("SELECT record FROM results WHERE key = ?", (key,)).fetchone()
        return None if row is None else _decode(row[0], self.path)

    def put(self, key: str, record: VariantRecord) -> None:
        """Store (or replace) one variant's result, committed immediately."""
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    record.matrix,
                    record.variant_id,
                    record.label,
                    record.status.value,
                    record.size,
                    record.sha256 or None,
                    json.dumps(record.to_json(), sort_keys=True),
                    time.time(),
                ),
            )

    def records(self, matrix: str | None = None) -> list[VariantRecord]:
        """Stored records (of one matrix when given), oldest first."""
        with self._lock:
            if matrix is None:
                rows = self._db.execute("SELECT record FROM results ORDER BY created").fetchall()
            else:
                rows = self._db.execute(
                    "SELECT record FROM results WHERE matrix = ? ORDER BY created", (matrix,)
                ).fetchall()
        return [_decode(r[0], self.path) for r in rows]

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


def _decode(text: str, path: Path) -> VariantRecord:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsError(
            f"{path}: a stored record is not valid JSON ({exc.msg})",
            hint="the results store is damaged; pass another --store or rerun the matrix",
        ) from None
    try:
        return VariantRecord.from_json(doc)
    except ResultsError as exc:
        raise ResultsError(f"{path}: {exc.message}", hint=exc.hint) from None

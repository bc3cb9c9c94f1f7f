"""The typed variant record and the results store: one JSON round trip, old stores read with
nothing lost, stores of a newer schema refused with exit 4."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from conftest import run_gobinopt
from gobinopt.errors import ExitStatus
from gobinopt.results.interface import ResultsError, Status, VariantRecord
from gobinopt.store.sqlite import STORE_VERSION, Store

#: A store written by gobinopt before the typed record (schema gobinopt.results/v1): four
#: variants of tests/programs/hello with warm latency, made by that version's `matrix run`.
V1_STORE = Path(__file__).parent / "data" / "store-v1.sqlite"


def _raw_rows(path: Path) -> list[dict[str, Any]]:
    db = sqlite3.connect(path)
    try:
        return [json.loads(r[0]) for r in db.execute("SELECT record FROM results ORDER BY created")]
    finally:
        db.close()


def _meaningful(doc: dict[str, Any]) -> dict[str, Any]:
    """A record's JSON without empty values and the schema tag (absent in v1)."""
    return {k: v for k, v in doc.items() if v not in (None, "") and k != "schema"}


def test_v1_store_is_read_with_every_row_and_field(tmp_path: Path) -> None:
    """Every row of a v1 store reads as a typed record whose JSON form equals the stored dict,
    field for field (nothing is dropped), and opening it keeps every row."""
    store = tmp_path / "old.sqlite"
    shutil.copy(V1_STORE, store)
    raw = _raw_rows(store)
    assert len(raw) == 4 and all("schema" not in r for r in raw)
    with Store(store) as db:
        records = db.records()
    assert len(records) == len(raw) == len(_raw_rows(store))
    for rec, old in zip(records, raw, strict=True):
        assert rec.status is Status.OK and rec.latency_of("warm") is not None
        assert _meaningful(rec.to_json()) == _meaningful(old)


def test_v1_store_gets_the_new_schema_version_and_stays_readable(tmp_path: Path) -> None:
    """Opening a v1 store marks it with this store version; its old rows and a new row written
    beside them all read back."""
    store = tmp_path / "old.sqlite"
    shutil.copy(V1_STORE, store)
    with Store(store) as db:
        first = db.records()[0]
        db.put("new-key", first.with_(variant_id="copy", label="copy"))
    db2 = sqlite3.connect(store)
    assert db2.execute("PRAGMA user_version").fetchone()[0] == STORE_VERSION
    db2.close()
    with Store(store) as db:
        assert [r.variant_id for r in db.records()][-1] == "copy" and len(db.records()) == 5


def test_store_of_a_newer_schema_is_a_clear_exit_4(tmp_path: Path) -> None:
    """A store whose schema version is newer than this gobinopt's is refused with one line and
    exit 4, and its rows are untouched."""
    store = tmp_path / "future.sqlite"
    shutil.copy(V1_STORE, store)
    db = sqlite3.connect(store)
    db.execute(f"PRAGMA user_version = {STORE_VERSION + 1}")
    db.commit()
    db.close()
    res = run_gobinopt("matrix", "export", "--store", str(store))
    assert res.returncode == ExitStatus.BAD_INPUT, res.stderr
    assert "newer gobinopt" in res.stderr and res.stderr.count("\n") == 1
    assert len(_raw_rows(store)) == 4


def test_record_of_a_newer_schema_is_a_clear_exit_4(tmp_path: Path) -> None:
    """A single row written by a newer record schema is refused with exit 4, not misread."""
    store = tmp_path / "s.sqlite"
    shutil.copy(V1_STORE, store)
    db = sqlite3.connect(store)
    row = db.execute("SELECT key, record FROM results LIMIT 1").fetchone()
    doc = json.loads(row[1]) | {"schema": "gobinopt.results/v9"}
    db.execute("UPDATE results SET record = ? WHERE key = ?", (json.dumps(doc), row[0]))
    db.commit()
    db.close()
    with pytest.raises(ResultsError, match="newer than this gobinopt reads"), Store(store) as s:
        s.records()
    res = run_gobinopt("report", "--store", str(store), "--out", str(tmp_path / "rep"))
    assert res.returncode == ExitStatus.BAD_INPUT and "results/v9" in res.stderr


def test_damaged_record_is_a_clear_exit_4(tmp_path: Path) -> None:
    """A row whose JSON is cut short gives a one-line exit-4 error naming the store."""
    store = tmp_path / "s.sqlite"
    shutil.copy(V1_STORE, store)
    db = sqlite3.connect(store)
    db.execute("UPDATE results SET record = substr(record, 1, 40)")
    db.commit()
    db.close()
    res = run_gobinopt("matrix", "export", "--store", str(store), "--format", "csv")
    assert res.returncode == ExitStatus.BAD_INPUT, res.stderr
    assert str(store) in res.stderr and res.stderr.count("\n") == 1


def test_record_json_round_trip_is_exact() -> None:
    """A record read from its JSON form writes the same JSON again, unknown keys included."""
    for old in _raw_rows(V1_STORE):
        doc = VariantRecord.from_json(old | {"future_field": [1, 2]}).to_json()
        again = VariantRecord.from_json(doc)
        assert again.to_json() == doc and doc["future_field"] == [1, 2]
        assert again == VariantRecord.from_json(doc)


def test_status_is_an_enum_of_four() -> None:
    """A variant is ok, broken, skipped or interrupted; anything else is a damaged record."""
    assert {s.value for s in Status} == {"ok", "broken", "skipped", "interrupted"}
    bad = _raw_rows(V1_STORE)[0] | {"status": "fine"}
    with pytest.raises(ResultsError, match="malformed"):
        VariantRecord.from_json(bad)


STORE_MATRIX = """
[program]
name = "hello"
path = "{program}"
probe = {{ args = ["-version"], output = "hello" }}

[axes]
CGO_ENABLED = [0, 1]
ldflags = ["", "-s -w"]
post = ["none"]
"""


@pytest.fixture(scope="module")
def hello_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real `matrix run` of tests/programs/hello: CGO 0/1 × -ldflags none/-s -w."""
    tmp = tmp_path_factory.mktemp("stored")
    program = Path(__file__).parent / "programs" / "hello"
    (tmp / "m.toml").write_text(STORE_MATRIX.format(program=program))
    res = run_gobinopt("matrix", "run", str(tmp / "m.toml"), "--store", str(tmp / "s.sqlite"))
    assert res.returncode == 0, res.stderr
    return tmp / "s.sqlite"


def test_stored_variants_diff_without_reading_a_binary(hello_store: Path, tmp_path: Path) -> None:
    """`diff --store S 'CGO_ENABLED=0 exe' 'CGO_ENABLED=1 exe'` picks the plain builds, compares
    them from the store alone (artifacts deleted) and its total is their size difference."""
    with Store(hello_store) as db:
        records = db.records()
    plain = {r.spec.cgo: r for r in records if r.spec.ldflags == "" and r.spec.post == "none"}
    for r in records:
        Path(r.artifact).unlink(missing_ok=True)
    res = run_gobinopt(
        "diff", "--store", str(hello_store), "CGO_ENABLED=0 exe", "CGO_ENABLED=1 exe", "--json"
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["old"]["file_size"] == plain[False].size
    assert doc["new"]["file_size"] == plain[True].size
    assert doc["old"]["kind"] == doc["new"]["kind"] == "stored"
    assert doc["total"]["delta"] == (plain[True].size or 0) - (plain[False].size or 0)
    settings = {s["key"]: (s["old"], s["new"]) for s in doc["settings"]}
    assert settings["CGO_ENABLED"] == ("0", "1")
    assert not any(k.startswith("environment:") for k in settings)


def test_stored_variant_by_id_and_the_store_diff_equals_the_binary_diff(
    hello_store: Path,
) -> None:
    """A variant id selects exactly; categories and sections of a stored diff equal those of the
    same two artifacts diffed as binaries."""
    with Store(hello_store) as db:
        records = db.records()
    a, b = sorted((r for r in records if r.spec.cgo is False), key=lambda r: r.spec.ldflags)
    rebuilt = hello_store.parent / "rebuilt"
    rebuilt.mkdir(exist_ok=True)
    from gobinopt.matrix import expand, load
    from gobinopt.pipeline import Runner

    with Store(hello_store.parent / "again.sqlite") as db:
        again = Runner(expand(load(hello_store.parent / "m.toml")), db, force=True).run()
    paths = {r.variant_id: r.artifact for r in again.records}
    stored = run_gobinopt("diff", "--store", str(hello_store), a.variant_id, b.variant_id, "--json")
    binary = run_gobinopt("diff", paths[a.variant_id], paths[b.variant_id], "--json")
    assert stored.returncode == binary.returncode == 0, stored.stderr + binary.stderr
    s, d = json.loads(stored.stdout), json.loads(binary.stdout)
    for level in ("categories", "sections"):
        assert s["levels"][level]["rows"] == d["levels"][level]["rows"], level
    assert s["total"] == d["total"]


def test_ambiguous_and_unknown_selectors_are_clear_errors(hello_store: Path) -> None:
    """Words that match several equally plain variants exit 2 and list them; words that match
    nothing exit 4 naming the side."""
    res = run_gobinopt("diff", "--store", str(hello_store), "exe", "CGO_ENABLED=1 exe")
    assert res.returncode == ExitStatus.USAGE and "old:" in res.stderr and "matches 2" in res.stderr
    res = run_gobinopt("diff", "--store", str(hello_store), "CGO_ENABLED=0 exe", "pie")
    assert res.returncode == ExitStatus.BAD_INPUT and "new: no stored variant" in res.stderr
    assert res.stderr.count("\n") == 1


def test_old_store_variant_without_analysis_or_artifact_is_a_clear_error(tmp_path: Path) -> None:
    """A v1 record (no stored analysis) whose artifact is gone cannot be compared: one line,
    exit 4, with the remedy."""
    store = tmp_path / "old.sqlite"
    shutil.copy(V1_STORE, store)
    db = sqlite3.connect(store)
    for key, text in db.execute("SELECT key, record FROM results").fetchall():
        doc = json.loads(text) | {"artifact": str(tmp_path / "gone")}
        db.execute("UPDATE results SET record = ? WHERE key = ?", (json.dumps(doc), key))
    db.commit()
    db.close()
    ids = [r["variant_id"] for r in _raw_rows(store)]
    res = run_gobinopt("diff", "--store", str(store), ids[0], ids[1])
    assert res.returncode == ExitStatus.BAD_INPUT, res.stderr
    assert "no analysis" in res.stderr and res.stderr.count("\n") == 1


def test_variants_analysed_by_an_older_version_are_reanalysed_not_rebuilt(
    tmp_path: Path,
) -> None:
    """A stored variant whose analysis predates the current one gets fresh categories from its
    artifact on the next run, stored again, with no `go build`."""
    from gobinopt.matrix import expand, load
    from gobinopt.pipeline import ANALYSIS_VERSION, Runner

    program = Path(__file__).parent / "programs" / "hello"
    (tmp_path / "m.toml").write_text(
        STORE_MATRIX.format(program=program).replace("CGO_ENABLED = [0, 1]", "CGO_ENABLED = [0]")
    )
    plan = expand(load(tmp_path / "m.toml"))
    with Store(tmp_path / "s.sqlite") as db:
        first = {r.variant_id: r for r in Runner(plan, db).run().records}
    raw = sqlite3.connect(tmp_path / "s.sqlite")
    for key, text in raw.execute("SELECT key, record FROM results").fetchall():
        doc = json.loads(text)
        doc.pop("analysis_version")
        doc["categories"] = {"other": doc["size"]}
        raw.execute("UPDATE results SET record = ? WHERE key = ?", (json.dumps(doc), key))
    raw.commit()
    raw.close()
    with Store(tmp_path / "s.sqlite") as store:
        again = Runner(plan, store).run()
        stored = {r.variant_id: r for r in store.records()}
    assert again.built == 0 and again.reused == len(first) == 2
    for vid, rec in first.items():
        assert dict(stored[vid].categories) == dict(rec.categories)
        assert dict(rec.categories)["code"] > 0
        assert stored[vid].analysis_version == ANALYSIS_VERSION

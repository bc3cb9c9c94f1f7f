"""Reports from stored results: Pareto set, recommendations, pictures, REPORT.md and HTML."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import PROGRAMS
from gobinopt.matrix import expand, load
from gobinopt.pipeline import Runner, RunSummary
from gobinopt.report.analysis import Constraints, merge_identical, pareto, recommend
from gobinopt.report.article import claims_table
from gobinopt.report.document import build_report
from gobinopt.report.interface import ReportError, point
from gobinopt.results.interface import SCHEMA as EXPORT_SCHEMA
from gobinopt.results.interface import VariantRecord
from gobinopt.store.sqlite import Store

MATRIX = f"""
[program]
name = "hello-report"
path = "{PROGRAMS / "hello"}"
probe = {{ args = ["-version"], output = "hello" }}
[environments.host]
kind = "native"
[axes]
buildmode = ["exe", "pie"]
ldflags = ["", "-s -w"]
post = ["none", "strip", "upx", "strip,upx"]
[latency]
min_runs = 5
max_runs = 20
budget = 1.0
"""


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunSummary]:
    tmp = tmp_path_factory.mktemp("report")
    (tmp / "m.toml").write_text(MATRIX)
    with Store(tmp / "r.sqlite") as db:
        summary = Runner(expand(load(tmp / "m.toml")), db).run()
    return tmp, summary


def records(stored: tuple[Path, RunSummary]) -> list[VariantRecord]:
    with Store(stored[0] / "r.sqlite") as db:
        return db.records()


def test_latency_is_stored_for_every_ok_variant(stored: tuple[Path, RunSummary]) -> None:
    """Each ok variant carries warm and cold medians with their spread and run counts."""
    oks = [r.to_json() for r in records(stored) if r.ok]
    assert oks
    for rec in oks:
        for mode in ("warm", "cold"):
            lat = rec["latency"][mode]
            assert lat["median_s"] > 0 and lat["runs"] >= 1
            assert lat["q1_s"] <= lat["median_s"] <= lat["q3_s"]


def test_packed_variant_starts_slower_than_its_unpacked_twin(
    stored: tuple[Path, RunSummary],
) -> None:
    """A UPX-packed exe has a larger warm median than the same build unpacked."""
    pts = [point(r) for r in records(stored)]

    def find(ldflags: str, post: str) -> Any:
        return next(
            p
            for p in pts
            if p.spec.buildmode == "exe" and p.spec.ldflags == ldflags and p.spec.post == post
        )

    packed, plain = find("-s -w", "strip,upx"), find("-s -w", "none")
    assert packed.ok and plain.ok and packed.packed
    assert packed.warm_ms is not None and plain.warm_ms is not None
    assert packed.warm_ms > plain.warm_ms


def test_pareto_front_is_not_dominated(stored: tuple[Path, RunSummary]) -> None:
    """No Pareto member is beaten on both size and latency by another ok variant."""
    pts = [point(r) for r in records(stored)]
    front = pareto(pts, "warm")
    assert front
    for f in front:
        for p in pts:
            if p.ok and p.warm_ms is not None and p.size is not None and f.size is not None:
                assert not (p.size < f.size and p.warm_ms < (f.warm_ms or 0))
    sizes = [f.size or 0 for f in front]
    assert sizes == sorted(sizes)


def test_recommendation_respects_constraints(stored: tuple[Path, RunSummary]) -> None:
    """Constraints narrow the choice: --no-upx excludes packed, --keep-debug-info keeps DWARF,
    a start-up bound excludes slower variants; the commands reproduce the variant."""
    pts = [point(r) for r in records(stored)]
    smallest = recommend(pts, Constraints())
    assert smallest.point.size == min(p.size or 0 for p in pts if p.ok)
    no_upx = recommend(pts, Constraints(no_upx=True))
    assert not no_upx.point.packed
    assert not any("upx" in c for c in no_upx.commands)
    debug = recommend(pts, Constraints(keep_debug_info=True))
    assert debug.point.has_dwarf and "-s -w" not in " ".join(debug.commands)
    fastest = min(p.warm_ms or 1e9 for p in pts if p.ok)
    bound = recommend(pts, Constraints(max_start_ms=fastest * 3))
    assert (bound.point.warm_ms or 0) <= fastest * 3
    assert bound.commands[0].startswith("CGO_ENABLED=") and " go build " in bound.commands[0]
    with pytest.raises(ReportError, match="satisfies the constraints"):
        recommend(pts, Constraints(max_start_ms=fastest / 1000))


def test_report_directory_has_its_parts(stored: tuple[Path, RunSummary], tmp_path: Path) -> None:
    """A report holds REPORT.md with every variant, a self-contained HTML, JSON, CSV and
    non-empty PNG and SVG pictures."""
    recs = records(stored)
    files = build_report(
        recs, tmp_path / "rep", name="t", command="gobinopt report", matrix_text=MATRIX
    )
    md = files.markdown.read_text()
    for heading in (
        "## Environment",
        "## Matrix",
        "## Variants",
        "## Pareto set",
        "## Recommendation",
    ):
        assert heading in md
    artifacts = merge_identical([point(r) for r in recs])
    assert md.count("| ok |") + md.count("| broken |") + md.count("| skipped |") == len(artifacts)
    html = files.html.read_text()
    assert "data:image/png;base64," in html and "<table>" in html
    for name in ("tradeoff-warm", "tradeoff-cold", "categories"):
        for ext in (".png", ".svg"):
            assert (tmp_path / "rep" / f"{name}{ext}").stat().st_size > 1000
    doc = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert doc["schema"] == EXPORT_SCHEMA
    assert [r["variant_id"] for r in doc["results"]] == [r.variant_id for r in recs]


def test_article_claims_table_compares_measured_figures(stored: tuple[Path, RunSummary]) -> None:
    """The claims table reports PIE's measured size change and flags the failing PIE stack."""
    table = claims_table([point(r) for r in records(stored)])
    pie = next(line for line in table.splitlines() if line.startswith("| -buildmode=pie"))
    assert "−5.1 %" in pie and "%" in pie.split("|")[3]
    # PIE measured bigger here: the claim's direction is reported as not holding.
    assert pie.split("|")[3].strip().startswith("+") and "does not hold" in pie
    stack = next(line for line in table.splitlines() if line.startswith("| pie → strip → upx"))
    assert "CantPackException" in stack or "not in this matrix" in stack


def test_cli_recommend_and_plot(stored: tuple[Path, RunSummary], tmp_path: Path) -> None:
    """`gobinopt recommend --json` and `gobinopt plot` work on a store."""
    store = str(stored[0] / "r.sqlite")
    res = subprocess.run(
        [sys.executable, "-m", "gobinopt", "recommend", "--store", store, "--no-upx", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    chosen = recommend([point(r) for r in records(stored)], Constraints(no_upx=True))
    assert doc["variant_id"] == chosen.point.variant_id
    assert doc["commands"] == list(chosen.commands)
    assert " go build " in doc["commands"][0] and not any("upx" in c for c in doc["commands"])
    out = tmp_path / "c.svg"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "gobinopt",
            "plot",
            "tradeoff-cold",
            "--store",
            store,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert out.read_text().lstrip().startswith("<?xml")


def test_explain_treemap(tmp_path: Path) -> None:
    """`explain --treemap` draws a non-empty PNG of the package treemap."""
    out = tmp_path / "t.png"
    res = subprocess.run(
        [sys.executable, "-m", "gobinopt", "explain", "--example", "--json", "--treemap", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000

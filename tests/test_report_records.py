"""Reports, recommendations, pictures and exports from hand-written records in a real store:
commands that rebuild the variant, identical artifacts as one point, labels that do not overlap,
latency in the CSV, and bad paths as one-line errors."""

from __future__ import annotations

import csv
import io
import json
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from conftest import TESTS, run_gobinopt
from gobinopt.report import plots
from gobinopt.report.analysis import Constraints, pareto, recommend
from gobinopt.report.document import build_report
from gobinopt.report.interface import ReportError, point
from gobinopt.results.export import export_csv, export_json
from gobinopt.results.interface import VariantRecord
from gobinopt.store.sqlite import Store

SHA = iter(f"{i:064x}" for i in range(1, 10_000))


def _lat(mode: str, median_ms: float) -> dict[str, Any]:
    """A latency document shaped like gobinopt.probe.latency's, around ``median_ms``."""
    m = median_ms / 1000
    return {
        "mode": mode,
        "median_s": m,
        "q1_s": m * 0.97,
        "q3_s": m * 1.04,
        "iqr_s": m * 0.07,
        "min_s": m * 0.9,
        "max_s": m * 1.3,
        "runs": 17,
        "peak_rss_kb": {"median": 4676.0, "max": 4804},
        "minor_faults": 308.5,
        "major_faults": 7.0 if mode == "cold" else 0,
    }


def rec(
    vid: str,
    size: int,
    warm_ms: float | None = None,
    *,
    cold_ms: float | None = None,
    sha: str | None = None,
    env: str = "host",
    kind: str = "native",
    cgo: int = 0,
    buildmode: str = "exe",
    ldflags: str = "",
    post: str = "none",
    status: str = "ok",
    **extra: Any,
) -> dict[str, Any]:
    """A stored variant record (schema gobinopt.results/v1) written by hand."""
    steps = [] if post == "none" else post.split(",")
    spec = {
        "environment": env,
        "toolchain": "host",
        "CGO_ENABLED": cgo,
        "buildmode": buildmode,
        "ldflags": ldflags,
        "trimpath": False,
        "post": post,
    }
    r: dict[str, Any] = {
        "variant_id": vid,
        "label": f"[{env}] CGO_ENABLED={cgo} {buildmode} {ldflags} | {post}",
        "matrix": "handmade",
        "status": status,
        "size": size if status == "ok" else None,
        "sha256": (sha or next(SHA)) if status == "ok" else None,
        "spec": spec,
        "post_steps": steps,
        "packer": "UPX" if "upx" in steps else None,
        "categories": {"code": size // 2, "DWARF": 0 if "-s" in ldflags else size // 4},
        "fingerprint": {"environment": env, "kind": kind},
    }
    latency = {}
    if warm_ms is not None:
        latency["warm"] = _lat("warm", warm_ms)
    if cold_ms is not None:
        latency["cold"] = _lat("cold", cold_ms)
    if latency:
        r["latency"] = latency
    r.update(extra)
    return r


def typed(records: list[dict[str, Any]]) -> list[VariantRecord]:
    """Hand-written records as the store returns them."""
    return [VariantRecord.from_json(r) for r in records]


def store_of(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    """A real results store holding ``records``."""
    path = tmp_path / "r.sqlite"
    with Store(path) as db:
        for r in records:
            db.put(r["variant_id"], VariantRecord.from_json(r))
    return path


def test_recommend_prints_the_stored_commands_verbatim(tmp_path: Path) -> None:
    """`recommend` prints a record's own `commands`, as the environment wrote them."""
    cmds = ["CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -o app ./cmd/x", "strip app"]
    store = store_of(tmp_path, [rec("v1", 1000, 1.0, commands=cmds, post="strip")])
    res = run_gobinopt("recommend", "--store", str(store))
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-2:] == cmds
    res = run_gobinopt("recommend", "--store", str(store), "--json")
    assert json.loads(res.stdout)["commands"] == cmds


def test_old_record_commands_decide_musl_by_the_environment_kind(tmp_path: Path) -> None:
    """Without stored commands, an environment of kind musl (whatever its name) builds with
    CC=musl-gcc and links cgo statically; a native one named "musl" gets neither."""
    store = store_of(
        tmp_path,
        [
            rec("alpine", 1000, env="alpine", kind="musl", cgo=1, ldflags="-s -w"),
            rec("host", 2000, env="musl", kind="native", cgo=1, ldflags="-s -w"),
        ],
    )
    res = run_gobinopt("recommend", "--store", str(store), "--json")
    assert res.returncode == 0, res.stderr
    build = json.loads(res.stdout)["commands"][0]
    assert build.startswith("CC=musl-gcc CGO_ENABLED=1 ")
    assert "'-ldflags=-s -w -linkmode external -extldflags -static'" in build
    with Store(store) as db:
        pts = [point(r) for r in db.records()]
    native = recommend([p for p in pts if p.variant_id == "host"], Constraints())
    assert "musl-gcc" not in native.commands[0] and "-static" not in native.commands[0]
    assert "'-ldflags=-s -w'" in native.commands[0]


def test_report_recommendation_prints_the_stored_commands(tmp_path: Path) -> None:
    """The report's Recommendation section shows the record's commands in a shell block."""
    cmds = ["CC=musl-gcc CGO_ENABLED=1 go build '-ldflags=-linkmode external' -o app ."]
    files = build_report(
        typed([rec("v1", 1000, 1.0, commands=cmds)]), tmp_path / "rep", name="t", command="c"
    )
    md = files.markdown.read_text()
    assert f"```sh\n{cmds[0]}\n```" in md


@pytest.mark.parametrize("option", ["--max-start-ms", "--max-cold-start-ms"])
def test_latency_bound_without_measurements_says_latency_was_not_measured(
    tmp_path: Path, option: str
) -> None:
    """A latency bound on a store without that latency says it was not measured and how to
    measure it, instead of suggesting to relax the bound."""
    warm = option == "--max-cold-start-ms"  # warm measured, cold not; else nothing measured
    store = store_of(tmp_path, [rec("a", 1000, 1.0 if warm else None), rec("b", 2000)])
    res = run_gobinopt("recommend", "--store", str(store), option, "5")
    assert res.returncode == 1
    line = res.stderr.strip()
    assert len(line.splitlines()) == 1
    mode = "cold" if "cold" in option else "warm"
    assert f"{mode} start-up latency was not measured" in line
    assert "[latency]" in line and "gobinopt probe" in line and "relax" not in line


def test_latency_bound_nobody_meets_still_suggests_relaxing_it() -> None:
    """When latency was measured and every variant is slower, the hint names the bound."""
    pts = [point(r) for r in typed([rec("a", 1000, 9.0), rec("b", 2000, 8.0)])]
    with pytest.raises(ReportError) as err:
        recommend(pts, Constraints(max_start_ms=5))
    assert "relax --max-start-ms" in err.value.one_line()


def _twins(fast_first: bool) -> list[dict[str, Any]]:
    """Two variants with byte-identical artifacts measured with different (noisy) timings,
    plus a bigger, faster variant and a smaller, slower one."""
    sha = next(SHA)
    a, b = (1.40, 1.55) if fast_first else (1.55, 1.40)
    return [
        rec("native0", 5000, a, sha=sha, env="host", kind="native"),
        rec("musl0", 5000, b, sha=sha, env="alpine", kind="musl", same_as="native0"),
        rec("big", 9000, 1.0, buildmode="pie"),
        rec("packed", 2000, 150.0, post="upx"),
    ]


@pytest.mark.parametrize("fast_first", [True, False])
def test_identical_artifacts_are_one_pareto_point(fast_first: bool) -> None:
    """Variants with the same sha256 are one point of the Pareto set, named after both, and
    timing noise between them does not decide which one is shown or recommended."""
    pts = [point(r) for r in typed(_twins(fast_first))]
    front = pareto(pts, "warm")
    assert [p.size for p in front] == [2000, 5000, 9000]
    twin = front[1]
    assert twin.variant_id == "native0"
    assert [t.variant_id for t in twin.twins] == ["musl0"]
    assert twin.warm_ms == pytest.approx((1.40 + 1.55) / 2)
    best = recommend(pts, Constraints(no_upx=True))
    assert best.point.variant_id == "native0" and best.point.twins


def test_report_table_shows_identical_artifacts_as_one_row(tmp_path: Path) -> None:
    """The report's variant table has one row for identical files, naming every variant, and
    the default build it compares against is the host's own of the identical ones."""
    records = _twins(True)
    files = build_report(typed(records[::-1]), tmp_path / "rep", name="t", command="c")
    md = files.markdown.read_text()
    table = md.split("## Variants", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| [")]
    assert len(rows) == 3
    (row,) = [r for r in rows if "[alpine]" in r]
    assert "[host]" in row and "identical" in row and "| +0.0% |" in row
    assert f"default build `{records[0]['label']}`" in table


def test_recommendation_wording(tmp_path: Path) -> None:
    """Without constraints the report says "Smallest successful variant"; an unmeasured warm
    start-up is said in words, not as a dash between "start" and "ms"."""
    files = build_report(typed([rec("a", 1000)]), tmp_path / "rep", name="t", command="c")
    md = files.markdown.read_text()
    section = md.split("## Recommendation", 1)[1]
    assert "Smallest successful variant: " in section
    assert "warm start-up not measured" in section
    assert "satisfying no constraint" not in md and "start – ms" not in md


def _crowd() -> list[dict[str, Any]]:
    """The UPX corner of the article's plot: many packed variants at one spot, several
    unpacked ones close together, two artifacts byte-identical."""
    recs = []
    for i, (cgo, ld, post) in enumerate(
        (c, ld, p)
        for c in (0, 1)
        for ld in ("", "-s -w")
        for p in ("upx", "strip,upx", "upx,strip")
    ):
        recs.append(
            rec(f"u{i}", 1_902_768 + 900 * i, 176 + i * 0.3, cgo=cgo, ldflags=ld, post=post)
        )
    for i, (cgo, ld, post) in enumerate(
        (c, ld, p) for c in (0, 1) for ld in ("", "-s -w") for p in ("none", "strip")
    ):
        recs.append(
            rec(
                f"n{i}",
                6_023_512 + 30_000 * cgo + 700 * i,
                1.45 + 1.5 * cgo + 0.04 * i,
                cgo=cgo,
                ldflags=ld,
                post=post,
            )
        )
    sha = next(SHA)
    recs.append(rec("same1", 8_694_040, 1.44, sha=sha))
    recs.append(rec("same2", 8_694_040, 1.47, sha=sha, env="musl", kind="musl"))
    return recs


def test_tradeoff_labels_do_not_overlap_and_group_close_points() -> None:
    """On a crowded tradeoff plot every label box is apart from every other, points drawn on
    the same spot share one label that names each variant, and the legend says which points
    are UPX-packed."""
    pts = [point(r) for r in typed(_crowd())]
    fig = plots.tradeoff_figure(pts, "warm")
    try:
        ax = fig.axes[0]
        renderer = fig.canvas.get_renderer()
        boxes = [t.get_window_extent(renderer) for t in ax.texts]
        assert len(boxes) >= 2
        for one, other in combinations(boxes, 2):
            assert not one.overlaps(other)
        texts = [t.get_text() for t in ax.texts]
        packed = [t for t in texts if "upx" in t]
        assert len(packed) == 1 and packed[0].count("upx") == 12
        (same,) = [t for t in texts if "musl" in t]
        assert "=" in same and same.count("\n") == 0
        legend = [t.get_text() for t in fig.legends[0].get_texts()] if fig.legends else []
        legend += [t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else []
        assert any("UPX-packed" in t for t in legend)
        assert ax.get_ylabel() == "median warm start-up (ms)"
    finally:
        plots.close(fig)


def test_treemap_labels_tell_packages_with_the_same_last_element_apart() -> None:
    """Treemap tiles of `…/a/api` and `…/b/api` are labelled with enough of the path to tell
    them apart."""
    names = ["github.com/x/a/api", "github.com/x/b/api", "net/http", "github.com/x/a/util"]
    assert plots.unique_suffixes(names) == {
        "github.com/x/a/api": "a/api",
        "github.com/x/b/api": "b/api",
        "net/http": "http",
        "github.com/x/a/util": "util",
    }
    # Paths too long for any tile, so a label must be a suffix.
    long = "github.com/an-organisation-with-a-long-name/a-project-with-a-long-name/internal/"
    size = 40_000
    fig = plots.treemap_figure(
        [(long + n, size) for n in ("a/api", "b/api")] + [("runtime", 10 * size)]
    )
    try:
        texts = [t.get_text().split("\n")[0] for t in fig.axes[0].texts]
        for name in ("a/api", "b/api"):
            assert any(t == name or t.endswith("/" + name) for t in texts), texts
    finally:
        plots.close(fig)


def test_csv_export_carries_latency_rss_faults_commands_and_identity() -> None:
    """Every latency figure in the CSV equals the JSON's; RSS, page faults, the commands and
    `same_as` are columns too."""
    records = _twins(True)
    records[0]["latency"]["cold"] = _lat("cold", 11.0)
    records[0]["commands"] = ["CGO_ENABLED=0 go build -o app .", "strip app"]
    doc = json.loads(export_json(typed(records)))["results"]
    rows = list(csv.DictReader(io.StringIO(export_csv(typed(records)))))
    assert len(rows) == len(doc)
    checked = 0
    for row, r in zip(rows, doc, strict=True):
        for mode in ("warm", "cold"):
            lat = (r.get("latency") or {}).get(mode)
            for key in ("median_s", "iqr_s", "min_s", "max_s", "runs"):
                cell = row[f"{mode}_{key}"]
                if lat is None:
                    assert cell == ""
                else:
                    assert float(cell) == lat[key]
                    checked += 1
            if lat is not None:
                assert float(row[f"{mode}_peak_rss_kb"]) == lat["peak_rss_kb"]["median"]
                assert float(row[f"{mode}_minor_faults"]) == lat["minor_faults"]
                assert float(row[f"{mode}_major_faults"]) == lat["major_faults"]
    assert checked == 5 * 5
    assert rows[0]["commands"] == "CGO_ENABLED=0 go build -o app . && strip app"
    assert rows[1]["same_as"] == "native0" and rows[0]["same_as"] == ""


def test_report_results_csv_is_the_export(tmp_path: Path) -> None:
    """The report's results.csv is the same document as `matrix export --format csv`."""
    records = typed(_twins(True))
    files = build_report(records, tmp_path / "rep", name="t", command="c")
    assert (files.directory / "results.csv").read_bytes() == export_csv(records).encode()
    assert "warm_median_s" in export_csv(records).splitlines()[0]


@pytest.mark.parametrize(
    ("args", "status", "words"),
    [
        (("report", "--out", "/etc/passwd"), 4, "/etc/passwd"),
        (("report", "--out", "OUT", "--matrix-file", "nope.toml"), 3, "nope.toml"),
        (("plot", "tradeoff-warm", "--out", "/etc/passwd/x.png"), 4, "/etc/passwd/x.png"),
        (("plot", "tradeoff-warm", "--out", "OUT/x.gif"), 4, "x.gif"),
        (("plot", "categories", "--out", "OUT/x.gif"), 4, "x.gif"),
    ],
)
def test_bad_report_paths_are_one_line_errors(
    tmp_path: Path, args: tuple[str, ...], status: int, words: str
) -> None:
    """An output that cannot be written, a missing matrix file or an unsupported picture
    format is bad input (exit 3 or 4) on one line, and nothing is written."""
    store = store_of(tmp_path, [rec("a", 1000, 1.0), rec("b", 900, 2.0)])
    out = tmp_path / "out"
    argv = [a.replace("OUT", str(out)) for a in args]
    res = run_gobinopt(*argv, "--store", str(store))
    assert res.returncode == status, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "hint:" in lines[0]
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize(
    ("args", "status", "words"),
    [
        (("--out", "/etc/passwd"), 4, "/etc/passwd"),
        (("--store", "/etc/passwd/a.sqlite"), 4, "/etc/passwd/a.sqlite"),
        (("--matrices", "MISSING"), 3, "article.toml"),
    ],
)
def test_bad_article_paths_are_one_line_errors_before_any_build(
    tmp_path: Path, args: tuple[str, ...], status: int, words: str
) -> None:
    """`gobinopt article` checks its matrix files, store and output directory before it
    builds anything: a bad one is exit 3 or 4 on one line."""
    defaults = {
        "--matrices": str(TESTS.parent / "matrices"),
        "--store": str(tmp_path / "a.sqlite"),
        "--out": str(tmp_path / "out"),
    }
    given = dict(zip(args[::2], args[1::2], strict=True))
    given = {k: v.replace("MISSING", str(tmp_path / "none")) for k, v in given.items()}
    argv = [x for k, v in {**defaults, **given}.items() for x in (k, v)]
    res = run_gobinopt("article", "--only-example", *argv, timeout=60)
    assert res.returncode == status, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "hint:" in lines[0]
    assert not (tmp_path / "a.sqlite").exists()

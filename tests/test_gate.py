"""`gobinopt gate`: baselines, budgets at their edges, exit statuses, acceptance, CI outputs.

Real builds of a tiny program in one directory (so build paths match): the program, an
identical rebuild, the program with a net/http import, and the program with `-ldflags=-s -w`.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import GOBINOPT, go_env
from conftest import run_gobinopt as cli
from gobinopt.gate import markdown as md
from gobinopt.gate.annotations import PER_KIND, workflow_commands
from gobinopt.gate.budgets import (
    budgets_from,
    parse_size,
    percent_allowance,
    within,
)
from gobinopt.gate.interface import (
    BinaryDecision,
    Budgets,
    Change,
    Check,
    GateError,
    GateResult,
    Outcome,
    Verdict,
)

PLAIN = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("tiny") }\n'
WITH_HTTP = (
    'package main\n\nimport (\n\t"fmt"\n\t"net/http"\n\t"os"\n)\n\n'
    'func main() {\n\tfmt.Println("tiny", http.StatusText(200))\n'
    "\tif len(os.Args) > 5 {\n\t\t_, _ = http.Get(os.Args[1])\n\t}\n}\n"
)


@dataclass(frozen=True)
class Builds:
    """The binaries every test here gates."""

    plain: Path
    rebuild: Path
    http: Path
    stripped: Path


@pytest.fixture(scope="module")
def builds(go: str, tmp_path_factory: pytest.TempPathFactory) -> Builds:
    """The tiny program built four ways, each in the same source directory."""
    root = tmp_path_factory.mktemp("gate")
    src = root / "tiny"
    src.mkdir()
    (src / "go.mod").write_text("module example.com/tiny\n\ngo 1.22\n")
    env = go_env(go, {"CGO_ENABLED": "0"})

    def build(source: str, out: str, *flags: str) -> Path:
        (src / "main.go").write_text(source)
        target = root / out
        res = subprocess.run(
            [go, "build", *flags, "-o", str(target), "."],
            cwd=src,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if res.returncode != 0:
            pytest.fail(f"go build failed:\n{res.stderr}")
        return target

    plain = build(PLAIN, "plain")
    rebuild = build(PLAIN, "rebuild")
    stripped = build(PLAIN, "stripped", "-ldflags=-s -w")
    http = build(WITH_HTTP, "http")
    return Builds(plain, rebuild, http, stripped)


def save(baseline: Path, binary: Path, *extra: str) -> None:
    """Save ``binary`` as the baseline entry "tiny"."""
    res = cli("gate", "save", str(binary), "--name", "tiny", "--baseline", str(baseline), *extra)
    assert res.returncode == 0, res.stderr


def check(
    baseline: Path, binary: Path, *extra: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`gate check BINARY --name tiny --baseline FILE EXTRA...` in ``cwd``."""
    return subprocess.run(
        [
            *GOBINOPT,
            "gate",
            "check",
            str(binary),
            "--name",
            "tiny",
            "--baseline",
            str(baseline),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def plain_baseline(builds: Builds, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A baseline holding the plain build as "tiny"."""
    path = tmp_path_factory.mktemp("baseline") / "baseline.json"
    save(path, builds.plain)
    return path


# ---------------------------------------------------------------------------------------------
# Real builds


def test_net_http_import_fails_and_names_what_grew(
    builds: Builds, plain_baseline: Path, tmp_path: Path
) -> None:
    """Adding a net/http import fails the default budget and the report names the net/http
    package (NEW) and the std module as what grew."""
    res = check(plain_baseline, builds.http, "--json", "--top", "20")
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    (binary,) = doc["binaries"]
    assert binary["verdict"] == "fail"
    assert binary["size"]["delta"] == builds.http.stat().st_size - builds.plain.stat().st_size
    failed = {c["budget"] for c in binary["checks"] if c["outcome"] == "fail"}
    assert failed == {"growth_bytes"}
    grew = {(c["level"], c["name"]): c for c in binary["grew"]}
    assert grew[("packages", "net/http")]["mark"] == "NEW"
    assert grew[("modules", "std")]["delta"] > 0
    table = check(plain_baseline, builds.http)
    assert table.returncode == 1
    assert "net/http" in table.stdout and "std" in table.stdout and "FAIL" in table.stdout


def test_identical_rebuild_passes(builds: Builds, plain_baseline: Path) -> None:
    """An identical rebuild passes with a zero delta and no warning."""
    res = check(plain_baseline, builds.rebuild, "--json")
    assert res.returncode == 0, res.stderr
    (binary,) = json.loads(res.stdout)["binaries"]
    assert binary["verdict"] == "pass" and binary["size"]["delta"] == 0
    assert binary["grew"] == [] and binary["warnings"] == []


def test_large_improvement_is_reported(builds: Builds, tmp_path: Path) -> None:
    """Dropping the net/http import passes and is reported as an improvement naming what
    shrank, with a ::notice annotation."""
    baseline = tmp_path / "b.json"
    save(baseline, builds.http)
    res = check(baseline, builds.plain, "--json", "--annotations")
    assert res.returncode == 0, res.stderr
    (binary,) = json.loads(res.stdout)["binaries"]
    assert binary["verdict"] == "pass" and binary["improved"] is True
    gone = {(c["level"], c["name"]): c["mark"] for c in binary["shrank"]}
    assert gone[("packages", "net/http")] == "GONE"
    assert "::notice title=size improvement%3A tiny::" in res.stderr
    small = check(baseline, builds.plain, "--json", "--improvement-bytes", "1GB")
    assert json.loads(small.stdout)["binaries"][0]["improved"] is False


def test_stripping_flags_fail_only_a_file_size_budget(builds: Builds, tmp_path: Path) -> None:
    """Dropping `-s -w` grows the file but barely the loaded bytes: a loaded-size budget passes,
    a file-size budget fails, and the warning names the -ldflags difference."""
    baseline = tmp_path / "b.json"
    save(baseline, builds.stripped)
    loaded_only = check(
        baseline, builds.plain, "--json", "--growth-bytes", "off", "--loaded-growth-bytes", "64KiB"
    )
    assert loaded_only.returncode == 0, loaded_only.stdout + loaded_only.stderr
    (binary,) = json.loads(loaded_only.stdout)["binaries"]
    assert [c["budget"] for c in binary["checks"]] == ["loaded_growth_bytes"]
    assert abs(binary["loaded_size"]["delta"]) < 64 * 1024 < binary["size"]["delta"]
    assert any("-ldflags" in w for w in binary["warnings"])
    both = check(
        baseline,
        builds.plain,
        "--json",
        "--growth-bytes",
        "64KiB",
        "--loaded-growth-bytes",
        "64KiB",
    )
    assert both.returncode == 1
    (binary,) = json.loads(both.stdout)["binaries"]
    outcomes = {c["budget"]: c["outcome"] for c in binary["checks"]}
    assert outcomes == {"growth_bytes": "fail", "loaded_growth_bytes": "pass"}


def test_growth_budgets_at_their_exact_edges(builds: Builds, plain_baseline: Path) -> None:
    """A growth equal to the byte budget passes, one byte over fails; a percent budget is
    floor(baseline × P / 100) bytes, so the smallest percent allowing the growth passes and
    the one allowing a byte less fails."""
    old = builds.plain.stat().st_size
    delta = builds.http.stat().st_size - old
    for budget, code in ((delta - 1, 1), (delta, 0), (delta + 1, 0)):
        res = check(plain_baseline, builds.http, "--growth-bytes", str(budget))
        assert res.returncode == code, (budget, res.stdout)
    # The smallest nine-decimal percent whose allowance is `delta`, and the same for delta - 1.
    exact = math.ceil(delta * 100 * 10**9 / old)
    below = math.ceil((delta - 1) * 100 * 10**9 / old)
    assert percent_allowance(old, exact / 10**9) == delta
    assert percent_allowance(old, below / 10**9) == delta - 1
    for pct, code in ((below, 1), (exact, 0)):
        res = check(
            plain_baseline,
            builds.http,
            "--growth-bytes",
            "off",
            "--growth-percent",
            f"{pct / 10**9:.9f}",
        )
        assert res.returncode == code, (pct, res.stdout)


def test_package_module_and_new_module_budgets(builds: Builds, plain_baseline: Path) -> None:
    """Per-package, per-module and new-module budgets fail naming the offenders."""
    res = check(
        plain_baseline,
        builds.http,
        "--json",
        "--growth-bytes",
        "off",
        "--package-growth-bytes",
        "64KiB",
        "--module-growth-bytes",
        "1MiB",
        "--new-module-bytes",
        "0",
        "--category-growth",
        "code=1GiB",
    )
    assert res.returncode == 1
    (binary,) = json.loads(res.stdout)["binaries"]
    checks = {c["budget"]: c for c in binary["checks"]}
    assert checks["package_growth_bytes"]["outcome"] == "fail"
    assert "net/http" in checks["package_growth_bytes"]["offenders"]
    assert checks["module_growth_bytes"]["offenders"] == ["std"]
    assert checks["new_module_bytes"]["outcome"] == "pass"  # std is no new module
    assert checks["categories.code"]["outcome"] == "pass"


def test_config_file_and_flag_override(
    builds: Builds, plain_baseline: Path, tmp_path: Path
) -> None:
    """Budgets come from gobinopt.toml's [gate] (or pyproject's [tool.gobinopt.gate]), a flag
    overrides a key, and an unknown key cannot decide (exit 2)."""
    (tmp_path / ".git").mkdir()  # the search stops at the repository root
    (tmp_path / "gobinopt.toml").write_text('[gate]\ngrowth_bytes = false\nmax_size = "1 GB"\n')
    assert check(plain_baseline, builds.http, cwd=tmp_path).returncode == 0
    assert check(plain_baseline, builds.http, "--max-size", "1MB", cwd=tmp_path).returncode == 1
    (tmp_path / "gobinopt.toml").unlink()
    (tmp_path / "pyproject.toml").write_text("[tool.gobinopt.gate]\ngrowth_percent = 1\n")
    assert check(plain_baseline, builds.http, cwd=tmp_path).returncode == 1
    assert check(plain_baseline, builds.rebuild, cwd=tmp_path).returncode == 0
    (tmp_path / "pyproject.toml").write_text("[tool.gobinopt.gate]\ngrowth_bites = 1\n")
    res = check(plain_baseline, builds.rebuild, cwd=tmp_path)
    assert res.returncode == 2 and "growth_bites" in res.stderr


def test_latency_budget_applies_when_both_sides_were_probed(builds: Builds, tmp_path: Path) -> None:
    """`--probe -- ARGS` measures warm start-up on save and check; the latency budget is checked
    only when both sides were probed, and ARGS without --probe cannot decide."""
    baseline = tmp_path / "b.json"
    save(baseline, builds.plain, "--probe", "--", "ignored-arg")
    entry = json.loads(baseline.read_text())["binaries"][0]
    assert entry["latency"]["argv"][1:] == ["ignored-arg"] and entry["latency"]["median_s"] > 0
    probed = check(
        baseline, builds.rebuild, "--json", "--latency-growth-percent", "100000", "--probe", "--"
    )
    assert probed.returncode == 0, probed.stderr
    (binary,) = json.loads(probed.stdout)["binaries"]
    assert binary["latency_s"]["old"] > 0 and binary["latency_s"]["new"] > 0
    assert {c["budget"]: c["outcome"] for c in binary["checks"]}["latency_growth_percent"] == "pass"
    unprobed = check(baseline, builds.rebuild, "--json", "--latency-growth-ms", "0")
    (binary,) = json.loads(unprobed.stdout)["binaries"]
    latency = {c["budget"]: c for c in binary["checks"]}["latency_growth_ms"]
    assert latency["outcome"] == "skip" and "not probed in this run" in latency["message"]
    stray = check(baseline, builds.rebuild, "--", "-version")
    assert stray.returncode == 2 and "--probe" in stray.stderr


# ---------------------------------------------------------------------------------------------
# Cannot decide: exit 2


def test_missing_baseline_exits_2_unless_passed_on_purpose(builds: Builds, tmp_path: Path) -> None:
    """No baseline exits 2; --missing-baseline pass passes with a warning, never a compare
    against zero (growth budgets are skipped)."""
    missing = tmp_path / "none.json"
    res = check(missing, builds.http)
    assert res.returncode == 2 and "no gate baseline" in res.stderr
    ok = check(missing, builds.http, "--missing-baseline", "pass", "--json")
    assert ok.returncode == 0, ok.stderr
    assert "warning" in ok.stderr and "missing-baseline pass" in ok.stderr
    (binary,) = json.loads(ok.stdout)["binaries"]
    assert binary["verdict"] == "no-baseline" and binary["size"]["delta"] is None
    assert {c["outcome"] for c in binary["checks"]} == {"skip"}


def test_absolute_budget_applies_without_a_baseline(builds: Builds, tmp_path: Path) -> None:
    """With --missing-baseline pass an absolute max_size still fails."""
    res = check(
        tmp_path / "none.json", builds.http, "--missing-baseline", "pass", "--max-size", "1MB"
    )
    assert res.returncode == 1


def test_damaged_baselines_exit_2(builds: Builds, plain_baseline: Path, tmp_path: Path) -> None:
    """A truncated, a bit-flipped, a future-schema and a foreign baseline each exit 2 with a
    one-line error; so does a binary that is not there and a name the baseline lacks."""
    raw = plain_baseline.read_bytes()
    truncated = tmp_path / "truncated.json"
    truncated.write_bytes(raw[: len(raw) // 2])
    flipped = tmp_path / "flipped.json"
    at = raw.index(b'"size":', raw.index(b'"binaries":')) + len(b'"size":')
    flipped.write_bytes(raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1 :])
    json.loads(flipped.read_bytes())  # still valid JSON: only the checksum can tell
    future = tmp_path / "future.json"
    future.write_bytes(raw.replace(b"gobinopt.gate-baseline/v1", b"gobinopt.gate-baseline/v2"))
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"schema": "gobinopt.explain/v1"}')
    cases = {
        truncated: "not valid JSON",
        flipped: "checksum",
        future: "gobinopt.gate-baseline/v2",
        foreign: "not a gobinopt gate baseline",
    }
    for path, text in cases.items():
        res = check(path, builds.plain)
        assert res.returncode == 2, (path.name, res.stderr)
        assert text in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
        passed = check(path, builds.plain, "--missing-baseline", "pass")
        assert passed.returncode == 2, "a corrupt baseline is never a missing one"
    gone = check(plain_baseline, tmp_path / "no-such-binary")
    assert gone.returncode == 2 and "no-such-binary" in gone.stderr
    not_saved = cli("gate", "save", str(tmp_path / "no-such-binary"), "--baseline", str(future))
    assert not_saved.returncode == 2 and "no-such-binary" in not_saved.stderr
    other = subprocess.run(
        [*GOBINOPT, "gate", "check", str(builds.plain), "--baseline", str(plain_baseline)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert other.returncode == 2 and "no baseline entry called 'plain'" in other.stderr


def test_gzip_baseline_round_trip(builds: Builds, tmp_path: Path) -> None:
    """A baseline named *.gz is written compressed and read back; a damaged one exits 2."""
    baseline = tmp_path / "b.json.gz"
    save(baseline, builds.plain)
    assert baseline.read_bytes()[:2] == b"\x1f\x8b"
    assert check(baseline, builds.rebuild).returncode == 0
    data = bytearray(baseline.read_bytes())
    data[len(data) // 2] ^= 0xFF
    baseline.write_bytes(bytes(data))
    assert check(baseline, builds.rebuild).returncode == 2


def test_store_variants_are_saved_and_checked(builds: Builds, tmp_path: Path) -> None:
    """`--store` saves every ok variant of a results store under its label (broken ones are
    left out) and checks them against that baseline."""
    from gobinopt.results.interface import VariantRecord
    from gobinopt.store.sqlite import Store

    store = tmp_path / "results.sqlite"
    with Store(store) as s:
        for vid, label, path, status in (
            ("v1", "CGO_ENABLED=0 exe", builds.plain, "ok"),
            ("v2", "CGO_ENABLED=0 exe -s -w", builds.stripped, "ok"),
            ("v3", "CGO_ENABLED=1 exe", None, "broken"),
        ):
            rec: dict[str, object] = {"variant_id": vid, "label": label, "status": status}
            if path is not None:
                rec.update(artifact=str(path), size=path.stat().st_size)
            s.put(vid, VariantRecord.from_json({**rec, "matrix": "tiny"}))
    baseline = tmp_path / "b.json"
    res = cli("gate", "save", "--store", str(store), "--baseline", str(baseline))
    assert res.returncode == 0, res.stderr
    doc = json.loads(baseline.read_text())
    assert [b["name"] for b in doc["binaries"]] == ["CGO_ENABLED=0 exe", "CGO_ENABLED=0 exe -s -w"]
    assert doc["binaries"][0]["source"] == "store:v1"
    res = cli("gate", "check", "--store", str(store), "--baseline", str(baseline), "--json")
    assert res.returncode == 0, res.stderr
    assert [b["verdict"] for b in json.loads(res.stdout)["binaries"]] == ["pass", "pass"]


# ---------------------------------------------------------------------------------------------
# Accepted growth


def _git(repo: Path, *args: str) -> None:
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def test_binary_size_trailer_accepts_growth(
    builds: Builds, plain_baseline: Path, tmp_path: Path
) -> None:
    """A `Binary-Size:` trailer in the head commit turns a failure into a pass that prints the
    reason and stores it in JSON, JUnit and Markdown; a commit without it still fails."""
    if shutil.which("git") is None:
        pytest.skip("git not found — install with apt-get install git")
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "Plain commit")
    assert check(plain_baseline, builds.http, cwd=repo).returncode == 1
    _git(
        repo,
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "Add an HTTP client\n\nWe need it.\n\nBinary-Size: the HTTP client is the feature",
    )
    junit, summary = tmp_path / "j.xml", tmp_path / "s.md"
    res = check(
        plain_baseline, builds.http, "--junit", str(junit), "--markdown", str(summary), cwd=repo
    )
    assert res.returncode == 0, res.stderr
    assert "the HTTP client is the feature" in res.stdout and "accepted" in res.stdout
    as_json = check(plain_baseline, builds.http, "--json", cwd=repo)
    doc = json.loads(as_json.stdout)
    assert doc["verdict"] == "accepted" and doc["exit_status"] == 0
    assert doc["accepted"]["reason"] == "the HTTP client is the feature"
    assert "Binary-Size trailer of commit" in doc["accepted"]["origin"]
    props = ET.parse(junit).getroot().iter("property")
    assert [p.get("value") for p in props] == ["the HTTP client is the feature"]
    assert "the HTTP client is the feature" in summary.read_text()


def test_accept_flag_accepts_growth(builds: Builds, plain_baseline: Path, tmp_path: Path) -> None:
    """--accept REASON passes an over-budget binary and records the reason; a binary within
    budget is a plain pass."""
    res = check(plain_baseline, builds.http, "--accept", "TLS support", "--json", cwd=tmp_path)
    assert res.returncode == 0
    doc = json.loads(res.stdout)
    assert doc["accepted"] == {"reason": "TLS support", "origin": "--accept"}
    assert doc["binaries"][0]["verdict"] == "accepted"
    ok = check(plain_baseline, builds.rebuild, "--accept", "TLS support", "--json", cwd=tmp_path)
    assert json.loads(ok.stdout)["verdict"] == "pass"


def test_trailer_must_be_in_the_last_paragraph() -> None:
    """Only a trailer of the message's last paragraph counts, case-insensitively."""
    from gobinopt.gate.accept import trailer_reason

    assert trailer_reason("Fix\n\nbinary-size: ok because\n") == "ok because"
    assert trailer_reason("Fix\n\nBinary-Size: early\n\nSigned-off-by: x") is None
    assert trailer_reason("Binary-Size:\n") is None


# ---------------------------------------------------------------------------------------------
# JUnit, annotations, markdown


def test_junit_parses_and_carries_the_failures(
    builds: Builds, plain_baseline: Path, tmp_path: Path
) -> None:
    """--junit writes valid XML: one test case per binary and budget, failures on the budgets
    over their limit, with what grew."""
    junit = tmp_path / "gate.xml"
    res = check(
        plain_baseline,
        builds.http,
        "--junit",
        str(junit),
        "--package-growth-bytes",
        "64KiB",
        "--loaded-growth-percent",
        "1000",
    )
    assert res.returncode == 1
    root = ET.parse(junit).getroot()
    cases = list(root.iter("testcase"))
    assert [c.get("name") for c in cases] == [
        "growth_bytes",
        "loaded_growth_percent",
        "package_growth_bytes",
    ]
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["growth_bytes", "package_growth_bytes"]
    assert root.get("tests") == "3" and root.get("failures") == "2"
    failure = cases[0].find("failure")
    assert failure is not None and "net/http" in (failure.text or "")


def _decision(i: int, delta: int, functions: int = 0, failed: bool = True) -> BinaryDecision:
    checks = (
        Check(
            "growth_bytes",
            "16,384 bytes",
            f"{delta:+,} bytes",
            Outcome.FAIL if failed else Outcome.PASS,
            f"file size grew {delta:,} bytes",
            excess=max(0, delta - 16_384),
        ),
    )
    grew = tuple(
        Change("functions", f"example.com/pkg{i}.Func{j}[go.shape.int]|x", 100 + j, 200 + j)
        for j in range(functions)
    )
    return BinaryDecision(
        name=f"bin{i:03}",
        source=f"/tmp/bin{i}",
        verdict=Verdict.FAIL if failed else Verdict.PASS,
        checks=checks,
        old_size=10_000_000,
        new_size=10_000_000 + delta,
        old_loaded=8_000_000,
        new_loaded=8_000_000 + delta,
        grew=(Change("packages", "net/http", None, delta), *grew),
        warnings=(f"warning {i}",),
    )


def test_annotations_are_capped_biggest_first() -> None:
    """At most ten ::error and ten ::warning lines, the biggest excess first, then a line
    saying how many were left out."""
    result = GateResult(
        "b.json", Budgets(), tuple(_decision(i, 20_000 + 1000 * i) for i in range(25))
    )
    lines = workflow_commands(result)
    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(errors) == PER_KIND and len(warnings) == PER_KIND
    assert [e.split("::")[1] for e in errors][:2] == [
        "error title=size budget%3A bin024",
        "error title=size budget%3A bin023",
    ]
    assert "15 more error annotations left out" in "\n".join(lines)
    assert all("\n" not in line for line in lines)


def test_markdown_stays_under_the_limits_with_thousands_of_functions() -> None:
    """With 40 binaries of 3,000 changed functions each, the job summary stays within 1 MiB
    and the comment within 65,536 characters, both end with a note counting what was left out,
    and every <details> is closed."""
    result = GateResult(
        "b.json",
        Budgets(),
        tuple(_decision(i, 20_000 + i, functions=3000) for i in range(40)),
    )
    summary = md.summary(result)
    comment = md.comment(result)
    assert len(summary.encode()) <= md.SUMMARY_LIMIT_BYTES
    assert len(comment) <= md.COMMENT_LIMIT_CHARS
    assert comment.startswith(md.MARKER + "\n")
    for text in (summary, comment):
        assert "Truncated to stay under" in text and "more table rows" in text
        assert text.count("<details>") == text.count("</details>")
        assert "| `bin039` |" in text  # the overview lists every binary
        assert "`example.com/pkg39.Func0[go.shape.int]\\|x`" in text  # biggest first
        assert "### ❌ `bin000`: fail" in text  # every binary's verdict before any function
    small = GateResult("b.json", Budgets(), (_decision(1, 20_000, functions=3),))
    assert "Truncated" not in md.comment(small)
    assert "Func2" in md.comment(small)


# ---------------------------------------------------------------------------------------------
# Budgets


def test_byte_budget_edges() -> None:
    """One byte under and equal pass, one byte over fails; a shrink always passes."""
    assert within(16_383, 16_384) and within(16_384, 16_384) and not within(16_385, 16_384)
    assert within(-5, 0)


def test_percent_allowance_rounds_down_exactly() -> None:
    """A percent budget allows floor(baseline × P / 100) whole bytes, with P taken as written:
    1 % of 999 is 9 bytes, and 0.57 % of 10,000 is 57 (binary floating point would say 56)."""
    assert percent_allowance(999, 1) == 9
    assert percent_allowance(1000, 1.5) == 15
    assert percent_allowance(10_000, 0.57) == 57
    assert percent_allowance(0, 5) == 0


def test_budget_values_parse() -> None:
    """Sizes take units, false/off switch a key off, and bad values cannot decide."""
    assert parse_size("k", "16 KiB") == 16_384 and parse_size("k", "2MB") == 2_000_000
    assert parse_size("k", "1.5MiB") == 1_572_864 and parse_size("k", 7) == 7
    b = budgets_from({"growth_bytes": False, "categories": {"DWARF": 0}}, {"growth_percent": "1%"})
    assert b.growth_bytes is None and b.growth_percent == 1.0 and b.categories == (("DWARF", 0),)
    for bad in ({"growth_bytes": -1}, {"growth_bytes": "16 parsecs"}, {"categories": {"dwarf": 0}}):
        with pytest.raises(GateError):
            budgets_from(bad)

"""`gobinopt matrix run`: real builds, post steps that break, probes, the store, resume."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import GOBINOPT, PROGRAMS, run_gobinopt
from gobinopt.matrix import expand, load
from gobinopt.matrix.run import Runner, RunSummary
from gobinopt.store.sqlite import Store, export_csv, export_json

NEEDS = pytest.mark.skipif(
    not all(os.access(p, os.X_OK) for p in ("/usr/bin/upx", "/usr/bin/musl-gcc")),
    reason="upx and musl-gcc needed — apt-get install upx-ucl musl-tools",
)


def matrix_file(
    tmp_path: Path,
    body: str,
    program: Path = PROGRAMS / "hello",
    probe: str = '{ args = ["-version"], output = "hello" }',
) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(f'[program]\nname = "t"\npath = "{program}"\nprobe = {probe}\n' + body)
    return path


ARTICLE = """
[environments.host]
kind = "native"
[environments.musl]
kind = "musl"
[axes]
CGO_ENABLED = [0, 1]
buildmode = ["exe", "pie"]
ldflags = ["-s -w"]
post = ["none", "strip,upx", "upx,strip"]
"""


def run(path: Path, store: Path, **kw: Any) -> RunSummary:
    with Store(store) as db:
        return Runner(expand(load(path)), db, **kw).run()


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_gobinopt(*args, env=env, timeout=900)


def matrix_run_argv(path: Path, store: Path, *options: str) -> list[str]:
    """The command line of `gobinopt matrix run PATH --store STORE OPTIONS` in this Python."""
    return [*GOBINOPT, "matrix", "run", str(path), "--store", str(store), *options]


@pytest.fixture(scope="module")
def article(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, RunSummary]:
    tmp = tmp_path_factory.mktemp("article")
    path, store = matrix_file(tmp, ARTICLE), tmp / "r.sqlite"
    return path, store, run(path, store, force=True)


def by(summary: RunSummary, **want: object) -> list[dict[str, Any]]:
    return [r for r in summary.records if all(r["spec"][k] == v for k, v in want.items())]


@NEEDS
def test_one_build_per_spec_and_every_variant_recorded(
    article: tuple[Path, Path, RunSummary],
) -> None:
    """Eight build specs give eight `go build`s for 24 variants, each with a record."""
    _, _, summary = article
    assert summary.built == 8 and len(summary.records) == 24
    assert {r["status"] for r in summary.records} <= {"ok", "broken"}


@NEEDS
def test_known_breakages_are_results(article: tuple[Path, Path, RunSummary]) -> None:
    """On an exe, upx then strip fails ("no sections"); on a PIE, upx itself refuses
    (CantPackException: bad DT_HASH), before or after strip."""
    _, _, summary = article
    for rec in by(summary, post="upx,strip", buildmode="exe"):
        assert rec["status"] == "broken" and "has no sections" in rec["reason"], rec
        assert "BINARY" in rec["reason"]
    pie = by(summary, buildmode="pie", environment="host", CGO_ENABLED=0)
    pie = [r for r in pie if "upx" in r["spec"]["post"]]
    assert pie and all(r["status"] == "broken" and "CantPackException" in r["reason"] for r in pie)


@NEEDS
def test_packed_exe_runs_and_is_probed_with_a_large_environment(
    article: tuple[Path, Path, RunSummary],
) -> None:
    """strip→upx on an exe gives a smaller packed binary that passes its probe, also with a
    large environment."""
    _, _, summary = article
    plain = {
        r["spec"]["environment"] + str(r["spec"]["CGO_ENABLED"]): r
        for r in by(summary, post="none", buildmode="exe")
    }
    for rec in by(summary, post="strip,upx", buildmode="exe", CGO_ENABLED=0):
        assert rec["status"] == "ok" and rec["packer"] == "UPX"
        assert rec["size"] < plain[rec["spec"]["environment"] + "0"]["size"]
        assert "ok" in rec["large_env_probe"]


@NEEDS
def test_musl_cgo_variant_is_static(article: tuple[Path, Path, RunSummary]) -> None:
    """In the musl environment a cgo variant is linked statically and fingerprinted as musl."""
    _, _, summary = article
    rec = by(summary, environment="musl", CGO_ENABLED=1, buildmode="exe", post="none")[0]
    assert rec["status"] == "ok" and rec["dynamic"] is False
    assert rec["fingerprint"]["libc"].startswith("musl")
    host = by(summary, environment="host", CGO_ENABLED=1, buildmode="exe", post="none")[0]
    assert host["fingerprint"]["libc"].startswith("glibc")


@NEEDS
def test_records_carry_measurements(article: tuple[Path, Path, RunSummary]) -> None:
    """A record holds size, sha256 of the artifact, categories, packages and the fingerprint."""
    import hashlib

    _, _, summary = article
    rec = by(summary, environment="host", CGO_ENABLED=0, buildmode="exe", post="none")[0]
    data = Path(rec["artifact"]).read_bytes()
    assert rec["size"] == len(data) and rec["sha256"] == hashlib.sha256(data).hexdigest()
    assert sum(rec["categories"].values()) == rec["size"]
    assert "runtime" in rec["packages"] and rec["go_version"] == "go1.26.6"
    assert {"os", "kernel", "libc", "linker", "go", "wsl"} <= set(rec["fingerprint"])
    assert rec["build_seconds"] > 0 and rec["probe"]["ok"]


@NEEDS
def test_unchanged_rerun_reuses_everything(article: tuple[Path, Path, RunSummary]) -> None:
    """A second run of an unchanged matrix builds nothing and returns the same records."""
    path, store, first = article
    again = run(path, store)
    assert again.built == 0 and again.reused == len(first.records)
    assert sorted(r["variant_id"] for r in again.records) == sorted(
        r["variant_id"] for r in first.records
    )


@NEEDS
def test_export_json_and_csv(article: tuple[Path, Path, RunSummary]) -> None:
    """Exports carry the schema version and one entry per stored variant."""
    _, store, _summary = article
    with Store(store) as db:
        records = db.records()
    doc = json.loads(export_json(records))
    assert doc["schema"] == "gobinopt.results/v1" and len(doc["results"]) == 24
    lines = export_csv(records).strip().splitlines()
    assert lines[0].startswith("schema,variant_id") and len(lines) == 25


def test_build_failure_is_recorded_with_the_compiler_message(tmp_path: Path) -> None:
    """A program that does not compile gives broken variants carrying the compiler's words."""
    prog = tmp_path / "bad"
    prog.mkdir()
    (prog / "go.mod").write_text("module example.com/bad\n\ngo 1.21\n")
    (prog / "main.go").write_text("package main\n\nfunc main() { undefinedThing() }\n")
    summary = run(
        matrix_file(tmp_path, '[axes]\npost = ["none", "strip"]\n', prog), tmp_path / "r.sqlite"
    )
    assert len(summary.records) == 2
    for rec in summary.records:
        assert rec["status"] == "broken" and "undefined: undefinedThing" in rec["reason"]


def test_probe_failure_is_recorded(tmp_path: Path) -> None:
    """A variant whose probe output does not match is broken with the probe's reason."""
    path = matrix_file(tmp_path, "", probe='{ args = ["-version"], output = "nope" }')
    summary = run(path, tmp_path / "r.sqlite")
    assert summary.records[0]["status"] == "broken"
    assert "output lacks 'nope'" in summary.records[0]["reason"]


def test_missing_tools_skip_only_their_variants(tmp_path: Path) -> None:
    """Without upx and musl-gcc on PATH, only the variants needing them are skipped, with the
    install hint; the rest run."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("strip", "gcc", "cc", "ld", "as", "readelf", "objcopy"):
        for d in ("/usr/bin", "/bin"):
            if os.path.exists(f"{d}/{tool}"):
                os.symlink(f"{d}/{tool}", bindir / tool)
                break
    body = """
[environments.musl]
kind = "musl"
[axes]
CGO_ENABLED = [0, 1]
post = ["none", "strip,upx"]
"""
    env = dict(os.environ, PATH=str(bindir))
    res = cli(
        "matrix",
        "run",
        str(matrix_file(tmp_path, body)),
        "--store",
        str(tmp_path / "r.sqlite"),
        "--json",
        env=env,
    )
    assert res.returncode == 0, res.stderr
    records = json.loads(res.stdout)["results"]
    reasons = {(r["spec"]["CGO_ENABLED"], r["spec"]["post"]): r for r in records}
    assert reasons[(0, "none")]["status"] == "ok"
    assert reasons[(1, "none")]["reason"] == (
        "skipped: musl-gcc not found — install with apt-get install musl-tools"
    )
    assert reasons[(0, "strip,upx")]["reason"].startswith("skipped: upx not found — install with")


def test_no_go_at_all_is_a_clear_error(tmp_path: Path) -> None:
    """A toolchain path that is not a go binary skips everything and exits 5 with one line."""
    body = '[axes]\ntoolchain = ["/nonexistent/go"]\n'
    res = cli(
        "matrix", "run", str(matrix_file(tmp_path, body)), "--store", str(tmp_path / "r.sqlite")
    )
    assert res.returncode == 5
    assert res.stderr.strip().count("\n") == 0 and "nothing ran" in res.stderr


SLOWISH = """
[environments.host]
kind = "native"
[axes]
buildmode = ["exe", "pie"]
ldflags = ["", "-s", "-w", "-s -w"]
post = ["none", "strip"]
"""


def test_resume_after_kill_keeps_completed_variants(tmp_path: Path) -> None:
    """After kill -9 mid-run, a rerun reuses every variant stored before the kill."""
    path, store = matrix_file(tmp_path, SLOWISH), tmp_path / "r.sqlite"
    proc = subprocess.Popen(
        matrix_run_argv(path, store, "--jobs", "1", "--force"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    done_before = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if store.exists():
            try:
                with sqlite3.connect(store) as db:
                    done_before = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
            except sqlite3.OperationalError:  # the run has not created its table yet
                continue
            if done_before >= 2:
                break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 2 <= done_before < 16, "the run finished before it could be killed"
    with sqlite3.connect(store) as db:
        stored = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    summary = run(path, store)
    assert len(summary.records) == 16
    assert summary.reused >= stored >= done_before
    assert summary.built <= 8 - stored // 2


PACKING = """
[environments.host]
kind = "native"
[axes]
ldflags = ["", "-s", "-w", "-s -w"]
post = ["upx", "strip,upx"]
"""


def start_in_own_group(path: Path, store: Path) -> subprocess.Popen[str]:
    """`gobinopt matrix run --force` in its own process group, as a shell starts a job."""
    return subprocess.Popen(
        matrix_run_argv(path, store, "--jobs", "2", "--force"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@NEEDS
def test_ctrl_c_stores_nothing_the_interrupt_broke(tmp_path: Path) -> None:
    """Ctrl-C mid-run exits 130, and tools it killed are not stored as broken variants."""
    path, store = matrix_file(tmp_path, PACKING), tmp_path / "r.sqlite"
    proc = start_in_own_group(path, store)
    deadline = time.monotonic() + 300
    done_before = 0
    while time.monotonic() < deadline and proc.poll() is None and done_before < 1:
        time.sleep(0.05)
        if store.exists():
            try:
                with sqlite3.connect(store) as db:
                    done_before = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
            except sqlite3.OperationalError:  # the run has not created its table yet
                continue
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert 1 <= done_before < 8, "the run finished before it could be interrupted"
    assert proc.returncode == 130, err[-2000:]
    with sqlite3.connect(store) as db:
        statuses = [row[0] for row in db.execute("SELECT status FROM results")]
    assert set(statuses) == {"ok"}, statuses
    summary = run(path, store)
    assert len(summary.records) == 8 and {r["status"] for r in summary.records} == {"ok"}


def _group_members(pgid: int, comm: str) -> list[int]:
    """Pids of processes named ``comm`` in process group ``pgid`` (from /proc/PID/stat)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if name == comm and int(fields[2]) == pgid:
            pids.append(int(entry.name))
    return pids


@NEEDS
def test_a_tool_killed_by_sigint_stops_the_run_without_a_false_result(tmp_path: Path) -> None:
    """SIGINT to one upx (not to gobinopt) ends the run with exit 130, storing no broken row."""
    path, store = matrix_file(tmp_path, PACKING), tmp_path / "r.sqlite"
    proc = start_in_own_group(path, store)
    deadline = time.monotonic() + 300
    victims: list[int] = []
    while time.monotonic() < deadline and proc.poll() is None and not victims:
        time.sleep(0.02)
        victims = _group_members(proc.pid, "upx")
    assert victims, "no upx ran"
    os.kill(victims[0], signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted" in err and "Traceback" not in err
    with sqlite3.connect(store) as db:
        statuses = [row[0] for row in db.execute("SELECT status FROM results")]
    assert set(statuses) <= {"ok"}, statuses


def test_concurrent_runs_share_one_store(tmp_path: Path) -> None:
    """Two runs at once on one store both finish and leave one intact row per variant."""
    path, store = matrix_file(tmp_path, SLOWISH), tmp_path / "r.sqlite"
    args = matrix_run_argv(path, store, "--force", "--json")
    procs = [
        subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=900) for p in procs]
    assert all(p.returncode == 0 for p in procs), [
        (p.returncode, o[1][-2000:]) for p, o in zip(procs, outs, strict=True)
    ]
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 16
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


FAMILIES = """
[environments.host]
kind = "native"
[axes]
CGO_ENABLED = [0, 1]
buildmode = ["exe", "pie"]
ldflags = ["", "-s -w"]
post = ["none"]
"""


def test_builds_of_one_compile_family_never_overlap_but_families_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, go: str
) -> None:
    """With --jobs 4, exe and pie builds run side by side, but never two of one family."""
    shim = tmp_path / "shim"
    shim.mkdir()
    log = tmp_path / "go.log"
    (shim / "go").write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = build ]; then\n'
        f'  start=$(date +%s%N); sleep 0.5; {go} "$@"; rc=$?\n'
        f'  echo "$start $(date +%s%N) $*" >> {log}; exit $rc\n'
        "fi\n"
        f'exec {go} "$@"\n'
    )
    (shim / "go").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}{os.pathsep}{os.environ['PATH']}")
    summary = run(matrix_file(tmp_path, FAMILIES), tmp_path / "r.sqlite", jobs=4, force=True)
    assert summary.built == 8 and {r["status"] for r in summary.records} == {"ok"}
    builds = []
    for line in log.read_text().splitlines():
        start, end, *args = line.split()
        family = "pie" if "-buildmode=pie" in args else "exe"
        builds.append((int(start), int(end), family))
    assert len(builds) == 8

    def overlap(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
        return a[0] < b[1] and b[0] < a[1]

    pairs = [(a, b) for i, a in enumerate(builds) for b in builds[i + 1 :] if overlap(a, b)]
    assert pairs and all(a[2] != b[2] for a, b in pairs), pairs


def test_shards_and_merge(tmp_path: Path) -> None:
    """Two shards into two stores, merged, hold every variant of the matrix exactly once."""
    path = matrix_file(tmp_path, SLOWISH)
    for i in (1, 2):
        res = cli(
            "matrix",
            "run",
            str(path),
            "--shard",
            f"{i}/2",
            "--store",
            str(tmp_path / f"s{i}.sqlite"),
        )
        assert res.returncode == 0, res.stderr
        assert "[host] go:host" in res.stdout  # labels are printed verbatim in the summary
    res = cli(
        "matrix",
        "merge",
        str(tmp_path / "all.sqlite"),
        str(tmp_path / "s1.sqlite"),
        str(tmp_path / "s2.sqlite"),
    )
    assert res.returncode == 0, res.stderr
    with Store(tmp_path / "all.sqlite") as db:
        ids = [r["variant_id"] for r in db.records()]
    assert len(ids) == len(set(ids)) == 16
    plan = cli("matrix", "plan", str(path), "--format", "github", "--shards", "2")
    assert [e["shard"] for e in json.loads(plan.stdout)["include"]] == ["1/2", "2/2"]


def test_default_matrix_plan_without_a_file() -> None:
    """`gobinopt matrix plan` with no file plans the embedded default over the example."""
    res = cli("matrix", "plan", "--format", "json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["builds"] == 8 and len(doc["variants"]) == 32


def test_store_is_safe_across_threads(tmp_path: Path) -> None:
    """Many threads writing through one Store lose no record and raise nothing."""
    from concurrent.futures import ThreadPoolExecutor

    with Store(tmp_path / "t.sqlite") as db:

        def put(i: int) -> None:
            db.put(f"k{i}", "m", {"variant_id": f"v{i}", "label": "l", "status": "ok"})

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(put, range(400)))
        assert len(db.records()) == 400

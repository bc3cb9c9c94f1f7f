"""`gobinopt matrix run`: real builds, post steps that break, probes, the store, resume."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import GOBINOPT, PROGRAMS, run_gobinopt
from gobinopt.matrix import expand, load
from gobinopt.matrix.interface import host_goarch
from gobinopt.pipeline import Runner, RunSummary
from gobinopt.results.export import export_csv, export_json
from gobinopt.results.interface import SCHEMA, VariantRecord
from gobinopt.store.sqlite import Store

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


def docs(records: list[VariantRecord]) -> list[dict[str, Any]]:
    """Records in their stored JSON form, as `matrix run --json` and the store hold them."""
    return [r.to_json() for r in records]


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
    return [r for r in docs(summary.records) if all(r["spec"][k] == v for k, v in want.items())]


@NEEDS
def test_one_build_per_spec_and_every_variant_recorded(
    article: tuple[Path, Path, RunSummary],
) -> None:
    """Eight build specs give eight `go build`s for 24 variants, each with a record."""
    _, _, summary = article
    assert summary.built == 8 and len(docs(summary.records)) == 24
    assert {r["status"] for r in docs(summary.records)} <= {"ok", "broken"}


@NEEDS
def test_known_breakages_are_results(article: tuple[Path, Path, RunSummary]) -> None:
    """On an exe, upx then strip fails ("no sections"); on a PIE, upx itself refuses
    (CantPackException: bad DT_HASH), before or after strip."""
    _, _, summary = article
    upx_then_strip = by(summary, post="upx,strip", buildmode="exe")
    assert len(upx_then_strip) == 4
    for rec in upx_then_strip:
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
    packed = by(summary, post="strip,upx", buildmode="exe", CGO_ENABLED=0)
    assert len(packed) == 2
    for rec in packed:
        assert rec["status"] == "ok" and rec["packer"] == "UPX"
        assert rec["size"] < plain[rec["spec"]["environment"] + "0"]["size"]
        assert rec["large_env_probe"]["ok"] is True, rec["large_env_probe"]


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
    assert again.built == 0 and again.reused == len(docs(first.records))
    assert sorted(r["variant_id"] for r in docs(again.records)) == sorted(
        r["variant_id"] for r in docs(first.records)
    )


@NEEDS
def test_export_json_and_csv(article: tuple[Path, Path, RunSummary]) -> None:
    """Exports carry the schema version and one entry per stored variant."""
    _, store, _summary = article
    with Store(store) as db:
        records = db.records()
    doc = json.loads(export_json(records))
    assert doc["schema"] == SCHEMA and len(doc["results"]) == 24
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
    assert len(docs(summary.records)) == 2
    for rec in docs(summary.records):
        assert rec["status"] == "broken" and "undefined: undefinedThing" in rec["reason"]


def test_probe_failure_is_recorded(tmp_path: Path) -> None:
    """A variant whose probe output does not match is broken with the probe's reason."""
    path = matrix_file(tmp_path, "", probe='{ args = ["-version"], output = "nope" }')
    summary = run(path, tmp_path / "r.sqlite")
    assert docs(summary.records)[0]["status"] == "broken"
    assert "output lacks 'nope'" in docs(summary.records)[0]["reason"]


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
    """A toolchain path that is not a go binary makes `matrix run` exit 5 with one line before
    anything is built (`matrix plan` does not need the toolchain)."""
    body = '[axes]\ntoolchain = ["/nonexistent/go"]\npost = ["none", "strip"]\n'
    path = matrix_file(tmp_path, body)
    res = cli("matrix", "run", str(path), "--store", str(tmp_path / "r.sqlite"))
    assert res.returncode == 5, res.stderr
    assert res.stderr.strip().count("\n") == 0, res.stderr
    assert "'/nonexistent/go': not an executable go binary" in res.stderr
    assert cli("matrix", "plan", str(path)).returncode == 0


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
    assert len(docs(summary.records)) == 16
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
    assert len(docs(summary.records)) == 8 and {r["status"] for r in docs(summary.records)} == {
        "ok"
    }


def _group_members(pgid: int, comm: str, arg: str = "") -> list[int]:
    """Pids of processes named ``comm`` in process group ``pgid`` (from /proc/PID/stat), whose
    command line has ``arg`` when given (``upx --version`` of the fingerprint is not packing)."""
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
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if not arg or arg.encode() in argv:
                pids.append(int(entry.name))
    return pids


@NEEDS
def test_a_tool_killed_by_sigint_stops_the_run_without_a_false_result(tmp_path: Path) -> None:
    """SIGINT to one upx (not to gobinopt) ends the run with exit 130, storing no broken row."""
    path, store = matrix_file(tmp_path, PACKING), tmp_path / "r.sqlite"
    proc = start_in_own_group(path, store)
    deadline = time.monotonic() + 300
    killed = False
    while time.monotonic() < deadline and proc.poll() is None and not killed:
        time.sleep(0.02)
        for pid in _group_members(proc.pid, "upx", "--best"):
            try:
                os.kill(pid, signal.SIGINT)
                killed = True
                break
            except ProcessLookupError:
                continue  # it finished between the look and the kill: wait for the next one
    assert killed, "no packing upx ran"
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
    assert summary.built == 8 and {r["status"] for r in docs(summary.records)} == {"ok"}
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
        ids = [r["variant_id"] for r in docs(db.records())]
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
            db.put(
                f"k{i}",
                VariantRecord.from_json(
                    {"variant_id": f"v{i}", "label": "l", "status": "ok", "matrix": "m"}
                ),
            )

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(put, range(400)))
        assert len(docs(db.records())) == 400


def _venv_path() -> str:
    """PATH with this Python's bin directory (where the pinned `go` lives) first."""
    return f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


COMMANDS = """
[environments.host]
kind = "native"
[environments.alpine]
kind = "musl"
[axes]
CGO_ENABLED = [0, 1]
post = ["none", "strip", "strip,upx"]
[[exclude]]
environment = "host"
post = "strip,upx"
[[exclude]]
CGO_ENABLED = 0
post = "strip,upx"
"""


@NEEDS
def test_stored_commands_rebuild_the_same_bytes(tmp_path: Path) -> None:
    """Each ok variant's stored commands, pasted into bash in the program directory, rebuild a
    file with the stored sha256 — for a musl environment named `alpine` too (its kind decides:
    CC=musl-gcc and the static link flags are spelled out)."""
    summary = run(matrix_file(tmp_path, COMMANDS), tmp_path / "r.sqlite", force=True)
    ok = [r for r in docs(summary.records) if r["status"] == "ok"]
    assert len(ok) == len(docs(summary.records)) == 9
    static = by(summary, environment="alpine", CGO_ENABLED=1, post="none")[0]
    assert static["dynamic"] is False
    assert static["commands"][0].startswith("CGO_ENABLED=1 CC=musl-gcc GOFLAGS=-buildvcs=false ")
    assert "-linkmode external -extldflags -static" in static["commands"][0]
    env = dict(os.environ, PATH=_venv_path(), GOCACHE=str(tmp_path / "gocache"))
    env.pop("GOFLAGS", None)
    for rec in ok:
        out = tmp_path / "rebuilt" / rec["variant_id"]
        out.parent.mkdir(exist_ok=True)
        build, *steps = rec["commands"]
        assert len(steps) == len(rec["post_steps"]) and " -o app " in build
        script = [build.replace(" -o app ", f" -o {shlex.quote(str(out))} ")]
        script += [step.removesuffix(" app") + f" {shlex.quote(str(out))}" for step in steps]
        res = subprocess.run(
            ["bash", "-euc", "\n".join(script)],
            cwd=PROGRAMS / "hello",
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert res.returncode == 0, (rec["commands"], res.stderr)
        digest = hashlib.sha256(out.read_bytes()).hexdigest()
        assert digest == rec["sha256"], rec["commands"]


LATENCY_SMALL = """
[latency]
warmup = 1
min_runs = 5
max_runs = 10
budget = 1
cold = false
"""


def test_identical_artifacts_are_probed_and_measured_once(tmp_path: Path) -> None:
    """A musl environment with CGO_ENABLED=0 builds the native bytes: the second variant copies
    the first's probe and latency (the very samples) and names it in `same_as`."""
    body = '[environments.host]\nkind = "native"\n[environments.musl]\nkind = "musl"\n'
    summary = run(matrix_file(tmp_path, body + LATENCY_SMALL), tmp_path / "r.sqlite", force=True)
    host, musl = (by(summary, environment=e)[0] for e in ("host", "musl"))
    assert host["sha256"] == musl["sha256"] and host["status"] == musl["status"] == "ok"
    measured, copy = (host, musl) if "same_as" in musl else (musl, host)
    assert "same_as" not in measured and copy["same_as"] == measured["variant_id"]
    assert copy["latency"] == measured["latency"]
    assert copy["latency"]["warm"]["samples_s"]
    assert copy["probe"] == measured["probe"]
    with Store(tmp_path / "r.sqlite") as db:
        stored = {r["variant_id"]: r for r in docs(db.records())}
    assert stored[copy["variant_id"]]["same_as"] == measured["variant_id"]


def test_store_key_of_a_default_spec_did_not_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The content key of a spec with the new fields at their defaults is the one the old
    formula gave (asdict of the six original spec fields), so existing stores keep matching."""
    from dataclasses import asdict

    monkeypatch.delenv("GOFLAGS", raising=False)
    with Store(tmp_path / "r.sqlite") as db:
        plan = expand(load(matrix_file(tmp_path, '[axes]\nldflags = ["-s -w"]\n')))
        runner = Runner(plan, db)
        v = plan.variants[0]
        fp = {"os": "x"}
        old = {
            "source": runner._source,
            "program": asdict(plan.matrix.program),
            "toolchain": "go1.26.6",
            "fingerprint": fp,
            "spec": {
                "environment": "host",
                "toolchain": "host",
                "cgo": False,
                "buildmode": "exe",
                "ldflags": "-s -w",
                "trimpath": False,
            },
            "pipeline": [],
        }
        blob = json.dumps(old, sort_keys=True).encode()
        assert runner.key(v, "go1.26.6", fp) == hashlib.sha256(blob).hexdigest()
        monkeypatch.setenv("GOFLAGS", "-trimpath")
        assert runner.key(v, "go1.26.6", fp) != hashlib.sha256(blob).hexdigest()


def _go_shim(tmp_path: Path, go: str) -> tuple[Path, Path]:
    """A `go` on PATH that logs each `go build` it passes on to the pinned toolchain."""
    shim, log = tmp_path / "shim", tmp_path / "go.log"
    shim.mkdir()
    (shim / "go").write_text(
        f'#!/bin/sh\nif [ "$1" = build ]; then echo "$*" >> {log}; fi\nexec {go} "$@"\n'
    )
    (shim / "go").chmod(0o755)
    log.touch()
    return shim, log


LATENCY_LONG = """
[axes]
ldflags = ["", "-s -w"]
post = ["none", "strip"]
[latency]
warmup = 1
min_runs = 400
max_runs = 400
budget = 30
cold = false
"""


def test_interrupted_latency_phase_keeps_builds_and_resumes_with_latency_only(
    tmp_path: Path, go: str
) -> None:
    """Ctrl-C during the latency phase leaves every variant stored (status ok); the re-run
    measures only the variants that lack latency and runs no `go build`."""
    path, store = matrix_file(tmp_path, LATENCY_LONG), tmp_path / "r.sqlite"
    shim, log = _go_shim(tmp_path, go)
    env = dict(os.environ, PATH=f"{shim}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.Popen(
        matrix_run_argv(path, store, "--jobs", "2", "--force"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=env,
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("latency "):
            break
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, "".join(seen) + err[-2000:]
    with Store(store) as db:
        before = {r["variant_id"]: r for r in docs(db.records())}
    assert len(before) == 4 and {r["status"] for r in before.values()} == {"ok"}
    measured = {k for k, r in before.items() if r.get("latency")}
    assert 1 <= len(measured) < 4, "the interrupt did not land in the latency phase"
    assert len(log.read_text().splitlines()) == 2
    log.write_text("")
    res = run_gobinopt(*matrix_run_argv(path, store)[len(GOBINOPT) :], env=env, timeout=600)
    assert res.returncode == 0, res.stderr
    assert log.read_text() == "", "the resumed run rebuilt something"
    relatency = [ln for ln in res.stderr.splitlines() if ln.startswith("latency ")]
    assert len(relatency) == 4 - len(measured)
    with Store(store) as db:
        after = {r["variant_id"]: r for r in docs(db.records())}
    assert all(r.get("latency", {}).get("warm") for r in after.values())
    for k in measured:
        assert after[k]["latency"] == before[k]["latency"]


def test_progress_lines_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    """Without a TTY, `matrix run` prints one plain line per finished build, per finished
    variant (status, label, size, seconds) and per latency measurement."""
    body = '[axes]\npost = ["none", "strip"]\n' + LATENCY_SMALL
    res = cli(
        "matrix", "run", str(matrix_file(tmp_path, body)), "--store", str(tmp_path / "r.sqlite")
    )
    assert res.returncode == 0, res.stderr
    lines = res.stderr.splitlines()
    built = [ln for ln in lines if ln.startswith("built ")]
    assert len(built) == 1 and "[host] go:host CGO_ENABLED=0 exe" in built[0]
    assert re.search(r"\d+\.\d s$", built[0])
    done = [ln for ln in lines if re.match(r"\[\d/2\] ok ", ln)]
    assert len(done) == 2
    assert all(re.search(r"[\d,]+ B  \d+\.\d s$", ln) for ln in done), done
    assert any("| strip --strip-all" in ln for ln in done)
    latency = [ln for ln in lines if ln.startswith("latency ")]
    assert len(latency) == 2 and all(re.search(r"warm \d+\.\d+ ms", ln) for ln in latency)


def test_unwritable_store_is_bad_input_before_any_work(tmp_path: Path) -> None:
    """`matrix run --store` and `matrix merge` into a path under a file exit 4 with one line."""
    bad = "/etc/passwd/x.sqlite"
    res = cli("matrix", "run", str(matrix_file(tmp_path, "")), "--store", bad)
    assert res.returncode == 4, res.stderr
    assert res.stderr.strip().count("\n") == 0 and bad in res.stderr and "hint:" in res.stderr
    res = cli("matrix", "merge", bad, str(tmp_path / "none.sqlite"))
    assert res.returncode == 4, res.stderr
    assert res.stderr.strip().count("\n") == 0 and bad in res.stderr


def test_directory_as_matrix_file_is_not_found(tmp_path: Path) -> None:
    """A directory given as the matrix file exits 3 with one line, in plan and run alike."""
    for args in (("plan",), ("run", "--store", str(tmp_path / "r.sqlite"))):
        res = cli("matrix", *args, str(tmp_path))
        assert res.returncode == 3, res.stderr
        assert res.stderr.strip().count("\n") == 0 and "is a directory" in res.stderr


def test_unknown_toolchain_version_is_one_message_in_plan_and_run(tmp_path: Path) -> None:
    """A toolchain version that PyPI lacks fails `matrix plan` and `matrix run` once, naming
    the version and the versions that exist, before anything is built."""
    from gobinopt.toolchains import available_versions

    if available_versions() is None:
        pytest.skip("the package index cannot be asked (offline)")
    body = '[axes]\ntoolchain = ["1.99.0"]\nCGO_ENABLED = [0, 1]\npost = ["none", "strip"]\n'
    path = matrix_file(tmp_path, body)
    for args in (("plan", str(path)), ("run", str(path), "--store", str(tmp_path / "r.sqlite"))):
        res = cli("matrix", *args)
        assert res.returncode == 4, res.stderr
        assert res.stderr.strip().count("\n") == 0, res.stderr
        assert "'1.99.0'" in res.stderr and "1.21" in res.stderr and "1.27" in res.stderr


def test_ldflags_tags_env_goflags_and_cross_arch(tmp_path: Path) -> None:
    """-X with a quoted space reaches the linker as one argument, [env] and the user's GOFLAGS
    reach `go build`, and an arm64 variant is ok but not run (its probe is skipped)."""
    body = """
[axes]
ldflags = ["-s -w -X main.version='1 2'"]
tags = ["netgo"]
GOARCH = ["", "arm64"]
[env]
GOFLAGS = "-trimpath"
"""
    path = matrix_file(tmp_path, body, probe='{ args = ["-version"], output = "hello 1 2" }')
    summary = run(path, tmp_path / "r.sqlite")
    host = by(summary, GOARCH=host_goarch())[0]
    assert host["status"] == "ok" and host["probe"]["ok"] is True, host
    assert "GOFLAGS='-buildvcs=false -trimpath'" in host["commands"][0]
    assert "-tags=netgo" in host["commands"][0]
    if host_goarch() != "arm64":
        arm = by(summary, GOARCH="arm64")[0]
        assert arm["status"] == "ok" and "latency" not in arm
        assert arm["probe"]["message"] == f"probe skipped: cannot run arm64 on {host_goarch()}"
    info = subprocess.run(
        [str(Path(sys.executable).parent / "go"), "version", "-m", host["artifact"]],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "-trimpath=true" in info and "-tags=netgo" in info

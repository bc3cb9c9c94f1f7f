"""The start-up latency probe on real Go binaries: lower bounds only, exec-scoped peak RSS.

No timing threshold here is an upper bound that a loaded machine could break: a program that
sleeps 50 ms cannot finish sooner, a run killed after 0.2 s took at least 0.2 s, and a UPX stub
that must decompress the program before running it cannot beat the same program unpacked.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ELF_VARIANTS, Builder, Spec
from gobinopt.cache import cache_dir
from gobinopt.errors import BadInputError, ExitStatus, InputNotFoundError
from gobinopt.probe.interface import SCHEMA, Eviction, LatencyResult, Method, StopReason
from gobinopt.probe.latency import launcher, measure

SLEEPER = Spec("sleeper")
HELLO = ELF_VARIANTS["hello"]
HELLO_STRIPPED = ELF_VARIANTS["hello-stripped"]
HELLO_UPX = Spec("hello", post="upx")
MiB = 1024  # ru_maxrss is in KiB


def quick(argv: list[str], *, cold: bool = False, expect_exit: int = 0) -> LatencyResult:
    """A short loop (3 to 5 runs after one warm-up) for tests that compare no timings."""
    return measure(
        argv, cold=cold, runs_min=3, runs_max=5, warmup=1, budget_s=30.0, expect_exit=expect_exit
    )


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`gobinopt probe ARGS` with this process's environment as Python sees it (without the
    COLUMNS that GNU readline exports into the C environment when pytest imports it)."""
    return subprocess.run(
        [sys.executable, "-m", "gobinopt", "probe", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=dict(os.environ) if env is None else env,
    )


def fs_type(path: Path) -> str:
    """The file system type of ``path`` as ``stat -f`` names it (ext4 is "ext2/ext3")."""
    res = subprocess.run(
        ["stat", "-f", "-c", "%T", str(path)], capture_output=True, text=True, check=False
    )
    return res.stdout.strip()


def test_launcher_is_built_in_the_cache_dir() -> None:
    """The C launcher is compiled on first use into cache_dir()/launcher/<hash>/."""
    status = launcher()
    assert status.path, status.note
    path = Path(status.path)
    assert path.parent.parent == cache_dir() / "launcher"
    assert os.access(path, os.X_OK) and (path.parent / "launcher.c").exists()


def test_sleeper_median_is_at_least_its_sleep(builder: Builder) -> None:
    """A Go program that sleeps 50 ms measures a median and a minimum of at least 50 ms."""
    sleeper = str(builder.build(SLEEPER))
    r = measure([sleeper, "-ms", "50"], cold=False, runs_min=5, runs_max=10, warmup=1)
    assert r.ok, r.failure
    assert r.method is Method.LAUNCHER
    assert r.median_s >= 0.050 and r.min_s >= 0.050
    assert 5 <= r.runs <= 10 and len(r.samples_s) == r.runs
    assert r.min_s <= r.q1_s <= r.median_s <= r.q3_s <= r.max_s
    assert r.iqr_s == pytest.approx(r.q3_s - r.q1_s)
    assert r.exit_codes == ((0, r.runs),)


def test_upx_packed_is_slower_warm_than_its_unpacked_twin(builder: Builder) -> None:
    """A UPX-packed hello starts slower warm than the same stripped hello unpacked."""
    plain = str(builder.build(HELLO_STRIPPED))
    packed = str(builder.build(HELLO_UPX))
    p = measure([plain, "-version"], cold=False, runs_min=10, runs_max=300, budget_s=5.0)
    u = measure([packed, "-version"], cold=False, runs_min=10, runs_max=300, budget_s=5.0)
    assert p.ok and u.ok, (p.failure, u.failure)
    assert u.median_s > p.median_s, (u.median_s, p.median_s)


def test_peak_rss_is_the_commands_own(builder: Builder) -> None:
    """Peak RSS is exec-scoped: hello reports a few MB while its parent holds 256 MB more, and a
    program that touches 100 MiB reports at least 100 MiB."""
    hello = str(builder.build(HELLO))
    sleeper = str(builder.build(SLEEPER))
    ballast = bytearray(256 << 20)
    ballast[::4096] = b"\x01" * len(range(0, len(ballast), 4096))  # touch every page
    parent_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    small = quick([hello, "-version"], cold=False)
    big = quick([sleeper, "-touch-mb", "100"], cold=False)
    del ballast
    assert small.ok and big.ok, (small.failure, big.failure)
    assert small.peak_rss_kb_max is not None and big.peak_rss_kb_median is not None
    assert parent_kb >= 256 * MiB
    assert small.peak_rss_kb_max < 30 * MiB
    assert small.peak_rss_kb_max < parent_kb / 8
    assert big.peak_rss_kb_median >= 100 * MiB
    assert small.rss_floor_kb is not None and small.rss_floor_kb < 30 * MiB


def test_cold_mode_evicts_before_every_run(builder: Builder, tmp_path: Path) -> None:
    """Cold runs evict the binary with fadvise before each run, count their runs, report faults."""
    hello = tmp_path / "hello"
    shutil.copy2(builder.build(HELLO), hello)
    r = quick([str(hello), "-version"], cold=True)
    assert r.ok, r.failure
    assert r.cold and r.mode == "cold" and r.eviction is Eviction.FADVISE
    assert 3 <= r.runs <= 5 and r.warmup == 1 and len(r.samples_s) == r.runs
    assert r.major_faults >= 0 and r.minor_faults > 0
    assert r.resident_after_eviction is not None
    assert 0.0 <= r.resident_after_eviction <= 1.0
    if fs_type(tmp_path) in ("ext2/ext3", "xfs", "btrfs"):
        assert r.resident_after_eviction == 0.0


def test_adaptive_loop_stops_at_max_runs(builder: Builder) -> None:
    """With a precision no real distribution meets, the loop stops exactly at runs_max."""
    hello = str(builder.build(HELLO))
    r = measure(
        [hello, "-version"], cold=False, runs_min=3, runs_max=7, precision=0.0, budget_s=600
    )
    assert r.ok and r.runs == 7 and r.stopped_because is StopReason.MAX_RUNS


def test_adaptive_loop_stops_on_the_budget(builder: Builder) -> None:
    """A 50 ms sleeper under a 0.2 s budget stops on the budget after at most 4 runs."""
    sleeper = str(builder.build(SLEEPER))
    r = measure(
        [sleeper, "-ms", "50"], cold=False, runs_min=100, runs_max=100, budget_s=0.2, warmup=0
    )
    assert r.ok and r.stopped_because is StopReason.BUDGET and 1 <= r.runs <= 4


def test_adaptive_loop_stops_on_the_spread(builder: Builder) -> None:
    """A precision any distribution meets stops the loop at runs_min with reason "spread"."""
    sleeper = str(builder.build(SLEEPER))
    r = measure(
        [sleeper, "-ms", "20"], cold=False, runs_min=4, runs_max=50, precision=1000, warmup=0
    )
    assert r.ok and r.runs == 4 and r.stopped_because is StopReason.SPREAD


def test_failing_command_is_reported_not_raised(builder: Builder) -> None:
    """A run exiting 3 where 0 is expected ends the loop and is reported in the result."""
    sleeper = str(builder.build(SLEEPER))
    bad = quick([sleeper, "-exit", "3"], cold=False)
    assert not bad.ok and bad.failures == 1 and bad.runs == 1
    assert bad.stopped_because is StopReason.FAILED
    assert bad.exit_codes == ((3, 1),) and bad.failure.startswith("exit 3, expected 0")
    good = quick([sleeper, "-exit", "3"], cold=False, expect_exit=3)
    assert good.ok and good.exit_codes == ((3, good.runs),)


def test_timeout_kills_the_run_and_reports_it(builder: Builder) -> None:
    """A run longer than the per-run timeout is killed, took at least the timeout, and fails."""
    sleeper = str(builder.build(SLEEPER))
    r = measure([sleeper, "-ms", "5000"], cold=False, timeout_s=0.2, warmup=0)
    assert not r.ok and r.stopped_because is StopReason.FAILED
    assert r.exit_codes == ((-9, 1),) and "timed out" in r.failure
    assert r.median_s >= 0.2


def test_bad_executables_raise_not_found_and_bad_input(tmp_path: Path) -> None:
    """Missing paths and directories are InputNotFoundError; files the kernel cannot exec are
    BadInputError."""
    with pytest.raises(InputNotFoundError):
        measure([str(tmp_path / "missing")], cold=False)
    with pytest.raises(InputNotFoundError):
        measure([str(tmp_path)], cold=False)
    script = tmp_path / "noexec-format"
    script.write_text("not an executable and no #! line\n")
    script.chmod(0o755)
    with pytest.raises(BadInputError):
        quick([str(script)], cold=False)


# ---------------------------------------------------------------------------------------------
# The command line


def test_cli_table_has_a_warm_and_a_cold_row(builder: Builder) -> None:
    """Without --cold/--warm the table has one warm and one cold row with every column."""
    hello = str(builder.build(HELLO))
    res = cli("--runs-min", "3", "--runs-max", "5", "--warmup", "1", hello, "--", "-version")
    assert res.returncode == 0, res.stderr
    for text in ("warm", "cold (fadvise)", "median", "IQR", "peak RSS", "faults", "runs"):
        assert text in res.stdout, text
    assert "MiB" in res.stdout and "launcher" in res.stdout


def test_cli_json_document(builder: Builder) -> None:
    """--json prints the gobinopt.probe/v1 document with one result per mode."""
    hello = str(builder.build(HELLO))
    res = cli(hello, "--json", "--runs-min", "3", "--runs-max", "5", "--", "-version")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["schema"] == SCHEMA == "gobinopt.probe/v1"
    assert doc["command"] == [hello, "-version"]
    assert doc["method"]["timing"] == "launcher" and doc["method"]["rss_floor_kb"] > 0
    assert [r["mode"] for r in doc["results"]] == ["warm", "cold"]
    for r in doc["results"]:
        assert r["median_s"] > 0 and 3 <= r["runs"] <= 5 and r["exit_codes"] == {"0": r["runs"]}
        assert r["stopped_because"] in ("spread", "budget", "max runs")
        assert r["peak_rss_kb"]["median"] > 0 and r["major_faults"] >= 0
        assert len(r["samples_s"]) == r["runs"]


def test_cli_arguments_without_double_dash(builder: Builder) -> None:
    """Unknown dash options after BINARY are passed to the command; --warm gives one row."""
    hello = str(builder.build(HELLO))
    res = cli(hello, "-version", "--warm", "--json", "--runs-min", "2", "--runs-max", "2")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["command"] == [hello, "-version"]
    assert [r["mode"] for r in doc["results"]] == ["warm"] and doc["results"][0]["runs"] == 2


def test_cli_failing_command_exits_1_with_the_result(builder: Builder) -> None:
    """A command that exits 3 instead of 0 gives exit status 1 and still prints its result."""
    sleeper = str(builder.build(SLEEPER))
    res = cli("--warm", "--json", sleeper, "--", "-exit", "3")
    assert res.returncode == ExitStatus.FAILURE
    result = json.loads(res.stdout)["results"][0]
    assert result["failures"] == 1 and result["exit_codes"] == {"3": 1}
    assert result["stopped_because"] == "failed"
    ok = cli("--warm", "--expect-exit", "3", "--runs-min", "2", sleeper, "--", "-exit", "3")
    assert ok.returncode == 0, ok.stderr


def test_cli_missing_binary_exits_3(tmp_path: Path) -> None:
    """A missing BINARY is exit status 3 with one line on stderr."""
    res = cli(str(tmp_path / "nope"))
    assert res.returncode == ExitStatus.NOT_FOUND
    assert res.stderr.startswith("gobinopt: error: ") and res.stderr.count("\n") == 1


def test_cli_not_executable_exits_4(builder: Builder, tmp_path: Path) -> None:
    """A BINARY without execute permission is exit status 4 with one line on stderr."""
    copy = tmp_path / "hello"
    shutil.copyfile(builder.build(HELLO), copy)
    copy.chmod(0o644)
    res = cli(str(copy))
    assert res.returncode == ExitStatus.BAD_INPUT
    assert "not executable" in res.stderr and res.stderr.count("\n") == 1


def test_cli_drop_caches_without_root_exits_2(builder: Builder) -> None:
    """--drop-caches as a non-root user is a one-line usage error (exit status 2)."""
    binary = str(builder.build(HELLO))
    command = [sys.executable, "-m", "gobinopt", "probe", "--drop-caches", binary]
    if os.geteuid() == 0:
        # A new user namespace without a uid map: the same files stay readable (the venv may
        # live under /root), but the effective uid is the overflow uid, not 0.
        unshare = shutil.which("unshare")
        if unshare is None:
            pytest.skip("unshare not found — install with apt-get install util-linux")
        command = [unshare, "--user", *command]
    res = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if "unshare failed" in res.stderr:
        pytest.skip(f"user namespaces are not available here: {res.stderr.strip()}")
    assert res.returncode == ExitStatus.USAGE, res.stderr
    assert "--drop-caches needs root" in res.stderr and res.stderr.count("\n") == 1


def test_cli_drop_caches_with_warm_only_exits_2(builder: Builder) -> None:
    """--drop-caches with --warm is a usage error: only cold runs drop caches."""
    res = cli("--warm", "--drop-caches", str(builder.build(HELLO)))
    assert res.returncode == ExitStatus.USAGE and "cold runs only" in res.stderr


@pytest.mark.skipif(
    os.geteuid() != 0 or not os.access("/proc/sys/vm/drop_caches", os.W_OK),
    reason="--drop-caches needs root and a writable /proc/sys/vm/drop_caches",
)
def test_cli_drop_caches_as_root(builder: Builder) -> None:
    """As root, --cold --drop-caches runs with the whole page cache dropped before each run."""
    hello = str(builder.build(HELLO))
    res = cli(
        "--cold", "--drop-caches", "--json", "--runs-min", "2", "--runs-max", "2", "--warmup",
        "0", hello, "--", "-version",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)["results"][0]
    assert result["eviction"] == "drop_caches" and result["runs"] == 2


def test_cli_without_gcc_skips_peak_rss(builder: Builder, tmp_path: Path) -> None:
    """Without gcc (and no launcher built yet) runs are timed from Python and peak RSS is
    skipped with the install hint."""
    hello = str(builder.build(HELLO))
    empty = tmp_path / "empty-path"
    empty.mkdir()
    env = dict(os.environ, PATH=str(empty), GOBINOPT_CACHE=str(tmp_path / "cache"))
    res = cli("--warm", "--json", "--runs-min", "3", "--runs-max", "5", hello, env=env)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["method"]["timing"] == "python" and doc["method"]["launcher"] is None
    assert doc["method"]["rss_note"] == "skipped: gcc not found — install with apt-get install gcc"
    result = doc["results"][0]
    assert result["peak_rss_kb"] == {"median": None, "max": None}
    assert result["median_s"] > 0 and result["minor_faults"] > 0


def test_cli_help_names_probe() -> None:
    """`gobinopt --help` lists the probe command and `probe --help` documents its options."""
    res = subprocess.run(
        [sys.executable, "-m", "gobinopt", "--help"], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0 and "probe" in res.stdout
    res = cli("--help")
    for option in ("--cold", "--warm", "--drop-caches", "--runs-min", "--runs-max", "--budget"):
        assert option in res.stdout, option
    assert "--warmup" in res.stdout and "--expect-exit" in res.stdout and "--json" in res.stdout


def test_cli_exports_like_hyperfine(builder: Builder, tmp_path: Path) -> None:
    """--export-json/-csv/-markdown write hyperfine's formats (into new directories), with the
    same medians as the --json document, one result per mode."""
    hello = str(builder.build(HELLO))
    out = tmp_path / "new" / "dir"
    res = cli(
        "--json", "--runs-min", "3", "--runs-max", "5", "--warmup", "1",
        "--export-json", str(out / "t.json"), "--export-csv", str(out / "t.csv"),
        "--export-markdown", str(out / "t.md"), hello, "--", "-version",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    exported = json.loads((out / "t.json").read_text())["results"]
    assert [e["mode"] for e in exported] == ["warm", "cold"]
    for e, r in zip(exported, doc["results"], strict=True):
        assert e["command"] == f"{hello} -version"
        assert e["median"] == r["median_s"] and e["min"] == r["min_s"] and e["max"] == r["max_s"]
        assert e["times"] == r["samples_s"] and e["exit_codes"] == [0] * r["runs"]
        assert min(e["times"]) <= e["mean"] <= max(e["times"]) and e["stddev"] >= 0
        assert e["user"] is None and e["system"] is None
        assert e["peak_rss_kb_median"] == r["peak_rss_kb"]["median"]
    rows = list(csv.DictReader((out / "t.csv").read_text().splitlines()))
    header = (out / "t.csv").read_text().splitlines()[0].split(",")
    assert header[:8] == ["command", "mean", "stddev", "median", "user", "system", "min", "max"]
    assert [float(row["median"]) for row in rows] == [e["median"] for e in exported]
    md = (out / "t.md").read_text().splitlines()
    assert md[0].startswith("| Command | Mode | Mean [ms] |") and md[0].endswith("| Relative |")
    assert len(md) == 4 and "1.00 |" in "".join(md[2:])


@pytest.mark.parametrize("target", ["/etc/passwd/x.json", "/proc/gobinopt-test/x.json"])
def test_cli_unwritable_export_exits_4_before_measuring(builder: Builder, target: str) -> None:
    """An export path that cannot be written is exit 4 with one line, before any run."""
    res = cli("--export-json", target, "--runs-min", "1000", str(builder.build(SLEEPER)))
    assert res.returncode == ExitStatus.BAD_INPUT, res.stderr
    assert res.stderr.startswith(f"gobinopt: error: {target}") and res.stderr.count("\n") == 1

"""Benchmark ``gobinopt matrix run`` on the embedded default matrix against a plain shell script.

Run with the project's virtualenv Python::

    python benchmarks/bench_matrix.py [--jobs N] [--reruns N] [--out DIR] [--keep-caches]

The reference is a plain ``sh`` script, generated from the same plan and saved (and printed)
next to the results, that does the work one step after another the way the article does it:
for each of the 32 variants its own ``go build`` with the variant's flags (no sharing of builds
between variants), then the variant's post steps in order on that output (a failing step is
noted and the script carries on, like ``|| true``), then the probe ``BINARY -version``.

Both start cold: a fresh, empty GOCACHE each (gobinopt's lives in a fresh GOBINOPT_CACHE) and a
fresh results store; nothing else is dropped. The script runs first, then
``gobinopt matrix run --store FRESH --force``; then unchanged re-runs of ``gobinopt matrix run``
on the same store and cache, against ``gobinopt --help`` as the reference. A logging ``go``
shim first on PATH (used by both) counts the ``go build`` runs and times them. Every figure is
measured in this run and printed next to its reference; nothing is hard-coded or asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _common import gobinopt_cmd, pinned_go, venv_bin

if TYPE_CHECKING:
    from gobinopt.matrix import Plan, Variant

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / ".cache" / "matrix"
HELP_RUNS = 10
#: Targets this benchmark reports against (met / MISSED); they are never asserted.
RATIO_TARGET = 0.6
RERUN_TARGET_S = 2.0
#: Busy share of the machine under which it counts as idle before a cold run.
IDLE_SHARE = 0.1
#: How long the machine must have been that idle.
IDLE_WINDOW_S = 20


# ---------------------------------------------------------------------------------------------
# Tools and the plan


def default_plan() -> Plan:
    """The plan of the embedded default matrix, exactly as ``gobinopt matrix run`` expands it."""
    from gobinopt.matrix import expand, load

    path = Path(str(resources.files("gobinopt") / "matrices" / "default.toml"))
    plan = expand(load(path))
    kinds = {plan.matrix.environment(v.build.environment).kind for v in plan.variants}
    if kinds != {"native"} or not plan.matrix.program.directory:
        sys.exit(f"this benchmark handles native builds of a directory only, got {sorted(kinds)}")
    return plan


def without_latency(plan: Plan) -> str:
    """The embedded default matrix's text with its ``[latency]`` table removed and the program
    path made absolute (the copy lives elsewhere)."""
    text = Path(plan.matrix.path).read_text()
    if "[latency]" in text:
        head, _, rest = text.partition("[latency]")
        tail = rest.split("\n[", 1)
        text = head + ("[" + tail[1] if len(tail) > 1 else "")
    return text.replace(
        'path = "../examples/webhello"', f'path = "{plan.matrix.program.directory}"'
    )


def first_line(argv: Sequence[str]) -> str:
    """First line a command prints (stdout, else stderr), or "missing"."""
    try:
        res = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    except OSError:
        return "missing"
    lines = (res.stdout or res.stderr).strip().splitlines()
    return lines[0].strip() if lines else "?"


# ---------------------------------------------------------------------------------------------
# The reference script and the go shim


def _build_flags(v: Variant) -> list[str]:
    """The `go build` flags the script's ``variant`` function passes for these arguments."""
    flags = [f"-buildmode={v.build.buildmode}"]
    if v.build.ldflags:
        flags.append(f"-ldflags={v.build.ldflags}")
    return flags


def reference_script(plan: Plan) -> str:
    """The plain shell script: every variant built, post-processed and probed on its own."""
    program = plan.matrix.program
    step_args: dict[str, tuple[str, ...]] = {}
    for v in plan.variants:
        if _build_flags(v) != v.build.go_args():
            sys.exit(f"the script cannot pass gobinopt's flags {v.build.go_args()} (trimpath?)")
        for step in v.pipeline.steps:
            step_args[step.kind] = step.args
    cases = "\n".join(
        f'            {kind}) {shlex.join([kind, *args])} "$bin" ;;'
        for kind, args in sorted(step_args.items())
    )
    probe = shlex.join(program.probe.args)
    lines = [
        "#!/bin/sh",
        "# Reference of benchmarks/bench_matrix.py: the default matrix built the way the article",
        "# does it, one variant after another. Each variant gets its own `go build` (nothing is",
        "# shared between variants), then its post steps in order on that output (a failing step",
        "# is noted and the script carries on, like `|| true`), then the probe.",
        "# Needs GOCACHE (a fresh directory) and OUT (where the binaries go) in the environment.",
        "set -u",
        ': "${GOCACHE:?set GOCACHE}" "${OUT:?set OUT}"',
        "export GOCACHE GOTOOLCHAIN=local GOFLAGS=-buildvcs=false",
        "unset GOROOT CC  # the go command finds its own GOROOT; cgo uses the default C compiler",
        f"cd {shlex.quote(program.directory)} || exit 1",
        "",
        "variant() {  # ID CGO_ENABLED BUILDMODE LDFLAGS [POST-STEP...]",
        "    id=$1 cgo=$2 mode=$3 ldflags=$4; shift 4",
        '    bin="$OUT/$id/bin"; mkdir -p "$OUT/$id"; failed=',
        '    CGO_ENABLED=$cgo go build -buildmode="$mode" ${ldflags:+"-ldflags=$ldflags"} \\',
        '        -o "$bin" . || failed=${failed:-go build}',
        '    for step in "$@"; do',
        "        case $step in",
        cases,
        "        esac || failed=${failed:-$step}",
        "    done",
        f'    "$bin" {probe} || failed=${{failed:-probe}}',
        '    echo "RESULT $id ${failed:-ok}"',
        "}",
        "",
    ]
    previous = None
    for v in plan.variants:
        if v.build != previous:
            lines.append(f"# {v.build.label()}")
            previous = v.build
        args = [
            v.id,
            str(int(v.build.cgo)),
            v.build.buildmode,
            v.build.ldflags,
            *(s.kind for s in v.pipeline.steps),
        ]
        lines.append("variant " + " ".join(shlex.quote(a) for a in args))
    return "\n".join(lines) + "\n"


def write_go_shim(directory: Path, real_go: str) -> Path:
    """A `go` that runs the real one, then logs the call: start and end (ns), exit code,
    CGO_ENABLED and the arguments."""
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / "go"
    shim.write_text(
        "#!/bin/sh\n"
        "# go shim of benchmarks/bench_matrix.py: times and logs every call to BENCH_GO_LOG.\n"
        "start=$(date +%s%N)\n"
        f'{shlex.quote(real_go)} "$@"\n'
        "rc=$?\n"
        "printf '%s %s %s %s %s\\n' "
        '"$start" "$(date +%s%N)" "$rc" "${CGO_ENABLED:--}" "$*" >> "$BENCH_GO_LOG"\n'
        "exit $rc\n"
    )
    shim.chmod(0o755)
    return shim


@dataclass(frozen=True)
class GoCall:
    """One `go` invocation seen by the shim (times are the shim's wall clock, ns since epoch)."""

    start_ns: int
    end_ns: int
    exit_code: int
    cgo: str
    args: list[str]

    @property
    def seconds(self) -> float:
        return (self.end_ns - self.start_ns) / 1e9

    @property
    def is_build(self) -> bool:
        return bool(self.args) and self.args[0] == "build"

    def build_flags(self) -> tuple[str, ...]:
        """The build's flags without ``-o PATH`` and the package (to compare build sets)."""
        out: list[str] = [f"CGO_ENABLED={self.cgo}"]
        skip = False
        for arg in self.args[1:-1]:
            if skip:
                skip = False
            elif arg == "-o":
                skip = True
            else:
                out.append(arg)
        return tuple(out)

    def compile_config(self) -> tuple[str, ...]:
        """What decides the compile actions: the build flags without -ldflags."""
        flags = self.build_flags()
        if not any(f.startswith("-ldflags=") for f in flags):
            return flags
        i = next(i for i, f in enumerate(flags) if f.startswith("-ldflags="))
        return flags[:i]  # -ldflags comes last in both the script and gobinopt


def go_calls(log: Path) -> list[GoCall]:
    """Parse a shim log (arguments are split on spaces, which is exact for flag *sets*)."""
    calls: list[GoCall] = []
    if not log.exists():
        return calls
    for line in log.read_text().splitlines():
        start, end, rc, cgo, *args = line.split(" ")
        calls.append(GoCall(int(start), int(end), int(rc), cgo, args))
    return calls


def build_busy_seconds(calls: list[GoCall]) -> float:
    """Wall-clock seconds during which at least one `go build` was running."""
    spans = sorted((c.start_ns, c.end_ns) for c in calls if c.is_build)
    busy = 0
    cur_start, cur_end = None, 0
    for start, end in spans:
        if cur_start is None or start > cur_end:
            if cur_start is not None:
                busy += cur_end - cur_start
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_start is not None:
        busy += cur_end - cur_start
    return busy / 1e9


# ---------------------------------------------------------------------------------------------
# Running and timing


@dataclass(frozen=True)
class Phase:
    """One timed command: wall clock, and CPU seconds of its processes and of everything else."""

    start_ns: int
    seconds: float
    own_cpu: float
    #: CPU seconds the rest of the machine used meanwhile (None where /proc/stat is missing).
    other_cpu: float | None
    #: CPU seconds the hypervisor gave to other guests meanwhile (None: unknown).
    steal: float | None

    def cpu_note(self) -> str:
        """CPU use of the command and whatever else ran on the machine at the same time."""
        cores = os.cpu_count() or 1
        text = f"CPU {self.own_cpu:.0f} s ({self.own_cpu / self.seconds:.2f} cores on average)"
        if self.other_cpu is None:
            return text + "; other processes: unknown (no /proc/stat)"
        share = self.other_cpu / (self.seconds * cores)
        stolen = (self.steal or 0.0) / (self.seconds * cores)
        warn = "  <- machine shared: figure unreliable" if max(share, stolen) > 0.05 else ""
        return (
            f"{text}; other processes meanwhile {self.other_cpu:.0f} CPU s "
            f"({share:.0%} of the machine), steal {stolen:.0%}{warn}"
        )


def _cpu_ticks() -> tuple[float, float] | None:
    """(busy, steal) CPU seconds of the whole machine since boot, from Linux /proc/stat: busy
    is everything but idle, iowait and steal; steal is time the hypervisor gave elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            ticks = [int(x) for x in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    hz = os.sysconf("SC_CLK_TCK")
    steal = ticks[7] if len(ticks) > 7 else 0
    return (sum(ticks[:7]) - ticks[3] - ticks[4]) / hz, steal / hz


def _busy_cpu() -> float | None:
    ticks = _cpu_ticks()
    return None if ticks is None else ticks[0]


def wait_for_idle(max_wait_s: float, what: str) -> None:
    """Wait (at most ``max_wait_s``) until the machine has been nearly idle for IDLE_WINDOW_S:
    other work's builds would otherwise be timed along with ours. Says how long it waited."""
    cores = os.cpu_count() or 1
    started = time.perf_counter()
    quiet = 0.0
    while True:
        before = _busy_cpu()
        time.sleep(5)
        after = _busy_cpu()
        waited = time.perf_counter() - started
        if before is None or after is None:
            return
        quiet = quiet + 5 if (after - before) / (5 * cores) < IDLE_SHARE else 0.0
        if quiet >= IDLE_WINDOW_S:
            if waited > IDLE_WINDOW_S + 1:
                print(f"  (waited {waited:.0f} s for an idle machine before {what})", flush=True)
            return
        if waited >= max_wait_s:
            print(f"  (machine still busy after {waited:.0f} s; running {what} anyway)")
            return


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(
    cmd: Sequence[str], env: dict[str, str], cwd: Path, stdout: Path
) -> tuple[Phase, subprocess.CompletedProcess[str]]:
    """Wall clock and CPU use of one run of ``cmd``, its stdout saved to ``stdout``.

    The command's CPU is RUSAGE_CHILDREN's growth (every descendant is waited for by its
    parent, so compilers and upx count); the rest of the machine's busy time is "other"."""
    with stdout.open("w") as out:
        ticks0, own0 = _cpu_ticks(), _children_cpu()
        start_ns = time.time_ns()
        started = time.perf_counter()
        res = subprocess.run(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        ticks1, own = _cpu_ticks(), _children_cpu() - own0
    if ticks0 is None or ticks1 is None:
        return Phase(start_ns, seconds, own, None, None), res
    other = max(0.0, ticks1[0] - ticks0[0] - own)
    return Phase(start_ns, seconds, own, other, ticks1[1] - ticks0[1]), res


def median_of(cmd: Sequence[str], env: dict[str, str], runs: int) -> float:
    """Median wall clock of ``runs`` runs after one warm-up (stdout to /dev/null)."""
    seconds: list[float] = []
    for i in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(
            cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True
        )
        if i:
            seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def fail_tail(what: str, res: subprocess.CompletedProcess[str]) -> None:
    """Report a non-zero exit of a timed command with the end of its stderr."""
    if res.returncode != 0:
        tail = " | ".join((res.stderr or "").strip().splitlines()[-5:])
        print(f"FAIL: {what} exited {res.returncode}: {tail}")


def summary_of(path: Path) -> dict[str, Any]:
    """The ``--json`` summary a gobinopt matrix run printed (empty if it printed none)."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def script_results(log: Path) -> dict[str, str]:
    """variant id -> "ok" or the first thing that failed, from the script's RESULT lines."""
    out: dict[str, str] = {}
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("RESULT "):
            _, vid, outcome = line.split(" ", 2)
            out[vid] = outcome
    return out


def sha256_of(path: Path) -> str | None:
    """sha256 of a file, None if it does not exist."""
    import hashlib

    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Reporting


def _verdict(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"


def _flags_text(call: GoCall) -> str:
    return " ".join(call.build_flags()).replace("-ldflags=-s -w", '-ldflags="-s -w"')


def overlapping_twins(calls: list[GoCall]) -> int:
    """Builds started while another build of the same compile config (same flags but for
    -ldflags) was still running: on a cold GOCACHE each compiles the same packages again."""
    builds = [c for c in calls if c.is_build]
    return sum(
        any(
            o is not b
            and o.compile_config() == b.compile_config()
            and o.start_ns <= b.start_ns < o.end_ns
            for o in builds
        )
        for b in builds
    )


def build_report(calls: list[GoCall], phase: Phase, timeline: bool) -> list[str]:
    """Lines on a run's `go build`s: count, time, overlap and (optionally) the timeline."""
    builds = sorted((c for c in calls if c.is_build), key=lambda c: c.start_ns)
    busy = build_busy_seconds(calls)
    lines = [
        f"go builds: {len(builds)}, {sum(c.seconds for c in builds):.1f} s summed; a build was "
        f"running for {busy:.1f} s of the {phase.seconds:.1f} s, none for "
        f"{phase.seconds - busy:.1f} s (post steps, probes and the rest only)",
        f"builds started while a build of the same compile config (flags but -ldflags) was "
        f"running: {overlapping_twins(calls)}",
    ]
    first: dict[tuple[str, ...], GoCall] = {}
    for c in builds:
        first.setdefault(c.compile_config(), c)
    later = [c for c in builds if first[c.compile_config()] is not c]
    cold = ", ".join(f"{c.seconds:.1f}" for c in first.values())
    text = f"first build of each of the {len(first)} compile configs: {cold} s"
    if later:
        text += (
            f"; the {len(later)} later builds: {sum(c.seconds for c in later):.1f} s in all "
            f"(mean {statistics.mean(c.seconds for c in later):.2f} s)"
        )
    lines.append(text)
    if timeline:
        lines.append("timeline (s since the command started):")
        t0 = phase.start_ns
        lines += [
            f"  {(c.start_ns - t0) / 1e9:6.1f} – {(c.end_ns - t0) / 1e9:6.1f}  {_flags_text(c)}"
            for c in builds
        ]
    return lines


def _others(calls: list[GoCall]) -> str:
    rest = [c for c in calls if not c.is_build]
    if not rest:
        return "no other go calls"
    names: dict[str, int] = {}
    for c in rest:
        name = " ".join(c.args[:2]) if c.args[:1] == ["env"] else (c.args[0] if c.args else "")
        names[name] = names.get(name, 0) + 1
    listed = ", ".join(f"`go {n}` ×{k}" for n, k in sorted(names.items()))
    return f"{len(rest)} other go calls ({listed}) taking {sum(c.seconds for c in rest):.2f} s"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--jobs", type=int, default=None, help="gobinopt's --jobs (default: its own, = cores)"
    )
    parser.add_argument(
        "--reruns", type=int, default=3, help="unchanged re-runs timed (median; default 3)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="where the script, logs and JSON summaries are saved (default benchmarks/.cache/"
        "matrix; emptied first)",
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=600,
        help="seconds to wait at most for an idle machine before each cold run (default 600)",
    )
    parser.add_argument(
        "--keep-caches",
        action="store_true",
        help="keep the temporary GOCACHEs and artifacts (printed) instead of deleting them",
    )
    args = parser.parse_args(argv)
    reruns = max(1, args.reruns)
    out: Path = args.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    plan = default_plan()
    go = pinned_go()
    gbo = gobinopt_cmd()
    work = Path(tempfile.mkdtemp(prefix="gobinopt-bench-matrix-"))
    shim_dir = work / "shim"
    write_go_shim(shim_dir, go)

    base_env = dict(os.environ)
    for name in ("GOROOT", "CC", "GOCACHE", "GOFLAGS", "GOBINOPT_CACHE"):
        base_env.pop(name, None)
    base_env["PATH"] = os.pathsep.join([str(shim_dir), str(venv_bin()), base_env.get("PATH", "")])

    script = out / "reference.sh"
    script.write_text(reference_script(plan))
    script.chmod(0o755)

    from gobinopt import __version__

    version = first_line([go, "version"])
    print(
        f"gobinopt {__version__}; {version}; Python {platform.python_version()}; "
        f"{platform.machine()}, {os.cpu_count()} CPUs; {platform.platform()}"
    )
    print(
        f"tools: {first_line(['strip', '--version'])}; {first_line(['upx', '--version'])}; "
        f"{first_line(['gcc', '--version'])}"
    )
    print(
        "matrix: embedded default.toml without [latency], program "
        f"{plan.matrix.program.directory}: "
        f"{len(plan.variants)} variants over {len(plan.builds)} build specs"
    )
    print(f"work dir (fresh caches, artifacts): {work}; results saved in {out}")
    print("wall clock: time.perf_counter around the whole command; both runs start cold")
    print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print()
    print(f"reference script ({script}):")
    print("    " + script.read_text().rstrip("\n").replace("\n", "\n    "))
    print()

    # 1. The reference script, cold.
    script_env = dict(
        base_env,
        GOCACHE=str(work / "script-gocache"),
        OUT=str(work / "script-out"),
        BENCH_GO_LOG=str(out / "go-calls.script.log"),
    )
    print("running the reference script ...", flush=True)
    wait_for_idle(args.wait_idle, "the script")
    script_p, script_res = timed(["sh", str(script)], script_env, work, out / "reference.log")
    fail_tail("reference script", script_res)
    script_calls = go_calls(out / "go-calls.script.log")

    # 2. gobinopt, cold: fresh GOBINOPT_CACHE (holding its GOCACHE) and a fresh store.
    store = work / "fresh.sqlite"
    gbo_env = dict(base_env, GOBINOPT_CACHE=str(work / "gobinopt-cache"))
    # The embedded default without its [latency] table: the script measures no start-up
    # latency, so neither may the run it is compared with.
    matrix_copy = work / "default-no-latency.toml"
    matrix_copy.write_text(without_latency(plan))
    run_cmd = [*gbo, "matrix", "run", str(matrix_copy), "--store", str(store), "--json"]
    if args.jobs is not None:
        run_cmd += ["--jobs", str(args.jobs)]
    print(f"running {shlex.join([*run_cmd, '--force'])} ...", flush=True)
    wait_for_idle(args.wait_idle, "gobinopt")
    cold_p, cold_res = timed(
        [*run_cmd, "--force"],
        dict(gbo_env, BENCH_GO_LOG=str(out / "go-calls.gobinopt.log")),
        work,
        out / "gobinopt.json",
    )
    fail_tail("gobinopt matrix run --force", cold_res)
    cold_calls = go_calls(out / "go-calls.gobinopt.log")
    cold = summary_of(out / "gobinopt.json")

    # 3. Unchanged re-runs on the same store and cache, and `gobinopt --help` as the reference.
    print(f"re-running {shlex.join(run_cmd)} {reruns}x ...", flush=True)
    rerun_s: list[float] = []
    rerun_calls: list[GoCall] = []
    rerun: dict[str, Any] = {}
    for i in range(reruns):
        log = out / f"go-calls.rerun{i + 1}.log"
        phase, res = timed(
            run_cmd, dict(gbo_env, BENCH_GO_LOG=str(log)), work, out / f"rerun{i + 1}.json"
        )
        fail_tail(f"re-run {i + 1}", res)
        rerun_s.append(phase.seconds)
        if i == 0:
            rerun_calls = go_calls(log)
            rerun = summary_of(out / "rerun1.json")
    help_s = median_of([*gbo, "--help"], base_env, HELP_RUNS)

    # Outcomes: the script's steps + probe vs gobinopt's status, per variant.
    results = script_results(out / "reference.log")
    records = {r.get("variant_id"): r for r in cold.get("results", [])}
    disagree: list[str] = []
    broken: list[str] = []
    same_bytes = compared = 0
    for v in plan.variants:
        mine = results.get(v.id, "no RESULT line")
        rec = records.get(v.id, {})
        status = rec.get("status", "missing")
        if (mine == "ok") != (status == "ok"):
            disagree.append(
                f"  {v.label()}: script {mine}; gobinopt {status} {rec.get('reason', '')}"
            )
        elif mine != "ok":
            broken.append(f"  {v.label()}: script: {mine} failed; gobinopt: {rec.get('reason')}")
        if mine == "ok" and status == "ok" and rec.get("sha256"):
            compared += 1
            same_bytes += sha256_of(work / "script-out" / v.id / "bin") == rec["sha256"]

    script_builds = [c for c in script_calls if c.is_build]
    cold_builds = [c for c in cold_calls if c.is_build]
    same_flag_sets = {c.build_flags() for c in script_builds} == {
        c.build_flags() for c in cold_builds
    }
    script_s, cold_s = script_p.seconds, cold_p.seconds
    ratio = cold_s / script_s
    rerun_med = statistics.median(rerun_s)
    n = len(plan.variants)

    print()
    print("results")
    print(f"  reference script (sequential, no dedup): {script_s:.1f} s")
    print(f"    {script_p.cpu_note()}")
    for line in build_report(script_calls, script_p, timeline=False):
        print(f"    {line}")
    print(f"    {_others(script_calls)}")
    print(f"  gobinopt matrix run --force (jobs {args.jobs or os.cpu_count()}): {cold_s:.1f} s")
    print(f"    {cold_p.cpu_note()}")
    print(f"    its summary: built {cold.get('built')}, reused {cold.get('reused')}")
    for line in build_report(cold_calls, cold_p, timeline=True):
        print(f"    {line}")
    print(f"    {_others(cold_calls)}")
    print(
        f"  same go build flag sets in both: {'yes' if same_flag_sets else 'NO'} "
        f"({len({c.build_flags() for c in cold_builds})} distinct)"
    )
    print(
        f"  gobinopt / script = {ratio:.2f} (target <= {RATIO_TARGET}): "
        f"{_verdict(ratio, RATIO_TARGET)}"
    )
    cores = os.cpu_count() or 1
    floor_s = cold_p.own_cpu / cores
    print(
        f"    CPU floor: gobinopt's {cold_p.own_cpu:.0f} CPU s cannot take less than "
        f"{floor_s:.1f} s on {cores} cores, so on this machine the ratio cannot go below "
        f"{floor_s / script_s:.2f}; the script's own {script_p.own_cpu:.0f} CPU s alone, "
        f"spread perfectly, would give {script_p.own_cpu / cores / script_s:.2f}"
    )
    print(
        f"  unchanged re-run: {rerun_med:.2f} s (median of {reruns}: "
        f"{', '.join(f'{s:.2f}' for s in rerun_s)}; target <= {RERUN_TARGET_S:g} s): "
        f"{_verdict(rerun_med, RERUN_TARGET_S)}; reference gobinopt --help {help_s:.3f} s "
        f"(median of {HELP_RUNS}), ratio {rerun_med / help_s:.1f}x"
    )
    print(
        f"    first re-run: built {rerun.get('built')}, reused {rerun.get('reused')}; "
        f"{len([c for c in rerun_calls if c.is_build])} go builds; {_others(rerun_calls)}"
    )
    print(
        f"  outcomes: script ok {sum(r == 'ok' for r in results.values())}/{n}, "
        f"gobinopt ok {sum(r.get('status') == 'ok' for r in records.values())}/{n}; "
        f"agree on {n - len(disagree)}/{n}"
    )
    if disagree:
        print("  disagreements:")
        print("\n".join(disagree))
    if broken:
        print("  broken in both:")
        print("\n".join(broken))
    print(f"  identical final bytes (sha256) on variants ok in both: {same_bytes}/{compared}")
    print("  load average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))

    if args.keep_caches:
        print(f"caches and artifacts kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

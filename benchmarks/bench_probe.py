"""Benchmark ``gobinopt probe`` against hyperfine on the same real Go binaries, in the same run.

Run with the project's virtualenv Python::

    python benchmarks/bench_probe.py [--keep DIR] [--runs N]

It builds (with the pinned Go toolchain, GOTOOLCHAIN=local, GOPROXY=off, CGO_ENABLED=0) four
binaries: ``tests/programs/hello`` as is, with ``-ldflags=-s -w``, stripped (``strip
--strip-all``) and packed with ``upx --best --lzma``, and ``tests/programs/httpserver`` (the
net/http example). Every binary is probed with ``-version``.

For each binary it measures the warm start-up median with ``gobinopt probe --warm --json`` (its
default adaptive loop) and with ``hyperfine -N --warmup 3 --runs N --export-json`` (N = 50), and
prints both medians and their ratio (target: within 10 %). It then does the same cold: gobinopt
evicts the binary with fadvise before each run, hyperfine runs the same eviction as its
``--prepare`` command. All of it is repeated in ``--rounds`` rounds (default 5), the two tools
alternating which goes first, and the medians of the per-round medians are compared. Nothing is
asserted; the figures are printed next to their reference.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from _common import go_env, gobinopt_cmd, pinned_go, require

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "tests" / "programs"
DEFAULT_CACHE = ROOT / "benchmarks" / ".cache" / "probe"
PINNED_GO = "go1.26.6"
PROBE_ARGS = ("-version",)
TARGET = 0.10  # warm medians within 10 % of hyperfine's

#: Evicts argv[1] from the page cache exactly as ``gobinopt probe --cold`` does.
EVICT = (
    "import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd); "
    "os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)"
)


def go_build(go: str, env: dict[str, str], program: str, out: Path, *flags: str) -> Path:
    res = subprocess.run(
        [go, "build", *flags, "-o", str(out), "."],
        cwd=PROGRAMS / program,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        sys.exit(f"go build {program} {' '.join(flags)} failed:\n{res.stderr}")
    return out


@dataclass(frozen=True)
class Subject:
    """One binary under test."""

    name: str
    path: Path

    @property
    def argv(self) -> list[str]:
        return [str(self.path), *PROBE_ARGS]


def build_all(go: str, cache: Path) -> list[Subject]:
    """Build the four binaries into ``cache/bin`` (Go's build cache makes rebuilds quick)."""
    strip = require("strip", "apt-get install binutils")
    upx = require("upx", "apt-get install -t bookworm-backports upx-ucl")
    env = go_env(go, cache)
    bins = cache / "bin"
    bins.mkdir(parents=True, exist_ok=True)
    hello = go_build(go, env, "hello", bins / "hello")
    hello_sw = go_build(go, env, "hello", bins / "hello-sw", "-ldflags=-s -w")
    stripped = bins / "hello-stripped"
    subprocess.run([strip, "--strip-all", "-o", str(stripped), str(hello)], check=True)
    packed = bins / "hello-stripped-upx"
    packed.unlink(missing_ok=True)
    subprocess.run(
        [upx, "-q", "--best", "--lzma", "-o", str(packed), str(stripped)],
        check=True,
        capture_output=True,
    )
    http = go_build(go, env, "httpserver", bins / "httpserver")
    return [
        Subject("hello", hello),
        Subject("hello -s -w", hello_sw),
        Subject("hello strip+upx", packed),
        Subject("httpserver", http),
    ]


@dataclass(frozen=True)
class Probe:
    """gobinopt's figures for one binary in one mode."""

    median_s: float
    min_s: float
    rel_iqr: float
    runs: int
    stopped: str
    rss_kb: float | None
    minor: float
    major: float
    resident: float | None


def gobinopt_probe(subject: Subject, cold: bool) -> Probe | str:
    """``gobinopt probe --warm|--cold --json`` with its default adaptive loop."""
    res = subprocess.run(
        [*gobinopt_cmd(), "probe", "--cold" if cold else "--warm", "--json", "--", *subject.argv],
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        return f"exit {res.returncode}: {res.stderr.strip()[-300:]}"
    r = json.loads(res.stdout)["results"][0]
    return Probe(
        r["median_s"],
        r["min_s"],
        r["rel_iqr"],
        r["runs"],
        r["stopped_because"],
        r["peak_rss_kb"]["median"],
        r["minor_faults"],
        r["major_faults"],
        r["resident_after_eviction"],
    )


@dataclass(frozen=True)
class Hyperfine:
    """hyperfine's figures for one binary in one mode."""

    median_s: float
    stddev_s: float
    min_s: float
    runs: int


def hyperfine(tool: str, subject: Subject, runs: int, cold: bool) -> Hyperfine | str:
    """``hyperfine -N --warmup 3 --runs N --export-json`` (cold: the eviction as --prepare)."""
    with tempfile.TemporaryDirectory(prefix="bench-probe-") as tmp:
        report = Path(tmp) / "hyperfine.json"
        cmd = [tool, "-N", "--warmup", "3", "--runs", str(runs), "--export-json", str(report)]
        if cold:
            cmd += ["--prepare", shlex.join([sys.executable, "-c", EVICT, str(subject.path)])]
        res = subprocess.run(
            [*cmd, shlex.join(subject.argv)], capture_output=True, text=True, check=False
        )
        if res.returncode != 0:
            return f"exit {res.returncode}: {res.stderr.strip()[-300:]}"
        r = json.loads(report.read_text())["results"][0]
    return Hyperfine(r["median"], r["stddev"] or 0.0, r["min"], len(r["times"]))


def _ms(value: float | None) -> str:
    return "FAIL" if value is None else f"{value * 1e3:.3f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.3f}"


def table(header: Sequence[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [list(header), *rows]) for i in range(len(header))]
    for cells in [list(header), ["-" * w for w in widths], *rows]:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        print("  ".join([first, *rest]))


@dataclass
class Rounds:
    """Every round's figures of one binary in one mode."""

    gobinopt: list[Probe | str] = field(default_factory=list)
    hyperfine: list[Hyperfine | str] = field(default_factory=list)

    @property
    def probes(self) -> list[Probe]:
        return [g for g in self.gobinopt if isinstance(g, Probe)]

    @property
    def hyperfines(self) -> list[Hyperfine]:
        return [h for h in self.hyperfine if isinstance(h, Hyperfine)]

    @property
    def gbo_median(self) -> float | None:
        """Median over the rounds of gobinopt's medians."""
        ok = self.probes
        return statistics.median(p.median_s for p in ok) if ok else None

    @property
    def hf_median(self) -> float | None:
        """Median over the rounds of hyperfine's medians."""
        ok = self.hyperfines
        return statistics.median(h.median_s for h in ok) if ok else None

    @property
    def paired_ratio(self) -> float | None:
        """Median over the rounds of gobinopt's median / hyperfine's median in the same round:
        the two measurements of a round run back to back, so a drift of the machine's speed
        between rounds cancels out of each ratio."""
        pairs = [
            g.median_s / h.median_s
            for g, h in zip(self.gobinopt, self.hyperfine, strict=True)
            if isinstance(g, Probe) and isinstance(h, Hyperfine) and h.median_s > 0
        ]
        return statistics.median(pairs) if pairs else None

    def errors(self) -> list[str]:
        return [e for e in [*self.gobinopt, *self.hyperfine] if isinstance(e, str)]


def print_mode(title: str, subjects: list[Subject], data: dict[str, Rounds], warm: bool) -> None:
    """One table: a row per binary, medians over the rounds."""
    print()
    print(title)
    rows = []
    for subject in subjects:
        d = data[subject.name]
        gm, hm = d.gbo_median, d.hf_median
        g_min = min((p.min_s for p in d.probes), default=None)
        h_min = min((h.min_s for h in d.hyperfines), default=None)
        verdict = paired_verdict = "n/a"
        if gm is not None and hm is not None:
            verdict = "met" if abs(gm / hm - 1) <= TARGET else "MISSED"
        paired = d.paired_ratio
        if paired is not None:
            paired_verdict = "met" if abs(paired - 1) <= TARGET else "MISSED"
        probes, hfs = d.probes, d.hyperfines
        rss = [p.rss_kb for p in probes if p.rss_kb is not None]
        rows.append(
            [
                subject.name,
                f"{subject.path.stat().st_size / 1e6:.2f}",
                _ms(gm),
                " ".join(_ms(p.median_s) for p in probes) or "-",
                f"{100 * statistics.median(p.rel_iqr for p in probes):.1f}%" if probes else "-",
                " ".join(f"{p.runs}{STOP_MARK.get(p.stopped, '?')}" for p in probes) or "-",
                _ms(hm),
                " ".join(_ms(h.median_s) for h in hfs) or "-",
                _ms(statistics.median(h.stddev_s for h in hfs)) if hfs else "-",
                _ratio(gm, hm),
                verdict if warm else "-",
                f"{paired:.3f}" if paired is not None else "-",
                paired_verdict if warm else "-",
                _ms(g_min),
                _ms(h_min),
                _ratio(g_min, h_min),
                f"{statistics.median(rss) / 1024:.1f}" if rss else "n/a",
                f"{probes[0].minor:g}/{statistics.median(p.major for p in probes):g}"
                if probes
                else "-",
            ]
        )
    table(
        (
            "binary",
            "size MB",
            "gbo median",
            "gbo per round",
            "gbo IQR",
            "gbo runs",
            "hf median",
            "hf per round",
            "hf stddev",
            "gbo/hf",
            "within 10%",
            "paired gbo/hf",
            "paired within 10%",
            "gbo min",
            "hf min",
            "min gbo/hf",
            "RSS MiB",
            "faults min/maj",
        ),
        rows,
    )
    for subject in subjects:
        for error in data[subject.name].errors():
            print(f"FAIL: {subject.name}: {error}")


#: How `gbo runs` marks why gobinopt's loop stopped.
STOP_MARK = {"spread": "s", "budget": "b", "max runs": "m", "failed": "!"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=50, help="hyperfine --runs (default 50)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="alternating gobinopt/hyperfine rounds (default 5)"
    )
    parser.add_argument(
        "--keep", type=Path, default=DEFAULT_CACHE, help="build directory (benchmarks/.cache/probe)"
    )
    args = parser.parse_args(argv)
    cache: Path = args.keep.resolve()
    runs: int = max(2, args.runs)
    rounds: int = max(1, args.rounds)
    go = pinned_go()
    tool = require("hyperfine", "apt-get install hyperfine")
    version = subprocess.run([go, "version"], capture_output=True, text=True, check=True)
    hf_version = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True)

    from gobinopt import __version__
    from gobinopt.probe.latency import launcher

    print(f"building into {cache / 'bin'}", flush=True)
    subjects = build_all(go, cache)
    status = launcher()
    load_before = os.getloadavg()

    warm = {s.name: Rounds() for s in subjects}
    cold = {s.name: Rounds() for s in subjects}
    for round_no in range(rounds):
        for subject in subjects:
            print(f"round {round_no + 1}/{rounds}: {subject.name} ...", flush=True)
            for is_cold, data in ((False, warm), (True, cold)):
                d = data[subject.name]
                # Alternate who goes first, so a drift in machine load hits both alike.
                if round_no % 2 == 0:
                    d.gobinopt.append(gobinopt_probe(subject, is_cold))
                    d.hyperfine.append(hyperfine(tool, subject, runs, is_cold))
                else:
                    d.hyperfine.append(hyperfine(tool, subject, runs, is_cold))
                    d.gobinopt.append(gobinopt_probe(subject, is_cold))
    load_after = os.getloadavg()

    print()
    print(
        f"gobinopt {__version__}; {version.stdout.strip()}; {hf_version.stdout.strip()}; "
        f"Python {platform.python_version()}; {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{platform.platform()}"
    )
    print(f"launcher: {status.path or status.note}")
    print(
        f"load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
        f"probe command: BINARY {' '.join(PROBE_ARGS)}; times in ms"
    )
    print(
        "gobinopt: `gobinopt probe --warm|--cold --json`, default adaptive loop (3 warm-up runs, "
        "10 to 1000 runs, stop when the median's 95% notch is within 2%, 10 s budget); "
        "runs marked s(pread) b(udget) m(ax runs)"
    )
    print(
        f"hyperfine: `hyperfine -N --warmup 3 --runs {runs}`; cold adds "
        "`--prepare 'python -c <fsync + posix_fadvise DONTNEED>'`"
    )
    print(
        f"{rounds} rounds, gobinopt and hyperfine alternating first; `median` columns are the "
        "median of the per-round medians, `min` the fastest run of all rounds (the figure least "
        "disturbed by other load)"
    )
    print_mode("warm", subjects, warm, warm=True)
    print_mode("cold (binary evicted before every run)", subjects, cold, warm=False)

    print()
    print(
        "UPX: gobinopt's median start of `hello strip+upx` is "
        f"{_ratio(warm['hello strip+upx'].gbo_median, warm['hello -s -w'].gbo_median)}x "
        "that of `hello -s -w` warm, "
        f"{_ratio(cold['hello strip+upx'].gbo_median, cold['hello -s -w'].gbo_median)}x cold "
        f"(hyperfine: {_ratio(warm['hello strip+upx'].hf_median, warm['hello -s -w'].hf_median)}x"
        f" warm, {_ratio(cold['hello strip+upx'].hf_median, cold['hello -s -w'].hf_median)}x "
        "cold)"
    )
    print(
        "cold/warm (gobinopt): "
        + ", ".join(
            f"{s.name} {_ratio(cold[s.name].gbo_median, warm[s.name].gbo_median)}x"
            for s in subjects
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

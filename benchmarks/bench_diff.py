"""Benchmark ``gobinopt diff`` on pairs of large real Go binaries, beside ``explain`` of the pair.

Run with the project's virtualenv Python::

    python benchmarks/bench_diff.py [--runs N] [--keep DIR]

It reuses (or builds, like bench_explain.py and into the same cache) ``cmd/go``, ``cmd/compile``
and the generated ``bigbin`` (50-100 MB), plus a second ``bigbin`` linked with one more
``-X`` flag, so the largest pair is two binaries of that size. For each pair it times

- ``gobinopt diff --json A B`` (two binaries),
- ``gobinopt diff --json A.json B.json`` (the two saved ``explain --json --top 0`` documents),
- ``gobinopt explain --json A`` and ``gobinopt explain --json B`` (the reference: reading both
  binaries is most of what a diff does; their sum is printed beside the diff).

Every figure is a median of fresh measurements printed next to its reference; nothing is
hard-coded and nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from _common import go_env, gobinopt_cmd, pinned_go, print_columns
from bench_explain import (
    DEFAULT_CACHE,
    MB,
    PINNED_GO,
    Timing,
    bigbin_pair,
    build_go,
    peak_rss_mb,
    strip_copy,
    time_commands,
)

#: The target of issue 8: a diff of two ~90 MB binaries in under this many seconds.
TARGET_S = 2.0


@dataclass(frozen=True)
class Pair:
    """Two binaries to compare."""

    name: str
    old: Path
    new: Path

    @property
    def size_mb(self) -> float:
        return (self.old.stat().st_size + self.new.stat().st_size) / 2 / MB


def build_pairs(go: str, cache: Path) -> list[Pair]:
    """Build (or reuse) the binaries and pair them up."""
    env = go_env(go, cache)
    bins = cache / "bin"
    bins.mkdir(parents=True, exist_ok=True)
    print(f"building into {bins} (reused when up to date)", flush=True)
    gobin = build_go(go, env, bins / "go", "cmd/go")
    compile_ = build_go(go, env, bins / "compile", "cmd/compile")
    big, big2 = bigbin_pair(go, env, bins, cache)
    return [
        Pair("bigbin vs bigbin -X (largest)", big, big2),
        Pair("bigbin vs its strip copy", big, strip_copy(big)),
        Pair("cmd/go vs cmd/compile", gobin, compile_),
        Pair("bigbin vs cmd/go (every function differs)", big, gobin),
    ]


def save_json(binary: Path) -> Path:
    """``gobinopt explain --json --top 0`` of ``binary``, saved next to it (once per build)."""
    out = binary.with_name(binary.name + ".explain.json")
    if not out.exists() or out.stat().st_mtime_ns < binary.stat().st_mtime_ns:
        with open(out, "w") as f:
            subprocess.run(
                [*gobinopt_cmd(), "explain", "--json", "--top", "0", str(binary)],
                stdout=f,
                check=True,
            )
    return out


@dataclass
class Row:
    """Everything measured on one pair."""

    pair: Pair
    timings: dict[str, Timing]
    rss: float | None


def measure(pairs: list[Pair], runs: int) -> list[Row]:
    """Time diff (binaries and documents) and explain of each side."""
    rows = []
    for pair in pairs:
        print(f"measuring {pair.name} ...", flush=True)
        old_json, new_json = save_json(pair.old), save_json(pair.new)
        diff = [*gobinopt_cmd(), "diff", "--json", str(pair.old), str(pair.new)]
        commands = {
            "diff": diff,
            "diff json": [*gobinopt_cmd(), "diff", "--json", str(old_json), str(new_json)],
            "explain old": [*gobinopt_cmd(), "explain", "--json", str(pair.old)],
            "explain new": [*gobinopt_cmd(), "explain", "--json", str(pair.new)],
        }
        rows.append(Row(pair, time_commands(commands, runs), peak_rss_mb(diff)))
    return rows


def _secs(value: float | None) -> str:
    return "FAIL" if value is None else f"{value:.3f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def print_table(rows: list[Row]) -> None:
    """The results table."""
    header = (
        "pair",
        "MB each",
        "diff s",
        "diff json s",
        "explain old s",
        "explain new s",
        "diff/explain both",
        "diff RSS MB",
    )
    lines = []
    for row in rows:
        t = row.timings
        both = None
        if t["explain old"].median is not None and t["explain new"].median is not None:
            both = t["explain old"].median + t["explain new"].median
        lines.append(
            (
                row.pair.name,
                f"{row.pair.size_mb:.1f}",
                _secs(t["diff"].median),
                _secs(t["diff json"].median),
                _secs(t["explain old"].median),
                _secs(t["explain new"].median),
                _ratio(t["diff"].median, both),
                "FAIL" if row.rss is None else f"{row.rss:.0f}",
            )
        )
    print_columns(header, lines)
    for row in rows:
        for name, timing in row.timings.items():
            if timing.error:
                print(f"FAIL: {name} on {row.pair.name}: {timing.error}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument(
        "--keep",
        type=Path,
        default=DEFAULT_CACHE,
        help="directory the built binaries, sources and GOCACHE are kept in "
        "(default benchmarks/.cache, shared with bench_explain.py)",
    )
    args = parser.parse_args(argv)
    runs: int = max(1, args.runs)
    cache: Path = args.keep.resolve()
    go = pinned_go()
    version = subprocess.run(
        [go, "version"], env=go_env(go, cache), capture_output=True, text=True, check=True
    ).stdout.strip()
    if PINNED_GO not in version.split():
        print(f"warning: expected {PINNED_GO}, got {version!r}")
    pairs = build_pairs(go, cache)
    rows = measure(pairs, runs)

    from gobinopt import __version__

    print()
    print(
        f"gobinopt {__version__}; {version}; Python {platform.python_version()}; "
        f"{platform.machine()}, {os.cpu_count()} CPUs; {platform.platform()}"
    )
    print(
        f"wall clock: median of {runs} runs after 1 warm-up, rounds interleaved, stdout to "
        "/dev/null; 'MB each' is the mean size of the two files (10^6 bytes); "
        "'diff/explain both' divides the diff by the sum of the two explains"
    )
    print()
    print_table(rows)
    largest = max(rows, key=lambda r: r.pair.size_mb)
    got = largest.timings["diff"].median
    verdict = "FAILED TO RUN" if got is None else ("met" if got < TARGET_S else "MISSED")
    print()
    print(
        f"target: diff of the largest pair ({largest.pair.name}, {largest.pair.size_mb:.1f} MB "
        f"each) in {_secs(got)} s (target < {TARGET_S:.0f} s): {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

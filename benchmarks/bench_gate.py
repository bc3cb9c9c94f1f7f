"""Benchmark ``gobinopt gate check`` of large real Go binaries, beside ``explain`` of the same file.

Run with the project's virtualenv Python::

    python benchmarks/bench_gate.py [--runs N] [--keep DIR]

It reuses (or builds, like bench_explain.py and into the same cache) ``cmd/go`` from the pinned
toolchain's sources and the generated ``bigbin`` (50-100 MB) with a second copy linked with one
more ``-X`` flag. For each subject it saves a baseline of the old binary once
(``gate save``, timed once) and then times, interleaved:

- ``gobinopt gate check NEW --baseline BASELINE`` (read the baseline, explain NEW, diff, decide,
  render the table),
- ``gobinopt explain --json NEW`` (the reference: reading the binary is most of a check).

Every figure is a median of fresh measurements printed next to its reference, with the ratio;
nothing is hard-coded and nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from _common import go_env, gobinopt_cmd, pinned_go, print_columns
from bench_explain import (
    DEFAULT_CACHE,
    MB,
    PINNED_GO,
    bigbin_pair,
    build_go,
    time_commands,
)

#: The target of issue 10: a gate check of a ~90 MB binary in under this many seconds.
TARGET_S = 1.5


@dataclass(frozen=True)
class Subject:
    """A baseline binary and the binary gated against it."""

    name: str
    old: Path
    new: Path

    @property
    def size_mb(self) -> float:
        return self.new.stat().st_size / MB


def build_subjects(go: str, cache: Path) -> list[Subject]:
    """Build (or reuse) cmd/go and the two big binaries."""
    env = go_env(go, cache)
    bins = cache / "bin"
    bins.mkdir(parents=True, exist_ok=True)
    print(f"building into {bins} (reused when up to date)", flush=True)
    gobin = build_go(go, env, bins / "go", "cmd/go")
    big, big2 = bigbin_pair(go, env, bins, cache)
    return [
        Subject("cmd/go vs itself", gobin, gobin),
        Subject("bigbin -X vs bigbin (largest)", big, big2),
    ]


def _secs(value: float | None) -> str:
    return "FAIL" if value is None else f"{value:.3f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument(
        "--keep",
        type=Path,
        default=DEFAULT_CACHE,
        help="directory the built binaries, sources and GOCACHE are kept in "
        "(default benchmarks/.cache)",
    )
    args = parser.parse_args(argv)
    runs: int = max(1, args.runs)
    cache: Path = args.keep.resolve()
    go = pinned_go()
    env = go_env(go, cache)
    version = subprocess.run(
        [go, "version"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    if PINNED_GO not in version.split():
        print(f"warning: expected {PINNED_GO}, got {version!r}")
    subjects = build_subjects(go, cache)
    gbo = gobinopt_cmd()
    rows: list[tuple[str, str, str, str, str, str, str]] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, s in enumerate(subjects):
            print(f"measuring {s.name} ...", flush=True)
            baseline = Path(tmp) / f"baseline-{i}.json"
            started = time.perf_counter()
            saved = subprocess.run(
                [*gbo, "gate", "save", str(s.old), "--name", "bin", "--baseline", str(baseline)],
                capture_output=True,
                text=True,
                check=False,
            )
            save_s = time.perf_counter() - started
            if saved.returncode != 0:
                failures.append(f"gate save of {s.name}: {saved.stderr.strip()}")
                continue
            # --growth-bytes off: the -X copy may differ by a few bytes; the check is timed
            # whatever its verdict, but a verdict of 2 (cannot decide) is a failure.
            commands = {
                "gate": [
                    *gbo,
                    "gate",
                    "check",
                    str(s.new),
                    "--name",
                    "bin",
                    "--baseline",
                    str(baseline),
                    "--growth-bytes",
                    "off",
                ],
                "explain": [*gbo, "explain", "--json", str(s.new)],
            }
            timings = time_commands(commands, runs, env)
            for name, t in timings.items():
                if t.error:
                    failures.append(f"{name} on {s.name}: {t.error}")
            gate_s, explain_s = timings["gate"].median, timings["explain"].median
            rows.append(
                (
                    s.name,
                    f"{s.size_mb:.1f}",
                    f"{baseline.stat().st_size / MB:.1f}",
                    f"{save_s:.3f}",
                    _secs(gate_s),
                    _secs(explain_s),
                    _ratio(gate_s, explain_s),
                )
            )
    from gobinopt import __version__

    print()
    print(
        f"gobinopt {__version__}; {version}; Python {platform.python_version()}; "
        f"{platform.machine()}, {os.cpu_count()} CPUs; {platform.platform()}"
    )
    print(f"wall clock: median of {runs} runs after 1 warm-up, rounds interleaved; MB = 10^6 B")
    header = ("binary", "size MB", "baseline MB", "save s (1 run)", "check s", "explain s", "ratio")
    print_columns(header, rows)
    if rows:
        largest = rows[-1]
        verdict = "met" if largest[4] != "FAIL" and float(largest[4]) < TARGET_S else "MISSED"
        print()
        print(
            f"target: gate check of the largest binary ({largest[1]} MB) in {largest[4]} s "
            f"(< {TARGET_S} s): {verdict}; explain --json of the same file {largest[5]} s "
            f"(ratio {largest[6]})"
        )
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""``gobinopt probe --export-json/--export-csv/--export-markdown``: the latency results in
hyperfine's export formats, so tools that read hyperfine's files read these too.

Field names follow hyperfine's where they mean the same (times in seconds): ``command``,
``mean``, ``stddev`` (sample standard deviation), ``median``, ``user``, ``system``, ``min``,
``max``, ``times`` (every measured run, in order) and ``exit_codes`` (one per run). gobinopt does
not measure CPU time, so ``user`` and ``system`` are null (empty in CSV). One result per mode;
the extra fields are ``mode`` (warm/cold), ``eviction``, ``q1``, ``q3``, ``iqr``, ``runs``,
``warmup``, ``stopped_because``, ``peak_rss_kb_median``, ``peak_rss_kb_max``, ``minor_faults``,
``major_faults`` and ``failures``. The Markdown table's "Relative" column compares medians.
"""

from __future__ import annotations

import csv
import io
import shlex
import statistics
from collections.abc import Sequence
from typing import Any

from gobinopt.probe.interface import LatencyResult

#: hyperfine's CSV columns, then gobinopt's.
CSV_COLUMNS: tuple[str, ...] = (
    "command",
    "mean",
    "stddev",
    "median",
    "user",
    "system",
    "min",
    "max",
    "mode",
    "eviction",
    "q1",
    "q3",
    "iqr",
    "runs",
    "warmup",
    "stopped_because",
    "peak_rss_kb_median",
    "peak_rss_kb_max",
    "minor_faults",
    "major_faults",
    "failures",
)


def command_line(r: LatencyResult) -> str:
    """The measured command as a shell would spell it."""
    return shlex.join(r.argv)


def _exit_codes(r: LatencyResult) -> list[int]:
    """One exit status per measured run, in order: the loop stops at the first run that fails,
    so the runs with the expected status come first and the failing one (if any) last."""
    codes: list[int] = []
    for code, count in sorted(r.exit_codes, key=lambda item: item[0] != r.expect_exit):
        codes.extend([code] * count)
    return codes


def _summary(r: LatencyResult) -> dict[str, Any]:
    times = list(r.samples_s)
    return {
        "command": command_line(r),
        "mean": statistics.fmean(times) if times else None,
        "stddev": statistics.stdev(times) if len(times) > 1 else None,
        "median": r.median_s,
        "user": None,
        "system": None,
        "min": r.min_s,
        "max": r.max_s,
        "mode": r.mode,
        "eviction": r.eviction.value,
        "q1": r.q1_s,
        "q3": r.q3_s,
        "iqr": r.iqr_s,
        "runs": r.runs,
        "warmup": r.warmup,
        "stopped_because": r.stopped_because.value,
        "peak_rss_kb_median": r.peak_rss_kb_median,
        "peak_rss_kb_max": r.peak_rss_kb_max,
        "minor_faults": r.minor_faults,
        "major_faults": r.major_faults,
        "failures": r.failures,
    }


def to_json(results: Sequence[LatencyResult]) -> dict[str, Any]:
    """hyperfine's ``--export-json`` document: ``{"results": [...]}``, one entry per mode."""
    out = []
    for r in results:
        entry = _summary(r)
        entry["times"] = list(r.samples_s)
        entry["exit_codes"] = _exit_codes(r)
        out.append(entry)
    return {"results": out}


def to_csv(results: Sequence[LatencyResult]) -> str:
    """hyperfine's ``--export-csv`` table (its columns first), one row per mode."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in results:
        row = _summary(r)
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    return buf.getvalue()


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.3f}" if ms < 1 else f"{ms:.2f}" if ms < 100 else f"{ms:.1f}"


def to_markdown(results: Sequence[LatencyResult]) -> str:
    """hyperfine's ``--export-markdown`` table with gobinopt's mode, median and peak RSS."""
    lines = [
        "| Command | Mode | Mean [ms] | Median [ms] | Min [ms] | Max [ms] | Peak RSS [MiB] "
        "| Relative |",
        "|:---|:---|---:|---:|---:|---:|---:|---:|",
    ]
    fastest = min((r.median_s for r in results if r.median_s > 0), default=0.0)
    for r in results:
        s = _summary(r)
        mean = "n/a" if s["mean"] is None else _ms(s["mean"])
        if s["stddev"] is not None:
            mean += f" ± {_ms(s['stddev'])}"
        rss = "n/a" if r.peak_rss_kb_median is None else f"{r.peak_rss_kb_median / 1024:.1f}"
        relative = f"{r.median_s / fastest:.2f}" if fastest > 0 else "n/a"
        command = command_line(r).replace("|", "\\|")
        lines.append(
            f"| `{command}` | {r.mode} | {mean} | {_ms(r.median_s)} | {_ms(r.min_s)} | "
            f"{_ms(r.max_s)} | {rss} | {relative} |"
        )
    return "\n".join(lines) + "\n"

"""The probe seam: the smoke probe that proves a variant still runs (:class:`Probe`), and what
one start-up latency measurement of a command returns.

:func:`gobinopt.probe.latency.measure` fills a :class:`LatencyResult`: the distribution of the
exec-to-exit wall time over the measured runs (median, quartiles, extremes), the per-run peak
resident set size and page faults of the command itself, the exit codes seen, and why the
adaptive loop stopped. Times are seconds, sizes are KiB (Linux ``ru_maxrss`` units).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: Schema id of the ``gobinopt probe --json`` document.
SCHEMA = "gobinopt.probe/v1"


@dataclass(frozen=True, slots=True)
class Probe:
    """The command that proves a variant still works."""

    args: tuple[str, ...] = ("-version",)
    exit_code: int = 0
    #: A substring the probe's stdout must contain ("" = any output).
    output: str = ""
    timeout_s: float = 10.0


class StopReason(StrEnum):
    """Why the adaptive run loop ended."""

    #: The median is known precisely enough (see ``precision`` of ``measure``) after the
    #: minimum number of runs.
    SPREAD = "spread"
    #: The time budget was spent first.
    BUDGET = "budget"
    #: The maximum number of runs was reached first.
    MAX_RUNS = "max runs"
    #: A run exited with a status other than the expected one (or was killed, or timed out).
    FAILED = "failed"


class Eviction(StrEnum):
    """How the binary's pages were taken out of the page cache before each cold run."""

    #: Warm: nothing evicted, the file stays in the page cache after the warm-up.
    NONE = "none"
    #: ``fsync`` + ``posix_fadvise(POSIX_FADV_DONTNEED)`` on the binary only (no root needed).
    FADVISE = "fadvise"
    #: ``sync`` + ``echo 3 > /proc/sys/vm/drop_caches``: every clean page on the machine (root).
    DROP_CACHES = "drop_caches"


class Method(StrEnum):
    """How runs were timed and their resource usage collected."""

    #: The small compiled C launcher: fork/exec/wait4 and CLOCK_MONOTONIC in C.
    LAUNCHER = "launcher"
    #: Python's own posix_spawn + wait4 (no C compiler): timing includes Python's overhead and
    #: peak RSS is not reported (a child's ru_maxrss would start at Python's own).
    PYTHON = "python"


@dataclass(frozen=True, slots=True)
class LatencyResult:
    """The start-up latency of one command in one mode (warm or cold)."""

    #: The command measured; ``argv[0]`` is the executable as given.
    argv: tuple[str, ...]
    cold: bool
    eviction: Eviction
    #: Exec-to-exit wall time over the measured runs, in seconds.
    median_s: float
    q1_s: float
    q3_s: float
    iqr_s: float
    min_s: float
    max_s: float
    #: Number of measured runs (warm-up runs excluded) and of warm-up runs.
    runs: int
    warmup: int
    stopped_because: StopReason
    #: Peak resident set size of the command itself (KiB): median and maximum over the runs;
    #: None when it could not be measured (see ``rss_note``).
    peak_rss_kb_median: float | None
    peak_rss_kb_max: int | None
    #: Median page faults per run: minor (no I/O) and major (read from disk).
    minor_faults: float
    major_faults: float
    #: ``(exit status, how many runs)`` over the measured runs, by status; a negative status is
    #: the number of the signal that killed the command.
    exit_codes: tuple[tuple[int, int], ...]
    expect_exit: int
    #: Measured runs whose status differed from ``expect_exit`` (a timeout counts, as SIGKILL).
    failures: int
    #: Why the first failing run failed (with the last line it printed), or "".
    failure: str
    method: Method
    #: The launcher executable used ("" with Method.PYTHON).
    launcher: str
    #: Why peak RSS is missing, as "skipped: … — install with …", or "".
    rss_note: str
    #: The launcher's own peak RSS (KiB): a child's peak RSS cannot be reported below it.
    rss_floor_kb: int | None
    #: Cold runs only: the largest share of the binary's pages found still resident in the page
    #: cache right after an eviction (0.0 = fully evicted); None when warm or not measurable.
    resident_after_eviction: float | None
    #: Every measured run's wall time in seconds, in the order they ran.
    samples_s: tuple[float, ...]

    @property
    def ok(self) -> bool:
        """Every measured run exited with the expected status."""
        return self.failures == 0

    @property
    def rel_iqr(self) -> float:
        """Interquartile range as a share of the median."""
        return self.iqr_s / self.median_s if self.median_s > 0 else 0.0

    @property
    def mode(self) -> str:
        """The mode's name: "cold" or "warm"."""
        return "cold" if self.cold else "warm"

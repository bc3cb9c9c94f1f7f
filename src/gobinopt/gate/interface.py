"""The gate seam: budgets, a baseline of binaries, and one decision per binary and budget.

``gobinopt gate`` is a CI size-regression gate built on the diff engine (:mod:`gobinopt.diff`):
a baseline side (a saved ``explain --json`` document) and a fresh binary are compared by the
same :func:`~gobinopt.diff.compare.compare`, and every configured budget becomes one
:class:`Check` of one :class:`BinaryDecision`.

Exit statuses of the gate (README, "Gate your binary size in CI"): 0 within budget (or an
accepted growth, or no baseline with ``--missing-baseline pass``), 1 over budget, 2 when it
cannot decide. Every "cannot decide" is a :class:`GateError`, whose status is 2 — deliberately
not gobinopt's usual 3 (input not found) and 4 (bad input), because a CI gate must tell "over
budget" from "could not check" with the two statuses CI systems know.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from gobinopt.errors import ExitStatus, GobinoptError

#: Version of the baseline document (``gate save``); bump on any incompatible change.
BASELINE_SCHEMA = "gobinopt.gate-baseline/v1"
#: Version of the ``gate check --json`` document (docs/gate-schema.md).
REPORT_SCHEMA = "gobinopt.gate/v1"
#: The exit status of every "cannot decide" outcome of the gate (issue 10).
UNDECIDED = ExitStatus.USAGE


class GateError(GobinoptError):
    """The gate cannot decide: a missing, unreadable, corrupt or future-schema baseline, a
    binary that is not there, a budget that does not parse. Always exit 2."""

    status = UNDECIDED


class Outcome(StrEnum):
    """What became of one budget of one binary."""

    PASS = "pass"
    FAIL = "fail"
    #: The budget could not apply (latency not probed on both sides, no Go metadata, no
    #: baseline with ``--missing-baseline pass``).
    SKIP = "skip"


class Verdict(StrEnum):
    """The decision for one binary, or for the whole gate."""

    PASS = "pass"
    FAIL = "fail"
    #: Over budget, but a ``Binary-Size:`` trailer or ``--accept`` put the growth on record.
    ACCEPTED = "accepted"
    #: No baseline entry, and ``--missing-baseline pass`` was given: passes with a warning.
    NO_BASELINE = "no-baseline"

    @property
    def passes(self) -> bool:
        """Whether this verdict lets CI continue (exit 0)."""
        return self is not Verdict.FAIL


@dataclass(frozen=True, slots=True)
class Budgets:
    """Every budget the gate knows; ``None`` means not set. Sizes are bytes, percents of the
    baseline's figure. Each set budget is one independent check (see :mod:`budgets`)."""

    max_size: int | None = None
    growth_bytes: int | None = None
    growth_percent: float | None = None
    loaded_max_size: int | None = None
    loaded_growth_bytes: int | None = None
    loaded_growth_percent: float | None = None
    #: Growth in file bytes allowed per section category (``code``, ``DWARF``, …).
    categories: tuple[tuple[str, int], ...] = ()
    #: Growth allowed for any one Go package / module (``std`` is one module).
    package_growth_bytes: int | None = None
    module_growth_bytes: int | None = None
    #: Largest code size allowed for a module the baseline does not have.
    new_module_bytes: int | None = None
    #: Growth of the warm start-up median, when both sides were probed.
    latency_growth_percent: float | None = None
    latency_growth_ms: float | None = None
    #: A shrink of at least this many bytes is reported as an improvement.
    improvement_bytes: int = 16_384
    #: Rows per level of the "what grew" report.
    top: int = 10


@dataclass(frozen=True, slots=True)
class Latency:
    """A warm start-up measurement of one binary (``gobinopt probe``'s median and spread)."""

    argv: tuple[str, ...]
    median_s: float
    q1_s: float
    q3_s: float
    runs: int


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    """One binary of a baseline: its name and its ``explain --json`` document (``--top 0``)."""

    name: str
    #: Where the binary was read from (a path, or ``store:VARIANT_ID``).
    source: str
    size: int
    loaded_size: int | None
    sha256: str
    #: The ``gobinopt.explain/v1`` document, as the diff engine reads it.
    explain: dict[str, object]
    latency: Latency | None = None


@dataclass(frozen=True, slots=True)
class Baseline:
    """A baseline document: the binaries of one build of the main branch."""

    path: str
    created: str
    gobinopt_version: str
    entries: tuple[BaselineEntry, ...]

    def entry(self, name: str) -> BaselineEntry | None:
        """The entry called ``name``, or None."""
        for e in self.entries:
            if e.name == name:
                return e
        return None


@dataclass(frozen=True, slots=True)
class Check:
    """One budget applied to one binary: the JUnit test case, the annotation, the table row."""

    budget: str
    #: The budget as configured, for people ("16,384 bytes", "1 %", "DWARF +0 bytes").
    limit: str
    #: What was measured, for people ("+20,480 bytes (+0.25 %)").
    actual: str
    outcome: Outcome
    #: One line: why it passed, failed or was skipped.
    message: str
    #: Bytes (or microseconds) over the budget; orders failures, biggest first.
    excess: int = 0
    #: The packages, modules or categories over their budget.
    offenders: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Change:
    """One row of the diff that grew or shrank: a category, module, package or function."""

    level: str
    name: str
    old: int | None
    new: int | None
    old_version: str | None = None
    new_version: str | None = None

    @property
    def delta(self) -> int:
        """New bytes minus old bytes."""
        return (self.new or 0) - (self.old or 0)

    @property
    def mark(self) -> str:
        """NEW, GONE or "" (changed)."""
        if self.old is None:
            return "NEW"
        if self.new is None:
            return "GONE"
        return ""


@dataclass(frozen=True, slots=True)
class BinaryDecision:
    """The gate's decision for one binary."""

    name: str
    source: str
    verdict: Verdict
    checks: tuple[Check, ...]
    #: File and loaded bytes of the baseline (None without a baseline entry) and of the binary.
    old_size: int | None
    new_size: int
    old_loaded: int | None
    new_loaded: int | None
    old_latency_s: float | None = None
    new_latency_s: float | None = None
    #: What grew and what shrank, biggest first, per level (categories, modules, packages,
    #: functions); ``shrank`` only when the binary shrank by ``improvement_bytes`` or more.
    grew: tuple[Change, ...] = ()
    shrank: tuple[Change, ...] = ()
    #: Build settings that differ from the baseline's ("-ldflags: '' → '-s -w'").
    settings: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: Whether the binary shrank by at least ``improvement_bytes``.
    improved: bool = False

    @property
    def delta(self) -> int | None:
        """File-size growth, or None without a baseline."""
        return None if self.old_size is None else self.new_size - self.old_size

    @property
    def failed(self) -> tuple[Check, ...]:
        """The checks over budget."""
        return tuple(c for c in self.checks if c.outcome is Outcome.FAIL)


@dataclass(frozen=True, slots=True)
class Acceptance:
    """A growth put on record: the reason and where it came from."""

    reason: str
    #: ``--accept`` or ``Binary-Size trailer of commit <sha>``.
    origin: str


@dataclass(frozen=True, slots=True)
class GateResult:
    """The outcome of ``gate check``: one decision per binary, and the overall verdict."""

    baseline: str
    budgets: Budgets
    decisions: tuple[BinaryDecision, ...]
    #: The acceptance that was available (used only when something failed).
    acceptance: Acceptance | None = None
    #: Gate-wide warnings (missing baseline on purpose, entries of the baseline not checked).
    warnings: tuple[str, ...] = field(default=())

    @property
    def verdict(self) -> Verdict:
        """FAIL when any binary fails; ACCEPTED when a failure was accepted; NO_BASELINE when
        nothing had a baseline; else PASS."""
        verdicts = {d.verdict for d in self.decisions}
        if Verdict.FAIL in verdicts:
            return Verdict.FAIL
        if Verdict.ACCEPTED in verdicts:
            return Verdict.ACCEPTED
        if verdicts == {Verdict.NO_BASELINE}:
            return Verdict.NO_BASELINE
        return Verdict.PASS

    @property
    def status(self) -> ExitStatus:
        """0 when the gate passes, 1 when it fails."""
        return ExitStatus.OK if self.verdict.passes else ExitStatus.FAILURE

"""The report seam: stored variant records seen as points (size, start-up latency), the Pareto
frontier, recommendations, and the files a report is made of."""

from __future__ import annotations

from dataclasses import dataclass

from gobinopt.errors import ExitStatus, GobinoptError
from gobinopt.results.interface import VariantRecord, VariantSpec


class ReportError(GobinoptError):
    """A report cannot be made (empty store, no variant satisfies the constraints)."""

    status = ExitStatus.FAILURE


@dataclass(frozen=True, slots=True)
class Point:
    """One stored variant as the report sees it."""

    variant_id: str
    label: str
    status: str
    size: int | None
    #: Median start-up latency in milliseconds, warm and cold (None when not measured).
    warm_ms: float | None
    cold_ms: float | None
    warm_iqr_ms: float | None
    cold_iqr_ms: float | None
    peak_rss_kb: int | None
    packed: bool
    has_dwarf: bool
    spec: VariantSpec
    post_steps: tuple[str, ...]
    reason: str
    categories: dict[str, int]
    #: The artifact's SHA-256 (None when nothing was built).
    sha256: str | None = None
    #: The variant whose artifact is byte-identical to this one (record key ``same_as``).
    same_as: str | None = None
    #: The shell commands that rebuild the variant, as its environment wrote them (record key
    #: ``commands``; empty for records stored before environments wrote them).
    commands: tuple[str, ...] = ()
    #: The environment's kind (``native``, ``musl``, …) from the record's fingerprint.
    env_kind: str = ""
    #: Other variants with a byte-identical artifact, shown as this one point
    #: (see :func:`gobinopt.report.analysis.merge_identical`).
    twins: tuple[Point, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the variant built, survived its post steps and passed its probe."""
        return self.status == "ok"

    @property
    def variants(self) -> tuple[Point, ...]:
        """This variant and its byte-identical twins."""
        return (self, *self.twins)


def point(record: VariantRecord) -> Point:
    """A Point from a stored record."""
    warm = record.latency_of("warm")
    cold = record.latency_of("cold")

    def ms(value: float | None) -> float | None:
        return None if value is None else value * 1000

    categories = dict(record.categories)
    rss = warm.peak_rss_kb if warm is not None else None
    return Point(
        variant_id=record.variant_id,
        label=record.label,
        status=record.status.value,
        size=record.size,
        warm_ms=ms(warm.median_s) if warm else None,
        cold_ms=ms(cold.median_s) if cold else None,
        warm_iqr_ms=ms(warm.iqr_s) if warm else None,
        cold_iqr_ms=ms(cold.iqr_s) if cold else None,
        peak_rss_kb=int(rss) if rss is not None else None,
        packed=record.packer == "UPX",
        has_dwarf=categories.get("DWARF", 0) > 0,
        spec=record.spec,
        post_steps=record.post_steps,
        reason=record.reason,
        categories=categories,
        sha256=record.sha256 or None,
        same_as=record.same_as or None,
        commands=record.commands,
        env_kind=record.fingerprint_value("kind"),
    )

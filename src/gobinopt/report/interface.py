"""The report seam: stored variant records seen as points (size, start-up latency), the Pareto
frontier, recommendations, and the files a report is made of."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gobinopt.errors import ExitStatus, GobinoptError


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
    spec: dict[str, Any]
    post_steps: tuple[str, ...]
    reason: str
    categories: dict[str, int]

    @property
    def ok(self) -> bool:
        """Whether the variant built, survived its post steps and passed its probe."""
        return self.status == "ok"


def point(record: dict[str, Any]) -> Point:
    """A Point from a stored record (schema gobinopt.results/v1)."""
    latency = record.get("latency") or {}
    warm = latency.get("warm") or {}
    cold = latency.get("cold") or {}

    def ms(d: dict[str, Any], key: str) -> float | None:
        value = d.get(key)
        return None if value is None else float(value) * 1000

    categories = {k: int(v) for k, v in (record.get("categories") or {}).items()}
    rss = warm.get("peak_rss_kb")
    if isinstance(rss, dict):
        rss = rss.get("median")
    return Point(
        variant_id=str(record["variant_id"]),
        label=str(record.get("label", record["variant_id"])),
        status=str(record.get("status", "?")),
        size=record.get("size"),
        warm_ms=ms(warm, "median_s"),
        cold_ms=ms(cold, "median_s"),
        warm_iqr_ms=ms(warm, "iqr_s"),
        cold_iqr_ms=ms(cold, "iqr_s"),
        peak_rss_kb=int(rss) if rss is not None else None,
        packed=record.get("packer") == "UPX",
        has_dwarf=categories.get("DWARF", 0) > 0,
        spec=dict(record.get("spec") or {}),
        post_steps=tuple(record.get("post_steps") or ()),
        reason=str(record.get("reason", "")),
        categories=categories,
    )

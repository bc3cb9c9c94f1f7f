"""Pure analysis of stored results: baseline deltas, the Pareto frontier, recommendations."""

from __future__ import annotations

import shlex
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, replace

from gobinopt.report.interface import Point, ReportError


def baseline(points: list[Point]) -> Point | None:
    """The default build: CGO as Go's default on the host would have it is unknowable, so the
    reference is the first ok artifact with exe, no -ldflags, no trimpath and no post steps
    (CGO_ENABLED=0 and the host's own environment preferred)."""
    plain = [
        p
        for p in merge_identical(points)
        if p.ok
        and p.spec.buildmode == "exe"
        and not p.spec.ldflags
        and not p.spec.trimpath
        and not p.post_steps
    ]
    plain.sort(
        key=lambda p: (
            p.spec.cgo,
            p.env_kind != "native",
            p.spec.environment,
        )
    )
    return plain[0] if plain else None


def _simplicity(p: Point) -> tuple[int, bool, bool, int, str]:
    """Which of several identical variants names the point: fewest post steps, the host's own
    environment, the one measured first (no ``same_as``), no cgo, then by label."""
    return (
        len(p.post_steps),
        p.env_kind != "native",
        p.same_as is not None,
        int(p.spec.cgo),
        p.label,
    )


def _median(values: Iterable[float | int | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def merge_identical(points: list[Point]) -> list[Point]:
    """One point per distinct artifact: ok variants whose files have the same SHA-256 become a
    single point named after the simplest of them (:attr:`Point.twins` holds the others) whose
    latency is the median of what was measured for any of them, so timing noise never tells
    identical files apart. Other points pass through; the order of first appearance is kept."""
    groups: dict[str, list[Point]] = {}
    order: list[Point | str] = []
    for p in points:
        if not (p.ok and p.sha256):
            order.append(p)
            continue
        if p.sha256 not in groups:
            groups[p.sha256] = []
            order.append(p.sha256)
        groups[p.sha256].extend(p.variants)
    out: list[Point] = []
    for item in order:
        if isinstance(item, Point):
            out.append(item)
            continue
        members = groups[item]
        if len(members) == 1:
            out.append(members[0])
            continue
        first, *rest = sorted(members, key=_simplicity)
        rss = _median(m.peak_rss_kb for m in members)
        out.append(
            replace(
                first,
                warm_ms=_median(m.warm_ms for m in members),
                cold_ms=_median(m.cold_ms for m in members),
                warm_iqr_ms=_median(m.warm_iqr_ms for m in members),
                cold_iqr_ms=_median(m.cold_iqr_ms for m in members),
                peak_rss_kb=None if rss is None else int(rss),
                twins=tuple(rest),
            )
        )
    return out


def pareto(points: list[Point], latency: str = "warm") -> list[Point]:
    """Ok artifacts not dominated in (size, median latency): none smaller and at least as fast,
    or faster and at most as big. Byte-identical variants are one point
    (:func:`merge_identical`). Sorted by size."""

    def lat(p: Point) -> float | None:
        return p.warm_ms if latency == "warm" else p.cold_ms

    cands = [
        p for p in merge_identical(points) if p.ok and p.size is not None and lat(p) is not None
    ]
    cands.sort(key=lambda p: (p.size or 0, lat(p) or 0.0))
    front: list[Point] = []
    best = float("inf")
    for p in cands:
        value = lat(p)
        assert value is not None
        if value < best:
            front.append(p)
            best = value
    return front


@dataclass(frozen=True, slots=True)
class Constraints:
    """What the shipped variant must satisfy."""

    max_start_ms: float | None = None
    max_cold_start_ms: float | None = None
    keep_debug_info: bool = False
    no_upx: bool = False
    static: bool = False


@dataclass(frozen=True, slots=True)
class Recommendation:
    """The smallest variant that satisfies the constraints, and how to reproduce it."""

    point: Point
    commands: tuple[str, ...]
    rejected: int


#: What a musl environment adds to -ldflags for cgo builds (static linking against musl).
MUSL_STATIC_LDFLAGS = "-linkmode external -extldflags -static"


def commands(p: Point, package: str = ".", output: str = "app") -> tuple[str, ...]:
    """The exact shell commands that reproduce a variant: those its environment stored with it,
    else (records stored before environments wrote them) go build, then each post step."""
    if p.commands:
        return p.commands
    spec = p.spec
    cgo = int(spec.cgo)
    env = [f"CGO_ENABLED={cgo}"]
    ldflags = spec.ldflags
    if p.env_kind == "musl" and cgo:
        env.insert(0, "CC=musl-gcc")
        ldflags = f"{ldflags} {MUSL_STATIC_LDFLAGS}".strip()
    args = ["go", "build", "-buildvcs=false", f"-buildmode={spec.buildmode or 'exe'}"]
    if spec.trimpath:
        args.append("-trimpath")
    if ldflags:
        args.append(f"-ldflags={ldflags}")
    args += ["-o", output, package]
    out = [f"{' '.join(env)} {shlex.join(args)}"]
    out += [f"{step} {output}" for step in p.post_steps]
    return tuple(out)


def _not_measured(mode: str, option: str, ok: int) -> ReportError:
    how = "a [latency] table" if mode == "warm" else "a [latency] table with cold = true"
    probe = "gobinopt probe BINARY" + (" --cold" if mode == "cold" else "")
    return ReportError(
        f"{option} cannot be checked: {mode} start-up latency was not measured for any of the"
        f" {ok} successful variants",
        hint=f"add {how} to the matrix file and run `gobinopt matrix run` again,"
        f" or time one binary with `{probe}`",
    )


def recommend(points: list[Point], constraints: Constraints, package: str = ".") -> Recommendation:
    """The smallest ok artifact meeting ``constraints`` (byte-identical variants are one, see
    :func:`merge_identical`); ReportError says why none does."""
    ok = [p for p in merge_identical(points) if p.ok and p.size is not None]
    if not ok:
        raise ReportError(
            "no successful variant in the store", hint="run `gobinopt matrix run` first"
        )
    c = constraints
    if c.max_start_ms is not None and all(p.warm_ms is None for p in ok):
        raise _not_measured("warm", "--max-start-ms", len(ok))
    if c.max_cold_start_ms is not None and all(p.cold_ms is None for p in ok):
        raise _not_measured("cold", "--max-cold-start-ms", len(ok))

    def fits(p: Point) -> bool:
        if c.max_start_ms is not None and (p.warm_ms is None or p.warm_ms > c.max_start_ms):
            return False
        if c.max_cold_start_ms is not None and (
            p.cold_ms is None or p.cold_ms > c.max_cold_start_ms
        ):
            return False
        if c.keep_debug_info and not p.has_dwarf:
            return False
        if c.no_upx and p.packed:
            return False
        return not (c.static and p.categories.get("dynamic linking", 0) > 0)

    good = sorted((p for p in ok if fits(p)), key=lambda p: (p.size or 0, p.warm_ms or 0.0))
    if not good:
        given = [
            opt
            for opt, on in (
                ("relax --max-start-ms", c.max_start_ms is not None),
                ("relax --max-cold-start-ms", c.max_cold_start_ms is not None),
                ("drop --keep-debug-info", c.keep_debug_info),
                ("drop --no-upx", c.no_upx),
                ("drop --static", c.static),
            )
            if on
        ]
        raise ReportError(
            f"none of the {len(ok)} successful variants satisfies the constraints",
            hint=", or ".join(given) or "run `gobinopt matrix run` with more variants",
        )
    best = good[0]
    return Recommendation(best, commands(best, package), len(ok) - len(good))

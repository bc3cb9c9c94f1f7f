"""Pure analysis of stored results: baseline deltas, the Pareto frontier, recommendations."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from gobinopt.report.interface import Point, ReportError


def baseline(points: list[Point]) -> Point | None:
    """The default build: CGO as Go's default on the host would have it is unknowable, so the
    reference is the first ok variant with exe, no -ldflags, no trimpath and no post steps
    (CGO_ENABLED=0 preferred)."""
    plain = [
        p
        for p in points
        if p.ok
        and p.spec.get("buildmode") == "exe"
        and not p.spec.get("ldflags")
        and not p.spec.get("trimpath")
        and not p.post_steps
    ]
    plain.sort(key=lambda p: (p.spec.get("CGO_ENABLED", 0), p.spec.get("environment", "")))
    return plain[0] if plain else None


def pareto(points: list[Point], latency: str = "warm") -> list[Point]:
    """Ok variants not dominated in (size, median latency): none smaller and at least as fast,
    or faster and at most as big. Sorted by size."""

    def lat(p: Point) -> float | None:
        return p.warm_ms if latency == "warm" else p.cold_ms

    cands = [p for p in points if p.ok and p.size is not None and lat(p) is not None]
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


def commands(p: Point, package: str = ".", output: str = "app") -> tuple[str, ...]:
    """The exact shell commands that reproduce a variant: go build, then each post step."""
    spec = p.spec
    env = f"CGO_ENABLED={int(spec.get('CGO_ENABLED', 0))}"
    if spec.get("environment", "").startswith("musl") or "musl" in spec.get("environment", ""):
        env = f"CC=musl-gcc {env}"
    args = ["go", "build", f"-buildmode={spec.get('buildmode', 'exe')}"]
    if spec.get("trimpath"):
        args.append("-trimpath")
    if spec.get("ldflags"):
        args.append(f"-ldflags={spec['ldflags']}")
    args += ["-o", output, package]
    out = [f"{env} {shlex.join(args)}"]
    out += [f"{step} {output}" for step in p.post_steps]
    return tuple(out)


def recommend(points: list[Point], constraints: Constraints, package: str = ".") -> Recommendation:
    """The smallest ok variant meeting ``constraints``; ReportError says why none does."""
    ok = [p for p in points if p.ok and p.size is not None]
    if not ok:
        raise ReportError(
            "no successful variant in the store", hint="run `gobinopt matrix run` first"
        )

    def fits(p: Point) -> bool:
        c = constraints
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
        raise ReportError(
            f"none of the {len(ok)} successful variants satisfies the constraints",
            hint="relax --max-start-ms, or drop --keep-debug-info / --no-upx",
        )
    best = good[0]
    return Recommendation(best, commands(best, package), len(ok) - len(good))

"""Expand a matrix into variants with stable ids, group them by build spec, shard them.

Rules follow CI matrices: the cartesian product of the axes, minus every ``exclude`` rule that
matches all of its keys, plus every ``include`` rule as an extra variant (its unset keys take
each axis's first value).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from gobinopt.matrix.interface import (
    BuildSpec,
    Matrix,
    MatrixError,
    Pipeline,
    Variant,
    host_goarch,
    normalize_ldflags,
    normalize_tags,
)


@dataclass(frozen=True, slots=True)
class Plan:
    """The variants of a matrix and the builds they need (one per distinct build spec)."""

    matrix: Matrix
    variants: tuple[Variant, ...]

    @property
    def builds(self) -> tuple[BuildSpec, ...]:
        """Distinct build specs in first-use order: one `go build` each."""
        seen: dict[BuildSpec, None] = {}
        for v in self.variants:
            seen.setdefault(v.build, None)
        return tuple(seen)

    def shard(self, index: int, count: int) -> Plan:
        """Shard ``index`` (1-based) of ``count``: whole build groups dealt round-robin, so a
        shard never rebuilds what another shard builds."""
        if count < 1 or not 1 <= index <= count:
            raise MatrixError(f"bad shard {index}/{count}", hint="use --shard I/N with 1 <= I <= N")
        mine = {b for i, b in enumerate(self.builds) if i % count == index - 1}
        return Plan(self.matrix, tuple(v for v in self.variants if v.build in mine))


def _matches(rule: dict[str, object], v: Variant) -> bool:
    fields = v.fields()
    for key, raw in rule.items():
        have, want = fields[key], raw
        if key == "ldflags" and isinstance(want, str):
            want = normalize_ldflags(want)
        if key == "tags" and isinstance(want, str):
            want = normalize_tags(want)
        if key == "GOARCH" and want == "":
            want = host_goarch()
        if key == "post" and isinstance(want, str):
            want = ",".join(s.strip() for s in want.split(",") if s.strip()) or "none"
        if key == "CGO_ENABLED":
            want = int(bool(want))
        if have != want:
            return False
    return True


def _spec(
    env: str,
    tc: str,
    cgo: bool,
    mode: str,
    ld: str,
    trim: bool,
    tags: str,
    arch: str,
    amd64: str,
    extra: tuple[tuple[str, str], ...],
) -> BuildSpec:
    arch = "" if arch == host_goarch() else arch
    # GOAMD64 means nothing to other architectures: those variants collapse into one.
    if (arch or host_goarch()) != "amd64":
        amd64 = ""
    return BuildSpec(env, tc, cgo, mode, ld, trim, tags, arch, amd64, extra)


def expand(matrix: Matrix) -> Plan:
    """All variants of ``matrix`` after include/exclude, in a stable order, ids unique."""
    variants: list[Variant] = []
    for env, tc, cgo, mode, ld, trim, tags, arch, amd64, pipe in itertools.product(
        matrix.environments,
        matrix.toolchains,
        matrix.cgo,
        matrix.buildmodes,
        matrix.ldflags,
        matrix.trimpath,
        matrix.tags,
        matrix.goarch,
        matrix.goamd64,
        matrix.pipelines,
    ):
        spec = _spec(env.name, tc, cgo, mode, ld, trim, tags, arch, amd64, matrix.env)
        variants.append(Variant(spec, pipe))
    variants = [v for v in variants if not any(_matches(r, v) for r in matrix.exclude)]
    pipes = {p.name: p for p in matrix.pipelines}
    for rule in matrix.include:
        variants.append(_from_rule(matrix, rule, pipes))
    unique: dict[str, Variant] = {}
    for v in variants:
        unique.setdefault(v.id, v)
    return Plan(matrix, tuple(unique.values()))


def _from_rule(matrix: Matrix, rule: dict[str, object], pipes: dict[str, Pipeline]) -> Variant:
    def get(key: str, default: object) -> object:
        return rule.get(key, default)

    post = str(get("post", matrix.pipelines[0].name))
    post = ",".join(s.strip() for s in post.split(",") if s.strip()) or "none"
    if post not in pipes:
        raise MatrixError(
            f"{matrix.path}: include.post: {post!r} is not one of the axes.post pipelines; "
            f"allowed: {', '.join(pipes)}"
        )
    build = _spec(
        env=str(get("environment", matrix.environments[0].name)),
        tc=str(get("toolchain", matrix.toolchains[0])),
        cgo=bool(get("CGO_ENABLED", matrix.cgo[0])),
        mode=str(get("buildmode", matrix.buildmodes[0])),
        ld=normalize_ldflags(str(get("ldflags", matrix.ldflags[0]))),
        trim=bool(get("trimpath", matrix.trimpath[0])),
        tags=normalize_tags(str(get("tags", matrix.tags[0]))),
        arch=str(get("GOARCH", matrix.goarch[0])),
        amd64=str(get("GOAMD64", matrix.goamd64[0])),
        extra=matrix.env,
    )
    return Variant(build, pipes[post])


def github_matrix(plan: Plan, shards: int) -> dict[str, Any]:
    """A GitHub Actions ``strategy.matrix`` value: one entry per shard with its variant count."""
    shards = max(1, min(shards, len(plan.builds) or 1))
    include = []
    for i in range(1, shards + 1):
        part = plan.shard(i, shards)
        include.append(
            {
                "shard": f"{i}/{shards}",
                "variants": len(part.variants),
                "builds": len(part.builds),
            }
        )
    return {"include": include}

"""The environments report: one program built in several environments (the host, musl, Docker
images, a WSL-style source path), every variant compared with the reference environment's
build of the same spec by `gobinopt diff`, and the article's WSL claims beside the measurements.

Nothing here measures: it compares stored records (their stored analysis documents), so the
report can be regenerated from a results store without a binary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gobinopt.diff.compare import biggest_changes, compare
from gobinopt.diff.interface import Diff, LevelName
from gobinopt.diff.stored import side_from_record
from gobinopt.results.interface import VariantRecord

#: Spec fields that must agree for two variants to be "the same build in two places".
_SAME = ("toolchain", "CGO_ENABLED", "buildmode", "ldflags", "trimpath", "post", "tags")
#: Settings that differ between any two environments and explain nothing about size.
_NOISE = ("environment: environment", "environment: kind")


@dataclass(frozen=True, slots=True)
class EnvComparison:
    """One variant of an environment beside the reference environment's same variant."""

    environment: str
    reference: VariantRecord
    other: VariantRecord
    diff: Diff

    @property
    def identical(self) -> bool:
        """Whether the two artifacts are byte-identical."""
        return bool(self.reference.sha256) and self.reference.sha256 == self.other.sha256


def _key(record: VariantRecord) -> tuple[object, ...]:
    fields = record.spec.fields()
    return tuple(fields.get(k) for k in _SAME)


def compare_environments(
    records: Sequence[VariantRecord], reference: str = "host"
) -> list[EnvComparison]:
    """Every ok variant of another environment compared with the reference's same spec."""
    ref = {_key(r): r for r in records if r.ok and r.spec.environment == reference}
    out: list[EnvComparison] = []
    for r in records:
        if not r.ok or r.spec.environment == reference:
            continue
        base = ref.get(_key(r))
        if base is None:
            continue
        a = side_from_record(base, f"{reference}:{base.variant_id}", "old")
        b = side_from_record(r, f"{r.spec.environment}:{r.variant_id}", "new")
        out.append(EnvComparison(r.spec.environment, base, r, compare(a, b)))
    out.sort(key=lambda c: (c.environment, c.reference.label))
    return out


def _short(record: VariantRecord) -> str:
    """The variant without its environment: ``CGO_ENABLED=0 exe -ldflags="-s -w" | strip``."""
    spec = record.spec
    parts = [f"CGO_ENABLED={int(spec.cgo)}", spec.buildmode]
    if spec.ldflags:
        parts.append(f'-ldflags="{spec.ldflags}"')
    if spec.trimpath:
        parts.append("-trimpath")
    return " ".join(parts) + ("" if spec.post == "none" else f" / {spec.post}")


def _pct(delta: int, base: int) -> str:
    return f"{100 * delta / base:+.2f}%" if base else "–"


def comparison_table(comparisons: Sequence[EnvComparison], reference: str) -> str:
    """Markdown: one row per environment and variant, with the bytes, the delta, what
    differs (section categories) and which build settings and environment facts differ."""
    head = (
        f"| environment | variant | {reference} bytes | bytes | Δ | Δ % | identical | "
        "largest section changes | settings and facts that differ |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    rows = [head]
    for c in comparisons:
        level = c.diff.level(LevelName.SECTIONS)
        settings = [s.key for s in c.diff.settings if s.key not in _NOISE]
        rows.append(
            f"| {c.environment} | {_short(c.other)} | {c.diff.old_total:,} | "
            f"{c.diff.new_total:,} | {c.diff.delta:+,} | "
            f"{_pct(c.diff.delta, c.diff.old_total)} | {'yes' if c.identical else 'no'} | "
            f"{biggest_changes(level) or '–'} | {', '.join(settings) or '–'} |"
        )
    return "\n".join(rows)


def _find(
    records: Sequence[VariantRecord], environment: str, **want: object
) -> VariantRecord | None:
    for r in records:
        fields = r.spec.fields()
        if (
            r.ok
            and r.spec.environment == environment
            and all(fields.get(k) == v for k, v in want.items())
        ):
            return r
    return None


_PLAIN = {"CGO_ENABLED": 0, "buildmode": "exe", "ldflags": "", "trimpath": False}


def wsl_claims(records: Sequence[VariantRecord], wsl: str, reference: str = "host") -> str:
    """Markdown: the article's WSL-vs-native claims beside what the WSL-path environment
    ``wsl`` (the same source under /mnt/c/...) measured against ``reference``."""

    def size(env: str, **want: object) -> int | None:
        r = _find(records, env, **want)
        return r.size if r is not None else None

    lines = [
        "| the article claims | measured | holds? |",
        "|---|---|---|",
    ]
    native = size(reference, **_PLAIN, post="none")
    on_wsl = size(wsl, **_PLAIN, post="none")
    if native and on_wsl:
        d = 100 * (on_wsl - native) / native
        lines.append(
            f"| a WSL2 build is ~23 % bigger than the native one | {d:+.2f} % "
            f"({on_wsl - native:+,} B; only the build directory differs, and with it the "
            "source paths in the pclntab file table and the DWARF line tables, so the "
            f"difference follows the two paths' lengths) | {'yes' if d > 15 else 'no'} |"
        )
    for env, claimed in ((reference, 16.2), (wsl, 18.7)):
        before = size(env, **_PLAIN, post="none")
        after = size(env, **_PLAIN, post="strip")
        if before and after:
            saved = 100 * (before - after) / before
            lines.append(
                f"| strip saves {claimed} % {'on WSL2' if env == wsl else 'natively'} | "
                f"{saved:.1f} % | {'yes' if abs(saved - claimed) < 2 else 'no'} |"
            )
    exe = size(wsl, **_PLAIN, post="none")
    pie = size(wsl, **{**_PLAIN, "buildmode": "pie"}, post="none")
    if exe and pie:
        d = 100 * (pie - exe) / exe
        lines.append(
            f"| `-buildmode=pie` is 9.3 % *smaller* on WSL2 | {d:+.1f} % | "
            f"{'yes' if d < 0 else 'no'} |"
        )
    if len(lines) == 2:
        return "(no WSL-path variants were measured)"
    return "\n".join(lines)

"""The results seam: one typed record per variant of a matrix run, as the runner makes it, the
store keeps it, and report, diff and gate read it.

A record crosses every module as a frozen :class:`VariantRecord`; JSON is only its on-disk
form (:meth:`VariantRecord.to_json` / :meth:`VariantRecord.from_json`, one round trip). Records
written by gobinopt before the typed record (``gobinopt.results/v1`` dicts) read unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from gobinopt.errors import ExitStatus, GobinoptError

#: Version of a record's JSON form and of the exported documents.
SCHEMA = "gobinopt.results/v2"
#: Versions this gobinopt reads.
READABLE = ("gobinopt.results/v1", SCHEMA)


class ResultsError(GobinoptError):
    """A stored or exported record cannot be read (corrupt, or written by a newer gobinopt)."""

    status = ExitStatus.BAD_INPUT


class Status(StrEnum):
    """What became of a variant."""

    OK = "ok"
    BROKEN = "broken"
    SKIPPED = "skipped"
    #: Cut short by Ctrl-C or a kill: never stored, so the next run redoes it.
    INTERRUPTED = "interrupted"


@dataclass(frozen=True, slots=True)
class VariantSpec:
    """The axis values of a variant, named as in the matrix file."""

    environment: str
    toolchain: str
    cgo: bool
    buildmode: str
    ldflags: str
    trimpath: bool
    post: str
    tags: str = ""
    goarch: str = ""
    goamd64: str = ""
    env: tuple[tuple[str, str], ...] = ()

    def fields(self) -> dict[str, object]:
        """The values keyed by their matrix-file names (for selectors and exports)."""
        out: dict[str, object] = {
            "environment": self.environment,
            "toolchain": self.toolchain,
            "CGO_ENABLED": int(self.cgo),
            "buildmode": self.buildmode,
            "ldflags": self.ldflags,
            "trimpath": self.trimpath,
            "post": self.post,
        }
        if self.tags:
            out["tags"] = self.tags
        if self.goarch:
            out["GOARCH"] = self.goarch
        if self.goamd64:
            out["GOAMD64"] = self.goamd64
        if self.env:
            out["env"] = dict(self.env)
        return out

    @classmethod
    def from_fields(cls, raw: dict[str, Any]) -> VariantSpec:
        """The inverse of :meth:`fields` (missing keys take their defaults)."""
        env = raw.get("env") or {}
        return cls(
            environment=str(raw.get("environment", "")),
            toolchain=str(raw.get("toolchain", "")),
            cgo=bool(int(raw.get("CGO_ENABLED", 0) or 0)),
            buildmode=str(raw.get("buildmode", "exe")),
            ldflags=str(raw.get("ldflags", "")),
            trimpath=bool(raw.get("trimpath", False)),
            post=str(raw.get("post", "none")),
            tags=str(raw.get("tags", "") or ""),
            goarch=str(raw.get("GOARCH", "") or ""),
            goamd64=str(raw.get("GOAMD64", "") or ""),
            env=tuple(sorted((str(k), str(v)) for k, v in dict(env).items())),
        )


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    """Whether the variant still ran its probe command, and how it ended."""

    #: None when the probe was not run (a cross-architecture build this host cannot execute).
    ok: bool | None
    exit_code: int | None
    message: str = ""
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Start-up latency of one mode (warm or cold) as stored: the probe document's numbers."""

    mode: str
    median_s: float
    iqr_s: float
    min_s: float
    max_s: float
    runs: int
    q1_s: float | None = None
    q3_s: float | None = None
    peak_rss_kb: float | None = None
    peak_rss_kb_max: int | None = None
    minor_faults: float | None = None
    major_faults: float | None = None
    eviction: str = ""
    stopped_because: str = ""
    samples_s: tuple[float, ...] = ()
    #: Fields of the probe document this version does not model (kept, never dropped).
    extra: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    @classmethod
    def from_probe(cls, doc: dict[str, Any]) -> LatencyStats:
        """From one entry of a ``gobinopt.probe/v1`` document's ``results``."""
        rss = doc.get("peak_rss_kb")
        rss_median = rss.get("median") if isinstance(rss, dict) else rss
        rss_max = rss.get("max") if isinstance(rss, dict) else None
        return cls(
            mode=str(doc.get("mode", "warm")),
            median_s=float(doc["median_s"]),
            iqr_s=float(doc.get("iqr_s") or 0.0),
            min_s=float(doc.get("min_s") or doc["median_s"]),
            max_s=float(doc.get("max_s") or doc["median_s"]),
            runs=int(doc.get("runs") or 0),
            q1_s=_opt_float(doc.get("q1_s")),
            q3_s=_opt_float(doc.get("q3_s")),
            peak_rss_kb=_opt_float(rss_median),
            peak_rss_kb_max=None if rss_max is None else int(rss_max),
            minor_faults=_opt_float(doc.get("minor_faults")),
            major_faults=_opt_float(doc.get("major_faults")),
            eviction=str(doc.get("eviction") or ""),
            stopped_because=str(doc.get("stopped_because") or ""),
            samples_s=tuple(float(x) for x in doc.get("samples_s") or ()),
            extra=tuple((k, v) for k, v in doc.items() if k not in _LATENCY_KEYS),
        )

    def to_probe(self) -> dict[str, Any]:
        """The same numbers in the probe document's field names."""
        return dict(self.extra) | {
            "mode": self.mode,
            "median_s": self.median_s,
            "q1_s": self.q1_s,
            "q3_s": self.q3_s,
            "iqr_s": self.iqr_s,
            "min_s": self.min_s,
            "max_s": self.max_s,
            "runs": self.runs,
            "peak_rss_kb": {"median": self.peak_rss_kb, "max": self.peak_rss_kb_max},
            "minor_faults": self.minor_faults,
            "major_faults": self.major_faults,
            "eviction": self.eviction,
            "stopped_because": self.stopped_because,
            "samples_s": list(self.samples_s),
        }


_LATENCY_KEYS = frozenset(
    (
        "mode",
        "median_s",
        "q1_s",
        "q3_s",
        "iqr_s",
        "min_s",
        "max_s",
        "runs",
        "peak_rss_kb",
        "minor_faults",
        "major_faults",
        "eviction",
        "stopped_because",
        "samples_s",
    )
)


def _opt_float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class VariantRecord:
    """Everything stored about one variant of a matrix run."""

    variant_id: str
    label: str
    matrix: str
    spec: VariantSpec
    status: Status
    reason: str = ""
    #: `go build` flags (output and package excluded), and post steps as labels.
    go_build: tuple[str, ...] = ()
    post_steps: tuple[str, ...] = ()
    #: Shell commands that rebuild the variant, spelled by its environment.
    commands: tuple[str, ...] = ()
    go_version: str = ""
    #: What the environment is (OS, kernel, libc, linker, compilers, tool versions).
    fingerprint: tuple[tuple[str, str], ...] = ()
    build_seconds: float | None = None
    #: Seconds the post steps took.
    post_seconds: float | None = None
    artifact: str = ""
    size: int | None = None
    sha256: str = ""
    #: File bytes by section category, and code bytes by Go package (largest first).
    categories: tuple[tuple[str, int], ...] = ()
    packages: tuple[tuple[str, int], ...] = ()
    non_go_code: int | None = None
    packer: str | None = None
    dynamic: bool | None = None
    probe: ProbeOutcome | None = None
    #: The probe run again with a 1 MB environment (packed binaries only).
    large_env_probe: ProbeOutcome | None = None
    latency: tuple[LatencyStats, ...] = ()
    #: How latency was timed (the probe document's ``method``: timing, launcher, RSS notes).
    latency_method: tuple[tuple[str, str | int | float | None], ...] = ()
    latency_error: str = ""
    #: The variant whose byte-identical artifact was measured in this one's place.
    same_as: str = ""
    #: The artifact's ``explain --json`` document (schema gobinopt.explain/v1, the largest
    #: functions only) as JSON text: what `gobinopt diff --store` compares without the binary.
    analysis: str = ""
    #: Version of the analysis that filled size, categories, packages and ``analysis`` (0: a
    #: gobinopt before versions were kept); the runner re-analyses older ones in place.
    analysis_version: int = 0
    #: Keys of the stored JSON this version does not know (kept, never dropped).
    extra: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    @property
    def ok(self) -> bool:
        """Whether the variant built, survived its post steps and passed its probe."""
        return self.status is Status.OK

    def fingerprint_value(self, key: str, default: str = "") -> str:
        """One fact of the environment fingerprint."""
        return next((v for k, v in self.fingerprint if k == key), default)

    def category(self, name: str) -> int:
        """File bytes of one section category (0 when absent)."""
        return next((v for k, v in self.categories if k == name), 0)

    def latency_of(self, mode: str) -> LatencyStats | None:
        """The warm or cold latency, when measured."""
        return next((s for s in self.latency if s.mode == mode), None)

    def with_(self, **changes: Any) -> VariantRecord:
        """A copy with some fields replaced (records are immutable)."""
        return replace(self, **changes)

    # -- JSON ------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The record's JSON form (schema :data:`SCHEMA`); :meth:`from_json` reads it back."""
        doc: dict[str, Any] = dict(self.extra)
        doc.update(
            {
                "schema": SCHEMA,
                "variant_id": self.variant_id,
                "label": self.label,
                "matrix": self.matrix,
                "spec": self.spec.fields(),
                "status": self.status.value,
                "go_build": list(self.go_build),
                "post_steps": list(self.post_steps),
                "go_version": self.go_version,
                "fingerprint": dict(self.fingerprint),
            }
        )
        optional: dict[str, Any] = {
            "reason": self.reason,
            "commands": list(self.commands) or None,
            "build_seconds": self.build_seconds,
            "post_seconds": self.post_seconds,
            "artifact": self.artifact,
            "size": self.size,
            "sha256": self.sha256,
            "categories": dict(self.categories) if self.categories else None,
            "packages": dict(self.packages) if self.packages else None,
            "non_go_code": self.non_go_code,
            "packer": self.packer,
            "dynamic": self.dynamic,
            "probe": _probe_json(self.probe),
            "large_env_probe": _probe_json(self.large_env_probe),
            "latency": {s.mode: s.to_probe() for s in self.latency} or None,
            "latency_method": dict(self.latency_method) or None,
            "latency_error": self.latency_error,
            "same_as": self.same_as,
            "analysis": json.loads(self.analysis) if self.analysis else None,
            "analysis_version": self.analysis_version or None,
        }
        for key, value in optional.items():
            if value not in (None, ""):
                doc[key] = value
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> VariantRecord:
        """Read a record's JSON form: this version's, or a v1 dict of an older gobinopt."""
        if not isinstance(doc, dict):
            raise ResultsError("a stored record is not a JSON object", hint=_STORE_HINT)
        schema = str(doc.get("schema", "gobinopt.results/v1"))
        if schema not in READABLE:
            raise ResultsError(
                f"a record has schema {schema!r}, newer than this gobinopt reads "
                f"({', '.join(READABLE)})",
                hint="upgrade gobinopt (pip install -U gobinopt)",
            )
        try:
            return cls._from_json(doc)
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultsError(
                f"a stored record of variant {doc.get('variant_id', '?')!r} is malformed "
                f"({type(exc).__name__}: {exc})",
                hint=_STORE_HINT,
            ) from None

    @classmethod
    def _from_json(cls, doc: dict[str, Any]) -> VariantRecord:
        latency = doc.get("latency") or {}
        known = set(_KNOWN_KEYS)
        return cls(
            variant_id=str(doc["variant_id"]),
            label=str(doc.get("label") or doc["variant_id"]),
            matrix=str(doc.get("matrix", "")),
            spec=VariantSpec.from_fields(dict(doc.get("spec") or {})),
            status=Status(str(doc.get("status", "broken"))),
            reason=str(doc.get("reason") or ""),
            go_build=tuple(str(a) for a in doc.get("go_build") or ()),
            post_steps=tuple(str(a) for a in doc.get("post_steps") or ()),
            commands=tuple(str(a) for a in doc.get("commands") or ()),
            go_version=str(doc.get("go_version") or ""),
            fingerprint=tuple((str(k), str(v)) for k, v in (doc.get("fingerprint") or {}).items()),
            build_seconds=_opt_float(doc.get("build_seconds")),
            post_seconds=_opt_float(doc.get("post_seconds")),
            artifact=str(doc.get("artifact") or ""),
            size=None if doc.get("size") is None else int(doc["size"]),
            sha256=str(doc.get("sha256") or ""),
            categories=tuple((str(k), int(v)) for k, v in (doc.get("categories") or {}).items()),
            packages=tuple((str(k), int(v)) for k, v in (doc.get("packages") or {}).items()),
            non_go_code=None if doc.get("non_go_code") is None else int(doc["non_go_code"]),
            packer=None if doc.get("packer") is None else str(doc["packer"]),
            dynamic=None if doc.get("dynamic") is None else bool(doc["dynamic"]),
            probe=_probe_from(doc.get("probe")),
            large_env_probe=_probe_from(doc.get("large_env_probe")),
            latency=tuple(
                LatencyStats.from_probe({"mode": mode, **dict(entry)})
                for mode, entry in dict(latency).items()
                if isinstance(entry, dict) and entry.get("median_s") is not None
            ),
            latency_method=tuple(
                (str(k), v if v is None or isinstance(v, int | float) else str(v))
                for k, v in (doc.get("latency_method") or {}).items()
            ),
            latency_error=str(doc.get("latency_error") or ""),
            same_as=str(doc.get("same_as") or ""),
            analysis=json.dumps(doc["analysis"], sort_keys=True) if doc.get("analysis") else "",
            analysis_version=int(doc.get("analysis_version") or 0),
            extra=tuple((k, v) for k, v in doc.items() if k not in known),
        )


_STORE_HINT = "the results store may be damaged; pass another --store or rerun the matrix"
_KNOWN_KEYS = (
    "schema",
    "variant_id",
    "label",
    "matrix",
    "spec",
    "status",
    "reason",
    "go_build",
    "post_steps",
    "commands",
    "go_version",
    "fingerprint",
    "build_seconds",
    "post_seconds",
    "artifact",
    "size",
    "sha256",
    "categories",
    "packages",
    "non_go_code",
    "packer",
    "dynamic",
    "probe",
    "large_env_probe",
    "latency",
    "latency_method",
    "latency_error",
    "same_as",
    "analysis",
    "analysis_version",
)


def _probe_json(p: ProbeOutcome | None) -> dict[str, Any] | None:
    if p is None:
        return None
    doc: dict[str, Any] = {"ok": p.ok, "exit_code": p.exit_code, "message": p.message}
    if p.skipped:
        doc["skipped"] = True
    return doc


def _probe_from(raw: object) -> ProbeOutcome | None:
    if not isinstance(raw, dict):
        return None
    code = raw.get("exit_code")
    return ProbeOutcome(
        bool(raw.get("ok")), None if code is None else int(code), str(raw.get("message") or "")
    )

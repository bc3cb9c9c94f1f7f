"""Run a plan: one `go build` per build spec (in parallel), post pipelines on copies, analysis,
probe, and one stored record per variant keyed by a content hash.

The key of a variant hashes (source tree, toolchain version, environment fingerprint, spec), so
an unchanged variant is never rebuilt and a killed run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gobinopt.envs.interface import BuildResult
from gobinopt.envs.native import MuslEnvironment, NativeEnvironment
from gobinopt.errors import GobinoptError, InterruptedRunError
from gobinopt.example import cache_dir
from gobinopt.matrix.interface import BuildSpec, Environment, Variant
from gobinopt.matrix.plan import Plan
from gobinopt.store.sqlite import Store
from gobinopt.tools import skipped_message

#: Statuses a stored variant can have.
OK, BROKEN, SKIPPED = "ok", "broken", "skipped"


class RunObserver(Protocol):
    """Progress of a matrix run (the CLI draws it; the library never prints)."""

    def variant_done(self, variant: Variant, record: dict[str, Any], cached: bool) -> None:
        """A variant finished (or was found in the store when ``cached``)."""

    def build_started(self, build: BuildSpec | str) -> None:
        """A `go build` (or a latency measurement, described by a string) started."""


class _ChildInterruptedError(Exception):
    """A child was stopped by Ctrl-C or a kill: the variant's outcome is unknown, not broken."""


class _Silent:
    def variant_done(self, variant: Variant, record: dict[str, Any], cached: bool) -> None:
        """Ignore."""

    def build_started(self, build: BuildSpec | str) -> None:
        """Ignore."""


@dataclass
class RunSummary:
    """What a run did: records of every variant of the plan, and how many were reused."""

    records: list[dict[str, Any]] = field(default_factory=list)
    built: int = 0
    reused: int = 0


def source_hash(directory: str) -> str:
    """Content hash of a program's source tree (file names and bytes; .git and caches skipped)."""
    digest = hashlib.sha256()
    if not directory:
        return "std"
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "testdata")
        for name in sorted(files):
            path = os.path.join(root, name)
            digest.update(os.path.relpath(path, directory).encode() + b"\0")
            with open(path, "rb") as fh:
                digest.update(hashlib.sha256(fh.read()).digest())
    return digest.hexdigest()


def compile_family(build: BuildSpec) -> tuple[str, str, bool]:
    """Builds that compile the same packages alike: toolchain, -buildmode, -trimpath.

    CGO_ENABLED changes only the cgo packages, the environment only CC, and -ldflags only the
    link, so builds of one family share most of the GOCACHE and must not compile it twice at
    once; builds of different families share nothing and can run side by side.
    """
    return (build.toolchain, build.buildmode, build.trimpath)


def _backend(env: Environment) -> NativeEnvironment | None:
    if env.kind == "native":
        return NativeEnvironment(env.name)
    if env.kind == "musl":
        return MuslEnvironment(env.name)
    return None


class Runner:
    """Executes a plan against a store."""

    def __init__(
        self,
        plan: Plan,
        store: Store,
        *,
        jobs: int | None = None,
        force: bool = False,
        observer: RunObserver | None = None,
        workdir: Path | None = None,
        analyze: Callable[[str], dict[str, Any]] | None = None,
    ) -> None:
        self.plan = plan
        self.store = store
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        #: Concurrent `go build`s (of different compile families).
        self.build_jobs = max(1, self.jobs // 2)
        self.force = force
        self.observer: RunObserver = observer or _Silent()
        self.workdir = workdir or cache_dir() / "artifacts"
        self.gocache = str(cache_dir() / "gocache")
        self.analyze = analyze or analyze_binary
        self._source = source_hash(plan.matrix.program.directory)
        self._toolchains: dict[str, tuple[str, str] | GobinoptError] = {}
        self._fingerprints: dict[tuple[str, str], dict[str, str]] = {}
        self._lock = threading.Lock()
        self._pending: list[tuple[Variant, str, dict[str, Any]]] = []
        self._post_futures: list[Future[dict[str, Any] | None]] = []
        #: Set on Ctrl-C (or when a child reports one): no new work starts, nothing
        #: finished after it is stored, so a re-run redoes exactly what was cut short.
        self._stop = threading.Event()

    # -- keys ----------------------------------------------------------------------------

    def _toolchain(self, value: str) -> tuple[str, str] | GobinoptError:
        with self._lock:
            if value not in self._toolchains:
                from gobinopt.toolchains import resolve

                try:
                    self._toolchains[value] = resolve(value)
                except GobinoptError as exc:
                    self._toolchains[value] = exc
            return self._toolchains[value]

    def _fingerprint(self, env: Environment, go: str) -> dict[str, str]:
        with self._lock:
            if (env.name, go) not in self._fingerprints:
                backend = _backend(env)
                fp = (
                    backend.fingerprint(go)
                    if backend
                    else {"environment": env.name, "kind": env.kind}
                )
                self._fingerprints[(env.name, go)] = fp
            return self._fingerprints[(env.name, go)]

    def key(self, variant: Variant, go_version: str, fingerprint: dict[str, str]) -> str:
        """Content hash of (source tree, toolchain, environment fingerprint, spec, pipeline)."""
        blob = json.dumps(
            {
                "source": self._source,
                "program": asdict(self.plan.matrix.program),
                "toolchain": go_version,
                "fingerprint": fingerprint,
                "spec": asdict(variant.build),
                "pipeline": [[s.kind, *s.args] for s in variant.pipeline.steps],
            },
            sort_keys=True,
        ).encode()
        return hashlib.sha256(blob).hexdigest()

    # -- running -------------------------------------------------------------------------

    def run(self) -> RunSummary:
        """Run every build group and return all records.

        Builds are grouped into compile families — same toolchain, ``-buildmode`` and
        ``-trimpath``, whose packages compile alike, so CGO and ``-ldflags`` siblings reuse the
        GOCACHE — and each family builds one spec at a time: two builds sharing compile steps
        on a cold cache would both compile the standard library. Different families build in
        parallel, ``max(1, jobs // 2)`` at once (a `go build` already keeps about two cores
        busy), while the post steps, analysis and probes of finished builds run alongside, up
        to ``jobs`` at once.
        """
        summary = RunSummary()
        groups: dict[BuildSpec, list[Variant]] = {}
        for v in self.plan.variants:
            groups.setdefault(v.build, []).append(v)
        families: dict[tuple[str, str, bool], list[BuildSpec]] = {}
        for b in groups:
            families.setdefault(compile_family(b), []).append(b)
        for members in families.values():
            # CGO_ENABLED=0 first: its packages are the ones CGO_ENABLED=1 builds share.
            members.sort(key=lambda b: b.cgo)

        def build_family(members: list[BuildSpec]) -> tuple[list[dict[str, Any]], int, int]:
            records: list[dict[str, Any]] = []
            built = reused = 0
            for b in members:
                if self._stop.is_set():
                    break
                recs, n_built, n_reused = self._group(b, groups[b], post)
                records.extend(recs)
                built += n_built
                reused += n_reused
            return records, built, reused

        with (
            ThreadPoolExecutor(max_workers=self.jobs) as post,
            ThreadPoolExecutor(max_workers=self.build_jobs) as builders,
        ):
            try:
                for records, built, reused in builders.map(build_family, families.values()):
                    summary.records.extend(records)
                    summary.built += built
                    summary.reused += reused
                with self._lock:
                    futures = list(self._post_futures)
                for f in futures:
                    rec = f.result()
                    if rec is not None:
                        summary.records.append(rec)
            except BaseException:
                # Ctrl-C: stop starting work; running tools died with the same signal.
                self._stop.set()
                post.shutdown(wait=False, cancel_futures=True)
                raise
        if self._stop.is_set():
            raise InterruptedRunError(
                "interrupted: a tool of the run was stopped by a signal",
                hint="whatever finished before it is stored; run the same command again to resume",
            )
        # Start-up latency is measured after every build, one variant at a time, so that no
        # compiler competes with the probe for the cores; each variant is stored once measured.
        for v, key, rec in self._pending:
            self._measure_latency(rec)
            self._finish(v, key, rec)
        return summary

    def _measure_latency(self, rec: dict[str, Any]) -> None:
        from gobinopt.probe.latency import measure, to_document

        settings = self.plan.matrix.latency
        probe = self.plan.matrix.program.probe
        assert settings is not None
        results = []
        for cold in (False, True) if settings.cold else (False,):
            self.observer.build_started(f"{'cold' if cold else 'warm'} start of {rec['label']}")
            try:
                results.append(
                    measure(
                        [rec["artifact"], *probe.args],
                        cold=cold,
                        runs_min=settings.min_runs,
                        runs_max=settings.max_runs,
                        budget_s=settings.budget_s,
                        warmup=settings.warmup,
                        expect_exit=probe.exit_code,
                        timeout_s=probe.timeout_s,
                    )
                )
            except GobinoptError as exc:
                rec["latency_error"] = exc.one_line()
                return
        doc = to_document(results)
        rec["latency"] = {r["mode"]: r for r in doc["results"]}
        rec["latency_method"] = doc["method"]

    def _base_record(self, v: Variant, go_version: str, fp: dict[str, str]) -> dict[str, Any]:
        return {
            "variant_id": v.id,
            "label": v.label(),
            "matrix": self.plan.matrix.program.name,
            "spec": v.fields(),
            "go_build": v.build.go_args(),
            "post_steps": [s.label for s in v.pipeline.steps],
            "go_version": go_version,
            "fingerprint": fp,
        }

    def _group(
        self, build: BuildSpec, variants: list[Variant], pool: ThreadPoolExecutor
    ) -> tuple[list[dict[str, Any]], int, int]:
        env = self.plan.matrix.environment(build.environment)
        tc = self._toolchain(build.toolchain)
        if isinstance(tc, GobinoptError):
            reason = f"skipped: {tc.message}" + (f" — {tc.hint}" if tc.hint else "")
            skipped = [self._skip(v, "", {}, reason) for v in variants]
            for v, rec in zip(variants, skipped, strict=True):
                self.observer.variant_done(v, rec, False)
            return skipped, 0, 0
        go, go_version = tc
        fp = self._fingerprint(env, go)
        keys = {v: self.key(v, go_version, fp) for v in variants}
        todo = [v for v in variants if self.force or not self.store.has(keys[v])]
        cached = [v for v in variants if v not in todo]
        records: list[dict[str, Any]] = []
        for v in cached:
            rec = self.store.get(keys[v]) or self._skip(v, go_version, fp, "vanished from store")
            records.append(rec)
            self.observer.variant_done(v, rec, True)
        if not todo:
            return records, 0, len(cached)
        backend = _backend(env)
        if backend is None:
            reason = f"skipped: {env.kind} environments are not supported by this version"
            for v in todo:
                records.append(self._finish(v, keys[v], self._skip(v, go_version, fp, reason)))
            return records, 0, len(cached)
        missing = backend.missing_tool(build.cgo)
        if missing:
            for v in todo:
                rec = self._skip(v, go_version, fp, skipped_message(missing))
                records.append(self._finish(v, keys[v], rec))
            return records, 0, len(cached)
        if self._stop.is_set():
            return records, 0, len(cached)
        self.observer.build_started(build)
        out_dir = self.workdir / build.id
        out_dir.mkdir(parents=True, exist_ok=True)
        args = build.go_args()
        extra = backend.extra_ldflags(build.cgo)
        if extra:
            args = [a for a in args if not a.startswith("-ldflags=")]
            args.append(f"-ldflags={(build.ldflags + ' ' + extra).strip()}")
        program = self.plan.matrix.program
        # Build under a name of our own, then rename: concurrent runs never see a half file.
        private = out_dir / f"base.{os.getpid()}.{threading.get_ident()}"
        result = backend.build(
            go, program.directory, program.package, args, build.cgo, str(private), self.gocache
        )
        if result.interrupted or self._stop.is_set():
            self._stop.set()
            return records, 0, len(cached)
        if result.ok:
            os.replace(private, out_dir / "base")
            result = BuildResult(True, str(out_dir / "base"), result.seconds)
        futures = [
            pool.submit(self._post_one, v, keys[v], result, go_version, fp, out_dir) for v in todo
        ]
        with self._lock:
            self._post_futures.extend(futures)
        return records, 1, len(cached)

    def _post_one(
        self,
        v: Variant,
        key: str,
        result: BuildResult,
        go_version: str,
        fp: dict[str, str],
        out_dir: Path,
    ) -> dict[str, Any] | None:
        if self._stop.is_set():
            return None
        try:
            rec = self._variant(v, result, go_version, fp, out_dir)
        except _ChildInterruptedError:
            self._stop.set()
            return None
        if self._stop.is_set():
            return None
        if rec["status"] == OK and self.plan.matrix.latency is not None:
            with self._lock:
                self._pending.append((v, key, rec))
        else:
            self._finish(v, key, rec)
        return rec

    def _skip(self, v: Variant, go_version: str, fp: dict[str, str], reason: str) -> dict[str, Any]:
        rec = self._base_record(v, go_version, fp)
        rec.update(status=SKIPPED, reason=reason)
        return rec

    def _finish(self, v: Variant, key: str, rec: dict[str, Any]) -> dict[str, Any]:
        if rec["status"] != SKIPPED:
            self.store.put(key, self.plan.matrix.program.name, rec)
        self.observer.variant_done(v, rec, False)
        return rec

    def _variant(
        self, v: Variant, built: BuildResult, go_version: str, fp: dict[str, str], out_dir: Path
    ) -> dict[str, Any]:
        from gobinopt.probe.smoke import large_environment, run_probe
        from gobinopt.steps import apply

        rec = self._base_record(v, go_version, fp)
        rec["build_seconds"] = round(built.seconds, 3)
        if not built.ok:
            rec.update(status=BROKEN, reason=f"build failed: {built.message}")
            return rec
        with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
            path = os.path.join(tmp, "bin")
            shutil.copy2(built.path, path)
            for step in v.pipeline.steps:
                res = apply(step, path)
                if res.interrupted:
                    raise _ChildInterruptedError(res.message)
                if not res.ok:
                    status = SKIPPED if res.skipped else BROKEN
                    rec.update(status=status, reason=res.message)
                    return rec
            final = out_dir / f"{v.id}.bin"
            # os.replace gives a new inode: a concurrent run executing the old file is unharmed.
            staged = os.path.join(tmp, "final")
            shutil.copy2(path, staged)
            os.replace(staged, final)
        rec["artifact"] = str(final)
        rec.update(self.analyze(str(final)))
        probe = run_probe(str(final), self.plan.matrix.program.probe)
        if probe.interrupted:
            raise _ChildInterruptedError(probe.message)
        rec["probe"] = {"ok": probe.ok, "exit_code": probe.exit_code, "message": probe.message}
        if any(s.kind == "upx" for s in v.pipeline.steps):
            big = run_probe(str(final), self.plan.matrix.program.probe, large_environment())
            if big.interrupted:
                raise _ChildInterruptedError(big.message)
            rec["large_env_probe"] = {
                "ok": big.ok,
                "exit_code": big.exit_code,
                "message": big.message,
            }
        if probe.ok:
            rec["status"] = OK
        else:
            rec.update(status=BROKEN, reason=f"probe failed: {probe.message}")
        return rec


def analyze_binary(path: str) -> dict[str, Any]:
    """Size, sha256, section categories and package totals of one artifact."""
    from gobinopt.explain import explain

    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256")
    ex = explain(path, savings=False)
    return {
        "size": ex.layout.file_size,
        "sha256": digest.hexdigest(),
        "categories": {c.category.value: c.file_size for c in ex.categories},
        "packages": {p.name: p.size for p in (ex.code.packages if ex.code else ())[:50]},
        "non_go_code": ex.code.non_go_code if ex.code else None,
        "packer": ex.layout.packer,
        "dynamic": ex.layout.dynamic,
    }

"""Run a plan: one `go build` per build spec (in parallel), post pipelines on copies, analysis,
probe, and one stored record per variant keyed by a content hash.

The key of a variant hashes (source tree, toolchain version, environment fingerprint, spec), so
an unchanged variant is never rebuilt and a killed run resumes where it stopped.

A variant is stored as soon as its build, post steps, analysis and probe are done; when the
matrix measures start-up latency, the record is stored again once it is measured, so a run cut
short during the (long) latency phase loses no build, and a re-run only measures what lacks
latency. Byte-identical artifacts (same sha256) are probed and measured once: the others copy
the results and name the measured variant in ``same_as``.

Builds, post steps and probes go through the environment's backend
(:func:`gobinopt.envs.backend_for`); this module knows no concrete backend.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from gobinopt.cache import cache_dir
from gobinopt.envs import backend_for
from gobinopt.envs.gobuild import BASE_GOFLAGS, goflags
from gobinopt.envs.interface import BuildEnvironment, BuildResult
from gobinopt.errors import GobinoptError, InterruptedRunError
from gobinopt.matrix.interface import BuildSpec, Environment, Pipeline, Variant
from gobinopt.matrix.plan import Plan
from gobinopt.pipeline.analysis import ANALYSIS_VERSION, ArtifactAnalysis, analyze_binary
from gobinopt.pipeline.interface import (
    RunObserver,
    RunSummary,
    Silent,
    compile_family,
    new_record,
    rebuild_commands,
)
from gobinopt.pipeline.latency import Pending, has_latency, latency_phase
from gobinopt.pipeline.source import source_hash, stage_source
from gobinopt.pipeline.variant import ChildInterruptedError, Identicals, VariantFinisher
from gobinopt.results.interface import Status, VariantRecord
from gobinopt.store.sqlite import Store
from gobinopt.tools import skipped_message

#: Statuses a stored variant can have.
OK, BROKEN, SKIPPED = Status.OK, Status.BROKEN, Status.SKIPPED


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
        analyze: Callable[[str], ArtifactAnalysis] | None = None,
        backends: Callable[[Environment], BuildEnvironment] | None = None,
    ) -> None:
        self.plan = plan
        self.store = store
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        #: Concurrent `go build`s (of different compile families).
        self.build_jobs = max(1, self.jobs // 2)
        self.force = force
        self.observer: RunObserver = observer or Silent()
        self.workdir = workdir or cache_dir() / "artifacts"
        self.gocache = str(cache_dir() / "gocache")
        self.analyze = analyze or analyze_binary
        #: Makes the backend of an environment (default: the registry).
        self.backend_for = backends or backend_for
        self._source = source_hash(plan.matrix.program.directory)
        self._toolchains: dict[str, tuple[str, str] | GobinoptError] = {}
        self._fingerprints: dict[tuple[str, str], dict[str, str]] = {}
        self._backends: dict[str, BuildEnvironment] = {}
        #: Environment name → the directory its builds run in (a staged source_dir).
        self._build_dirs: dict[str, str] = {}
        self._lock = threading.Lock()
        #: Ok variants waiting for their start-up latency.
        self._pending: list[Pending] = []
        self._post_futures: list[Future[VariantRecord | None]] = []
        self._identicals = Identicals()
        #: Set on Ctrl-C (or when a child reports one): no new work starts, nothing
        #: finished after it is stored, so a re-run redoes exactly what was cut short.
        self._stop = threading.Event()
        self._finisher = VariantFinisher(
            plan.matrix.program, self.analyze, self._identicals, self._stop
        )

    # -- environments and keys -----------------------------------------------------------

    def _backend(self, env: Environment) -> BuildEnvironment:
        with self._lock:
            if env.name not in self._backends:
                self._backends[env.name] = self.backend_for(env)
            return self._backends[env.name]

    def _build_dir(self, env: Environment) -> str:
        """Where ``env``'s builds run: its staged source_dir, else the program's directory."""
        return self._build_dirs.get(env.name, self.plan.matrix.program.directory)

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
        backend = self._backend(env)
        with self._lock:
            if (env.name, go) not in self._fingerprints:
                fp = dict(backend.fingerprint(go))
                if env.source_dir:
                    fp["source_dir"] = env.source_dir
                self._fingerprints[(env.name, go)] = fp
            return self._fingerprints[(env.name, go)]

    def key(self, variant: Variant, go_version: str, fingerprint: dict[str, str]) -> str:
        """Content hash of (source tree, toolchain, environment fingerprint, spec, pipeline).

        The spec enters with :meth:`BuildSpec.identity`, and GOFLAGS only when it is more
        than ``-buildvcs=false``, so keys of stores written before those existed still match.
        An environment's source_dir enters with its fingerprint.
        """
        doc: dict[str, Any] = {
            "source": self._source,
            "program": asdict(self.plan.matrix.program),
            "toolchain": go_version,
            "fingerprint": fingerprint,
            "spec": variant.build.identity(),
            "pipeline": [[s.kind, *s.args] for s in variant.pipeline.steps],
        }
        flags = goflags(variant.build.env)
        if flags != BASE_GOFLAGS:
            doc["goflags"] = flags
        blob = json.dumps(doc, sort_keys=True).encode()
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

        Every toolchain is resolved (and provisioned) once before any work: one that cannot
        be had is one error (a version that does not exist: exit 4; no such go: exit 5); so is
        an environment's source_dir that cannot be filled (exit 4). The backends are closed
        when the run ends, also on Ctrl-C.
        """
        try:
            return self._run()
        finally:
            with self._lock:
                backends = list(self._backends.values())
                self._backends.clear()
            for backend in backends:
                backend.close()

    def _run(self) -> RunSummary:
        from gobinopt.toolchains import check

        where = f"{self.plan.matrix.path}: axes.toolchain: "
        check(self.plan.matrix.toolchains, where)
        for value in dict.fromkeys(b.toolchain for b in self.plan.builds):
            tc = self._toolchain(value)
            if isinstance(tc, GobinoptError):
                raise type(tc)(where + tc.message, hint=tc.hint, status=tc.status)
        for name in dict.fromkeys(b.environment for b in self.plan.builds):
            env = self.plan.matrix.environment(name)
            if env.source_dir:
                self._build_dirs[name] = stage_source(self.plan.matrix.program, env.source_dir)
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

        def build_family(members: list[BuildSpec]) -> tuple[list[VariantRecord], int, int]:
            records: list[VariantRecord] = []
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
        settings = self.plan.matrix.latency
        if settings is None:
            return summary
        measured = latency_phase(
            self._pending,
            self.plan.variants,
            settings,
            self.plan.matrix.program.probe,
            self._identicals,
            self.store.put,
            self.observer.build_started,
            self.observer.latency_done,
        )
        by_id = {r.variant_id: r for r in measured}
        if by_id:
            summary.records = [by_id.get(r.variant_id, r) for r in summary.records]
        return summary

    def _record(
        self,
        v: Variant,
        go_version: str,
        fp: dict[str, str],
        status: Status,
        reason: str = "",
        commands: list[str] | None = None,
    ) -> VariantRecord:
        """The record of ``v`` with what is known before it is built."""
        name = self.plan.matrix.program.name
        return new_record(v, name, go_version, fp, status, reason, commands)

    def _reanalysed(self, key: str, rec: VariantRecord) -> VariantRecord:
        """``rec`` with figures of the current analysis: re-analysed from its artifact (and
        stored again) when an older gobinopt analysed it and the file is still there."""
        if rec.analysis_version >= ANALYSIS_VERSION or not os.path.isfile(rec.artifact):
            return rec
        analysis = self.analyze(rec.artifact)
        if analysis.sha256 != rec.sha256:
            return rec  # another file now sits there: leave the record as measured
        new = rec.with_(
            analysis_version=ANALYSIS_VERSION,
            **{f.name: getattr(analysis, f.name) for f in fields(analysis)},
        )
        self.store.put(key, new)
        return new

    def _wants_latency(self, rec: VariantRecord) -> bool:
        """An ok, probed variant of a matrix that measures latency, still lacking some."""
        settings = self.plan.matrix.latency
        return (
            settings is not None
            and rec.status is OK
            and rec.probe is not None
            and rec.probe.ok is True
            and not has_latency(rec, settings)
        )

    def _resume_latency(self, v: Variant, key: str, rec: VariantRecord) -> bool:
        """Queue a stored ok variant that lacks latency for measurement only; False when its
        artifact is gone (then it is rebuilt)."""
        if not self._wants_latency(rec):
            return True
        if not os.path.isfile(rec.artifact):
            return False
        with self._lock:
            self._pending.append((v, key, rec))
        return True

    def _skip_all(
        self,
        variants: list[Variant],
        keys: dict[Variant, str],
        go_version: str,
        fp: dict[str, str],
        reason: str,
        commands: dict[Variant, list[str]],
    ) -> list[VariantRecord]:
        return [
            self._finish(v, keys[v], self._record(v, go_version, fp, SKIPPED, reason, commands[v]))
            for v in variants
        ]

    def _group(
        self, build: BuildSpec, variants: list[Variant], pool: ThreadPoolExecutor
    ) -> tuple[list[VariantRecord], int, int]:
        env = self.plan.matrix.environment(build.environment)
        tc = self._toolchain(build.toolchain)
        if isinstance(tc, GobinoptError):
            reason = f"skipped: {tc.message}" + (f" — {tc.hint}" if tc.hint else "")
            skipped = [self._record(v, "", {}, SKIPPED, reason) for v in variants]
            for v, rec in zip(variants, skipped, strict=True):
                self.observer.variant_done(v, rec, False)
            return skipped, 0, 0
        go, go_version = tc
        fp = self._fingerprint(env, go)
        keys = {v: self.key(v, go_version, fp) for v in variants}
        records: list[VariantRecord] = []
        todo: list[Variant] = []
        for v in variants:
            stored = None if self.force else self.store.get(keys[v])
            if stored is not None:
                stored = self._reanalysed(keys[v], stored)
            if stored is None or not self._resume_latency(v, keys[v], stored):
                todo.append(v)
                continue
            if stored.sha256 and stored.status is OK and not stored.same_as:
                self._identicals.adopt(stored.sha256, v.id, stored)
            records.append(stored)
            self.observer.variant_done(v, stored, True)
        cached = len(records)
        if not todo:
            return records, 0, cached
        backend = self._backend(env)
        directory = self._build_dir(env)
        missing = backend.missing_tool(build.cgo)
        if missing and missing.startswith("skipped:"):
            # The place itself is not usable (not available, not reachable): no command.
            none: dict[Variant, list[str]] = {v: [] for v in todo}
            return records + self._skip_all(todo, keys, go_version, fp, missing, none), 0, cached
        package = self.plan.matrix.program.package
        commands = {v: rebuild_commands(backend, go, v, directory, package) for v in todo}
        if missing:
            reason = skipped_message(missing)
            return records + self._skip_all(todo, keys, go_version, fp, reason, commands), 0, cached
        if self._stop.is_set():
            return records, 0, cached
        self.observer.build_started(build)
        # The artifacts' directory is named by the build's content (program, source tree,
        # toolchain, environment, spec), not by the spec alone: two programs or two sources
        # built with the same flags must never overwrite each other's files.
        content = self.key(Variant(build, Pipeline("none", ())), go_version, fp)[:12]
        out_dir = self.workdir / f"{build.id}-{content}"
        out_dir.mkdir(parents=True, exist_ok=True)
        program = self.plan.matrix.program
        # Build under a name of our own, then rename: concurrent runs never see a half file.
        private = out_dir / f"base.{os.getpid()}.{threading.get_ident()}"
        command = backend.command(go, build, directory, program.package, str(private))
        result = backend.build(command, self.gocache)
        if result.interrupted or self._stop.is_set():
            self._stop.set()
            return records, 0, cached
        if result.ok:
            os.replace(private, out_dir / "base")
            result = BuildResult(True, str(out_dir / "base"), result.seconds)
        self.observer.build_done(build, result)
        futures = [
            pool.submit(
                self._post_one, v, keys[v], result, go_version, fp, out_dir, commands[v], backend
            )
            for v in todo
        ]
        with self._lock:
            self._post_futures.extend(futures)
        return records, 1, cached

    def _post_one(
        self,
        v: Variant,
        key: str,
        result: BuildResult,
        go_version: str,
        fp: dict[str, str],
        out_dir: Path,
        commands: list[str],
        backend: BuildEnvironment,
    ) -> VariantRecord | None:
        if self._stop.is_set():
            return None
        base = self._record(v, go_version, fp, BROKEN, commands=commands).with_(
            build_seconds=round(result.seconds, 3)
        )
        try:
            rec = self._finisher.finish(v, base, result, out_dir, backend)
        except ChildInterruptedError:
            self._stop.set()
            return None
        if self._stop.is_set():
            return None
        # Stored now, latency or not: a run cut short later keeps this variant.
        self._finish(v, key, rec)
        if self._wants_latency(rec):
            with self._lock:
                self._pending.append((v, key, rec))
        return rec

    def _finish(self, v: Variant, key: str, rec: VariantRecord) -> VariantRecord:
        if rec.status is not SKIPPED:
            self.store.put(key, rec)
        self.observer.variant_done(v, rec, False)
        return rec

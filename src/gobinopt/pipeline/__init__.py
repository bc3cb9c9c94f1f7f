"""The orchestrator: runs a matrix plan (builds, post steps, analysis, probes, latency) through
the environments' backends and stores one record per variant.

Modules: :mod:`~gobinopt.pipeline.runner` (scheduling, keys, the store),
:mod:`~gobinopt.pipeline.variant` (post steps, analysis, smoke probes of one variant),
:mod:`~gobinopt.pipeline.latency` (the latency phase), :mod:`~gobinopt.pipeline.source` (the
source tree's hash and its copy into a source_dir), :mod:`~gobinopt.pipeline.analysis` (what is
stored of an artifact's analysis), :mod:`~gobinopt.pipeline.interface` (observer, summary,
records).
"""

from gobinopt.pipeline.analysis import ANALYSIS_VERSION, ArtifactAnalysis, analyze_binary
from gobinopt.pipeline.interface import RunObserver, RunSummary, compile_family
from gobinopt.pipeline.runner import Runner
from gobinopt.pipeline.source import SourceDirError, source_hash, stage_source

__all__ = [
    "ANALYSIS_VERSION",
    "ArtifactAnalysis",
    "RunObserver",
    "RunSummary",
    "Runner",
    "SourceDirError",
    "analyze_binary",
    "compile_family",
    "source_hash",
    "stage_source",
]

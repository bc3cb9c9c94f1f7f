"""Start-up latency of a run's ok variants, measured after every build, one variant at a time,
so that no compiler competes with the probe for the cores.

Latency is measured on this machine with the C launcher of :mod:`gobinopt.probe.latency`
(fork/exec/wait4 timed in C), whatever environment built the artifact: an artifact that cannot
run here (linked against a container's libc, say) gets a latency error, not a number. Of
byte-identical artifacts only the first is measured; the others copy it (``same_as``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gobinopt.errors import GobinoptError, InterruptedRunError
from gobinopt.matrix.interface import LatencySettings, Probe, Variant
from gobinopt.pipeline.variant import Identicals
from gobinopt.results.interface import LatencyStats, VariantRecord
from gobinopt.tools import interrupted

#: A stored ok variant waiting for its start-up latency: (variant, store key, record).
Pending = tuple[Variant, str, VariantRecord]


def wanted_modes(settings: LatencySettings | None) -> tuple[str, ...]:
    """The modes a matrix's ``[latency]`` table asks for (none without the table)."""
    if settings is None:
        return ()
    return ("warm", "cold") if settings.cold else ("warm",)


def has_latency(rec: VariantRecord, settings: LatencySettings | None) -> bool:
    """Whether ``rec`` has every latency mode the matrix asks for (or a latency error)."""
    if rec.latency_error:
        return True
    return all(rec.latency_of(m) is not None for m in wanted_modes(settings))


def latency_phase(
    pending: list[Pending],
    order: Sequence[Variant],
    settings: LatencySettings,
    probe: Probe,
    identicals: Identicals,
    store_put: Callable[[str, VariantRecord], None],
    started: Callable[[str], None],
    done: Callable[[Variant, VariantRecord], None],
) -> list[VariantRecord]:
    """Measure every pending variant (each record stored again once measured, through
    ``store_put``) and return the records with their latency. ``started`` hears each
    measurement's description, ``done`` each finished variant."""
    index = {v.id: i for i, v in enumerate(order)}
    # Measured variants first, so that the copies find their results.
    queue = sorted(pending, key=lambda p: (bool(p[2].same_as), index.get(p[0].id, 0)))
    out: list[VariantRecord] = []
    for v, key, waiting in queue:
        leader = identicals.get(waiting.sha256)
        if (
            leader is not None
            and leader.variant_id != waiting.variant_id
            and has_latency(leader.record, settings)
        ):
            source = leader.record
            rec = waiting.with_(
                latency=source.latency,
                latency_method=source.latency_method,
                latency_error=source.latency_error,
                same_as=leader.variant_id,
            )
        else:
            rec = measure_latency(waiting, settings, probe, started)
            if leader is not None and leader.variant_id == rec.variant_id:
                leader.record = rec
        store_put(key, rec)
        done(v, rec)
        out.append(rec)
    return out


def measure_latency(
    rec: VariantRecord,
    settings: LatencySettings,
    probe: Probe,
    started: Callable[[str], None],
) -> VariantRecord:
    """``rec`` with the latency modes it lacks measured (or the reason they cannot be).

    Raises InterruptedRunError when a measured run was stopped by Ctrl-C or a kill."""
    from gobinopt.probe.latency import measure, to_document

    have = {s.mode: s for s in rec.latency}
    results = []
    for mode in wanted_modes(settings):
        if mode in have:
            continue
        started(f"{mode} start of {rec.label}")
        try:
            result = measure(
                [rec.artifact, *probe.args],
                cold=mode == "cold",
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

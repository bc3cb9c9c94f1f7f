"""The baseline document of ``gobinopt gate save`` (schema ``gobinopt.gate-baseline/v1``).

One JSON object, meant to be a CI artifact of the main branch or a committed file, written as a
one-line header and the ``binaries`` array::

    {"schema":"gobinopt.gate-baseline/v1","created":"...","gobinopt":"0.1.0","sha256":"<hex>"
    ,"binaries":[{"name","source","size","loaded_size","sha256",
                  "latency": null | {"argv","median_s","q1_s","q3_s","runs"},
                  "explain": <the gobinopt.explain/v1 document of the binary, --top 0>}]}

Each binary carries the ``explain --json`` document the diff engine reads
(:func:`gobinopt.diff.sides.side_from_document`), so a baseline side and a fresh binary are
compared by the same engine. The header's ``sha256`` is the digest of the bytes of the
``binaries`` array exactly as written (no re-serialisation on reading, so checking it costs one
hash): a truncated, bit-flipped or hand-edited baseline is refused (exit 2) instead of gating
against wrong figures. A file name ending in ``.gz`` is written gzip-compressed; reading
detects gzip by its magic bytes.

Saving reads no more than ``explain`` does: the binary is explained once (without savings).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gobinopt import __version__
from gobinopt.errors import GobinoptError
from gobinopt.gate.interface import (
    BASELINE_SCHEMA,
    Baseline,
    BaselineEntry,
    GateError,
    Latency,
)

if TYPE_CHECKING:
    from gobinopt.diff.interface import Side
    from gobinopt.explain.interface import Explanation
    from gobinopt.results.interface import VariantRecord

_PREFIX = "gobinopt.gate-baseline/"
_REGENERATE = "regenerate it with `gobinopt gate save BINARY... --baseline FILE`"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A binary read for the gate: its baseline entry and its diff side (the same figures)."""

    entry: BaselineEntry
    side: Side


def _sha256(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def read_binary(path: str, source: str | None = None) -> tuple[Explanation, Side]:
    """Explain the binary at ``path`` once (no savings) and make its diff side.

    Raises GateError (exit 2) when the binary is missing or cannot be read: the gate cannot
    decide without it.
    """
    from gobinopt.diff.sides import side_from_explanation
    from gobinopt.explain import explain
    from gobinopt.paths import input_file

    try:
        input_file(path, "binary", "check the path of the binary to gate")
        ex = explain(path, savings=False)
    except GobinoptError as exc:
        raise GateError(exc.message, hint=exc.hint) from None
    except OSError as exc:
        raise GateError(f"{path}: cannot read ({exc.strerror})", hint="check the file") from None
    return ex, side_from_explanation(ex, source or path)


def snapshot(
    path: str, name: str, *, source: str | None = None, latency: Latency | None = None
) -> Snapshot:
    """Read the binary at ``path`` for a baseline: its entry (with the file's sha256) and side.

    Raises GateError (exit 2) when the binary is missing or cannot be read.
    """
    ex, side = read_binary(path, source)
    try:
        digest = _sha256(path)
    except OSError as exc:
        raise GateError(f"{path}: cannot read ({exc.strerror})", hint="check the file") from None
    return Snapshot(entry_from(ex, name, source or path, digest, side, latency), side)


def entry_from(
    ex: Explanation,
    name: str,
    source: str,
    digest: str,
    side: Side,
    latency: Latency | None = None,
) -> BaselineEntry:
    """The baseline entry of an explained binary (its full ``explain --json`` document)."""
    from gobinopt.explain.document import to_document

    return BaselineEntry(
        name=name,
        source=source,
        size=side.file_size,
        loaded_size=side.loaded_size,
        sha256=digest,
        explain=to_document(ex, top=0),
        latency=latency,
    )


def _latency_doc(lat: Latency | None) -> dict[str, Any] | None:
    if lat is None:
        return None
    return {
        "argv": list(lat.argv),
        "median_s": lat.median_s,
        "q1_s": lat.q1_s,
        "q3_s": lat.q3_s,
        "runs": lat.runs,
    }


def _entry_doc(e: BaselineEntry) -> dict[str, Any]:
    return {
        "name": e.name,
        "source": e.source,
        "size": e.size,
        "loaded_size": e.loaded_size,
        "sha256": e.sha256,
        "latency": _latency_doc(e.latency),
        "explain": e.explain,
    }


#: The key that separates the header from the checksummed body of a baseline file.
_BODY_KEY = b',"binaries":'


def _body(entries: Iterable[BaselineEntry]) -> bytes:
    binaries = [_entry_doc(e) for e in entries]
    return json.dumps(binaries, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def to_bytes(entries: Iterable[BaselineEntry], created: str | None = None) -> bytes:
    """The baseline file's bytes: a one-line header (schema, created, gobinopt, sha256), then
    the ``binaries`` array, whose exact bytes the ``sha256`` field digests."""
    body = _body(entries)
    header = {
        "schema": BASELINE_SCHEMA,
        "created": created or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "gobinopt": __version__,
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return head[:-1] + b"\n" + _BODY_KEY + body + b"}\n"


def _stored_body(raw: bytes) -> bytes | None:
    """The bytes of the ``binaries`` array as written, or None when the layout is not ours."""
    start = raw.find(_BODY_KEY)
    end = raw.rstrip().rfind(b"}")
    if start < 0 or end < start:
        return None
    return raw[start + len(_BODY_KEY) : end]


def write_baseline(path: Path, entries: Iterable[BaselineEntry]) -> None:
    """Write the baseline atomically (a temporary file renamed over ``path``); gzip when the
    name ends in ``.gz``. Duplicate names raise GateError."""
    entries = list(entries)
    seen: set[str] = set()
    for e in entries:
        if e.name in seen:
            raise GateError(
                f"two binaries are called {e.name!r} in the baseline",
                hint="give each one a --name (one per BINARY, in order)",
            )
        seen.add(e.name)
    data = to_bytes(entries)
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    fd, tmp = tempfile.mkstemp(prefix=".gobinopt-baseline-", dir=str(path.parent or "."))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _corrupt(path: Path, why: str) -> GateError:
    return GateError(f"{path}: corrupt gate baseline ({why})", hint=_REGENERATE)


def read_baseline(path: Path) -> Baseline:
    """Read and verify a baseline.

    Raises GateError (exit 2) when it is missing, unreadable, not JSON, truncated, fails its
    checksum, or has an unknown or future schema.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise GateError(
            f"{path}: no gate baseline here",
            hint="save one on the main branch with `gobinopt gate save`, or pass "
            "--missing-baseline pass for the first run",
        ) from None
    except IsADirectoryError:
        raise GateError(f"{path}: is a directory, not a gate baseline", hint=_REGENERATE) from None
    except OSError as exc:
        raise GateError(
            f"{path}: cannot read the gate baseline ({exc.strerror})", hint="check the file"
        ) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise _corrupt(path, f"gzip: {exc}") from None
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _corrupt(path, f"not valid JSON: {' '.join(str(exc).split())}") from None
    if not isinstance(doc, dict):
        raise _corrupt(path, "not a JSON object")
    return _baseline(doc, raw, path)


def _baseline(doc: Mapping[str, Any], raw: bytes, path: Path) -> Baseline:
    """The baseline of a parsed document (checks schema, checksum and fields)."""
    schema = doc.get("schema")
    if schema != BASELINE_SCHEMA:
        if isinstance(schema, str) and schema.startswith(_PREFIX):
            raise GateError(
                f"{path}: gate baseline schema {schema!r} is not one this gobinopt reads "
                f"({BASELINE_SCHEMA})",
                hint="it was written by another gobinopt version: upgrade gobinopt, or "
                + _REGENERATE,
            )
        raise GateError(
            f"{path}: not a gobinopt gate baseline (schema {schema!r})", hint=_REGENERATE
        )
    binaries = doc.get("binaries")
    if not isinstance(binaries, list):
        raise _corrupt(path, "no binaries list")
    body = _stored_body(raw)
    if body is None or doc.get("sha256") != hashlib.sha256(body).hexdigest():
        raise _corrupt(path, "its checksum does not match its contents")
    try:
        entries = tuple(_entry(b) for b in binaries)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _corrupt(path, f"{type(exc).__name__}: {exc}") from None
    return Baseline(
        path=str(path),
        created=str(doc.get("created", "")),
        gobinopt_version=str(doc.get("gobinopt", "")),
        entries=entries,
    )


def _entry(b: Mapping[str, Any]) -> BaselineEntry:
    lat = b.get("latency")
    latency = None
    if lat is not None:
        latency = Latency(
            argv=tuple(str(a) for a in lat["argv"]),
            median_s=float(lat["median_s"]),
            q1_s=float(lat["q1_s"]),
            q3_s=float(lat["q3_s"]),
            runs=int(lat["runs"]),
        )
    explain = b["explain"]
    if not isinstance(explain, dict):
        raise TypeError("explain is not an object")
    loaded = b.get("loaded_size")
    return BaselineEntry(
        name=str(b["name"]),
        source=str(b["source"]),
        size=int(b["size"]),
        loaded_size=None if loaded is None else int(loaded),
        sha256=str(b.get("sha256", "")),
        explain=explain,
        latency=latency,
    )


def side_of(entry: BaselineEntry, baseline_path: str) -> Side:
    """The diff side of a baseline entry.

    Raises GateError (exit 2) when its explain document is one the diff engine cannot read.
    """
    from gobinopt.diff.sides import side_from_document

    try:
        return side_from_document(entry.explain, f"{baseline_path}:{entry.name}")
    except GobinoptError as exc:
        raise GateError(exc.message, hint=exc.hint) from None


def measure_latency(argv: Sequence[str], budget_s: float = 5.0) -> Latency:
    """The warm start-up latency of ``argv`` (``gobinopt probe``'s measurement).

    Raises GateError (exit 2) when the program cannot be run or its runs fail.
    """
    from gobinopt.probe.latency import measure

    try:
        result = measure(list(argv), cold=False, budget_s=budget_s)
    except GobinoptError as exc:
        raise GateError(exc.message, hint=exc.hint) from None
    if result.failures:
        raise GateError(
            f"{argv[0]}: the start-up probe failed ({result.failure})",
            hint="pass the arguments that make the program exit at once after --, "
            "e.g. --probe -- -version",
        )
    return Latency(tuple(argv), result.median_s, result.q1_s, result.q3_s, result.runs)


def latency_from_record(record: VariantRecord) -> Latency | None:
    """The warm latency a ``matrix run`` stored with a variant (its ``[latency]`` table), or
    None when the variant was not measured."""
    warm = record.latency_of("warm")
    if warm is None or warm.q1_s is None or warm.q3_s is None:
        return None
    return Latency(
        argv=(record.artifact,),
        median_s=warm.median_s,
        q1_s=warm.q1_s,
        q3_s=warm.q3_s,
        runs=warm.runs,
    )
    try:
        return Latency(
            argv=(str(record.get("artifact", "")),),
            median_s=float(warm["median_s"]),
            q1_s=float(warm["q1_s"]),
            q3_s=float(warm["q3_s"]),
            runs=int(warm["runs"]),
        )
    except (KeyError, TypeError, ValueError):
        return None

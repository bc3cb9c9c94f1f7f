"""The ``--json`` document of ``gobinopt explain`` (schema ``gobinopt.explain/v1``).

Plain dicts and lists only, so the output is stable and language-neutral; the field list is
documented in docs/explain-schema.md. Presentation (tables) lives in the CLI, not here.
"""

from __future__ import annotations

from typing import Any

from gobinopt.binary.interface import Part
from gobinopt.explain.interface import SCHEMA, Attribution, Explanation
from gobinopt.golang.attribution import Split
from gobinopt.golang.interface import Module


def _module(m: Module | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"path": m.path, "version": m.version, "sum": m.sum, "replace": _module(m.replace)}


def _part(p: Part) -> dict[str, Any]:
    return {
        "name": p.name,
        "kind": p.kind.value,
        "category": p.category.value,
        "offset": p.offset,
        "file_size": p.file_size,
        "mem_size": p.mem_size,
        "address": p.address,
        "flags": p.flags,
        "compressed": p.compressed,
        "uncompressed_size": p.uncompressed_size,
    }


def to_document(ex: Explanation, top: int = 25) -> dict[str, Any]:
    """The JSON-ready document; ``top`` limits the function list (0 = every function)."""
    lay = ex.layout
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "file": {
            "path": ex.path,
            "size": lay.file_size,
            "format": lay.format.value,
            "machine": lay.machine,
            "bits": lay.bits,
            "little_endian": lay.little_endian,
            "type": lay.file_type,
            "interpreter": lay.interpreter,
            "needed": list(lay.needed),
            "packer": lay.packer,
        },
        "is_go": ex.is_go,
        "parts": [_part(p) for p in lay.parts],
        "segments": [
            {
                "kind": s.kind,
                "offset": s.offset,
                "file_size": s.file_size,
                "address": s.address,
                "mem_size": s.mem_size,
                "flags": s.flags,
            }
            for s in lay.segments
        ],
        "categories": [
            {
                "category": c.category.value,
                "file_size": c.file_size,
                "mem_size": c.mem_size,
                "share": round(c.share, 6),
            }
            for c in ex.categories
        ],
        "total": {"file_size": sum(p.file_size for p in lay.parts)},
        "buildinfo": None,
        "pclntab": None,
        "code": None,
        "attribution": None,
        "functions": [],
        "savings": [
            {
                "knob": s.knob,
                "how": s.how,
                "bytes": s.bytes,
                "basis": s.basis.value,
                "detail": s.detail,
                "cost": s.cost,
                "parts": [{"section": p.section, "bytes": p.bytes} for p in s.parts],
            }
            for s in ex.savings
        ],
        "notes": list(ex.notes),
    }
    if ex.buildinfo is not None:
        bi = ex.buildinfo
        doc["buildinfo"] = {
            "go_version": bi.go_version,
            "path": bi.path,
            "main": _module(bi.main),
            "deps": [_module(d) for d in bi.deps],
            "settings": [[k, v] for k, v in bi.settings],
        }
    if ex.pclntab is not None:
        pt = ex.pclntab
        doc["pclntab"] = {
            "layout": pt.layout,
            "magic": f"{pt.magic:#010x}",
            "ptr_size": pt.ptr_size,
            "quantum": pt.quantum,
            "offset": pt.offset,
            "nfunc": pt.nfunc,
            "nfiles": len(pt.files),
            # The file table as written (absolute build paths unless -trimpath): `diff` reads
            # the build directories from it.
            "files": list(pt.files),
        }
        doc["functions"] = [
            {"name": f.name, "package": f.package, "entry": f.entry, "size": f.size}
            for f in ex.top_functions(top)
        ]
    if ex.code is not None:
        c = ex.code
        doc["code"] = {
            "text_size": c.text_size,
            "go_code": c.go_code,
            "non_go_code": c.non_go_code,
            "packages": [
                {"name": p.name, "size": p.size, "functions": p.functions} for p in c.packages
            ],
        }
    if ex.attribution is not None:
        doc["attribution"] = _attribution(ex.attribution)
    if ex.inner is not None:
        # A UPX-packed file: the full document of the program inside (unpacked by `upx -d`).
        doc["inner"] = to_document(ex.inner, top=top)
    return doc


def _split(sp: Split | None) -> dict[str, Any] | None:
    if sp is None:
        return None
    return {
        "sections": list(sp.sections),
        "size": sp.size,
        "shared": sp.shared,
        "packages": [{"name": n, "bytes": b} for n, b in sp.packages],
        "tables": [
            {"name": t.name, "bytes": t.size, "unexplained": t.unexplained} for t in sp.tables
        ],
    }


def _attribution(a: Attribution) -> dict[str, Any]:
    return {
        "to_packages": a.to_packages,
        "to_tables": a.to_tables,
        "share": round(a.share, 6),
        "packages": [
            {
                "name": p.name,
                "code": p.code,
                "pclntab": p.pclntab,
                "types": p.types,
                "data": p.data,
                "symbols": p.symbols,
                "dwarf": p.dwarf,
                "total": p.total,
            }
            for p in a.packages
        ],
        "unexplained": a.unexplained,
        "tables": [
            {"name": t.name, "bytes": t.size, "unexplained": t.unexplained} for t in a.tables
        ],
        "pclntab": _split(a.pclntab),
        "symbols": _split(a.symbols),
        "types": _split(a.types),
        "data": _split(a.data),
        "dwarf": _split(a.dwarf),
    }

"""Load the inputs of a diff into :class:`Side` records: a binary (explained on the spot) or a
saved ``explain --json`` document. A third source (a stored variant) only has to build a Side.

Both loaders reduce their input to the same primitive tuples and share one constructor, so a
document and the binary it was made from give equal sides.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from gobinopt.diff.interface import (
    BuildPaths,
    CategoryBytes,
    DiffError,
    FunctionSizes,
    ModuleVersion,
    PackageBytes,
    SectionBytes,
    Side,
    SourceKind,
)
from gobinopt.errors import ExitStatus, GobinoptError
from gobinopt.explain.interface import SCHEMA as EXPLAIN_SCHEMA
from gobinopt.explain.interface import Explanation
from gobinopt.golang.interface import Module
from gobinopt.paths import input_file

#: Categories never mapped at run time, even when a format puts them inside a segment.
_NOT_LOADED = frozenset({"DWARF", "symbol tables"})
#: Mach-O segments that are not part of the running program's image.
_UNMAPPED_SEGMENTS = frozenset({"__PAGEZERO", "__LINKEDIT", "__DWARF"})

#: (name, category, offset, file_size, mem_size) of one part of the file.
PartTuple = tuple[str, str, int, int, int]
#: (kind, offset, file_size) of one segment.
SegmentTuple = tuple[str, int, int]

_WHAT = "binary or explain --json document"
_HINT = "pass a Go binary or a document saved with `gobinopt explain BINARY --json --top 0`"


def check_input(path: str, role: str) -> None:
    """Raise DiffError (exit 3) naming ``role`` when ``path`` is missing or unreadable."""
    try:
        input_file(path, _WHAT, _HINT)
    except GobinoptError as exc:
        raise DiffError(f"{role}: {exc.message}", hint=exc.hint, status=exc.status) from None


def load_side(path: str, role: str) -> Side:
    """Load the side ``role`` ("old" or "new") from ``path``: an ``explain --json`` document
    when the file starts with ``{``, else a binary.

    Raises DiffError naming ``role``: exit 3 when the path is missing or unreadable, exit 4 when
    it is neither a readable executable nor a gobinopt explain document.
    """
    try:
        p = input_file(path, _WHAT, _HINT)
        with open(p, "rb") as f:
            head = f.read(64)
        if head.lstrip()[:1] == b"{":
            return side_from_document(_read_json(str(p)), str(p))
        from gobinopt.explain import explain

        return side_from_explanation(explain(str(p), savings=False), str(p))
    except GobinoptError as exc:
        raise DiffError(f"{role}: {exc.message}", hint=exc.hint, status=exc.status) from None
    except OSError as exc:
        raise DiffError(
            f"{role}: {path}: cannot read ({exc.strerror})",
            hint="check the file's permissions",
            status=ExitStatus.NOT_FOUND,
        ) from None


def _read_json(path: str) -> Mapping[str, Any]:
    try:
        with open(path, "rb") as f:
            doc = json.load(f)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DiffError(
            f"{path}: not valid JSON ({' '.join(str(exc).split())})", hint=_HINT
        ) from None
    if not isinstance(doc, dict):
        raise DiffError(f"{path}: not a gobinopt explain document (not a JSON object)", hint=_HINT)
    return doc


def side_from_explanation(ex: Explanation, source: str) -> Side:
    """The side of a binary explained in this process."""
    lay = ex.layout
    parts = [(p.name, p.category.value, p.offset, p.file_size, p.mem_size) for p in lay.parts]
    segments = [(s.kind, s.offset, s.file_size) for s in lay.segments]
    bi = ex.buildinfo
    functions: FunctionSizes | None = None
    if ex.pclntab is not None:
        functions = function_sizes((f.name, f.size) for f in ex.pclntab.functions)
    return _make_side(
        source=source,
        kind=SourceKind.BINARY,
        file_size=lay.file_size,
        fmt=lay.format.value,
        machine=lay.machine,
        file_type=lay.file_type,
        interpreter=lay.interpreter,
        packer=lay.packer,
        is_go=ex.is_go,
        parts=parts,
        segments=segments,
        go_version=bi.go_version if bi else None,
        main=_module(bi.main) if bi else None,
        deps=tuple(m for m in (_module(d) for d in bi.deps) if m is not None) if bi else None,
        settings=bi.settings if bi else (),
        text_size=ex.code.text_size if ex.code else None,
        non_go_code=ex.code.non_go_code if ex.code else None,
        packages=tuple(PackageBytes(p.name, p.size, p.functions) for p in ex.code.packages)
        if ex.code
        else None,
        functions=functions,
        functions_note="" if functions is not None else "no Go function table",
        files=ex.pclntab.files if ex.pclntab else None,
        notes=ex.notes,
    )


def function_sizes(functions: Iterable[tuple[str, int]]) -> FunctionSizes:
    """(name, bytes) pairs summed by name: name → (bytes, how many functions)."""
    out: dict[str, tuple[int, int]] = {}
    get = out.get
    for name, size in functions:
        prev = get(name)
        out[name] = (size, 1) if prev is None else (prev[0] + size, prev[1] + 1)
    return out


def _module(m: Module | None) -> ModuleVersion | None:
    if m is None:
        return None
    repl = ""
    if m.replace is not None:
        repl = f"{m.replace.path} {m.replace.version}".strip()
    return ModuleVersion(m.path, m.version, repl)


def side_from_document(doc: Mapping[str, Any], source: str) -> Side:
    """The side of a saved ``gobinopt explain --json`` document (schema gobinopt.explain/v1).

    Raises DiffError (exit 4) for another schema or a document missing required fields.
    """
    schema = doc.get("schema")
    if schema != EXPLAIN_SCHEMA:
        raise DiffError(
            f"{source}: not a {EXPLAIN_SCHEMA} document (schema {schema!r})",
            hint=_HINT,
        )
    try:
        return _document_side(doc, source)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DiffError(
            f"{source}: malformed {EXPLAIN_SCHEMA} document ({type(exc).__name__}: {exc})",
            hint="regenerate it with `gobinopt explain BINARY --json --top 0`",
        ) from None


def _document_side(doc: Mapping[str, Any], source: str) -> Side:
    file = doc["file"]
    parts = [
        (
            str(p["name"]),
            str(p["category"]),
            int(p["offset"]),
            int(p["file_size"]),
            int(p["mem_size"]),
        )
        for p in doc["parts"]
    ]
    segments = [(str(s["kind"]), int(s["offset"]), int(s["file_size"])) for s in doc["segments"]]
    bi = doc.get("buildinfo")
    pt = doc.get("pclntab")
    code = doc.get("code")
    listed = doc.get("functions") or []
    functions: FunctionSizes | None = None
    note = "no Go function table"
    if pt is not None:
        nfunc = int(pt["nfunc"])
        if len(listed) == nfunc:
            functions = function_sizes((str(f["name"]), int(f["size"])) for f in listed)
        else:
            note = (
                f"the document lists {len(listed):,} of {nfunc:,} functions; "
                "save it with `gobinopt explain BINARY --json --top 0`"
            )
    files = pt.get("files") if pt is not None else None
    return _make_side(
        source=source,
        kind=SourceKind.EXPLAIN_JSON,
        file_size=int(file["size"]),
        fmt=str(file["format"]),
        machine=str(file["machine"]),
        file_type=str(file["type"]),
        interpreter=file.get("interpreter"),
        packer=file.get("packer"),
        is_go=bool(doc["is_go"]),
        parts=parts,
        segments=segments,
        go_version=str(bi["go_version"]) if bi else None,
        main=_doc_module(bi.get("main")) if bi else None,
        deps=tuple(m for m in (_doc_module(d) for d in bi["deps"]) if m is not None)
        if bi
        else None,
        settings=tuple((str(k), str(v)) for k, v in bi["settings"]) if bi else (),
        text_size=int(code["text_size"]) if code else None,
        non_go_code=int(code["non_go_code"]) if code else None,
        packages=tuple(
            PackageBytes(str(p["name"]), int(p["size"]), int(p["functions"]))
            for p in code["packages"]
        )
        if code
        else None,
        functions=functions,
        functions_note="" if functions is not None else note,
        files=tuple(str(f) for f in files) if files is not None else None,
        notes=tuple(str(n) for n in doc.get("notes", ())),
    )


def _doc_module(m: Mapping[str, Any] | None) -> ModuleVersion | None:
    if not m:
        return None
    repl = m.get("replace")
    spelled = f"{repl['path']} {repl['version']}".strip() if repl else ""
    return ModuleVersion(str(m["path"]), str(m["version"]), spelled)


def _make_side(
    *,
    source: str,
    kind: SourceKind,
    file_size: int,
    fmt: str,
    machine: str,
    file_type: str,
    interpreter: str | None,
    packer: str | None,
    is_go: bool,
    parts: Sequence[PartTuple],
    segments: Sequence[SegmentTuple],
    go_version: str | None,
    main: ModuleVersion | None,
    deps: tuple[ModuleVersion, ...] | None,
    settings: tuple[tuple[str, str], ...],
    text_size: int | None,
    non_go_code: int | None,
    packages: tuple[PackageBytes, ...] | None,
    functions: FunctionSizes | None,
    functions_note: str,
    files: tuple[str, ...] | None,
    notes: Iterable[str],
) -> Side:
    loads = _load_ranges(segments)
    sec_file: dict[str, int] = defaultdict(int)
    sec_mem: dict[str, int] = defaultdict(int)
    sec_loaded: dict[str, int] = defaultdict(int)
    sec_cat: dict[str, str] = {}
    cat_file: dict[str, int] = defaultdict(int)
    cat_mem: dict[str, int] = defaultdict(int)
    cat_loaded: dict[str, int] = defaultdict(int)
    cat_order: dict[str, None] = {}
    for name, category, offset, size, mem in parts:
        loaded = _loaded(category, offset, size, mem, loads)
        sec_file[name] += size
        sec_mem[name] += mem
        sec_loaded[name] += loaded
        sec_cat.setdefault(name, category)
        cat_file[category] += size
        cat_mem[category] += mem
        cat_loaded[category] += loaded
        cat_order[category] = None
    sections = tuple(
        SectionBytes(name, sec_cat[name], sec_file[name], sec_mem[name], sec_loaded[name])
        for name in sec_file
    )
    categories = tuple(
        CategoryBytes(c, cat_file[c], cat_mem[c], cat_loaded[c]) for c in _category_order(cat_order)
    )
    return Side(
        source=source,
        kind=kind,
        file_size=file_size,
        loaded_size=sum(c.loaded for c in categories),
        format=fmt,
        machine=machine,
        file_type=file_type,
        interpreter=interpreter,
        packer=packer,
        is_go=is_go,
        categories=categories,
        sections=sections,
        go_version=go_version,
        main_module=main,
        modules=deps,
        settings=settings,
        text_size=text_size,
        non_go_code=non_go_code,
        packages=packages,
        functions=functions,
        functions_note=functions_note,
        paths=build_paths(files) if files is not None else None,
        notes=tuple(notes),
    )


def _category_order(seen: Mapping[str, None]) -> list[str]:
    from gobinopt.binary.categories import ORDER

    known = [c.value for c in ORDER if c.value in seen]
    return known + [c for c in seen if c not in known]


def _load_ranges(segments: Sequence[SegmentTuple]) -> list[tuple[int, int]]:
    """File ranges mapped at run time: ELF ``PT_LOAD``, PE headers and raw section data, Mach-O
    segments other than __PAGEZERO, __LINKEDIT and __DWARF; merged and sorted."""
    ranges: list[tuple[int, int]] = []
    for kind, offset, size in segments:
        if size <= 0:
            continue
        mapped = (
            kind in {"LOAD", "headers"}
            or kind.startswith("section ")
            or (kind.startswith("__") and kind not in _UNMAPPED_SEGMENTS)
        )
        if mapped:
            ranges.append((offset, offset + size))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _loaded(category: str, offset: int, size: int, mem: int, loads: list[tuple[int, int]]) -> int:
    """File bytes of one part that are mapped at run time."""
    if size <= 0 or category in _NOT_LOADED:
        return 0
    if not loads:
        return size if mem > 0 else 0
    end = offset + size
    total = 0
    for start, stop in loads:  # a handful of segments: linear is fine
        if stop <= offset:
            continue
        if start >= end:
            break
        total += min(end, stop) - max(offset, start)
    return total


_WINDOWS_ABS = re.compile(r"^[A-Za-z]:[\\/]")


def build_paths(files: Sequence[str]) -> BuildPaths:
    """The absolute build directories a pclntab file table reveals: GOROOT, the module cache,
    and the main module's directory (``/mnt/c/...`` for a build from a Windows drive in WSL)."""
    absolute = [f.replace("\\", "/") for f in files if f.startswith("/") or _WINDOWS_ABS.match(f)]
    goroot: str | None = None
    cache: str | None = None
    rest: list[str] = []
    for path in absolute:
        if goroot is None and "/src/runtime/" in path:
            goroot = path[: path.rfind("/src/runtime/") + len("/src/")]
        idx = path.find("/pkg/mod/")
        if idx >= 0:
            if cache is None:
                cache = path[: idx + len("/pkg/mod/")]
            continue
        rest.append(path)
    rest = [p for p in rest if not (goroot and p.startswith(goroot))]
    main_dir: str | None = None
    if rest:
        prefix = rest[0].rsplit("/", 1)[0]
        for p in rest[1:]:
            while prefix and not p.startswith(prefix + "/"):
                prefix = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        main_dir = prefix or None
    return BuildPaths(goroot, cache, main_dir, len(absolute), len(files))

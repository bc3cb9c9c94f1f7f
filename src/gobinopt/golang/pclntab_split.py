"""Split the Go pclntab by function, hence by package.

**pclntab** (Go 1.18+ layouts; see ``cmd/link/internal/ld/pcln.go``). The table is the
``pcHeader``, then ``funcnametab``, ``cutab``, ``filetab``, ``pctab`` and the function table
(``functab`` pairs followed by one ``_func`` record per function). Per function:

- its ``functab`` pair (8 bytes) and its ``_func`` record with its ``pcdata`` and ``funcdata``
  offsets, plus the alignment padding up to the next record (the linker aligns records to the
  pointer size);
- the pc-value tables it references (``pcsp``, ``pcfile``, ``pcln``, every ``pcdata``). The
  linker writes each distinct table once, back to back, in the order functions first use them,
  so a table runs from its offset to the next referenced offset. A table used by several
  functions is attributed to its **first user** in function order (bloaty's rule) and its bytes
  are also counted as ``shared``.
- ``funcnametab`` holds every function name once, including names only the inline trees refer
  to; each NUL-terminated name is attributed to the package of that name.

- since Go 1.26 the funcdata blobs (``go:func.*``: stack maps, inline trees, arg info) follow
  the records inside the table; like pc-value tables each runs to the next referenced offset
  and goes to its first user (the linker orders them by alignment, then first use).

The header, ``cutab``, ``filetab``, the ``functab`` end sentinel, pc-value bytes no function
refers to (the leading zero byte that keeps offset 0 invalid), ``runtime.findfunctab`` (the
last bytes of the table since Go 1.26), alignment and the padding after the table are named
tables.

**.go.func** (Go 1.27+: ``.go.func``, ``.data.rel.ro.go.func`` when position independent,
``__go_func`` on Mach-O). Not funcdata, which stays in the pclntab: the linker groups there the
``pkg.F·f`` closure descriptors (``go:funcdesc``, ``cmd/link/internal/ld/symtab.go``), each one
pointer-size word holding a function's entry address — the static ``funcval`` of a top-level
function used as a value. Each word goes to the package of the function it points at
(``runtime.text`` from ``moduledata.text``, else the text section's start); a word that points
at no function entry is the table "funcval to no function".

Speed: the function table is read in bulk — names split once, packages computed once a run of
names (:func:`gobinopt.golang.pclntab.import_paths`), records as one word array. Past
:data:`NUMPY_MIN_FUNCS` functions the per-record offsets (~7 pc-value and ~7 funcdata
references a function) are gathered and deduplicated with numpy when it is installed
(matplotlib, a dependency, brings it); the plain-Python reader gives the same split.
"""

from __future__ import annotations

import struct
import sys
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import accumulate, chain, compress, count, islice, repeat
from operator import add, and_, attrgetter, le, lt, ne, rshift, sub
from typing import Any

from gobinopt.binary.interface import Layout, Part
from gobinopt.golang.attribution import NO_PACKAGE, Data, Split, TableSize, packages_of, u32_array
from gobinopt.golang.interface import GoMetadataError, PclnTab
from gobinopt.golang.pclntab import GO118_MAGIC, GO120_MAGIC, import_paths, word_array
from gobinopt.golang.typedesc import find_moduledata

# -- pclntab ------------------------------------------------------------------------------------


def split_pclntab(
    data: Data, layout: Layout, tab: PclnTab, *, numpy: bool | None = None, end: int | None = None
) -> Split | None:
    """The pclntab split by function → package; None for layouts older than Go 1.18.

    The table ends where its section does; where it has none (PE keeps it inside ``.rdata``;
    section names lost) at ``end``, the file offset of ``runtime.epclntab`` when the caller
    knows it, else at the end of the section holding it — the bytes after the table are then
    an unexplained remainder.

    Raises GoMetadataError when the table's offsets point outside it. ``numpy`` forces (True)
    or forbids (False) reading the records with numpy; by default large tables use it when
    it is installed. Both give the same split.
    """
    if tab.magic not in (GO120_MAGIC, GO118_MAGIC):
        return None
    try:
        return _split_pclntab(data, layout, tab, numpy, end)
    except (struct.error, IndexError, ValueError, OverflowError, MemoryError) as exc:
        raise GoMetadataError(f"pclntab is corrupt: {exc}") from None


_NAME = attrgetter("name")
_PACKAGE = attrgetter("package")
#: From this many functions on, the records are read with numpy (when it is installed, as
#: matplotlib brings it): importing it costs ~70 ms and saves ~4 µs a function.
NUMPY_MIN_FUNCS = 20_000
_NO_FUNCDATA = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class _Refs:
    """The distinct blobs a table's functions refer to, by offset, ascending."""

    offsets: list[int]
    #: The first function (in function order) that refers to each blob.
    owners: list[int]
    #: How many references each blob has (every pcdata/funcdata slot counts).
    uses: list[int]


@dataclass(frozen=True, slots=True)
class _Records:
    """What the ``_func`` records say."""

    #: File offset of each record, then the end of the last one.
    starts: list[int]
    #: pc-value tables (``pcsp``, ``pcfile``, ``pcln``, ``pcdata``; offset 0 = none).
    pc: _Refs
    #: funcdata blobs (offset ``^0`` = none).
    fd: _Refs


def _split_pclntab(
    data: Data, layout: Layout, tab: PclnTab, numpy: bool | None = None, end: int | None = None
) -> Split:
    base, ptr = tab.offset, tab.ptr_size
    order = "<" if layout.little_endian else ">"
    sec = layout.section(".gopclntab", "__gopclntab")
    holder = sec or next(
        (p for p in layout.parts if p.file_size and p.offset <= base < p.end), None
    )
    limit = holder.end if holder is not None else len(data)
    if sec is None and end is not None and base < end <= limit:
        limit = end
    limit = min(limit, len(data))
    word = struct.Struct(order + ("Q" if ptr == 8 else "I"))

    def hdr(i: int) -> int:
        return int(word.unpack_from(data, base + 8 + i * ptr)[0])

    nfunc = tab.nfunc
    rel = {
        "funcnametab": hdr(3),
        "cutab": hdr(4),
        "filetab": hdr(5),
        "pctab": hdr(6),
        "functab": hdr(7),
    }
    starts = sorted(rel.items(), key=lambda kv: kv[1])
    if [k for k, _ in starts] != list(rel) or starts[0][1] < 8 + 8 * ptr:
        raise GoMetadataError("pclntab header offsets are out of order")
    size_total = limit - base
    if rel["functab"] > size_total:
        raise GoMetadataError("pclntab function table lies past the table")
    if len(tab.functions) != nfunc:
        raise GoMetadataError("pclntab function count disagrees with its functions")
    pkg_of_fn = list(map(_PACKAGE, tab.functions))
    sizes: dict[str, int] = defaultdict(int)
    tables: dict[str, int] = defaultdict(int)
    tables["pcHeader"] = rel["funcnametab"]
    tables["cutab"] = rel["filetab"] - rel["cutab"]
    tables["filetab"] = rel["pctab"] - rel["filetab"]

    # funcnametab: every name to the package it names.
    names = bytes(data[base + rel["funcnametab"] : base + rel["cutab"]])
    known = dict(zip(map(_NAME, tab.functions), pkg_of_fn, strict=True))
    tables["funcnametab padding"] += _split_names(names, tab.magic == GO120_MAGIC, known, sizes)

    # functab: (entryOff, funcOff) pairs and the end entry, then the _func records.
    functab = base + rel["functab"]
    pairs_end = functab + (2 * nfunc + 1) * 4
    if pairs_end > limit:
        raise GoMetadataError("pclntab functab runs past the table")
    values = u32_array(bytes(data[functab:pairs_end]), order)
    funcoffs = values[1 : 2 * nfunc : 2]
    tables["functab end entry"] = 4
    header_size = 44 if tab.magic == GO120_MAGIC else 40
    pctab_size = rel["functab"] - rel["pctab"]
    rec = _records(data, functab, limit, funcoffs, header_size, order, numpy)
    if rec.pc.offsets and rec.pc.offsets[-1] >= pctab_size:
        bad = min(
            o for off, o in zip(rec.pc.offsets, rec.pc.owners, strict=True) if off >= pctab_size
        )
        raise GoMetadataError(f"pclntab _func {bad} points past the pctab")
    # The record, its pcdata/funcdata offsets and the alignment before the next record, plus
    # the function's functab pair; records of a run of functions of one package are contiguous.
    for lo, hi in _runs(pkg_of_fn):
        sizes[pkg_of_fn[lo]] += 8 * (hi - lo) + rec.starts[hi] - rec.starts[lo]
    record_end = max(pairs_end, rec.starts[-1])
    # The gap between the pair table and the first record is alignment.
    if nfunc:
        if rec.starts[0] < pairs_end:
            raise GoMetadataError("pclntab _func 0 overlaps the functab pairs")
        tables["functab padding"] += rec.starts[0] - pairs_end
    # pctab: each table runs to the next referenced offset.
    shared = _attribute_blobs(sizes, pkg_of_fn, rec.pc, len(rec.pc.offsets), pctab_size)
    tables["pctab unreferenced"] = rec.pc.offsets[0] if rec.pc.offsets else pctab_size
    # Since Go 1.26 the funcdata blobs (go:func.*) and runtime.findfunctab follow the records
    # inside the table: go:func.* from the next aligned offset, findfunctab (4 bytes a 4 KiB
    # bucket plus one byte a 256-byte subbucket of text) at the very end.
    if nfunc and limit - record_end > 0 and rec.fd.offsets:
        span = values[2 * nfunc] - values[0]
        ff_size = 4 * (-(-span // 4096)) + -(-span // 256)
        gofunc = record_end + (-(record_end - base) % 8)
        ff_start = limit - ff_size
        if gofunc <= ff_start:
            region = ff_start - gofunc
            inside = bisect_left(rec.fd.offsets, region)  # blobs that start inside it
            first = rec.fd.offsets[0] if inside else region
            tables["funcdata padding"] = (gofunc - record_end) + first
            shared += _attribute_blobs(sizes, pkg_of_fn, rec.fd, inside, region)
            tables["runtime.findfunctab"] = ff_size
            record_end = limit
    tables["after the table"] = max(0, limit - record_end)
    size = max(limit, record_end) - base
    return Split(
        sections=(sec.name,) if sec is not None else ("pclntab",),
        size=size,
        packages=packages_of(sizes),
        tables=tuple(
            TableSize(k, v, unexplained=k == "after the table") for k, v in tables.items() if v
        ),
        shared=shared,
    )


def _split_names(names: bytes, modern: bool, known: dict[str, str], sizes: dict[str, int]) -> int:
    """Add each NUL-terminated name of the funcnametab to its package; return the bytes of
    empty names (padding). A last name without its NUL counts its bytes only.

    ``known`` maps the functions' names to their packages (decoded the same way); the names
    only inline trees use get theirs here.
    """
    parts = names.split(b"\0")
    texts = names.decode("utf-8", "replace").split("\0")
    if len(texts) != len(parts):
        texts = [p.decode("utf-8", "replace") for p in parts]
    missing = [t for t in texts if t not in known]
    known.update(zip(missing, import_paths(missing, modern), strict=True))
    packages = list(map(known.__getitem__, texts))
    # Name k covers len(k) + 1 bytes: the byte offset of name k is ends[k].
    ends = list(map(add, accumulate(map(len, parts), initial=0), count()))
    ends[-1] = len(names)  # the last part has no NUL after it
    for lo, hi in _runs(packages):
        sizes[packages[lo]] += ends[hi] - ends[lo]
    # Empty names (runs of NULs) went to "" above: they are padding, one byte each.
    padding = parts.count(b"") - (parts[-1] == b"")
    sizes[NO_PACKAGE] -= padding
    return padding


def _runs(keys: list[str]) -> list[tuple[int, int]]:
    """``(start, stop)`` of each run of equal consecutive keys."""
    if not keys:
        return []
    cuts = [0, *compress(count(1), map(ne, keys, islice(keys, 1, None))), len(keys)]
    return list(zip(cuts, islice(cuts, 1, None), strict=False))


def _attribute_blobs(
    sizes: dict[str, int], pkg_of_fn: list[str], refs: _Refs, stop_index: int, stop: int
) -> int:
    """Attribute the blobs ``refs.offsets[:stop_index]``, laid back to back (each to the next
    referenced offset, the last to ``stop``), to their first user's package; return the
    bytes of blobs with several users."""
    ordered = refs.offsets[:stop_index]
    if not ordered:
        return 0
    lengths = list(map(sub, chain(islice(ordered, 1, None), (stop,)), ordered))
    owners = list(map(pkg_of_fn.__getitem__, islice(refs.owners, stop_index)))
    total = list(accumulate(lengths, initial=0))
    for lo, hi in _runs(owners):  # the linker lays blobs out in first-use order: few runs
        sizes[owners[lo]] += total[hi] - total[lo]
    return sum(compress(lengths, map(lt, repeat(1), refs.uses)))


def _records(
    data: Data,
    functab: int,
    limit: int,
    funcoffs: array[int],
    header_size: int,
    order: str,
    numpy: bool | None = None,
) -> _Records:
    """Read every ``_func`` record's extent and the blobs it refers to.

    ``numpy`` forces (True) or forbids (False) the numpy reader; None picks it for large
    tables when numpy can be imported.
    """
    nfunc = len(funcoffs)
    if not nfunc:
        return _Records([functab], _Refs([], [], []), _Refs([], [], []))
    if not all(map(le, funcoffs, islice(funcoffs, 1, None))):
        bad = next(i for i in range(1, nfunc) if funcoffs[i] < funcoffs[i - 1])
        raise GoMetadataError(f"pclntab _func {bad} lies outside the table or out of order")
    if functab + funcoffs[-1] + header_size > limit:
        bad = next(i for i in range(nfunc) if functab + funcoffs[i] + header_size > limit)
        raise GoMetadataError(f"pclntab _func {bad} lies outside the table or out of order")
    if numpy is None:
        numpy = nfunc >= NUMPY_MIN_FUNCS or "numpy" in sys.modules
    if numpy and not functab % 4 and not any(map((3).__and__, funcoffs)):
        try:
            return _records_numpy(data, functab, limit, funcoffs, header_size, order)
        except ImportError:
            pass
    if not functab % 4 and not any(map((3).__and__, funcoffs)):
        return _records_words(data, functab, limit, funcoffs, header_size, order)
    return _records_one_by_one(data, functab, limit, funcoffs, header_size, order)


def _records_words(
    data: Data, functab: int, limit: int, funcoffs: array[int], header_size: int, order: str
) -> _Records:
    """:func:`_records` in plain Python over one word array: a slice a record and field."""
    nfunc = len(funcoffs)
    words = u32_array(bytes(data[functab : limit - (limit - functab) % 4]), order)
    head = header_size >> 2
    rs = list(map(rshift, funcoffs, repeat(2)))  # the word where each record starts
    npcdata = list(map(words.__getitem__, map(add, rs, repeat(7))))
    last = map(words.__getitem__, map(add, rs, repeat(head - 1)))
    if order == "<":  # nfuncdata is the 4th byte of the word (funcID, flag, pad, nfuncdata)
        last = map(rshift, last, repeat(24))
    nfuncdata = list(map(and_, last, repeat(0xFF)))
    pc_start = list(map(add, rs, repeat(head)))  # pcdata follow the header
    fd_start = list(map(add, pc_start, npcdata))  # funcdata follow the pcdata
    fd_stop = list(map(add, fd_start, nfuncdata))
    if max(fd_stop) > len(words):
        bad = next(i for i, stop in enumerate(fd_stop) if stop > len(words))
        raise GoMetadataError(f"pclntab _func {bad} runs past the table")
    if not all(map(le, fd_stop, islice(rs, 1, None))):
        bad = next(i for i in range(nfunc - 1) if rs[i + 1] < fd_stop[i])
        raise GoMetadataError(f"pclntab _func {bad} overlaps the next one")
    starts = [functab + off for off in funcoffs]
    starts.append(functab + 4 * fd_stop[-1])
    get = words.__getitem__
    fixed = map(get, map(slice, map(add, rs, repeat(4)), map(add, rs, repeat(7))))
    pcdata = map(get, map(slice, pc_start, fd_start))
    pc_offs = list(chain.from_iterable(chain.from_iterable(zip(fixed, pcdata, strict=True))))
    pc_funcs = list(chain.from_iterable(map(repeat, range(nfunc), map(add, npcdata, repeat(3)))))
    fd_offs = list(chain.from_iterable(map(get, map(slice, fd_start, fd_stop))))
    fd_funcs = list(chain.from_iterable(map(repeat, range(nfunc), nfuncdata)))
    return _Records(starts, _refs(pc_offs, pc_funcs, 0), _refs(fd_offs, fd_funcs, _NO_FUNCDATA))


def _records_numpy(
    data: Data, functab: int, limit: int, funcoffs: array[int], header_size: int, order: str
) -> _Records:
    """:func:`_records` with numpy: the records as one word array, gathered by index arrays.

    Raises ImportError when numpy is missing. Records must be 4-byte aligned.
    """
    import numpy as np

    nfunc = len(funcoffs)
    # A view of the mapped file, not a copy (it dies with this call, before the file is
    # unmapped).
    count = (limit - functab) // 4
    words = np.frombuffer(
        data, dtype=np.dtype("<u4" if order == "<" else ">u4"), count=count, offset=functab
    )
    offs = np.frombuffer(funcoffs.tobytes(), dtype=np.uint32).astype(np.int64)
    rs = offs >> 2  # the word where each record starts
    head = header_size >> 2
    npcdata = words[rs + 7].astype(np.int64)
    last = words[rs + head - 1]  # funcID, flag, pad, nfuncdata: nfuncdata is the 4th byte
    nfuncdata = ((last >> 24) if order == "<" else last).astype(np.int64) & 0xFF
    pc_start = rs + head  # pcdata follow the header, funcdata the pcdata
    fd_start = pc_start + npcdata
    ends = (fd_start + nfuncdata) * 4
    past = ends > len(words) * 4
    if past.any():
        raise GoMetadataError(f"pclntab _func {int(past.argmax())} runs past the table")
    overlap = offs[1:] < ends[:-1]
    if overlap.any():
        raise GoMetadataError(f"pclntab _func {int(overlap.argmax())} overlaps the next one")
    starts: list[int] = (offs + functab).tolist()
    starts.append(functab + int(ends[-1]))
    funcs = np.arange(nfunc)

    def refs(first: Any, counts: Any, gap: int, none: int) -> _Refs:
        """The blobs at words ``first + k`` for k < counts, skipping ``gap`` words after 3."""
        at = np.cumsum(counts) - counts
        within = np.arange(int(counts.sum())) - np.repeat(at, counts)
        if gap:
            within += np.where(within >= 3, gap, 0)
        values = words[np.repeat(first, counts) + within]
        users = np.repeat(funcs, counts)
        # The first index of each offset (a stable sort) is its first reference.
        offsets, index, uses = np.unique(values, return_index=True, return_counts=True)
        keep = offsets != none
        return _Refs(offsets[keep].tolist(), users[index[keep]].tolist(), uses[keep].tolist())

    # pcsp, pcfile, pcln (words 4-6), then the pcdata after the header; then the funcdata.
    pc = refs(rs + 4, npcdata + 3, head - 7, 0)
    fd = refs(fd_start, nfuncdata, 0, _NO_FUNCDATA)
    return _Records(starts, pc, fd)


def _records_one_by_one(
    data: Data, functab: int, limit: int, funcoffs: array[int], header_size: int, order: str
) -> _Records:
    """:func:`_records` in plain Python, one record at a time (records not 4-byte aligned)."""
    u32 = struct.Struct(order + "I")
    three = struct.Struct(order + "III")
    starts: list[int] = []
    pc_offs: list[int] = []
    pc_funcs: list[int] = []
    fd_offs: list[int] = []
    fd_funcs: list[int] = []
    nfunc = len(funcoffs)
    for i in range(nfunc):
        start = functab + funcoffs[i]
        npcdata = u32.unpack_from(data, start + 28)[0]
        nfuncdata = data[start + header_size - 1]
        end = start + header_size + 4 * (npcdata + nfuncdata)
        if end > limit:
            raise GoMetadataError(f"pclntab _func {i} runs past the table")
        if i + 1 < nfunc and functab + funcoffs[i + 1] < end:
            raise GoMetadataError(f"pclntab _func {i} overlaps the next one")
        starts.append(start)
        offs = list(three.unpack_from(data, start + 16))
        at = start + header_size
        offs += u32_array(bytes(data[at : at + 4 * npcdata]), order)
        pc_offs += offs
        pc_funcs += repeat(i, len(offs))
        fds = u32_array(bytes(data[end - 4 * nfuncdata : end]), order)
        fd_offs += fds
        fd_funcs += repeat(i, len(fds))
        if i + 1 == nfunc:
            starts.append(end)
    return _Records(starts, _refs(pc_offs, pc_funcs, 0), _refs(fd_offs, fd_funcs, _NO_FUNCDATA))


def _refs(offsets: list[int], funcs: list[int], none: int) -> _Refs:
    """The distinct offsets (``none`` dropped) with their first user and use count."""
    # Built from the end, so the first user's entry is the one that stays.
    first = dict(zip(reversed(offsets), reversed(funcs), strict=True))
    first.pop(none, None)
    ordered = sorted(first)
    uses = Counter(offsets)
    return _Refs(
        ordered,
        list(map(first.__getitem__, ordered)),
        list(map(uses.__getitem__, ordered)),
    )


# -- .go.func (Go 1.27+) ------------------------------------------------------------------------

#: Go 1.27 gives the closure descriptors their own section: ``.go.func`` (ELF; inside relro
#: ``.data.rel.ro.go.func`` when position independent), ``__go_func`` (Mach-O).
GOFUNC_SECTIONS = (".go.func", ".data.rel.ro.go.func", "__go_func")


def split_gofunc(
    data: Data, layout: Layout, tab: PclnTab, text_start: int | None = None
) -> Split | None:
    """The ``.go.func`` section split by package; None when the binary has none (Go < 1.27).

    ``text_start`` is ``runtime.text`` (function entries are offsets from it); without it, it
    is read from ``runtime.moduledata`` (:func:`gobinopt.golang.typedesc.find_moduledata`), else
    the text section's start. Raises GoMetadataError when the section lies outside the file.
    """
    sec = layout.section(*GOFUNC_SECTIONS)
    if sec is None or not sec.file_size:
        return None
    if sec.end > len(data):
        raise GoMetadataError(f"{sec.name} runs past the end of the file")
    try:
        if text_start is None:
            text_start = _text_start(data, layout, tab)
        return _split_gofunc(data, layout, tab, sec, text_start)
    except (struct.error, IndexError, ValueError, OverflowError) as exc:
        raise GoMetadataError(f"{sec.name} is corrupt: {exc}") from None


def _text_start(data: Data, layout: Layout, tab: PclnTab) -> int:
    """``runtime.text``: ``moduledata.text``, else the start of the text section (the same
    unless an external linker put C code first)."""
    found = find_moduledata(data, layout, tab)
    if not isinstance(found, str):
        return found.text
    text = layout.section(".text", "__text")
    return text.address if text is not None else 0


def _split_gofunc(data: Data, layout: Layout, tab: PclnTab, sec: Part, text: int) -> Split:
    ptr = tab.ptr_size
    order = "<" if layout.little_endian else ">"
    count_ = sec.file_size // ptr
    words = word_array(bytes(data[sec.offset : sec.offset + count_ * ptr]), ptr, order)
    index = {f.entry: i for i, f in enumerate(tab.functions)}
    sizes: dict[str, int] = defaultdict(int)
    tables: dict[str, int] = defaultdict(int)
    for fn in (index.get(w - text) for w in words):
        if fn is None:
            tables["funcval to no function"] += ptr
        else:
            sizes[tab.functions[fn].package] += ptr
    tables["trailing bytes"] = sec.file_size - count_ * ptr
    return Split(
        sections=(sec.name,),
        size=sec.file_size,
        packages=packages_of(sizes),
        tables=tuple(TableSize(k, v) for k, v in tables.items() if v),
    )

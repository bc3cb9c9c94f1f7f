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

The header, ``cutab``, ``filetab``, the ``functab`` end sentinel, pc-value bytes no function
refers to (the leading zero byte that keeps offset 0 invalid) and the padding after the table
are named tables.
"""

from __future__ import annotations

import struct
from collections import defaultdict

from gobinopt.binary.interface import Layout
from gobinopt.golang.attribution import Data, PackageOf, Split, TableSize, packages_of, u32_array
from gobinopt.golang.interface import GoMetadataError, PclnTab
from gobinopt.golang.pclntab import GO118_MAGIC, GO120_MAGIC

# -- pclntab ------------------------------------------------------------------------------------


def split_pclntab(data: Data, layout: Layout, tab: PclnTab) -> Split | None:
    """The pclntab split by function → package; None for layouts older than Go 1.18.

    Raises GoMetadataError when the table's offsets point outside it.
    """
    if tab.magic not in (GO120_MAGIC, GO118_MAGIC):
        return None
    try:
        return _split_pclntab(data, layout, tab)
    except (struct.error, IndexError, ValueError, OverflowError) as exc:
        raise GoMetadataError(f"pclntab is corrupt: {exc}") from None


def _split_pclntab(data: Data, layout: Layout, tab: PclnTab) -> Split:
    base, ptr = tab.offset, tab.ptr_size
    order = "<" if layout.little_endian else ">"
    sec = layout.section(".gopclntab", "__gopclntab")
    limit = sec.end if sec is not None else len(data)
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
    pkg_of_fn = [f.package for f in tab.functions]
    sizes: dict[str, int] = defaultdict(int)
    tables: dict[str, int] = defaultdict(int)
    tables["pcHeader"] = rel["funcnametab"]
    tables["cutab"] = rel["filetab"] - rel["cutab"]
    tables["filetab"] = rel["pctab"] - rel["filetab"]

    # funcnametab: every name to the package it names.
    names = bytes(data[base + rel["funcnametab"] : base + rel["cutab"]])
    package_of = PackageOf(tab.magic == GO120_MAGIC)
    pos = 0
    for raw in names.split(b"\0"):
        length = len(raw) + 1
        if pos + length > len(names):  # no final NUL
            length = len(names) - pos
        if raw:
            sizes[package_of(raw.decode("utf-8", "replace"))] += length
        else:
            tables["funcnametab padding"] += length
        pos += length

    # functab: (entryOff, funcOff) pairs and the end entry, then the _func records.
    functab = base + rel["functab"]
    pairs_end = functab + (2 * nfunc + 1) * 4
    if pairs_end > limit:
        raise GoMetadataError("pclntab functab runs past the table")
    values = u32_array(bytes(data[functab:pairs_end]), order)
    funcoffs = values[1 : 2 * nfunc : 2]
    tables["functab end entry"] = 4
    header_size = 44 if tab.magic == GO120_MAGIC else 40
    npc_at, nfd_at = 28, header_size - 1
    pctab_size = rel["functab"] - rel["pctab"]
    # (pctab offset → first user's function index) in first-use order; use counts for shared.
    first_user: dict[int, int] = {}
    uses: dict[int, int] = defaultdict(int)
    fd_first: dict[int, int] = {}
    fd_uses: dict[int, int] = defaultdict(int)
    record_end = pairs_end
    u32 = struct.Struct(order + "I")
    three = struct.Struct(order + "III")
    prev_start = -1
    for i in range(nfunc):
        start = functab + funcoffs[i]
        if start < prev_start or start + header_size > limit:
            raise GoMetadataError(f"pclntab _func {i} lies outside the table or out of order")
        prev_start = start
        npcdata = u32.unpack_from(data, start + npc_at)[0]
        nfuncdata = data[start + nfd_at]
        end = start + header_size + 4 * (npcdata + nfuncdata)
        if end > limit:
            raise GoMetadataError(f"pclntab _func {i} runs past the table")
        pkg = pkg_of_fn[i]
        # The record, its pcdata/funcdata offsets and the alignment before the next record.
        nxt = functab + funcoffs[i + 1] if i + 1 < nfunc else end
        sizes[pkg] += 8 + (max(nxt, end) - start)
        record_end = max(record_end, nxt, end)
        offs = list(three.unpack_from(data, start + 16))
        if npcdata:
            offs += u32_array(
                bytes(data[start + header_size : start + header_size + 4 * npcdata]), order
            )
        for off in offs:
            if off:
                if off >= pctab_size:
                    raise GoMetadataError(f"pclntab _func {i} points past the pctab")
                uses[off] += 1
                if off not in first_user:
                    first_user[off] = i
        if nfuncdata:
            at = end - 4 * nfuncdata
            for off in u32_array(bytes(data[at:end]), order):
                if off != 0xFFFFFFFF:
                    fd_uses[off] += 1
                    if off not in fd_first:
                        fd_first[off] = i
    # The gap between the pair table and the first record is alignment.
    if nfunc:
        first = functab + funcoffs[0]
        tables["functab padding"] += max(0, first - pairs_end)
    # pctab: each table runs to the next referenced offset.
    shared = _first_users(sizes, pkg_of_fn, first_user, uses, 0, pctab_size)
    tables["pctab unreferenced"] = min(first_user, default=pctab_size)
    # Since Go 1.26 the funcdata blobs (go:func.*) and runtime.findfunctab follow the records
    # inside the table: go:func.* from the next aligned offset, findfunctab (4 bytes a 4 KiB
    # bucket plus one byte a 256-byte subbucket of text) at the very end.
    if nfunc and limit - record_end > 0 and fd_first:
        span = values[2 * nfunc] - values[0]
        ff_size = 4 * (-(-span // 4096)) + -(-span // 256)
        gofunc = record_end + (-(record_end - base) % 8)
        ff_start = limit - ff_size
        if gofunc <= ff_start:
            region = ff_start - gofunc
            inside = {off: i for off, i in fd_first.items() if off < region}
            fd_use = {off: n for off, n in fd_uses.items() if off < region}
            tables["funcdata padding"] = (gofunc - record_end) + min(inside, default=region)
            shared += _first_users(sizes, pkg_of_fn, inside, fd_use, 0, region)
            tables["runtime.findfunctab"] = ff_size
            record_end = limit
    tables["after the table"] = max(0, limit - record_end)
    size = max(limit, record_end) - base
    return Split(
        sections=(sec.name,) if sec is not None else ("pclntab",),
        size=size,
        packages=packages_of(sizes),
        tables=tuple(TableSize(k, v) for k, v in tables.items() if v),
        shared=shared,
    )


def _first_users(
    sizes: dict[str, int],
    pkg_of_fn: list[str],
    first_user: dict[int, int],
    uses: dict[int, int],
    start: int,
    stop: int,
) -> int:
    """Attribute blobs laid back to back (each to the next referenced offset, the last to
    ``stop``) to their first user's package; return the bytes of blobs with several users."""
    ordered = sorted(first_user)
    shared = 0
    for k, off in enumerate(ordered):
        if off < start:
            continue
        end = ordered[k + 1] if k + 1 < len(ordered) else stop
        sizes[pkg_of_fn[first_user[off]]] += end - off
        if uses[off] > 1:
            shared += end - off
    return shared

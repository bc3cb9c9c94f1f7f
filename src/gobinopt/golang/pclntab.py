"""Decode the Go pclntab (``runtime.pcHeader`` and what follows) into functions and packages.

The layouts, by the magic at the start of the pcHeader (see ``debug/gosym/pclntab.go``):

========== ============ =============================================================
magic      Go versions  functab
========== ============ =============================================================
0xfffffff1 1.20 – 1.27  ``(entryOff uint32, funcOff uint32)`` pairs + end entryOff
0xfffffff0 1.18 – 1.19  same as 1.20 (``type.``/``go.`` prefixes instead of ``type:``)
0xfffffffa 1.16 – 1.17  ``(entry uintptr, funcOff uintptr)`` pairs + end entry
0xfffffffb 1.2 – 1.15   same as 1.16, the whole table in one blob
========== ============ =============================================================

Since Go 1.26 the pcHeader's ``textStart`` word is always 0 and the table has moved out of
relro; function sizes are differences of entries, so the text start is never needed here.
The table is read from the mapped file with ``array``/``struct`` in bulk: 100 000 functions cost
tens of milliseconds.
"""

from __future__ import annotations

import mmap
import struct
import sys
from array import array

from gobinopt.binary.interface import Layout
from gobinopt.golang.interface import Function, GoMetadataError, PclnTab

GO120_MAGIC = 0xFFFFFFF1
GO118_MAGIC = 0xFFFFFFF0
GO116_MAGIC = 0xFFFFFFFA
GO12_MAGIC = 0xFFFFFFFB
LAYOUTS = {
    GO120_MAGIC: "1.20+",
    GO118_MAGIC: "1.18-1.19",
    GO116_MAGIC: "1.16-1.17",
    GO12_MAGIC: "1.2-1.15",
}
OLD_MAGIC = 0xFFFFFFFE  # Go 1.0/1.1: no function table we can read
#: More functions than this is a corrupt count (the largest real binaries have ~500 000).
MAX_FUNCS = 10_000_000
_SECTION_NAMES = (".gopclntab", "__gopclntab")


def find_pclntab(data: bytes | mmap.mmap, layout: Layout | None) -> tuple[int, int] | None:
    """(file offset, byte limit) of the pcHeader: its section if named, else a validated scan."""
    if layout is not None:
        sec = layout.section(*_SECTION_NAMES)
        if sec is not None and sec.file_size >= 16:
            return sec.offset, sec.end
    # Stripped of section names (PE keeps pclntab inside .rdata; sstrip'd ELF): scan for a magic
    # followed by a plausible header, in the read-only parts first.
    regions: list[tuple[int, int]] = []
    if layout is not None:
        for name in (".rdata", "__rodata", ".rodata", ".data.rel.ro"):
            sec = layout.section(name)
            if sec is not None and sec.file_size:
                regions.append((sec.offset, sec.end))
    regions.append((0, len(data)))
    for start, stop in regions:
        for magic in (GO120_MAGIC, GO118_MAGIC, GO116_MAGIC, GO12_MAGIC):
            for order in ("<", ">"):
                needle = struct.pack(order + "I", magic) + b"\0\0"
                pos = start
                while True:
                    at = data.find(needle, pos, stop)
                    if at < 0:
                        break
                    if _plausible(data, at, stop, order):
                        return at, stop
                    pos = at + 1
    return None


def _plausible(data: bytes | mmap.mmap, at: int, stop: int, order: str) -> bool:
    if at + 16 > stop:
        return False
    quantum, ptr = data[at + 6], data[at + 7]
    if quantum not in (1, 2, 4) or ptr not in (4, 8):
        return False
    nfunc = _word(data, at + 8, ptr, order)
    return 0 < nfunc < MAX_FUNCS


def _word(data: bytes | mmap.mmap, off: int, ptr: int, order: str) -> int:
    return int(struct.unpack_from(order + ("Q" if ptr == 8 else "I"), data, off)[0])


def package_name(name: str, modern: bool) -> str:
    """The package of a function symbol, exactly as ``debug/gosym.Sym.PackageName`` computes it.

    ``modern`` is True for 1.20+ tables (``go:``/``type:`` prefixes), False for older ones
    (``go.``/``type.``).
    """
    start = name.find("[")
    if start >= 0:
        end = name.rfind("]")
        if end >= 0:
            name = name[:start] + name[end + 1 :]
    if modern:
        if name.startswith(("go:", "type:")):
            return ""
    elif name.startswith(("go.", "type.")):
        return ""
    pathend = name.rfind("/")
    pathend = max(pathend, 0)
    dot = name.find(".", pathend)
    return name[:dot] if dot >= 0 else ""


def import_path(prefix: str) -> str:
    """The import path a symbol prefix stands for: ``gopkg.in/yaml%2ev3`` → ``gopkg.in/yaml.v3``.

    The linker escapes a package path for symbol names (``objabi.PathToPrefix`` in
    cmd/internal/objabi): ``.`` in the last path element, ``%``, ``"``, control bytes, space
    and non-ASCII bytes become ``%xx``. This is its inverse, ``objabi.PrefixToPath``; a
    malformed escape is left as it is.
    """
    if "%" not in prefix:
        return prefix
    raw = prefix.encode("utf-8", "surrogateescape")
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x25 and _is_hex(raw[i + 1 : i + 3]):
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(c)
            i += 1
    return out.decode("utf-8", "replace")


def _is_hex(pair: bytes) -> bool:
    return len(pair) == 2 and all(chr(b) in "0123456789abcdefABCDEF" for b in pair)


def read_pclntab(data: bytes | mmap.mmap, layout: Layout | None = None) -> PclnTab | None:
    """The function table of a Go binary; None when there is none, GoMetadataError if corrupt."""
    found = find_pclntab(data, layout)
    if found is None:
        return None
    base, limit = found
    limit = min(limit, len(data))
    if base + 16 > limit:
        raise GoMetadataError("pclntab header is truncated")
    le_magic = struct.unpack_from("<I", data, base)[0]
    be_magic = struct.unpack_from(">I", data, base)[0]
    if le_magic in LAYOUTS:
        order, magic = "<", le_magic
    elif be_magic in LAYOUTS:
        order, magic = ">", be_magic
    elif OLD_MAGIC in (le_magic, be_magic):
        raise GoMetadataError("pclntab is the Go 1.0/1.1 layout, which gobinopt does not decode")
    else:
        raise GoMetadataError(
            f"unknown pclntab magic {le_magic:#010x} (a Go layout newer than gobinopt knows?)"
        )
    quantum, ptr = data[base + 6], data[base + 7]
    if data[base + 4] or data[base + 5] or quantum not in (1, 2, 4) or ptr not in (4, 8):
        raise GoMetadataError("pclntab header is corrupt (pad, quantum or pointer size)")
    try:
        return _decode(data, base, limit, order, magic, quantum, ptr)
    except (struct.error, IndexError, ValueError, OverflowError, MemoryError) as exc:
        raise GoMetadataError(f"pclntab is corrupt: {exc}") from None


def _decode(
    data: bytes | mmap.mmap, base: int, limit: int, order: str, magic: int, quantum: int, ptr: int
) -> PclnTab:
    def word(i: int) -> int:
        off = base + 8 + i * ptr
        if off + ptr > limit:
            raise GoMetadataError("pclntab header runs past its section")
        return _word(data, off, ptr, order)

    def region(rel: int, what: str) -> int:
        if rel < 0 or base + rel > limit:
            raise GoMetadataError(f"pclntab {what} offset {rel} points past the table")
        return base + rel

    nfunc = word(0)
    if nfunc >= MAX_FUNCS:
        raise GoMetadataError(f"pclntab claims an absurd {nfunc} functions")
    modern = magic in (GO120_MAGIC, GO118_MAGIC)
    if modern:
        funcnametab = region(word(3), "funcnametab")
        cutab = region(word(4), "cutab")
        filetab = region(word(5), "filetab")
        pctab = region(word(6), "pctab")
        funcdata = region(word(7), "pclnOffset")
        field = 4
    elif magic == GO116_MAGIC:
        funcnametab = region(word(2), "funcnametab")
        cutab = region(word(3), "cutab")
        filetab = region(word(4), "filetab")
        pctab = region(word(5), "pctab")
        funcdata = region(word(6), "pclnOffset")
        field = ptr
    else:  # Go 1.2 – 1.15: offsets are relative to the table start
        funcnametab = base
        funcdata = base
        cutab = filetab = pctab = -1
        field = ptr
    functab = funcdata if magic != GO12_MAGIC else base + 8 + ptr
    count = 2 * nfunc + 1
    tab_end = functab + count * field
    if tab_end > limit:
        raise GoMetadataError(
            f"pclntab functab ({nfunc} functions) runs past the end of the table; truncated?"
        )
    values = array("I" if field == 4 else "Q")
    if values.itemsize != field:  # platforms where "I"/"Q" differ in width
        values = array({4: "L", 8: "Q"}[field])
    values.frombytes(bytes(data[functab:tab_end]))
    if (order == "<") != (sys.byteorder == "little"):
        values.byteswap()
    entries = values[0::2]  # nfunc + 1 entries, the last one the end of text
    funcoffs = values[1::2]
    name_struct = struct.Struct(order + "i")
    name_field = 4 if modern else ptr  # _func.nameOff follows entryOff (u32) or entry (uintptr)
    # funcnametab is followed by cutab in 1.16+; copy just that blob for fast lookups.
    names_blob = bytes(data[funcnametab:cutab]) if cutab >= funcnametab else None
    functions: list[Function] = []
    packages: dict[str, str] = {}  # symbol prefix → import path
    prev = -1
    for i in range(nfunc):
        entry = entries[i]
        size = entries[i + 1] - entry
        if entry < prev or size < 0:
            raise GoMetadataError(f"pclntab function {i} is out of order; corrupt table")
        prev = entry
        fdata = funcdata + funcoffs[i]
        if fdata + name_field + 4 > limit:
            raise GoMetadataError(f"pclntab _func {i} lies past the table")
        name_off = name_struct.unpack_from(data, fdata + name_field)[0]
        name = _cstring(names_blob, data, funcnametab, name_off, limit)
        prefix = package_name(name, magic == GO120_MAGIC)
        package = packages.get(prefix)
        if package is None:
            package = packages[prefix] = import_path(prefix)
        functions.append(Function(name, package, entry, size))
    files = _files(data, filetab, pctab) if filetab >= 0 else ()
    return PclnTab(
        layout=LAYOUTS[magic],
        magic=magic,
        ptr_size=ptr,
        quantum=quantum,
        offset=base,
        nfunc=nfunc,
        functions=tuple(functions),
        files=files,
    )


def _cstring(blob: bytes | None, data: bytes | mmap.mmap, base: int, off: int, limit: int) -> str:
    if off < 0:
        return "?"
    if blob is not None:
        if off >= len(blob):
            return "?"
        end = blob.find(b"\0", off)
        raw = blob[off : end if end >= 0 else len(blob)]
    else:
        start = base + off
        if start >= limit:
            return "?"
        end = data.find(b"\0", start, limit)
        raw = bytes(data[start : end if end >= 0 else limit])
    return raw.decode("utf-8", "replace")


def _files(data: bytes | mmap.mmap, filetab: int, pctab: int) -> tuple[str, ...]:
    """The file names of the filetab: NUL-terminated strings up to the pctab."""
    if pctab <= filetab:
        return ()
    raw = bytes(data[filetab:pctab])
    return tuple(s.decode("utf-8", "replace") for s in raw.split(b"\0") if s)

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
The table is read from the mapped file in bulk: the functab as one ``array``, every
``_func.nameOff`` gathered from one word array of the records, the ``funcnametab`` split once
and its names looked up by offset, a package computed once a run of names of one package
(:func:`import_paths`), and the :class:`Function` objects filled a column at a time. 88 000
functions cost ~0.1 s, about half of it creating the objects.
"""

from __future__ import annotations

import mmap
import struct
import sys
from array import array
from collections import deque
from collections.abc import Callable, Iterable
from itertools import accumulate, count, islice, repeat
from operator import add, le, rshift, sub

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


def word_array(raw: bytes, size: int, order: str) -> array[int]:
    """``raw`` as unsigned words of ``size`` (4 or 8) bytes in byte order ``order``."""
    values = array("I" if size == 4 else "Q")
    if values.itemsize != size:  # platforms where "I"/"Q" differ in width
        values = array({4: "L", 8: "Q"}[size])
    values.frombytes(raw)
    if (order == "<") != (sys.byteorder == "little"):
        values.byteswap()
    return values


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
    values = word_array(bytes(data[functab:tab_end]), field, order)
    entries = values[0::2]  # nfunc + 1 entries, the last one the end of text
    funcoffs = values[1::2]
    del funcoffs[nfunc:]
    if not all(map(le, entries, islice(entries, 1, None))):
        prev = -1
        for i in range(nfunc):  # name the first function out of order
            if entries[i] < prev or entries[i + 1] < entries[i]:
                break
            prev = entries[i]
        raise GoMetadataError(f"pclntab function {i} is out of order; corrupt table")
    name_field = 4 if modern else ptr  # _func.nameOff follows entryOff (u32) or entry (uintptr)
    last = max(funcoffs, default=0)
    if nfunc and funcdata + last + name_field + 4 > limit:
        bad = next(i for i, off in enumerate(funcoffs) if funcdata + off + name_field + 4 > limit)
        raise GoMetadataError(f"pclntab _func {bad} lies past the table")
    name_offs = _name_offsets(data, funcdata, funcoffs, last, name_field, order)
    # funcnametab is followed by cutab in 1.16+; split that blob once into its names.
    if cutab >= funcnametab:
        names = _names(bytes(data[funcnametab:cutab]), name_offs, data, funcnametab, limit)
    else:
        names = [_cstring(None, data, funcnametab, off, limit) for off in name_offs]
    packages = import_paths(names, magic == GO120_MAGIC)
    starts = entries[:-1]
    sizes = list(map(sub, islice(entries, 1, None), starts))
    files = _files(data, filetab, pctab) if filetab >= 0 else ()
    return PclnTab(
        layout=LAYOUTS[magic],
        magic=magic,
        ptr_size=ptr,
        quantum=quantum,
        offset=base,
        nfunc=nfunc,
        functions=_functions(names, packages, starts, sizes),
        files=files,
    )


#: Function's fields; :func:`_functions` fills exactly these, so it checks they are still all.
_FIELDS = ("name", "package", "entry", "size")
_PLAIN = tuple(Function.__dataclass_fields__) == _FIELDS and not hasattr(Function, "__post_init__")


def _functions(
    names: list[str], packages: list[str], entries: Iterable[int], sizes: list[int]
) -> tuple[Function, ...]:
    """``Function(name, package, entry, size)`` for each function, built column by column.

    Creating 100 000 frozen dataclasses one ``__init__`` at a time costs ~60 ms, most of it
    ``object.__setattr__`` calls; filling the slots a column at a time with their descriptors
    (what ``__init__`` does, without validation to skip) costs less than half.
    """
    if not _PLAIN:
        return tuple(map(Function, names, packages, entries, sizes))
    objs = list(map(object.__new__, repeat(Function, len(names))))
    columns: tuple[Iterable[object], ...] = (names, packages, entries, sizes)
    for field, column in zip(_FIELDS, columns, strict=True):
        setter: Callable[[Function, object], None] = getattr(Function, field).__set__
        deque(map(setter, objs, column), maxlen=0)
    return tuple(objs)


def _name_offsets(
    data: bytes | mmap.mmap,
    funcdata: int,
    funcoffs: array[int],
    last: int,
    name_field: int,
    order: str,
) -> list[int]:
    """``_func.nameOff`` (an int32) of every function, gathered from one copy of the records."""
    if not funcoffs:
        return []
    if name_field % 4 == 0 and not any(map((3).__and__, funcoffs)):
        # Records are 4-aligned: one word array over them, indexed by record start.
        stop = funcdata + last + name_field + 4
        words = word_array(bytes(data[funcdata:stop]), 4, order)
        first = name_field >> 2
        at = map(add, map(rshift, funcoffs, repeat(2)), repeat(first))
        raw = list(map(words.__getitem__, at))
        if max(raw) < 0x80000000:
            return raw
        return [off - 0x100000000 if off >= 0x80000000 else off for off in raw]
    name_struct = struct.Struct(order + "i")
    return [name_struct.unpack_from(data, funcdata + off + name_field)[0] for off in funcoffs]


def _names(
    blob: bytes, offsets: list[int], data: bytes | mmap.mmap, base: int, limit: int
) -> list[str]:
    """The NUL-terminated names at ``offsets`` of the funcnametab ``blob``.

    The blob is split once; names are looked up by their start offset, and an offset that
    starts no name (only in a corrupt table) is read like debug/gosym reads it.
    """
    parts = blob.split(b"\0")
    # Decoding never makes or swallows a NUL, so the decoded text splits into the same names.
    texts = blob.decode("utf-8", "replace").split("\0")
    if len(texts) != len(parts):
        texts = [p.decode("utf-8", "replace") for p in parts]
    starts = map(add, accumulate(map(len, parts), initial=0), count())  # + one NUL a name
    by_offset = dict(zip(starts, texts, strict=False))
    get = by_offset.get
    names: list[str | None] = list(map(get, offsets))
    if None not in names:
        return names  # type: ignore[return-value]
    return [
        name if name is not None else _cstring(blob, data, base, off, limit)
        for name, off in zip(names, offsets, strict=True)
    ]


def import_paths(names: Iterable[str], modern: bool) -> list[str]:
    """``import_path(package_name(name, modern))`` of each name, computed once a package.

    Names of one package usually follow each other (functions are laid out package by
    package), so a name that starts with the previous package's ``prefix.`` and has no ``/``
    after it gets that package without another ``package_name``; :func:`_reusable` says for
    which prefixes that shortcut is exactly what debug/gosym computes.
    """
    out: list[str] = []
    append = out.append
    paths: dict[str, str] = {}
    lead = "\0"  # no name starts with NUL: the shortcut is off until a reusable prefix
    after = 1
    path = ""
    for name in names:
        if name.startswith(lead) and name.find("/", after) < 0:
            append(path)
            continue
        prefix = package_name(name, modern)
        found = paths.get(prefix)
        if found is None:
            found = paths[prefix] = import_path(prefix)
        path = found
        if _reusable(prefix):
            lead = prefix + "."
            after = len(lead)
        else:
            lead = "\0"
        append(path)
    return out


def _reusable(prefix: str) -> bool:
    """Whether every ``prefix.rest`` with no ``/`` in ``rest`` has package ``prefix``.

    True when the prefix is a package (not ""), holds no brackets (instantiation stripping
    stays inside ``rest``) and is not, nor starts like, a ``go:``/``type:``/``go.``/``type.``
    name (so ``prefix.`` cannot begin one). A prefix's last path element has no dot, so the
    first dot after its last slash is the one that follows it.
    """
    return (
        prefix != ""
        and "[" not in prefix
        and "]" not in prefix
        and prefix not in ("go", "type")
        and not prefix.startswith(("go:", "type:", "go.", "type."))
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

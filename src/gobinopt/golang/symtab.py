"""Read the symbol tables of ELF, Mach-O and PE files and split them by the package of each symbol.

**The tables.** ELF ``.symtab`` (``Elf64_Sym``, 24 bytes; ``Elf32_Sym``, 16) with ``.strtab``;
Mach-O ``LC_SYMTAB``'s ``symbol table`` (``nlist_64``, 16 bytes; ``nlist``, 12) and
``string table``; PE's ``COFF symbol table`` (18-byte ``IMAGE_SYMBOL`` records, which Go's
linker writes for unstripped builds) and ``COFF string table`` (a 4-byte length, then the names
longer than the 8 bytes a record holds inline). Records and names are read in bulk (strided
slices of the table, one split of the string table), never one ``struct`` call per symbol.

**Names.** Mach-O: the Go linker prefixes every name with ``_``, which is dropped (debug/macho
drops it only from names with a dot; for names without one the package is "" either way). ELF:
a symbol version (``fflush@GLIBC_2.2.5``, which external linkers write) is dropped. The package
of a name is computed like ``debug/gosym.Sym.PackageName`` with the linker's escapes undone (as
for functions), memoised per distinct prefix.

**The split** (:func:`split_symbols`): each entry (its record; on PE its auxiliary records are a
named table) and its NUL-terminated name go to the package of the symbol's name. Named tables:
the ELF null entry, a trailing partial record, the PE string table's 4-byte length, PE auxiliary
records, and the string-table bytes no symbol names (ELF's leading NUL, Mach-O's leading
``" \\0"`` and its alignment padding). Where a linker shares a name (tail merging, or two
symbols with one name), the name's bytes go to its first user in string order (then symbol
order) and the other users' bytes are counted as ``shared``.

:func:`read_symbols` gives the *defined* symbols (name, address, ELF size) for the data split
(:mod:`gobinopt.golang.datasyms`).
"""

from __future__ import annotations

import re
import struct
import sys
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, compress, repeat
from operator import add

from gobinopt.binary.interface import Format, Layout, Part, PartKind
from gobinopt.golang.attribution import (
    NO_PACKAGE,
    Data,
    Split,
    TableSize,
    packages_of,
    u32_array,
)
from gobinopt.golang.interface import GoMetadataError
from gobinopt.golang.pclntab import import_path, package_name

# ELF
SHN_UNDEF = 0
SHN_LORESERVE = 0xFF00
STT_SECTION = 3
STT_FILE = 4
STT_TLS = 6
# Mach-O
N_STAB = 0xE0
N_TYPE = 0x0E
N_SECT = 0x0E
# PE
COFF_SYMBOL_SIZE = 18
SECTION_HEADER_SIZE = 40


@dataclass(frozen=True, slots=True)
class Symbols:
    """The defined symbols of a file (in a section, not stabs, files or TLS), in table order."""

    #: Names as the table spells them (Mach-O's leading ``_``, ELF's ``@VERSION`` kept):
    #: :meth:`name` gives the symbol's own name.
    raw_names: list[str]
    #: Virtual addresses (PE: ImageBase + the section's VirtualAddress + Value).
    addresses: list[int]
    #: ELF ``st_size``; None for Mach-O and PE, whose tables record no sizes.
    sizes: list[int] | None
    format: Format

    def name(self, i: int) -> str:
        """The name of symbol ``i``: Mach-O's ``_`` and an ELF symbol version dropped."""
        name = self.raw_names[i]
        if self.format is Format.MACHO:
            return name[1:] if name.startswith("_") else name
        if self.format is Format.ELF and "@" in name:
            return name.split("@", 1)[0]
        return name

    def find(self, name: str) -> int | None:
        """The address of the first symbol called ``name``, None when there is none."""
        raw = "_" + name if self.format is Format.MACHO else name
        try:
            return self.addresses[self.raw_names.index(raw)]
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class _Table:
    """One symbol table read in bulk: per symbol a name offset (or an inline PE name)."""

    sections: tuple[str, str]
    size: int
    entsize: int
    #: The whole records (a multiple of ``entsize``) and the whole string table.
    raw: bytes
    strings: bytes
    #: Per symbol record (aux records excluded): offset of its name in ``strings``; -1 when
    #: the name is inline (PE short names, in ``inline``).
    name_offs: list[int]
    inline: dict[int, bytes]
    #: Named tables fixed by the format (null entry, aux records, string table length, …).
    tables: dict[str, int]
    #: Record index of each symbol in ``name_offs`` (PE: skipping aux records), for read_symbols.
    records: list[int] | None = None


def split_symbols(data: Data, layout: Layout, modern: bool = True) -> Split | None:
    """The symbol and string tables split by the package of each symbol; None when absent.

    ``modern`` selects Go 1.20+ symbol prefixes (``go:``/``type:``) over ``go.``/``type.``.
    Raises GoMetadataError when the tables are corrupt.
    """
    try:
        table = _read_table(data, layout)
        if table is None:
            return None
        return _split(table, layout.format, modern)
    except (struct.error, IndexError, ValueError, OverflowError) as exc:
        raise GoMetadataError(f"symbol table is corrupt: {exc}") from None


def read_symbols(data: Data, layout: Layout) -> Symbols | None:
    """The defined symbols of the file's symbol table; None when it has none (stripped).

    Raises GoMetadataError when the table is corrupt.
    """
    try:
        table = _read_table(data, layout)
        if table is None:
            return None
        if layout.format is Format.ELF:
            return _elf_defined(layout, table)
        if layout.format is Format.MACHO:
            return _macho_defined(layout, table)
        return _pe_defined(data, layout, table)
    except (struct.error, IndexError, ValueError, OverflowError) as exc:
        raise GoMetadataError(f"symbol table is corrupt: {exc}") from None


# -- reading ---------------------------------------------------------------------------------


def _parts(layout: Layout) -> tuple[Part, Part] | None:
    if layout.format is Format.ELF:
        symtab, strtab = layout.section(".symtab"), layout.section(".strtab")
    else:
        names = (
            ("symbol table", "string table")
            if layout.format is Format.MACHO
            else ("COFF symbol table", "COFF string table")
        )
        found = {p.name: p for p in layout.parts if p.kind is PartKind.TABLE and p.name in names}
        symtab, strtab = found.get(names[0]), found.get(names[1])
    if symtab is None or strtab is None or not symtab.file_size:
        return None
    return symtab, strtab


def _bytes(data: Data, offset: int, size: int, what: str) -> bytes:
    raw = bytes(data[offset : offset + size])
    if len(raw) != size or offset < 0:
        raise GoMetadataError(f"{what} runs past the end of the file")
    return raw


def _entsize(layout: Layout) -> int:
    if layout.format is Format.ELF:
        return 24 if layout.bits == 64 else 16
    if layout.format is Format.MACHO:
        return 16 if layout.bits == 64 else 12
    return COFF_SYMBOL_SIZE


def _read_table(data: Data, layout: Layout) -> _Table | None:
    found = _parts(layout)
    if found is None:
        return None
    symtab, strtab = found
    order = "<" if layout.little_endian else ">"
    entsize = _entsize(layout)
    count = symtab.file_size // entsize
    raw = _bytes(data, symtab.offset, count * entsize, "symbol table")
    strings = _bytes(data, strtab.offset, strtab.file_size, "string table")
    tables: dict[str, int] = {}
    trailing = symtab.file_size - count * entsize
    if trailing:
        tables["symbol table trailing bytes"] = trailing
    inline: dict[int, bytes] = {}
    records: list[int] | None = None
    if layout.format is Format.ELF:
        name_offs = list(u32_array(raw, order)[0 :: entsize // 4])
        if count:
            tables["symtab null entry"] = entsize
            name_offs = name_offs[1:]
    elif layout.format is Format.MACHO:
        name_offs = list(u32_array(raw, order)[0 :: entsize // 4])
    else:
        name_offs, inline, records, aux = _coff_names(raw, count, order)
        if aux:
            tables["COFF auxiliary records"] = aux * entsize
        if len(strings) < 4:
            raise GoMetadataError("COFF string table is shorter than its length field")
        if any(0 <= o < 4 for o in name_offs):
            raise GoMetadataError("a COFF symbol name points into the string table's length")
        tables["COFF string table length"] = 4
    return _Table(
        sections=(symtab.name, strtab.name),
        size=symtab.file_size + strtab.file_size,
        entsize=entsize,
        raw=raw,
        strings=strings,
        name_offs=name_offs,
        inline=inline,
        tables=tables,
        records=records,
    )


def _column(raw: bytes, stride: int, at: int, width: int, order: str) -> array[int]:
    """Field ``raw[i*stride+at : +width]`` of every record as one array (no per-record calls)."""
    n = len(raw) // stride
    buf = bytearray(width * n)
    for k in range(width):
        buf[k::width] = raw[at + k :: stride][:n]
    code = {1: "B", 2: "H", 4: "I"}[width]
    out = array(code)
    if out.itemsize != width:
        out = array("L")
    out.frombytes(bytes(buf))
    if width > 1 and (order == "<") != (sys.byteorder == "little"):
        out.byteswap()
    return out


def _coff_names(
    raw: bytes, count: int, order: str
) -> tuple[list[int], dict[int, bytes], list[int], int]:
    """Per symbol record: name offset (-1 when inline), inline names, record indices, aux count."""
    naux = raw[17::COFF_SYMBOL_SIZE]
    if naux.count(0) == count:
        records = list(range(count))
        aux = 0
    else:
        # Walk only where an aux count is non-zero; bytes inside aux records are not counts.
        is_aux = bytearray(count)
        pos = 0
        while True:
            pos = _find_nonzero(naux, pos)
            if pos < 0:
                break
            if not is_aux[pos]:
                end = min(count, pos + 1 + naux[pos])
                is_aux[pos + 1 : end] = b"\1" * (end - pos - 1)
                pos = end
            else:
                pos += 1
        records = [i for i, a in enumerate(is_aux) if not a]
        aux = count - len(records)
    zero = _column(raw, COFF_SYMBOL_SIZE, 0, 4, order)
    offs = _column(raw, COFF_SYMBOL_SIZE, 4, 4, order)
    name_offs: list[int] = []
    inline: dict[int, bytes] = {}
    for k, i in enumerate(records):
        if zero[i] == 0:
            name_offs.append(offs[i])
        else:
            name_offs.append(-1)
            at = i * COFF_SYMBOL_SIZE
            inline[k] = raw[at : at + 8].split(b"\0", 1)[0]
    return name_offs, inline, records, aux


_NONZERO_BYTE = re.compile(rb"[^\0]")


def _find_nonzero(column: bytes, start: int) -> int:
    found = _NONZERO_BYTE.search(column, start)
    return -1 if found is None else found.start()


# -- names -----------------------------------------------------------------------------------


class _Pieces:
    """The string table cut at every NUL, once: piece starts, lengths (with the NUL), prefixes."""

    def __init__(self, strings: bytes) -> None:
        self.strings = strings
        self.pieces = strings.split(b"\0")
        self.lens = list(map(add, map(len, self.pieces), repeat(1)))
        self.starts = list(accumulate(self.lens, initial=0))
        self._index: dict[int, int] | None = None

    @property
    def index(self) -> dict[int, int]:
        """Piece start → piece number."""
        if self._index is None:
            self._index = dict(zip(self.starts, range(len(self.pieces)), strict=False))
        return self._index

    def run(self, offs: list[int]) -> int | None:
        """The first piece when ``offs`` name consecutive pieces from their starts, else None."""
        if not offs:
            return 0
        first = bisect_left(self.starts, offs[0])
        n = len(offs)
        # The piece after the last NUL is unterminated: it takes the slow path.
        if first + n >= len(self.starts) - 1 or self.starts[first : first + n] != offs:
            return None
        return first

    def span(self, off: int) -> tuple[int, int]:
        """(start, end) of the name at ``off``: end is one past its NUL (or the table end)."""
        size = len(self.strings)
        if off < 0 or off >= size:
            raise GoMetadataError(f"a symbol names a string at {off}, past the string table")
        hit = self.index.get(off)
        if hit is not None:
            return off, min(size, off + self.lens[hit])
        end = self.strings.find(b"\0", off)
        return off, size if end < 0 else end + 1

    def name(self, off: int) -> bytes:
        start, end = self.span(off)
        return self.strings[start:end].rstrip(b"\0")


@cache
def _prefix_pattern() -> re.Pattern[bytes]:
    """Per NUL-terminated string: its package prefix as ``debug/gosym.Sym.PackageName`` cuts it.

    That is up to the first dot after the last slash, or b"" when there is none. Prefixes that
    need more care (generic brackets, go:/type: names, symbol versions) are fixed per prefix.
    Compiled on first use: compiling takes ~8 ms, which ``gobinopt --help`` need not pay.
    """
    return re.compile(rb"(?:((?:[^\0]*/)?[^\0/.]*)\.[^\0/]*|[^\0]*)\0")


class _Packages:
    """Raw symbol name → import path, memoised per package prefix (no decode per name)."""

    def __init__(self, modern: bool, macho: bool) -> None:
        self.modern = modern
        self.macho = macho
        self.skip = ("go:", "type:") if modern else ("go.", "type.")
        #: prefix → import path; None when the name itself is needed (a generic bracket).
        self.paths: dict[bytes, str | None] = {b"": NO_PACKAGE}

    def of_pieces(self, pieces: _Pieces, first: int, n: int) -> list[str]:
        """The package of the names of pieces ``first`` … ``first + n - 1``."""
        strings = pieces.strings
        last = strings.rfind(b"\0") + 1
        prefixes: list[bytes] = _prefix_pattern().findall(strings, 0, last)
        if last < len(strings):  # an unterminated last string
            prefixes.extend(_prefix_pattern().findall(strings[last:] + b"\0"))
        paths = self.paths
        for prefix in set(prefixes):
            if prefix not in paths:
                paths[prefix] = self._path(prefix)
        out = list(map(paths.__getitem__, prefixes[first : first + n]))
        if None in out:
            for k, path in enumerate(out):
                if path is None:
                    out[k] = self.of_name(pieces.pieces[first + k])
        return out  # type: ignore[return-value]

    def _path(self, prefix: bytes) -> str | None:
        if self.macho and prefix.startswith(b"_"):
            prefix = prefix[1:]
        text = prefix.decode("utf-8", "replace")
        if text.startswith(self.skip):
            return NO_PACKAGE
        if "@" in text:  # the name up to its version is the prefix up to it
            return self.of_name(prefix)
        if "[" in text:
            return None
        return import_path(text)

    def of_name(self, raw: bytes) -> str:
        """The package of one raw name (the slow path: versions, generics, shared names)."""
        if self.macho and raw.startswith(b"_"):
            raw = raw[1:]
        name = raw.split(b"@", 1)[0].decode("utf-8", "replace")
        return import_path(package_name(name, self.modern)) if name else NO_PACKAGE


# -- the split -------------------------------------------------------------------------------


def _split(table: _Table, fmt: Format, modern: bool) -> Split:
    strings, entsize = table.strings, table.entsize
    tables = dict(table.tables)
    sizes: dict[str, int] = defaultdict(int)
    offs = [o for o in table.name_offs if o >= 0] if table.inline else table.name_offs
    pieces = _Pieces(strings)
    packages = _Packages(modern, fmt is Format.MACHO)
    first = pieces.run(offs)
    if first is not None:
        # The usual case: every symbol names the next string, each string named once.
        pkgs = packages.of_pieces(pieces, first, len(offs))
        lens = pieces.lens[first : first + len(offs)]
        for pkg, n in zip(pkgs, lens, strict=True):
            sizes[pkg] += n
        for pkg, count in Counter(pkgs).items():
            sizes[pkg] += count * entsize
        covered, shared = sum(lens), 0
    else:
        hits = list(map(pieces.index.get, offs))
        covered, shared = _split_shared(pieces, packages, offs, hits, entsize, sizes)
    for name in table.inline.values():
        sizes[packages.of_name(name)] += entsize
    unreferenced = len(strings) - covered - (4 if fmt is Format.PE else 0)
    if unreferenced < 0:
        raise GoMetadataError("symbol names overlap the COFF string table length")
    tables["strtab unreferenced" if fmt is Format.ELF else "string table unreferenced"] = (
        unreferenced
    )
    return Split(
        sections=table.sections,
        size=table.size,
        packages=packages_of(sizes),
        tables=tuple(TableSize(k, v) for k, v in tables.items() if v),
        shared=shared,
    )


def _split_shared(
    pieces: _Pieces,
    packages: _Packages,
    offs: list[int],
    hits: list[int | None],
    entsize: int,
    sizes: dict[str, int],
) -> tuple[int, int]:
    """Names shared or out of order: each name byte to its first user in string order.

    Returns (bytes claimed, bytes shared).
    """
    spans: list[tuple[int, int, int, str]] = []
    for k, (off, hit) in enumerate(zip(offs, hits, strict=True)):
        start, end = pieces.span(off)
        raw = pieces.pieces[hit] if hit is not None else pieces.strings[start:end].rstrip(b"\0")
        pkg = packages.of_name(raw)
        sizes[pkg] += entsize
        spans.append((start, k, end, pkg))
    spans.sort()
    cursor = covered = shared = 0
    for start, _, end, pkg in spans:
        new = end - max(start, cursor)
        if new > 0:
            sizes[pkg] += new
            covered += new
        if cursor > start:
            shared += min(end, cursor) - start
        cursor = max(cursor, end)
    return covered, shared


# -- defined symbols -------------------------------------------------------------------------


def _decoded(strings: bytes, offs: list[int], keep: list[int]) -> list[str]:
    """The names of symbols ``keep`` (indices into ``offs``), decoded in bulk when possible."""
    pieces = _Pieces(strings)
    first = pieces.run(offs)
    if first is not None:
        # One decode of the table; NUL stays NUL, so the pieces line up with the bytes ones.
        texts = strings.decode("utf-8", "replace").split("\0")[first : first + len(offs)]
        return list(map(texts.__getitem__, keep))
    return [pieces.name(offs[k]).decode("utf-8", "replace") for k in keep]


def _mask_int(column: bytes, table: bytes) -> int:
    return int.from_bytes(column.translate(table), "big")


def _indices(mask: int, count: int) -> list[int]:
    """Indices whose byte of ``mask`` (one 0/1 byte per record, big-endian int) is 1."""
    return list(compress(range(count), mask.to_bytes(count, "big")))


_NONZERO = bytes([0] + [1] * 255)
_NOT_FF = bytes([1] * 255 + [0])
#: ELF st_info low nibble (STT_*): everything but STT_SECTION, STT_FILE and STT_TLS.
_ELF_TYPE_OK = bytes(0 if (b & 0xF) in (STT_SECTION, STT_FILE, STT_TLS) else 1 for b in range(256))
#: Mach-O n_type: not a stab, and N_SECT.
_MACHO_TYPE_OK = bytes(1 if not b & N_STAB and b & N_TYPE == N_SECT else 0 for b in range(256))


def _elf_defined(layout: Layout, table: _Table) -> Symbols:
    order = "<" if layout.little_endian else ">"
    entsize, raw = table.entsize, table.raw
    count = len(raw) // entsize
    little = order == "<"
    if layout.bits == 64:
        words = array("Q")
        words.frombytes(raw)
        if little != (sys.byteorder == "little"):
            words.byteswap()
        values, sizes = words[1::3], words[2::3]
        infos, sh_lo, sh_hi = raw[4::24], raw[6::24], raw[7::24]
    else:
        words32 = u32_array(raw, order)
        values, sizes = words32[1::4], words32[2::4]
        infos, sh_lo, sh_hi = raw[12::16], raw[14::16], raw[15::16]
    if not little:
        sh_lo, sh_hi = sh_hi, sh_lo
    # Defined in a section: st_shndx neither SHN_UNDEF (0) nor reserved (0xff00 and up).
    mask = (
        (_mask_int(sh_lo, _NONZERO) | _mask_int(sh_hi, _NONZERO))
        & _mask_int(sh_hi, _NOT_FF)
        & _mask_int(infos, _ELF_TYPE_OK)
    )
    keep = [i for i in _indices(mask, count) if i]  # entry 0 is the null symbol
    names = _decoded(table.strings, table.name_offs, [i - 1 for i in keep])
    return Symbols(
        names, list(map(values.__getitem__, keep)), list(map(sizes.__getitem__, keep)), Format.ELF
    )


def _macho_defined(layout: Layout, table: _Table) -> Symbols:
    order = "<" if layout.little_endian else ">"
    entsize, raw = table.entsize, table.raw
    count = len(raw) // entsize
    if layout.bits == 64:
        words = array("Q")
        words.frombytes(raw)
        if (order == "<") != (sys.byteorder == "little"):
            words.byteswap()
        values = words[1::2]
    else:
        values = u32_array(raw, order)[2::3]
    keep = _indices(_mask_int(raw[4::entsize], _MACHO_TYPE_OK), count)
    names = _decoded(table.strings, table.name_offs, keep)
    return Symbols(names, list(map(values.__getitem__, keep)), None, Format.MACHO)


def _pe_defined(data: Data, layout: Layout, table: _Table) -> Symbols:
    assert table.records is not None
    order = "<" if layout.little_endian else ">"
    raw = table.raw
    values = _column(raw, COFF_SYMBOL_SIZE, 8, 4, order)
    secnums = _column(raw, COFF_SYMBOL_SIZE, 12, 2, order)
    bases = _pe_section_addresses(data, layout, order)
    records = table.records
    keep = [k for k, i in enumerate(records) if secnums[i] in bases]
    long_keep = [k for k in keep if table.name_offs[k] >= 0]
    long_offs = [table.name_offs[k] for k in long_keep]
    long_names = dict(
        zip(long_keep, _decoded(table.strings, long_offs, list(range(len(long_offs)))), strict=True)
    )
    names = [
        long_names[k] if k in long_names else table.inline[k].decode("utf-8", "replace")
        for k in keep
    ]
    addresses = [bases[secnums[records[k]]] + values[records[k]] for k in keep]
    return Symbols(names, addresses, None, Format.PE)


def _pe_section_addresses(data: Data, layout: Layout, order: str) -> dict[int, int]:
    """Section number (1-based) → the address of the section's first byte, for file sections."""
    header = next((p for p in layout.parts if p.name == "section table"), None)
    if header is None:
        return {}
    by_offset = {(p.offset, p.file_size): p for p in layout.sections() if p.file_size}
    out: dict[int, int] = {}
    for k in range(header.file_size // SECTION_HEADER_SIZE):
        at = header.offset + k * SECTION_HEADER_SIZE
        raw_size, raw_ptr = struct.unpack_from(order + "II", data, at + 16)
        part = by_offset.get((raw_ptr, raw_size))
        if part is not None:
            out[k + 1] = part.address
    return out

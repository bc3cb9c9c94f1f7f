"""Read the DWARF of an executable unit by unit: what each compile unit owns of each section.

The DWARF sections are the layout's :attr:`Category.DWARF` sections: ELF ``.debug_*`` (possibly
``SHF_COMPRESSED``: an ``Elf64_Chdr``/``Elf32_Chdr`` then a zlib or zstd stream) and legacy
``.zdebug_*``, Mach-O ``__debug_*``/``__zdebug_*`` of the ``__DWARF`` segment, PE
``.debug_*``/``.zdebug_*`` (cut to ``VirtualSize``, the rest of the raw data being file-alignment
padding). A ``.zdebug_*`` section is ``"ZLIB"``, the inflated size as a big-endian 64-bit word,
then a zlib stream (what Go's linker writes for Mach-O and PE).

Compressed sections are inflated piecewise (``zlib.decompressobj`` with ``max_length``): only a
window of each section is held at a time, uncompressed ones are read in place from the mapped
file. A zstd stream is decoded when the ``zstandard`` (or Python 3.14 ``compression.zstd``)
module is importable, and skipped (its bytes left undivided) otherwise.

What is read, per section (DWARF 5, sections 7.5 and 6.2; DWARF 2–4 the same where they exist):

- ``.debug_info``: every unit header (``unit_length`` + 4 bytes, or + 12 for 64-bit DWARF) and
  its first entry (``DW_TAG_compile_unit``): ``DW_AT_name`` (Go writes the package import path),
  ``DW_AT_language``, ``DW_AT_stmt_list``, ``DW_AT_ranges``, ``DW_AT_addr_base``,
  ``DW_AT_rnglists_base``. Only that entry is decoded, with its abbreviation table.
- ``.debug_line``: the program each ``DW_AT_stmt_list`` points at, from its offset to its
  ``unit_length`` end; bytes no unit points at are "unreferenced".
- ``.debug_frame``: every CIE (offset, size) and FDE (offset, size, ``initial_location``).
  Go's linker writes one CIE, then one FDE per function, all of one shape (32-bit ``length``,
  a multiple of 4; ``CIE_pointer``; 8-byte ``initial_location``): runs of such FDEs are chained
  over the window as 32-bit words and their words gathered in bulk (numpy when it is already
  imported), any other entry is read on its own; the result is the same either way.
- ``.debug_addr``, ``.debug_rnglists``, ``.debug_ranges`` (by each unit's ``DW_AT_addr_base`` /
  ``DW_AT_ranges`` / ``DW_AT_rnglists_base``) and ``.debug_aranges`` (by each set's
  ``debug_info_offset``): a contribution (a table with its own header) referred to by one unit
  belongs to it whole; Go's linker writes one table for all units, each unit's lists back to back
  starting with the unit's own list (``cmd/link/internal/ld/dwarf.go``), so such a table is cut
  at the units' offsets and its header is named "headers".
- everything else (``.debug_abbrev``, ``.debug_str``, ``.debug_loclists``/``.debug_loc`` — no
  unit-level attribute says where a unit's location lists start — ``.debug_gdb_scripts``, …)
  is left whole.

Inflating is most of the work (tens of MB for a large program), and zlib releases the GIL:
when compressed ``.debug_line`` + ``.debug_frame`` hold 1 MiB or more, they are read on a second
thread while ``.debug_info`` is read (the line programs then chained back to back from offset
0, and checked against the units' ``DW_AT_stmt_list``). The inflated pieces of a compressed
``.debug_line`` are kept, weakly keyed by the mapped file, for :func:`section_chunks`: the
``-trimpath`` estimate reads that section again right after, and takes them instead of
inflating it a second time.

Unit headers and frame entries are walked here rather than with pyelftools: pyelftools inflates
a compressed section whole and builds objects per field; its ``CFI_entries()`` alone takes 1.5 s
on a 20 MB ``go`` binary and 4.9 s (235 MB peak) on an 80 MB one, against tens of milliseconds
here. The tests use pyelftools as a second oracle for the units.
"""

from __future__ import annotations

import contextlib
import struct
import sys
import weakref
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Literal

from gobinopt.binary.categories import normalise
from gobinopt.binary.interface import BinaryFormatError, Buffer, Category, Format, Layout, Part

#: DW_TAG_* of unit entries.
DW_TAG_compile_unit = 0x11
DW_TAG_partial_unit = 0x3C
DW_TAG_type_unit = 0x41
DW_TAG_skeleton_unit = 0x4A
UNIT_TAGS = (DW_TAG_compile_unit, DW_TAG_partial_unit, DW_TAG_skeleton_unit)
#: DW_LANG_Go.
DW_LANG_Go = 0x16

_DW_AT_name = 0x03
_DW_AT_stmt_list = 0x10
_DW_AT_language = 0x13
_DW_AT_ranges = 0x55
_DW_AT_str_offsets_base = 0x72
_DW_AT_addr_base = 0x73
_DW_AT_rnglists_base = 0x74
_DW_AT_GNU_addr_base = 0x2133
_WANTED = frozenset(
    (
        _DW_AT_name,
        _DW_AT_stmt_list,
        _DW_AT_language,
        _DW_AT_ranges,
        _DW_AT_str_offsets_base,
        _DW_AT_addr_base,
        _DW_AT_rnglists_base,
        _DW_AT_GNU_addr_base,
    )
)
_ELFCOMPRESS_ZLIB = 1
_ELFCOMPRESS_ZSTD = 2
#: Bytes of a section window inflated or kept at a time.
_CHUNK = 1 << 18
#: zlib cannot inflate more than 1032:1; a header claiming more is corrupt.
_MAX_RATIO = 1032
#: Inflated bytes of compressed ``.debug_line`` + ``.debug_frame`` from which they are read on
#: a thread of their own.
_AHEAD_MIN = 1 << 20
#: Mach-O section names are cut to 16 bytes.
_TRUNCATED = {".debug_gdb_scri": ".debug_gdb_scripts", ".debug_str_offs": ".debug_str_offsets"}


class DwarfError(BinaryFormatError):
    """The DWARF sections are present but corrupt."""


@dataclass(frozen=True, slots=True)
class DwarfSection:
    """One DWARF section of the file and how its bytes are stored."""

    #: The section's name in the layout (``.debug_info``, ``__zdebug_info``, ``.zdebug_line``).
    name: str
    #: What it holds, spelled the ELF way without compression marker (``.debug_info``).
    kind: str
    offset: int
    #: Bytes in the file: compression header + stored bytes + padding.
    file_size: int
    #: ``Elf64_Chdr``/``Elf32_Chdr`` or ``"ZLIB"`` + size bytes; 0 when not compressed.
    header_size: int
    #: Raw bytes after the last stored byte (PE file alignment past ``VirtualSize``).
    padding: int
    #: "" (stored as is), "zlib" or "zstd".
    compression: str
    #: Bytes of the DWARF contents (inflated).
    size: int

    @property
    def stored(self) -> int:
        """File bytes of the contents: the compressed stream or the plain bytes."""
        return self.file_size - self.header_size - self.padding


@dataclass(frozen=True, slots=True)
class Unit:
    """One unit of ``.debug_info`` and its first entry's attributes."""

    #: Offset of the unit header in ``.debug_info``.
    offset: int
    #: ``unit_length`` + 4 (or + 12 for 64-bit DWARF).
    size: int
    version: int
    #: Offset of the unit's first entry (the ``DW_TAG_compile_unit``).
    die_offset: int
    #: DW_TAG_* of the first entry; 0 when the unit has none.
    tag: int
    #: ``DW_AT_name``: the import path for Go (as the compiler writes it), a file for C.
    name: str
    language: int | None
    stmt_list: int | None
    ranges: int | None
    addr_base: int | None
    rnglists_base: int | None
    #: Bytes of its ``.debug_line`` program (0 when it has none or shares another unit's).
    line_size: int = 0


@dataclass(frozen=True, slots=True)
class FrameEntry:
    """An FDE of ``.debug_frame``."""

    offset: int
    size: int
    initial_location: int


@dataclass(frozen=True, slots=True)
class Frames:
    """``.debug_frame``: FDEs as parallel arrays (a program has tens of thousands) and CIEs.

    The FDE columns are ``array("Q")`` (8 bytes an entry, no Python object each; numpy reads
    them without a copy); read them as sequences.
    """

    fde_offsets: Sequence[int] = ()
    fde_sizes: Sequence[int] = ()
    #: ``initial_location`` of each FDE.
    fde_locations: Sequence[int] = ()
    #: (offset, size) of each CIE.
    cies: tuple[tuple[int, int], ...] = ()

    def fdes(self) -> Iterator[FrameEntry]:
        """The FDEs in section order."""
        for off, size, loc in zip(
            self.fde_offsets, self.fde_sizes, self.fde_locations, strict=True
        ):
            yield FrameEntry(off, size, loc)


@dataclass(frozen=True, slots=True)
class SectionUse:
    """How the inflated bytes of one section divide up: ``units + rest + fde_bytes == size``."""

    section: DwarfSection
    #: (index into :attr:`Dwarf.units`, bytes).
    units: tuple[tuple[int, int], ...]
    #: (what, bytes) of the rest: "headers", "CIEs", "unreferenced", "" for the whole section.
    rest: tuple[tuple[str, int], ...]
    #: Bytes of FDEs (``.debug_frame`` only; per FDE in :attr:`Dwarf.frames`).
    fde_bytes: int = 0
    #: Why the section was not decoded ("zstd-compressed, no zstd module: skipped"), or "".
    note: str = ""


@dataclass(frozen=True, slots=True)
class Dwarf:
    """Every DWARF section of a file, its compile units and frame entries."""

    sections: tuple[SectionUse, ...]
    units: tuple[Unit, ...]
    frames: Frames

    @property
    def file_size(self) -> int:
        """File bytes of all DWARF sections."""
        return sum(u.section.file_size for u in self.sections)


def dwarf_sections(data: Buffer, layout: Layout) -> list[DwarfSection]:
    """The DWARF sections of ``layout`` with their compression, in file order."""
    out: list[DwarfSection] = []
    order = "<" if layout.little_endian else ">"
    for part in layout.sections():
        if part.category is not Category.DWARF or not part.file_size:
            continue
        out.append(_describe(data, layout, part, order))
    return out


def _describe(data: Buffer, layout: Layout, part: Part, order: str) -> DwarfSection:
    norm = normalise(part.name)
    zdebug = norm.startswith(".zdebug_")
    kind = ".debug_" + norm[len(".zdebug_") :] if zdebug else norm
    kind = _TRUNCATED.get(kind, kind)
    length = part.file_size
    if layout.format is Format.PE and 0 < part.mem_size < part.file_size:
        length = part.mem_size
    if part.end > len(data):
        raise DwarfError(f"{part.name} lies past the end of the file")
    header, compression, size = 0, "", length
    if layout.format is Format.ELF and "C" in part.flags:
        header = 24 if layout.bits == 64 else 12
        if length < header:
            raise DwarfError(f"{part.name}: compression header (Elf_Chdr) is truncated")
        if layout.bits == 64:
            ch_type, _res, size = struct.unpack_from(order + "IIQ", data, part.offset)
        else:
            ch_type, size, _align = struct.unpack_from(order + "III", data, part.offset)
        if ch_type == _ELFCOMPRESS_ZLIB:
            compression = "zlib"
        elif ch_type == _ELFCOMPRESS_ZSTD:
            compression = "zstd"
        else:
            raise DwarfError(f"{part.name}: unknown compression type {ch_type} in Elf_Chdr")
    elif zdebug and length >= 12 and bytes(data[part.offset : part.offset + 4]) == b"ZLIB":
        header, compression = 12, "zlib"
        size = struct.unpack_from(">Q", data, part.offset + 4)[0]
    if compression and size > _MAX_RATIO * (length - header) + 64:
        raise DwarfError(f"{part.name}: claims {size} bytes once inflated; corrupt header")
    return DwarfSection(
        name=part.name,
        kind=kind,
        offset=part.offset,
        file_size=part.file_size,
        header_size=header,
        padding=part.file_size - length,
        compression=compression,
        size=int(size),
    )


def dwarf_section(data: Buffer, layout: Layout, part: Part) -> DwarfSection:
    """How the DWARF section ``part`` is stored (compression, inflated size).

    Raises :class:`DwarfError` for a corrupt compression header.
    """
    return _describe(data, layout, part, "<" if layout.little_endian else ">")


def section_chunks(data: Buffer, sec: DwarfSection) -> Iterator[bytes]:
    """The contents of ``sec`` in order, in pieces of about 256 KiB: inflated piecewise (only
    one piece is held at a time), or copied out of the mapped file.

    A compressed ``.debug_line`` that :func:`read_dwarf` inflated from the same mapped file is
    not inflated again: its pieces are handed over (once) and dropped as they are read.
    Raises :class:`DwarfError` when the stream is corrupt, inflates to another size than its
    header says, or is zstd and no zstd module is installed.
    """
    kept = _take_kept(data, sec)
    if kept is not None:
        return _drain(kept)
    if sec.compression == "zstd" and not zstd_available():
        raise DwarfError(f"{sec.name}: zstd-compressed and no zstd module")
    return _Stream(data, sec).chunks()


#: The inflated pieces of the compressed ``.debug_line`` :func:`read_dwarf` read, by mapped
#: file and section offset, for :func:`section_chunks`: ``explain`` reads that section again
#: for the ``-trimpath`` estimate right after the DWARF split, and inflating costs as much as
#: the rest of the reading. An entry lives until it is taken or the mapping is collected.
_KEPT: weakref.WeakKeyDictionary[Any, dict[int, list[bytes]]] = weakref.WeakKeyDictionary()


def _keep(data: Buffer, sec: DwarfSection, pieces: list[bytes]) -> None:
    with contextlib.suppress(TypeError):  # bytes take no weak reference: nothing to share
        _KEPT.setdefault(data, {})[sec.offset] = pieces


def _take_kept(data: Buffer, sec: DwarfSection) -> list[bytes] | None:
    try:
        kept = _KEPT.get(data)
    except TypeError:
        return None
    if not kept:
        return None
    pieces = kept.pop(sec.offset, None)
    if pieces is None or sum(map(len, pieces)) != sec.size or not sec.compression:
        return None
    return pieces


def _drain(pieces: list[bytes]) -> Iterator[bytes]:
    """The pieces in order, each let go once read."""
    pieces.reverse()
    while pieces:
        yield pieces.pop()


# -- reading a section's bytes -------------------------------------------------------------------


def zstd_available() -> bool:
    """Whether zstd-compressed sections can be inflated (a zstd module is installed)."""
    return _zstd_inflater() is not None


def _zstd_inflater() -> Callable[[], Any] | None:
    """A factory of zstd stream decoders, or None when no zstd module is installed."""
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python 3.14+
    except ImportError:
        pass
    else:
        return lambda: zstd.ZstdDecompressor()  # noqa: PLW0108
    try:
        import zstandard  # type: ignore[import-not-found]
    except ImportError:
        return None
    return lambda: _ZstandardAdapter(zstandard.ZstdDecompressor().decompressobj())


class _ZstandardAdapter:
    """zstandard's decompressobj has no ``max_length``: hold its output and hand it out."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj
        self.pending = b""

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        if data:
            self.pending += self.obj.decompress(data)
        out, self.pending = self.pending[:max_length], self.pending[max_length:]
        return out


class _Stream:
    """Forward-only access to a section's contents: the mapped file, or inflated piecewise.

    :meth:`window` returns a buffer, the index of the wanted offset in it and the index one past
    the last byte available; offsets may only grow from one call to the next.
    """

    def __init__(self, data: Buffer, sec: DwarfSection, keep: list[bytes] | None = None) -> None:
        self.sec = sec
        self.size = sec.size
        self.data = data
        #: Collects every inflated piece when given (to hand the contents on, see :data:`_KEPT`).
        self.keep = keep
        self.plain = not sec.compression
        self.buf: Buffer = data
        self.buf_off = -(sec.offset + sec.header_size)  # section offset of buf[0]
        self.produced = 0
        if not self.plain:
            self.buf = b""
            self.buf_off = 0
            self.inp = sec.offset + sec.header_size
            self.inp_end = self.inp + sec.stored
            self.tail = b""
            self.z: Any
            if sec.compression == "zlib":
                self.z = zlib.decompressobj()
            else:
                factory = _zstd_inflater()
                if factory is None:
                    raise DwarfError("no zstd decoder")  # callers check _zstd_inflater first
                self.z = factory()

    def window(self, off: int, want: int) -> tuple[Buffer, int, int]:
        """(buffer, index of ``off``, index of the end of what is available) for ``want`` bytes."""
        if self.plain:
            base = -self.buf_off
            return self.data, base + off, base + self.size
        end = min(off + want, self.size)
        if off < self.buf_off:
            raise DwarfError(f"{self.sec.name}: read backwards")  # a bug, not corrupt input
        have_end = self.buf_off + len(self.buf)
        if end > have_end:
            if off >= have_end:
                self._skip(off - have_end)
                self.buf, self.buf_off = b"", off
            else:
                self.buf, self.buf_off = self.buf[off - self.buf_off :], off
            need = end - self.buf_off - len(self.buf)
            more = self._inflate(max(need, _CHUNK))
            if more:
                self.buf = bytes(self.buf) + more
            if self.buf_off + len(self.buf) < end:
                raise DwarfError(
                    f"{self.sec.name}: inflates to {self.produced} bytes, its header says "
                    f"{self.size}"
                )
        return self.buf, off - self.buf_off, min(len(self.buf), self.size - self.buf_off)

    def window_bytes(self, off: int, want: int) -> tuple[bytes, int, int]:
        """:meth:`window` as ``bytes``: a plain section's window is copied out of the file
        (``max(want, _CHUNK)`` bytes of it), so no view of the mapping outlives the call."""
        if self.plain:
            stop = min(self.size, off + max(want, _CHUNK))
            start = self.sec.offset + self.sec.header_size
            return bytes(self.data[start + off : start + stop]), 0, stop - off
        buf, at, end = self.window(off, want)
        return bytes(buf), at, end

    def _skip(self, count: int) -> None:
        while count > 0:
            got = len(self._inflate(min(count, _CHUNK)))
            if not got:
                raise DwarfError(
                    f"{self.sec.name}: inflates to {self.produced} bytes, its header says "
                    f"{self.size}"
                )
            count -= got

    def _inflate(self, want: int) -> bytes:
        """Up to ``want`` more inflated bytes (fewer only at the end of the stream)."""
        pieces: list[bytes] = []
        got = 0
        try:
            while got < want:
                if self.tail:
                    src = self.tail
                elif self.inp < self.inp_end:
                    stop = min(self.inp + _CHUNK, self.inp_end)
                    src = bytes(self.data[self.inp : stop])
                    self.inp = stop
                else:
                    src = b""
                piece = self.z.decompress(src, want - got)
                self.tail = getattr(self.z, "unconsumed_tail", b"")
                if piece:
                    pieces.append(piece)
                    got += len(piece)
                elif not src or getattr(self.z, "eof", False):
                    break
        except zlib.error as exc:
            raise DwarfError(f"{self.sec.name}: corrupt zlib stream ({exc})") from None
        except Exception as exc:  # zstd decoders raise their own error types
            if self.sec.compression != "zstd":
                raise
            raise DwarfError(f"{self.sec.name}: corrupt zstd stream ({exc})") from None
        out = b"".join(pieces)
        self.produced += len(out)
        if self.keep is not None and out:
            self.keep.append(out)
        return out

    def finish(self) -> None:
        """Inflate the rest and check the stream ends exactly at the size its header gives."""
        if self.plain:
            return
        have_end = self.buf_off + len(self.buf)
        self.buf = b""
        self.buf_off = have_end
        while self._inflate(_CHUNK):
            if self.produced > self.size:
                break
        if self.produced != self.size:
            raise DwarfError(
                f"{self.sec.name}: inflates to {self.produced} bytes, its header says {self.size}"
            )

    def chunks(self) -> Iterator[bytes]:
        """The contents from the start in pieces of about ``_CHUNK`` bytes, checked for size."""
        if self.plain:
            start = self.sec.offset + self.sec.header_size
            for at in range(0, self.size, _CHUNK):
                yield bytes(self.data[start + at : start + min(at + _CHUNK, self.size)])
            return
        if self.produced:
            raise DwarfError(f"{self.sec.name}: read backwards")  # a bug, not corrupt input
        while self.produced < self.size:
            piece = self._inflate(min(_CHUNK, self.size - self.produced))
            if not piece:
                break
            yield piece
        self.buf_off = self.produced
        self.finish()

    def whole(self) -> bytes:
        """The entire contents (for small tables: ``.debug_abbrev``, ``.debug_str``)."""
        buf, at, end = self.window(0, self.size)
        out = bytes(buf[at:end])
        if len(out) != self.size:
            raise DwarfError(f"{self.sec.name}: shorter than its size")
        self.finish()
        return out


# -- LEB128 and unit headers ------------------------------------------------------------------


class _ShortError(Exception):
    """A decode ran past the window it was given."""


def _uleb(buf: Buffer, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise _ShortError
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 70:
            raise DwarfError("LEB128 number too long")


def _sleb(buf: Buffer, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise _ShortError
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            if byte & 0x40:
                result -= 1 << shift
            return result, pos
        if shift > 70:
            raise DwarfError("LEB128 number too long")


def _initial_length(buf: Buffer, pos: int, end: int, order: str) -> tuple[int, int, int]:
    """(total size incl. the length field, offset size 4 or 8, header length) at ``pos``."""
    if pos + 4 > end:
        raise _ShortError
    length = struct.unpack_from(order + "I", buf, pos)[0]
    if length == 0xFFFFFFFF:
        if pos + 12 > end:
            raise _ShortError
        return struct.unpack_from(order + "Q", buf, pos + 4)[0] + 12, 8, 12
    if length >= 0xFFFFFFF0:
        raise DwarfError(f"reserved unit_length {length:#x}")
    return length + 4, 4, 4


#: Fixed sizes of DW_FORM_* (offset- and address-sized forms are handled apart).
_FIXED = {
    0x05: 2,  # data2
    0x06: 4,  # data4
    0x07: 8,  # data8
    0x0B: 1,  # data1
    0x0C: 1,  # flag
    0x11: 1,  # ref1
    0x12: 2,  # ref2
    0x13: 4,  # ref4
    0x14: 8,  # ref8
    0x19: 0,  # flag_present
    0x1C: 4,  # ref_sup4
    0x1E: 16,  # data16
    0x20: 8,  # ref_sig8
    0x21: 0,  # implicit_const
    0x24: 8,  # ref_sup8
    0x25: 1,  # strx1
    0x26: 2,  # strx2
    0x27: 3,  # strx3
    0x28: 4,  # strx4
    0x29: 1,  # addrx1
    0x2A: 2,  # addrx2
    0x2B: 3,  # addrx3
    0x2C: 4,  # addrx4
}
_OFFSET_FORMS = frozenset((0x0E, 0x17, 0x1D, 0x1F, 0x1F20, 0x1F21))  # strp sec_offset … line_strp
_ULEB_FORMS = frozenset((0x0F, 0x15, 0x1A, 0x1B, 0x22, 0x23, 0x1F01, 0x1F02))
_BLOCK_FORMS = {0x0A: 1, 0x03: 2, 0x04: 4}  # block1, block2, block4 (length prefix)
_STRX_FORMS = frozenset((0x1A, 0x25, 0x26, 0x27, 0x28))
_FORM_string, _FORM_strp, _FORM_line_strp, _FORM_indirect = 0x08, 0x0E, 0x1F, 0x16

#: An abbreviation: (tag, ((attribute, form, implicit constant), ...)).
_Abbrev = tuple[int, tuple[tuple[int, int, int], ...]]


def _abbrev_table(raw: bytes, offset: int) -> dict[int, _Abbrev]:
    """The abbreviation table at ``offset`` of ``.debug_abbrev``."""
    table: dict[int, _Abbrev] = {}
    pos, end = offset, len(raw)
    if offset >= end:
        raise DwarfError(f"abbreviation table offset {offset} lies past .debug_abbrev")
    try:
        while True:
            code, pos = _uleb(raw, pos, end)
            if code == 0:
                return table
            tag, pos = _uleb(raw, pos, end)
            pos += 1  # DW_CHILDREN_*
            specs: list[tuple[int, int, int]] = []
            while True:
                attr, pos = _uleb(raw, pos, end)
                form, pos = _uleb(raw, pos, end)
                if attr == 0 and form == 0:
                    break
                value = 0
                if form == 0x21:
                    value, pos = _sleb(raw, pos, end)
                specs.append((attr, form, value))
            table.setdefault(code, (tag, tuple(specs)))
    except _ShortError:
        if table:
            return table  # a table without its terminating 0 at the end of the section
        raise DwarfError(f"abbreviation table at {offset} runs past .debug_abbrev") from None


# -- the reader ------------------------------------------------------------------------------


class _Reader:
    def __init__(
        self, data: Buffer, layout: Layout, bulk: bool = True, numpy: bool | None = None
    ) -> None:
        self.data = data
        self.bulk = bulk
        self.numpy = numpy
        self.layout = layout
        self.order = "<" if layout.little_endian else ">"
        self.addr_default = layout.bits // 8
        self.sections = dwarf_sections(data, layout)
        self.by_kind: dict[str, DwarfSection] = {}
        for sec in self.sections:
            self.by_kind.setdefault(sec.kind, sec)
        self.cache: dict[str, bytes] = {}
        #: The inflated pieces of a compressed ``.debug_line``, handed on once all is read.
        self.line_pieces: list[bytes] | None = None
        self.uses: dict[int, SectionUse] = {}
        self.skipped: dict[str, str] = {}
        for sec in self.sections:
            if sec.compression == "zstd" and not zstd_available():
                self.skipped[sec.name] = "zstd-compressed and no zstd module: skipped"

    def decodable(self, kind: str) -> DwarfSection | None:
        sec = self.by_kind.get(kind)
        if sec is None or sec.name in self.skipped:
            return None
        return sec

    def whole(self, kind: str) -> bytes | None:
        sec = self.decodable(kind)
        if sec is None:
            return None
        if kind not in self.cache:
            self.cache[kind] = _Stream(self.data, sec).whole()
        return self.cache[kind]

    def use(
        self, sec: DwarfSection, units: dict[int, int], rest: dict[str, int], fde: int = 0
    ) -> None:
        total = sum(units.values()) + sum(rest.values()) + fde
        if total != sec.size:
            raise DwarfError(f"{sec.name}: {total} bytes accounted of {sec.size}")
        self.uses[id(sec)] = SectionUse(
            sec,
            tuple((k, v) for k, v in units.items() if v),
            tuple((k, v) for k, v in rest.items() if v),
            fde,
        )

    def read(self) -> Dwarf:
        if self._ahead_pays():
            # Inflating is most of the work and zlib releases the GIL: .debug_info is read on
            # a second thread while this one reads .debug_line and .debug_frame (that thread
            # allocates little: what its malloc arena keeps after it ends stays small).
            with ThreadPoolExecutor(1, thread_name_prefix="gobinopt-dwarf") as pool:
                info = pool.submit(self._units)
                chain, frames = self._ahead()
                units = info.result()
            self._lines(units, chain)
        else:
            units = self._units()
            self._lines(units)
            frames = self._frames()
        self._by_offsets(units, ".debug_addr", [u.addr_base for u in units], headers=True)
        refs = [u.rnglists_base if u.rnglists_base is not None else u.ranges for u in units]
        self._by_offsets(units, ".debug_rnglists", refs, headers=True)
        self._by_offsets(units, ".debug_ranges", [u.ranges for u in units], headers=False)
        self._aranges(units)
        line = self.decodable(".debug_line")
        if line is not None and self.line_pieces is not None:
            _keep(self.data, line, self.line_pieces)
        uses: list[SectionUse] = []
        for sec in self.sections:
            use = self.uses.get(id(sec))
            if use is None:
                use = SectionUse(sec, (), (("", sec.size),), 0, self.skipped.get(sec.name, ""))
            uses.append(use)
        return Dwarf(tuple(uses), tuple(units), frames)

    # .debug_info ----------------------------------------------------------------------------

    def _units(self) -> list[Unit]:
        sec = self.decodable(".debug_info")
        if sec is None:
            return []
        abbrev_raw = self.whole(".debug_abbrev")
        tables: dict[int, dict[int, _Abbrev]] = {}
        stream = _Stream(self.data, sec)
        units: list[Unit] = []
        rest: dict[str, int] = {"padding": 0, "type units": 0}
        off = 0
        while off < sec.size:
            buf, pos, end = stream.window(off, 64)
            if end - pos < 4:
                rest["padding"] += end - pos
                break
            size, off_size, len_size = _initial_length(buf, pos, end, self.order)
            if size == 4:  # unit_length 0: padding
                rest["padding"] += 4
                off += 4
                continue
            if off + size > sec.size:
                raise DwarfError(f".debug_info unit at {off} runs past the section")
            unit = self._unit(stream, off, size, off_size, len_size, abbrev_raw, tables)
            if unit.tag in UNIT_TAGS:
                units.append(unit)
            else:
                rest["type units"] += size
            off += size
        stream.finish()
        self.use(sec, {i: u.size for i, u in enumerate(units)}, rest)
        return units

    def _unit(
        self,
        stream: _Stream,
        off: int,
        size: int,
        off_size: int,
        len_size: int,
        abbrev_raw: bytes | None,
        tables: dict[int, dict[int, _Abbrev]],
    ) -> Unit:
        order = self.order
        want = min(size, 4096)
        while True:
            buf, pos, end = stream.window(off, want)
            end = min(end, pos + size)
            try:
                return self._decode_unit(
                    buf, pos, end, off, size, off_size, len_size, abbrev_raw, tables, order
                )
            except _ShortError:
                if want >= size:
                    raise DwarfError(
                        f".debug_info unit at {off}: first entry runs past it"
                    ) from None
                want = size

    def _decode_unit(
        self,
        buf: Buffer,
        pos: int,
        end: int,
        off: int,
        size: int,
        off_size: int,
        len_size: int,
        abbrev_raw: bytes | None,
        tables: dict[int, dict[int, _Abbrev]],
        order: str,
    ) -> Unit:
        start = pos
        p = pos + len_size
        if p + 2 > end:
            raise _ShortError
        version = struct.unpack_from(order + "H", buf, p)[0]
        p += 2
        offword = order + ("Q" if off_size == 8 else "I")
        if version == 5:
            if p + 2 + off_size > end:
                raise _ShortError
            unit_type, addr_size = buf[p], buf[p + 1]
            abbrev_off = struct.unpack_from(offword, buf, p + 2)[0]
            p += 2 + off_size
            if unit_type in (4, 5):  # DW_UT_skeleton, DW_UT_split_compile: dwo_id
                p += 8
            elif unit_type in (2, 6):  # DW_UT_type, DW_UT_split_type
                p += 8 + off_size
        elif 2 <= version <= 4:
            if p + off_size + 1 > end:
                raise _ShortError
            abbrev_off = struct.unpack_from(offword, buf, p)[0]
            addr_size = buf[p + off_size]
            p += off_size + 1
        else:
            raise DwarfError(f".debug_info unit at {off}: unknown DWARF version {version}")
        die_offset = off + (p - start)
        attrs: dict[int, tuple[int, int | bytes]] = {}
        tag = 0
        if p < end and die_offset < off + size:
            code, p = _uleb(buf, p, end)
            if code:
                if abbrev_raw is None:
                    raise DwarfError(".debug_info needs .debug_abbrev, which is missing")
                table = tables.get(abbrev_off)
                if table is None:
                    table = tables[abbrev_off] = _abbrev_table(abbrev_raw, abbrev_off)
                entry = table.get(code)
                if entry is None:
                    raise DwarfError(f".debug_info unit at {off}: unknown abbreviation {code}")
                tag = entry[0]
                for attr, form, implicit in entry[1]:
                    value, p = self._form(buf, p, end, form, off_size, addr_size, version, implicit)
                    if attr in _WANTED:
                        attrs.setdefault(attr, (form, value))
        if p - start > size:
            raise DwarfError(f".debug_info unit at {off}: first entry runs past the unit")
        return Unit(
            offset=off,
            size=size,
            version=version,
            die_offset=die_offset,
            tag=tag,
            name=self._name(attrs, off_size),
            language=_int(attrs.get(_DW_AT_language)),
            stmt_list=_int(attrs.get(_DW_AT_stmt_list)),
            ranges=_int(attrs.get(_DW_AT_ranges)),
            addr_base=_int(attrs.get(_DW_AT_addr_base) or attrs.get(_DW_AT_GNU_addr_base)),
            rnglists_base=_int(attrs.get(_DW_AT_rnglists_base)),
        )

    def _form(
        self,
        buf: Buffer,
        p: int,
        end: int,
        form: int,
        off_size: int,
        addr_size: int,
        version: int,
        implicit: int,
    ) -> tuple[int | bytes, int]:
        order = self.order
        if form == _FORM_indirect:
            form, p = _uleb(buf, p, end)
            if form == _FORM_indirect:
                raise DwarfError("DW_FORM_indirect names itself")
        if form == _FORM_string:
            nul = _find_nul(buf, p, end)
            return bytes(buf[p:nul]), nul + 1
        if form in _ULEB_FORMS:
            return _uleb(buf, p, end)
        if form == 0x0D:  # sdata
            return _sleb(buf, p, end)
        if form == 0x21:
            return implicit, p
        width = _FIXED.get(form)
        if width is None:
            if form in _OFFSET_FORMS or (form == 0x10 and version >= 3):  # ref_addr
                width = off_size
            elif form in (0x01, 0x10):  # addr, DWARF 2 ref_addr
                width = addr_size
            elif form in _BLOCK_FORMS:
                lw = _BLOCK_FORMS[form]
                if p + lw > end:
                    raise _ShortError
                n = int.from_bytes(bytes(buf[p : p + lw]), "little" if order == "<" else "big")
                p += lw + n
                if p > end:
                    raise _ShortError
                return 0, p
            elif form in (0x09, 0x18):  # block, exprloc
                n, p = _uleb(buf, p, end)
                p += n
                if p > end:
                    raise _ShortError
                return 0, p
            else:
                raise DwarfError(f"unknown attribute form {form:#x}")
        if p + width > end:
            raise _ShortError
        if width in (1, 2, 4, 8):
            value = struct.unpack_from(order + {1: "B", 2: "H", 4: "I", 8: "Q"}[width], buf, p)[0]
        else:
            value = int.from_bytes(bytes(buf[p : p + width]), "little" if order == "<" else "big")
        return value, p + width

    def _name(self, attrs: dict[int, tuple[int, int | bytes]], off_size: int) -> str:
        got = attrs.get(_DW_AT_name)
        if got is None:
            return ""
        form, value = got
        raw: bytes | None = None
        if isinstance(value, bytes):
            raw = value
        elif form in (_FORM_strp, _FORM_line_strp):
            raw = self._string(".debug_str" if form == _FORM_strp else ".debug_line_str", value)
        elif form in _STRX_FORMS:
            base = _int(attrs.get(_DW_AT_str_offsets_base))
            offsets = self.whole(".debug_str_offsets")
            if base is not None and offsets is not None:
                at = base + value * off_size
                if at + off_size <= len(offsets):
                    word = self.order + ("Q" if off_size == 8 else "I")
                    raw = self._string(".debug_str", struct.unpack_from(word, offsets, at)[0])
        return raw.decode("utf-8", "replace") if raw is not None else ""

    def _string(self, kind: str, offset: int) -> bytes | None:
        table = self.whole(kind)
        if table is None or offset >= len(table):
            return None
        nul = table.find(b"\0", offset)
        return table[offset : nul if nul >= 0 else len(table)]

    # .debug_line ----------------------------------------------------------------------------

    def _ahead_pays(self) -> bool:
        """Whether to read ``.debug_line`` and ``.debug_frame`` on a second thread: they are
        compressed and large enough to be worth a thread."""
        if not self.bulk:
            return False
        secs = [self.decodable(k) for k in (".debug_line", ".debug_frame")]
        return sum(s.size for s in secs if s is not None and s.compression) >= _AHEAD_MIN

    def _ahead(self) -> tuple[dict[int, int] | None, Frames]:
        """What needs no unit: the ``.debug_line`` programs chained from offset 0, the frames."""
        sec = self.decodable(".debug_line")
        return (self._line_chain(sec) if sec is not None else None), self._frames()

    def _line_chain(self, sec: DwarfSection) -> dict[int, int]:
        """Offset → size of the ``.debug_line`` programs walked back to back from offset 0
        (as Go's linker writes them), up to the first that does not parse or fit; the whole
        stream is inflated and checked."""
        stream = self._line_stream(sec)
        sizes: dict[int, int] = {}
        off = 0
        while off < sec.size:
            buf, pos, end = stream.window(off, 16)
            try:
                size = _initial_length(buf, pos, end, self.order)[0]
            except (_ShortError, DwarfError):
                break
            if off + size > sec.size:
                break
            sizes[off] = size
            off += size
        stream.finish()
        return sizes

    def _line_stream(self, sec: DwarfSection) -> _Stream:
        """A stream over ``.debug_line`` that keeps what it inflates from zlib (see
        :data:`_KEPT`; the ``-trimpath`` estimate reads no zstd section)."""
        self.line_pieces = [] if sec.compression == "zlib" else None
        return _Stream(self.data, sec, self.line_pieces)

    def _lines(self, units: list[Unit], chain: dict[int, int] | None = None) -> None:
        """Give each unit the ``.debug_line`` program its ``DW_AT_stmt_list`` points at.

        ``chain`` (from :meth:`_line_chain`) answers without reading the section again when
        every ``DW_AT_stmt_list`` is one of its offsets: the programs are then disjoint and
        their sizes those read at the offsets, as below.
        """
        sec = self.decodable(".debug_line")
        if sec is None:
            return
        first: dict[int, int] = {}
        for i, u in enumerate(units):
            if u.stmt_list is not None:
                first.setdefault(u.stmt_list, i)
        if chain is not None and all(off in chain for off in first):
            programs: dict[int, int] = {}
            for off in sorted(first):
                idx = first[off]
                programs[idx] = chain[off]
                units[idx] = replace(units[idx], line_size=chain[off])
            self.use(sec, programs, {"unreferenced": sec.size - sum(programs.values())})
            return
        stream = self._line_stream(sec)
        owned: dict[int, int] = {}
        rest = {"unreferenced": 0}
        cursor = 0
        for off in sorted(first):
            if off < cursor:
                raise DwarfError(f".debug_line program at {off} overlaps the one before")
            if off >= sec.size:
                raise DwarfError(f"DW_AT_stmt_list {off} points past .debug_line")
            buf, pos, end = stream.window(off, 16)
            try:
                size = _initial_length(buf, pos, end, self.order)[0]
            except _ShortError:
                raise DwarfError(f".debug_line program at {off} is truncated") from None
            if off + size > sec.size:
                raise DwarfError(f".debug_line program at {off} runs past the section")
            rest["unreferenced"] += off - cursor
            idx = first[off]
            owned[idx] = size
            units[idx] = replace(units[idx], line_size=size)
            cursor = off + size
        rest["unreferenced"] += sec.size - cursor
        stream.finish()
        self.use(sec, owned, rest)

    # .debug_frame ---------------------------------------------------------------------------

    def _frames(self) -> Frames:
        """Every CIE and FDE of ``.debug_frame``, in section order, a window at a time.

        Entries are read one by one; from each FDE on, :meth:`_fde_run` takes the FDEs of the
        shape Go's linker writes (32-bit lengths that are multiples of 4, one CIE pointer, a
        4- or 8-byte ``initial_location`` right after it) in bulk, and hands back to the
        entry-by-entry loop at the first entry of another shape or the end of the window.
        """
        sec = self.decodable(".debug_frame")
        if sec is None:
            return Frames()
        order = self.order
        stream = _Stream(self.data, sec)
        u32 = struct.Struct(order + "I")
        u64 = struct.Struct(order + "Q")
        offs, sizes, locs = array("Q"), array("Q"), array("Q")
        cies: list[tuple[int, int]] = []
        cie_addr: dict[int, tuple[int, int]] = {}
        rest = {"CIEs": 0, "padding": 0}
        fde_bytes = 0
        off = 0
        total = sec.size
        buf, pos, end = stream.window_bytes(0, _CHUNK)
        base = off - pos
        while off < total:
            pos = off - base
            if pos + 32 > end and base + end < total:
                buf, pos, end = stream.window_bytes(off, _CHUNK)
                base = off - pos
            if self.bulk and cie_addr:
                got = self._fde_run(buf, pos, end, off, total, cie_addr, offs, sizes, locs)
                if got:
                    fde_bytes += got
                    off += got
                    continue
            if pos + 4 > end:
                rest["padding"] += total - off
                break
            length = u32.unpack_from(buf, pos)[0]
            if length == 0:  # a zero terminator or padding word
                rest["padding"] += 4
                off += 4
                continue
            if length < 0xFFFFFFF0:
                size, idw, head = length + 4, 4, 4
                if pos + 8 > end:
                    raise DwarfError(f".debug_frame entry at {off} is truncated")
                cie_id = u32.unpack_from(buf, pos + 4)[0]
                is_cie = cie_id == 0xFFFFFFFF
            elif length == 0xFFFFFFFF:
                if pos + 20 > end:
                    raise DwarfError(f".debug_frame entry at {off} is truncated")
                size, idw, head = u64.unpack_from(buf, pos + 4)[0] + 12, 8, 12
                cie_id = u64.unpack_from(buf, pos + 12)[0]
                is_cie = cie_id == 0xFFFFFFFFFFFFFFFF
            else:
                raise DwarfError(f".debug_frame entry at {off}: reserved length {length:#x}")
            if off + size > total:
                raise DwarfError(f".debug_frame entry at {off} runs past the section")
            if is_cie and pos + size > end:  # read a CIE whole
                buf, pos, end = stream.window_bytes(off, size)
                base = off - pos
            body = pos + head + idw
            if is_cie:
                cies.append((off, size))
                rest["CIEs"] += size
                cie_addr[off] = self._cie_addr(buf, body, min(end, pos + size))
            else:
                addr_size, seg = cie_addr.get(cie_id, (self.addr_default, 0))
                at = body + seg
                if at + addr_size > min(end, pos + size):
                    raise DwarfError(f".debug_frame FDE at {off} is shorter than its address")
                if addr_size == 8:
                    loc = u64.unpack_from(buf, at)[0]
                elif addr_size == 4:
                    loc = u32.unpack_from(buf, at)[0]
                else:
                    loc = int.from_bytes(buf[at : at + addr_size], _endian(order))
                offs.append(off)
                sizes.append(size)
                locs.append(loc)
                fde_bytes += size
            off += size
        stream.finish()
        self.use(sec, {}, rest, fde_bytes)
        return Frames(offs, sizes, locs, tuple(cies))

    def _fde_run(
        self,
        buf: bytes,
        pos: int,
        end: int,
        off: int,
        total: int,
        cie_addr: dict[int, tuple[int, int]],
        offs: array[int],
        sizes: array[int],
        locs: array[int],
    ) -> int:
        """Read the run of Go-shaped FDEs at ``buf[pos:end]``; return the bytes it spans.

        ``buf[pos]`` is at section offset ``off``; the section has ``total`` bytes. Each FDE
        of the run has a 32-bit ``length`` that is a multiple of 4, at least 4 +
        ``address_size``, and ends inside the section; its ``CIE_pointer`` names the same CIE
        as the first one's, a CIE without segment selector and with 4- or 8-byte addresses.
        Those are exactly the FDEs the entry-by-entry loop reads the same way, so the result
        is the same. The lengths are chained over the window viewed as 32-bit words (one
        Python step per FDE); the ``initial_location`` words are then gathered in bulk (with
        numpy when it pays). The run stops where an FDE's first 16 bytes leave the window.
        """
        n = (end - pos) >> 2
        if n < 4:
            return 0
        room = (total - off) >> 2
        words: Sequence[int]
        if self.order == ("<" if sys.byteorder == "little" else ">"):
            words = memoryview(buf)[pos : pos + 4 * n].cast("I")
        else:
            swapped = array("I", buf[pos : pos + 4 * n])
            swapped.byteswap()
            words = swapped
        cie = words[1]
        addr_size, seg = cie_addr.get(cie, (0, 0))
        if seg or addr_size not in (4, 8):
            return 0
        shortest = 4 + addr_size
        chain: list[int] = []
        add = chain.append
        q, last = 0, n - 3  # each step reads the words q … q + 3
        while q < last:
            length = words[q]
            if words[q + 1] != cie or length & 3 or length < shortest:
                break
            nxt = q + (length >> 2) + 1
            if nxt > room:
                break
            add(q)
            q = nxt
        if not chain:
            return 0
        # numpy only when already imported (the pclntab split loads it for large tables): a
        # run is at most a window, ~16k FDEs, too few to pay for its import (~0.1 s).
        use_numpy = "numpy" in sys.modules if self.numpy is None else self.numpy
        if use_numpy:
            try:
                self._gather_numpy(buf, pos, off, n, chain, addr_size, offs, sizes, locs)
                return 4 * q
            except ImportError:
                pass
        offs.extend([off + 4 * i for i in chain])
        sizes.extend([words[i] + 4 for i in chain])
        if addr_size == 4:
            locs.extend([words[i + 2] for i in chain])
        elif self.order == "<":
            locs.extend([words[i + 2] | words[i + 3] << 32 for i in chain])
        else:
            locs.extend([words[i + 2] << 32 | words[i + 3] for i in chain])
        return 4 * q

    def _gather_numpy(
        self,
        buf: bytes,
        pos: int,
        off: int,
        n: int,
        chain: list[int],
        addr_size: int,
        offs: array[int],
        sizes: array[int],
        locs: array[int],
    ) -> None:
        """Offsets, sizes and addresses of the FDEs at word indices ``chain`` from ``buf[pos]``
        (section offset ``off``)."""
        import numpy as np

        words = np.frombuffer(buf, dtype=self.order + "u4", count=n, offset=pos)
        at = np.array(chain, dtype=np.intp)
        u64 = np.uint64
        offs.frombytes((at.astype(u64) * u64(4) + u64(off)).tobytes())
        sizes.frombytes((words[at].astype(u64) + u64(4)).tobytes())
        low = words[at + 2].astype(u64)
        if addr_size == 8:
            high = words[at + 3].astype(u64)
            if self.order == ">":
                low, high = high, low
            low |= high << u64(32)
        locs.frombytes(low.tobytes())

    def _cie_addr(self, buf: Buffer, p: int, end: int) -> tuple[int, int]:
        """(address_size, segment_selector_size) of a CIE (DWARF 4+ give them, else default)."""
        if p >= end:
            return self.addr_default, 0
        version = buf[p]
        if version < 4:
            return self.addr_default, 0
        nul = _find_nul(buf, p + 1, end, short=False)
        if nul + 2 >= end:
            return self.addr_default, 0
        addr_size, seg = buf[nul + 1], buf[nul + 2]
        return (addr_size if addr_size in (1, 2, 4, 8) else self.addr_default), seg

    # .debug_addr, .debug_rnglists, .debug_ranges ----------------------------------------------

    def _by_offsets(
        self, units: list[Unit], kind: str, refs: list[int | None], headers: bool
    ) -> None:
        """Split a section of per-unit contributions at the offsets units refer to."""
        sec = self.decodable(kind)
        if sec is None:
            return
        first: dict[int, int] = {}
        for i, ref in enumerate(refs):
            if ref is not None and 0 <= ref <= sec.size:
                first.setdefault(ref, i)
        if not first:
            return
        spans: list[tuple[int, int]] = []
        if headers:
            stream = _Stream(self.data, sec)
            off = 0
            while off < sec.size:
                buf, pos, end = stream.window(off, 16)
                try:
                    size = _initial_length(buf, pos, end, self.order)[0]
                except (_ShortError, DwarfError):
                    return  # not a sequence of contributions: leave the section whole
                if off + size > sec.size or size == 4:
                    return
                spans.append((off, off + size))
                off += size
            stream.finish()
        else:
            spans.append((0, sec.size))
        owned: dict[int, int] = {}
        rest = {"headers": 0, "unreferenced": 0}
        # Each referred offset to the contribution holding it (the end of the last one counts:
        # a unit with an empty list at the very end).
        starts = [a for a, _ in spans]
        inside: dict[int, list[int]] = {}
        for ref in sorted(first):
            k = bisect_right(starts, ref) - 1
            if k < 0 or (ref >= spans[k][1] and ref != sec.size):
                continue
            inside.setdefault(k, []).append(ref)
        for k, (start, stop) in enumerate(spans):
            refs_in = inside.get(k, [])
            owners = {first[r] for r in refs_in}
            if not owners:
                rest["unreferenced"] += stop - start
            elif len(owners) == 1:
                idx = owners.pop()
                owned[idx] = owned.get(idx, 0) + stop - start
            else:
                rest["headers"] += refs_in[0] - start
                for j, ref in enumerate(refs_in):
                    nxt = refs_in[j + 1] if j + 1 < len(refs_in) else stop
                    owned[first[ref]] = owned.get(first[ref], 0) + nxt - ref
        self.use(sec, owned, rest)

    # .debug_aranges -------------------------------------------------------------------------

    def _aranges(self, units: list[Unit]) -> None:
        sec = self.decodable(".debug_aranges")
        if sec is None or not units:
            return
        by_offset = {u.offset: i for i, u in enumerate(units)}
        stream = _Stream(self.data, sec)
        owned: dict[int, int] = {}
        rest = {"unreferenced": 0}
        off = 0
        while off < sec.size:
            buf, pos, end = stream.window(off, 32)
            try:
                size, off_size, head = _initial_length(buf, pos, end, self.order)
            except (_ShortError, DwarfError):
                return
            if off + size > sec.size or pos + head + 2 + off_size > end:
                return
            word = self.order + ("Q" if off_size == 8 else "I")
            info = struct.unpack_from(word, buf, pos + head + 2)[0]
            idx = by_offset.get(info)
            if idx is None:
                rest["unreferenced"] += size
            else:
                owned[idx] = owned.get(idx, 0) + size
            off += size
        stream.finish()
        self.use(sec, owned, rest)


def _int(got: tuple[int, int | bytes] | None) -> int | None:
    if got is None or isinstance(got[1], bytes):
        return None
    return got[1]


def _endian(order: str) -> Literal["little", "big"]:
    return "little" if order == "<" else "big"


def _find_nul(buf: Buffer, p: int, end: int, short: bool = True) -> int:
    if isinstance(buf, memoryview):
        found = bytes(buf[p:end]).find(b"\0")
        nul = p + found if found >= 0 else -1
    else:
        nul = buf.find(b"\0", p, end)
    if nul < 0:
        if short:
            raise _ShortError
        return end
    return nul


def read_dwarf(
    data: Buffer, layout: Layout, *, bulk: bool = True, numpy: bool | None = None
) -> Dwarf | None:
    """The DWARF of the file: units, frame entries and how every section divides up.

    None when the file has no DWARF sections; raises :class:`DwarfError` when they are corrupt.
    ``bulk=False`` reads every FDE entry by entry and everything on this thread (the reference
    the fast paths are tested against); ``numpy`` forces (True) or forbids (False) gathering
    FDE words with numpy, by default used when it is already imported.
    """
    try:
        reader = _Reader(data, layout, bulk, numpy)
        if not reader.sections:
            return None
        return reader.read()
    except _ShortError:
        raise DwarfError("DWARF data is truncated") from None
    except (struct.error, IndexError, ValueError, OverflowError, MemoryError) as exc:
        raise DwarfError(f"DWARF is corrupt: {exc}") from None

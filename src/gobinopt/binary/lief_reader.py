"""PE and Mach-O reader: every byte of a Windows or macOS executable attributed, via LIEF.

This is the only module that imports :mod:`lief`, and it imports it lazily (inside
:meth:`LiefReader.read`) so the CLI starts fast. LIEF parses the structures (PE section table and
imports, Mach-O load commands, segments, sections and libraries); a few fixed-layout fields are
read straight from the mapped file with ``struct`` because that is simpler, safer or much
faster (the e_lfanew chain, the COFF and Mach-O symbol table fields, ``.zdebug`` headers, the fat
header).

Symbol tables: LIEF would decode every symbol into an object, which is two thirds of its run
time on a Go binary and tells us nothing we need. LIEF is therefore handed a copy in which the
PE ``PointerToSymbolTable``/``NumberOfSymbols`` and the Mach-O ``LC_SYMTAB`` ``nsyms`` are
zeroed; the tables' extents come from the real header fields, and PE long section names
(``/4`` → ``.zdebug_abbrev``; LIEF's ``Section.coff_string`` resolves them only when it parses
the symbol table) are looked up in the COFF string table here.

Robustness: before LIEF sees a byte, a bounded pre-flight walk checks every count that drives a
loop or an allocation (PE NumberOfSections / NumberOfSymbols, Mach-O ncmds / sizeofcmds /
nsects / nsyms) against the file size; counts LIEF would follow past the end of the file are
either rejected (:class:`BinaryFormatError`) or, where the loader itself ignores the field (the
PE COFF symbol table pointer, which UPX leaves dangling), noted and ignored.
Every offset and size taken from LIEF is checked against the file again before it becomes a
part. LIEF's own logging is disabled and its Python warnings (unknown enum values) suppressed.

Parsing copies the file once, into LIEF's own buffer: LIEF reads from a small :class:`io.RawIOBase`
over the memory map (``readinto`` straight into LIEF's vector), never from a Python list.

Layout conventions:

* PE: ``DOS header``, ``DOS stub``, ``PE headers`` (signature + COFF header + optional header
  with its data directories) are HEADER parts, ``section table`` is a TABLE part; each section is
  a SECTION part of ``SizeOfRawData`` bytes at ``PointerToRawData`` with ``mem_size`` =
  ``VirtualSize`` and ``address`` = ImageBase + VirtualAddress. The COFF symbol table and string
  table are TABLE parts (``COFF symbol table``, ``COFF string table``, Category.SYMBOLS). Go wraps
  both in a section named ``.symtab``; that section is then represented by the two tables (plus
  the padding to its FileAlignment-rounded size) rather than by a ``.symtab`` SECTION part. The
  Authenticode ``certificate table`` is a TABLE part; data after the last section / table is
  ``overlay``. ``Layout.segments`` is empty for PE (sections are what the loader maps).
* Mach-O: ``Mach-O header and load commands`` is one HEADER part; each section is a SECTION part
  under its plain name (``__gopclntab``, ``__zdebug_info``; zerofill sections such as ``__bss``
  have ``file_size == 0``); the ``__LINKEDIT`` blobs are TABLE parts (``symbol table``,
  ``string table``, ``indirect symbol table``, ``rebase info``, ``binding info``,
  ``chained fixups``, ``exports trie``, ``function starts``, ``code signature``, …). Segments are
  ``Layout.segments`` (kind = segment name), so padding inside them is a SEGMENT_GAP. A universal
  (fat) file reports its first slice; the ``fat header`` and every other slice (one TABLE part
  ``slice <arch>``) are accounted so the parts still tile the whole file.
"""

from __future__ import annotations

import io
import mmap
import struct
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gobinopt.binary.categories import categorize
from gobinopt.binary.interface import (
    BinaryFormatError,
    Category,
    Format,
    Layout,
    Part,
    PartKind,
    Segment,
)
from gobinopt.binary.tiling import tile

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

Data = bytes | bytearray | memoryview | mmap.mmap

# -- PE constants ----------------------------------------------------------------------------

PE_MACHINES = {
    0x014C: "I386",
    0x8664: "AMD64",
    0xAA64: "ARM64",
    0x01C0: "ARM",
    0x01C4: "ARMNT",
    0x0200: "IA64",
    0x5032: "RISCV32",
    0x5064: "RISCV64",
    0x6264: "LOONGARCH64",
}
IMAGE_FILE_DLL = 0x2000
IMAGE_SCN_MEM_EXECUTE = 0x20000000
IMAGE_SCN_MEM_READ = 0x40000000
IMAGE_SCN_MEM_WRITE = 0x80000000
PE32_MAGIC = 0x10B
PE32PLUS_MAGIC = 0x20B
COFF_SYMBOL_SIZE = 18
SECTION_HEADER_SIZE = 40
IMAGE_DIRECTORY_ENTRY_SECURITY = 4

# -- Mach-O constants ------------------------------------------------------------------------

#: First four bytes of a thin Mach-O file → (bits, little endian).
MACHO_MAGICS = {
    b"\xcf\xfa\xed\xfe": (64, True),
    b"\xfe\xed\xfa\xcf": (64, False),
    b"\xce\xfa\xed\xfe": (32, True),
    b"\xfe\xed\xfa\xce": (32, False),
}
#: Fat header magic → size of one fat_arch entry.
FAT_MAGICS = {b"\xca\xfe\xba\xbe": 20, b"\xca\xfe\xba\xbf": 32}
CPU_ARCH_ABI64 = 0x01000000
CPU_ARCH_ABI64_32 = 0x02000000
#: cputype → (Mach-O constant name, lipo's arch name).
MACHO_CPUS = {
    7: ("X86", "i386"),
    7 | CPU_ARCH_ABI64: ("X86_64", "x86_64"),
    12: ("ARM", "arm"),
    12 | CPU_ARCH_ABI64: ("ARM64", "arm64"),
    12 | CPU_ARCH_ABI64_32: ("ARM64_32", "arm64_32"),
    18: ("POWERPC", "ppc"),
    18 | CPU_ARCH_ABI64: ("POWERPC64", "ppc64"),
}
MACHO_FILETYPES = {
    1: "relocatable",
    2: "executable",
    3: "fixed VM shared library",
    4: "core",
    5: "preloaded executable",
    6: "shared object",
    7: "dynamic linker",
    8: "bundle",
    9: "shared library stub",
    10: "debug symbols",
    11: "kext bundle",
    12: "fileset",
}
LC_SEGMENT = 0x1
LC_SYMTAB = 0x2
LC_DYSYMTAB = 0xB
LC_SEGMENT_64 = 0x19
LC_REQ_DYLD = 0x80000000
LC_DYLD_INFO = 0x22
LC_DYLD_INFO_ONLY = 0x22 | LC_REQ_DYLD
#: LINKEDIT_DATA load commands → (part name, category).
LINKEDIT_DATA = {
    0x1D: ("code signature", Category.OTHER),
    0x1E: ("segment split info", Category.OTHER),
    0x26: ("function starts", Category.SYMBOLS),
    0x29: ("data in code", Category.OTHER),
    0x2B: ("code signing DRs", Category.OTHER),
    0x2E: ("linker optimization hint", Category.OTHER),
    0x33 | LC_REQ_DYLD: ("exports trie", Category.DYNAMIC),
    0x34 | LC_REQ_DYLD: ("chained fixups", Category.DYNAMIC),
    0x36: ("atom info", Category.OTHER),
    0x37: ("function variants", Category.OTHER),
    0x38: ("function variant fixups", Category.OTHER),
}
SECTION_TYPE_MASK = 0xFF
S_ZEROFILL = 0x1
S_GB_ZEROFILL = 0xC
S_THREAD_LOCAL_ZEROFILL = 0x12
ZEROFILL_TYPES = frozenset({S_ZEROFILL, S_GB_ZEROFILL, S_THREAD_LOCAL_ZEROFILL})
#: More fat slices than this is not a real universal binary (Java class files share the magic).
MAX_FAT_ARCHS = 64


class LiefReader:
    """The PE and Mach-O backend of the binary seam."""

    def read(self, path: str, data: Data) -> Layout:
        """Parse ``data`` (the whole file) into a Layout whose file parts tile the file exactly.

        Raises :class:`BinaryFormatError` for anything that is not a readable PE or Mach-O file;
        no other exception escapes.
        """
        head = bytes(data[:4])
        try:
            with warnings.catch_warnings():
                # LIEF turns unknown enum values into ints with a RuntimeWarning on stderr.
                warnings.simplefilter("ignore")
                if head[:2] == b"MZ":
                    return _PeParse(path, data).layout()
                if head in MACHO_MAGICS:
                    return _read_thin_macho(path, data)
                if head in FAT_MAGICS:
                    return _read_fat_macho(path, data)
        except BinaryFormatError:
            raise
        except Exception as exc:  # LIEF and corrupt input raise assorted types; none may escape
            reason = str(exc).splitlines()[0] if str(exc) else ""
            raise BinaryFormatError(
                f"{path}: cannot read the file's headers ({type(exc).__name__}"
                + (f": {reason}" if reason else "")
                + "); truncated or corrupt"
            ) from None
        raise BinaryFormatError(f"{path}: not a PE or Mach-O file")


# -- LIEF access -----------------------------------------------------------------------------


def _lief() -> Any:
    """Import LIEF on first use and silence its logger (it writes to stderr otherwise)."""
    import lief

    lief.logging.disable()
    return lief


class _BufferIO(io.RawIOBase):
    """A read-only file object over a buffer, so LIEF copies the bytes once into its own vector.

    ``patches`` overwrite ranges in the copy LIEF receives (never the file itself): the symbol
    table fields LIEF should not decode (see the module docstring).
    """

    def __init__(self, view: memoryview, patches: dict[int, bytes] | None = None) -> None:
        super().__init__()
        self._view = view
        self._pos = 0
        self._patches = patches or {}

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._pos = offset
        elif whence == io.SEEK_CUR:
            self._pos += offset
        else:
            self._pos = len(self._view) + offset
        self._pos = max(0, self._pos)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer: WriteableBuffer) -> int:
        with memoryview(buffer) as out, out.cast("B") as dst:
            start = min(self._pos, len(self._view))
            n = min(len(dst), len(self._view) - start)
            dst[:n] = self._view[start : start + n]
            for at, raw in self._patches.items():
                if start <= at and at + len(raw) <= start + n:
                    dst[at - start : at - start + len(raw)] = raw
        self._pos = start + n
        return n

    def close(self) -> None:
        # Drop the reference to the caller's buffer: LIEF may keep this object alive, and a
        # memory map cannot be closed while a view of it exists.
        self._view = memoryview(b"")
        super().close()


def _lief_parse(module: Any, view: memoryview, config: Any, patches: dict[int, bytes]) -> Any:
    stream = _BufferIO(view, patches)
    try:
        return module.parse(stream, config)
    finally:
        stream.close()


# -- shared helpers --------------------------------------------------------------------------


def _u(fmt: str, data: Data, offset: int) -> tuple[int, ...]:
    return struct.unpack_from(fmt, data, offset)


def _zdebug_size(name: str, data: Data, offset: int, size: int) -> int | None:
    """The inflated size of a Go ``.zdebug_*`` section ("ZLIB" + 8-byte big-endian size)."""
    bare = name.lstrip("._")
    if bare.startswith("zdebug") and size >= 12 and bytes(data[offset : offset + 4]) == b"ZLIB":
        return int(_u(">Q", data, offset + 4)[0])
    return None


def _rwx(read: bool, write: bool, execute: bool) -> str:
    return ("R" if read else "-") + ("W" if write else "-") + ("X" if execute else "-")


def _past_end(
    path: str, what: str, offset: int, size: int, limit: int, of: str = "the file"
) -> BinaryFormatError:
    return BinaryFormatError(
        f"{path}: {what} (offset {offset}, {size} bytes) extends past the end of {of} "
        f"({limit} bytes); truncated or corrupt"
    )


def _text(obj: Any, attr: str = "name") -> str:
    """A string attribute of a LIEF object, whatever bytes the file holds there.

    LIEF raises UnicodeDecodeError for names that are not UTF-8 (Mach-O) or hands back
    ``bytes`` (PE); both become text with replacement characters.
    """
    try:
        value = getattr(obj, attr)
    except UnicodeDecodeError as exc:
        value = exc.object
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).split(b"\0", 1)[0].decode("utf-8", "replace")
    return str(value)


def _enum_int(value: Any) -> int:
    """A LIEF enum member's number (LIEF hands back a plain int for values it does not know)."""
    return int(getattr(value, "value", value))


# -- PE --------------------------------------------------------------------------------------


class _PeParse:
    """One parse of one PE file."""

    def __init__(self, path: str, data: Data) -> None:
        self.path = path
        self.data = data
        self.size = len(data)
        self.notes: list[str] = []

    def _preflight(self) -> dict[int, bytes]:
        path, size, data = self.path, self.size, self.data
        if size < 64:
            raise BinaryFormatError(f"{path}: truncated DOS header ({size} bytes, need 64)")
        (self.e_lfanew,) = _u("<I", data, 0x3C)
        if self.e_lfanew + 24 > size:
            raise BinaryFormatError(
                f"{path}: PE header offset e_lfanew={self.e_lfanew} lies past the end of the file "
                f"({size} bytes); truncated, or an MS-DOS executable"
            )
        if bytes(data[self.e_lfanew : self.e_lfanew + 4]) != b"PE\0\0":
            raise BinaryFormatError(
                f"{path}: no PE signature at e_lfanew={self.e_lfanew}; an MS-DOS executable "
                "or a corrupt file"
            )
        coff = self.e_lfanew + 4
        (
            self.machine,
            self.nsections,
            _timestamp,
            self.ptr_symtab,
            self.nsymbols,
            self.size_opt,
            self.characteristics,
        ) = _u("<HHIIIHH", data, coff)
        self.opt_off = coff + 20
        if self.size_opt < 2 or self.opt_off + self.size_opt > size:
            raise BinaryFormatError(
                f"{path}: optional header ({self.size_opt} bytes at offset {self.opt_off}) is "
                f"missing or extends past the end of the file ({size} bytes)"
            )
        (magic,) = _u("<H", data, self.opt_off)
        if magic not in (PE32_MAGIC, PE32PLUS_MAGIC):
            raise BinaryFormatError(
                f"{path}: unknown optional header magic 0x{magic:x} (0x10b or 0x20b expected)"
            )
        self.bits = 64 if magic == PE32PLUS_MAGIC else 32
        self.sect_off = self.opt_off + self.size_opt
        sect_size = SECTION_HEADER_SIZE * self.nsections
        if self.sect_off + sect_size > size:
            raise _past_end(path, "section table", self.sect_off, sect_size, size)

        # The loader ignores the COFF symbol table (UPX even leaves the pointer dangling), and
        # LIEF's parse of it is two thirds of its run time: LIEF gets a copy with the pointer and
        # count zeroed, and the tables (and the long section names in the string table) are
        # read here.
        patches = {coff + 8: b"\0" * 8}
        self.symtab: tuple[int, int, int] | None = None  # offset, symbol bytes, string bytes
        if self.ptr_symtab:
            sym_bytes = COFF_SYMBOL_SIZE * self.nsymbols
            str_off = self.ptr_symtab + sym_bytes
            if str_off + 4 <= size:
                (str_len,) = _u("<I", data, str_off)
                if str_len < 4 or str_off + str_len > size:
                    self.notes.append(
                        f"COFF string table length {str_len} at offset {str_off} is corrupt "
                        "or runs past the end of the file; counted as its 4-byte length field"
                    )
                    str_len = 4
                self.symtab = (self.ptr_symtab, sym_bytes, str_len)
            else:
                self.notes.append(
                    f"COFF symbol table (PointerToSymbolTable={self.ptr_symtab}, "
                    f"NumberOfSymbols={self.nsymbols}) lies past the end of the file; ignored"
                )
        return patches

    def _long_name(self, name: str) -> str:
        """Resolve a ``/123`` section name through the COFF string table (Go's ``.debug_*``)."""
        if not (name.startswith("/") and name[1:].isdigit()):
            return name
        index = int(name[1:])
        if self.symtab is None or not 4 <= index < self.symtab[2]:
            self.notes.append(f"section name {name} points outside the COFF string table")
            return name
        start = self.symtab[0] + self.symtab[1] + index
        stop = self.symtab[0] + self.symtab[1] + self.symtab[2]
        raw = bytes(self.data[start : min(stop, start + 256)]).split(b"\0", 1)[0]
        return raw.decode("utf-8", "replace") or name

    def _parse(self, patches: dict[int, bytes]) -> Any:
        lief = _lief()
        config = lief.PE.ParserConfig()
        config.parse_imports = True  # for Layout.needed
        config.parse_exports = False
        config.parse_reloc = False
        config.parse_rsrc = False
        config.parse_signature = False
        config.parse_exceptions = False
        config.parse_arm64x_binary = False
        with memoryview(self.data) as view:
            binary = _lief_parse(lief.PE, view, config, patches)
        if binary is None:
            raise BinaryFormatError(f"{self.path}: not a valid PE file (LIEF rejected its headers)")
        return binary

    def layout(self) -> Layout:
        patches = self._preflight()
        binary = self._parse(patches)
        path, size, data = self.path, self.size, self.data
        oh = binary.optional_header
        imagebase = int(oh.imagebase)
        sizeof_headers = int(oh.sizeof_headers)

        parts: list[Part] = [Part("DOS header", PartKind.HEADER, Category.HEADERS, 0, 64)]
        if self.e_lfanew > 64:
            parts.append(
                Part("DOS stub", PartKind.HEADER, Category.HEADERS, 64, self.e_lfanew - 64)
            )
        parts.append(
            Part(
                "PE headers",
                PartKind.HEADER,
                Category.HEADERS,
                self.e_lfanew,
                self.sect_off - self.e_lfanew,
            )
        )
        if self.nsections:
            parts.append(
                Part(
                    "section table",
                    PartKind.TABLE,
                    Category.HEADERS,
                    self.sect_off,
                    SECTION_HEADER_SIZE * self.nsections,
                )
            )
        loads: list[Segment] = [
            Segment("headers", 0, min(sizeof_headers, size), imagebase, sizeof_headers, "R--")
        ]

        sections = list(binary.sections)
        if len(sections) != self.nsections:
            self.notes.append(
                f"the COFF header declares {self.nsections} sections, LIEF read {len(sections)}"
            )
        symtab_parts = self._symtab_parts()
        names: list[str] = []
        content_end = max(p.end for p in parts)
        for sec in sections:
            name = self._long_name(_text(sec))
            names.append(name)
            raw_off = int(sec.pointerto_raw_data)
            raw_size = int(sec.sizeof_raw_data)
            vsize = int(sec.virtual_size)
            chars = int(sec.characteristics)
            flags = _rwx(
                bool(chars & IMAGE_SCN_MEM_READ),
                bool(chars & IMAGE_SCN_MEM_WRITE),
                bool(chars & IMAGE_SCN_MEM_EXECUTE),
            )
            address = imagebase + int(sec.virtual_address)
            if raw_size and raw_off + raw_size > size:
                raise _past_end(path, f"section {name}", raw_off, raw_size, size)
            if raw_size:
                content_end = max(content_end, raw_off + raw_size)
                loads.append(Segment(f"section {name}", raw_off, raw_size, address, vsize, flags))
            if raw_size and symtab_parts and _contains(raw_off, raw_size, symtab_parts):
                # Go's ".symtab" section: the COFF symbol and string tables, reported as such.
                continue
            parts.append(
                Part(
                    name=name,
                    kind=PartKind.SECTION,
                    category=categorize(name),
                    offset=raw_off if raw_size else 0,
                    file_size=raw_size,
                    mem_size=vsize,
                    address=address,
                    flags=flags,
                    uncompressed_size=_zdebug_size(name, data, raw_off, raw_size),
                )
            )
        parts.extend(symtab_parts)
        content_end = max([content_end, *(p.end for p in symtab_parts)])

        cert = self._certificate_table()
        if cert is not None:
            parts.append(cert)
        overlay_end = cert.offset if cert is not None and cert.offset >= content_end else size
        if content_end < overlay_end:
            parts.append(
                Part(
                    "overlay",
                    PartKind.OVERLAY,
                    Category.OTHER,
                    content_end,
                    overlay_end - content_end,
                )
            )

        needed = tuple(_text(imp) for imp in binary.imports)
        packer = "UPX" if {"UPX0", "UPX1"} & set(names) else None
        tiled = tile(parts, size, loads, self.notes)
        return Layout(
            path=path,
            format=Format.PE,
            file_size=size,
            machine=PE_MACHINES.get(self.machine, f"machine 0x{self.machine:04x}"),
            bits=self.bits,
            little_endian=True,
            file_type="dll" if self.characteristics & IMAGE_FILE_DLL else "executable",
            parts=tuple(tiled),
            segments=(),
            needed=needed,
            packer=packer,
            notes=tuple(self.notes),
        )

    def _symtab_parts(self) -> list[Part]:
        if self.symtab is None:
            return []
        offset, sym_bytes, str_len = self.symtab
        out: list[Part] = []
        if sym_bytes:
            out.append(
                Part("COFF symbol table", PartKind.TABLE, Category.SYMBOLS, offset, sym_bytes)
            )
        out.append(
            Part(
                "COFF string table",
                PartKind.TABLE,
                Category.SYMBOLS,
                offset + sym_bytes,
                str_len,
            )
        )
        return out

    def _certificate_table(self) -> Part | None:
        """The Authenticode table: data directory 4, whose "RVA" is a file offset."""
        dirs_off = self.opt_off + (112 if self.bits == 64 else 96)
        count_off = dirs_off - 4
        if count_off + 4 > self.opt_off + self.size_opt:
            return None
        (count,) = _u("<I", self.data, count_off)
        entry = dirs_off + 8 * IMAGE_DIRECTORY_ENTRY_SECURITY
        if count <= IMAGE_DIRECTORY_ENTRY_SECURITY or entry + 8 > self.opt_off + self.size_opt:
            return None
        offset, length = _u("<II", self.data, entry)
        if not offset or not length:
            return None
        if offset + length > self.size:
            self.notes.append(
                f"certificate table (offset {offset}, {length} bytes) runs past the end of the "
                "file; ignored"
            )
            return None
        return Part("certificate table", PartKind.TABLE, Category.OTHER, offset, length)


def _contains(offset: int, size: int, parts: list[Part]) -> bool:
    return all(offset <= p.offset and p.end <= offset + size for p in parts)


# -- Mach-O ----------------------------------------------------------------------------------


@dataclass
class _Thin:
    """What one thin Mach-O (a whole file or a fat slice) contributes to the layout."""

    parts: list[Part]
    segments: list[Segment]
    machine: str
    bits: int
    little_endian: bool
    file_type: str
    interpreter: str | None
    needed: tuple[str, ...]
    notes: list[str] = field(default_factory=list)


def _read_thin_macho(path: str, data: Data) -> Layout:
    size = len(data)
    thin = _macho_slice(path, data, 0, size)
    return _macho_layout(path, size, thin, [], thin.notes)


def _read_fat_macho(path: str, data: Data) -> Layout:
    size = len(data)
    entsize = FAT_MAGICS[bytes(data[:4])]
    if size < 8:
        raise BinaryFormatError(f"{path}: truncated Mach-O universal (fat) header")
    (nfat,) = _u(">I", data, 4)
    header_size = 8 + nfat * entsize
    if nfat == 0 or nfat > MAX_FAT_ARCHS or header_size > size:
        raise BinaryFormatError(
            f"{path}: not a Mach-O universal binary (fat header claims {nfat} architectures)"
        )
    slices: list[tuple[int, int, int]] = []  # cputype, offset, size
    for i in range(nfat):
        at = 8 + i * entsize
        if entsize == 20:
            cputype, _sub, offset, length, _align = _u(">iiIII", data, at)
        else:
            cputype, _sub, offset, length, _align, _res = _u(">iiQQII", data, at)
        if offset < header_size or offset + length > size or length == 0:
            raise BinaryFormatError(
                f"{path}: fat slice {i} (offset {offset}, {length} bytes) lies outside the file "
                f"({size} bytes); truncated or not a Mach-O universal binary"
            )
        slices.append((cputype & 0xFFFFFFFF, offset, length))
    _cpu, first_off, first_len = slices[0]
    if bytes(data[first_off : first_off + 4]) not in MACHO_MAGICS:
        raise BinaryFormatError(f"{path}: fat slice 0 at offset {first_off} is not a Mach-O file")
    thin = _macho_slice(path, data, first_off, first_len)
    arches = [_arch_name(cpu) for cpu, _o, _l in slices]
    notes = [
        f"universal binary with {nfat} architectures ({', '.join(arches)}); "
        f"reporting the first, {arches[0]}",
        *thin.notes,
    ]
    extra = [Part("fat header", PartKind.HEADER, Category.HEADERS, 0, header_size)]
    extra.extend(
        Part(f"slice {_arch_name(cpu)}", PartKind.TABLE, Category.OTHER, offset, length)
        for cpu, offset, length in slices[1:]
    )
    return _macho_layout(path, size, thin, extra, notes)


def _arch_name(cputype: int) -> str:
    return MACHO_CPUS.get(cputype, ("", f"cputype 0x{cputype:x}"))[1]


def _macho_layout(path: str, size: int, thin: _Thin, extra: list[Part], notes: list[str]) -> Layout:
    loads = [seg for seg in thin.segments if seg.file_size]
    tiled = tile(thin.parts + extra, size, loads, notes)
    return Layout(
        path=path,
        format=Format.MACHO,
        file_size=size,
        machine=thin.machine,
        bits=thin.bits,
        little_endian=thin.little_endian,
        file_type=thin.file_type,
        parts=tuple(tiled),
        segments=tuple(thin.segments),
        interpreter=thin.interpreter,
        needed=thin.needed,
        notes=tuple(notes),
    )


class _MachoPreflight:
    """Bounded walk of the header and load commands; rejects counts that run off the slice."""

    def __init__(self, path: str, data: Data, base: int, length: int) -> None:
        self.path = path
        self.base = base
        #: What the bounds are, for messages: a fat slice's tables must stay inside the slice.
        self.of = "the file" if base == 0 and length == len(data) else "its fat slice"
        magic = bytes(data[base : base + 4])
        self.bits, self.little = MACHO_MAGICS[magic]
        e = "<" if self.little else ">"
        self.header_size = 32 if self.bits == 64 else 28
        if length < self.header_size:
            raise BinaryFormatError(
                f"{path}: truncated Mach-O header ({length} bytes, need {self.header_size})"
            )
        (
            _magic,
            self.cputype,
            _subtype,
            self.filetype,
            ncmds,
            sizeofcmds,
            _flags,
        ) = _u(e + "IIIIIII", data, base)
        cmds_end = self.header_size + sizeofcmds
        if cmds_end > length:
            raise _past_end(
                path, "load commands", base + self.header_size, sizeofcmds, length, self.of
            )
        if ncmds * 8 > sizeofcmds:
            raise BinaryFormatError(
                f"{path}: corrupt Mach-O header ({ncmds} load commands cannot fit in "
                f"sizeofcmds={sizeofcmds})"
            )
        self.cmds_end = cmds_end
        #: LC_SYMTAB extents (symoff, symbol bytes, stroff, strsize), slice-relative.
        self.symtabs: list[tuple[int, int, int, int]] = []
        self.patches: dict[int, bytes] = {}
        self.nsects = 0
        seg_hdr, sect_size, nlist = (72, 80, 16) if self.bits == 64 else (56, 68, 12)
        at = self.header_size
        for i in range(ncmds):
            cmd, cmdsize = _u(e + "II", data, base + at)
            if cmdsize < 8 or at + cmdsize > cmds_end:
                raise BinaryFormatError(
                    f"{path}: load command {i} (cmd 0x{cmd:x}, cmdsize {cmdsize}) is corrupt "
                    "or runs past the load commands"
                )
            body = base + at
            if cmd in (LC_SEGMENT, LC_SEGMENT_64):
                if cmdsize < seg_hdr:
                    raise BinaryFormatError(f"{path}: load command {i} is a truncated segment")
                (nsects,) = _u(e + "I", data, body + seg_hdr - 8)
                self.nsects += nsects
                if seg_hdr + nsects * sect_size > cmdsize:
                    raise BinaryFormatError(
                        f"{path}: segment load command {i} claims {nsects} sections but has "
                        f"room for {(cmdsize - seg_hdr) // sect_size}"
                    )
            elif cmd == LC_SYMTAB and cmdsize >= 24:
                symoff, nsyms, stroff, strsize = _u(e + "IIII", data, body + 8)
                self._table("symbol table", symoff, nsyms * nlist, length)
                self._table("string table", stroff, strsize, length)
                self.symtabs.append((symoff, nsyms * nlist, stroff, strsize))
                self.patches[at + 12] = b"\0" * 4  # nsyms, in LIEF's copy only
            elif cmd == LC_DYSYMTAB and cmdsize >= 80:
                f = _u(e + "18I", data, body + 8)
                # (offset, count) pairs from field 6 on: tocoff/ntoc, modtaboff/nmodtab,
                # extrefsymoff/nextrefsyms, indirectsymoff/nindirectsyms, extreloff/nextrel,
                # locreloff/nlocrel.
                modsize = 56 if self.bits == 64 else 52
                tables = ((6, 8), (8, modsize), (10, 4), (12, 4), (14, 8), (16, 8))
                for index, entsize in tables:
                    off, count = f[index], f[index + 1]
                    self._table("dynamic symbol table", off, count * entsize, length)
            at += cmdsize

    def _table(self, what: str, offset: int, size: int, length: int) -> None:
        if size and offset + size > length:
            raise _past_end(self.path, what, self.base + offset, size, length, self.of)


def _macho_slice(path: str, data: Data, base: int, length: int) -> _Thin:
    pre = _MachoPreflight(path, data, base, length)
    lief = _lief()
    config = lief.MachO.ParserConfig()
    config.parse_dyld_exports = False
    config.parse_dyld_bindings = False
    config.parse_dyld_rebases = False
    with memoryview(data) as whole, whole[base : base + length] as view:
        fat = _lief_parse(lief.MachO, view, config, pre.patches)
    if fat is None or int(fat.size) < 1:
        raise BinaryFormatError(f"{path}: not a valid Mach-O file (LIEF rejected its headers)")
    binary = fat.at(0)
    if binary is None:
        raise BinaryFormatError(f"{path}: not a valid Mach-O file (LIEF rejected its headers)")
    return _MachoSlice(path, data, base, length, pre).build(binary)


class _MachoSlice:
    """Parts of one thin Mach-O at ``base`` in the file, from LIEF's view of it."""

    def __init__(self, path: str, data: Data, base: int, length: int, pre: _MachoPreflight):
        self.path = path
        self.data = data
        self.base = base
        self.length = length
        self.pre = pre
        self.parts: list[Part] = []

    def _table(self, name: str, category: Category, offset: int, size: int) -> None:
        """A __LINKEDIT blob at slice-relative ``offset``; empty ones are skipped."""
        if not size:
            return
        if offset + size > self.length:
            raise _past_end(self.path, name, self.base + offset, size, self.length, self.pre.of)
        self.parts.append(Part(name, PartKind.TABLE, category, self.base + offset, size))

    def build(self, binary: Any) -> _Thin:
        path, base, length = self.path, self.base, self.length
        self.parts.append(
            Part(
                "Mach-O header and load commands",
                PartKind.HEADER,
                Category.HEADERS,
                base,
                self.pre.cmds_end,
            )
        )
        segments: list[Segment] = []
        for seg in binary.segments:
            seg_name = _text(seg)
            seg_off = int(seg.file_offset)
            seg_size = int(seg.file_size)
            if seg_size and seg_off + seg_size > length:
                raise _past_end(
                    path, f"segment {seg_name}", base + seg_off, seg_size, length, self.pre.of
                )
            prot = int(seg.init_protection)
            flags = _rwx(bool(prot & 1), bool(prot & 2), bool(prot & 4))
            vsize = int(seg.virtual_size)
            segments.append(
                Segment(
                    kind=seg_name,
                    offset=base + seg_off if seg_size else 0,
                    file_size=seg_size,
                    address=int(seg.virtual_address),
                    mem_size=vsize,
                    flags=flags,
                )
            )
            for sec in seg.sections:
                self._section(sec, seg_off, seg_size, vsize, flags)
        self._linkedit(binary)
        notes: list[str] = []
        read = sum(1 for p in self.parts if p.kind is PartKind.SECTION)
        if read != self.pre.nsects:
            notes.append(f"the load commands declare {self.pre.nsects} sections, LIEF read {read}")
        cpu = self.pre.cputype
        return _Thin(
            parts=self.parts,
            segments=segments,
            machine=MACHO_CPUS.get(cpu, (f"cputype 0x{cpu:x}", ""))[0],
            bits=self.pre.bits,
            little_endian=self.pre.little,
            file_type=MACHO_FILETYPES.get(self.pre.filetype, f"filetype {self.pre.filetype}"),
            interpreter=_text(binary.dylinker) if binary.has_dylinker else None,
            needed=tuple(_text(lib) for lib in binary.libraries),
            notes=notes,
        )

    def _section(self, sec: Any, seg_off: int, seg_size: int, seg_vsize: int, flags: str) -> None:
        name = _text(sec)
        size = int(sec.size)
        offset = int(sec.offset)
        address = int(sec.virtual_address)
        sec_type = _enum_int(sec.type) & SECTION_TYPE_MASK
        if sec_type in ZEROFILL_TYPES or not seg_size:
            self.parts.append(
                Part(
                    name,
                    PartKind.SECTION,
                    categorize(name),
                    self.base + seg_off + seg_size,
                    0,
                    mem_size=size,
                    address=address,
                    flags=flags,
                )
            )
            return
        if size and offset + size > self.length:
            raise _past_end(
                self.path, f"section {name}", self.base + offset, size, self.length, self.pre.of
            )
        self.parts.append(
            Part(
                name,
                PartKind.SECTION,
                categorize(name),
                self.base + offset,
                size,
                mem_size=size if seg_vsize else 0,
                address=address,
                flags=flags,
                uncompressed_size=_zdebug_size(name, self.data, self.base + offset, size),
            )
        )

    def _linkedit(self, binary: Any) -> None:
        for symoff, sym_bytes, stroff, strsize in self.pre.symtabs:
            self._table("symbol table", Category.SYMBOLS, symoff, sym_bytes)
            self._table("string table", Category.SYMBOLS, stroff, strsize)
        modsize = 56 if self.pre.bits == 64 else 52
        for cmd in binary.commands:
            kind = _enum_int(cmd.command)
            if kind == LC_DYSYMTAB:
                tables = (
                    ("indirect symbol table", Category.DYNAMIC, "indirect_symbol_offset",
                     "nb_indirect_symbols", 4),
                    ("external relocations", Category.DYNAMIC, "external_relocation_offset",
                     "nb_external_relocations", 8),
                    ("local relocations", Category.DYNAMIC, "local_relocation_offset",
                     "nb_local_relocations", 8),
                    ("external reference symbols", Category.SYMBOLS,
                     "external_reference_symbol_offset", "nb_external_reference_symbols", 4),
                    ("table of contents", Category.SYMBOLS, "toc_offset", "nb_toc", 8),
                    ("module table", Category.SYMBOLS, "module_table_offset", "nb_module_table",
                     modsize),
                )  # fmt: skip
                for name, category, off_attr, count_attr, entsize in tables:
                    offset = int(getattr(cmd, off_attr))
                    self._table(name, category, offset, int(getattr(cmd, count_attr)) * entsize)
            elif kind in (LC_DYLD_INFO, LC_DYLD_INFO_ONLY):
                for name, pair in (
                    ("rebase info", cmd.rebase),
                    ("binding info", cmd.bind),
                    ("weak binding info", cmd.weak_bind),
                    ("lazy binding info", cmd.lazy_bind),
                    ("export info", cmd.export_info),
                ):
                    self._table(name, Category.DYNAMIC, int(pair[0]), int(pair[1]))
            elif kind in LINKEDIT_DATA and hasattr(cmd, "data_offset"):
                name, category = LINKEDIT_DATA[kind]
                self._table(name, category, int(cmd.data_offset), int(cmd.data_size))

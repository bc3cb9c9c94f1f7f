"""The binary seam: format-level accounting of every byte of an executable file.

A :class:`Layout` splits the file into :class:`Part` ranges (headers, sections, tables, gaps)
that tile ``[0, file_size)`` exactly, plus memory-only sections (``.bss``) with zero file bytes.
Spec names (ELF ``e_shoff``, ``SHT_NOBITS``, ``PT_LOAD``; PE ``IMAGE_SECTION_HEADER``; Mach-O
``LC_SEGMENT_64``) are used verbatim.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from gobinopt.errors import BadInputError

#: The bytes of a whole file: usually a read-only memory map.
Buffer = bytes | mmap.mmap | memoryview


class BinaryFormatError(BadInputError):
    """The file is not an executable we can read, or its headers are corrupt."""


class Format(StrEnum):
    """Executable container formats."""

    ELF = "elf"
    PE = "pe"
    MACHO = "macho"


class PartKind(StrEnum):
    """What a byte range of the file is."""

    #: File header, program header table, PE DOS/NT headers, Mach-O header and load commands.
    HEADER = "header"
    #: A named section (ELF section, PE section, Mach-O section).
    SECTION = "section"
    #: A table that is not a section: ELF section header table, Mach-O __LINKEDIT blobs,
    #: PE COFF symbol table, certificate table.
    TABLE = "table"
    #: Bytes inside a loadable segment but outside any section (alignment padding).
    SEGMENT_GAP = "segment-gap"
    #: Bytes covered by nothing known (padding between parts, or garbage).
    GAP = "gap"
    #: Bytes after the last known part (PE overlay, appended data).
    OVERLAY = "overlay"


class Category(StrEnum):
    """Groups of parts, the unit of the "where do the bytes go" summary."""

    CODE = "code"
    RODATA = "read-only data"
    GO_METADATA = "Go runtime metadata"
    DATA = "writable data"
    DWARF = "DWARF"
    SYMBOLS = "symbol tables"
    DYNAMIC = "dynamic linking"
    NOTES = "notes"
    HEADERS = "headers"
    PADDING = "padding and gaps"
    PACKED = "packed (UPX)"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Part:
    """One byte range of the file (or a memory-only section with ``file_size == 0``)."""

    name: str
    kind: PartKind
    category: Category
    offset: int
    file_size: int
    #: Bytes this part occupies in memory once loaded; 0 when it is not loaded.
    mem_size: int = 0
    address: int = 0
    #: Flags in the format's own notation (ELF ``WAX``, PE ``R-X``).
    flags: str = ""
    #: For compressed DWARF sections (``SHF_COMPRESSED`` or ``.zdebug_*``): the size once inflated.
    uncompressed_size: int | None = None

    @property
    def end(self) -> int:
        """File offset one past the last byte."""
        return self.offset + self.file_size

    @property
    def compressed(self) -> bool:
        """Whether the section's file bytes are compressed."""
        return self.uncompressed_size is not None


@dataclass(frozen=True, slots=True)
class Segment:
    """A loadable segment (ELF ``PT_LOAD``, Mach-O ``LC_SEGMENT``) or other program header."""

    kind: str
    offset: int
    file_size: int
    address: int
    mem_size: int
    flags: str


@dataclass(frozen=True, slots=True)
class Layout:
    """Every byte of one executable file, attributed."""

    path: str
    format: Format
    file_size: int
    #: Architecture in the format's own words ("x86-64", "AMD64", "ARM64").
    machine: str
    bits: int
    little_endian: bool
    #: "executable", "pie", "shared object", "relocatable", "dll", …
    file_type: str
    #: File parts sorted by offset; their ``file_size`` values sum to ``file_size``.
    parts: tuple[Part, ...]
    segments: tuple[Segment, ...] = ()
    #: Dynamic linking: the program interpreter (ELF ``PT_INTERP``) and needed libraries.
    interpreter: str | None = None
    needed: tuple[str, ...] = ()
    #: Set when the file is a packed executable ("UPX"); its sections are then not the program's.
    packer: str | None = None
    #: Observations about the file itself (overlapping sections clipped, and so on).
    notes: tuple[str, ...] = field(default=())

    @property
    def dynamic(self) -> bool:
        """Whether the file needs a dynamic loader or shared libraries at run time."""
        return self.interpreter is not None or bool(self.needed)

    def sections(self) -> Iterator[Part]:
        """The parts that are sections, in file order (memory-only ones included)."""
        return (p for p in self.parts if p.kind is PartKind.SECTION)

    def section(self, *names: str) -> Part | None:
        """The first section whose name is one of ``names``, or None."""
        wanted = set(names)
        for part in self.parts:
            if part.kind is PartKind.SECTION and part.name in wanted:
                return part
        return None

    def offset_of(self, address: int) -> int | None:
        """File offset holding virtual ``address``, from loaded sections (then segments)."""
        for part in self.parts:
            if (
                part.kind is PartKind.SECTION
                and part.file_size
                and part.mem_size
                and part.address <= address < part.address + part.file_size
            ):
                return part.offset + (address - part.address)
        for seg in self.segments:
            if seg.file_size and seg.address <= address < seg.address + seg.file_size:
                return seg.offset + (address - seg.address)
        return None


class Reader(Protocol):
    """A format backend: turns the bytes of a file into a :class:`Layout`."""

    def read(self, path: str, data: Buffer) -> Layout:
        """Parse ``data`` (the whole file, usually a memory map) into a Layout.

        Raises :class:`BinaryFormatError` for corrupt or unsupported input.
        """
        ...

"""ELF reader: every byte of an ELF file attributed, straight from the headers.

Reads only the ELF header, the program header table and the section header table from the
mapped file (``struct.unpack_from`` on a memory map), so a 100 MB binary costs microseconds.
Every offset and count is bounds-checked against the file size before it is used: corrupt
input raises :class:`BinaryFormatError`, never an ``IndexError`` or a hang.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from gobinopt.binary.categories import categorize
from gobinopt.binary.interface import (
    BinaryFormatError,
    Buffer,
    Category,
    Format,
    Layout,
    Part,
    PartKind,
    Segment,
)
from gobinopt.binary.tiling import tile

ELF_MAGIC = b"\x7fELF"

SHT_NULL = 0
SHT_NOBITS = 8
SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
SHF_COMPRESSED = 0x800
PT_LOAD = 1
PT_DYNAMIC = 2
PT_INTERP = 3
DT_NEEDED = 1
DT_STRTAB = 5
DT_FLAGS_1 = 0x6FFFFFFB
DF_1_PIE = 0x08000000
ET_NAMES = {0: "none", 1: "relocatable", 2: "executable", 3: "shared object", 4: "core"}
PT_NAMES = {
    0: "NULL",
    1: "LOAD",
    2: "DYNAMIC",
    3: "INTERP",
    4: "NOTE",
    5: "SHLIB",
    6: "PHDR",
    7: "TLS",
    0x6474E550: "GNU_EH_FRAME",
    0x6474E551: "GNU_STACK",
    0x6474E552: "GNU_RELRO",
    0x6474E553: "GNU_PROPERTY",
}
MACHINES = {
    3: "x86",
    8: "MIPS",
    20: "PowerPC",
    21: "PowerPC64",
    22: "S390",
    40: "ARM",
    62: "x86-64",
    183: "AArch64",
    243: "RISC-V",
    258: "LoongArch",
}
#: More headers than this is not a real file: the cap that keeps corrupt counts from hanging us.
MAX_HEADERS = 1 << 16


@dataclass(frozen=True, slots=True)
class _Shdr:
    name_off: int
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int


class ElfReader:
    """The ELF backend of the binary seam."""

    def read(self, path: str, data: Buffer) -> Layout:
        """Parse ``data`` into a Layout whose file parts tile the file exactly."""
        return _ElfParse(path, data).layout()


class _ElfParse:
    """One parse of one file; holds the decoded header fields while the layout is assembled."""

    def __init__(self, path: str, data: Buffer) -> None:
        self.path = path
        self.data = data
        self.size = len(data)
        if self.size < 16 or bytes(data[:4]) != ELF_MAGIC:
            raise BinaryFormatError(f"{path}: not an ELF file")
        ei_class, ei_data = data[4], data[5]
        if ei_class not in (1, 2) or ei_data not in (1, 2):
            raise BinaryFormatError(
                f"{path}: corrupt ELF identification (EI_CLASS={ei_class}, EI_DATA={ei_data})"
            )
        self.bits = 64 if ei_class == 2 else 32
        self.little = ei_data == 1
        self.e = "<" if self.little else ">"
        ehdr_fmt = self.e + ("HHIQQQIHHHHHH" if self.bits == 64 else "HHIIIIIHHHHHH")
        self.ehsize_min = 16 + struct.calcsize(ehdr_fmt)
        if self.size < self.ehsize_min:
            raise BinaryFormatError(
                f"{path}: truncated ELF header ({self.size} bytes, need {self.ehsize_min})"
            )
        (
            self.e_type,
            self.e_machine,
            _version,
            _entry,
            self.e_phoff,
            self.e_shoff,
            _flags,
            self.e_ehsize,
            self.e_phentsize,
            self.e_phnum,
            self.e_shentsize,
            self.e_shnum,
            self.e_shstrndx,
        ) = struct.unpack_from(ehdr_fmt, data, 16)
        self.notes: list[str] = []

    # -- helpers -------------------------------------------------------------------------

    def _check_table(self, what: str, offset: int, entsize: int, count: int, minent: int) -> None:
        if count == 0:
            return
        if count > MAX_HEADERS:
            raise BinaryFormatError(f"{self.path}: absurd {what} count {count}")
        if entsize < minent:
            raise BinaryFormatError(
                f"{self.path}: corrupt {what} entry size {entsize} (at least {minent} expected)"
            )
        end = offset + entsize * count
        if offset <= 0 or end > self.size:
            raise BinaryFormatError(
                f"{self.path}: {what} table at offset {offset} ({count} × {entsize} bytes) "
                f"extends past the end of the file ({self.size} bytes); truncated or corrupt"
            )

    def _cstring(self, table_off: int, table_size: int, index: int) -> str:
        if index >= table_size:
            return f"<bad name #{index}>"
        start = table_off + index
        stop = table_off + table_size
        end = bytes(self.data[start : min(stop, start + 4096)]).find(b"\0")
        raw = bytes(self.data[start : start + end]) if end >= 0 else b"<unterminated>"
        return raw.decode("utf-8", "replace")

    # -- program headers -----------------------------------------------------------------

    def _segments(self) -> list[tuple[int, Segment]]:
        phnum = self.e_phnum
        minent = 56 if self.bits == 64 else 32
        self._check_table("program header", self.e_phoff, self.e_phentsize, phnum, minent)
        segs: list[tuple[int, Segment]] = []
        for i in range(phnum):
            off = self.e_phoff + i * self.e_phentsize
            if self.bits == 64:
                p_type, p_flags, p_offset, p_vaddr, _pa, p_filesz, p_memsz, _al = (
                    struct.unpack_from(self.e + "IIQQQQQQ", self.data, off)
                )
            else:
                p_type, p_offset, p_vaddr, _pa, p_filesz, p_memsz, p_flags, _al = (
                    struct.unpack_from(self.e + "IIIIIIII", self.data, off)
                )
            flags = (
                ("R" if p_flags & 4 else "-")
                + ("W" if p_flags & 2 else "-")
                + ("E" if p_flags & 1 else "-")
            )
            segs.append(
                (
                    p_type,
                    Segment(
                        kind=PT_NAMES.get(p_type, hex(p_type)),
                        offset=p_offset,
                        file_size=p_filesz,
                        address=p_vaddr,
                        mem_size=p_memsz,
                        flags=flags,
                    ),
                )
            )
        return segs

    # -- section headers -----------------------------------------------------------------

    def _sections(self) -> list[_Shdr]:
        shnum, shstrndx = self.e_shnum, self.e_shstrndx
        minent = 64 if self.bits == 64 else 40
        fmt = self.e + ("IIQQQQIIQQ" if self.bits == 64 else "IIIIIIIIII")
        if self.e_shoff == 0:
            return []
        if shnum == 0 or shstrndx == 0xFFFF:
            # Extended numbering: the real values live in section header 0.
            self._check_table("section header", self.e_shoff, self.e_shentsize, 1, minent)
            first = struct.unpack_from(fmt, self.data, self.e_shoff)
            if shnum == 0:
                shnum = first[5]
            if shstrndx == 0xFFFF:
                shstrndx = first[6]
            if shnum == 0:
                return []
        self.e_shnum_real = shnum
        self._check_table("section header", self.e_shoff, self.e_shentsize, shnum, minent)
        out: list[_Shdr] = []
        for i in range(shnum):
            f = struct.unpack_from(fmt, self.data, self.e_shoff + i * self.e_shentsize)
            out.append(
                _Shdr(
                    name_off=f[0],
                    type=f[1],
                    flags=f[2],
                    addr=f[3],
                    offset=f[4],
                    size=f[5],
                    link=f[6],
                )
            )
        if shstrndx >= shnum:
            raise BinaryFormatError(
                f"{self.path}: corrupt e_shstrndx {shstrndx} (only {shnum} sections)"
            )
        strtab = out[shstrndx]
        if strtab.type == SHT_NOBITS or strtab.offset + strtab.size > self.size:
            raise BinaryFormatError(
                f"{self.path}: section name table (.shstrtab) lies past the end of the file; "
                "truncated or corrupt"
            )
        self.shstr = (strtab.offset, strtab.size)
        return out

    def _uncompressed_size(self, name: str, sh: _Shdr) -> int | None:
        if sh.flags & SHF_COMPRESSED:
            # Elf64_Chdr: ch_type u32, ch_reserved u32, ch_size u64 (Elf32_Chdr: 3 × u32).
            need = 24 if self.bits == 64 else 12
            if sh.size < need:
                return None
            if self.bits == 64:
                _t, _r, ch_size = struct.unpack_from(self.e + "IIQ", self.data, sh.offset)
            else:
                _t, ch_size, _a = struct.unpack_from(self.e + "III", self.data, sh.offset)
            return int(ch_size)
        if (
            name.startswith(".zdebug")
            and sh.size >= 12
            and bytes(self.data[sh.offset : sh.offset + 4]) == b"ZLIB"
        ):
            return int(struct.unpack_from(">Q", self.data, sh.offset + 4)[0])
        return None

    # -- dynamic linking -----------------------------------------------------------------

    def _dynamic(
        self, segs: list[tuple[int, Segment]], shdrs: list[_Shdr]
    ) -> tuple[str | None, tuple[str, ...], bool]:
        interp: str | None = None
        needed: list[str] = []
        pie_flag = False
        for p_type, seg in segs:
            if p_type == PT_INTERP and seg.offset + seg.file_size <= self.size:
                raw = bytes(self.data[seg.offset : seg.offset + min(seg.file_size, 4096)])
                interp = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
        dyn = next((seg for t, seg in segs if t == PT_DYNAMIC), None)
        if dyn is None or dyn.offset + dyn.file_size > self.size:
            return interp, (), pie_flag
        entfmt = self.e + ("qQ" if self.bits == 64 else "iI")
        entsize = struct.calcsize(entfmt)
        needed_offs: list[int] = []
        strtab_addr = None
        for i in range(min(dyn.file_size // entsize, MAX_HEADERS)):
            tag, val = struct.unpack_from(entfmt, self.data, dyn.offset + i * entsize)
            if tag == 0:
                break
            if tag == DT_NEEDED:
                needed_offs.append(val)
            elif tag == DT_STRTAB:
                strtab_addr = val
            elif tag == DT_FLAGS_1 and val & DF_1_PIE:
                pie_flag = True
        if strtab_addr is not None:
            dynstr = next(
                (s for s in shdrs if s.type != SHT_NOBITS and s.addr == strtab_addr), None
            )
            if dynstr is not None:
                needed = [self._cstring(dynstr.offset, dynstr.size, o) for o in needed_offs]
            else:
                for _t, seg in segs:
                    if (
                        seg.kind == "LOAD"
                        and seg.address <= strtab_addr < seg.address + seg.file_size
                    ):
                        base = seg.offset + strtab_addr - seg.address
                        limit = seg.offset + seg.file_size - base
                        needed = [self._cstring(base, limit, o) for o in needed_offs]
                        break
        return interp, tuple(needed), pie_flag

    # -- assembly --------------------------------------------------------------------------

    def layout(self) -> Layout:
        segs = self._segments()
        shdrs = self._sections()
        parts: list[Part] = [
            Part(
                "ELF header",
                PartKind.HEADER,
                Category.HEADERS,
                0,
                min(self.e_ehsize or 64, self.size),
            )
        ]
        if self.e_phnum:
            parts.append(
                Part(
                    "program headers",
                    PartKind.HEADER,
                    Category.HEADERS,
                    self.e_phoff,
                    self.e_phnum * self.e_phentsize,
                )
            )
        for index, sh in enumerate(shdrs):
            if index == 0 and sh.type == SHT_NULL:
                continue
            name = self._cstring(self.shstr[0], self.shstr[1], sh.name_off)
            nobits = sh.type == SHT_NOBITS
            if not nobits and sh.offset + sh.size > self.size:
                raise BinaryFormatError(
                    f"{self.path}: section {name} (offset {sh.offset}, {sh.size} bytes) extends "
                    f"past the end of the file ({self.size} bytes); truncated or corrupt"
                )
            flags = (
                ("W" if sh.flags & SHF_WRITE else "")
                + ("A" if sh.flags & SHF_ALLOC else "")
                + ("X" if sh.flags & SHF_EXECINSTR else "")
                + ("C" if sh.flags & SHF_COMPRESSED else "")
            )
            parts.append(
                Part(
                    name=name,
                    kind=PartKind.SECTION,
                    category=categorize(name),
                    offset=sh.offset,
                    file_size=0 if nobits else sh.size,
                    mem_size=sh.size if sh.flags & SHF_ALLOC else 0,
                    address=sh.addr,
                    flags=flags,
                    uncompressed_size=None if nobits else self._uncompressed_size(name, sh),
                )
            )
        if shdrs:
            parts.append(
                Part(
                    "section header table",
                    PartKind.TABLE,
                    Category.HEADERS,
                    self.e_shoff,
                    self.e_shentsize * len(shdrs),
                )
            )
        interp, needed, pie_flag = self._dynamic(segs, shdrs)
        loads = [seg for t, seg in segs if t == PT_LOAD]
        tiled = tile(parts, self.size, loads, self.notes)
        file_type = ET_NAMES.get(self.e_type, hex(self.e_type))
        if self.e_type == 3 and (pie_flag or interp is not None):
            file_type = "pie"
        packer = _detect_upx(self.data, shdrs)
        if packer:
            # Everything outside the headers is the packer's compressed image and stub.
            repack = (PartKind.SEGMENT_GAP, PartKind.GAP, PartKind.OVERLAY)
            tiled = [_repack(p) if p.kind in repack else p for p in tiled]
        return Layout(
            path=self.path,
            format=Format.ELF,
            file_size=self.size,
            machine=MACHINES.get(self.e_machine, f"machine {self.e_machine}"),
            bits=self.bits,
            little_endian=self.little,
            file_type=file_type,
            parts=tuple(tiled),
            segments=tuple(seg for _t, seg in segs),
            interpreter=interp,
            needed=needed,
            packer=packer,
            notes=tuple(self.notes),
        )


def _repack(part: Part) -> Part:
    return Part(
        "packed data",
        PartKind.SEGMENT_GAP,
        Category.PACKED,
        part.offset,
        part.file_size,
        part.mem_size,
        part.address,
        part.flags,
    )


def _detect_upx(data: Buffer, shdrs: list[_Shdr]) -> str | None:
    """UPX leaves its ``UPX!`` pack header near the start and the section table empty."""
    head = bytes(data[: min(len(data), 4096)])
    if b"UPX!" in head and not shdrs:
        return "UPX"
    return None

"""Corrupt input gets a one-line error and a documented exit code, never a traceback or a hang.

A corpus of damaged copies of real binaries is generated deterministically (seeded per case):
truncations, absurd ELF header and section header fields, broken ``.gopclntab`` and
``.go.buildinfo`` headers, random byte flips, and the same kind of damage to PE and Mach-O
headers. For every file ``explain`` must, within a wall-clock bound, either return a report whose
parts tile the file exactly or raise a BAD_INPUT :class:`GobinoptError` with a one-line message.
A representative subset also goes through the real CLI in a subprocess.

Case ids read ``<base>:<mutation>``, e.g. ``hello-pie:truncate@e_shoff+10``; a mutation's label is
its specification and the offsets it names are computed from the base binary's own headers
(parsed here with ``struct``, independently of gobinopt).
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import pytest

from conftest import CROSS_VARIANTS, ELF_VARIANTS, PROGRAMS, Builder, Spec
from gobinopt.errors import ExitStatus, GobinoptError
from gobinopt.explain import Explanation, explain
from gobinopt.explain.document import to_document

#: Wall-clock bound for one in-process ``explain`` of one corrupt file.
CASE_SECONDS = 5.0
#: Wall-clock bound for one ``python -m gobinopt explain --json`` run (interpreter start included).
CLI_SECONDS = 20.0
#: Seed of every random choice; each case gets its own generator seeded with its name.
SEED = "gobinopt-corrupt-inputs-v1"
LIEF_READER = "gobinopt.binary.lief_reader"
U64 = 0xFFFF_FFFF_FFFF_FFFF
U32 = 0xFFFF_FFFF

#: The real binaries the corpus is made from, and the container format of each.
BASES: dict[str, tuple[Spec, str]] = {
    "hello": (ELF_VARIANTS["hello"], "elf"),
    "hello-pie": (ELF_VARIANTS["hello-pie"], "elf"),
    "hello-stripped": (ELF_VARIANTS["hello-stripped"], "elf"),
    "cgo": (ELF_VARIANTS["cgo"], "elf"),
    "hello-windows": (CROSS_VARIANTS["hello-windows"], "pe"),
    "hello-darwin-arm64": (CROSS_VARIANTS["hello-darwin-arm64"], "macho"),
}


# -- mutations -----------------------------------------------------------------------------------


class NotApplicableError(Exception):
    """The base binary lacks what a mutation targets; the case is skipped with this reason."""


@dataclass(frozen=True)
class Mutation:
    """How one corrupt file differs from its base: a truncation, or byte writes and XOR flips."""

    truncate: int | None = None
    writes: tuple[tuple[int, bytes], ...] = ()
    xors: tuple[tuple[int, int], ...] = ()

    def apply(self, base: bytes) -> bytes:
        """The corrupt bytes; every offset must lie inside the base file."""
        if self.truncate is not None:
            assert 0 <= self.truncate < len(base), f"truncation at {self.truncate} is no truncation"
            return base[: self.truncate]
        out = bytearray(base)
        for off, raw in self.writes:
            assert 0 <= off <= len(out) - len(raw), f"write at {off} is outside the file"
            out[off : off + len(raw)] = raw
        for off, mask in self.xors:
            assert 0 <= off < len(out) and 0 < mask < 256, f"bad flip {off}^{mask}"
            out[off] ^= mask
        return bytes(out)


def put(at: int, fmt: str, value: int) -> Mutation:
    """Write one little-endian integer field."""
    return Mutation(writes=((at, struct.pack("<" + fmt, value)),))


@dataclass(frozen=True)
class Region:
    """A byte range of a base file (section, segment) and the file offset of its header entry."""

    name: str
    offset: int
    size: int
    header: int
    index: int = -1
    type: int = 0


@dataclass(frozen=True)
class Info:
    """The parsed headers of a base binary, plus its bytes."""

    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        """File size in bytes."""
        return len(self.data)


SHT_NOBITS = 8
SHF_COMPRESSED = 0x800
EHDR = {
    "e_phoff": (32, "Q"),
    "e_shoff": (40, "Q"),
    "e_ehsize": (52, "H"),
    "e_phentsize": (54, "H"),
    "e_phnum": (56, "H"),
    "e_shentsize": (58, "H"),
    "e_shnum": (60, "H"),
    "e_shstrndx": (62, "H"),
}
SHDR = {
    "sh_name": (0, "I"),
    "sh_type": (4, "I"),
    "sh_flags": (8, "Q"),
    "sh_offset": (24, "Q"),
    "sh_size": (32, "Q"),
}


@dataclass(frozen=True)
class ElfInfo(Info):
    """An ELF64 little-endian file's header fields and sections (section headers by struct)."""

    phoff: int = 0
    phentsize: int = 0
    phnum: int = 0
    shoff: int = 0
    shentsize: int = 0
    shnum: int = 0
    sections: tuple[Region, ...] = ()

    @classmethod
    def parse(cls, data: bytes) -> ElfInfo:
        """Headers of a well-formed base file (asserted: the bases are real Go binaries)."""
        assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "ELF64 LE expected"
        phoff, shoff = struct.unpack_from("<QQ", data, 32)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from("<HHHHH", data, 54)
        raw = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
        strtab = raw[shstrndx][4]
        sections = tuple(
            Region(
                name=data[strtab + r[0] : data.index(b"\0", strtab + r[0])].decode(),
                offset=r[4],
                size=r[5],
                header=shoff + i * shentsize,
                index=i,
                type=r[1],
            )
            for i, r in enumerate(raw)
        )
        return cls(data, phoff, phentsize, phnum, shoff, shentsize, shnum, sections)

    def sec(self, name: str) -> Region:
        """The section called ``name``."""
        for s in self.sections:
            if s.name == name:
                return s
        raise NotApplicableError(f"the base binary has no {name} section")

    @property
    def shdrs_end(self) -> int:
        """One past the section header table."""
        return self.shoff + self.shnum * self.shentsize

    def pcln_word(self, i: int) -> int:
        """Word ``i`` after the pcHeader's first 8 bytes (0 nfunc, 3 funcnameOffset, 7 pcln)."""
        return int(
            struct.unpack_from("<Q", self.data, self.sec(".gopclntab").offset + 8 + 8 * i)[0]
        )


@dataclass(frozen=True)
class PeInfo(Info):
    """A PE32+ file's DOS/COFF/optional header offsets and its section table."""

    lfanew: int = 0
    opt: int = 0
    opt_size: int = 0
    sections: tuple[Region, ...] = ()

    @classmethod
    def parse(cls, data: bytes) -> PeInfo:
        """Headers of a well-formed base file."""
        assert data[:2] == b"MZ"
        lfanew = struct.unpack_from("<I", data, 0x3C)[0]
        assert data[lfanew : lfanew + 4] == b"PE\0\0"
        nsec = struct.unpack_from("<H", data, lfanew + 6)[0]
        opt_size = struct.unpack_from("<H", data, lfanew + 20)[0]
        opt = lfanew + 24
        assert struct.unpack_from("<H", data, opt)[0] == 0x20B, "PE32+ expected"
        table = opt + opt_size
        sections = tuple(
            Region(
                name=data[h : h + 8].rstrip(b"\0").decode("latin-1"),
                offset=struct.unpack_from("<I", data, h + 20)[0],
                size=struct.unpack_from("<I", data, h + 16)[0],
                header=h,
                index=i,
            )
            for i, h in enumerate(table + 40 * i for i in range(nsec))
        )
        return cls(data, lfanew, opt, opt_size, sections)

    @property
    def coff(self) -> int:
        """Offset of the COFF file header (after the ``PE\\0\\0`` signature)."""
        return self.lfanew + 4

    def sec(self, name: str) -> Region:
        """The section called ``name``."""
        for s in self.sections:
            if s.name == name:
                return s
        raise NotApplicableError(f"the base binary has no {name} section")


LC_SEGMENT_64 = 0x19
LC_SYMTAB = 0x2


@dataclass(frozen=True)
class MachoInfo(Info):
    """A 64-bit little-endian Mach-O file's load commands, segments and sections."""

    ncmds: int = 0
    sizeofcmds: int = 0
    #: (cmd, file offset of the command, cmdsize) in order.
    commands: tuple[tuple[int, int, int], ...] = ()
    #: Segments by name; ``header`` is the LC_SEGMENT_64 command's offset.
    segments: tuple[Region, ...] = ()
    #: Sections named ``SEGMENT.section``; ``header`` is the section_64 entry's offset.
    sections: tuple[Region, ...] = ()

    @classmethod
    def parse(cls, data: bytes) -> MachoInfo:
        """Load commands of a well-formed base file."""
        assert data[:4] == b"\xcf\xfa\xed\xfe", "64-bit little-endian Mach-O expected"
        ncmds, sizeofcmds = struct.unpack_from("<II", data, 16)
        commands: list[tuple[int, int, int]] = []
        segments: list[Region] = []
        sections: list[Region] = []
        off = 32
        for _ in range(ncmds):
            cmd, size = struct.unpack_from("<II", data, off)
            commands.append((cmd, off, size))
            if cmd == LC_SEGMENT_64:
                seg = data[off + 8 : off + 24].rstrip(b"\0").decode()
                fileoff, filesize = struct.unpack_from("<QQ", data, off + 40)
                segments.append(Region(seg, fileoff, filesize, off))
                for j in range(struct.unpack_from("<I", data, off + 64)[0]):
                    h = off + 72 + 80 * j
                    name = data[h : h + 16].rstrip(b"\0").decode()
                    sec_size = struct.unpack_from("<Q", data, h + 40)[0]
                    sec_off = struct.unpack_from("<I", data, h + 48)[0]
                    sections.append(Region(f"{seg}.{name}", sec_off, sec_size, h))
            off += size
        return cls(data, ncmds, sizeofcmds, tuple(commands), tuple(segments), tuple(sections))

    def seg(self, name: str) -> Region:
        """The segment called ``name``."""
        return _named(self.segments, name)

    def sec(self, name: str) -> Region:
        """The section called ``SEGMENT.section``."""
        return _named(self.sections, name)

    def command(self, cmd: int) -> int:
        """File offset of the first load command of type ``cmd``."""
        for c, off, _size in self.commands:
            if c == cmd:
                return off
        raise NotApplicableError(f"the base binary has no load command {cmd:#x}")


def _named(regions: tuple[Region, ...], name: str) -> Region:
    for r in regions:
        if r.name == name:
            return r
    raise NotApplicableError(f"the base binary has no {name}")


InfoT = TypeVar("InfoT", bound=Info)
#: Computes one mutation from a base binary's headers and the case's own seeded generator.
Recipe = Callable[[InfoT, random.Random], Mutation]
#: label → (kind, recipe), for one container format.
Table = dict[str, tuple[str, Recipe[InfoT]]]


def fixed(n: int) -> Callable[[Info], int]:
    """A constant offset."""
    return lambda _info: n


def cut(at: Callable[[InfoT], int]) -> Recipe[InfoT]:
    """Truncate the file to ``at(info)`` bytes."""

    def recipe(info: InfoT, _rng: random.Random) -> Mutation:
        n = at(info)
        if n >= info.size:
            raise NotApplicableError(f"offset {n} is at or past the end of the base file")
        return Mutation(truncate=n)

    return recipe


def cut_random(info: Info, rng: random.Random) -> Mutation:
    """Truncate at a seeded random point."""
    return Mutation(truncate=rng.randrange(1, info.size))


def flip(span: Callable[[InfoT], tuple[int, int]]) -> Recipe[InfoT]:
    """XOR one seeded random byte of ``span(info)`` with a seeded random non-zero mask."""

    def recipe(info: InfoT, rng: random.Random) -> Mutation:
        lo, hi = span(info)
        return Mutation(xors=((rng.randrange(lo, hi), rng.randrange(1, 256)),))

    return recipe


def head(info: Info) -> tuple[int, int]:
    """The first 4 KiB."""
    return 0, min(4096, info.size)


def anywhere(info: Info) -> tuple[int, int]:
    """The whole file."""
    return 0, info.size


def _add(table: Table[InfoT], kind: str, label: str, recipe: Recipe[InfoT]) -> None:
    assert label not in table, f"duplicate case label {label}"
    table[label] = (kind, recipe)


# -- ELF recipes ---------------------------------------------------------------------------------


def ehdr(field_name: str, value: int | Callable[[ElfInfo], int]) -> Recipe[ElfInfo]:
    """Set an ELF header field."""
    off, fmt = EHDR[field_name]
    return lambda e, _rng: put(off, fmt, value if isinstance(value, int) else value(e))


def shdr(target: str, field_name: str, value: Callable[[ElfInfo, Region], int]) -> Recipe[ElfInfo]:
    """Set a field of the section header of ``target`` (a name, or "random": seeded choice)."""
    off, fmt = SHDR[field_name]

    def recipe(e: ElfInfo, rng: random.Random) -> Mutation:
        if target == "random":
            sec = rng.choice([s for s in e.sections if s.index > 0 and s.type != SHT_NOBITS])
        else:
            sec = e.sec(target)
        return put(sec.header + off, fmt, value(e, sec))

    return recipe


def pcln(at: int, fmt: str, value: int | Callable[[ElfInfo], int]) -> Recipe[ElfInfo]:
    """Set a field of the pcHeader at ``at`` bytes into .gopclntab."""

    def recipe(e: ElfInfo, _rng: random.Random) -> Mutation:
        v = value if isinstance(value, int) else value(e)
        return put(e.sec(".gopclntab").offset + at, fmt, v)

    return recipe


def functab_flip(e: ElfInfo, rng: random.Random) -> Mutation:
    """Flip one byte of the functab: (entryOff, funcOff) pairs at pclnOffset."""
    start = e.sec(".gopclntab").offset + e.pcln_word(7)
    return flip(lambda _e: (start, start + (2 * e.pcln_word(0) + 1) * 4))(e, rng)


def buildinfo(
    rel: int, raw: bytes | Callable[[ElfInfo, int], tuple[int, bytes]]
) -> Recipe[ElfInfo]:
    """Overwrite bytes of .go.buildinfo: at ``rel`` from its start, or where ``raw`` says."""

    def recipe(e: ElfInfo, _rng: random.Random) -> Mutation:
        at = e.sec(".go.buildinfo").offset
        if isinstance(raw, bytes):
            return Mutation(writes=((at + rel, raw),))
        return Mutation(writes=(raw(e, at),))

    return recipe


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if byte < 0x80:
            return value, pos
        shift += 7


def modinfo_len_huge(e: ElfInfo, at: int) -> tuple[int, bytes]:
    """The module info's varint length (after the version string) set to about 2**64."""
    length, pos = _uvarint(e.data, at + 32)
    return pos + length, b"\xff" * 9 + b"\x01"


def setting(raw: bytes) -> Callable[[ElfInfo, int], tuple[int, bytes]]:
    """Overwrite the start of the ``build\\t-buildmode=…`` line's key with ``raw``."""

    def where(e: ElfInfo, at: int) -> tuple[int, bytes]:
        line = e.data.find(b"build\t-buildmode=", at, at + e.sec(".go.buildinfo").size)
        if line < 0:
            raise NotApplicableError("no build\\t-buildmode= line in .go.buildinfo")
        return line + len(b"build\t"), raw

    return where


def _elf_recipes() -> Table[ElfInfo]:
    t: Table[ElfInfo] = {}
    for n in (0, 1, 4, 15, 16, 52, 63, 64):
        _add(t, "truncate", f"truncate@{n}", cut(fixed(n)))
    for label, at in {
        "truncate@phdrs-mid": lambda e: e.phoff + e.phentsize * e.phnum // 2,
        "truncate@e_shoff-1": lambda e: e.shoff - 1,
        "truncate@e_shoff+10": lambda e: e.shoff + 10,
        "truncate@shdrs-end+1": lambda e: e.shdrs_end + 1,
        "truncate@.gopclntab-mid": lambda e: (
            e.sec(".gopclntab").offset + e.sec(".gopclntab").size // 2
        ),
        "truncate@.go.buildinfo+20": lambda e: e.sec(".go.buildinfo").offset + 20,
        "truncate@.text-mid": lambda e: e.sec(".text").offset + e.sec(".text").size // 2,
        "truncate@last-byte": lambda e: e.size - 1,
    }.items():
        _add(t, "truncate", label, cut(at))
    for i in range(10):
        _add(t, "truncate", f"truncate@random#{i}", cut_random)

    def past_eof(e: ElfInfo) -> int:
        return e.size + 8

    for label, rec in {
        "e_phoff=past-eof": ehdr("e_phoff", past_eof),
        "e_phoff=0xffffffffffffffff": ehdr("e_phoff", U64),
        "e_shoff=past-eof": ehdr("e_shoff", past_eof),
        "e_shoff=0xffffffffffffffff": ehdr("e_shoff", U64),
        "e_shoff=0": ehdr("e_shoff", 0),
        "e_phnum=0xffff": ehdr("e_phnum", 0xFFFF),
        "e_phnum=0": ehdr("e_phnum", 0),
        "e_shnum=0xffff": ehdr("e_shnum", 0xFFFF),
        "e_shnum=0": ehdr("e_shnum", 0),
        "e_shentsize=0": ehdr("e_shentsize", 0),
        "e_shentsize=1": ehdr("e_shentsize", 1),
        "e_shentsize=0xffff": ehdr("e_shentsize", 0xFFFF),
        "e_phentsize=0": ehdr("e_phentsize", 0),
        "e_phentsize=1": ehdr("e_phentsize", 1),
        "e_phentsize=0xffff": ehdr("e_phentsize", 0xFFFF),
        "e_shstrndx=0xffff": ehdr("e_shstrndx", 0xFFFF),
        "e_shstrndx=shnum": ehdr("e_shstrndx", lambda e: e.shnum),
        "e_shstrndx=0xfffe": ehdr("e_shstrndx", 0xFFFE),
        "e_shstrndx=0": ehdr("e_shstrndx", 0),
        "e_ehsize=0xffff": ehdr("e_ehsize", 0xFFFF),
        "EI_CLASS=0": lambda _e, _r: put(4, "B", 0),
        "EI_CLASS=3": lambda _e, _r: put(4, "B", 3),
        "EI_CLASS=1(32-bit)": lambda _e, _r: put(4, "B", 1),
        "EI_DATA=0": lambda _e, _r: put(5, "B", 0),
        "EI_DATA=0xff": lambda _e, _r: put(5, "B", 0xFF),
        "EI_DATA=2(big-endian)": lambda _e, _r: put(5, "B", 2),
    }.items():
        _add(t, "ehdr", f"ehdr:{label}", rec)

    def offset_past_eof(e: ElfInfo, _s: Region) -> int:
        return e.size + 16

    def size_past_eof(e: ElfInfo, s: Region) -> int:
        return e.size - s.offset + 1  # the section then ends one byte past the end of the file

    def huge(_e: ElfInfo, _s: Region) -> int:
        return U64

    for target in ("random", ".shstrtab", ".gopclntab"):
        for label, rec in {
            "sh_offset=past-eof": shdr(target, "sh_offset", offset_past_eof),
            "sh_offset=0xffffffffffffffff": shdr(target, "sh_offset", huge),
            "sh_size=past-eof": shdr(target, "sh_size", size_past_eof),
            "sh_size=0xffffffffffffffff": shdr(target, "sh_size", huge),
        }.items():
            _add(t, "shdr", f"shdr:{target}.{label}", rec)
    for label, rec in {
        "random.sh_name=past-shstrtab": shdr(
            "random", "sh_name", lambda e, _s: e.sec(".shstrtab").size + 1
        ),
        ".gopclntab.sh_name=0xffffffff": shdr(".gopclntab", "sh_name", lambda _e, _s: U32),
        ".gopclntab.sh_type=NOBITS": shdr(".gopclntab", "sh_type", lambda _e, _s: SHT_NOBITS),
        ".gopclntab.sh_size=15": shdr(".gopclntab", "sh_size", lambda _e, _s: 15),
        ".gopclntab.sh_offset=.text": shdr(
            ".gopclntab", "sh_offset", lambda e, _s: e.sec(".text").offset
        ),
        ".go.buildinfo.sh_size=0xffffffffffffffff": shdr(".go.buildinfo", "sh_size", huge),
        ".text.sh_flags+=SHF_COMPRESSED": shdr(
            ".text", "sh_flags", lambda _e, _s: 0x6 | SHF_COMPRESSED
        ),
    }.items():
        _add(t, "shdr", f"shdr:{label}", rec)

    def past_section(e: ElfInfo) -> int:
        return e.sec(".gopclntab").size + 1

    for label, rec in {
        "magic=0xfffffff5(unknown)": pcln(0, "I", 0xFFFFFFF5),
        "magic=0xfffffffe(go1.0)": pcln(0, "I", 0xFFFFFFFE),
        "magic=0xfffffffa(go1.16)": pcln(0, "I", 0xFFFFFFFA),
        "magic=0xfffffffb(go1.2)": pcln(0, "I", 0xFFFFFFFB),
        "pad=1": pcln(4, "B", 1),
        "minLC=0": pcln(6, "B", 0),
        "ptrSize=3": pcln(7, "B", 3),
        "nfunc=0": pcln(8, "Q", 0),
        "nfunc=1": pcln(8, "Q", 1),
        "nfunc=2**31": pcln(8, "Q", 2**31),
        "nfunc=2**63": pcln(8, "Q", 2**63),
        "funcnameOffset=past-section": pcln(8 + 3 * 8, "Q", past_section),
        "funcnameOffset=0xffffffffffffffff": pcln(8 + 3 * 8, "Q", U64),
        "pclnOffset=past-section": pcln(8 + 7 * 8, "Q", past_section),
        "pclnOffset=0xffffffffffffffff": pcln(8 + 7 * 8, "Q", U64),
        "pclnOffset=0": pcln(8 + 7 * 8, "Q", 0),
    }.items():
        _add(t, "pclntab", f"pclntab:{label}", rec)
    for i in range(6):
        _add(t, "pclntab", f"pclntab:functab-flip#{i}", functab_flip)

    for label, rec in {
        "magic=broken": lambda e, _r: Mutation(xors=((e.sec(".go.buildinfo").offset + 5, 0x20),)),
        "flags=pointer": buildinfo(15, b"\x00"),
        "flags=pointer+big-endian": buildinfo(15, b"\x01"),
        "flags=0xff": buildinfo(15, b"\xff"),
        "ptrSize=3+flags=pointer": buildinfo(14, b"\x03\x00"),
        "version-len=huge": buildinfo(32, b"\xff" * 9 + b"\x01"),
        "version-len=bad-varint": buildinfo(32, b"\xff" * 11),
        "version-len=0": buildinfo(32, b"\x00"),
        "modinfo-len=huge": buildinfo(0, modinfo_len_huge),
        "setting=bad-hex-escape": buildinfo(0, setting(b'"\\')),
        "setting=bad-octal-escape": buildinfo(0, setting(b'"\\777')),
    }.items():
        _add(t, "buildinfo", f"buildinfo:{label}", rec)

    for i in range(20):
        _add(t, "flip-head", f"flip-head#{i}", flip(head))
    for i in range(20):
        _add(t, "flip-any", f"flip-any#{i}", flip(anywhere))
    return t


# -- PE recipes ----------------------------------------------------------------------------------


def pe_section(
    target: str, rel: int, fmt: str, value: Callable[[PeInfo, Region], int]
) -> Recipe[PeInfo]:
    """Set a field of an IMAGE_SECTION_HEADER (``target`` a name or "random")."""

    def recipe(p: PeInfo, rng: random.Random) -> Mutation:
        sec = rng.choice(p.sections) if target == "random" else p.sec(target)
        return put(sec.header + rel, fmt, value(p, sec))

    return recipe


def pe_long_name(p: PeInfo, _rng: random.Random) -> Mutation:
    """A ``/N`` long section name pointing far past the COFF string table."""
    for s in p.sections:
        if s.name.startswith("/"):
            return Mutation(writes=((s.header, b"/9999999"),))
    raise NotApplicableError("no section with a /N long name")


def _pe_recipes() -> Table[PeInfo]:
    t: Table[PeInfo] = {}
    for n in (2, 0x3C, 0x40):
        _add(t, "pe-truncate", f"pe-truncate@{n:#x}", cut(fixed(n)))
    for label, at in {
        "pe-truncate@e_lfanew+2": lambda p: p.lfanew + 2,
        "pe-truncate@coff+10": lambda p: p.coff + 10,
        "pe-truncate@opt-mid": lambda p: p.opt + p.opt_size // 2,
        "pe-truncate@sections-mid": lambda p: p.opt + p.opt_size + 20 * len(p.sections),
        "pe-truncate@.text-mid": lambda p: p.sec(".text").offset + p.sec(".text").size // 2,
        "pe-truncate@last-byte": lambda p: p.size - 1,
    }.items():
        _add(t, "pe-truncate", label, cut(at))
    for i in range(5):
        _add(t, "pe-truncate", f"pe-truncate@random#{i}", cut_random)

    def field_at(
        rel: Callable[[PeInfo], int], fmt: str, v: int | Callable[[PeInfo], int]
    ) -> Recipe[PeInfo]:
        return lambda p, _r: put(rel(p), fmt, v if isinstance(v, int) else v(p))

    lfanew = fixed(0x3C)  # the DOS header's e_lfanew field

    def coff(rel: int) -> Callable[[PeInfo], int]:
        return lambda p: p.coff + rel

    def opt(rel: int) -> Callable[[PeInfo], int]:
        return lambda p: p.opt + rel

    def past_eof(p: PeInfo) -> int:
        return p.size + 8

    for label, rec in {
        "e_lfanew=0xffffffff": field_at(lfanew, "I", U32),
        "e_lfanew=past-eof": field_at(lfanew, "I", past_eof),
        "e_lfanew=0": field_at(lfanew, "I", 0),
        "e_lfanew=2": field_at(lfanew, "I", 2),
        "signature=broken": lambda p, _r: Mutation(xors=((p.lfanew + 1, 0x08),)),
        "Machine=0xffff": field_at(coff(0), "H", 0xFFFF),
        "NumberOfSections=0xffff": field_at(coff(2), "H", 0xFFFF),
        "NumberOfSections=0": field_at(coff(2), "H", 0),
        "PointerToSymbolTable=past-eof": field_at(coff(8), "I", past_eof),
        "PointerToSymbolTable=0xffffffff": field_at(coff(8), "I", U32),
        "NumberOfSymbols=0xffffffff": field_at(coff(12), "I", U32),
        "SizeOfOptionalHeader=0xffff": field_at(coff(16), "H", 0xFFFF),
        "SizeOfOptionalHeader=0": field_at(coff(16), "H", 0),
        "Magic=0x10b(PE32)": field_at(opt(0), "H", 0x10B),
        "Magic=0": field_at(opt(0), "H", 0),
        "SizeOfHeaders=0xffffffff": field_at(opt(60), "I", U32),
        "NumberOfRvaAndSizes=0xffffffff": field_at(opt(108), "I", U32),
        "import-dir=0xffffffff": field_at(opt(112 + 8 * 1), "Q", U64),
        "exception-dir=0xffffffff": field_at(opt(112 + 8 * 3), "Q", U64),
        "certificate-dir=past-eof": lambda p, _r: put(
            p.opt + 112 + 8 * 4, "Q", (0x1000 << 32) | (p.size + 8)
        ),
        "basereloc-dir.size=0xffffffff": field_at(opt(112 + 8 * 5 + 4), "I", U32),
    }.items():
        _add(t, "pe-hdr", f"pe-hdr:{label}", rec)

    for label, rec in {
        "random.PointerToRawData=0xffffffff": pe_section("random", 20, "I", lambda _p, _s: U32),
        "random.PointerToRawData=past-eof": pe_section(
            "random", 20, "I", lambda p, _s: p.size + 16
        ),
        "random.SizeOfRawData=0xffffffff": pe_section("random", 16, "I", lambda _p, _s: U32),
        "random.SizeOfRawData=past-eof": pe_section(
            "random", 16, "I", lambda p, s: p.size - s.offset + 1
        ),
        ".text.VirtualSize=0xffffffff": pe_section(".text", 8, "I", lambda _p, _s: U32),
        "random.Name=0xff*8": pe_section("random", 0, "Q", lambda _p, _s: U64),
    }.items():
        _add(t, "pe-sect", f"pe-sect:{label}", rec)
    _add(t, "pe-sect", "pe-sect:long-name=/9999999", pe_long_name)

    for i in range(10):
        _add(t, "pe-flip-head", f"pe-flip-head#{i}", flip(head))
    for i in range(10):
        _add(t, "pe-flip-any", f"pe-flip-any#{i}", flip(anywhere))
    return t


# -- Mach-O recipes ------------------------------------------------------------------------------


def _macho_recipes() -> Table[MachoInfo]:
    t: Table[MachoInfo] = {}
    for n in (4, 28, 32):
        _add(t, "macho-truncate", f"macho-truncate@{n}", cut(fixed(n)))
    for label, at in {
        "macho-truncate@cmds-mid": lambda m: 32 + m.sizeofcmds // 2,
        "macho-truncate@cmds-end-1": lambda m: 32 + m.sizeofcmds - 1,
        "macho-truncate@__text-mid": lambda m: (
            m.sec("__TEXT.__text").offset + m.sec("__TEXT.__text").size // 2
        ),
        "macho-truncate@__gopclntab-mid": lambda m: (
            m.sec("__TEXT.__gopclntab").offset + m.sec("__TEXT.__gopclntab").size // 2
        ),
        "macho-truncate@__LINKEDIT+10": lambda m: m.seg("__LINKEDIT").offset + 10,
        "macho-truncate@last-byte": lambda m: m.size - 1,
    }.items():
        _add(t, "macho-truncate", label, cut(at))
    for i in range(5):
        _add(t, "macho-truncate", f"macho-truncate@random#{i}", cut_random)

    def raw(at: int, value: bytes) -> Recipe[MachoInfo]:
        return lambda _m, _r: Mutation(writes=((at, value),))

    for label, rec in {
        "magic=fat": raw(0, b"\xca\xfe\xba\xbe"),
        "magic=32-bit": raw(0, b"\xce\xfa\xed\xfe"),
        "magic=big-endian": raw(0, b"\xfe\xed\xfa\xcf"),
        "ncmds=0xffffffff": raw(16, struct.pack("<I", U32)),
        "ncmds=0": raw(16, struct.pack("<I", 0)),
        "ncmds=+1": lambda m, _r: put(16, "I", m.ncmds + 1),
        "sizeofcmds=0xffffffff": raw(20, struct.pack("<I", U32)),
        "sizeofcmds=0": raw(20, struct.pack("<I", 0)),
        "sizeofcmds=8": raw(20, struct.pack("<I", 8)),
    }.items():
        _add(t, "macho-hdr", f"macho-hdr:{label}", rec)

    def cmd_field(which: str, rel: int, fmt: str, value: int) -> Recipe[MachoInfo]:
        def recipe(m: MachoInfo, rng: random.Random) -> Mutation:
            if which == "first":
                off = m.commands[0][1]
            elif which == "random":
                off = rng.choice(m.commands)[1]
            elif which == "LC_SYMTAB":
                off = m.command(LC_SYMTAB)
            else:
                off = m.seg(which).header
            return put(off + rel, fmt, value)

        return recipe

    def past_eof(region: Callable[[MachoInfo], Region], rel: int, fmt: str) -> Recipe[MachoInfo]:
        return lambda m, _r: put(region(m).header + rel, fmt, m.size + 16)

    for label, rec in {
        "first.cmdsize=0": cmd_field("first", 4, "I", 0),
        "first.cmdsize=1": cmd_field("first", 4, "I", 1),
        "first.cmdsize=0xffffffff": cmd_field("first", 4, "I", U32),
        "random.cmdsize=0": cmd_field("random", 4, "I", 0),
        "random.cmd=0x7fffffff": cmd_field("random", 0, "I", 0x7FFFFFFF),
        "__TEXT.nsects=0xffffffff": cmd_field("__TEXT", 64, "I", U32),
        "__TEXT.nsects=0x100": cmd_field("__TEXT", 64, "I", 0x100),
        "__TEXT.fileoff=past-eof": past_eof(lambda m: m.seg("__TEXT"), 40, "Q"),
        "__TEXT.filesize=0xffffffffffffffff": cmd_field("__TEXT", 48, "Q", U64),
        "__LINKEDIT.fileoff=past-eof": past_eof(lambda m: m.seg("__LINKEDIT"), 40, "Q"),
        "__LINKEDIT.filesize=0xffffffffffffffff": cmd_field("__LINKEDIT", 48, "Q", U64),
        "__TEXT.__text.offset=past-eof": past_eof(lambda m: m.sec("__TEXT.__text"), 48, "I"),
        "__TEXT.__text.size=0xffffffffffffffff": lambda m, _r: put(
            m.sec("__TEXT.__text").header + 40, "Q", U64
        ),
        "__TEXT.__gopclntab.offset=past-eof": past_eof(
            lambda m: m.sec("__TEXT.__gopclntab"), 48, "I"
        ),
        "__DATA.__go_buildinfo.size=0xffffffffffffffff": lambda m, _r: put(
            m.sec("__DATA.__go_buildinfo").header + 40, "Q", U64
        ),
        "LC_SYMTAB.symoff=past-eof": lambda m, _r: put(m.command(LC_SYMTAB) + 8, "I", m.size + 16),
        "LC_SYMTAB.nsyms=0xffffffff": cmd_field("LC_SYMTAB", 12, "I", U32),
        "LC_SYMTAB.stroff=0xffffffff": cmd_field("LC_SYMTAB", 16, "I", U32),
        "LC_SYMTAB.strsize=0xffffffff": cmd_field("LC_SYMTAB", 20, "I", U32),
    }.items():
        _add(t, "macho-lc", f"macho-lc:{label}", rec)

    for i in range(10):
        _add(t, "macho-flip-head", f"macho-flip-head#{i}", flip(head))
    for i in range(10):
        _add(t, "macho-flip-any", f"macho-flip-any#{i}", flip(anywhere))
    return t


ELF_RECIPES = _elf_recipes()
PE_RECIPES = _pe_recipes()
MACHO_RECIPES = _macho_recipes()


def _labels(fmt: str) -> list[tuple[str, str]]:
    """(label, kind) of every mutation of a format."""
    if fmt == "elf":
        return [(label, kind) for label, (kind, _recipe) in ELF_RECIPES.items()]
    if fmt == "pe":
        return [(label, kind) for label, (kind, _recipe) in PE_RECIPES.items()]
    return [(label, kind) for label, (kind, _recipe) in MACHO_RECIPES.items()]


@dataclass(frozen=True)
class CaseSpec:
    """One corrupt file: which base, which mutation, and of which kind."""

    name: str
    base: str
    fmt: str
    kind: str
    label: str


CASES: dict[str, CaseSpec] = {
    f"{base}:{label}": CaseSpec(f"{base}:{label}", base, fmt, kind, label)
    for base, (_spec, fmt) in BASES.items()
    for label, kind in _labels(fmt)
}


def rng_for(name: str) -> random.Random:
    """The generator of one case: seeded by the suite seed and the case name only."""
    return random.Random(f"{SEED}:{name}")


def _resolve(table: Table[InfoT], info: InfoT, base: str) -> dict[str, Mutation | str]:
    out: dict[str, Mutation | str] = {}
    for label, (_kind, recipe) in table.items():
        try:
            out[f"{base}:{label}"] = recipe(info, rng_for(f"{base}:{label}"))
        except NotApplicableError as exc:
            out[f"{base}:{label}"] = str(exc)
    return out


def mutations(base: str, fmt: str, data: bytes) -> dict[str, Mutation | str]:
    """Every case of ``base``: its mutation, or the reason it does not apply to this file."""
    if fmt == "elf":
        return _resolve(ELF_RECIPES, ElfInfo.parse(data), base)
    if fmt == "pe":
        return _resolve(PE_RECIPES, PeInfo.parse(data), base)
    return _resolve(MACHO_RECIPES, MachoInfo.parse(data), base)


# -- the corpus ----------------------------------------------------------------------------------


@dataclass
class Corpus:
    """Base binaries and the mutation of every case; files are written on demand into ``dir``."""

    dir: Path
    bases: dict[str, bytes]
    cases: dict[str, Mutation | str]

    def write(self, name: str, into: Path | None = None) -> Path:
        """Write case ``name`` to a file of its own (skipping the test if it does not apply)."""
        mutation = self.cases[name]
        if isinstance(mutation, str):
            pytest.skip(f"{name}: {mutation}")
        spec = CASES[name]
        base = self.bases[spec.base]
        corrupt = mutation.apply(base)
        assert corrupt != base, f"{name} leaves its base binary unchanged"
        path = (into or self.dir) / name.replace("/", "_").replace(":", "__")
        path.write_bytes(corrupt)
        return path


@pytest.fixture(scope="module")
def corpus(builder: Builder, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """The corrupt corpus: every mutation of every base, computed once per module."""
    bases: dict[str, bytes] = {}
    cases: dict[str, Mutation | str] = {}
    for base, (spec, fmt) in BASES.items():
        data = builder.build(spec).read_bytes()
        bases[base] = data
        cases.update(mutations(base, fmt, data))
    assert set(cases) == set(CASES)
    return Corpus(tmp_path_factory.mktemp("corrupt"), bases, cases)


@pytest.fixture
def corrupt_file(corpus: Corpus, case: str) -> Iterator[Path]:
    """The file of one case, removed after the test (the whole corpus is over a gigabyte)."""
    if CASES[case].fmt != "elf":
        pytest.importorskip(
            LIEF_READER, reason=f"{LIEF_READER} (the PE/Mach-O reader) is not written yet"
        )
    path = corpus.write(case)
    yield path
    path.unlink(missing_ok=True)


# -- in-process: explain() on every case ---------------------------------------------------------


@dataclass
class Outcome:
    """What one bounded call did: returned, raised, or was still running at the deadline."""

    elapsed: float
    finished: bool
    value: Explanation | None = None
    error: BaseException | None = None


def run_bounded(call: Callable[[], Explanation], seconds: float) -> Outcome:
    """Run ``call`` in a daemon thread: a hang becomes a finished=False outcome, not a stuck suite.

    A daemon thread never keeps the interpreter alive, so even a worker that never returns cannot
    stop the test session from finishing.
    """
    box: list[Explanation | BaseException] = []

    def target() -> None:
        try:
            box.append(call())
        except BaseException as exc:
            box.append(exc)

    worker = threading.Thread(target=target, name="explain-corrupt-input", daemon=True)
    start = time.monotonic()
    worker.start()
    worker.join(seconds)
    elapsed = time.monotonic() - start
    if worker.is_alive() or not box:
        return Outcome(elapsed, finished=False)
    got = box[0]
    if isinstance(got, BaseException):
        return Outcome(elapsed, finished=True, error=got)
    return Outcome(elapsed, finished=True, value=got)


def assert_consistent_report(name: str, ex: Explanation, size: int) -> None:
    """The report's file parts tile [0, size), every split of the attribution sums exactly to
    its size, nothing is attributed twice (at most the file), and the JSON document serialises."""
    lay = ex.layout
    assert lay.file_size == size, f"{name}: layout says {lay.file_size} bytes, file has {size}"
    cursor = 0
    for part in lay.parts:
        assert part.file_size >= 0, f"{name}: {part.name} has negative size {part.file_size}"
        if part.file_size == 0:
            continue
        assert part.offset == cursor, f"{name}: {part.name} starts at {part.offset}, not {cursor}"
        cursor = part.end
    assert cursor == size, f"{name}: parts end at {cursor}, file is {size} bytes"
    assert sum(p.file_size for p in lay.parts) == size
    att = ex.attribution
    if att is not None:
        for split in (att.pclntab, att.symbols, att.types, att.data, att.dwarf):
            if split is not None:
                assert split.total == split.size, f"{name}: {split.sections} split is not exact"
                assert all(b >= 0 for _, b in split.packages), f"{name}: negative bytes"
                assert all(t.size >= 0 for t in split.tables), f"{name}: negative table"
        attributed = att.to_packages + att.to_tables
        assert attributed <= size, f"{name}: {attributed} bytes attributed of {size}"
    doc = json.loads(json.dumps(to_document(ex), allow_nan=False))
    assert doc["total"]["file_size"] == doc["file"]["size"] == size


def assert_clean_error(name: str, exc: GobinoptError) -> None:
    """A deliberate BAD_INPUT error whose message is one non-empty line."""
    assert exc.status is ExitStatus.BAD_INPUT, (
        f"{name}: {type(exc).__name__} has status {exc.status!r}, expected BAD_INPUT: "
        f"{exc.one_line()}"
    )
    line = exc.one_line()
    assert line.strip(), f"{name}: empty error message"
    assert "\n" not in line and "\r" not in line, f"{name}: multi-line message {line!r}"


@pytest.mark.usefixtures("cli_runs")  # starts the CLI subset, which then overlaps these cases
@pytest.mark.parametrize("case", sorted(CASES))
def test_corrupt_file_gets_a_clean_error_or_a_consistent_report(
    case: str, corrupt_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within 5 s, explain() returns a report whose parts tile the file exactly, or raises a
    BAD_INPUT GobinoptError with a one-line message."""
    # The UPX estimate compresses up to 2 MiB per report (about 1 s); one 128 KiB chunk exercises
    # the same code on the corrupt layout. The CLI subset below runs the full-size estimate.
    monkeypatch.setattr("gobinopt.explain.savings.UPX_SAMPLE_BYTES", 128 << 10)
    size = corrupt_file.stat().st_size
    outcome = run_bounded(lambda: explain(str(corrupt_file)), CASE_SECONDS)
    if not outcome.finished:
        pytest.fail(f"{case}: explain() still running after {CASE_SECONDS:.0f} s (a hang?)")
    assert outcome.elapsed <= CASE_SECONDS, f"{case}: explain() took {outcome.elapsed:.1f} s"
    if outcome.error is None:
        assert outcome.value is not None
        assert_consistent_report(case, outcome.value, size)
    elif isinstance(outcome.error, GobinoptError):
        assert_clean_error(case, outcome.error)
    else:
        tb = "".join(traceback.format_exception(outcome.error))
        pytest.fail(f"{case}: {type(outcome.error).__name__} escaped explain():\n{tb}")


# -- the real CLI on a representative subset -----------------------------------------------------

#: Cases run through ``python -m gobinopt explain --json``: every ELF mutation kind, every base.
CLI_SUBSET = (
    "hello:truncate@0",
    "hello:truncate@63",
    "hello-pie:truncate@e_shoff+10",
    "cgo:truncate@.gopclntab-mid",
    "hello-stripped:truncate@random#3",
    "hello:ehdr:e_shoff=0xffffffffffffffff",
    "hello-pie:ehdr:e_phnum=0xffff",
    "cgo:ehdr:e_shstrndx=0xffff",
    "hello-stripped:ehdr:EI_CLASS=1(32-bit)",
    "hello:shdr:.shstrtab.sh_offset=past-eof",
    "cgo:shdr:.gopclntab.sh_type=NOBITS",
    "hello-pie:shdr:random.sh_name=past-shstrtab",
    "hello:pclntab:magic=0xfffffffe(go1.0)",
    "hello-stripped:pclntab:nfunc=2**63",
    "cgo:pclntab:functab-flip#0",
    "hello-pie:pclntab:magic=0xfffffffa(go1.16)",
    "hello:buildinfo:version-len=huge",
    "hello-stripped:buildinfo:flags=pointer",
    "cgo:buildinfo:setting=bad-hex-escape",
    "hello:flip-head#0",
    "cgo:flip-any#7",
    "hello-windows:pe-hdr:e_lfanew=0xffffffff",
    "hello-windows:pe-truncate@sections-mid",
    "hello-darwin-arm64:macho-lc:first.cmdsize=0",
    "hello-darwin-arm64:macho-hdr:magic=fat",
)
assert set(CLI_SUBSET) <= set(CASES), set(CLI_SUBSET) - set(CASES)


@dataclass(frozen=True)
class CliRun:
    """One finished (or timed-out) CLI run."""

    size: int
    returncode: int | None
    stdout: str
    stderr: str
    elapsed: float


def cli_env() -> dict[str, str]:
    """The environment of CLI runs: GOBINOPT_DEBUG would turn internal errors into tracebacks."""
    return {k: v for k, v in os.environ.items() if k != "GOBINOPT_DEBUG"}


def run_cli(*args: str) -> CliRun:
    """``python -m gobinopt ARGS`` with the CLI time bound; a timeout kills the child."""
    start = time.monotonic()
    try:
        res = subprocess.run(
            [sys.executable, "-m", "gobinopt", *args],
            capture_output=True,
            text=True,
            timeout=CLI_SECONDS,
            env=cli_env(),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = (
            exc.stdout.decode(errors="replace")
            if isinstance(exc.stdout, bytes)
            else exc.stdout or ""
        )
        err = (
            exc.stderr.decode(errors="replace")
            if isinstance(exc.stderr, bytes)
            else exc.stderr or ""
        )
        return CliRun(-1, None, out, err, time.monotonic() - start)
    return CliRun(-1, res.returncode, res.stdout, res.stderr, time.monotonic() - start)


def run_cli_on(path: Path) -> CliRun:
    """``gobinopt explain --json PATH``, remembering the file's size."""
    size = path.stat().st_size
    return replace(run_cli("explain", "--json", str(path)), size=size)


@pytest.fixture(scope="module")
def cli_runs(
    corpus: Corpus, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[CliRun] | str]]:
    """The CLI subset, started in the background by the first test that needs it, so that the
    subprocesses overlap the in-process cases: case → pending run, or the reason to skip it."""
    reader = importlib.util.find_spec(LIEF_READER) is not None
    into = tmp_path_factory.mktemp("corrupt-cli")
    workers = max(1, (os.cpu_count() or 2) - 1)  # leave a core to the in-process cases
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gobinopt-cli")
    runs: dict[str, Future[CliRun] | str] = {}
    for name in CLI_SUBSET:
        mutation = corpus.cases[name]
        if isinstance(mutation, str):
            runs[name] = mutation
        elif CASES[name].fmt != "elf" and not reader:
            runs[name] = f"{LIEF_READER} (the PE/Mach-O reader) is not written yet"
        else:
            runs[name] = pool.submit(run_cli_on, corpus.write(name, into))
    yield runs
    pool.shutdown(wait=True, cancel_futures=True)  # every run is bounded by CLI_SECONDS
    shutil.rmtree(into, ignore_errors=True)


@pytest.mark.parametrize("case", CLI_SUBSET)
def test_cli_on_corrupt_file_exits_0_or_4_with_one_line(
    case: str, cli_runs: dict[str, Future[CliRun] | str]
) -> None:
    """`gobinopt explain --json` on a corrupt file exits 0 printing JSON, or 4 printing one
    `gobinopt: error:` line, and never prints a traceback."""
    pending = cli_runs[case]
    if isinstance(pending, str):
        pytest.skip(f"{case}: {pending}")
    run = pending.result()
    assert run.returncode is not None, f"{case}: CLI still running after {CLI_SECONDS:.0f} s"
    assert "Traceback" not in run.stderr + run.stdout, f"{case}:\n{run.stderr}"
    assert run.returncode in (ExitStatus.OK, ExitStatus.BAD_INPUT), (
        f"{case}: exit {run.returncode}, stderr: {run.stderr!r}"
    )
    if run.returncode == ExitStatus.OK:
        assert run.stderr == "", f"{case}: exit 0 but stderr {run.stderr!r}"
        doc = json.loads(run.stdout)
        assert doc["total"]["file_size"] == doc["file"]["size"] == run.size
    else:
        assert_one_error_line(case, run)


def assert_one_error_line(case: str, run: CliRun) -> None:
    """Exactly one stderr line, starting with ``gobinopt: error:``, and nothing on stdout."""
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and run.stderr.endswith("\n"), f"{case}: stderr {run.stderr!r}"
    assert lines[0].startswith("gobinopt: error:"), f"{case}: stderr {run.stderr!r}"
    assert run.stdout == "", f"{case}: stdout {run.stdout!r}"


# -- the CLI on basic bad inputs -----------------------------------------------------------------

PNG_HEAD = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
)


def _basic_input(kind: str, tmp: Path) -> str:
    if kind == "missing":
        return str(tmp / "no-such-binary")
    if kind == "directory":
        return str(tmp)
    if kind == "empty":
        path = tmp / "empty"
        path.write_bytes(b"")
        return str(path)
    if kind == "go-source":
        return str(PROGRAMS / "hello" / "main.go")
    if kind == "png":
        path = tmp / "image.png"
        path.write_bytes(PNG_HEAD + bytes(range(256)) * 4)
        return str(path)
    assert kind == "dev-null"
    if not os.path.exists(os.devnull) or os.devnull != "/dev/null":
        pytest.skip("no /dev/null on this platform")
    return os.devnull


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("missing", ExitStatus.NOT_FOUND),
        ("directory", ExitStatus.NOT_FOUND),
        ("dev-null", ExitStatus.NOT_FOUND),
        ("empty", ExitStatus.BAD_INPUT),
        ("go-source", ExitStatus.BAD_INPUT),
        ("png", ExitStatus.BAD_INPUT),
    ],
)
def test_cli_basic_bad_input_gets_its_documented_exit_code(
    kind: str, status: ExitStatus, tmp_path: Path
) -> None:
    """A missing path, a directory or a device exits 3, and an empty, text or PNG file exits 4,
    each with one `gobinopt: error:` line on stderr."""
    run = run_cli("explain", "--json", _basic_input(kind, tmp_path))
    assert run.returncode is not None, f"{kind}: CLI still running after {CLI_SECONDS:.0f} s"
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == status, f"{kind}: exit {run.returncode}, stderr {run.stderr!r}"
    assert_one_error_line(kind, run)


# -- the corpus itself ---------------------------------------------------------------------------


def test_corpus_is_deterministic(corpus: Corpus) -> None:
    """Recomputing every mutation from the same base binaries yields exactly the same corpus."""
    again: dict[str, Mutation | str] = {}
    for base, (_spec, fmt) in BASES.items():
        again.update(mutations(base, fmt, corpus.bases[base]))
    assert again == corpus.cases


def test_run_bounded_reports_a_hang_without_waiting_for_it() -> None:
    """A call still running at the deadline is reported as unfinished at the deadline."""
    release = threading.Event()

    def hang() -> Explanation:
        release.wait(60)
        raise AssertionError("released")

    try:
        outcome = run_bounded(hang, 0.2)
    finally:
        release.set()
    assert not outcome.finished
    assert 0.2 <= outcome.elapsed < 2

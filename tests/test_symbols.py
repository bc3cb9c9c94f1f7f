"""Symbol tables of ELF, Mach-O and PE split by package, and the data sections split by symbol.

The oracle is ``go tool nm -size -sort none``: its names, addresses, symbol codes and sizes
(ELF ``st_size``; on Mach-O and PE the distance to the next symbol, as cmd/internal/objfile
computes it). Section ranges come from ``readelf -S -W`` on ELF and from the layout (checked
against LIEF and Go's debug packages in test_lief_reader) on Mach-O and PE.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from array import array
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import CROSS_VARIANTS, ELF_VARIANTS, Builder, Spec, pinned_go
from gobinopt.binary import BinaryFormatError, Category, Layout, map_file, read_layout
from gobinopt.binary.categories import categorize, normalise
from gobinopt.binary.interface import Format
from gobinopt.golang import GoMetadataError, import_path, package_name
from gobinopt.golang.attribution import Split, type_package
from gobinopt.golang.datasyms import CARRIERS, MARKERS, DataSplits, split_data
from gobinopt.golang.symtab import split_symbols

DATA_CATEGORIES = (Category.RODATA, Category.DATA, Category.GO_METADATA)
TYPE_SECTIONS = (".go.type", ".typelink", ".data.rel.ro.go.type", ".data.rel.ro.typelink")


@dataclass(frozen=True)
class NmSym:
    """One line of go tool nm -size -sort none."""

    order: int
    address: int
    size: int
    code: str
    name: str


def nm(path: Path) -> list[NmSym]:
    out = subprocess.run(
        [pinned_go(), "tool", "nm", "-size", "-sort", "none", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    syms = []
    for k, line in enumerate(out.splitlines()):
        # "address size code name": the address is blank for undefined ELF symbols, the name
        # may be empty (ELF section symbols) or hold spaces.
        match = re.match(r"^\s*([0-9a-f]*)\s+(\d+) (\S) ?(.*)$", line)
        assert match is not None, line
        addr, size, code, name = match.groups()
        syms.append(NmSym(k, int(addr, 16) if addr else 0, int(size), code, name))
    return syms


def covered_ranges(path: Path, layout: Layout, syms: list[NmSym]) -> list[tuple[str, int, int]]:
    """(section, first address, end address) of the file bytes the data split covers."""
    ranges: list[tuple[str, int, int]] = []
    if layout.format is Format.ELF:
        out = subprocess.run(
            ["readelf", "-S", "-W", str(path)], capture_output=True, text=True, check=True
        ).stdout
        for line in out.splitlines():
            m = re.match(
                r"^\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", line
            )
            if m is None or m.group(2) == "NOBITS":
                continue
            name, addr, size = m.group(1), int(m.group(3), 16), int(m.group(4), 16)
            if size and categorize(name) in DATA_CATEGORIES and name != ".gopclntab":
                ranges.append((name, addr, addr + size))
        return ranges
    by_name = {s.name: s.address for s in syms if s.code != "U"}
    pcln = (by_name.get("runtime.pclntab"), by_name.get("runtime.epclntab"))
    for part in layout.sections():
        if not part.file_size or part.category not in DATA_CATEGORIES:
            continue
        if normalise(part.name) == ".gopclntab":
            continue
        lo, hi = part.address, part.address + part.file_size
        if pcln[0] is not None and pcln[1] is not None and lo <= pcln[0] < pcln[1] <= hi:
            ranges += [(part.name, lo, pcln[0]), (part.name, pcln[1], hi)]
        else:
            ranges.append((part.name, lo, hi))
    return ranges


def nm_name(name: str, fmt: Format) -> str:
    """The symbol's own name: nm keeps Mach-O's ``_`` on names without a dot."""
    if fmt is Format.MACHO and name.startswith("_"):
        return name[1:]
    return name.split("@", 1)[0]


def oracle_packages(path: Path, layout: Layout) -> tuple[dict[str, int], dict[str, int], int]:
    """Per package (types, data) bytes painted from nm's symbols, and the covered byte count.

    Each covered byte goes to the shortest nm extent holding it (then a package symbol over
    one without, a later-laid-out carrier over an earlier one, the first in table order);
    boundary markers hold nothing; zero-size ELF carriers run to the next symbol.
    """
    syms = nm(path)
    fmt = layout.format
    ranges = covered_ranges(path, layout, syms)
    defined = sorted({s.address for s in syms if s.code != "U"})
    section_names = {p.name for p in layout.sections()}
    types: dict[str, int] = defaultdict(int)
    data: dict[str, int] = defaultdict(int)
    total = 0
    for section, lo, hi in ranges:
        total += hi - lo
        owner = array("i", [-1]) * (hi - lo)
        extents = []
        for s in syms:
            name = nm_name(s.name, fmt)
            if s.code not in "RrDdBb" or not lo <= s.address < hi or name in MARKERS:
                continue
            if fmt is not Format.ELF and name in section_names:
                continue
            size = s.size
            if fmt is Format.ELF and size == 0 and name in CARRIERS:
                later = [a for a in defined if a > s.address]
                size = (later[0] if later else hi) - s.address
            end = min(hi, s.address + size)
            if end <= s.address:
                continue
            pkg = package_of(name, section)
            rank = (
                2 + (len(CARRIERS) - CARRIERS.index(name)) if name in CARRIERS else int(not pkg[1])
            )
            extents.append((end - s.address, rank, s.order, s.address, end, pkg))
        # Paint the widest first so the innermost (then best ranked, then first) paints last.
        extents.sort(key=lambda e: (-e[0], -e[1], -e[2]))
        keys = []
        for k, (_, _, _, start, end, pkg) in enumerate(extents):
            owner[start - lo : end - lo] = array("i", [k]) * (end - start)
            keys.append(pkg)
        counts: dict[int, int] = defaultdict(int)
        for k in owner:
            counts[k] += 1
        for k, n in counts.items():
            if k >= 0 and keys[k][1]:
                (types if keys[k][0] else data)[keys[k][1]] += n
    return dict(types), dict(data), total


def package_of(name: str, section: str) -> tuple[bool, str]:
    """(type metadata?, package) of a data symbol; "" when it belongs to no package."""
    if name.startswith("type:") or name == "typerel.*" or normalise(section) in TYPE_SECTIONS:
        return True, type_package(name)
    if name.startswith("runtime.gcbits."):
        return True, ""
    if name.startswith("go:itab."):
        return False, type_package("type:" + name[len("go:itab.") :])
    if name.startswith("go:"):
        return False, ""
    pkg = import_path(package_name(name, True))
    return False, "" if pkg.startswith("$") else pkg


def exact(split: Split) -> None:
    assert split.total == split.size
    assert all(size > 0 for _, size in split.packages)
    assert all(t.size > 0 for t in split.tables)


def splits_of(path: Path) -> tuple[Layout, DataSplits | None, Split | None]:
    with map_file(str(path)) as mapped:
        layout = read_layout(str(path), mapped.data)
        return layout, split_data(mapped.data, layout), split_symbols(mapped.data, layout)


def go127(builder: Builder, *flags: str) -> Path:
    from test_toolchains import provision

    return builder.build(Spec("hello", flags, go=provision("1.27.3")))


def build(builder: Builder, variant: str) -> Path:
    if variant.startswith("go1.27"):
        return go127(builder, *(("-buildmode=pie",) if variant.endswith("pie") else ()))
    return builder.build({**ELF_VARIANTS, **CROSS_VARIANTS}[variant])


DATA_VARIANTS = (
    "hello",
    "http",
    "withdep",
    "cgo",
    "hello-pie",
    "http-cgo-pie",
    "go1.27",
    "go1.27-pie",
    "hello-windows",
    "hello-darwin-arm64",
)


@pytest.mark.parametrize("variant", DATA_VARIANTS)
def test_data_by_package_equals_go_tool_nm(builder: Builder, variant: str) -> None:
    """Per package, the types and data bytes equal nm's symbol sizes painted over the sections."""
    if shutil.which("readelf") is None:
        pytest.skip("readelf not found — apt-get install binutils")
    path = build(builder, variant)
    layout, splits, _ = splits_of(path)
    assert splits is not None
    types, data, covered = oracle_packages(path, layout)
    assert dict(splits.types.packages) == types
    assert dict(splits.data.packages) == data
    assert splits.types.size + splits.data.size == covered
    exact(splits.types)
    exact(splits.data)


@pytest.mark.parametrize("variant", DATA_VARIANTS)
def test_data_splits_are_exact_and_mostly_named(builder: Builder, variant: str) -> None:
    """Types plus data is exactly the covered bytes; packages and kind tables hold most of it."""
    _, splits, _ = splits_of(build(builder, variant))
    assert splits is not None
    exact(splits.types)
    exact(splits.data)
    unnamed = sum(
        t.size
        for sp in (splits.types, splits.data)
        for t in sp.tables
        if t.name.endswith(": unnamed")
    )
    assert unnamed < 0.1 * (splits.types.size + splits.data.size)
    tables = {t.name for t in splits.types.tables}
    assert "type descriptors (type:*)" in tables
    assert dict(splits.data.packages)["runtime"] > 0
    assert any(t.name == "string data (go:string.*)" for t in splits.data.tables)


def test_go127_type_sections_are_all_types(builder: Builder) -> None:
    """Go 1.27's .go.type is entirely type metadata, its .go.func entirely function data."""
    path = go127(builder)
    layout, splits, _ = splits_of(path)
    assert splits is not None
    gotype = layout.section(".go.type")
    assert gotype is not None
    assert ".go.type" in splits.types.sections and ".go.type" not in splits.data.sections
    assert ".go.func" in splits.data.sections and ".go.func" not in splits.types.sections
    assert splits.types.size >= gotype.file_size


@pytest.mark.parametrize(
    "variant",
    ["hello-s", "hello-sw-X", "hello-stripped", "hello-windows-s", "hello-darwin-amd64-sw"],
)
def test_stripped_builds_have_no_data_split(builder: Builder, variant: str) -> None:
    """A build without symbols (-s, strip) has no data split, nor an ELF or PE symbol split."""
    layout, splits, symbols = splits_of(build(builder, variant))
    assert splits is None
    if layout.format is Format.MACHO:
        # A Mach-O -s build keeps its imports (undefined symbols) in LC_SYMTAB.
        assert symbols is None or symbols.total == symbols.size
    else:
        assert symbols is None


@pytest.mark.parametrize("variant", ["hello-windows", "hello-darwin-arm64"])
def test_symbols_by_package_equal_go_tool_nm_on_pe_and_macho(
    builder: Builder, variant: str
) -> None:
    """Per package, PE and Mach-O symbol bytes equal nm's symbols (records plus table names)."""
    path = build(builder, variant)
    layout, _, split = splits_of(path)
    assert split is not None
    fmt = layout.format
    entsize = 18 if fmt is Format.PE else 16
    expected: dict[str, int] = defaultdict(int)
    for s in nm(path):
        # The table's own spelling: Mach-O prefixes every name with "_" (nm drops it from names
        # with a dot); PE keeps names of up to 8 bytes inside the record.
        raw = ("_" + s.name if "." in s.name else s.name) if fmt is Format.MACHO else s.name
        name = nm_name(s.name, fmt)
        pkg = import_path(package_name(name, True)) if name else ""
        in_strings = fmt is Format.MACHO or len(raw.encode()) > 8
        expected[pkg] += entsize + (len(raw.encode()) + 1 if in_strings else 0)
    tables = {p.name: p.file_size for p in layout.parts}
    if fmt is Format.PE:
        assert split.size == tables["COFF symbol table"] + tables["COFF string table"]
    else:
        assert split.size == tables["symbol table"] + tables["string table"]
    exact(split)
    assert dict(split.packages) == {k: v for k, v in expected.items() if v}


CORRUPT_VARIANTS = ("hello", "hello-windows", "hello-darwin-arm64", "cgo")


@pytest.mark.parametrize("variant", CORRUPT_VARIANTS)
def test_corrupt_symbol_tables_fail_cleanly(builder: Builder, variant: str, tmp_path: Path) -> None:
    """Flipped or truncated symbol and string tables give GoMetadataError, None or exact splits."""
    path = build(builder, variant)
    original = path.read_bytes()
    layout = read_layout(str(path), original)
    areas = [p for p in layout.parts if p.category is Category.SYMBOLS and p.file_size]
    assert areas
    rng = random.Random(variant)
    copy = tmp_path / "corrupt"
    for seed in range(60):
        raw = bytearray(original)
        area = areas[seed % len(areas)]
        truncated = seed % 5 == 4
        if truncated:
            raw = raw[: area.offset + rng.randrange(area.file_size)]
        else:
            for _ in range(1 + seed % 7):
                at = area.offset + rng.randrange(area.file_size)
                raw[at] = rng.randrange(256) if seed % 3 else 0xFF
        copy.write_bytes(raw)
        with map_file(str(copy)) as mapped:
            try:
                # A truncated file is read with the whole file's layout: tables past the end.
                corrupt = layout if truncated else read_layout(str(copy), mapped.data)
            except BinaryFormatError:
                continue  # the headers themselves: the layout reader's business
            for reader in (split_symbols, split_data):
                try:
                    result = reader(mapped.data, corrupt)
                except GoMetadataError as exc:
                    assert "\n" not in str(exc)
                    continue
                if isinstance(result, Split):
                    exact(result)
                elif isinstance(result, DataSplits):
                    exact(result.types)
                    exact(result.data)
                else:
                    assert result is None

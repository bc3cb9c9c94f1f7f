"""Attribution beyond .text: Go 1.27 sections categorised, pclntab and symbols split by package."""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import ELF_VARIANTS, Builder, Spec, run_gobinopt
from gobinopt.binary import Category, map_file, read_layout
from gobinopt.explain import explain
from gobinopt.golang import import_path, package_name, read_pclntab
from gobinopt.golang.pclntab_split import split_pclntab
from gobinopt.golang.symtab import split_symbols

#: Real builds the exact-sum checks run over.
SPLIT_VARIANTS = ("hello", "hello-sw-X", "hello-pie", "http-cgo-pie", "cgo", "withdep")


def go127(builder: Builder, *flags: str) -> Path:
    from test_toolchains import provision

    return builder.build(Spec("hello", flags, go=provision("1.27.3")))


@pytest.mark.parametrize("flags", [(), ("-ldflags=-s -w",), ("-buildmode=pie",)])
def test_go127_has_no_other_bytes(builder: Builder, flags: tuple[str, ...]) -> None:
    """A Go 1.27 build's .go.type and .go.func are Go runtime metadata and nothing is "other"."""
    path = go127(builder, *flags)
    ex = explain(str(path), savings=False, attribute=True)
    names = {p.name: p.category for p in ex.layout.sections()}
    assert any(n.endswith(".go.type") for n in names)
    for name, category in names.items():
        if name.endswith((".go.type", ".go.func")):
            assert category is Category.GO_METADATA, name
    assert not [c for c in ex.categories if c.category is Category.OTHER and c.file_size]


@pytest.mark.parametrize("variant", SPLIT_VARIANTS)
def test_pclntab_split_sums_to_section(builder: Builder, variant: str) -> None:
    """The pclntab's per-package bytes plus its named tables equal the section size exactly."""
    path = str(builder.build(ELF_VARIANTS[variant]))
    with map_file(path) as mapped:
        layout = read_layout(path, mapped.data)
        tab = read_pclntab(mapped.data, layout)
        assert tab is not None
        split = split_pclntab(mapped.data, layout, tab)
    section = layout.section(".gopclntab")
    assert split is not None and section is not None
    assert split.size == section.file_size
    assert split.total == section.file_size
    tables = {t.name: t.size for t in split.tables}
    assert tables["pcHeader"] == 8 + 8 * tab.ptr_size
    assert tables.get("after the table", 0) == 0
    assert 0 < split.shared < split.size
    packages = dict(split.packages)
    assert packages["runtime"] > packages.get("main", 0) > 0


def test_pclntab_split_finds_findfunctab_like_the_symbol_table(builder: Builder) -> None:
    """runtime.findfunctab, named inside the split, has the size the symbol table gives it."""
    path = builder.build(ELF_VARIANTS["hello"])
    ex = explain(str(path), savings=False, attribute=True)
    assert ex.attribution is not None and ex.attribution.pclntab is not None
    tables = {t.name: t.size for t in ex.attribution.pclntab.tables}
    nm = _nm(path)
    assert tables["runtime.findfunctab"] == nm["runtime.findfunctab"][0]


def _nm(path: Path) -> dict[str, tuple[int, str]]:
    from conftest import pinned_go

    out = subprocess.run(
        [pinned_go(), "tool", "nm", "-size", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    syms: dict[str, tuple[int, str]] = {}
    for line in out.splitlines():
        fields = line.split(None, 3)
        if len(fields) == 4:
            syms[fields[3]] = (int(fields[1]), fields[2])
    return syms


@pytest.mark.parametrize("variant", ["hello", "hello-pie", "cgo", "withdep"])
def test_symbols_by_package_equal_go_tool_nm(builder: Builder, variant: str) -> None:
    """Per package, symbol bytes equal go tool nm's symbols (24-byte entries plus names)."""
    path = builder.build(ELF_VARIANTS[variant])
    out = subprocess.run(
        [_go(), "tool", "nm", "-size", str(path)], capture_output=True, text=True, check=True
    ).stdout
    expected: dict[str, int] = defaultdict(int)
    for line in out.splitlines():
        # "address size type name": the address is blank for undefined symbols, the name may be
        # empty (section symbols) or contain spaces.
        match = re.match(r"^\s*[0-9a-f]*\s+\d+ \S (.*)$", line)
        assert match is not None, line
        name = match.group(1)
        bare = name.split("@", 1)[0]
        package = import_path(package_name(bare, True)) if bare else ""
        expected[package] += 24 + len(name.encode()) + 1
    with map_file(str(path)) as mapped:
        layout = read_layout(str(path), mapped.data)
        split = split_symbols(mapped.data, layout)
    assert split is not None
    symtab, strtab = layout.section(".symtab"), layout.section(".strtab")
    assert symtab is not None and strtab is not None
    assert split.total == split.size == symtab.file_size + strtab.file_size
    got = dict(split.packages)
    if split.shared == 0:  # names not shared: every byte is the symbol's own
        assert got == {k: v for k, v in expected.items() if v}
    else:
        assert set(got) <= set(expected)
    assert sum(got.values()) + sum(t.size for t in split.tables) == split.size


def _go() -> str:
    from conftest import pinned_go

    return pinned_go()


def test_stripped_build_has_no_symbol_split(builder: Builder) -> None:
    """A -s -w build has no symbol table, so symbols are 0 for every package and code is exact."""
    ex = explain(str(builder.build(ELF_VARIANTS["hello-sw-X"])), savings=False, attribute=True)
    a = ex.attribution
    assert a is not None and a.symbols is None and a.pclntab is not None
    assert all(p.symbols == 0 and p.dwarf == 0 for p in a.packages)
    assert ex.code is not None
    assert sum(p.code for p in a.packages) == ex.code.go_code
    assert (
        sum(p.pclntab for p in a.packages) + sum(t.size for t in a.pclntab.tables) == a.pclntab.size
    )


def test_json_attribution_matches_columns(builder: Builder) -> None:
    """explain --json carries the attribution: each package's total is the sum of its columns."""
    import json

    path = builder.build(ELF_VARIANTS["hello"])
    res = run_gobinopt("explain", str(path), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)["attribution"]
    assert doc is not None and 0 < doc["share"] <= 1
    for p in doc["packages"]:
        areas = ("code", "pclntab", "types", "data", "symbols", "dwarf")
        assert p["total"] == sum(p[a] for a in areas)
    assert doc["to_packages"] == sum(p["total"] for p in doc["packages"] if p["name"])
    pcln = doc["pclntab"]
    assert sum(x["bytes"] for x in pcln["packages"] + pcln["tables"]) == pcln["size"]


def test_attribution_is_skipped_for_callers_that_only_compare(builder: Builder) -> None:
    """explain(savings=False), as matrix, diff and gate call it, skips the per-package split
    unless asked; asked, it is the same split the full explain makes."""
    path = str(builder.build(ELF_VARIANTS["hello"]))
    assert explain(path, savings=False).attribution is None
    asked = explain(path, savings=False, attribute=True).attribution
    assert asked is not None and asked == explain(path).attribution


def test_by_package_table_shows_every_column_and_the_attributed_share(builder: Builder) -> None:
    """`explain --by package` prints the attributed share and, per package, one column per area
    the file has (code, pclntab, types, data, symbols, DWARF) summing to the total, with the
    named runtime tables below."""
    path = builder.build(ELF_VARIANTS["hello"])
    ex = explain(str(path))
    assert ex.attribution is not None
    runtime = next(p for p in ex.attribution.packages if p.name == "runtime")
    res = run_gobinopt("explain", str(path), "--by", "package", "--top", "0")
    assert res.returncode == 0, res.stderr
    assert f"Attributed: {100 * ex.attribution.share:.1f}% of the file" in res.stdout
    lines = res.stdout.splitlines()
    start = lines.index(next(x for x in lines if x.startswith("File bytes by Go package")))
    header = [c.strip() for c in lines[start + 1].replace("┃", "│").split("│")]
    areas = [a for a in ("code", "pclntab", "types", "data", "symbols", "dwarf") if a in header]
    assert areas == [
        a
        for a in ("code", "pclntab", "types", "data", "symbols", "dwarf")
        if any(getattr(p, a) for p in ex.attribution.packages)
    ]
    assert {"code", "pclntab", "types", "symbols"} <= set(areas)
    row = next(line for line in lines[start:] if line.startswith("runtime "))
    cells = [c.strip() for c in row.split("│")]
    assert cells[1 : 2 + len(areas)] == [
        *(f"{getattr(runtime, a):,}" for a in areas),
        f"{runtime.total:,}",
    ]
    assert "pclntab: filetab" in res.stdout


#: Unstripped builds where nearly every byte must be attributed (issue 11: >= 95 %).
FULL_VARIANTS = ("hello", "http", "withdep", "hello-pie", "http-cgo-pie", "cgo", "hello-trimpath")


def _attributed_once(ex_path: str) -> tuple[float, int, int]:
    """(share, attributed + unexplained bytes, file size) of a full explain."""
    ex = explain(ex_path, savings=False, attribute=True)
    a = ex.attribution
    assert a is not None
    for split in (a.pclntab, a.symbols, a.types, a.data, a.dwarf):
        if split is not None:
            assert split.total == split.size
    return a.share, a.to_packages + a.to_tables + a.unexplained, a.file_size


@pytest.mark.parametrize("variant", FULL_VARIANTS)
def test_unstripped_builds_are_attributed_at_least_95_percent_once(
    builder: Builder, variant: str
) -> None:
    """An unstripped build has >= 95 % of its bytes attributed to a package or a named table,
    and no byte is counted twice (attributed plus unexplained is at most the file)."""
    share, counted, size = _attributed_once(str(builder.build(ELF_VARIANTS[variant])))
    assert share >= 0.95, f"{variant}: {share:.3f}"
    assert counted <= size


@pytest.mark.parametrize("variant", ["hello-windows", "hello-darwin-arm64"])
def test_cross_builds_are_attributed_at_least_95_percent_once(
    builder: Builder, variant: str
) -> None:
    """Windows (PE) and macOS (Mach-O) builds are attributed like ELF ones: >= 95 %, once."""
    from conftest import CROSS_VARIANTS

    share, counted, size = _attributed_once(str(builder.build(CROSS_VARIANTS[variant])))
    assert share >= 0.95, f"{variant}: {share:.3f}"
    assert counted <= size


@pytest.mark.parametrize("flags", [(), ("-ldflags=-s -w",), ("-buildmode=pie",)])
def test_go127_is_attributed_once_with_go_func_in_data(
    builder: Builder, flags: tuple[str, ...]
) -> None:
    """A Go 1.27 build's .go.func words land in the data column (split by the function they
    name) and .go.type in the types column, each byte once."""
    path = go127(builder, *flags)
    ex = explain(str(path), savings=False, attribute=True)
    a = ex.attribution
    assert a is not None and a.types is not None
    assert any(s.endswith(".go.type") for s in a.types.sections), a.types.sections
    gofunc = ex.layout.section(".go.func", ".data.rel.ro.go.func")
    if gofunc is not None and gofunc.file_size:
        assert a.data is not None and gofunc.name in a.data.sections
    assert a.to_packages + a.to_tables + a.unexplained <= a.file_size
    if not flags:
        assert a.share >= 0.95


@pytest.mark.parametrize("variant", ["hello-sw-X", "hello-stripped", "cgo-stripped"])
def test_stripped_builds_attribute_all_code_pclntab_and_types(
    builder: Builder, variant: str
) -> None:
    """Stripped, every byte of Go code, of the pclntab and of the type descriptors is
    attributed: the code column sums to the Go code, the pclntab split to its section, and the
    type split exists with nothing unexplained in it."""
    ex = explain(str(builder.build(ELF_VARIANTS[variant])), savings=False, attribute=True)
    a = ex.attribution
    assert a is not None and ex.code is not None
    assert sum(p.code for p in a.packages) == ex.code.go_code
    section = ex.layout.section(".gopclntab")
    assert a.pclntab is not None and section is not None
    assert a.pclntab.total == a.pclntab.size == section.file_size
    assert a.types is not None and a.types.total == a.types.size
    assert not [t for t in a.types.tables if t.unexplained or "not reached" in t.name]
    assert a.to_packages + a.to_tables + a.unexplained <= a.file_size


def test_pe_pclntab_ends_at_epclntab_stripped_or_not(builder: Builder) -> None:
    """PE keeps the pclntab inside .rdata: stripped (-s) or not, its split ends at
    runtime.epclntab (moduledata or symbol) and is the same split, ending with findfunctab."""
    from conftest import CROSS_VARIANTS

    full = explain(
        str(builder.build(CROSS_VARIANTS["hello-windows"])), savings=False, attribute=True
    )
    bare = explain(
        str(builder.build(CROSS_VARIANTS["hello-windows-s"])), savings=False, attribute=True
    )
    assert full.attribution is not None and bare.attribution is not None
    a, b = full.attribution.pclntab, bare.attribution.pclntab
    assert a is not None and b is not None
    assert a == b
    tables = {t.name: t.size for t in a.tables}
    assert "after the table" not in tables and tables["runtime.findfunctab"] > 0
    rdata = full.layout.section(".rdata")
    assert rdata is not None and a.size < rdata.file_size

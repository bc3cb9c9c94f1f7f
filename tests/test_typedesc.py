"""The type descriptor region of stripped Go binaries, split by package through moduledata.

Oracles: the unstripped twin's symbol table (where the type symbols end in Go 1.26, the
``.go.type`` section in Go 1.27) and a ``-buildmode=plugin`` build, whose dynamic-linking
symbol table lists the type symbols one by one with their sizes.
"""

from __future__ import annotations

import random
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import CROSS_VARIANTS, Builder, Spec
from gobinopt.binary import map_file, read_layout
from gobinopt.binary.interface import Layout
from gobinopt.golang import GoMetadataError, read_buildinfo, read_pclntab
from gobinopt.golang.attribution import Split
from gobinopt.golang.typedesc import (
    _Gaps,
    _Walker,
    find_moduledata,
    split_types,
    split_types_why,
)
from test_toolchains import provision

SW = ("-ldflags=-s -w",)
STRIPPED = {
    "hello": Spec("hello", SW),
    "hello-strip": Spec("hello", post="strip"),
    "hello-pie": Spec("hello", ("-buildmode=pie", *SW)),
    "http": Spec("httpserver", SW),
    "withdep": Spec("withdep/app", SW),
}


def go127() -> str:
    return provision("1.27.3")


def analyse(path: Path) -> tuple[Split | None, str]:
    with map_file(str(path)) as m:
        layout = read_layout(str(path), m.data)
        tab = read_pclntab(m.data, layout)
        info = read_buildinfo(m.data, layout)
        assert tab is not None and info is not None
        return split_types_why(m.data, layout, tab, info.go_version)


def nm(go: str, path: Path) -> list[tuple[int, int, str]]:
    out = subprocess.run(
        [go, "tool", "nm", "-size", "-sort", "address", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4:
            rows.append((int(parts[0], 16), int(parts[1]), parts[3]))
    return rows


def assert_exact(split: Split) -> None:
    assert split.total == split.size
    tables = {t.name for t in split.tables}
    assert "type data (not reached)" not in tables, split.tables


@pytest.mark.parametrize("variant", sorted(STRIPPED))
def test_stripped_type_region_is_split_exactly_and_completely(
    builder: Builder, variant: str
) -> None:
    """Every byte of the type region of a stripped Go 1.26 binary is a descriptor, a name, a
    closure or alignment padding, and the parts sum to the region."""
    split, why = analyse(builder.build(STRIPPED[variant]))
    assert split is not None, why
    assert_exact(split)
    assert split.size > 50_000


@pytest.mark.parametrize("program", ["hello", "httpserver", "withdep/app"])
def test_go127_go_type_section_is_split_exactly_and_completely(
    builder: Builder, program: str
) -> None:
    """A stripped Go 1.27 binary's .go.type section is split whole, every byte accounted."""
    go = go127()
    path = builder.build(Spec(program, SW, go=go))
    split, why = analyse(path)
    assert split is not None, why
    assert_exact(split)
    with map_file(str(path)) as m:
        sec = read_layout(str(path), m.data).section(".go.type")
    assert sec is not None
    assert split.sections == (".go.type",) and split.size == sec.file_size


@pytest.mark.parametrize("flags", [(), ("-buildmode=pie",)], ids=["exe", "pie"])
@pytest.mark.parametrize("program", ["hello", "httpserver"])
def test_go126_region_ends_where_the_twins_next_symbol_group_begins(
    go: str, builder: Builder, program: str, flags: tuple[str, ...]
) -> None:
    """In Go 1.26 the split ends exactly where the unstripped twin's first non-type symbol
    after runtime.types (go:string.*, go:funcdesc…) starts."""
    twin = builder.build(Spec(program, flags))
    stripped = builder.build(Spec(program, (*flags, *SW)))
    syms = nm(go, twin)
    types = next(a for a, _, n in syms if n == "runtime.types")
    after = min(a for a, _, n in syms if a > types and n not in ("type:*", "typerel.*"))
    for path in (twin, stripped):
        split, why = analyse(path)
        assert split is not None, why
        assert split.size == after - types


def test_stripped_and_unstripped_twins_split_alike(builder: Builder) -> None:
    """-s -w changes no type byte: the twins' splits are equal."""
    a, _ = analyse(builder.build(Spec("httpserver")))
    b, _ = analyse(builder.build(Spec("httpserver", SW)))
    assert a is not None and a == b


def test_types_go_to_the_packages_that_declare_them(builder: Builder) -> None:
    """Type bytes go to import paths (net/http's own types to net/http), nearly all of them to
    packages that also have code in the pclntab or to "" for built-in types."""
    path = builder.build(Spec("httpserver", SW))
    split, _ = analyse(path)
    assert split is not None
    with map_file(str(path)) as m:
        tab = read_pclntab(m.data, read_layout(str(path), m.data))
    assert tab is not None
    code = {f.package for f in tab.functions} | {""}
    packages = dict(split.packages)
    assert packages["net/http"] > packages.get("http", 0) and "go.shape" not in packages
    with_code = sum(v for k, v in packages.items() if k in code)
    assert with_code >= 0.95 * sum(packages.values())


# -- the plugin oracle: every type symbol by name, address and size ------------------------------


def relocated_copy(path: Path, out: Path) -> Path:
    """A copy of an ELF shared object with its R_X86_64_RELATIVE/R_X86_64_64 relocations
    applied, the way the dynamic loader would (the external linker leaves the words zero)."""
    data = bytearray(path.read_bytes())
    layout = read_layout(str(path), bytes(data))
    rela, dynsym = layout.section(".rela.dyn"), layout.section(".dynsym")
    assert rela is not None and dynsym is not None
    for at in range(rela.offset, rela.end, 24):
        where, info, addend = struct.unpack_from("<QQq", data, at)
        kind, sym = info & 0xFFFFFFFF, info >> 32
        if kind == 8:  # R_X86_64_RELATIVE
            value = addend
        elif kind == 1:  # R_X86_64_64
            value = struct.unpack_from("<Q", data, dynsym.offset + 24 * sym + 8)[0] + addend
        else:
            continue
        off = layout.offset_of(where)
        if off is not None:
            struct.pack_into("<Q", data, off, value % (1 << 64))
    out.write_bytes(bytes(data))
    return out


def walked(path: Path) -> tuple[_Walker, Split]:
    with map_file(str(path)) as m:
        data = bytes(m.data)
    layout = read_layout(str(path), data)
    tab = read_pclntab(data, layout)
    assert tab is not None
    md = find_moduledata(data, layout, tab)
    assert not isinstance(md, str), md
    walker = _Walker(data, layout, tab, md)
    return walker, walker.split()


def test_plugin_type_symbols_are_exactly_the_walked_items(
    go: str, builder: Builder, tmp_path: Path
) -> None:
    """In a plugin build every type:* symbol of the region starts a walked item of the same
    size, and every walked item the symbol table names has that symbol's size."""
    plugin = builder.build(Spec("hello", ("-buildmode=plugin",), (("CGO_ENABLED", "1"),)))
    path = relocated_copy(plugin, tmp_path / "plugin.so")
    walker, split = walked(path)
    assert_exact(split)
    syms = {a - walker.base: (s, n) for a, s, n in nm(go, plugin) if s}
    in_region = {o: v for o, v in syms.items() if 0 <= o < split.size}
    assert len(in_region) > 1000
    for off, (size, name) in in_region.items():
        assert name.startswith("type:"), name
        assert walker.items.get(off, 0) - off == size, (hex(off), name, size)
    matched = sum(1 for off in walker.items if off in in_region)
    assert matched == len(in_region)


@pytest.mark.parametrize("release", ["1.26", "1.27"])
def test_gaps_kept_during_the_walk_equal_the_gaps_of_the_final_items(
    builder: Builder, release: str
) -> None:
    """The gaps between items, kept up to date as each gap pass adds items (and as Go 1.26's
    trailing closures are dropped), equal the gaps computed afresh from the final items."""
    spec = Spec("httpserver", SW, go=go127() if release == "1.27" else "")
    walker, split = walked(builder.build(spec))
    assert_exact(split)
    kept = walker.gaps
    fresh = _Gaps.of(walker, sorted(walker.items))
    assert kept is not None and not kept.overlap and not fresh.overlap
    assert (kept.lo, kept.hi, kept.first, kept.last) == (
        fresh.lo,
        fresh.hi,
        fresh.first,
        fresh.last,
    )
    assert kept.dirty & set(kept.lo) == fresh.dirty


# -- formats and versions ---------------------------------------------------------------------


@pytest.mark.parametrize("variant", sorted(CROSS_VARIANTS))
def test_cross_builds_split_exactly(builder: Builder, variant: str) -> None:
    """PE and Mach-O builds locate moduledata too and split their type region exactly."""
    split, why = analyse(builder.build(CROSS_VARIANTS[variant]))
    assert split is not None, why
    assert_exact(split)


def test_older_release_gives_none_with_a_reason(builder: Builder) -> None:
    """A Go 1.25 binary, whose moduledata layout differs, gives None and says why."""
    path = builder.build(Spec("hello", SW, go=provision("1.25.5")))
    split, why = analyse(path)
    assert split is None and "1.25" in why


# -- corrupt input ------------------------------------------------------------------------------


def damage_cases(path: Path) -> list[tuple[str, bytes]]:
    raw = path.read_bytes()
    layout = read_layout(str(path), raw)
    tab = read_pclntab(raw, layout)
    assert tab is not None
    md = find_moduledata(raw, layout, tab)
    assert not isinstance(md, str)
    types = layout.offset_of(md.types)
    assert types is not None
    region = (types, types + min(md.etypes - md.types, 400_000))
    module = (md.offset, md.offset + 51 * 8)
    cases: list[tuple[str, bytes]] = []
    for seed in range(60):
        rng = random.Random(f"typedesc-{seed}")
        lo, hi = module if seed % 4 == 0 else region
        buf = bytearray(raw)
        for _ in range(1 + seed % 5):
            at = rng.randrange(lo, hi)
            buf[at] ^= rng.randrange(1, 256)
        cases.append((f"flip-{seed}", bytes(buf)))
    for seed in range(8):
        rng = random.Random(f"typedesc-cut-{seed}")
        cases.append((f"cut-{seed}", raw[: rng.randrange(region[0], region[1])]))
    return cases


def split_of(data: bytes, layout: Layout) -> Split | None:
    tab = read_pclntab(data, layout)
    return None if tab is None else split_types(data, layout, tab, "go1.26.6")


def test_corrupt_type_regions_give_only_errors_none_or_exact_splits(builder: Builder) -> None:
    """Flipped or truncated bytes in moduledata or the type region give GoMetadataError, None or
    an exact split — never another exception, never a hang on reference cycles."""
    path = builder.build(Spec("hello", SW))
    outcomes = {"error": 0, "none": 0, "split": 0}
    for name, data in damage_cases(path):
        try:
            layout = read_layout(name, data)
        except Exception:  # the format reader's own errors are not this module's subject
            continue
        try:
            split = split_of(data, layout)
        except GoMetadataError:
            outcomes["error"] += 1
            continue
        if split is None:
            outcomes["none"] += 1
        else:
            assert split.total == split.size, name
            outcomes["split"] += 1
    assert outcomes["split"] and sum(outcomes.values()) > 40

"""Go package attribution from the pclntab equals Go's own debug/gosym, and agrees with nm."""

from __future__ import annotations

import json
import random
import re
import struct
import subprocess
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import CROSS_VARIANTS, ELF_VARIANTS, PROGRAMS, Builder, Spec, go_env
from gobinopt.binary import map_file, read_layout
from gobinopt.explain import explain
from gobinopt.golang import GoMetadataError, PclnTab, import_path, package_name, read_pclntab
from gobinopt.golang.pclntab import import_paths
from gobinopt.golang.pclntab_split import split_gofunc, split_pclntab

#: A program whose own package has a dot in the last element of its import path.
DOTTED = Spec("dotted")
DOTTED_PACKAGE = "example.com/x/dotted.v2/yaml.v3"
ALL = {**ELF_VARIANTS, **CROSS_VARIANTS, "dotted": DOTTED}


def unescaped(prefix: str) -> str:
    """debug/gosym's package (a symbol prefix) as an import path, decoded independently of
    gobinopt: the linker's %xx escapes are URL-style percent escapes of UTF-8 bytes."""
    return unquote(prefix, errors="strict")


def ours(path: Path) -> PclnTab:
    with map_file(str(path)) as m:
        tab = read_pclntab(m.data, read_layout(str(path), m.data))
    assert tab is not None, f"no pclntab found in {path}"
    return tab


def run_oracle(oracle: Path, path: Path) -> dict[str, object]:
    out = subprocess.run([str(oracle), str(path)], capture_output=True, text=True, check=True)
    doc: dict[str, object] = json.loads(out.stdout)
    return doc


@pytest.mark.parametrize("variant", sorted(ALL))
def test_packages_equal_debug_gosym(builder: Builder, oracle: Path, variant: str) -> None:
    """Per package, code bytes equal what debug/gosym computes, byte for byte."""
    path = builder.build(ALL[variant])
    doc = run_oracle(oracle, path)
    table = doc["pclntab"]
    assert isinstance(table, dict), doc.get("pclntab_error")
    sizes: dict[str, int] = defaultdict(int)
    for fn in ours(path).functions:
        sizes[fn.package] += fn.size
    packages = table["packages"]
    assert isinstance(packages, dict)
    assert dict(sizes) == {unescaped(name): size for name, size in packages.items()}


@pytest.mark.parametrize("variant", sorted(ALL))
def test_functions_equal_debug_gosym(builder: Builder, oracle: Path, variant: str) -> None:
    """The function list (names, order, sizes, packages) equals debug/gosym's Table.Funcs."""
    path = builder.build(ALL[variant])
    table = run_oracle(oracle, path)["pclntab"]
    assert isinstance(table, dict)
    funcs = table["funcs"]
    assert isinstance(funcs, list)
    tab = ours(path)
    assert tab.nfunc == len(funcs) == table["nfunc"]
    assert [(f.name, f.size, f.package) for f in tab.functions] == [
        (g["name"], g["end"] - g["entry"], unescaped(g["package"])) for g in funcs
    ]
    assert tab.offset == table["section_file_offset"]


def go_nm(go: str, path: Path) -> list[tuple[int, int, str]]:
    """Text symbols as (address, size, name) from `go tool nm -size`."""
    out = subprocess.run(
        [go, "tool", "nm", "-size", "-sort", "address", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    syms = []
    for line in out.splitlines():
        cols = line.split(None, 3)
        if len(cols) == 4 and cols[2] in ("T", "t"):
            syms.append((int(cols[0], 16), int(cols[1]), cols[3]))
    return syms


@pytest.mark.parametrize("variant", ["hello", "hello-w", "hello-pie", "http"])
def test_functions_agree_with_go_tool_nm(go: str, builder: Builder, variant: str) -> None:
    """Each pclntab function is an nm symbol at the same address whose size differs only by
    alignment padding (under 64 bytes)."""
    path = builder.build(ELF_VARIANTS[variant])
    syms = go_nm(go, path)
    text = next(addr for addr, _, name in syms if name == "runtime.text")
    at = {addr: (size, name.removesuffix(".abi0")) for addr, size, name in syms if size}
    tab = ours(path)
    mismatched = []
    for fn in tab.functions:
        size, name = at.get(text + fn.entry, (-1, ""))
        if name != fn.name.replace("\u00b7", ".") or not 0 <= fn.size - size < 64:
            mismatched.append((fn.name, fn.size, name, size))
    assert not mismatched, mismatched[:10]


def test_package_totals_agree_with_go_tool_nm(go: str, builder: Builder) -> None:
    """Per package, nm's symbol sizes sum to our bytes minus at most 64 bytes per function."""
    path = builder.build(ELF_VARIANTS["http"])
    tab = ours(path)
    wanted = {f.name for f in tab.functions}
    nm_sizes: dict[str, int] = defaultdict(int)
    for _addr, size, raw in go_nm(go, path):
        name = raw.removesuffix(".abi0")
        if name in wanted:
            nm_sizes[import_path(package_name(name, True))] += size
    counts: dict[str, int] = defaultdict(int)
    sizes: dict[str, int] = defaultdict(int)
    for fn in tab.functions:
        counts[fn.package] += 1
        sizes[fn.package] += fn.size
    for pkg, size in sizes.items():
        assert 0 <= size - nm_sizes[pkg] < 64 * counts[pkg], pkg


def test_package_name_matches_gosym_rules() -> None:
    """Generic instantiations, method receivers and compiler symbols map like Sym.PackageName."""
    assert package_name("net/http.(*conn).serve", True) == "net/http"
    assert package_name("slices.pdqsortCmpFunc[go.shape.*uint8]", True) == "slices"
    assert package_name("example.com/a/b.F[example.com/c.T]", True) == "example.com/a/b"
    assert package_name("type:.eq.fmt.wrapError", True) == ""
    assert package_name("go:textfipsstart", True) == ""
    assert package_name("type.eq.fmt.wrapError", False) == ""
    assert package_name("cmpbody", True) == ""
    assert package_name("gopkg.in/yaml.v3.Unmarshal", True) == "gopkg.in/yaml"


def test_import_path_undoes_the_linker_escapes() -> None:
    """%xx escapes of a symbol prefix decode to the import path; malformed ones stay."""
    assert import_path("gopkg.in/yaml%2ev3") == "gopkg.in/yaml.v3"
    assert import_path("example.com/a%25b/c%22d") == 'example.com/a%b/c"d'
    assert import_path("example.com/%e4%b8%ad") == "example.com/\u4e2d"
    assert import_path("example.com/p%2") == "example.com/p%2"
    assert import_path("example.com/p%zz") == "example.com/p%zz"
    assert import_path("net/http") == "net/http"


def test_dotted_package_is_shown_as_go_writes_its_import_path(
    go: str, builder: Builder, oracle: Path
) -> None:
    """A package whose last path element has a dot is listed under its import path as `go list`
    spells it, while Go's own debug/gosym sees the escaped symbol prefix."""
    path = builder.build(DOTTED)
    listed = subprocess.run(
        [go, "list", "-deps", "-f", "{{.ImportPath}}", "."],
        cwd=PROGRAMS / DOTTED.program,
        env=go_env(go),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert DOTTED_PACKAGE in listed
    ex = explain(str(path), savings=False)
    assert ex.code is not None
    names = {p.name for p in ex.code.packages}
    assert DOTTED_PACKAGE in names
    assert not [n for n in names if "%" in n]
    assert {n for n in names if n.startswith("example.com/")} <= set(listed)
    table = run_oracle(oracle, path)["pclntab"]
    assert isinstance(table, dict)
    assert "example.com/x/dotted.v2/yaml%2ev3" in table["packages"]


# -- bulk decoding: exact like the per-function rules --------------------------------------------

#: Names that stress every rule of debug/gosym's PackageName and of the same-package shortcut.
TRICKY_NAMES = (
    "a/b.F",
    "a/b.G",
    "a/b.c/d.G",
    "a/b.F[x/y.T]",
    "a/b.(*T[go.shape.int]).M",
    "a/b.F]x[y",
    "a/b.[",
    "a/b..",
    "a/b.",
    "a/b",
    "go.F",
    "go.G",
    "go:buildid",
    "go.shape.int",
    "type:.eq.a/b.T",
    "type.eq.a.T",
    "type.F",
    "typ.e",
    "a[b.F",
    "a[b.G]",
    "a]b.F",
    "a]b.G[",
    "gopkg.in/yaml%2ev3.F",
    "gopkg.in/yaml%2ev3.G",
    "main.main",
    "main.main.func1",
    "main.(*T).M",
    "",
    "?",
    "x",
    "x.",
    ".x",
    "/x.y",
    "a/b.F/c",
    "\u4e2d/\u6587.F",
)


def test_import_paths_equals_package_name_on_every_name() -> None:
    """import_paths (one package_name a run of names) equals import_path(package_name(name))
    for every name, in any order, in both prefix styles."""
    rng = random.Random("import-paths")
    pieces = ("a", "b", "/", ".", "[", "]", "go", ":", "type", "%2e", "x", "F")
    made = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 9))) for _ in range(4000)]
    sequences = [list(TRICKY_NAMES), list(reversed(TRICKY_NAMES)), made]
    sequences += [[rng.choice(TRICKY_NAMES) for _ in range(500)] for _ in range(20)]
    for names in sequences:
        for modern in (True, False):
            assert import_paths(names, modern) == [
                import_path(package_name(n, modern)) for n in names
            ]


def test_import_paths_equals_package_name_on_a_real_binary(builder: Builder) -> None:
    """On every function name of a real program the shortcut gives package_name's answer."""
    names = [f.name for f in ours(builder.build(ELF_VARIANTS["http"])).functions]
    assert import_paths(names, True) == [import_path(package_name(n, True)) for n in names]


@pytest.mark.parametrize("variant", ["hello", "hello-pie", "http-cgo-pie", "cgo", "withdep"])
def test_numpy_and_plain_record_readers_agree(builder: Builder, variant: str) -> None:
    """The pclntab split is the same whether the _func records are read with numpy or not."""
    pytest.importorskip("numpy")
    path = str(builder.build(ELF_VARIANTS[variant]))
    with map_file(path) as mapped:
        layout = read_layout(path, mapped.data)
        tab = read_pclntab(mapped.data, layout)
        assert tab is not None
        plain = split_pclntab(mapped.data, layout, tab, numpy=False)
        fast = split_pclntab(mapped.data, layout, tab, numpy=True)
    assert plain is not None and plain == fast
    assert plain.total == plain.size


# -- Go 1.27: .go.func and the pclntab --------------------------------------------------------

#: Go 1.27.3 builds: name → (program, flags).
GO127: dict[str, tuple[str, tuple[str, ...]]] = {
    "hello": ("hello", ()),
    "hello-sw": ("hello", ("-ldflags=-s -w",)),
    "hello-pie": ("hello", ("-buildmode=pie",)),
    "http": ("httpserver", ()),
    "http-sw": ("httpserver", ("-ldflags=-s -w",)),
}


def go127(builder: Builder, variant: str) -> Path:
    from test_toolchains import provision

    program, flags = GO127[variant]
    return builder.build(Spec(program, flags, go=provision("1.27.3")))


def readelf_section(path: Path, suffix: str) -> tuple[str, int, int]:
    """(name, file offset, size) of the section whose name ends with ``suffix``, from readelf."""
    out = subprocess.run(
        ["readelf", "-S", "-W", str(path)], capture_output=True, text=True, check=True
    ).stdout
    for line in out.splitlines():
        match = re.match(
            r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)", line
        )
        if match and match.group(1).endswith(suffix):
            return match.group(1), int(match.group(2), 16), int(match.group(3), 16)
    raise AssertionError(f"no section *{suffix} in {path}")


@pytest.mark.parametrize("variant", sorted(GO127))
def test_go127_gofunc_words_go_to_the_function_they_point_at(
    builder: Builder, oracle: Path, variant: str
) -> None:
    """Each word of Go 1.27's .go.func (a funcval: a function's entry address) goes to the
    package of the function debug/gosym has at that address; the parts sum to the section."""
    path = go127(builder, variant)
    table = run_oracle(oracle, path)["pclntab"]
    assert isinstance(table, dict)
    funcs = table["funcs"]
    assert isinstance(funcs, list)
    at_entry = {g["entry"]: unescaped(g["package"]) for g in funcs}
    name, offset, size = readelf_section(path, ".go.func")
    words = struct.unpack(f"<{size // 8}Q", path.read_bytes()[offset : offset + size])
    expected: dict[str, int] = defaultdict(int)
    for word in words:
        expected[at_entry[word]] += 8
    with map_file(str(path)) as mapped:
        layout = read_layout(str(path), mapped.data)
        tab = read_pclntab(mapped.data, layout)
        assert tab is not None
        split = split_gofunc(mapped.data, layout, tab)
    assert split is not None and split.sections == (name,)
    assert split.size == split.total == size == 8 * len(words)
    assert dict(split.packages) == dict(expected)
    assert split.tables == ()


def test_gofunc_split_is_none_before_go127(builder: Builder) -> None:
    """A Go 1.26 binary has no .go.func, so there is nothing to split."""
    path = str(builder.build(ELF_VARIANTS["hello"]))
    with map_file(path) as mapped:
        layout = read_layout(path, mapped.data)
        tab = read_pclntab(mapped.data, layout)
        assert tab is not None
        assert split_gofunc(mapped.data, layout, tab) is None


@pytest.mark.parametrize("variant", sorted(GO127))
def test_go127_pclntab_split_sums_to_section(builder: Builder, variant: str) -> None:
    """A Go 1.27 pclntab, with go:func.* and runtime.findfunctab inside it, splits exactly into
    packages and tables; findfunctab has the size the toolchain's nm gives it."""
    path = go127(builder, variant)
    _, _, size = readelf_section(path, ".gopclntab")
    with map_file(str(path)) as mapped:
        layout = read_layout(str(path), mapped.data)
        tab = read_pclntab(mapped.data, layout)
        assert tab is not None
        split = split_pclntab(mapped.data, layout, tab)
        assert split == split_pclntab(mapped.data, layout, tab, numpy=False)
    assert split is not None and split.size == split.total == size
    tables = {t.name: t.size for t in split.tables}
    assert tables.get("after the table", 0) == 0
    assert dict(split.packages)["runtime"] > 0
    if not GO127[variant][1]:  # unstripped: nm knows runtime.findfunctab
        from test_toolchains import provision

        nm = subprocess.run(
            [provision("1.27.3"), "tool", "nm", "-size", str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        sizes = {f[3]: int(f[1]) for f in (ln.split(None, 3) for ln in nm.splitlines())}
        assert tables["runtime.findfunctab"] == sizes["runtime.findfunctab"]


# -- corrupt input -------------------------------------------------------------------------------


def _damaged(base: bytes, start: int, stop: int, rng: random.Random) -> bytes:
    """A copy of ``base`` with damage inside ``[start, stop)``: flips, an extreme word, or a
    truncation."""
    kind = rng.randrange(4)
    if kind == 3:
        return base[: rng.randrange(start, stop)]
    data = bytearray(base)
    if kind == 0:
        for _ in range(rng.randrange(1, 9)):
            data[rng.randrange(start, stop)] ^= 1 << rng.randrange(8)
    else:
        at = rng.randrange(start, stop - 4)
        value = rng.choice((0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, rng.getrandbits(32)))
        data[at : at + 4] = struct.pack("<I", value)
        if kind == 2:  # most structure sits near the start: the header, functab and records
            at = start + rng.randrange(min(4096, stop - start - 4))
            data[at : at + 4] = struct.pack("<I", rng.getrandbits(32))
    return bytes(data)


@pytest.mark.parametrize("variant", ["hello", "hello-pie", "go127-http"])
def test_corrupt_pclntab_gives_go_metadata_error_or_exact_splits(
    builder: Builder, variant: str
) -> None:
    """Damaged pclntab and .go.func bytes give GoMetadataError, None or exact splits (both
    record readers agreeing), never another exception."""
    path = (
        go127(builder, "http") if variant == "go127-http" else builder.build(ELF_VARIANTS[variant])
    )
    base = path.read_bytes()
    layout = read_layout(str(path), base)
    areas = [readelf_section(path, ".gopclntab")[1:]]
    if variant.startswith("go127"):
        areas.append(readelf_section(path, ".go.func")[1:])
    rng = random.Random(f"corrupt-pclntab-{variant}")
    outcomes: dict[str, int] = defaultdict(int)
    for case in range(150):
        offset, size = areas[case % len(areas)]
        data = _damaged(base, offset, offset + size, rng)
        try:
            tab = read_pclntab(data, layout)
            if tab is None:
                outcomes["none"] += 1
                continue
            splits = [split_pclntab(data, layout, tab, numpy=n) for n in (False, True)]
            assert splits[0] == splits[1]
            gofunc = split_gofunc(data, layout, tab)
        except GoMetadataError as exc:
            assert "\n" not in exc.message
            outcomes["error"] += 1
            continue
        for split in (splits[0], gofunc):
            assert split is None or split.total == split.size
        outcomes["split"] += 1
    assert outcomes["error"] and outcomes["split"], dict(outcomes)


def test_record_readers_agree_record_by_record(builder: Builder) -> None:
    """The one-record-at-a-time reader (for unaligned records) reads what the bulk readers
    read from a real table."""
    from gobinopt.golang import pclntab_split as ps
    from gobinopt.golang.attribution import u32_array

    path = str(builder.build(ELF_VARIANTS["http"]))
    with map_file(path) as mapped:
        layout = read_layout(path, mapped.data)
        tab = read_pclntab(mapped.data, layout)
        section = layout.section(".gopclntab")
        assert tab is not None and section is not None
        functab = tab.offset + struct.unpack_from("<Q", mapped.data, tab.offset + 8 + 7 * 8)[0]
        pairs = struct.unpack_from(f"<{2 * tab.nfunc}I", mapped.data, functab)
        funcoffs = u32_array(struct.pack(f"<{tab.nfunc}I", *pairs[1::2]), "<")
        args = (mapped.data, functab, section.end, funcoffs, 44, "<")
        assert ps._records_one_by_one(*args) == ps._records_words(*args)

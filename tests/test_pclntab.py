"""Go package attribution from the pclntab equals Go's own debug/gosym, and agrees with nm."""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import CROSS_VARIANTS, ELF_VARIANTS, PROGRAMS, Builder, Spec, go_env
from gobinopt.binary import map_file, read_layout
from gobinopt.explain import explain
from gobinopt.golang import PclnTab, import_path, package_name, read_pclntab

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

"""`explain` attributes code to packages and computes savings that real builds confirm."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ELF_VARIANTS, Builder, Spec
from gobinopt.binary import Category
from gobinopt.explain import Basis, Explanation, explain
from gobinopt.explain.document import to_document


def saving(ex: Explanation, knob: str) -> int | None:
    return next((s.bytes for s in ex.savings if s.knob == knob), None)


def size(path: Path) -> int:
    return path.stat().st_size


def close(computed: int | None, actual: int) -> bool:
    """Computed savings match the real build within 0.1 % of the file plus alignment."""
    return computed is not None and abs(computed - actual) <= 4096


def test_w_saving_equals_a_real_w_build(builder: Builder) -> None:
    """The -ldflags=-w saving equals the size difference of a real -w build."""
    full = builder.build(ELF_VARIANTS["hello"])
    assert close(
        saving(explain(str(full)), "-ldflags=-w"),
        size(full) - size(builder.build(ELF_VARIANTS["hello-w"])),
    )


def test_s_saving_equals_a_real_s_build(builder: Builder) -> None:
    """The -ldflags=-s saving (symbols and, since Go 1.22, DWARF) equals a real -s build's."""
    full = builder.build(ELF_VARIANTS["hello"])
    assert close(
        saving(explain(str(full)), "-ldflags=-s"),
        size(full) - size(builder.build(ELF_VARIANTS["hello-s"])),
    )


@pytest.mark.skipif(
    shutil.which("strip") is None, reason="strip not found — apt-get install binutils"
)
def test_strip_saving_equals_real_strip(builder: Builder) -> None:
    """The strip saving equals what strip --strip-all removes."""
    full = builder.build(ELF_VARIANTS["hello"])
    assert close(
        saving(explain(str(full)), "strip"),
        size(full) - size(builder.build(ELF_VARIANTS["hello-stripped"])),
    )


def readelf_section_size(path: Path, name: str) -> int:
    """The size of one section as `readelf -S -W` (the oracle) prints it."""
    out = subprocess.run(
        ["readelf", "-S", "-W", str(path)], capture_output=True, text=True, check=True
    ).stdout
    for line in out.splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 5 and fields[1] == name:
            return int(fields[5], 16)
    raise AssertionError(f"{name} not in readelf output of {path}")


@pytest.mark.skipif(
    shutil.which("readelf") is None, reason="readelf not found — apt-get install binutils"
)
def test_trimpath_saving_matches_a_real_trimpath_build(builder: Builder) -> None:
    """The -trimpath saving equals the .gopclntab shrink that readelf shows for a real build."""
    full = builder.build(Spec("hello", ("-ldflags=-s -w",)))
    trimmed = builder.build(Spec("hello", ("-ldflags=-s -w", "-trimpath")))
    computed = saving(explain(str(full)), "-trimpath")
    table = readelf_section_size(full, ".gopclntab") - readelf_section_size(trimmed, ".gopclntab")
    assert computed == table
    # The linker starts each segment on a page boundary, so the file shrinks by the
    # table's bytes rounded to within one 4 KiB page.
    assert abs(size(full) - size(trimmed) - computed) < 4096


def test_already_optimized_binary_says_so(builder: Builder) -> None:
    """A static -s -w -trimpath build gets no exact saving, only the labelled UPX estimate."""
    ex = explain(str(builder.build(Spec("hello", ("-ldflags=-s -w", "-trimpath")))))
    assert all(s.basis is Basis.ESTIMATE for s in ex.savings)
    assert any(n.startswith("already optimized") for n in ex.notes)
    upx = [s for s in ex.savings if s.knob == "upx"]
    assert upx and "estimate" in upx[0].detail and upx[0].cost


def test_cgo_binary_offers_cgo_disabled_as_estimate(builder: Builder) -> None:
    """A dynamically linked cgo binary gets a CGO_ENABLED=0 saving, labelled an estimate."""
    ex = explain(str(builder.build(ELF_VARIANTS["cgo"])))
    cgo = [s for s in ex.savings if s.knob == "CGO_ENABLED=0"]
    assert cgo and cgo[0].basis is Basis.ESTIMATE and cgo[0].bytes > 0
    assert ex.code is not None and ex.code.non_go_code > 0


def test_code_attribution_adds_up(builder: Builder) -> None:
    """Package bytes plus non-Go code equal the .text size; runtime is the largest package."""
    ex = explain(str(builder.build(ELF_VARIANTS["http"])))
    assert ex.code is not None
    total = sum(p.size for p in ex.code.packages)
    assert total == ex.code.go_code
    assert total + ex.code.non_go_code == ex.code.text_size
    assert ex.code.packages[0].name == "runtime"
    assert {"net/http", "crypto/tls", "main"} <= {p.name for p in ex.code.packages}


def test_categories_sum_to_file_size(builder: Builder) -> None:
    """Category file bytes sum to the file size and shares to 1."""
    path = builder.build(ELF_VARIANTS["http-cgo-pie"])
    ex = explain(str(path))
    assert sum(c.file_size for c in ex.categories) == size(path)
    assert abs(sum(c.share for c in ex.categories) - 1) < 1e-9
    cats = {c.category for c in ex.categories}
    assert Category.DYNAMIC in cats and Category.GO_METADATA in cats


def test_without_savings_the_attribution_is_unchanged(builder: Builder) -> None:
    """explain(savings=False) gives the same categories and packages and no savings."""
    path = str(builder.build(ELF_VARIANTS["hello"]))
    full, bare = explain(path), explain(path, savings=False)
    assert full.savings and not bare.savings
    assert bare.categories == full.categories
    assert full.code is not None and bare.code == full.code


def test_stripped_binary_still_has_packages_and_buildinfo(builder: Builder) -> None:
    """Stripping removes symbols but not the pclntab or the build info."""
    ex = explain(str(builder.build(ELF_VARIANTS["cgo-stripped"])))
    assert ex.buildinfo is not None and ex.code is not None
    assert ex.buildinfo.setting("CGO_ENABLED") == "1"


def test_non_go_binary_gets_sections_and_a_note() -> None:
    """A C binary (/bin/true) is explained by sections with a "not a Go binary" note."""
    ex = explain("/bin/true")
    assert not ex.is_go and ex.code is None
    assert any("not a Go binary" in n for n in ex.notes)
    assert sum(p.file_size for p in ex.layout.parts) == size(Path("/bin/true"))


@pytest.mark.skipif(shutil.which("upx") is None, reason="upx not found — apt-get install upx-ucl")
def test_upx_packed_binary_is_reported_packed(builder: Builder) -> None:
    """A UPX-packed binary is reported as packed with the upx -d hint, and no savings."""
    ex = explain(str(builder.build(Spec("hello", post="upx"))))
    assert ex.layout.packer == "UPX"
    assert any("upx -d" in n for n in ex.notes)
    assert not ex.savings


@pytest.mark.skipif(
    shutil.which("upx") is None or shutil.which("strip") is None,
    reason="upx or strip not found — apt-get install upx-ucl binutils",
)
def test_measure_runs_the_real_tools(builder: Builder) -> None:
    """--measure replaces the strip figure and the UPX estimate with measured results."""
    path = builder.build(ELF_VARIANTS["hello"])
    ex = explain(str(path), measure=True)
    measured = {s.knob: s for s in ex.savings if s.basis is Basis.MEASURED}
    assert set(measured) == {"strip", "upx"}
    stripped = builder.build(ELF_VARIANTS["hello-stripped"])
    assert measured["strip"].bytes == size(path) - size(stripped)
    assert 0 < measured["upx"].bytes < size(path)


def test_json_document_is_complete_and_versioned(builder: Builder) -> None:
    """The JSON document carries the schema id, parts summing to the size, and every package."""
    path = builder.build(ELF_VARIANTS["http"])
    ex = explain(str(path))
    doc = json.loads(json.dumps(to_document(ex, top=5)))
    assert doc["schema"] == "gobinopt.explain/v1"
    assert sum(p["file_size"] for p in doc["parts"]) == doc["file"]["size"] == size(path)
    assert doc["total"]["file_size"] == size(path)
    assert len(doc["functions"]) == 5
    assert len(doc["code"]["packages"]) == len(ex.code.packages if ex.code else [])
    assert doc["buildinfo"]["main"]["path"] == "example.com/httpserver"
    assert {s["basis"] for s in doc["savings"]} <= {"computed", "measured", "estimate"}


def symbol_addresses(go: str, path: Path) -> dict[str, int]:
    """Symbol name → address, from `go tool nm` (the oracle of what a section holds)."""
    out = subprocess.run(
        [go, "tool", "nm", str(path)], capture_output=True, text=True, check=True
    ).stdout
    syms = {}
    for line in out.splitlines():
        cols = line.split(None, 2)
        if len(cols) == 3:
            syms[cols[2]] = int(cols[0], 16)
    return syms


@pytest.mark.parametrize("variant", ["hello", "hello-pie", "http-cgo-pie"])
def test_sections_are_categorised_by_what_they_hold(
    go: str, builder: Builder, variant: str
) -> None:
    """Type descriptors count as read-only data, pointer-free variables as writable data and the
    type link table as Go metadata, whichever section the linker puts them in (exe or PIE)."""
    path = builder.build(ELF_VARIANTS[variant])
    syms = symbol_addresses(go, path)
    layout = explain(str(path), savings=False).layout

    def category_of(symbol: str) -> Category:
        addr = syms[symbol]
        holders = [
            p
            for p in layout.sections()
            if p.mem_size and p.address <= addr < p.address + p.mem_size
        ]
        assert holders, f"{symbol} at {addr:#x} is in no loaded section"
        return holders[0].category

    assert category_of("runtime.types") is Category.RODATA
    assert category_of("runtime.noptrdata") is Category.DATA
    assert category_of("runtime.typelink") is Category.GO_METADATA
    assert category_of("runtime.pclntab") is Category.GO_METADATA


C_PROGRAM = r"""
#include <stdio.h>
/* A table of pointers to strings: in a PIE it needs relocations, so it lands in .data.rel.ro. */
static const char *const names[] = {"alpha", "beta", "gamma"};
int main(int argc, char **argv) { puts(names[argc % 3]); return 0; }
"""


@pytest.fixture(scope="module")
def c_pie(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A C program built by gcc as a PIE with debug info (symbols and DWARF to strip)."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc not found — apt-get install gcc")
    tmp = tmp_path_factory.mktemp("c")
    (tmp / "names.c").write_text(C_PROGRAM)
    out = tmp / "names"
    subprocess.run(
        [gcc, "-g", "-O1", "-fPIE", "-pie", "-o", str(out), str(tmp / "names.c")], check=True
    )
    return out


def go_advice(ex: Explanation) -> list[str]:
    """Savings text that speaks of Go's build flags."""
    words = ("-ldflags", "-s -w", "go build", "linker flags", "CGO_ENABLED", "-trimpath")
    return [
        text
        for s in ex.savings
        for text in (s.knob, s.how, s.detail, s.cost)
        if any(w in text for w in words)
    ]


@pytest.mark.parametrize("which", ["gcc-pie", "/bin/ls"])
def test_non_go_file_has_no_go_metadata_and_no_go_advice(c_pie: Path, which: str) -> None:
    """A C program's .data.rel.ro is read-only data, nothing is Go metadata, and no advice
    names a Go flag."""
    path = c_pie if which == "gcc-pie" else Path(which)
    if not path.exists():
        pytest.skip(f"{path} does not exist")
    ex = explain(str(path))
    assert not ex.is_go
    relro = [p for p in ex.layout.sections() if p.name == ".data.rel.ro"]
    assert relro and all(p.category is Category.RODATA for p in relro)
    assert Category.GO_METADATA not in {c.category for c in ex.categories}
    assert any(s.knob == "strip" for s in ex.savings)
    assert go_advice(ex) == []


@pytest.mark.skipif(
    shutil.which("strip") is None, reason="strip not found — apt-get install binutils"
)
def test_measured_strip_advice_for_a_c_program_names_no_go_flag(c_pie: Path) -> None:
    """--measure on a C program gives a measured strip row whose advice names no Go flag."""
    ex = explain(str(c_pie), measure=True)
    strip = [s for s in ex.savings if s.knob == "strip"]
    assert strip and strip[0].basis is Basis.MEASURED and strip[0].bytes > 0
    assert go_advice(ex) == []


def test_go_strip_advice_points_to_the_linker_flags(builder: Builder) -> None:
    """A Go binary's strip row says the Go linker flags do the same without an extra step."""
    ex = explain(str(builder.build(ELF_VARIANTS["hello"])))
    strip = next(s for s in ex.savings if s.knob == "strip")
    assert '-ldflags="-s -w"' in strip.cost

"""The -trimpath saving: exact where the bytes are known, a labelled estimate where a compressor
decides, and together the real -trimpath build's difference within one page."""

from __future__ import annotations

import random
import shutil
import subprocess
import threading
import zlib
from pathlib import Path

import pytest

from conftest import Builder, Spec
from gobinopt.binary import BinaryFormatError, map_file, read_layout
from gobinopt.binary import dwarf as dwarf_module
from gobinopt.binary.dwarf import read_dwarf
from gobinopt.explain import Basis, Explanation, Saving, explain
from gobinopt.explain.trimpath import (
    ZLIB_LEVEL,
    LineTableShrink,
    PathTrimmer,
    _DeflatedSize,
    line_table_shrink,
)
from gobinopt.golang import read_buildinfo, read_pclntab
from gobinopt.golang.interface import BuildInfo, Module

pytestmark = pytest.mark.skipif(
    shutil.which("readelf") is None, reason="readelf not found — apt-get install binutils"
)

#: Uncompressed DWARF: every byte of the line tables can be counted exactly.
RAW_DWARF = "-ldflags=-compressdwarf=false"
#: How far the compressed-DWARF estimate may be from the real shrink: Python's zlib level 1 and
#: Go's compress/flate BestSpeed are different compressors (measured within 10 % on Go 1.26).
ESTIMATE_TOLERANCE = 0.25
PAGE = 4096


def sections(path: Path) -> dict[str, int]:
    """Section name → size, as `readelf -S -W` (the oracle) prints them."""
    out = subprocess.run(
        ["readelf", "-S", "-W", str(path)], capture_output=True, text=True, check=True
    ).stdout
    sizes = {}
    for line in out.splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 5 and fields[0].startswith("[") and fields[0] != "[Nr]":
            sizes[fields[1]] = int(fields[5], 16)
    return sizes


def shrink(full: Path, trimmed: Path) -> dict[str, int]:
    """How much each section of the real -trimpath build is smaller."""
    a, b = sections(full), sections(trimmed)
    return {name: a[name] - b.get(name, 0) for name in a}


def rows(ex: Explanation) -> dict[Basis, Saving]:
    """The -trimpath rows by basis (at most one of each)."""
    found = [s for s in ex.savings if s.knob == "-trimpath"]
    by_basis = {s.basis: s for s in found}
    assert len(by_basis) == len(found), "two -trimpath rows with the same basis"
    return by_basis


def parts(saving: Saving) -> dict[str, int]:
    got = {p.section: p.bytes for p in saving.parts}
    assert sum(got.values()) == saving.bytes
    return got


def build_pair(builder: Builder, program: str, *flags: str) -> tuple[Path, Path]:
    return (
        builder.build(Spec(program, flags)),
        builder.build(Spec(program, ("-trimpath", *flags))),
    )


@pytest.mark.parametrize("program", ["httpserver", "withdep/app"])
def test_uncompressed_dwarf_is_counted_exactly(builder: Builder, program: str) -> None:
    """With uncompressed DWARF the computed -trimpath saving is exact per section (.gopclntab,
    .debug_line, .debug_gdb_scripts as readelf shows them) and within a page of the real build;
    no part is left to estimate."""
    full, trimmed = build_pair(builder, program, RAW_DWARF)
    real = shrink(full, trimmed)
    found = rows(explain(str(full)))
    assert set(found) == {Basis.COMPUTED}
    computed = parts(found[Basis.COMPUTED])
    assert computed == {
        name: real[name] for name in (".gopclntab", ".debug_line", ".debug_gdb_scripts")
    }
    assert real[".debug_line"] > real[".gopclntab"] / 2  # the DWARF part is no detail
    drop = full.stat().st_size - trimmed.stat().st_size
    assert abs(drop - found[Basis.COMPUTED].bytes) < PAGE


def test_compressed_dwarf_is_a_separate_estimate(builder: Builder) -> None:
    """With Go's default compressed DWARF the computed row holds only exact parts, the
    compressed .debug_line shrink is a separate estimate row within the documented tolerance,
    and together they are the real build's difference within a page."""
    full, trimmed = build_pair(builder, "httpserver")
    real = shrink(full, trimmed)
    ex = explain(str(full))
    assert any(p.name == ".debug_line" and p.compressed for p in ex.layout.parts)
    found = rows(ex)
    assert set(found) == {Basis.COMPUTED, Basis.ESTIMATE}
    computed, estimate = found[Basis.COMPUTED], found[Basis.ESTIMATE]
    assert parts(computed) == {
        ".gopclntab": real[".gopclntab"],
        ".debug_gdb_scripts": real[".debug_gdb_scripts"],
    }
    assert parts(estimate) == {".debug_line": estimate.bytes}
    assert estimate.detail.startswith("estimate")
    assert abs(estimate.bytes - real[".debug_line"]) <= ESTIMATE_TOLERANCE * real[".debug_line"]
    drop = full.stat().st_size - trimmed.stat().st_size
    assert abs(drop - computed.bytes - estimate.bytes) < PAGE


def test_exact_inflated_shrink_of_compressed_dwarf(builder: Builder) -> None:
    """The estimate row states the exact inflated shrink: what the uncompressed build loses."""
    full = builder.build(Spec("httpserver"))
    raw_full, raw_trimmed = build_pair(builder, "httpserver", RAW_DWARF)
    estimate = rows(explain(str(full)))[Basis.ESTIMATE]
    inflated = shrink(raw_full, raw_trimmed)[".debug_line"]
    assert f"loses {inflated:,} bytes of paths once inflated" in estimate.detail


def test_trimmed_paths_follow_cmd_go() -> None:
    """GOROOT, module cache (capitals restored), main module, local replacement and vendored
    paths are rewritten as cmd/go's -trimpath writes them."""
    files = (
        "/usr/lib/go/src/runtime/proc.go",
        "/home/u/app/cmd/tool/main.go",
        "/home/u/app/internal/x/x.go",
        "/home/u/lib/lib.go",
    )
    info = BuildInfo(
        go_version="go1.26.6",
        path="example.com/app/cmd/tool",
        main=Module("example.com/app", "(devel)"),
        deps=(
            Module("example.com/lib", "v0.1.0", replace=Module("../lib", "(devel)")),
            Module("github.com/BurntSushi/toml", "v1.3.2"),
        ),
        settings=(),
        offset=0,
    )
    trim = PathTrimmer.from_files(files, info)
    assert trim.file("/usr/lib/go/src/runtime/proc.go") == "runtime/proc.go"
    assert trim.file("/home/u/app/cmd/tool/main.go") == "example.com/app/cmd/tool/main.go"
    assert trim.file("/home/u/lib/lib.go") == "example.com/lib@v0.1.0/lib.go"
    assert (
        trim.file("/root/go/pkg/mod/github.com/!burnt!sushi/toml@v1.3.2/decode.go")
        == "github.com/BurntSushi/toml@v1.3.2/decode.go"
    )
    assert (
        trim.file("/home/u/app/vendor/github.com/BurntSushi/toml/internal/tz.go")
        == "github.com/BurntSushi/toml@v1.3.2/internal/tz.go"
    )
    assert trim.directory("/home/u/app") == "example.com/app"
    # When every main-module file is in the main package's directory, the module root is
    # that directory minus the main package's path inside the module.
    only_main = PathTrimmer.from_files(files[:2], info)
    assert only_main.file("/home/u/app/cmd/tool/main.go") == "example.com/app/cmd/tool/main.go"
    assert only_main.file("/home/u/lib/lib.go") == "example.com/lib@v0.1.0/lib.go"


@pytest.mark.parametrize(
    ("flags", "damage"),
    [
        ((RAW_DWARF,), b"\xf5\xff\xff\xff"),  # a reserved unit_length
        ((RAW_DWARF,), b"\xff\xff\xff\x7f"),  # a unit running past the section
        ((), b"\x00" * 64),  # a broken zlib stream (after the 24-byte Elf64_Chdr)
    ],
    ids=["reserved-length", "overlong-unit", "broken-zlib"],
)
def test_damaged_line_table_leaves_the_exact_parts_and_a_note(
    builder: Builder, tmp_path: Path, flags: tuple[str, ...], damage: bytes
) -> None:
    """A .debug_line that cannot be decoded is left out with a note; the pclntab part stands."""
    full = builder.build(Spec("httpserver", flags))
    ex = explain(str(full))
    line = next(p for p in ex.layout.parts if p.name == ".debug_line")
    at = line.offset + (124 if line.compressed else 0)  # inside the zlib stream
    data = bytearray(full.read_bytes())
    data[at : at + len(damage)] = damage
    broken = tmp_path / "broken"
    broken.write_bytes(bytes(data))
    damaged = explain(str(broken))
    found = rows(damaged)
    assert set(found) == {Basis.COMPUTED}
    assert set(parts(found[Basis.COMPUTED])) == {".gopclntab", ".debug_gdb_scripts"}
    assert any(n.startswith("-trimpath: DWARF line tables not counted") for n in damaged.notes)


def test_compressed_size_does_not_depend_on_how_the_stream_is_cut(builder: Builder) -> None:
    """The size counted piece by piece on a compressing thread equals zlib.compress of the
    whole inflated .debug_line, however the pieces are cut."""
    full = builder.build(Spec("httpserver"))
    raw = full.read_bytes()
    with map_file(str(full)) as m:
        line = read_layout(str(full), m.data).section(".debug_line")
    assert line is not None and line.compressed
    table = zlib.decompress(raw[line.offset + 24 : line.end])  # after the Elf64_Chdr
    whole = len(zlib.compress(table, ZLIB_LEVEL))
    rng = random.Random(3)
    for _ in range(3):
        counter = _DeflatedSize()
        at = 0
        while at < len(table):
            step = rng.choice((1, 7, 4096, 300_000))
            counter.feed(memoryview(table)[at : at + step])
            at += step
        assert counter.close() == whole


@pytest.mark.parametrize("flags", [(), (RAW_DWARF,)], ids=["compressed", "raw"])
def test_damaged_line_table_gives_value_error_or_a_shrink(
    builder: Builder, flags: tuple[str, ...]
) -> None:
    """Flipped or cut .debug_line bytes give ValueError or a shrink within the section, never
    another exception, and leave no compressing thread behind."""
    full = builder.build(Spec("httpserver", flags))
    raw = full.read_bytes()
    with map_file(str(full)) as m:
        layout = read_layout(str(full), m.data)
        tab = read_pclntab(m.data, layout)
        info = read_buildinfo(m.data, layout)
    assert tab is not None
    trimmer = PathTrimmer.from_files(tab.files, info)
    line = layout.section(".debug_line")
    assert line is not None
    # A compressed table is damaged inflated, then deflated again (zlib level 9 fits in the
    # section Go's BestSpeed filled), so that the damage reaches the parser.
    head = 24 if line.compressed else 0  # Elf64_Chdr
    table = raw[line.offset + head : line.end]
    if line.compressed:
        table = zlib.decompress(table)
    rng = random.Random(f"line-{flags}")
    threads = threading.active_count()
    outcomes = {"error": 0, "shrink": 0}
    for n in range(60):
        damaged = bytearray(table)
        if n % 10 == 9:  # cut short, zeros after
            cut = rng.randrange(len(table))
            damaged[cut:] = bytes(len(table) - cut)
        else:
            span = len(table) if n % 2 else 256
            for _ in range(rng.randrange(1, 4)):
                damaged[rng.randrange(span)] ^= 1 << rng.randrange(8)
        stored = zlib.compress(bytes(damaged), 9) if line.compressed else bytes(damaged)
        assert len(stored) <= line.file_size - head
        buf = bytearray(raw)
        buf[line.offset + head : line.end] = stored.ljust(line.file_size - head, b"\0")
        if n % 10 == 8:  # a broken stream (mid-way, while the compressing threads run)
            buf[line.offset + head + rng.randrange(len(stored))] ^= 0xFF
        blob = bytes(buf)
        try:
            bad_layout = read_layout("bad", blob)
        except BinaryFormatError:
            continue
        try:
            got = line_table_shrink(bad_layout, blob, trimmer)
        except ValueError:
            outcomes["error"] += 1
            continue
        assert isinstance(got, LineTableShrink)
        assert 0 <= got.file_bytes <= line.file_size and 0 <= got.inflated <= (
            line.uncompressed_size or line.file_size
        )
        outcomes["shrink"] += 1
    assert threading.active_count() == threads
    assert outcomes["error"] > 0 and outcomes["shrink"] > 0, outcomes


@pytest.mark.parametrize("flags", [(), (RAW_DWARF,)], ids=["compressed", "raw"])
def test_line_table_read_by_the_dwarf_reader_is_not_inflated_again(
    builder: Builder, flags: tuple[str, ...]
) -> None:
    """After the DWARF reader has read a mapped file, the shrink takes the compressed
    .debug_line it inflated (once: the kept pieces are gone after) and counts the same as a
    shrink that inflates the section itself; an uncompressed one is read in place."""
    full = builder.build(Spec("httpserver", flags))
    with map_file(str(full)) as m:
        layout = read_layout(str(full), m.data)
        tab = read_pclntab(m.data, layout)
        assert tab is not None
        trimmer = PathTrimmer.from_files(tab.files, read_buildinfo(m.data, layout))
        alone = line_table_shrink(layout, bytes(m.data), trimmer)
        assert read_dwarf(m.data, layout) is not None
        kept = dwarf_module._KEPT.get(m.data, {})
        line = layout.section(".debug_line")
        assert line is not None and (line.offset in kept) == line.compressed
        shared = line_table_shrink(layout, m.data, trimmer)
        assert not dwarf_module._KEPT.get(m.data)
        assert shared == alone and alone is not None and alone.inflated > 0

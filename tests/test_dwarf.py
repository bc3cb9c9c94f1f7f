"""DWARF split by compile unit (one per Go package) agrees with Go's debug/dwarf and readelf."""

from __future__ import annotations

import json
import random
import shutil
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CROSS_VARIANTS, ELF_VARIANTS, Builder, Spec
from gobinopt.binary import BinaryFormatError, Category, Layout, map_file, read_layout
from gobinopt.binary import dwarf as dwarf_module
from gobinopt.binary.dwarf import DW_LANG_Go, Dwarf, DwarfError, read_dwarf, zstd_available
from gobinopt.golang import GoMetadataError, read_pclntab
from gobinopt.golang.attribution import Split
from gobinopt.golang.dwarf_split import (
    apportion,
    fde_packages,
    frame_text_start,
    functions_package_at,
    split_dwarf,
    split_dwarf_by_functions,
)

#: Builds with DWARF: name → spec; "go1.27.3" variants are built with that release.
VARIANTS: dict[str, Spec] = {
    "hello": ELF_VARIANTS["hello"],
    "hello-nocompress": Spec("hello", ("-ldflags=-compressdwarf=false",)),
    "hello-pie": ELF_VARIANTS["hello-pie"],
    "hello-trimpath": ELF_VARIANTS["hello-trimpath"],
    "cgo": ELF_VARIANTS["cgo"],
    "http-cgo-pie": ELF_VARIANTS["http-cgo-pie"],
    "hello-windows": CROSS_VARIANTS["hello-windows"],
    "hello-darwin-arm64": CROSS_VARIANTS["hello-darwin-arm64"],
    "go1.27.3": Spec("hello"),
    "go1.27.3-cgo": Spec("cgohello", env=(("CGO_ENABLED", "1"),)),
}
STRIPPED = {
    "hello-s": ELF_VARIANTS["hello-s"],
    "hello-sw-X": ELF_VARIANTS["hello-sw-X"],
    "hello-stripped": ELF_VARIANTS["hello-stripped"],
    "hello-windows-s": CROSS_VARIANTS["hello-windows-s"],
    "hello-darwin-amd64-sw": CROSS_VARIANTS["hello-darwin-amd64-sw"],
}


def build(builder: Builder, variant: str) -> Path:
    spec = VARIANTS.get(variant) or STRIPPED[variant]
    if variant.startswith("go1.27.3"):
        from test_toolchains import provision

        spec = Spec(spec.program, spec.flags, spec.env, spec.post, provision("1.27.3"))
    return builder.build(spec)


def dwarf_oracle(oracle: Path, path: Path) -> dict[str, object]:
    """`oracle -dwarf`: units and section sizes as Go's debug/dwarf reads them."""
    out = subprocess.run(
        [str(oracle), "-dwarf", str(path)], capture_output=True, text=True, check=True
    )
    doc: dict[str, object] = json.loads(out.stdout)
    assert doc["error"] is None, doc["error"]
    return doc


def go_nm(go: str, path: Path) -> dict[str, int]:
    """Symbol name → address from `go tool nm`."""
    out = subprocess.run([go, "tool", "nm", str(path)], capture_output=True, text=True, check=True)
    syms = {}
    for line in out.stdout.splitlines():
        cols = line.split(None, 2)
        if len(cols) == 3:
            syms[cols[2]] = int(cols[0], 16)
    return syms


def readelf_sizes(path: Path) -> dict[str, int]:
    """Section name → file size of the DWARF sections, as `readelf -S -W` prints them."""
    readelf = shutil.which("readelf")
    if readelf is None:
        pytest.skip("readelf not found — apt-get install binutils")
    out = subprocess.run(
        [readelf, "-S", "-W", str(path)], capture_output=True, text=True, check=True
    )
    sizes = {}
    for line in out.stdout.splitlines():
        cols = line.replace("[ ", "[").split()
        if len(cols) > 6 and cols[1].startswith((".debug_", ".zdebug_")):
            sizes[cols[1]] = int(cols[5], 16)
    return sizes


def analyse(path: Path) -> tuple[Layout, Dwarf | None, Split | None, int]:
    """Our layout, DWARF, split (FDEs to pclntab functions) and the text start we aligned."""
    with map_file(str(path)) as m:
        layout = read_layout(str(path), m.data)
        dwarf = read_dwarf(m.data, layout)
        if dwarf is None:
            return layout, None, split_dwarf(m.data, layout, lambda _: ""), 0
        tab = read_pclntab(m.data, layout)
        assert tab is not None
        text = layout.section(".text", "__text")
        assert text is not None
        start = frame_text_start(dwarf, tab.functions, text.address)
        split = split_dwarf(m.data, layout, functions_package_at(tab.functions, start), dwarf)
        return layout, dwarf, split, start


def dwarf_file_bytes(layout: Layout) -> int:
    return sum(p.file_size for p in layout.sections() if p.category is Category.DWARF)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_split_sums_to_the_dwarf_sections_file_size(builder: Builder, variant: str) -> None:
    """Packages plus named tables sum exactly to the file bytes of every DWARF section."""
    path = build(builder, variant)
    layout, dwarf, split, _ = analyse(path)
    assert dwarf is not None and split is not None
    assert split.total == split.size == dwarf_file_bytes(layout) > 0
    assert set(split.sections) == {
        p.name for p in layout.sections() if p.category is Category.DWARF and p.file_size
    }
    if layout.format.value == "elf":
        assert split.size == sum(readelf_sizes(path).values())


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_units_equal_debug_dwarf(builder: Builder, oracle: Path, variant: str) -> None:
    """Unit names, entry offsets, back-to-back sizes, stmt_list/addr_base/ranges and inflated
    section sizes equal what Go's debug/dwarf reads."""
    path = build(builder, variant)
    layout, dwarf, _, _ = analyse(path)
    assert dwarf is not None
    doc = dwarf_oracle(oracle, path)
    units = doc["units"]
    assert isinstance(units, list)
    assert [(u.name, u.die_offset) for u in dwarf.units] == [
        (u["name"], u["offset"]) for u in units
    ]
    for ours, theirs in zip(dwarf.units, units, strict=True):
        assert (ours.stmt_list, ours.addr_base, ours.ranges) == tuple(
            None if theirs[k] == -1 else theirs[k] for k in ("stmt_list", "addr_base", "ranges")
        )
        assert ours.language == theirs["language"]
    sections = doc["sections"]
    assert isinstance(sections, dict)
    cut = 15 if layout.format.value == "macho" else 99  # Mach-O cuts names to 16 bytes
    assert {s.section.kind[:cut]: s.section.size for s in dwarf.sections} == sections
    info = sections[".debug_info"]
    ends = [u.offset + u.size for u in dwarf.units]
    assert ends == [u.offset for u in dwarf.units[1:]] + [info]
    assert sum(u.size for u in dwarf.units) == info


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_unit_range_lists_lie_in_the_units_share(
    builder: Builder, oracle: Path, variant: str
) -> None:
    """Every range list a Go unit's entries refer to (per debug/dwarf) lies inside the bytes of
    .debug_rnglists/.debug_ranges attributed to that unit."""
    path = build(builder, variant)
    _, dwarf, _, _ = analyse(path)
    assert dwarf is not None
    doc = dwarf_oracle(oracle, path)
    units = doc["units"]
    assert isinstance(units, list)
    use = next(s for s in dwarf.sections if s.section.kind in (".debug_rnglists", ".debug_ranges"))
    owned = dict(use.units)
    checked = 0
    for i, (ours, theirs) in enumerate(zip(dwarf.units, units, strict=True)):
        lists = theirs["range_lists"]
        if ours.language != DW_LANG_Go or lists is None or ours.ranges is None:
            continue
        assert ours.ranges <= lists[0] <= lists[1] < ours.ranges + owned[i], ours.name
        checked += 1
    assert checked > 10


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_main_and_runtime_get_bytes(builder: Builder, variant: str) -> None:
    """The main package and the runtime (the largest) get bytes; a cgo program's binary also
    shows runtime/cgo and its C units by file name."""
    path = build(builder, variant)
    _, dwarf, split, _ = analyse(path)
    assert dwarf is not None and split is not None
    packages = dict(split.packages)
    assert packages["main"] > 0
    assert packages["runtime"] == max(packages.values())
    if variant.endswith("cgo"):
        assert packages["runtime/cgo"] > 0
        assert any(name.endswith(".c") for name in packages)
    names = {u.name for u in dwarf.units}
    assert {"main", "runtime"} <= names


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_text_start_from_frames_is_runtime_text(go: str, builder: Builder, variant: str) -> None:
    """The text start lined up from the FDEs is the address of runtime.text (go tool nm), also
    when an external linker puts C code at the start of .text."""
    path = build(builder, variant)
    _, _, _, start = analyse(path)
    assert start == go_nm(go, path)["runtime.text"]


@pytest.mark.parametrize("variant", ["hello", "cgo", "hello-darwin-arm64"])
def test_fdes_go_to_the_package_of_their_function(go: str, builder: Builder, variant: str) -> None:
    """An FDE at a function's address (go tool nm) is attributed to that function's package."""
    path = build(builder, variant)
    syms = go_nm(go, path)
    with map_file(str(path)) as m:
        layout = read_layout(str(path), m.data)
        dwarf = read_dwarf(m.data, layout)
        tab = read_pclntab(m.data, layout)
        assert dwarf is not None and tab is not None
        text = layout.section(".text", "__text")
        assert text is not None
        at = functions_package_at(
            tab.functions, frame_text_start(dwarf, tab.functions, text.address)
        )
    locations = set(dwarf.frames.fde_locations)
    for name, package in (
        ("main.main", "main"),
        ("fmt.(*fmt).fmtInteger", "fmt"),
        ("runtime.main", "runtime"),
    ):
        assert syms[name] in locations
        assert at(syms[name]) == package


@pytest.mark.parametrize("variant", sorted(STRIPPED))
def test_no_dwarf_gives_none(builder: Builder, variant: str) -> None:
    """A binary built with -w or stripped has no DWARF split."""
    path = build(builder, variant)
    layout, dwarf, split, _ = analyse(path)
    assert dwarf is None and split is None
    assert dwarf_file_bytes(layout) == 0


def test_zstd_compressed_dwarf_splits_exactly(builder: Builder, oracle: Path) -> None:
    """DWARF an external linker compressed with zstd splits exactly: by unit like debug/dwarf
    when a zstd module is installed, else each section whole and marked as not decoded."""
    path = builder.build(
        Spec(
            "cgohello",
            ("-ldflags=-extldflags=-Wl,--compress-debug-sections=zstd",),
            (("CGO_ENABLED", "1"),),
        )
    )
    _, dwarf, split, _ = analyse(path)
    assert dwarf is not None and split is not None
    assert {s.section.compression for s in dwarf.sections} == {"zstd", ""}
    assert split.total == split.size == sum(readelf_sizes(path).values())
    units = dwarf_oracle(oracle, path)["units"]
    assert isinstance(units, list)
    if zstd_available():
        assert [u.name for u in dwarf.units] == [u["name"] for u in units]
    else:
        assert not dwarf.units and not split.packages
        assert all(s.note for s in dwarf.sections if s.section.compression)
        assert ".debug_info (zstd-compressed, not decoded)" in {t.name for t in split.tables}


def test_apportion_is_exact_and_proportional() -> None:
    """Largest-remainder shares sum to the total and each is within one of its quota."""
    rng = random.Random(7)
    for _ in range(200):
        weights = [rng.randrange(0, 10_000) for _ in range(rng.randrange(1, 30))]
        total = rng.randrange(0, 50_000)
        shares = apportion(weights, total)
        assert sum(shares) == total
        whole = sum(weights) or 1
        for w, s in zip(weights, shares, strict=True):
            assert abs(s - w * total / whole) < 1 or not sum(weights)


def test_split_by_functions_equals_split_with_aligned_package_at(builder: Builder) -> None:
    """The one-call split (pclntab functions, .text address as the guess) equals the split with
    package_at built by hand from the aligned text start."""
    path = build(builder, "cgo")
    _, _, split, _ = analyse(path)
    with map_file(str(path)) as m:
        layout = read_layout(str(path), m.data)
        tab = read_pclntab(m.data, layout)
        text = layout.section(".text")
        assert tab is not None and text is not None
        assert split_dwarf_by_functions(m.data, layout, tab.functions, text.address) == split


def test_units_equal_pyelftools(builder: Builder) -> None:
    """Unit offsets, sizes, names and stmt_list equal pyelftools' compile units (a second
    oracle), on compressed and uncompressed DWARF."""
    from elftools.elf.elffile import ELFFile

    for variant in ("hello", "hello-nocompress"):
        path = build(builder, variant)
        _, dwarf, _, _ = analyse(path)
        assert dwarf is not None
        with open(path, "rb") as fh:
            info = ELFFile(fh).get_dwarf_info()
            theirs = []
            for cu in info.iter_CUs():
                top = cu.get_top_DIE()
                name = top.attributes["DW_AT_name"].value.decode()
                stmt = top.attributes.get("DW_AT_stmt_list")
                theirs.append((cu.cu_offset, cu.size, name, stmt.value if stmt else None))
        assert [(u.offset, u.size, u.name, u.stmt_list) for u in dwarf.units] == theirs


# -- corrupt input ------------------------------------------------------------------------------


def _elf_section_headers(raw: bytes) -> list[tuple[int, int, int]]:
    """(header offset, sh_offset, sh_size) of each section of an ELF64 little-endian file."""
    shoff = struct.unpack_from("<Q", raw, 0x28)[0]
    shentsize, shnum = struct.unpack_from("<HH", raw, 0x3A)
    out = []
    for i in range(shnum):
        at = shoff + i * shentsize
        offset, size = struct.unpack_from("<QQ", raw, at + 0x18)
        out.append((at, offset, size))
    return out


def _corruptions(raw: bytes, layout: Layout, rng: random.Random) -> list[bytes]:
    """Copies of ``raw`` with DWARF bytes flipped (headers, compressed streams, anywhere) or a
    DWARF section cut short (its ELF sh_size shrunk)."""
    parts = [p for p in layout.sections() if p.category is Category.DWARF and p.file_size > 32]
    out = []
    for part in parts:
        for _ in range(12):
            buf = bytearray(raw)
            where = rng.choice(("head", "early", "any"))
            span = {"head": 32, "early": min(part.file_size, 512), "any": part.file_size}[where]
            for _ in range(rng.randrange(1, 4)):
                at = part.offset + rng.randrange(span)
                buf[at] ^= 1 << rng.randrange(8)
            out.append(bytes(buf))
    if layout.format.value == "elf":
        for at, offset, size in _elf_section_headers(raw):
            if size > 32 and any(p.offset == offset for p in parts):
                buf = bytearray(raw)
                struct.pack_into("<Q", buf, at + 0x20, rng.randrange(1, size))
                out.append(bytes(buf))
    return out


@pytest.mark.parametrize("variant", ["hello", "hello-nocompress", "cgo", "hello-windows"])
def test_corrupt_dwarf_raises_go_metadata_error_or_splits_exactly(
    builder: Builder, tmp_path: Path, variant: str
) -> None:
    """Flipped or cut DWARF bytes give GoMetadataError or an exact split, nothing else."""
    path = build(builder, variant)
    raw = path.read_bytes()
    with map_file(str(path)) as m:
        layout = read_layout(str(path), m.data)
    rng = random.Random(variant)
    outcomes = {"error": 0, "split": 0}
    for n, blob in enumerate(_corruptions(raw, layout, rng)):
        bad = tmp_path / f"bad{n}"
        bad.write_bytes(blob)
        with map_file(str(bad)) as m:
            try:
                bad_layout = read_layout(str(bad), m.data)
            except BinaryFormatError:
                continue
            package_at: Callable[[int], str] = lambda a: "main" if a % 2 else ""  # noqa: E731
            try:
                split = split_dwarf(m.data, bad_layout, package_at)
            except GoMetadataError:
                outcomes["error"] += 1
                continue
            assert split is not None
            assert split.total == split.size == dwarf_file_bytes(bad_layout)
            outcomes["split"] += 1
    assert outcomes["error"] > 0 and outcomes["split"] > 0, outcomes


# -- the fast paths equal the reference readers ------------------------------------------------


def _read_modes(data: bytes, layout: Layout) -> dict[str, Dwarf | str | None]:
    """read_dwarf entry by entry (the reference), in bulk in Python and in bulk with numpy (the
    last two with .debug_line and .debug_frame on a second thread); an error as its class."""
    out: dict[str, Dwarf | str | None] = {}
    for mode, numpy in (("entries", None), ("python", False), ("numpy", True)):
        try:
            out[mode] = read_dwarf(data, layout, bulk=mode != "entries", numpy=numpy)
        except DwarfError as exc:
            out[mode] = type(exc).__name__
    return out


@pytest.mark.parametrize(
    "variant",
    ["hello", "hello-nocompress", "cgo", "http-cgo-pie", "hello-windows", "hello-darwin-arm64"],
)
def test_bulk_frames_and_line_chain_equal_the_entry_by_entry_reader(
    builder: Builder, monkeypatch: pytest.MonkeyPatch, variant: str
) -> None:
    """Bulk FDE runs (Python or numpy) and the .debug_line chain read ahead on a second thread
    give the same units, frame entries and section uses as reading every entry one by one."""
    monkeypatch.setattr(dwarf_module, "_AHEAD_MIN", 0)  # small binaries use the thread too
    path = build(builder, variant)
    with map_file(str(path)) as m:
        layout = read_layout(str(path), m.data)
        modes = _read_modes(bytes(m.data), layout)
    reference = modes["entries"]
    assert isinstance(reference, Dwarf) and len(reference.frames.fde_offsets) > 1000
    assert modes["python"] == reference
    assert modes["numpy"] == reference


@pytest.mark.parametrize("variant", ["hello", "hello-nocompress", "cgo"])
def test_fast_readers_agree_on_corrupt_dwarf(
    builder: Builder, monkeypatch: pytest.MonkeyPatch, variant: str
) -> None:
    """On flipped or cut DWARF bytes the bulk readers raise DwarfError exactly when the
    entry-by-entry reader does, and otherwise read the same DWARF."""
    monkeypatch.setattr(dwarf_module, "_AHEAD_MIN", 0)
    path = build(builder, variant)
    raw = path.read_bytes()
    with map_file(str(path)) as m:
        layout = read_layout(str(path), m.data)
    frame = layout.section(".debug_frame")
    assert frame is not None
    rng = random.Random(f"fast-{variant}")
    blobs = _corruptions(raw, layout, rng)
    for _ in range(40):  # more damage where the bulk reader works: FDE words
        buf = bytearray(raw)
        at = frame.offset + rng.randrange(frame.file_size)
        buf[at] ^= 1 << rng.randrange(8)
        blobs.append(bytes(buf))
    outcomes = {"error": 0, "read": 0}
    for blob in blobs:
        try:
            bad_layout = read_layout("bad", blob)
        except BinaryFormatError:
            continue
        modes = _read_modes(blob, bad_layout)
        assert modes["python"] == modes["entries"]
        assert modes["numpy"] == modes["entries"]
        outcomes["error" if isinstance(modes["entries"], str) else "read"] += 1
    assert outcomes["error"] > 0 and outcomes["read"] > 0, outcomes


@pytest.mark.parametrize("variant", ["hello", "cgo", "hello-darwin-arm64"])
def test_fde_packages_with_numpy_equal_bisect(builder: Builder, variant: str) -> None:
    """FDE bytes per package are the same, in the same order (first FDE first), whether the
    functions are looked up with numpy's searchsorted or one bisect per FDE, and they are the
    FDE bytes of the split."""
    path = build(builder, variant)
    with map_file(str(path)) as m:
        layout = read_layout(str(path), m.data)
        dwarf = read_dwarf(m.data, layout)
        tab = read_pclntab(m.data, layout)
        text = layout.section(".text", "__text")
        assert dwarf is not None and tab is not None and text is not None
    start = frame_text_start(dwarf, tab.functions, text.address)
    by_numpy = fde_packages(dwarf.frames, tab.functions, start, numpy=True)
    by_bisect = fde_packages(dwarf.frames, tab.functions, start, numpy=False)
    assert list(by_numpy.items()) == list(by_bisect.items())
    assert sum(by_numpy.values()) == sum(dwarf.frames.fde_sizes)
    assert by_numpy["main"] > 0 and by_numpy["runtime"] == max(by_numpy.values())
    # A text start that lines nothing up (0: FDEs lie far above the text's size) puts every
    # FDE on no package, both ways.
    for numpy in (True, False):
        assert fde_packages(dwarf.frames, tab.functions, 0, numpy=numpy) == {
            "": sum(dwarf.frames.fde_sizes)
        }

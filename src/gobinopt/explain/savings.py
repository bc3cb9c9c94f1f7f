"""What each knob would save on this binary, computed from its own parts, never guessed.

Each rule looks at the parts a knob removes (DWARF for ``-w``, symbol tables for ``-s``, the
absolute paths of the file table and DWARF line tables for ``-trimpath``, …) and sums their
bytes. What depends on a compressor is an estimate, labelled as such: UPX (an LZMA compression
of a sample of the loaded bytes, with its start-up cost) and the ``-trimpath`` shrink of
compressed DWARF.

Advice follows what the file is: a file without Go metadata gets no Go flags.
"""

from __future__ import annotations

import lzma
import mmap
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from gobinopt.binary.interface import Category, Format, Layout, Part, PartKind
from gobinopt.explain.interface import Basis, CodeAttribution, Saving, SavingPart
from gobinopt.explain.trimpath import (
    PathTrimmer,
    gdb_script_shrink,
    is_absolute,
    line_table_shrink,
)
from gobinopt.golang.interface import BuildInfo, PclnTab

#: How many bytes of the loaded image the UPX estimate compresses (in evenly spread chunks).
UPX_SAMPLE_BYTES = 1 << 20
_UPX_CHUNK = 128 << 10
#: Bytes UPX adds on its own (stub, pack header, program headers), measured on UPX 4.2 amd64.
_UPX_OVERHEAD = 40 << 10


def go_minor(version: str) -> int | None:
    """The minor version of a ``go1.N[.P]`` string (22 for ``go1.22.10``), None if unparsable."""
    m = re.match(r"go1\.(\d+)", version)
    return int(m.group(1)) if m else None


def _sum(parts: Iterable[Part]) -> int:
    return sum(p.file_size for p in parts)


def _section_cost(parts: list[Part]) -> int:
    """File bytes of sections plus their names in ``.shstrtab`` (ELF section names cost too)."""
    return _sum(parts) + sum(len(p.name.encode()) + 1 for p in parts if p.kind is PartKind.SECTION)


def strip_cost(is_go: bool) -> str:
    """The cost of ``strip --strip-all``, and the link-time alternative of this kind of file."""
    if is_go:
        return 'same as -ldflags="-s -w"; prefer the linker flags (no extra step)'
    return (
        "no symbols or debug info for gdb, perf or crash reports; "
        "linking with `gcc -s` (ld --strip-all) gives the same without an extra step"
    )


def compute_savings(
    layout: Layout,
    upx_ratio: Callable[[], tuple[float, int] | None],
    buildinfo: BuildInfo | None,
    pclntab: PclnTab | None,
    code: CodeAttribution | None,
    data: bytes | mmap.mmap | None = None,
) -> tuple[list[Saving], list[str]]:
    """All applicable savings, largest first, and notes (such as "already optimized").

    ``upx_ratio`` gives :func:`upx_sample_ratio`'s result; it is called last, so a sample being
    compressed on other threads overlaps the rest. ``data`` (the file's bytes) lets
    ``-trimpath`` count the paths of the DWARF line tables; without it only the pclntab's are.
    """
    savings: list[Saving] = []
    notes: list[str] = []
    if layout.packer:
        return savings, notes
    is_go = buildinfo is not None or pclntab is not None
    dwarf = [p for p in layout.parts if p.category is Category.DWARF]
    symbols = [p for p in layout.parts if p.category is Category.SYMBOLS]
    dwarf_bytes, sym_bytes = _section_cost(dwarf), _section_cost(symbols)
    minor = go_minor(buildinfo.go_version) if buildinfo else None
    s_implies_w = minor is None or minor >= 22
    if is_go and dwarf_bytes:
        packed = [p for p in dwarf if p.compressed]
        detail = f"{len(dwarf)} DWARF sections"
        if packed:
            inflated = sum(p.uncompressed_size or 0 for p in packed)
            detail += f" ({len(packed)} compressed; {inflated:,} bytes uncompressed)"
        savings.append(
            Saving(
                "-ldflags=-w",
                'go build -ldflags="-w"',
                dwarf_bytes,
                Basis.COMPUTED,
                detail + " are not written",
                cost="no source-level debugging (dlv, gdb)",
            )
        )
    if is_go and (sym_bytes or (dwarf_bytes and s_implies_w)):
        total = sym_bytes + (dwarf_bytes if s_implies_w else 0)
        what = "symbol table (.symtab/.strtab)"
        if s_implies_w and dwarf_bytes:
            what += " and DWARF (since Go 1.22 -s implies -w)"
        savings.append(
            Saving(
                "-ldflags=-s",
                'go build -ldflags="-s -w"',
                total,
                Basis.COMPUTED,
                f"{what} are not written",
                cost="no symbols for perf/pprof of the binary alone; panics still symbolize",
            )
        )
    if layout.format is Format.ELF:
        removable = [
            p
            for p in layout.parts
            if p.kind is PartKind.SECTION
            and p.file_size
            and p.mem_size == 0
            and p.name != ".shstrtab"
            and not p.name.startswith(".note")
        ]
        strip_bytes = _section_cost(removable)
        if strip_bytes:
            savings.append(
                Saving(
                    "strip",
                    "strip --strip-all BINARY",
                    strip_bytes,
                    Basis.COMPUTED,
                    f"{len(removable)} non-loaded sections ({', '.join(_names(removable))}) "
                    "are removed",
                    cost=strip_cost(is_go),
                )
            )
    trim, trim_notes = _trimpath_savings(layout, data, buildinfo, pclntab)
    savings.extend(trim)
    notes.extend(trim_notes)
    if layout.dynamic and is_go and code is not None:
        dyn = _sum(p for p in layout.parts if p.category is Category.DYNAMIC)
        cgo_pkgs = sum(p.size for p in code.packages if p.name in ("runtime/cgo", "_cgo_"))
        est = dyn + code.non_go_code + cgo_pkgs
        cgo = buildinfo.setting("CGO_ENABLED") if buildinfo else None
        savings.append(
            Saving(
                "CGO_ENABLED=0",
                "CGO_ENABLED=0 go build",
                est,
                Basis.ESTIMATE,
                f"dynamic-linking sections ({dyn:,} B), non-Go code in .text "
                f"({code.non_go_code:,} B) and runtime/cgo ({cgo_pkgs:,} B); "
                f"binary needs {layout.interpreter or 'a loader'}"
                + (f" and {', '.join(layout.needed)}" if layout.needed else "")
                + (f"; built with CGO_ENABLED={cgo}" if cgo else ""),
                cost="a static binary; net and os/user switch to their pure-Go versions "
                "(C code you call through cgo will not build)",
            )
        )
    upx = _upx_estimate(layout, upx_ratio(), savings, is_go)
    if upx is not None:
        savings.append(upx)
    savings.sort(key=lambda s: (s.basis is Basis.ESTIMATE, -s.bytes))
    if is_go and not any(s.basis is not Basis.ESTIMATE and s.bytes > 0 for s in savings):
        notes.append(
            "already optimized: no DWARF, no symbol table"
            + ("" if layout.dynamic else ", statically linked")
            + "; only packing (UPX) would shrink it further, at a start-up cost"
        )
    return savings, notes


def _names(parts: list[Part], most: int = 4) -> list[str]:
    names = [p.name for p in parts[:most]]
    if len(parts) > most:
        names.append(f"+{len(parts) - most} more")
    return names


def _trimpath_savings(
    layout: Layout,
    data: bytes | mmap.mmap | None,
    buildinfo: BuildInfo | None,
    pclntab: PclnTab | None,
) -> tuple[list[Saving], list[str]]:
    """The ``-trimpath`` rows: the exact part and, for compressed DWARF, an estimated part.

    The exact part is the pclntab file table, uncompressed DWARF line tables and the gdb script
    path (see :mod:`gobinopt.explain.trimpath`); with uncompressed DWARF it is the real build's
    difference to within the page alignment of later segments. A compressed ``.debug_line``
    shrinks by an amount only a compressor can tell: that is a separate estimate row.
    """
    if pclntab is None or not pclntab.files:
        return [], []
    if buildinfo is not None and buildinfo.setting("-trimpath") == "true":
        return [], []
    absolute = [f for f in pclntab.files if is_absolute(f)]
    if not absolute:
        return [], []
    trimmer = PathTrimmer.from_files(pclntab.files, buildinfo)
    before = sum(len(f.encode()) + 1 for f in pclntab.files)
    after = before
    for path in absolute:
        after -= len(path.encode()) - len(trimmer.file(path).encode())
    if pclntab.layout != "1.2-1.15":
        # Since Go 1.16 the linker rounds runtime.filetab up to the pointer size
        # (cmd/link/internal/ld/pcln.go, addGeneratedSym).
        before, after = _round_up(before, pclntab.ptr_size), _round_up(after, pclntab.ptr_size)
    parts: list[SavingPart] = []
    notes: list[str] = []
    if before - after > 0:
        parts.append(SavingPart(".gopclntab", before - after))
    line = None
    gdb = 0
    if data is not None:
        try:
            line = line_table_shrink(layout, data, trimmer)
        except ValueError as exc:
            notes.append(f"-trimpath: DWARF line tables not counted ({exc})")
        gdb = gdb_script_shrink(layout, data, trimmer)
    if line is not None and not line.compressed and line.file_bytes > 0:
        parts.append(SavingPart(line.section, line.file_bytes))
    if gdb > 0:
        parts.append(SavingPart(".debug_gdb_scripts", gdb))
    rows: list[Saving] = []
    cost = "none at run time; stack traces show module paths instead of local paths"
    if parts:
        what = ", ".join(f"{p.section} {p.bytes:,} B" for p in parts)
        later = (
            "; the compressed DWARF line tables shrink too (estimated separately)"
            if line is not None and line.compressed and line.inflated
            else ""
        )
        rows.append(
            Saving(
                "-trimpath",
                "go build -trimpath",
                sum(p.bytes for p in parts),
                Basis.COMPUTED,
                f"{len(absolute)} absolute file paths shorten ({what}){later}; the file moves "
                "in whole pages because later segments stay page-aligned; also makes builds "
                "reproducible",
                cost=cost,
                parts=tuple(parts),
            )
        )
    if line is not None and line.compressed and line.file_bytes > 0:
        rows.append(
            Saving(
                "-trimpath",
                "go build -trimpath",
                line.file_bytes,
                Basis.ESTIMATE,
                f"estimate: the compressed {line.section} loses {line.inflated:,} bytes of "
                f"paths once inflated ({line.paths} path entries, exact); recompressing "
                "the trimmed table with zlib puts its compressed shrink at about "
                f"{line.file_bytes:,} B (Go's compressor is not zlib's: expect an error of "
                "about 10 %; build with -trimpath to know)",
                cost=cost,
                parts=(SavingPart(line.section, line.file_bytes),),
            )
        )
    return rows, notes


def _round_up(n: int, align: int) -> int:
    return -(-n // align) * align if align > 0 else n


def upx_sample_ratio(layout: Layout, data: bytes | mmap.mmap) -> tuple[float, int] | None:
    """(LZMA compression ratio, sample bytes) of evenly spread chunks of the loaded image.

    The sample is compressed as two independent halves on two threads (``lzma`` releases the
    GIL), so the estimate costs about half its single-core time and can overlap other work.
    """
    loaded = [p for p in layout.parts if p.mem_size and p.file_size]
    total = _sum(loaded)
    if total < 64 << 10 or layout.packer:
        return None
    wanted = min(UPX_SAMPLE_BYTES, total)
    n = max(1, wanted // _UPX_CHUNK)
    stride = max(_UPX_CHUNK, total // n)
    chunks: list[bytes] = []
    stream_pos = 0
    next_take = 0
    taken = 0
    for part in loaded:
        while next_take < stream_pos + part.file_size and taken < wanted:
            inside = next_take - stream_pos
            take = min(_UPX_CHUNK, part.file_size - inside)
            start = part.offset + inside
            chunks.append(bytes(data[start : start + take]))
            taken += take
            next_take += stride
        stream_pos += part.file_size
    if not chunks:
        return None
    half = (len(chunks) + 1) // 2
    streams = [b"".join(chunks[:half]), b"".join(chunks[half:])]
    streams = [st for st in streams if st]
    with ThreadPoolExecutor(max_workers=len(streams)) as pool:
        sizes = list(pool.map(lambda st: len(lzma.compress(st, preset=6)), streams))
    return sum(sizes) / taken, taken


def _upx_estimate(
    layout: Layout, ratio_sample: tuple[float, int] | None, savings: list[Saving], is_go: bool
) -> Saving | None:
    """The sample's LZMA ratio applied to the loaded bytes that would remain after -s -w."""
    if ratio_sample is None:
        return None
    ratio, sampled = ratio_sample
    total = _sum(p for p in layout.parts if p.mem_size and p.file_size)
    removable = max((s.bytes for s in savings if s.knob in ("-ldflags=-s", "strip")), default=0)
    base = layout.file_size - removable
    packed = int(total * ratio) + _UPX_OVERHEAD
    saved = base - packed
    if saved <= 0:
        return None
    return Saving(
        "upx",
        "upx --best --lzma BINARY " + ("(after -s -w)" if is_go else "(after strip)"),
        saved,
        Basis.ESTIMATE,
        f"estimate: LZMA compresses a {sampled:,}-byte sample of the loaded image to "
        f"{ratio:.0%}; packed size ≈ {packed:,} bytes; measure with --measure",
        cost="every start decompresses the whole program into memory: start-up is typically "
        "tens to hundreds of times slower and RSS grows by the unpacked size; "
        "measure start-up before shipping it",
    )

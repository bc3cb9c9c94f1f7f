"""Split the DWARF sections by Go package: Go's linker emits one compile unit per package.

The rules, per section (what :mod:`gobinopt.binary.dwarf` reads):

- ``.debug_info``: each compile unit (``unit_length`` + 4 or 12 bytes) goes to its
  ``DW_AT_name`` — the import path for a Go unit (``DW_LANG_Go``; linker escapes undone with
  ``import_path``), the file name for a C or assembler unit of a cgo binary (``gcc_linux_amd64.c``),
  which stays as named. Type units and padding are named tables.
- ``.debug_line``: each line program (from ``DW_AT_stmt_list`` to its ``unit_length`` end) goes
  with its unit; programs no unit points at are ".debug_line unreferenced".
- ``.debug_frame``: each FDE goes to ``package_at(initial_location)`` — the package of the Go
  function covering that address, "" (no package) for none; CIEs are ".debug_frame CIEs".
  With the pclntab functions (:func:`split_dwarf_by_functions`) the tens of thousands of
  lookups are one numpy ``searchsorted`` when numpy is loaded (:func:`fde_packages`).
- ``.debug_addr``, ``.debug_rnglists``/``.debug_ranges`` and ``.debug_aranges``: cut at the offsets
  the units name (``DW_AT_addr_base``, ``DW_AT_ranges``/``DW_AT_rnglists_base``, a set's
  ``debug_info_offset``), each piece with its unit; Go writes each unit's contribution back to back
  in unit order, so this is exact; the table header is ".debug_addr headers" and so on.
- Everything else is a table named after its section: ``.debug_abbrev``, ``.debug_str``,
  ``.debug_line_str``, ``.debug_loclists``/``.debug_loc`` (no unit-level attribute says where a
  unit's location lists start, so they stay whole), ``.debug_gdb_scripts``.

**Compressed sections** (ELF ``SHF_COMPRESSED``, ``.zdebug_*``) are split by their inflated
contents, then the compressed stream's file bytes are shared out in proportion to those with an
exact integer apportionment (largest remainder), so the parts still sum to the section's file size;
such tables carry "(compressed, in proportion)" and package bytes are equally proportional. The
compression header (``Elf64_Chdr`` or ``"ZLIB"`` + size) is a table of its own. A section not
divided at all (``.debug_abbrev``) is one table with its header, labelled "(compressed)"; a zstd
section when no zstd module is installed is "<section> (zstd-compressed, not decoded)". PE
raw-data padding past ``VirtualSize`` is "<section> padding".
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from gobinopt.binary.dwarf import (
    DW_LANG_Go,
    Dwarf,
    DwarfError,
    Frames,
    SectionUse,
    Unit,
    read_dwarf,
)
from gobinopt.binary.interface import Buffer, Layout
from gobinopt.golang.attribution import NO_PACKAGE, Split, TableSize, packages_of
from gobinopt.golang.interface import Function, GoMetadataError
from gobinopt.golang.pclntab import import_path

#: An address → the package of the Go function covering it ("" when none).
PackageAt = Callable[[int], str]


def unit_package(unit: Unit) -> str:
    """The package a compile unit stands for: a Go import path, or a C unit's file name."""
    if unit.language == DW_LANG_Go:
        return import_path(unit.name)
    return unit.name or NO_PACKAGE


def read_go_dwarf(data: Buffer, layout: Layout) -> Dwarf | None:
    """:func:`gobinopt.binary.dwarf.read_dwarf`, corrupt input raising GoMetadataError."""
    try:
        return read_dwarf(data, layout)
    except DwarfError as exc:
        raise GoMetadataError(f"DWARF is corrupt: {exc.message}") from None


def split_dwarf(
    data: Buffer, layout: Layout, package_at: PackageAt, dwarf: Dwarf | None = None
) -> Split | None:
    """Every DWARF section split by package and named tables; None when there is no DWARF.

    ``package_at`` maps an FDE's ``initial_location`` (a virtual address) to a package;
    ``dwarf`` is an already-read :class:`Dwarf` of this file (read here when None).
    Raises GoMetadataError when the DWARF is corrupt.
    """
    dw = dwarf if dwarf is not None else read_go_dwarf(data, layout)
    if dw is None:
        return None
    fde_pkgs: dict[str, int] = defaultdict(int)
    for size, loc in zip(dw.frames.fde_sizes, dw.frames.fde_locations, strict=True):
        fde_pkgs[package_at(loc)] += size
    return _split(dw, fde_pkgs)


def _split(dw: Dwarf, fde_pkgs: dict[str, int]) -> Split:
    """The split of ``dw`` given the FDE bytes of each package (in order of first FDE)."""
    unit_pkgs = [unit_package(u) for u in dw.units]
    packages: dict[str, int] = defaultdict(int)
    tables: dict[str, int] = defaultdict(int)
    for use in dw.sections:
        _split_section(use, unit_pkgs, fde_pkgs, packages, tables)
    names = tuple(u.section.name for u in dw.sections)
    size = sum(u.section.file_size for u in dw.sections)
    split = Split(
        sections=names,
        size=size,
        packages=packages_of(packages),
        tables=tuple(TableSize(k, v) for k, v in tables.items() if v),
    )
    if split.total != size:  # a bug, never corrupt input: every part is apportioned exactly
        raise GoMetadataError(f"DWARF split covers {split.total} of {size} bytes")
    return split


def _split_section(
    use: SectionUse,
    unit_pkgs: list[str],
    fde_pkgs: dict[str, int],
    packages: dict[str, int],
    tables: dict[str, int],
) -> None:
    sec = use.section
    # (is a package, key) → inflated bytes.
    weights: dict[tuple[bool, str], int] = defaultdict(int)
    for idx, size in use.units:
        weights[True, unit_pkgs[idx]] += size
    if use.fde_bytes:
        for pkg, size in fde_pkgs.items():
            weights[True, pkg] += size
    for what, size in use.rest:
        weights[False, f"{sec.kind} {what}" if what else sec.kind] += size
    if not sec.compression:
        for (is_pkg, key), size in weights.items():
            (packages if is_pkg else tables)[key] += size
        tables[f"{sec.kind} padding"] += sec.padding
        return
    if use.note:  # not decoded (zstd without a zstd module): one table
        tables[f"{sec.kind} ({sec.compression}-compressed, not decoded)"] += sec.file_size
        return
    if len(weights) <= 1:  # undivided: header, stream and padding in one table
        ((is_pkg, key),) = weights or {(False, sec.kind): 0}
        (packages if is_pkg else tables)[key if is_pkg else f"{key} (compressed)"] += sec.file_size
        return
    tables[f"{sec.kind} compression header"] += sec.header_size
    tables[f"{sec.kind} padding"] += sec.padding
    keys = list(weights)
    shares = apportion([weights[k] for k in keys], sec.stored)
    for (is_pkg, key), share in zip(keys, shares, strict=True):
        if is_pkg:
            packages[key] += share
        else:
            tables[f"{key} (compressed, in proportion)"] += share


def apportion(weights: Sequence[int], total: int) -> list[int]:
    """``total`` shared out in proportion to ``weights`` in whole numbers summing to ``total``.

    The largest remainder (Hamilton) method: each gets the floor of its quota, the remainder goes
    one by one to the largest fractional parts (earlier ones first on ties). All-zero weights put
    everything on the first.
    """
    whole = sum(weights)
    if not weights:
        return []
    if whole <= 0:
        return [total] + [0] * (len(weights) - 1)
    floors = [w * total // whole for w in weights]
    left = total - sum(floors)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(weights[i] * total % whole), i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return floors


# -- addresses → packages -----------------------------------------------------------------------


def functions_package_at(functions: Sequence[Function], text_start: int) -> PackageAt:
    """Address → the package of the pclntab function covering it, "" when none.

    Function ``entry`` values are offsets from the start of the module's text (``runtime.text``),
    so ``text_start`` is that address; a function covers ``[entry, entry + size)``.
    """
    entries = [text_start + f.entry for f in functions]
    ends = [text_start + f.entry + f.size for f in functions]
    pkgs = [f.package for f in functions]

    def package_at(address: int) -> str:
        i = bisect_right(entries, address) - 1
        if i >= 0 and address < ends[i]:
            return pkgs[i]
        return NO_PACKAGE

    return package_at


def frame_text_start(dwarf: Dwarf, functions: Sequence[Function], guess: int) -> int:
    """The address pclntab entry offsets are relative to (``runtime.text``), from the FDEs.

    Go's linker writes an FDE whose ``initial_location`` is the entry of every Go function, so
    the text start is the shift that lines the most FDEs up with function entries. The shifts
    that pair the lowest FDE addresses with the first functions most often are tried against
    ``guess`` (the ``.text`` section address: right for internally linked files, while an
    external linker may put C code first), which is kept unless one lines up more FDEs.
    """
    locs = dwarf.frames.fde_locations
    if not locs or not functions:
        return guess
    ordered = sorted(locs)  # FDE addresses are in text order already: a linear pass
    step = max(1, len(functions) // 512)
    sample = [f.entry for f in functions[::step]]

    def score(shift: int) -> int:
        return sum(1 for e in sample if _contains(ordered, shift + e))

    # The true shift pairs each of the first functions with its own FDE: the commonest one.
    lowest = ordered[:32]
    shifts = Counter(loc - f.entry for loc in lowest for f in functions[:32])
    best, best_score = guess, score(guess)
    for shift, _ in shifts.most_common(3):
        got = score(shift)
        if got > best_score:
            best, best_score = shift, got
    return best


def _contains(ordered: list[int], value: int) -> bool:
    """Whether the sorted list ``ordered`` holds ``value``."""
    i = bisect_left(ordered, value)
    return i < len(ordered) and ordered[i] == value


def fde_packages(
    frames: Frames, functions: Sequence[Function], text_start: int, numpy: bool | None = None
) -> dict[str, int]:
    """FDE bytes per package, each FDE going to the function covering its ``initial_location``.

    The same as summing FDE sizes by :func:`functions_package_at`, packages in the order of
    their first FDE (the order decides ties when a compressed section is apportioned). With
    numpy (``numpy=None``: when it is imported already, as the pclntab split does for large
    tables, or the table is huge) the lookups are one ``searchsorted``; otherwise one
    ``bisect`` per FDE.
    """
    if numpy is None:
        numpy = "numpy" in sys.modules or len(frames.fde_locations) >= _NUMPY_MIN_FDES
    if numpy and functions and frames.fde_locations:
        try:
            return _fde_packages_numpy(frames, functions, text_start)
        except (ImportError, OverflowError, ValueError, _UnsortedError):
            pass
    package_at = functions_package_at(functions, text_start)
    out: dict[str, int] = defaultdict(int)
    for size, loc in zip(frames.fde_sizes, frames.fde_locations, strict=True):
        out[package_at(loc)] += size
    return dict(out)


#: From this many FDEs on, numpy is imported for the lookups (its import costs ~0.1 s).
_NUMPY_MIN_FDES = 500_000


class _UnsortedError(Exception):
    """Function entries out of order: ``bisect`` and ``searchsorted`` could differ."""


def _fde_packages_numpy(
    frames: Frames, functions: Sequence[Function], text_start: int
) -> dict[str, int]:
    import numpy as np

    u64 = np.uint64
    count = len(functions)
    entries = np.fromiter(map(attrgetter("entry"), functions), dtype=u64, count=count)
    ends = entries + np.fromiter(map(attrgetter("size"), functions), dtype=u64, count=count)
    if text_start < 0 or (count and text_start + int(ends.max()) >= 1 << 64):
        raise OverflowError("addresses beyond 64 bits")
    entries += u64(text_start)
    ends += u64(text_start)
    if count > 1 and bool((entries[1:] < entries[:-1]).any()):
        raise _UnsortedError
    locs = _u64_array(np, frames.fde_locations)
    sizes = _u64_array(np, frames.fde_sizes)
    # Package ids of the functions; NO_PACKAGE (also for FDEs no function covers) is 0.
    pkgs = list(map(attrgetter("package"), functions))
    names = list(dict.fromkeys([NO_PACKAGE, *pkgs]))
    ids = {name: i for i, name in enumerate(names)}
    func_pkg = np.fromiter(map(ids.__getitem__, pkgs), dtype=np.intp, count=count)
    at = np.searchsorted(entries, locs, side="right").astype(np.intp) - 1
    inside = at >= 0
    at[~inside] = 0
    inside &= locs < ends[at]
    fde_pkg = np.where(inside, func_pkg[at], 0)
    # Sums of whole numbers below 2**53 are exact in float64.
    sums = np.bincount(fde_pkg, weights=sizes.astype(np.float64), minlength=len(ids))
    found, first = np.unique(fde_pkg, return_index=True)
    return {names[i]: int(sums[i]) for i in found[np.argsort(first, kind="stable")].tolist()}


def _u64_array(np: Any, column: Sequence[int]) -> Any:
    """``column`` as a numpy uint64 array (without a copy when it is an ``array("Q")``)."""
    if isinstance(column, array) and column.typecode == "Q":
        return np.frombuffer(column, dtype=np.uint64)
    return np.array(column, dtype=np.uint64)


def split_dwarf_by_functions(
    data: Buffer, layout: Layout, functions: Sequence[Function], text_guess: int
) -> Split | None:
    """:func:`split_dwarf` with FDEs going to the pclntab functions covering them.

    ``text_guess`` is ``runtime.text`` when the caller knows it (``moduledata.text``), else the
    ``.text``/``__text`` section address; either way the text start the function entries are
    relative to is checked against the FDEs (:func:`frame_text_start`).
    """
    dw = read_go_dwarf(data, layout)
    if dw is None:
        return None
    start = frame_text_start(dw, functions, text_guess)
    return _split(dw, fde_packages(dw.frames, functions, start))

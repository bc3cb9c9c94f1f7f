"""Split the data sections of a Go binary by the symbols that fill them.

**Covered bytes.** The file bytes of every section of category read-only data, writable data
and Go runtime metadata (``.rodata``, ``.data.rel.ro*``, ``.noptrdata``, ``.data``,
``.typelink``, ``.itablink``, ``.go.buildinfo``, ``.go.module``, Go 1.27's ``.go.type`` and
``.go.func``, ``.eh_frame`` of a cgo build; Mach-O ``__rodata``, ``__noptrdata``…; PE
``.rdata``, ``.data``, ``.pdata``…) except the pclntab, which
:mod:`gobinopt.golang.pclntab_split` splits: the ``.gopclntab``/``__gopclntab`` section, and on
PE, where the linker keeps it inside ``.rdata``, the range ``runtime.pclntab`` …
``runtime.epclntab``. Memory-only sections (``.bss``, ``.noptrbss``) have no file bytes.
``types.size + data.size`` is exactly the covered bytes.

**Symbol extents.** ELF: ``[st_value, st_value + st_size)``. Mach-O and PE record no sizes: a
symbol runs to the next higher symbol address, as ``go tool nm -size`` computes it
(cmd/internal/objfile). On ELF the linker's *carrier* symbols (``type:*``, ``go:string.*``,
``go:funcdesc``, ``runtime.gcbits.*``…, whose members it leaves out of the table) have size 0
and run to the next symbol the same way; other zero-size ELF symbols own nothing. Extents are
clipped to their section's file bytes. Boundary symbols the linker defines
(``runtime.rodata``/``runtime.erodata``, ``runtime.types``/``runtime.etypes``,
``runtime.noptrdata`` …, PE section symbols) own nothing; they only end the symbol before them.

**Overlaps.** Each byte goes once, to the innermost symbol covering it: the one with the
shortest extent; among equal extents a symbol with a package beats one without, then a carrier
laid out later beats an earlier one (an earlier carrier at the same address is empty, as
``go:funcdesc`` before ``runtime.gcbits.*`` on Mach-O), then the first in the symbol table.

**Which split, which package.**

- ``types``: ``type:`` symbols (including ``type:.namedata.*`` and ``type:.importpath.*``) to
  the package declaring the type (:func:`gobinopt.golang.attribution.type_package`), the
  ``runtime.gcbits.*`` GC bitmaps of types, and every byte of ``.go.type``/``.typelink``.
  Type bytes of no package (the ``type:*`` carrier: ordinary builds keep no per-type symbols,
  only ``-linkshared`` and plugin builds do) are the table "type descriptors (type:*)".
- ``data``: every other symbol to its package (``package_name`` + ``import_path``, as for
  functions); ``go:itab.T,I`` to the package of the concrete type ``T``. Symbols without a
  package go to named tables by kind: "string data (go:string.*)", "funcdata (go:func.*)",
  "function descriptors (go:funcdesc)", "build info (go:buildinfo)", "init tasks
  (go:*.inittasks)", "constants ($f64.*, $i64.*)", "other linker data (go:*)", "assembly and
  C data (no package)".
- Bytes no symbol covers (alignment, unnamed data): "<section>: unnamed", in the types split for
  type sections, else in the data split.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise

from gobinopt.binary.categories import normalise
from gobinopt.binary.interface import Category, Format, Layout
from gobinopt.golang.attribution import (
    Data,
    PackageOf,
    Split,
    TableSize,
    packages_of,
    type_package,
)
from gobinopt.golang.interface import GoMetadataError
from gobinopt.golang.pclntab import import_path
from gobinopt.golang.symtab import Symbols, read_symbols

_CATEGORIES = frozenset((Category.RODATA, Category.DATA, Category.GO_METADATA))
_PCLNTAB = frozenset((".gopclntab", ".data.rel.ro.gopclntab"))
_TYPE_SECTIONS = frozenset(
    (".go.type", ".typelink", ".data.rel.ro.go.type", ".data.rel.ro.typelink")
)
#: Carrier symbols in the order the linker lays them out (cmd/link/internal/ld symtab.go,
#: data.go); a later one wins a tie with an earlier one at the same address.
CARRIERS: tuple[str, ...] = (
    "type:*",
    "type.*",
    "typerel.*",
    "go:string.*",
    "go.string.*",
    "go:funcdesc",
    "go.funcdesc",
    "go:funcdescrel",
    "go.funcdescrel",
    "runtime.gcbits.*",
    "go:func.*",
    "go.func.*",
)
_CARRIER_RANK = {name: len(CARRIERS) - k for k, name in enumerate(CARRIERS)}
#: Boundary symbols (``ctxt.xdefine`` in cmd/link/internal/ld): they mark, they hold nothing.
MARKERS: frozenset[str] = frozenset(
    (
        *(
            f"runtime.{e}{s}"
            for s in (
                "text",
                "rodata",
                "types",
                "noptrdata",
                "data",
                "bss",
                "noptrbss",
                "covctrs",
                "pclntab",
            )
            for e in ("", "e")
        ),
        "runtime.end",
        "runtime.egcdata",
        "runtime.egcbss",
        "runtime.__start___sancov_cntrs",
        "runtime.__stop___sancov_cntrs",
        "internal/fuzz._counters",
        "internal/fuzz._ecounters",
        "_etext",
        "_edata",
        "_end",
        "etext",
        "edata",
        "end",
    )
)

TYPES_TABLE = "type descriptors (type:*)"
GCBITS_TABLE = "GC pointer bitmaps (runtime.gcbits.*)"
TYPELINK_TABLE = "type links (.typelink)"
NO_PACKAGE_TABLE = "assembly and C data (no package)"
_GO_TABLES: tuple[tuple[str, str], ...] = (
    ("string.", "string data (go:string.*)"),
    ("func.", "funcdata (go:func.*)"),
    ("funcdesc", "function descriptors (go:funcdesc)"),
    ("buildinfo", "build info (go:buildinfo)"),
    ("itab.", "itabs (go:itab.*)"),
)


@dataclass(frozen=True, slots=True)
class DataSplits:
    """The covered data bytes as two exact splits; their sizes sum to the covered bytes."""

    #: Type metadata: type descriptors, their names and GC bitmaps, ``.go.type``, ``.typelink``.
    types: Split
    #: Everything else: package variables and constants, itabs, strings, funcdata, build info.
    data: Split


@dataclass(frozen=True, slots=True)
class _Range:
    """Covered file bytes of one section: ``[address, address + size)`` at file ``offset``."""

    section: str
    address: int
    size: int
    types: bool
    #: Whether symbols can live here (the section is loaded at a real address).
    mapped: bool


#: Given the address and size of bytes no symbol names, the (package, bytes) a caller can still
#: prove (jump tables: words that all point into one function); the rest stays unnamed.
GapOwner = Callable[[int, int], Iterable[tuple[str, int]]]


def split_data(
    data: Data,
    layout: Layout,
    modern: bool = True,
    exclude: frozenset[str] = frozenset(),
    gap_owner: GapOwner | None = None,
) -> DataSplits | None:
    """The data sections split by symbol into type metadata and data; None without symbols.

    Sections named in ``exclude`` are left out (another reader splits them: Go 1.27's
    ``.go.func`` by the functions its words point at).

    None also when the table defines no symbol (a Mach-O ``-s`` build keeps only its imports).

    ``modern`` selects Go 1.20+ symbol prefixes (``go:``/``type:``) over ``go.``/``type.``.
    Raises GoMetadataError when the symbol table is corrupt.
    """
    syms = read_symbols(data, layout)
    if syms is None or not syms.addresses:
        return None
    try:
        ranges = [r for r in _ranges(layout, syms) if r.section not in exclude]
        return _split(ranges, syms, layout, modern, gap_owner)
    except (IndexError, ValueError, OverflowError) as exc:
        raise GoMetadataError(f"symbol table is corrupt: {exc}") from None


def _ranges(layout: Layout, syms: Symbols) -> list[_Range]:
    out: list[_Range] = []
    pcln = _pclntab_span(syms)
    for part in layout.sections():
        if not part.file_size or part.category not in _CATEGORIES:
            continue
        norm = normalise(part.name)
        if norm in _PCLNTAB:
            continue
        mapped = bool(part.address or part.mem_size)
        types = norm in _TYPE_SECTIONS
        start, end = part.address, part.address + part.file_size
        if mapped and pcln is not None and start <= pcln[0] < pcln[1] <= end:
            # PE: the pclntab inside .rdata is the pclntab split's, not ours.
            if pcln[0] > start:
                out.append(_Range(part.name, start, pcln[0] - start, types, True))
            if end > pcln[1]:
                out.append(_Range(part.name, pcln[1], end - pcln[1], types, True))
            continue
        out.append(_Range(part.name, start, part.file_size, types, mapped))
    return out


def _pclntab_span(syms: Symbols) -> tuple[int, int] | None:
    start, end = syms.find("runtime.pclntab"), syms.find("runtime.epclntab")
    if start is None or end is None or start >= end:
        return None
    return start, end


def _split(
    ranges: list[_Range],
    syms: Symbols,
    layout: Layout,
    modern: bool,
    gap_owner: GapOwner | None = None,
) -> DataSplits:
    addrs, sizes = syms.addresses, syms.sizes
    order = sorted(range(len(addrs)), key=addrs.__getitem__)
    sorted_addrs = [addrs[i] for i in order]
    section_names = {p.name for p in layout.sections()}
    classify = _Classifier(modern)
    totals: list[dict[str, int]] = [defaultdict(int), defaultdict(int)]  # data, types
    tables: list[dict[str, int]] = [defaultdict(int), defaultdict(int)]
    sections: list[list[str]] = [[], []]
    elf = layout.format is Format.ELF
    for rng in sorted(ranges, key=lambda r: r.address):
        lo, hi = rng.address, rng.address + rng.size
        intervals: list[tuple[int, int, int, int, int, str, bool]] = []
        if rng.mapped:
            first = bisect_right(sorted_addrs, lo - 1)
            last = bisect_right(sorted_addrs, hi - 1)
            for pos in range(first, last):
                i = order[pos]
                name = syms.name(i)
                if name in MARKERS or (not elf and name in section_names):
                    continue
                start = sorted_addrs[pos]
                size = sizes[i] if sizes is not None else 0
                carrier = _CARRIER_RANK.get(name)
                if size:
                    end = start + size
                elif elf and carrier is None:
                    continue
                else:
                    nxt = bisect_right(sorted_addrs, start, pos + 1)
                    end = sorted_addrs[nxt] if nxt < len(sorted_addrs) else hi
                end = min(end, hi)
                if end <= start:
                    continue
                is_types, key, is_table = classify(name, rng.types)
                rank = (2 + carrier) if carrier is not None else (1 if is_table else 0)
                intervals.append((start, end, rank, i, int(is_types), key, is_table))
        before = [sum(totals[k].values()) + sum(tables[k].values()) for k in (0, 1)]
        _paint(rng, intervals, totals, tables, gap_owner if rng.mapped else None)
        for k in (0, 1):
            grew = sum(totals[k].values()) + sum(tables[k].values()) > before[k]
            if grew and rng.section not in sections[k]:
                sections[k].append(rng.section)
    data_split, types_split = (_make(sections[k], totals[k], tables[k]) for k in (0, 1))
    return DataSplits(types=types_split, data=data_split)


def _make(sections: list[str], sizes: dict[str, int], tables: dict[str, int]) -> Split:
    return Split(
        sections=tuple(sections),
        size=sum(sizes.values()) + sum(tables.values()),
        packages=packages_of(sizes),
        tables=tuple(
            TableSize(k, v, unexplained=k.endswith(": unnamed"))
            for k, v in sorted(tables.items(), key=lambda kv: (-kv[1], kv[0]))
            if v
        ),
    )


def _paint(
    rng: _Range,
    intervals: list[tuple[int, int, int, int, int, str, bool]],
    totals: list[dict[str, int]],
    tables: list[dict[str, int]],
    gap_owner: GapOwner | None = None,
) -> None:
    """Give each byte of the range to its innermost symbol; bytes of none go to what
    ``gap_owner`` proves (data), the rest are "unnamed"."""
    unnamed = f"{rng.section}: unnamed"
    where = int(rng.types)

    def gap(start: int, size: int) -> None:
        if gap_owner is not None:
            for package, owned in gap_owner(start, size):
                totals[0][package] += owned
                size -= owned
        tables[where][unnamed] += size

    intervals.sort()
    cursor = rng.address
    n = len(intervals)
    j = 0
    while j < n:
        start, end, _, _, kind, key, is_table = intervals[j]
        # A cluster: intervals overlapping the first one, transitively.
        k = j + 1
        cluster_end = end
        while k < n and intervals[k][0] < cluster_end:
            cluster_end = max(cluster_end, intervals[k][1])
            k += 1
        if start > cursor:
            gap(cursor, start - cursor)
        if k == j + 1:
            (tables if is_table else totals)[kind][key] += end - start
        else:
            _sweep(intervals[j:k], totals, tables)
        cursor = cluster_end
        j = k
    end_all = rng.address + rng.size
    if end_all > cursor:
        gap(cursor, end_all - cursor)


def _sweep(
    cluster: list[tuple[int, int, int, int, int, str, bool]],
    totals: list[dict[str, int]],
    tables: list[dict[str, int]],
) -> None:
    """Overlapping extents: each elementary segment to the shortest (then best-ranked) one."""
    bounds = sorted({b for iv in cluster for b in iv[:2]})
    heap: list[tuple[int, int, int, int, int, str, bool]] = []
    nxt = 0
    for b0, b1 in pairwise(bounds):
        while nxt < len(cluster) and cluster[nxt][0] <= b0:
            s, e, rank, i, kind, key, is_table = cluster[nxt]
            heapq.heappush(heap, (e - s, rank, i, e, kind, key, is_table))
            nxt += 1
        while heap and heap[0][3] <= b0:
            heapq.heappop(heap)
        if heap:
            _, _, _, _, kind, key, is_table = heap[0]
            (tables if is_table else totals)[kind][key] += b1 - b0


class _Classifier:
    """Symbol name → (type metadata?, package or table name, is a table?)."""

    def __init__(self, modern: bool) -> None:
        self.go = "go:" if modern else "go."
        self.type = "type:" if modern else "type."
        self.package_of = PackageOf(modern)
        self.paths: dict[str, str] = {}

    def __call__(self, name: str, types_section: bool) -> tuple[bool, str, bool]:
        if name.startswith(self.type) or name == "typerel.*":
            pkg = type_package(name)
            return (True, pkg, False) if pkg else (True, TYPES_TABLE, True)
        if types_section:
            return True, TYPELINK_TABLE if "typelink" in name else TYPES_TABLE, True
        if name.startswith("runtime.gcbits."):
            return True, GCBITS_TABLE, True
        if name.startswith(self.go):
            return self._go(name[len(self.go) :])
        pkg = self._package(name)
        if not pkg:
            return False, NO_PACKAGE_TABLE, True
        if pkg.startswith("$"):
            return False, "constants ($f64.*, $i64.*)", True
        return False, pkg, False

    def _package(self, name: str) -> str:
        """``import_path(package_name(name))``, memoised per prefix (no go:/type: names here)."""
        if "[" in name:
            return self.package_of(name)
        dot = name.find(".", name.rfind("/") + 1)
        prefix = name[:dot] if dot >= 0 else ""
        path = self.paths.get(prefix)
        if path is None:
            path = self.paths[prefix] = import_path(prefix)
        return path

    def _go(self, rest: str) -> tuple[bool, str, bool]:
        if rest.startswith("itab."):
            pkg = type_package("type:" + _concrete(rest[5:]))
            if pkg:
                return False, pkg, False
        if rest.endswith(".inittasks"):
            return False, "init tasks (go:*.inittasks)", True
        for lead, table in _GO_TABLES:
            if rest.startswith(lead):
                return False, table, True
        return False, "other linker data (go:*)", True


def _concrete(itab: str) -> str:
    """``*os.File,io.Writer`` → ``*os.File``: the text before the top-level comma."""
    depth = 0
    for k, c in enumerate(itab):
        if c in "[({":
            depth += 1
        elif c in "])}":
            depth -= 1
        elif c == "," and depth == 0:
            return itab[:k]
    return itab

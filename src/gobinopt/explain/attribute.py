"""Every byte of a Go binary by package: the splits of :mod:`gobinopt.golang` put together.

Each area is split exactly by its own reader — code (the pclntab's functions), the pclntab
(:mod:`~gobinopt.golang.pclntab_split`), type metadata (:mod:`~gobinopt.golang.typedesc`, through
moduledata, stripped or not), data (:mod:`~gobinopt.golang.datasyms`, by the symbols that fill
the data sections), the symbol tables (:mod:`~gobinopt.golang.symtab`) and DWARF
(:mod:`~gobinopt.golang.dwarf_split`) — and no byte is in two areas:

- bytes of the data sections no symbol names are unnamed, except jump tables
  (:mod:`~gobinopt.golang.jumptables`: runs of words that all point into one function), which
  go to that function's package in the data column;
- the data split leaves out the pclntab (its own split) and Go 1.27's ``.go.func`` (the closure
  descriptors, one word each, split by the function each points at and added to the data
  column);
- the type descriptors are one ``type:*`` carrier in the symbol table (the linker leaves each
  ``type:`` symbol out), so the data split's "type descriptors (type:*)" bytes (plus a Go 1.27
  ``.go.type`` section's unnamed leading word) are replaced by the moduledata walk's split of the
  same region when the two agree on its size; otherwise the symbol view stands, with a note;
- Go runtime metadata sections no split covers (``.typelink`` on stripped files, ``.go.module``)
  are named tables, whole; so are the file's own structures — headers, notes and the dynamic
  linking sections (``.rela.dyn``, ``.dynsym``, the PE import and relocation tables) and PE's
  exception table (``.pdata``, ``.xdata``) — by name. Padding, gaps and non-Go code stay
  unattributed.
"""

from __future__ import annotations

import mmap
from collections import defaultdict
from collections.abc import Callable

from gobinopt.binary import Category, Format, Layout
from gobinopt.binary.detect import release
from gobinopt.explain.interface import Attribution, CodeAttribution, PackageBytes
from gobinopt.golang import GoMetadataError, PclnTab
from gobinopt.golang.attribution import Split, TableSize, packages_of
from gobinopt.golang.datasyms import split_data
from gobinopt.golang.dwarf_split import split_dwarf_by_functions
from gobinopt.golang.interface import BuildInfo
from gobinopt.golang.jumptables import JumpTables
from gobinopt.golang.pclntab_split import split_gofunc, split_pclntab
from gobinopt.golang.symtab import read_symbols, split_symbols
from gobinopt.golang.typedesc import ModuleTypes, find_moduledata, split_types_why

_TEXT_NAMES = (".text", "__text")
#: The data split's name for the symbol-table carrier of every type descriptor.
TYPE_CARRIER = "type descriptors (type:*)"
#: The moduledata walk's name for the pointer-size word at ``runtime.types``.
LEADING_WORD = "runtime.types"
#: PE's exception directory (``RUNTIME_FUNCTION`` entries) and the unwind info they point at:
#: file structures no symbol names, attributed as tables by name.
PE_UNWIND = (".pdata", ".xdata")
#: Categories of whole parts that are named file structures, attributed as tables by name.
STRUCTURES = (Category.DYNAMIC, Category.NOTES, Category.HEADERS)


def attribute_by_package(
    layout: Layout,
    data: bytes | mmap.mmap,
    pclntab: PclnTab | None,
    buildinfo: BuildInfo | None,
    code: CodeAttribution | None,
    notes: list[str],
) -> Attribution:
    """Every area split by package plus the named tables (a note for each split that could not
    be made)."""
    splits: dict[str, Split | None] = {}

    def attempt(area: str, what: str, make: Callable[[], Split | None]) -> None:
        try:
            splits[area] = make()
        except GoMetadataError as exc:
            splits[area] = None
            notes.append(f"{what} not split by package: {exc.message}")
        release(data)

    module: ModuleTypes | None = None
    if pclntab is not None:
        tab = pclntab
        go_version = buildinfo.go_version if buildinfo is not None else None
        # runtime.moduledata, read once: runtime.text for every address → function lookup,
        # epclntab for a pclntab without a section of its own.
        found = find_moduledata(data, layout, tab, go_version)
        module = None if isinstance(found, str) else found
        end = _epclntab(data, layout, module)
        attempt("pclntab", "pclntab", lambda: split_pclntab(data, layout, tab, end=end))

        def types() -> Split | None:
            split, why = split_types_why(data, layout, tab, go_version)
            if split is None and why:
                notes.append(f"type metadata not split by package: {why}")
            return split

        attempt("types", "type metadata", types)
        text = layout.section(*_TEXT_NAMES)
        text_start = module.text if module is not None else text.address if text else None
        if text_start is not None:
            start = text_start
            attempt(
                "dwarf",
                "DWARF",
                lambda: split_dwarf_by_functions(data, layout, tab.functions, start),
            )
        attempt("gofunc", ".go.func", lambda: split_gofunc(data, layout, tab, text_start))
    modern = pclntab is None or pclntab.layout == "1.20+"
    attempt("symbols", "symbol table", lambda: split_symbols(data, layout, modern))
    gofunc = splits.pop("gofunc", None)
    try:
        exclude = frozenset((*(gofunc.sections if gofunc is not None else ()), *PE_UNWIND))
        owner = None
        if pclntab is not None and module is not None:
            owner = JumpTables(data, layout, pclntab.functions, module.text, pclntab.ptr_size)
        by_symbol = split_data(data, layout, modern, exclude, owner)
    except GoMetadataError as exc:
        by_symbol = None
        notes.append(f"data sections not split by package: {exc.message}")
    if by_symbol is not None:
        splits["data"] = by_symbol.data
        splits["types"] = _types(splits.get("types"), by_symbol.types, notes)
    if gofunc is not None:
        splits["data"] = combine(splits.get("data"), gofunc)
    attribution = _assemble(layout, code, splits, structures=True)
    counted = attribution.to_packages + attribution.to_tables + attribution.unexplained
    if counted > layout.file_size:
        # A damaged header claims bytes the Go readers also find (e_ehsize past .text): the
        # file's structures are then left out rather than counted twice.
        notes.append(
            f"file structures overlap Go data ({counted - layout.file_size:,} bytes); "
            "headers and dynamic-linking sections are not counted"
        )
        attribution = _assemble(layout, code, splits, structures=False)
    return attribution


def _epclntab(data: bytes | mmap.mmap, layout: Layout, module: ModuleTypes | None) -> int | None:
    """The file offset of ``runtime.epclntab`` when the pclntab has no section of its own (PE
    keeps it inside ``.rdata``): from ``runtime.moduledata``, else the symbol table."""
    if layout.section(".gopclntab", "__gopclntab") is not None:
        return None
    address = module.epclntab if module is not None and module.epclntab else None
    if address is None:
        try:
            syms = read_symbols(data, layout)
        except GoMetadataError:
            return None
        address = syms.find("runtime.epclntab") if syms is not None else None
    if not address:
        return None
    last = layout.offset_of(address - 1)  # the table's last byte: epclntab may end a section
    return None if last is None else last + 1


def combine(first: Split | None, second: Split) -> Split:
    """Two splits of disjoint bytes as one (packages summed, tables side by side)."""
    if first is None:
        return second
    sizes: dict[str, int] = defaultdict(int)
    for name, size in (*first.packages, *second.packages):
        sizes[name] += size
    return Split(
        sections=tuple(dict.fromkeys((*first.sections, *second.sections))),
        size=first.size + second.size,
        packages=packages_of(sizes),
        tables=(*first.tables, *second.tables),
        shared=first.shared + second.shared,
    )


def _types(walked: Split | None, by_symbol: Split, notes: list[str]) -> Split:
    """The symbol view of the type metadata with its carrier replaced by the moduledata walk's
    split of the same bytes (when both measure them alike)."""
    if walked is None:
        return by_symbol
    carrier = {TYPE_CARRIER, *(f"{name}: unnamed" for name in walked.sections)}
    carved = sum(t.size for t in by_symbol.tables if t.name in carrier)
    lead = sum(t.size for t in walked.tables if t.name == LEADING_WORD)
    if carved == walked.size - lead and lead:
        # The carrier starts after runtime.types' own word, which a symbol already covers.
        walked = Split(
            sections=walked.sections,
            size=walked.size - lead,
            packages=walked.packages,
            tables=tuple(t for t in walked.tables if t.name != LEADING_WORD),
            shared=walked.shared,
        )
    elif carved != walked.size:
        notes.append(
            f"type descriptors: the symbol table's carrier ({carved:,} bytes) and the "
            f"moduledata walk ({walked.size:,} bytes) disagree; by symbol kept"
        )
        return by_symbol
    rest = Split(
        sections=by_symbol.sections,
        size=by_symbol.size - walked.size,
        packages=by_symbol.packages,
        tables=tuple(t for t in by_symbol.tables if t.name not in carrier),
        shared=by_symbol.shared,
    )
    return combine(rest, walked)


def _assemble(
    layout: Layout, code: CodeAttribution | None, splits: dict[str, Split | None], structures: bool
) -> Attribution:
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for p in code.packages if code is not None else ():
        rows[p.name]["code"] += p.size
    for area, split in splits.items():
        for name, size in split.packages if split is not None else ():
            rows[name][area] += size
    tables = [
        TableSize(f"{area}: {t.name}", t.size, t.unexplained)
        for area, split in splits.items()
        if split is not None
        for t in split.tables
    ]
    covered = {s for sp in splits.values() if sp is not None for s in sp.sections}
    for part in layout.parts:
        if not part.file_size or part.name in covered:
            continue
        if part.category is Category.GO_METADATA:
            tables.append(TableSize(part.name, part.file_size))
        elif not structures:
            continue
        elif part.category in STRUCTURES:
            tables.append(TableSize(f"{part.category.value}: {part.name}", part.file_size))
        elif part.name in PE_UNWIND and layout.format is Format.PE:
            tables.append(TableSize(f"exception table: {part.name}", part.file_size))
    packages = sorted(
        (PackageBytes(name, **cols) for name, cols in rows.items()),
        key=lambda p: (-p.total, p.name),
    )
    return Attribution(
        file_size=layout.file_size,
        packages=tuple(packages),
        tables=tuple(tables),
        pclntab=splits.get("pclntab"),
        symbols=splits.get("symbols"),
        types=splits.get("types"),
        data=splits.get("data"),
        dwarf=splits.get("dwarf"),
    )

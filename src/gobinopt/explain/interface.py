"""The explain seam: one binary's bytes attributed, its Go metadata, and what each knob saves."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from enum import StrEnum

from gobinopt.binary.interface import Category, Layout
from gobinopt.golang.attribution import Split, TableSize
from gobinopt.golang.interface import BuildInfo, Function, PackageSize, PclnTab

#: Version of the ``--json`` document; bump on any incompatible change (docs/explain-schema.md).
SCHEMA = "gobinopt.explain/v1"


class Basis(StrEnum):
    """How a saving's byte count was obtained."""

    #: Sizes of parts of this file that the knob removes (exact up to alignment).
    COMPUTED = "computed"
    #: Obtained by running the real tool on a temporary copy (``--measure``).
    MEASURED = "measured"
    #: A model (compression of a sample); labelled as such in every output.
    ESTIMATE = "estimate"


@dataclass(frozen=True, slots=True)
class CategoryTotal:
    """File and memory bytes of one category, with its share of the file."""

    category: Category
    file_size: int
    mem_size: int
    share: float


@dataclass(frozen=True, slots=True)
class SavingPart:
    """The bytes a saving takes out of one section."""

    section: str
    bytes: int


@dataclass(frozen=True, slots=True)
class Saving:
    """What one knob would save on this binary, and how to apply it.

    A knob has at most one row per basis: when part of what it saves is exact and part can only
    be estimated (``-trimpath`` on compressed DWARF), the exact part is a ``computed`` row and
    the rest a separate ``estimate`` row of the same knob; the file shrinks by their sum.
    """

    knob: str
    #: The exact flag or command that realizes it.
    how: str
    bytes: int
    basis: Basis
    detail: str
    #: A cost to weigh against the saving (start-up latency, lost debuggability).
    cost: str = ""
    #: Where the bytes come from, section by section, when the knob touches several (their
    #: sum is ``bytes``); empty when the detail says it all.
    parts: tuple[SavingPart, ...] = ()


@dataclass(frozen=True, slots=True)
class CodeAttribution:
    """The executable text split into Go packages and the rest."""

    text_size: int
    go_code: int
    #: .text bytes not covered by any Go function: cgo's C code, runtime assembly stubs of the C
    #: toolchain, and padding.
    non_go_code: int
    packages: tuple[PackageSize, ...]


@dataclass(frozen=True, slots=True)
class PackageBytes:
    """File bytes of one Go package, area by area (``""``: symbols with no package)."""

    name: str
    #: Its functions' text bytes (as in :class:`CodeAttribution`).
    code: int = 0
    #: Its share of the pclntab: records, pc-value tables, funcdata, names.
    pclntab: int = 0
    #: Type metadata: the type descriptors (``type:*``) of the types it declares.
    types: int = 0
    #: Its other data: variables, string and func data, itabs (read-only and writable data).
    data: int = 0
    #: Its ``.symtab`` entries and ``.strtab`` names (Mach-O/PE: their symbol tables).
    symbols: int = 0
    #: Its DWARF: compile unit, line program, frame entries of its functions.
    dwarf: int = 0

    @property
    def total(self) -> int:
        """All its bytes."""
        return self.code + self.pclntab + self.types + self.data + self.symbols + self.dwarf


@dataclass(frozen=True, slots=True)
class Attribution:
    """The file's bytes by Go package, beyond ``.text``: exact splits of the metadata."""

    file_size: int
    #: Largest first; the ``""`` row holds linker symbols with no package (``go:``, ``type:``).
    packages: tuple[PackageBytes, ...]
    #: Named tables that belong to no package: the pclntab's header, ``cutab``, ``filetab``,
    #: ``runtime.findfunctab`` (``pclntab: …``), the symbol table's null entry (``symbols: …``)
    #: and whole Go runtime metadata sections not split by package (by section name).
    tables: tuple[TableSize, ...]
    #: The exact splits behind the columns (their parts sum to their section sizes).
    pclntab: Split | None
    symbols: Split | None
    #: Type descriptors by declaring package (from symbols, or from moduledata when stripped).
    types: Split | None = None
    #: Data sections by the symbols that fill them (unstripped files only).
    data: Split | None = None
    #: DWARF sections by compile unit (one per Go package).
    dwarf: Split | None = None

    @property
    def to_packages(self) -> int:
        """File bytes attributed to a named Go package."""
        return sum(p.total for p in self.packages if p.name)

    @property
    def to_tables(self) -> int:
        """File bytes attributed to named runtime tables and package-less linker symbols."""
        named = sum(t.size for t in self.tables if not t.unexplained)
        return named + sum(p.total for p in self.packages if not p.name)

    @property
    def unexplained(self) -> int:
        """Bytes inside split areas that no reader explains (listed as tables, not attributed)."""
        return sum(t.size for t in self.tables if t.unexplained)

    @property
    def share(self) -> float:
        """Share of the file attributed to packages or named tables."""
        return (self.to_packages + self.to_tables) / (self.file_size or 1)


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything ``gobinopt explain`` reports about one binary."""

    path: str
    layout: Layout
    categories: tuple[CategoryTotal, ...]
    buildinfo: BuildInfo | None
    pclntab: PclnTab | None
    code: CodeAttribution | None
    savings: tuple[Saving, ...]
    notes: tuple[str, ...]
    #: The program inside a packed file (UPX), explained from a ``upx -d`` copy; None when the
    #: file is not packed or ``upx`` is not installed (a note then says how to look inside).
    inner: Explanation | None = None
    #: Bytes by Go package beyond ``.text`` (None for non-Go and packed files).
    attribution: Attribution | None = None

    @property
    def is_go(self) -> bool:
        """Whether Go metadata (build info or a function table) was found."""
        return self.buildinfo is not None or self.pclntab is not None

    def top_functions(self, n: int) -> tuple[Function, ...]:
        """The ``n`` largest Go functions (all when ``n`` is 0)."""
        if self.pclntab is None:
            return ()
        functions = self.pclntab.functions
        if 0 < n < len(functions):  # a heap keeps n, not a sort of 100 000
            return tuple(heapq.nsmallest(n, functions, key=lambda f: (-f.size, f.name)))
        return tuple(sorted(functions, key=lambda f: (-f.size, f.name)))

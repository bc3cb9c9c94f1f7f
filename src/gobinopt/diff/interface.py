"""The diff seam: two *sides* (whatever they were loaded from) compared level by level.

A :class:`Side` is the source-neutral input of a comparison: plain numbers and names, built from
an :class:`~gobinopt.explain.Explanation` (a binary), from an ``explain --json`` document, or
from any other source that can fill its fields (a stored matrix variant). Fields a source cannot
supply are ``None`` and the levels that need them are reported as not compared, with the reason.

A :class:`Diff` holds one :class:`Level` per breakdown (section categories, sections, Go
modules, packages, functions). Every level's rows plus its explicit remainder rows add up to the
total delta exactly: nothing is a silent remainder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from gobinopt.errors import ExitStatus, GobinoptError

#: Version of the ``diff --json`` document; bump on any incompatible change (docs/diff-schema.md).
SCHEMA = "gobinopt.diff/v1"


class DiffError(GobinoptError):
    """An input of a diff cannot be used; the message names the side ("old" or "new")."""

    status = ExitStatus.BAD_INPUT


class SourceKind(StrEnum):
    """Where a side's figures came from."""

    BINARY = "binary"
    EXPLAIN_JSON = "explain-json"
    #: A variant of a results store (filled by the results module).
    STORED = "stored"


@dataclass(frozen=True, slots=True)
class CategoryBytes:
    """Bytes of one section category on one side."""

    category: str
    file_size: int
    mem_size: int
    #: File bytes of this category that are mapped at run time (see ``Side.loaded_size``).
    loaded: int


@dataclass(frozen=True, slots=True)
class SectionBytes:
    """Bytes of one named part of the file (a section, a header, a gap), summed over its name."""

    name: str
    category: str
    file_size: int
    mem_size: int
    loaded: int


@dataclass(frozen=True, slots=True)
class PackageBytes:
    """Code bytes and function count of one Go package."""

    name: str
    size: int
    functions: int


#: Go functions by name: (code bytes, how many functions have that name). A function's bytes
#: run from its entry to the next function's entry.
FunctionSizes = Mapping[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class ModuleVersion:
    """A module of the build info: path, version and its ``=>`` replacement, if any."""

    path: str
    version: str
    #: ``"path version"`` of the replacement (``"../lib"`` for a directory), or "".
    replace: str = ""

    @property
    def spelled(self) -> str:
        """The version as ``go version -m`` would show it, replacement included."""
        return f"{self.version} => {self.replace}" if self.replace else self.version


@dataclass(frozen=True, slots=True)
class BuildPaths:
    """Absolute build paths embedded in the pclntab file table (what ``-trimpath`` removes)."""

    #: ``$GOROOT/src/`` as seen in the runtime's file names, or None when trimmed.
    goroot: str | None
    #: ``$GOMODCACHE/`` (up to and including ``pkg/mod/``), or None.
    module_cache: str | None
    #: The main module's directory (the common directory of the other absolute files), or None.
    main_dir: str | None
    #: How many file names are absolute paths, of ``files``.
    absolute_files: int
    files: int


@dataclass(frozen=True, slots=True)
class Side:
    """One input of a diff, reduced to what the comparison needs."""

    #: The path (or variant id) as the user gave it.
    source: str
    kind: SourceKind
    file_size: int
    #: File bytes mapped at run time: parts inside loadable segments, except DWARF and symbol
    #: tables (None when the source does not know).
    loaded_size: int | None
    format: str
    machine: str
    file_type: str
    interpreter: str | None
    packer: str | None
    is_go: bool
    categories: tuple[CategoryBytes, ...]
    #: Every part of the file, summed by name (None when the source keeps only categories).
    sections: tuple[SectionBytes, ...] | None
    go_version: str | None
    main_module: ModuleVersion | None
    #: The build info's ``dep`` lines (None without build info).
    modules: tuple[ModuleVersion, ...] | None
    #: The build info's ``build`` lines in order.
    settings: tuple[tuple[str, str], ...]
    #: ``.text`` bytes and the part of them not covered by Go functions (None without a pclntab).
    text_size: int | None
    non_go_code: int | None
    packages: tuple[PackageBytes, ...] | None
    #: Every Go function, or None (not Go, or a document listing only the largest ones).
    functions: FunctionSizes | None
    #: Why ``functions`` is None, when it is.
    functions_note: str
    paths: BuildPaths | None
    #: The source's own observations (packed, metadata unreadable, not a Go binary).
    notes: tuple[str, ...] = ()
    #: The environment that built it (a stored variant's fingerprint: OS, libc, linker, Go).
    fingerprint: tuple[tuple[str, str], ...] = ()

    def setting(self, key: str) -> str | None:
        """The value of build setting ``key``, or None."""
        for k, v in self.settings:
            if k == key:
                return v
        return None

    def category_bytes(self, category: str) -> int:
        """File bytes of one category (0 when absent)."""
        return sum(c.file_size for c in self.categories if c.category == category)

    @property
    def debug_bytes(self) -> int:
        """File bytes of DWARF and symbol tables: what stripping removes."""
        return self.category_bytes("DWARF") + self.category_bytes("symbol tables")


class Mark(StrEnum):
    """How a row changed."""

    NEW = "new"
    GONE = "gone"
    CHANGED = "changed"
    SAME = "same"

    @property
    def symbol(self) -> str:
        """The mark as tables show it: NEW, GONE, = or nothing for a change."""
        return {"new": "NEW", "gone": "GONE", "changed": "", "same": "="}[self.value]


@dataclass(frozen=True, slots=True)
class Row:
    """One compared thing (or one explicit remainder) of a level."""

    name: str
    #: Bytes on each side; None when the thing is absent from that side.
    old: int | None
    new: int | None
    #: Memory bytes (categories, sections).
    old_mem: int | None = None
    new_mem: int | None = None
    #: Function counts (modules, packages; duplicate names for functions).
    old_count: int | None = None
    new_count: int | None = None
    #: Module versions as ``go version -m`` spells them.
    old_version: str | None = None
    new_version: str | None = None
    #: The old spelling of a function matched across compiler renumbering.
    old_name: str | None = None
    #: Section category (sections level).
    category: str = ""
    #: True for an explicit remainder ("non-Go code", "outside .text"): not a thing of its own.
    explicit: bool = False

    @property
    def delta(self) -> int:
        """New bytes minus old bytes."""
        return (self.new or 0) - (self.old or 0)

    @property
    def mem_delta(self) -> int:
        """New memory bytes minus old memory bytes."""
        return (self.new_mem or 0) - (self.old_mem or 0)

    @property
    def delta_pct(self) -> float | None:
        """The delta in percent of the old bytes, or None when there were none."""
        return 100.0 * self.delta / self.old if self.old else None

    @property
    def changed(self) -> bool:
        """Whether anything about the row differs."""
        return (
            self.old is None
            or self.new is None
            or self.delta != 0
            or self.mem_delta != 0
            or self.old_count != self.new_count
            or self.old_version != self.new_version
            or self.old_name is not None
        )

    @property
    def mark(self) -> Mark:
        """NEW, GONE, CHANGED or SAME."""
        if not self.explicit:
            if self.old is None and self.new is not None:
                return Mark.NEW
            if self.new is None and self.old is not None:
                return Mark.GONE
        return Mark.CHANGED if self.changed else Mark.SAME


class LevelName(StrEnum):
    """The breakdowns of a diff, in report order."""

    CATEGORIES = "categories"
    SECTIONS = "sections"
    MODULES = "modules"
    PACKAGES = "packages"
    FUNCTIONS = "functions"


@dataclass(frozen=True, slots=True)
class Shown:
    """The rows of a level a view shows, and what it leaves out (so the shown deltas still add
    up: the left-out rows' sums are rendered as one row)."""

    rows: tuple[Row, ...]
    #: Unchanged rows not shown (their delta is 0).
    hidden_same: int
    #: Changed rows beyond the ``top`` limit, and their byte sums on each side.
    left_out: int
    left_out_old: int
    left_out_new: int

    @property
    def left_out_delta(self) -> int:
        """The delta of the left-out rows together."""
        return self.left_out_new - self.left_out_old


@dataclass(frozen=True, slots=True)
class Level:
    """One breakdown: its rows by |Δ| (largest first) and the explicit remainder rows."""

    name: LevelName
    #: Changed rows by |Δ| (largest first), then, when the comparison kept them, unchanged rows.
    rows: tuple[Row, ...]
    rest: tuple[Row, ...]
    old_total: int
    new_total: int
    #: How many things of this level did not change (listed in ``rows`` or not).
    unchanged: int = 0
    #: False when a side lacks the data (not Go, no build info, a partial document).
    available: bool = True
    note: str = ""

    @property
    def delta(self) -> int:
        """Total delta of the level: the sum of every row's and remainder's delta."""
        return self.new_total - self.old_total

    def shown(self, top: int = 0, show_all: bool = False) -> Shown:
        """The rows to show: changed ones (unchanged ones too with ``show_all``, when the
        comparison kept them), at most ``top`` (0 = no limit) of them."""
        visible = [r for r in self.rows if show_all or r.changed]
        hidden = self.unchanged - sum(1 for r in visible if not r.changed)
        if top > 0 and len(visible) > top:
            cut = visible[top:]
            visible = visible[:top]
            return Shown(
                tuple(visible),
                hidden,
                len(cut),
                sum(r.old or 0 for r in cut),
                sum(r.new or 0 for r in cut),
            )
        return Shown(tuple(visible), hidden, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class SettingChange:
    """A build setting, path or property of the file that differs between the sides."""

    key: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class Diff:
    """Two sides compared: totals, levels, what differs in how they were built, and warnings."""

    old: Side
    new: Side
    #: Whether the byte figures are loaded bytes (``--loaded-only``) instead of file bytes.
    loaded_only: bool
    old_total: int
    new_total: int
    levels: tuple[Level, ...]
    settings: tuple[SettingChange, ...]
    #: Where a byte change is not a code change (Go versions, stripping, packing, build paths).
    warnings: tuple[str, ...]
    #: Anything else worth knowing (levels not compared, the sides' own notes).
    notes: tuple[str, ...]

    @property
    def delta(self) -> int:
        """New total minus old total."""
        return self.new_total - self.old_total

    @property
    def delta_pct(self) -> float | None:
        """The total delta in percent of the old total."""
        return 100.0 * self.delta / self.old_total if self.old_total else None

    def level(self, name: LevelName | str) -> Level:
        """The level called ``name``."""
        for level in self.levels:
            if level.name == name:
                return level
        raise KeyError(name)

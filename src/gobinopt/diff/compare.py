"""Compare two sides level by level; every level's deltas add up to the total delta exactly.

The total is the file size, or with ``loaded_only`` the bytes mapped at run time. Levels below
the sections (modules, packages, functions) account for Go code; what lies outside it is an
explicit row ("non-Go code and padding in .text", "outside .text"), never a silent remainder.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from gobinopt.diff.interface import Diff, DiffError, Level, LevelName, Row, Side
from gobinopt.diff.names import match_functions
from gobinopt.diff.settings import compare_settings, warnings_for

NON_GO = "non-Go code and padding in .text"
OUTSIDE_TEXT = "outside .text (data, metadata, headers…)"
STD = "std"
GENERATED = "(compiler-generated: go:, type: symbols)"
UNLISTED = "(packages of no listed module)"
MAIN = "(package main: no main module in the build info)"


def _level(
    name: LevelName,
    rows: Iterable[Row],
    rest: tuple[Row, ...],
    ot: int,
    nt: int,
    keep: bool,
    same: int = 0,
) -> Level:
    """A level of the changed rows by |Δ| (then the unchanged ones by name, when kept); ``same``
    counts unchanged things that were never made into rows."""
    changed: list[Row] = []
    unchanged: list[Row] = []
    for r in rows:
        (changed if r.changed else unchanged).append(r)
    changed.sort(key=lambda r: (-abs(r.delta), -abs(r.mem_delta), r.name))
    ordered = changed + (sorted(unchanged, key=lambda r: r.name) if keep else [])
    return Level(name, tuple(ordered), rest, ot, nt, unchanged=len(unchanged) + same)


def compare(old: Side, new: Side, *, loaded_only: bool = False, unchanged: bool = False) -> Diff:
    """Compare ``old`` with ``new``. With ``loaded_only`` only bytes mapped at run time count
    (no DWARF, symbol tables, or headers outside loadable segments). Unchanged things are
    counted; ``unchanged`` also lists them as rows (``--all``).

    Raises DiffError when ``loaded_only`` is asked of a side that does not know its loaded bytes.
    """
    if loaded_only:
        for role, side in (("old", old), ("new", new)):
            if side.loaded_size is None:
                raise DiffError(
                    f"{role}: {side.source}: its loaded bytes are not known",
                    hint="diff without --loaded-only",
                )
    old_total = _total(old, loaded_only)
    new_total = _total(new, loaded_only)
    notes: list[str] = []
    levels = [
        _categories(old, new, loaded_only, old_total, new_total, unchanged),
        _sections(old, new, loaded_only, old_total, new_total, unchanged),
    ]
    levels.extend(_go_levels(old, new, old_total, new_total, unchanged))
    for level in levels:
        if not level.available and level.note:
            notes.append(f"{level.name.value}: not compared: {level.note}")
    for role, side in (("old", old), ("new", new)):
        notes.extend(f"{role}: {n}" for n in side.notes)
    return Diff(
        old=old,
        new=new,
        loaded_only=loaded_only,
        old_total=old_total,
        new_total=new_total,
        levels=tuple(levels),
        settings=compare_settings(old, new),
        warnings=warnings_for(old, new, loaded_only),
        notes=tuple(notes),
    )


def compare_categories(old: Mapping[str, int], new: Mapping[str, int]) -> Level:
    """The section-category level of two stored variants known only by their category totals
    (what a results store keeps of every variant): the same rows, order and marks as
    :func:`compare`'s first level."""
    rows = [
        Row(name, old.get(name), new.get(name))
        for name in list(old) + [c for c in new if c not in old]
    ]
    ot, nt = sum(old.values()), sum(new.values())
    return _level(LevelName.CATEGORIES, rows, (), ot, nt, keep=False)


def biggest_changes(level: Level, count: int = 3) -> str:
    """The ``count`` largest changes of a level in words: ``DWARF -709,821 B; …``."""
    return "; ".join(f"{r.name} {r.delta:+,} B" for r in level.rows[:count] if r.delta)


def _total(side: Side, loaded_only: bool) -> int:
    if loaded_only:
        assert side.loaded_size is not None
        return side.loaded_size
    return side.file_size


def _categories(old: Side, new: Side, loaded: bool, ot: int, nt: int, keep: bool) -> Level:
    o = {c.category: c for c in old.categories if not loaded or c.loaded or c.mem_size}
    n = {c.category: c for c in new.categories if not loaded or c.loaded or c.mem_size}
    rows = []
    for name in list(o) + [c for c in n if c not in o]:
        a, b = o.get(name), n.get(name)
        rows.append(
            Row(
                name,
                (a.loaded if loaded else a.file_size) if a else None,
                (b.loaded if loaded else b.file_size) if b else None,
                old_mem=a.mem_size if a else None,
                new_mem=b.mem_size if b else None,
            )
        )
    return _with_remainder(LevelName.CATEGORIES, rows, ot, nt, "parts of no category", keep)


def _sections(old: Side, new: Side, loaded: bool, ot: int, nt: int, keep: bool) -> Level:
    if old.sections is None or new.sections is None:
        which = "old" if old.sections is None else "new"
        return Level(
            LevelName.SECTIONS,
            (),
            (),
            ot,
            nt,
            available=False,
            note=f"{which} records only section categories",
        )
    # With loaded_only, a part that is neither loaded nor in memory is not part of the measure.
    o = {s.name: s for s in old.sections if not loaded or s.loaded or s.mem_size}
    n = {s.name: s for s in new.sections if not loaded or s.loaded or s.mem_size}
    rows = []
    for name in list(o) + [s for s in n if s not in o]:
        a, b = o.get(name), n.get(name)
        either = b or a
        rows.append(
            Row(
                name,
                (a.loaded if loaded else a.file_size) if a else None,
                (b.loaded if loaded else b.file_size) if b else None,
                old_mem=a.mem_size if a else None,
                new_mem=b.mem_size if b else None,
                category=either.category if either else "",
            )
        )
    return _with_remainder(LevelName.SECTIONS, rows, ot, nt, "bytes of no listed part", keep)


def _with_remainder(
    name: LevelName, rows: list[Row], ot: int, nt: int, label: str, keep: bool
) -> Level:
    """A level whose rows tile the total; any difference (a source that does not tile) becomes
    an explicit row."""
    old_sum = sum(r.old or 0 for r in rows)
    new_sum = sum(r.new or 0 for r in rows)
    rest: tuple[Row, ...] = ()
    if old_sum != ot or new_sum != nt:
        rest = (Row(label, ot - old_sum, nt - new_sum, explicit=True),)
    return _level(name, rows, rest, ot, nt, keep)


def _go_levels(old: Side, new: Side, ot: int, nt: int, keep: bool) -> list[Level]:
    names = (LevelName.MODULES, LevelName.PACKAGES, LevelName.FUNCTIONS)
    missing = _why_no_code(old, "old") or _why_no_code(new, "new")
    if missing:
        return [Level(n, (), (), ot, nt, available=False, note=missing) for n in names]
    assert old.packages is not None and new.packages is not None
    rest = _code_rest(
        old, new, ot, nt, sum(p.size for p in old.packages), sum(p.size for p in new.packages)
    )
    levels = [_modules(old, new, ot, nt, rest, keep), _packages(old, new, ot, nt, rest, keep)]
    if old.functions is None or new.functions is None:
        which, side = ("old", old) if old.functions is None else ("new", new)
        note = f"{which}: {side.functions_note}"
        levels.append(Level(LevelName.FUNCTIONS, (), (), ot, nt, available=False, note=note))
    else:
        levels.append(_functions(old, new, ot, nt, rest, keep))
    return levels


def _why_no_code(side: Side, role: str) -> str:
    if side.packer:
        return f"{role} is packed by {side.packer}; its Go code is not visible"
    if not side.is_go:
        return f"{role} is not a Go binary"
    if side.packages is None or side.text_size is None:
        return f"{role} has no readable Go function table"
    return ""


def _code_rest(old: Side, new: Side, ot: int, nt: int, old_go: int, new_go: int) -> tuple[Row, Row]:
    """The two explicit rows under a Go code level whose rows sum to ``old_go``/``new_go``:
    non-Go code in .text, and everything outside .text (the total minus the rest, so the level
    adds up by construction)."""
    old_non = old.non_go_code or 0
    new_non = new.non_go_code or 0
    return (
        Row(NON_GO, old_non, new_non, explicit=True),
        Row(OUTSIDE_TEXT, ot - old_go - old_non, nt - new_go - new_non, explicit=True),
    )


def _packages(old: Side, new: Side, ot: int, nt: int, rest: tuple[Row, Row], keep: bool) -> Level:
    assert old.packages is not None and new.packages is not None
    o = {p.name: p for p in old.packages}
    n = {p.name: p for p in new.packages}
    rows = []
    for name in list(o) + [p for p in n if p not in o]:
        a, b = o.get(name), n.get(name)
        rows.append(
            Row(
                name,
                a.size if a else None,
                b.size if b else None,
                old_count=a.functions if a else None,
                new_count=b.functions if b else None,
            )
        )
    return _level(LevelName.PACKAGES, rows, rest, ot, nt, keep)


def _functions(old: Side, new: Side, ot: int, nt: int, rest: tuple[Row, Row], keep: bool) -> Level:
    assert old.functions is not None and new.functions is not None
    matching = match_functions(old.functions, new.functions, keep_same=keep)
    # Σ functions equals Σ packages for a pclntab; a source may round differently.
    old_go = sum(size for size, _ in old.functions.values())
    new_go = sum(size for size, _ in new.functions.values())
    if rest[1].old != ot - old_go - (old.non_go_code or 0) or rest[1].new != (
        nt - new_go - (new.non_go_code or 0)
    ):
        rest = _code_rest(old, new, ot, nt, old_go, new_go)
    rows = [
        Row(
            m.name,
            m.old[0] if m.old else None,
            m.new[0] if m.new else None,
            old_count=m.old[1] if m.old else None,
            new_count=m.new[1] if m.new else None,
            old_name=m.old_name,
        )
        for m in matching.matches
    ]
    return _level(LevelName.FUNCTIONS, rows, rest, ot, nt, keep, matching.same)


def _modules(old: Side, new: Side, ot: int, nt: int, rest: tuple[Row, Row], keep: bool) -> Level:
    """Code bytes per module: each package goes to the module whose path is its longest
    prefix; packages of no module are the standard library (no dot in the first element)."""
    if old.modules is None or new.modules is None:
        which = "old" if old.modules is None else "new"
        note = f"{which} has no Go build info"
        return Level(LevelName.MODULES, (), (), ot, nt, available=False, note=note)
    o_sizes, o_counts, o_versions = _module_bytes(old)
    n_sizes, n_counts, n_versions = _module_bytes(new)
    names = list(o_versions) + [m for m in n_versions if m not in o_versions]
    names += [m for m in list(o_sizes) + list(n_sizes) if m not in names]
    rows = []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            continue
        seen.add(name)
        in_old = name in o_versions or name in o_sizes
        in_new = name in n_versions or name in n_sizes
        rows.append(
            Row(
                name,
                o_sizes.get(name, 0) if in_old else None,
                n_sizes.get(name, 0) if in_new else None,
                old_count=o_counts.get(name, 0) if in_old else None,
                new_count=n_counts.get(name, 0) if in_new else None,
                old_version=o_versions.get(name),
                new_version=n_versions.get(name),
            )
        )
    return _level(LevelName.MODULES, rows, rest, ot, nt, keep)


def _module_bytes(side: Side) -> tuple[dict[str, int], dict[str, int], dict[str, str]]:
    assert side.packages is not None and side.modules is not None
    versions: dict[str, str] = {}
    main = side.main_module
    if main is not None:
        versions[main.path] = main.spelled
    for dep in side.modules:
        versions[dep.path] = dep.spelled
    if side.go_version:
        versions[STD] = side.go_version
    sizes: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    main_path = main.path if main is not None else None
    for pkg in side.packages:
        module = _module_of(pkg.name, versions, main_path)
        sizes[module] += pkg.size
        counts[module] += pkg.functions
    return dict(sizes), dict(counts), versions


def _module_of(package: str, modules: dict[str, str], main_path: str | None) -> str:
    if not package:
        return GENERATED
    if package == "main":
        return main_path or MAIN
    probe = package
    while True:
        if probe in modules and probe != STD:
            return probe
        cut = probe.rfind("/")
        if cut < 0:
            break
        probe = probe[:cut]
    first = package.split("/", 1)[0]
    if "." not in first:
        return STD
    return UNLISTED

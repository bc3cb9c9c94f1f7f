"""The ``--json`` document of ``gobinopt diff`` (schema ``gobinopt.diff/v1``, docs/diff-schema.md).

Plain dicts and lists only. Every level lists its shown rows, the rows a ``top`` limit left out
(as counts and byte sums) and its explicit remainder rows, so the deltas in the document add up
to the total delta exactly.
"""

from __future__ import annotations

from typing import Any

from gobinopt.diff.interface import SCHEMA, Diff, Level, LevelName, Row, Side

#: Levels a ``top`` limit applies to (the others are short and shown whole).
LIMITED = frozenset({LevelName.PACKAGES, LevelName.FUNCTIONS})

#: Table titles and the heading of the name column, per level.
TITLES: dict[LevelName, tuple[str, str]] = {
    LevelName.CATEGORIES: ("Section categories", "category"),
    LevelName.SECTIONS: ("Sections and other parts of the file", "part"),
    LevelName.MODULES: ("Go code by module", "module"),
    LevelName.PACKAGES: ("Go code by package", "package"),
    LevelName.FUNCTIONS: ("Go functions", "function"),
}


def level_top(level: Level, top: int) -> int:
    """The row limit for ``level`` (0 = none)."""
    return top if level.name in LIMITED else 0


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _row(level: LevelName, r: Row) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": r.name,
        "mark": r.mark.value,
        "old": r.old,
        "new": r.new,
        "delta": r.delta,
        "delta_pct": _pct(r.delta_pct),
    }
    if r.explicit:
        doc["explicit"] = True
    if level in (LevelName.CATEGORIES, LevelName.SECTIONS):
        doc.update(old_mem=r.old_mem, new_mem=r.new_mem, mem_delta=r.mem_delta)
    if level is LevelName.SECTIONS and not r.explicit:
        doc["category"] = r.category
    if level in (LevelName.MODULES, LevelName.PACKAGES, LevelName.FUNCTIONS) and not r.explicit:
        doc.update(old_functions=r.old_count, new_functions=r.new_count)
    if level is LevelName.MODULES and not r.explicit:
        doc.update(old_version=r.old_version, new_version=r.new_version)
    if level is LevelName.FUNCTIONS and not r.explicit:
        doc["old_name"] = r.old_name
    return doc


def _level(level: Level, top: int, show_all: bool) -> dict[str, Any]:
    shown = level.shown(level_top(level, top), show_all)
    return {
        "available": level.available,
        "note": level.note,
        "old_total": level.old_total,
        "new_total": level.new_total,
        "delta": level.delta,
        "rows": [_row(level.name, r) for r in shown.rows],
        "left_out": {
            "rows": shown.left_out,
            "old": shown.left_out_old,
            "new": shown.left_out_new,
            "delta": shown.left_out_delta,
        },
        "hidden_unchanged": shown.hidden_same,
        "rest": [_row(level.name, r) for r in level.rest],
    }


def side_document(side: Side) -> dict[str, Any]:
    """What the document says about one side."""
    paths = side.paths
    return {
        "source": side.source,
        "kind": side.kind.value,
        "file_size": side.file_size,
        "loaded_size": side.loaded_size,
        "format": side.format,
        "machine": side.machine,
        "type": side.file_type,
        "interpreter": side.interpreter,
        "packer": side.packer,
        "is_go": side.is_go,
        "go_version": side.go_version,
        "main_module": None
        if side.main_module is None
        else {"path": side.main_module.path, "version": side.main_module.spelled},
        "debug_bytes": side.debug_bytes,
        "build_paths": None
        if paths is None
        else {
            "goroot": paths.goroot,
            "module_cache": paths.module_cache,
            "main_dir": paths.main_dir,
            "absolute_files": paths.absolute_files,
            "files": paths.files,
        },
    }


def to_document(diff: Diff, top: int = 0, show_all: bool = False) -> dict[str, Any]:
    """The JSON-ready document; ``top`` limits package and function rows (0 = all), unchanged
    rows are listed only with ``show_all``."""
    return {
        "schema": SCHEMA,
        "loaded_only": diff.loaded_only,
        "unit": "loaded bytes" if diff.loaded_only else "file bytes",
        "old": side_document(diff.old),
        "new": side_document(diff.new),
        "total": {
            "old": diff.old_total,
            "new": diff.new_total,
            "delta": diff.delta,
            "delta_pct": _pct(diff.delta_pct),
        },
        "warnings": list(diff.warnings),
        "settings": [{"key": s.key, "old": s.old, "new": s.new} for s in diff.settings],
        "levels": {level.name.value: _level(level, top, show_all) for level in diff.levels},
        "notes": list(diff.notes),
    }

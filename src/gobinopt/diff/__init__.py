"""``gobinopt diff``: why one build is bigger than another, level by level.

Inputs are :class:`Side` records (from a binary, a saved ``explain --json`` document, or any
source that fills one); :func:`compare` returns a :class:`Diff` whose every level adds up to the
total delta; :func:`to_document` and :func:`to_markdown` render it.
"""

from gobinopt.diff.compare import compare
from gobinopt.diff.document import to_document
from gobinopt.diff.interface import (
    SCHEMA,
    BuildPaths,
    CategoryBytes,
    Diff,
    DiffError,
    FunctionSizes,
    Level,
    LevelName,
    Mark,
    ModuleVersion,
    PackageBytes,
    Row,
    SectionBytes,
    SettingChange,
    Shown,
    Side,
    SourceKind,
)
from gobinopt.diff.markdown import GITHUB_LIMIT, to_markdown
from gobinopt.diff.sides import check_input, load_side, side_from_document, side_from_explanation
from gobinopt.observer import SILENT, Observer


def diff_files(
    old: str,
    new: str,
    *,
    loaded_only: bool = False,
    unchanged: bool = False,
    observer: Observer = SILENT,
) -> Diff:
    """Load two inputs (binaries or explain documents, in any mix) and compare them
    (``unchanged`` also lists the rows that did not change).

    Raises DiffError naming the side: exit 3 for a missing or unreadable path, exit 4 for a file
    that is neither an executable nor a gobinopt explain document.
    """
    check_input(old, "old")
    check_input(new, "new")
    observer.stage("reading old")
    a = load_side(old, "old")
    observer.stage("reading new")
    b = load_side(new, "new")
    observer.stage("comparing")
    return compare(a, b, loaded_only=loaded_only, unchanged=unchanged)


__all__ = [
    "GITHUB_LIMIT",
    "SCHEMA",
    "BuildPaths",
    "CategoryBytes",
    "Diff",
    "DiffError",
    "FunctionSizes",
    "Level",
    "LevelName",
    "Mark",
    "ModuleVersion",
    "PackageBytes",
    "Row",
    "SectionBytes",
    "SettingChange",
    "Shown",
    "Side",
    "SourceKind",
    "compare",
    "diff_files",
    "load_side",
    "side_from_document",
    "side_from_explanation",
    "to_document",
    "to_markdown",
]

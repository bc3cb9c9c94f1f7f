"""Rich consoles, tables that fit the output, and the spinner observer shared by the command
groups (rich is imported lazily, so `--help` stays fast).

Widths: ``$COLUMNS`` when set, else the terminal's width on a TTY; in a pipe or a file nothing is
cut (a console as wide as the widest line; only free text in tables wraps, at 160 columns).
Tables built with :class:`FitTable` never cut a name or a number: when the natural table is
wider than the output, free text wraps first, then long Go names lose the *middle* of their
import path (``github.com/docker/…/cobra.(*Command).ExecuteC``), a column that repeats the start
of a name (a function's package) is left out, and whatever still does not fit folds onto the
next line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

#: The width of a console that writes to a pipe or a file: wide enough never to wrap.
PIPE_WIDTH = 1 << 15
#: In a pipe, free text in tables wraps to keep a table this wide (names never shrink there).
PIPE_TABLE_WIDTH = 160
#: Names are never elided below this many columns; text never wraps below its floor.
_NAME_FLOOR = 20
_TEXT_FLOOR = 8


def output_width() -> int | None:
    """Columns of standard output: ``$COLUMNS`` if set, None on a TTY (the terminal's own
    width), :data:`PIPE_WIDTH` in a pipe or a file."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return None if sys.stdout.isatty() else PIPE_WIDTH


def stdout_console() -> Console:
    """The console for results, as wide as :func:`output_width` says."""
    from rich.console import Console

    return Console(highlight=False, width=output_width())


def escape(text: str) -> str:
    """Escape rich markup: Go names such as ``F[go.shape.int]`` contain brackets."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


# ---------------------------------------------------------------------------------------------
# Names that keep their identifying end


def _tail_start(name: str) -> int:
    """Index of the last path element of a Go symbol or package name: after the last ``/``
    before any ``[`` (type arguments may contain slashes), or 0 without one."""
    bracket = name.find("[")
    head = name if bracket < 0 else name[:bracket]
    return head.rfind("/") + 1


def elide(name: str, width: int) -> str:
    """``name`` in at most ``width`` columns by removing whole elements from the middle of its
    import path: the first element (the module's host) and the last (``package.Func``) always
    stay, then as many elements from the end and from the start as fit. A name whose last
    element alone is too long comes back as ``…/`` + that element (it is never cut)."""
    if len(name) <= width:
        return name
    cut = _tail_start(name)
    if cut == 0:
        return name
    tail = name[cut:]
    segs = name[: cut - 1].split("/")

    def render(left: int, right: int) -> str:
        return "/".join([*segs[:left], "…", *segs[len(segs) - right :], tail])

    best = render(0, 0)
    if len(best) > width or len(segs) < 2:
        return best if len(best) < len(name) else name
    left, right = 0, 0
    steps = [(1, 0), (0, 1), (1, 0)]  # host, the package's parent, the owner
    for dl, dr in steps:
        if left + dl + right + dr < len(segs) and len(render(left + dl, right + dr)) <= width:
            left, right = left + dl, right + dr
    while left + right + 1 < len(segs) and len(render(left, right + 1)) <= width:
        right += 1
    while left + right + 1 < len(segs) and len(render(left + 1, right)) <= width:
        left += 1
    return render(left, right)


def elide_all(names: Sequence[str], width: int) -> list[str]:
    """:func:`elide` each name; names that would then read the same keep their full form."""
    short = [elide(n, width) for n in names]
    origin: dict[str, set[str]] = {}
    for full, s in zip(names, short, strict=True):
        origin.setdefault(s, set()).add(full)
    return [s if len(origin[s]) == 1 else full for full, s in zip(names, short, strict=True)]


# ---------------------------------------------------------------------------------------------
# Tables


class Kind(Enum):
    """How a column behaves when the table is too wide for the output."""

    #: Right-aligned, never shrunk (sizes, shares, offsets).
    NUMBER = "number"
    #: A name that identifies the row: elided in the middle of its path, never cut.
    NAME = "name"
    #: A name that repeats part of another (a function's package): left out when the names
    #: would otherwise have to be elided.
    SECONDARY_NAME = "secondary name"
    #: Free text: wraps at spaces first (long words fold).
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a :class:`FitTable`."""

    header: str
    kind: Kind = Kind.TEXT


def _water_fill(wants: list[int], floors: list[int], budget: int) -> list[int]:
    """Widths no larger than ``wants`` and no smaller than ``floors`` summing to at most
    ``budget``, taking from the widest first (a common cap)."""
    if sum(wants) <= budget:
        return list(wants)
    if sum(floors) >= budget:
        return list(floors)
    lo, hi = 0, max(wants)
    while lo < hi:  # the largest cap whose widths fit the budget
        mid = (lo + hi + 1) // 2
        if sum(max(f, min(w, mid)) for w, f in zip(wants, floors, strict=True)) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return [max(f, min(w, lo)) for w, f in zip(wants, floors, strict=True)]


class FitTable:
    """A table whose rows are plain strings (never markup), laid out for the console it is
    printed on (see the module doc). ``row``/``section`` collect, ``render`` lays out."""

    def __init__(self, title: str, columns: Sequence[Column]) -> None:
        self.title = title
        self.columns = tuple(columns)
        self._rows: list[tuple[str, ...] | None] = []
        self._styles: dict[int, dict[int, str]] = {}

    def row(self, *cells: str, styles: dict[int, str] | None = None) -> None:
        """Add a row of plain-text cells, one per column; ``styles`` maps a column index to a
        rich style for that cell (e.g. ``{8: "red"}``)."""
        assert len(cells) == len(self.columns)
        if styles:
            self._styles[sum(r is not None for r in self._rows)] = dict(styles)
        self._rows.append(tuple(cells))

    def section(self) -> None:
        """A rule before the next row."""
        self._rows.append(None)

    def _widths(self, width: int, overhead: int, *, names: bool = True) -> list[int]:
        rows = [r for r in self._rows if r is not None]
        cols = [[r[i] for r in rows] for i in range(len(self.columns))]
        wants = [
            max([len(c.header), *(len(line) for v in col for line in v.splitlines() or [""])])
            for c, col in zip(self.columns, cols, strict=True)
        ]
        budget = (
            width
            - overhead
            - sum(w for w, c in zip(wants, self.columns, strict=True) if c.kind is Kind.NUMBER)
        )
        widths = list(wants)
        # Shrink free text first, then secondary names, then names.
        shrinking = [(Kind.TEXT, _TEXT_FLOOR)]
        if names:
            shrinking += [(Kind.NAME, _NAME_FLOOR)]
        for kind, floor in shrinking:
            idx = [i for i, c in enumerate(self.columns) if c.kind is kind]
            if not idx:
                continue
            others = sum(
                widths[i]
                for i, c in enumerate(self.columns)
                if c.kind is not Kind.NUMBER and i not in idx
            )
            floors = [min(wants[i], floor) for i in idx]
            fitted = _water_fill([widths[i] for i in idx], floors, budget - others)
            for i, w in zip(idx, fitted, strict=True):
                widths[i] = w
        return widths

    def _without_secondary(self) -> FitTable:
        keep = [i for i, c in enumerate(self.columns) if c.kind is not Kind.SECONDARY_NAME]
        other = FitTable(self.title, [self.columns[i] for i in keep])
        other._rows = [None if r is None else tuple(r[i] for i in keep) for r in self._rows]
        return other

    def render(self, console: Console) -> Table:
        """The rich table for ``console``'s width."""
        if any(c.kind is Kind.SECONDARY_NAME for c in self.columns) and console.width < PIPE_WIDTH:
            n = len(self.columns)
            natural = self._widths(PIPE_WIDTH, n - 1)
            fitted = self._widths(console.width, n - 1)
            if any(
                f < w
                for f, w, c in zip(fitted, natural, self.columns, strict=True)
                if c.kind in (Kind.NAME, Kind.SECONDARY_NAME)
            ):
                return self._without_secondary().render(console)
        return self._render(console)

    def _render(self, console: Console) -> Table:
        from rich.table import Table
        from rich.text import Text

        n = len(self.columns)
        width = console.width
        if width >= PIPE_WIDTH:  # a pipe or a file: wrap free text only, never shrink a name
            widths = self._widths(PIPE_TABLE_WIDTH, 3 * (n - 1), names=False)
            compact = False
        else:
            widths = self._widths(width, 3 * (n - 1))
            compact = sum(widths) + 3 * (n - 1) > width or widths != self._widths(
                PIPE_WIDTH, 3 * (n - 1)
            )
            if compact:  # no padding beside the column rules: more room for names and text
                widths = self._widths(width, n - 1)
        table = Table(
            title=Text(self.title) if self.title else None,
            title_justify="left",
            show_edge=False,
            pad_edge=False,
            padding=(0, 0) if compact else (0, 1),
        )
        names: dict[int, list[str]] = {}
        for i, (col, w) in enumerate(zip(self.columns, widths, strict=True)):
            numeric = col.kind is Kind.NUMBER
            table.add_column(
                col.header,
                justify="right" if numeric else "left",
                # Numbers fit by construction; should the output be narrower than even that,
                # rich may squeeze them too, and then they wrap rather than lose digits.
                no_wrap=False,
                overflow="fold",
                width=None if numeric else w,
            )
            if col.kind is not Kind.TEXT and col.kind is not Kind.NUMBER:
                names[i] = elide_all([r[i] for r in self._rows if r is not None], w)
        k = 0
        for r in self._rows:
            if r is None:
                table.add_section()
                continue
            style = self._styles.get(k, {})
            table.add_row(
                *(
                    Text(names[i][k] if i in names else v, style=style.get(i, ""))
                    for i, v in enumerate(r)
                )
            )
            k += 1
        return table


class StatusObserver:
    """Shows the current stage in a transient spinner on stderr (an ``Observer``)."""

    def __init__(self, initial: str) -> None:
        from rich.console import Console

        self._console = Console(stderr=True)
        self._status = self._console.status(initial)

    def __enter__(self) -> StatusObserver:
        self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._status.stop()

    def stage(self, name: str) -> None:
        """Show the stage now running."""
        self._status.update(name)

    def note(self, message: str) -> None:
        """Log a message above the spinner."""
        self._console.log(message)

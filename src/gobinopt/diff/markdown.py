"""``gobinopt diff --markdown``: the diff as GitHub-flavoured Markdown for a pull-request comment
or ``$GITHUB_STEP_SUMMARY``.

The text stays under ``limit`` characters (GitHub rejects comments over 65,536): when the rows do
not fit, the last rows of the longest tables are folded into "… N more" rows that carry their
byte sums (so every table still adds up), and a closing line says how many rows were left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gobinopt.diff.document import TITLES, level_top
from gobinopt.diff.interface import Diff, Level, LevelName, Row, Side

#: GitHub's limit for an issue or pull-request comment, in characters.
GITHUB_LIMIT = 65_536


def _n(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _signed(value: int) -> str:
    return f"{value:+,}" if value else "0"


def _pct(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:+.1f} %" if value else "0 %"


def _cell(text: str) -> str:
    """Text safe inside a table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    if not text:
        return "(none)"
    if "`" in text:
        return _cell(text)
    return f"`{_cell(text)}`"


def _line(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _mark(row: Row) -> str:
    symbol = row.mark.symbol
    return f"**{symbol}**" if symbol == "NEW" else symbol


@dataclass
class _Block:
    """A table (or any run of lines) whose rows may be folded to fit the limit."""

    head: list[str]
    rows: list[str]
    #: The line that stands for the rows from index ``i`` on when they are left out ("" = none).
    fold: Callable[[int], str]
    tail: list[str]
    #: Rows already left out by ``--top`` (they are reported by the fold line too).
    folded_before: int = 0

    def fixed(self) -> int:
        return sum(len(line) + 1 for line in self.head + self.tail) + len(self.fold(0)) + 1


def _side_name(side: Side) -> str:
    return side.source.rsplit("/", 1)[-1] or side.source


def _header(diff: Diff) -> list[str]:
    unit = "loaded bytes" if diff.loaded_only else "file bytes"
    old, new = diff.old, diff.new
    lines = [
        f"### gobinopt diff: {_signed(diff.delta)} {unit} ({_pct(diff.delta_pct) or 'n/a'})",
        "",
        "| | old | new |",
        "|---|---|---|",
        f"| input | {_code(old.source)} | {_code(new.source)} |",
        f"| {unit} | {_n(diff.old_total)} | {_n(diff.new_total)} |",
    ]
    if diff.loaded_only:
        lines.append(f"| file bytes | {_n(old.file_size)} | {_n(new.file_size)} |")
    lines.append(
        f"| file | {_cell(f'{old.format} {old.machine} {old.file_type}')} | "
        f"{_cell(f'{new.format} {new.machine} {new.file_type}')} |"
    )
    lines.append(f"| Go | {old.go_version or 'not Go'} | {new.go_version or 'not Go'} |")
    lines.append("")
    for warning in diff.warnings:
        lines.append(f"> **Warning:** {warning}")
        lines.append(">")
    if diff.warnings:
        lines[-1] = ""
    return lines


def _settings_block(diff: Diff) -> _Block | None:
    if not diff.settings:
        return None
    rows = [
        f"| {_cell(s.key)} | {_code(s.old or '')} | {_code(s.new or '')} |" for s in diff.settings
    ]

    def fold(i: int) -> str:
        left = len(rows) - i
        return f"| … {left:,} more settings | | |" if left else ""

    return _Block(
        ["**Build settings that differ**", "", "| setting | old | new |", "|---|---|---|"],
        rows,
        fold,
        [""],
    )


def _row_cells(level: LevelName, r: Row) -> list[str]:
    name = _code(r.name) if not r.explicit else f"*{_cell(r.name)}*"
    if r.old_name is not None:
        name += f" (was {_code(r.old_name)})"
    cells = [name, _n(r.old), _n(r.new), _signed(r.delta), _pct(r.delta_pct)]
    if level is LevelName.SECTIONS:
        cells.append(_signed(r.mem_delta) if r.mem_delta else "")
    if level is LevelName.MODULES:
        if r.old_version == r.new_version:
            cells.append(_cell(r.new_version or ""))
        else:
            cells.append(_cell(f"{r.old_version or '—'} → {r.new_version or '—'}"))
    if level in (LevelName.PACKAGES, LevelName.FUNCTIONS, LevelName.MODULES):
        diff_count = (r.new_count or 0) - (r.old_count or 0)
        cells.append(_signed(diff_count) if diff_count and not r.explicit else "")
    cells.append(_mark(r))
    return cells


def _level_block(level: Level, unit: str, top: int, show_all: bool) -> _Block:
    title, column = TITLES[level.name]
    head = [f"**{title}** ({unit})", ""]
    if not level.available:
        return _Block([*head, f"Not compared: {_cell(level.note)}", ""], [], lambda i: "", [])
    columns = [column, "old", "new", "Δ bytes", "Δ %"]
    align = ["---", "--:", "--:", "--:", "--:"]
    if level.name is LevelName.SECTIONS:
        columns.append("Δ mem")
        align.append("--:")
    if level.name is LevelName.MODULES:
        columns.append("version")
        align.append("---")
    if level.name in (LevelName.PACKAGES, LevelName.FUNCTIONS, LevelName.MODULES):
        columns.append("Δ funcs")
        align.append("--:")
    columns.append("")
    align.append(":-:")
    head += ["| " + " | ".join(columns) + " |", "|" + "|".join(align) + "|"]
    shown = level.shown(level_top(level, top), show_all)
    rows = [_line(_row_cells(level.name, r)) for r in shown.rows]
    pad = [""] * (len(columns) - 5)

    def fold(i: int) -> str:
        cut = shown.rows[i:]
        count = len(cut) + shown.left_out
        if not count:
            return ""
        old = sum(r.old or 0 for r in cut) + shown.left_out_old
        new = sum(r.new or 0 for r in cut) + shown.left_out_new
        label = f"… {count:,} more {column} rows"
        return _line([label, f"{old:,}", f"{new:,}", _signed(new - old), "", *pad])

    tail = [_line(_row_cells(level.name, r)) for r in level.rest]
    pct = 100.0 * level.delta / level.old_total if level.old_total else None
    tail.append(
        _line(
            [
                "**total**",
                f"{level.old_total:,}",
                f"{level.new_total:,}",
                f"**{_signed(level.delta)}**",
                _pct(pct),
                *pad,
            ]
        )
    )
    if shown.hidden_same:
        tail.append("")
        tail.append(f"{shown.hidden_same:,} unchanged rows not shown.")
    tail.append("")
    return _Block(head, rows, fold, tail, shown.left_out)


def to_markdown(
    diff: Diff, top: int = 20, show_all: bool = False, limit: int = GITHUB_LIMIT
) -> str:
    """The diff as Markdown of at most ``limit`` characters."""
    unit = "loaded bytes" if diff.loaded_only else "file bytes"
    header = _header(diff)
    blocks: list[_Block] = []
    settings = _settings_block(diff)
    if settings is not None:
        blocks.append(settings)
    blocks.extend(_level_block(level, unit, top, show_all) for level in diff.levels)
    notes = [f"- {_cell(n)}" for n in diff.notes]
    if notes:
        notes = ["**Notes**", "", *notes, ""]
    closing_reserve = 200
    budget = (
        limit
        - sum(len(line) + 1 for line in header + notes)
        - sum(b.fixed() for b in blocks)
        - closing_reserve
    )
    out = list(header)
    dropped = 0
    for block in blocks:
        out.extend(block.head)
        kept = 0
        for line in block.rows:
            if budget - (len(line) + 1) < 0:
                break
            budget -= len(line) + 1
            kept += 1
        out.extend(block.rows[:kept])
        dropped += len(block.rows) - kept
        fold = block.fold(kept)
        if fold:
            out.append(fold)
        out.extend(block.tail)
    out.extend(notes)
    if dropped:
        out.append(
            f"*{dropped:,} rows left out to stay under {limit:,} characters; "
            "`gobinopt diff --json` lists them all.*"
        )
    text = "\n".join(out).rstrip() + "\n"
    if len(text) > limit:  # only when the fixed parts alone are too long
        note = "\n*… cut at the character limit.*\n"
        text = text[: limit - len(note)].rsplit("\n", 1)[0] + note
    return text

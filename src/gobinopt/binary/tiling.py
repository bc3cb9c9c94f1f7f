"""Tiling: turn a list of known byte ranges into parts that cover a file exactly once.

Shared by every format backend, so "section sums plus headers plus gaps equal the file size"
holds by construction, and overlaps or holes in corrupt files become visible parts and notes.
"""

from __future__ import annotations

import itertools

from gobinopt.binary.interface import Category, Part, PartKind, Segment


def tile(
    parts: list[Part], size: int, loads: list[Segment] | tuple[Segment, ...], notes: list[str]
) -> list[Part]:
    """Sort parts by offset, clip overlaps, and fill every uncovered range with a gap part.

    Gaps inside a loadable segment are alignment padding the loader maps (SEGMENT_GAP); the rest
    are plain GAP, and bytes after the last part are OVERLAY. The result tiles ``[0, size)``.
    """
    file_parts = sorted(
        (p for p in parts if p.file_size > 0), key=lambda p: (p.offset, -p.file_size)
    )
    memory_only = [p for p in parts if p.file_size == 0]
    out: list[Part] = []
    cursor = 0
    for original in file_parts:
        part = original
        if part.offset < cursor:
            overlap = min(cursor, part.end) - part.offset
            notes.append(f"{part.name} overlaps the previous part by {overlap} bytes; counted once")
            if part.end <= cursor:
                out.append(_clip(part, cursor, 0))
                continue
            part = _clip(part, cursor, part.end - cursor)
        if part.offset > cursor:
            out.extend(_gaps(cursor, part.offset, loads))
        out.append(part)
        cursor = part.end
    if cursor < size:
        trailing = _gaps(cursor, size, loads)
        out.extend(
            g
            if g.kind is PartKind.SEGMENT_GAP
            else Part(
                "(data after the last part)",
                PartKind.OVERLAY,
                Category.OTHER,
                g.offset,
                g.file_size,
            )
            for g in trailing
        )
    # Memory-only sections (.bss, .tbss) go after the loaded part that precedes them by address.
    for mem in sorted(memory_only, key=lambda p: p.address):
        at = len(out)
        for i in range(len(out) - 1, -1, -1):
            if out[i].mem_size and out[i].address <= mem.address:
                at = i + 1
                break
        out.insert(at, mem)
    return out


def _clip(part: Part, offset: int, size: int) -> Part:
    return Part(
        part.name,
        part.kind,
        part.category,
        offset,
        size,
        part.mem_size,
        part.address,
        part.flags,
        part.uncompressed_size,
    )


def _gaps(start: int, stop: int, loads: list[Segment] | tuple[Segment, ...]) -> list[Part]:
    """Split ``[start, stop)`` into gap parts, marking the ranges a PT_LOAD covers."""
    cuts = {start, stop}
    for load in loads:
        for edge in (load.offset, load.offset + load.file_size):
            if start < edge < stop:
                cuts.add(edge)
    points = sorted(cuts)
    out: list[Part] = []
    for lo, hi in itertools.pairwise(points):
        seg = next(
            (s for s in loads if s.offset <= lo and hi <= s.offset + s.file_size and s.file_size),
            None,
        )
        if seg is not None:
            out.append(
                Part(
                    f"(padding in {seg.kind} {seg.flags})",
                    PartKind.SEGMENT_GAP,
                    Category.PADDING,
                    lo,
                    hi - lo,
                    address=seg.address + (lo - seg.offset),
                    flags=seg.flags,
                )
            )
        else:
            out.append(Part("(gap)", PartKind.GAP, Category.PADDING, lo, hi - lo))
    # Merge neighbours of the same name (a segment boundary inside padding is no news).
    merged: list[Part] = []
    for part in out:
        if merged and merged[-1].name == part.name and merged[-1].end == part.offset:
            prev = merged[-1]
            merged[-1] = Part(
                prev.name,
                prev.kind,
                prev.category,
                prev.offset,
                prev.file_size + part.file_size,
                address=prev.address,
                flags=prev.flags,
            )
        else:
            merged.append(part)
    return merged


def _overlay(gap: Part) -> Part:
    return Part(
        "(data after the last part)", PartKind.OVERLAY, Category.OTHER, gap.offset, gap.file_size
    )

"""Pictures with matplotlib (the only module that imports it, lazily, with the Agg backend):
size-vs-latency tradeoff curves with the Pareto frontier, bytes by category per variant, and a
package treemap. The file suffix (.png or .svg) chooses the format.

Each picture has a ``*_figure`` function that returns the drawn figure (for tests to inspect;
release it with :func:`close`) and a function that writes it to a file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gobinopt.errors import BadInputError
from gobinopt.report.analysis import merge_identical, pareto
from gobinopt.report.interface import Point, ReportError

#: Picture formats, chosen by the file suffix.
FORMATS = (".png", ".svg")

_CATEGORY_COLOURS = {
    "code": "#4C72B0",
    "read-only data": "#55A868",
    "Go runtime metadata": "#C44E52",
    "writable data": "#8172B2",
    "DWARF": "#CCB974",
    "symbol tables": "#64B5CD",
    "dynamic linking": "#DD8452",
    "notes": "#937860",
    "headers": "#8C8C8C",
    "padding and gaps": "#DADADA",
    "packed (UPX)": "#DA8BC3",
    "other": "#4D4D4D",
}
_PLAIN = "#4C72B0"
_PACKED = "#DA8BC3"
_FRONT = "#C44E52"
_LABEL_FONT = 6.5
#: Marker areas (points²) of a variant and of the ring around a Pareto member.
_DOT_AREA = 28.0
_RING_AREA = 110.0


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def close(fig: Any) -> None:
    """Release a figure returned by one of the ``*_figure`` functions."""
    _pyplot().close(fig)


def check_format(path: Path) -> None:
    """BadInputError (exit 4) unless ``path`` names a picture format this module writes."""
    if path.suffix.lower() not in FORMATS:
        raise BadInputError(
            f"{path}: unsupported picture format {path.suffix or '(no suffix)'!r}",
            hint="name the file .png or .svg",
        )


def short_label(p: Point) -> str:
    """A compact variant name for plots: ``cgo0 pie -s -w trim | strip→upx``."""
    spec = p.spec
    parts = [f"cgo{int(spec.cgo)}", spec.buildmode or "exe"]
    env = spec.environment
    if env and env != "host":
        parts.insert(0, env)
    if spec.ldflags:
        parts.append(spec.ldflags)
    if spec.trimpath:
        parts.append("trim")
    post = spec.post or "none"
    if post != "none":
        parts.append("| " + post.replace(",", "→"))
    return " ".join(parts)


def point_label(p: Point) -> str:
    """The short label of a point, byte-identical variants joined by " = "."""
    return " = ".join(short_label(v) for v in p.variants)


def _save(fig: Any, path: Path) -> Path:
    from gobinopt.paths import output_file

    try:
        check_format(path)
        output_file(path, "picture")
        fig.savefig(path, dpi=110, bbox_inches="tight")
    finally:
        close(fig)
    return path


@dataclass(frozen=True, slots=True)
class _Box:
    """A rectangle in display pixels."""

    x0: float
    y0: float
    x1: float
    y1: float

    def grow(self, pad: float) -> _Box:
        return _Box(self.x0 - pad, self.y0 - pad, self.x1 + pad, self.y1 + pad)

    def overlap(self, other: _Box) -> float:
        """The area shared with ``other`` (0 when apart or only touching)."""
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return w * h if w > 0 and h > 0 else 0.0

    def inside(self, outer: _Box) -> bool:
        return (
            self.x0 >= outer.x0
            and self.y0 >= outer.y0
            and self.x1 <= outer.x1
            and self.y1 <= outer.y1
        )


def _box(extent: Any) -> _Box:
    return _Box(float(extent.x0), float(extent.y0), float(extent.x1), float(extent.y1))


#: Label positions tried around a point, nearest first: offset direction and text alignment.
_DIRECTIONS = (
    ((1.0, 0.0), "left", "center"),
    ((0.7, 0.7), "left", "bottom"),
    ((0.7, -0.7), "left", "top"),
    ((-1.0, 0.0), "right", "center"),
    ((-0.7, 0.7), "right", "bottom"),
    ((-0.7, -0.7), "right", "top"),
    ((0.0, 1.0), "center", "bottom"),
    ((0.0, -1.0), "center", "top"),
)
#: Distances (points) from the marker tried in turn; labels beyond the first get a leader line.
_RADII = (5.0, 14.0, 26.0, 42.0, 62.0, 88.0, 120.0, 160.0, 210.0)


def cluster(xy: Sequence[tuple[float, float]], radius: float) -> list[list[int]]:
    """Greedy grouping of display positions: each position joins the first group whose first
    member is within ``radius`` pixels, else starts a group (so a group spans at most
    2 × radius and never chains across the plot). Returns indices, groups in input order."""
    groups: list[list[int]] = []
    for i, (x, y) in enumerate(xy):
        for g in groups:
            gx, gy = xy[g[0]]
            if math.hypot(x - gx, y - gy) <= radius:
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


def place_labels(
    fig: Any,
    ax: Any,
    anchors: Sequence[tuple[float, float]],
    texts: Sequence[str],
    obstacles: Sequence[tuple[float, float, float]] = (),
) -> list[Any]:
    """Label each anchor (data coordinates) with its text where the label's box overlaps no
    other label, no marker (``obstacles``: x and y in data coordinates, the marker's diameter
    in points) and stays inside the axes:
    positions around the anchor are tried nearest first, and a label placed away from its
    point gets a thin leader line. Returns the text artists, in the order given."""
    renderer = fig.canvas.get_renderer()
    to_px = ax.transData.transform
    bounds = _box(ax.get_window_extent(renderer)).grow(-2.0)
    pt_px = fig.dpi / 72.0
    taken: list[_Box] = []
    radius: dict[tuple[float, float], float] = {}
    for ox, oy, diameter in obstacles:
        px, py = to_px((ox, oy))
        half = diameter * pt_px / 2
        taken.append(_Box(px - half, py - half, px + half, py + half))
        radius[(ox, oy)] = max(radius.get((ox, oy), 0.0), half)
    artists: list[Any] = []
    for (x, y), text in zip(anchors, texts, strict=True):
        ann = ax.annotate(
            text,
            (x, y),
            xytext=(0, 0),
            textcoords="offset points",
            fontsize=_LABEL_FONT,
            zorder=5,
            linespacing=1.15,
        )
        best: tuple[float, float, tuple[float, float], str, str, _Box] | None = None
        for ring, r in enumerate(_RADII):
            for (dx, dy), ha, va in _DIRECTIONS:
                offset = (dx * r, dy * r)
                ann.set_position(offset)
                ann.set_horizontalalignment(ha)
                ann.set_verticalalignment(va)
                box = _box(ann.get_window_extent(renderer))
                padded = box.grow(1.5)
                clash = sum((padded.overlap(t) for t in taken), 0.0)
                if not box.inside(bounds):
                    clash += 1e9
                if best is None or clash < best[0]:
                    best = (clash, float(ring), offset, ha, va, box)
                if clash == 0:
                    break
            if best is not None and best[0] == 0:
                break
        assert best is not None
        _, far, offset, ha, va, box = best
        ann.set_position(offset)
        ann.set_horizontalalignment(ha)
        ann.set_verticalalignment(va)
        taken.append(box)
        artists.append(ann)
        if far > 0:
            px, py = to_px((x, y))
            lx = min(max(px, box.x0), box.x1)
            ly = min(max(py, box.y0), box.y1)
            end = ax.transData.inverted().transform((lx, ly))
            gap = math.hypot(lx - px, ly - py)
            if gap > radius.get((x, y), 0.0) + 2 * pt_px:
                ax.plot([x, end[0]], [y, end[1]], color="0.6", linewidth=0.6, zorder=2)
    return artists


def tradeoff_figure(points: Sequence[Point], latency: str, title: str = "") -> Any:
    """Size (MB) against median start-up latency (warm or cold): byte-identical variants are
    one point, points drawn on the same spot share one label naming each variant, labels never
    overlap, the Pareto frontier is drawn and its members listed in the legend."""
    plt = _pyplot()

    def lat(p: Point) -> float | None:
        return p.warm_ms if latency == "warm" else p.cold_ms

    pts = [p for p in merge_identical(list(points)) if p.ok and p.size is not None]
    pts = [p for p in pts if lat(p) is not None]
    if not pts:
        how = "a [latency] table" if latency == "warm" else "a [latency] table with cold = true"
        raise ReportError(
            f"no variant has a measured {latency} start-up latency",
            hint=f"add {how} to the matrix file and rerun `gobinopt matrix run`",
        )
    front = pareto(list(pts), latency)
    front_ids = {p.variant_id for p in front}
    fig, ax = plt.subplots(figsize=(10, 6.5))

    def xy(p: Point) -> tuple[float, float]:
        return (p.size or 0) / 1e6, lat(p) or 0.0

    for packed, colour, name in (
        (False, _PLAIN, "variant"),
        (True, _PACKED, "UPX-packed variant (decompresses itself at start-up)"),
    ):
        sel = [xy(p) for p in pts if p.packed == packed]
        if sel:
            ax.scatter(*zip(*sel, strict=True), s=_DOT_AREA, color=colour, zorder=3, label=name)
    fxy = [xy(p) for p in front]
    ax.scatter(
        *zip(*fxy, strict=True),
        s=_RING_AREA,
        facecolors="none",
        edgecolors=_FRONT,
        linewidths=1.3,
        zorder=4,
        label="on the Pareto frontier",
    )
    ax.step(
        *zip(*fxy, strict=True),
        where="post",
        color=_FRONT,
        linewidth=1.2,
        label="Pareto frontier (none smaller and faster):\n"
        + "\n".join(point_label(p) for p in front),
    )
    values = [lat(p) or 0.0 for p in pts]
    if min(values) > 0 and max(values) / min(values) > 20:
        ax.set_yscale("log")
    ax.margins(x=0.06, y=0.08)
    ax.set_xlabel("size on disk (MB)")
    ax.set_ylabel(f"median {latency} start-up (ms)")
    ax.set_title(title or f"Size vs {latency} start-up")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    # Fix the view before measuring where things land on screen.
    ax.set_xlim(*ax.get_xlim())
    ax.set_ylim(*ax.get_ylim())

    order = sorted(pts, key=lambda p: (p.variant_id not in front_ids, p.size or 0, lat(p) or 0))
    pixels = [tuple(ax.transData.transform(xy(p))) for p in order]
    groups = cluster([(float(a), float(b)) for a, b in pixels], radius=9.0)
    anchors, texts = [], []
    for g in groups:
        # Top to bottom as the points lie on the plot.
        members = sorted((order[i] for i in g), key=lambda p: (-(lat(p) or 0), p.size or 0))
        anchors.append(xy(order[g[0]]))
        texts.append("\n".join(point_label(p) for p in members))
    # Tallest labels first: they need the most room.
    ranked = sorted(range(len(texts)), key=lambda i: -texts[i].count("\n"))
    place_labels(
        fig,
        ax,
        [anchors[i] for i in ranked],
        [texts[i] for i in ranked],
        obstacles=[
            (*xy(p), math.sqrt(_RING_AREA if p.variant_id in front_ids else _DOT_AREA) + 1.5)
            for p in pts
        ],
    )
    return fig


def tradeoff(points: Sequence[Point], latency: str, path: Path, title: str = "") -> Path:
    """Write :func:`tradeoff_figure` to ``path`` (.png or .svg)."""
    check_format(path)
    return _save(tradeoff_figure(points, latency, title), path)


def stacked_categories_figure(points: Sequence[Point], title: str = "") -> Any:
    """One horizontal bar per ok artifact (byte-identical variants share a bar), split by
    section category (file bytes)."""
    plt = _pyplot()
    pts = sorted(
        (p for p in merge_identical(list(points)) if p.ok and p.categories),
        key=lambda p: p.size or 0,
    )
    if not pts:
        raise ReportError("no variant with section categories to draw")
    cats = [c for c in _CATEGORY_COLOURS if any(p.categories.get(c) for p in pts)]
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(pts) + 1.6))
    labels = [point_label(p) for p in pts]
    left = [0.0] * len(pts)
    for cat in cats:
        widths = [p.categories.get(cat, 0) / 1e6 for p in pts]
        ax.barh(labels, widths, left=left, color=_CATEGORY_COLOURS[cat], label=cat)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_xlabel("bytes on disk (MB)")
    ax.set_title(title or "Bytes by section category")
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(True, axis="x", alpha=0.3)
    return fig


def stacked_categories(points: Sequence[Point], path: Path, title: str = "") -> Path:
    """Write :func:`stacked_categories_figure` to ``path`` (.png or .svg)."""
    check_format(path)
    return _save(stacked_categories_figure(points, title), path)


def unique_suffixes(names: Sequence[str]) -> dict[str, str]:
    """For each import path, its shortest tail of whole path elements that no other path
    ends with (``github.com/x/a/api`` → ``a/api`` beside ``github.com/x/b/api``)."""
    split = {n: n.split("/") for n in names}
    out: dict[str, str] = {}
    for name, parts in split.items():
        for k in range(1, len(parts) + 1):
            tail = parts[-k:]
            if not any(o != name and other[-k:] == tail for o, other in split.items()):
                break
        out[name] = "/".join(tail)
    return out


def _fit_label(
    name: str, short: str, size: int, width_in: float, height_in: float
) -> tuple[str, float] | None:
    """The largest label and font that fit the rectangle: the full path, else ever shorter
    tails of it down to ``short`` (its shortest unique tail), marked with "…/"."""
    candidates = [name]
    parts, keep = name.split("/"), len(short.split("/"))
    candidates += ["…/" + "/".join(parts[-k:]) for k in range(len(parts) - 1, keep - 1, -1)]
    for text in candidates:
        for font in (10.0, 8.0, 6.5, 5.5):
            chars = max(len(text), 9)
            if chars * font * 0.6 / 72 <= width_in * 0.92 and 2.4 * font / 72 <= height_in:
                return f"{text}\n{size / 1024:,.0f} KiB", font
    return None


def _worst(row: list[float], short: float) -> float:
    """The worst aspect ratio of a treemap row laid along a side of length ``short``."""
    s = sum(row)
    return max(max(short * short * v / (s * s), s * s / (short * short * v)) for v in row)


def _squarify(
    values: list[float], x: float, y: float, w: float, h: float
) -> list[tuple[float, float, float, float]]:
    """Squarified treemap layout (Bruls, Huizing, van Wijk) of values summing to w*h."""
    rects: list[tuple[float, float, float, float]] = []
    items = list(values)
    while items:
        short = min(w, h)
        row: list[float] = []

        while items and (not row or _worst([*row, items[0]], short) <= _worst(row, short)):
            row.append(items.pop(0))
        total = sum(row)
        if w >= h:
            col_w = total / h if h else 0
            cy = y
            for v in row:
                rh = v / col_w if col_w else 0
                rects.append((x, cy, col_w, rh))
                cy += rh
            x, w = x + col_w, w - col_w
        else:
            row_h = total / w if w else 0
            cx = x
            for v in row:
                rw = v / row_h if row_h else 0
                rects.append((cx, y, rw, row_h))
                cx += rw
            y, h = y + row_h, h - row_h
    return rects


def treemap_figure(packages: Sequence[tuple[str, int]], title: str = "", limit: int = 60) -> Any:
    """A package treemap: each rectangle's area is the package's code bytes, labelled with as
    much of its import path as fits and never less than what tells it from the others."""
    plt = _pyplot()
    items = sorted(((n or "(go:/type:)", s) for n, s in packages if s > 0), key=lambda t: -t[1])
    if not items:
        raise ReportError("no Go packages to draw", hint="is this a Go binary?")
    if len(items) > limit:
        rest = sum(s for _, s in items[limit:])
        items = [*items[:limit], (f"{len(items) - limit} more packages", rest)]
    shorts = unique_suffixes([n for n, _ in items if not n.startswith("(")])
    total = float(sum(s for _, s in items))
    width, height = 16.0, 10.0
    rects = _squarify([s / total * width * height for _, s in items], 0, 0, width, height)
    fig, ax = plt.subplots(figsize=(12, 7.5))
    cmap = plt.get_cmap("tab20")
    for i, ((name, size), (rx, ry, rw, rh)) in enumerate(zip(items, rects, strict=True)):
        ax.add_patch(
            plt.Rectangle((rx, ry), rw, rh, facecolor=cmap(i % 20), edgecolor="white", linewidth=1)
        )
        label = _fit_label(name, shorts.get(name, name), size, rw * 0.75, rh * 0.75)
        if label is not None:
            text, font = label
            ax.text(rx + rw / 2, ry + rh / 2, text, ha="center", va="center", fontsize=font)
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.invert_yaxis()
    ax.axis("off")
    ax.set_title(title or "Code bytes by Go package")
    return fig


def treemap(
    packages: Sequence[tuple[str, int]], path: Path, title: str = "", limit: int = 60
) -> Path:
    """Write :func:`treemap_figure` to ``path`` (.png or .svg)."""
    check_format(path)
    return _save(treemap_figure(packages, title, limit), path)

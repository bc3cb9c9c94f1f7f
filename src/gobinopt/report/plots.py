"""Pictures with matplotlib (the only module that imports it, lazily, with the Agg backend):
size-vs-latency tradeoff curves with the Pareto frontier, bytes by category per variant, and a
package treemap. The file suffix (.png or .svg) chooses the format."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gobinopt.report.analysis import pareto
from gobinopt.report.interface import Point, ReportError

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


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def short_label(p: Point) -> str:
    """A compact variant name for plots: ``cgo0 pie -s -w trim | strip→upx``."""
    spec = p.spec
    parts = [f"cgo{spec.get('CGO_ENABLED', 0)}", str(spec.get("buildmode", "exe"))]
    env = str(spec.get("environment", ""))
    if env and env != "host":
        parts.insert(0, env)
    if spec.get("ldflags"):
        parts.append(str(spec["ldflags"]))
    if spec.get("trimpath"):
        parts.append("trim")
    post = str(spec.get("post", "none"))
    if post != "none":
        parts.append("| " + post.replace(",", "→"))
    return " ".join(parts)


def _save(fig: Any, path: Path) -> Path:
    if path.suffix.lower() not in (".png", ".svg"):
        raise ReportError(f"{path}: unsupported picture format", hint="use .png or .svg")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return path


def tradeoff(points: Sequence[Point], latency: str, path: Path, title: str = "") -> Path:
    """Size (MB) against median start-up latency (warm or cold), every ok variant labelled,
    the Pareto frontier drawn and its members listed in the legend."""
    plt = _pyplot()

    def lat(p: Point) -> float | None:
        return p.warm_ms if latency == "warm" else p.cold_ms

    pts = [p for p in points if p.ok and p.size is not None and lat(p) is not None]
    if not pts:
        raise ReportError(
            f"no variant has a measured {latency} start-up latency",
            hint="enable [latency] in the matrix file and rerun",
        )
    fig, ax = plt.subplots(figsize=(10, 6.5))
    front = pareto(list(pts), latency)
    front_ids = {p.variant_id for p in front}
    for p in pts:
        size_mb = (p.size or 0) / 1e6
        value = lat(p) or 0.0
        on_front = p.variant_id in front_ids
        ax.scatter(
            size_mb,
            value,
            s=46 if on_front else 26,
            color="#C44E52" if on_front else ("#DA8BC3" if p.packed else "#4C72B0"),
            zorder=3,
        )
        ax.annotate(
            short_label(p),
            (size_mb, value),
            fontsize=6.5,
            xytext=(4, 3),
            textcoords="offset points",
        )
    xs = [(p.size or 0) / 1e6 for p in front]
    ys = [lat(p) or 0.0 for p in front]
    ax.step(
        xs,
        ys,
        where="post",
        color="#C44E52",
        linewidth=1.2,
        label="Pareto frontier:\n" + "\n".join(short_label(p) for p in front),
    )
    values = [lat(p) or 0.0 for p in pts]
    if min(values) > 0 and max(values) / min(values) > 20:
        ax.set_yscale("log")
    ax.set_xlabel("size on disk (MB)")
    ax.set_ylabel(f"median {latency} start-up latency (ms)")
    ax.set_title(title or f"Size vs {latency} start-up latency")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper right")
    return _save(fig, path)


def stacked_categories(points: Sequence[Point], path: Path, title: str = "") -> Path:
    """One horizontal bar per ok variant, split by section category (file bytes)."""
    plt = _pyplot()
    pts = sorted((p for p in points if p.ok and p.categories), key=lambda p: p.size or 0)
    if not pts:
        raise ReportError("no variant with section categories to draw")
    cats = [c for c in _CATEGORY_COLOURS if any(p.categories.get(c) for p in pts)]
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(pts) + 1.6))
    labels = [short_label(p) for p in pts]
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
    return _save(fig, path)


def _fit_label(name: str, size: int, width_in: float, height_in: float) -> tuple[str, float] | None:
    """The largest label (full path, else last element) and font that fit the rectangle."""
    for text in (name, name.rsplit("/", 1)[-1]):
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


def treemap(
    packages: Sequence[tuple[str, int]], path: Path, title: str = "", limit: int = 60
) -> Path:
    """A package treemap: each rectangle's area is the package's code bytes."""
    plt = _pyplot()
    items = sorted(((n or "(go:/type:)", s) for n, s in packages if s > 0), key=lambda t: -t[1])
    if not items:
        raise ReportError("no Go packages to draw", hint="is this a Go binary?")
    if len(items) > limit:
        rest = sum(s for _, s in items[limit:])
        items = [*items[:limit], (f"{len(items) - limit} more packages", rest)]
    total = float(sum(s for _, s in items))
    width, height = 16.0, 10.0
    rects = _squarify([s / total * width * height for _, s in items], 0, 0, width, height)
    fig, ax = plt.subplots(figsize=(12, 7.5))
    cmap = plt.get_cmap("tab20")
    for i, ((name, size), (rx, ry, rw, rh)) in enumerate(zip(items, rects, strict=True)):
        ax.add_patch(
            plt.Rectangle((rx, ry), rw, rh, facecolor=cmap(i % 20), edgecolor="white", linewidth=1)
        )
        label = _fit_label(name, size, rw * 0.75, rh * 0.75)
        if label is not None:
            text, font = label
            ax.text(rx + rw / 2, ry + rh / 2, text, ha="center", va="center", fontsize=font)
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.invert_yaxis()
    ax.axis("off")
    ax.set_title(title or "Code bytes by Go package")
    return _save(fig, path)

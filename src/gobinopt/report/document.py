"""A report directory: REPORT.md, a self-contained report.html, results as JSON and CSV, and
the pictures. Everything in it comes from stored records; nothing is typed in by hand."""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass
from pathlib import Path

from gobinopt.report.analysis import (
    Constraints,
    baseline,
    commands,
    merge_identical,
    pareto,
    recommend,
)
from gobinopt.report.interface import Point, ReportError, point
from gobinopt.results.interface import VariantRecord


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """What a report wrote."""

    directory: Path
    markdown: Path
    html: Path
    pictures: tuple[Path, ...]


def _fmt_ms(value: float | None, spread: float | None = None) -> str:
    if value is None:
        return "–"
    text = f"{value:.2f}" if value < 100 else f"{value:.0f}"
    if spread is not None:
        text += f" ± {spread:.2f}" if spread < 100 else f" ± {spread:.0f}"
    return text


def _lat(p: Point, latency: str) -> float | None:
    return p.warm_ms if latency == "warm" else p.cold_ms


def _delta(p: Point, base: Point | None) -> str:
    if base is None or p.size is None or base.size is None or not base.size:
        return "–"
    return f"{100 * (p.size - base.size) / base.size:+.1f}%"


def names(p: Point, quote: str = "") -> str:
    """The variant's label, or the labels of byte-identical variants joined by " = "."""
    return " = ".join(f"{quote}{v.label}{quote}" for v in p.variants)


def variant_rows(points: list[Point]) -> list[list[str]]:
    """One row per artifact: label (byte-identical variants named together), status, bytes,
    Δ vs default and why (the largest section-category changes, as `gobinopt diff` counts
    them), warm, cold, RSS, note."""
    from gobinopt.diff.compare import biggest_changes, compare_categories

    base = baseline(points)
    rows = []
    ordered = sorted(merge_identical(points), key=lambda p: (not p.ok, p.size or 0))
    for p in ordered:
        note = p.reason
        if p.twins:
            note = f"{len(p.variants)} variants, identical files (same sha256)" + (
                f"; {note}" if note else ""
            )
        rows.append(
            [
                names(p).replace("|", "/"),
                p.status,
                f"{p.size:,}" if p.size is not None else "–",
                _delta(p, base) if p.ok else "–",
                (
                    biggest_changes(compare_categories(base.categories, p.categories))
                    if p.ok and base is not None and p is not base
                    else ""
                )
                or "–",
                _fmt_ms(p.warm_ms, p.warm_iqr_ms),
                _fmt_ms(p.cold_ms, p.cold_iqr_ms),
                f"{p.peak_rss_kb / 1024:.1f}" if p.peak_rss_kb else "–",
                note.replace("|", "/")[:160],
            ]
        )
    return rows


HEADERS = [
    "variant",
    "status",
    "bytes",
    "Δ vs default",
    "why (largest section-category changes)",
    "warm start-up ms (median ± IQR)",
    "cold start-up ms (median ± IQR)",
    "peak RSS MiB",
    "note",
]


def _md_table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def build_report(
    records: list[VariantRecord],
    out_dir: Path,
    *,
    name: str,
    command: str,
    matrix_text: str = "",
    constraints: Constraints | None = None,
    extra_sections: list[tuple[str, str]] | None = None,
) -> ReportFiles:
    """Write the report of ``records`` into ``out_dir`` and return the files written."""
    from gobinopt.report import plots
    from gobinopt.results.export import export_csv, export_json

    if not records:
        raise ReportError("no stored results to report", hint="run `gobinopt matrix run` first")
    points = [point(r) for r in records]
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(export_json(records) + "\n")
    (out_dir / "results.csv").write_text(export_csv(records))
    pictures: list[Path] = []
    captions: list[tuple[str, Path]] = []
    for latency in ("warm", "cold"):
        try:
            pic = plots.tradeoff(
                points,
                latency,
                out_dir / f"tradeoff-{latency}.png",
                f"{name}: size vs {latency} start-up latency",
            )
        except ReportError:
            continue
        plots.tradeoff(
            points,
            latency,
            out_dir / f"tradeoff-{latency}.svg",
            f"{name}: size vs {latency} start-up latency",
        )
        pictures.append(pic)
        captions.append((f"Size vs {latency} start-up latency (Pareto frontier in red)", pic))
    try:
        pic = plots.stacked_categories(
            points, out_dir / "categories.png", f"{name}: bytes by section category"
        )
        plots.stacked_categories(
            points, out_dir / "categories.svg", f"{name}: bytes by section category"
        )
        pictures.append(pic)
        captions.append(("Bytes by section category", pic))
    except ReportError:
        pass

    fingerprints: dict[str, dict[str, str]] = {}
    for r in records:
        fp = dict(r.fingerprint)
        if fp:
            fingerprints.setdefault(str(fp.get("environment", "?")), fp)

    sections: list[tuple[str, str]] = []
    env_rows = [
        [env, *(fp.get(k, "") for k in ("os", "kernel", "libc", "linker", "go", "wsl"))]
        for env, fp in sorted(fingerprints.items())
    ]
    sections.append(
        (
            "Environment",
            _md_table(["environment", "OS", "kernel", "libc", "linker", "Go", "WSL"], env_rows),
        )
    )
    if matrix_text:
        sections.append(("Matrix", f"```toml\n{matrix_text.strip()}\n```"))
    base = baseline(points)
    sections.append(
        (
            "Variants",
            (f"Δ is against the default build `{base.label}`.\n\n" if base else "")
            + _md_table(HEADERS, variant_rows(points)),
        )
    )
    front_lines = []
    for latency in ("warm", "cold"):
        front = pareto(points, latency)
        if front:
            front_lines.append(
                f"**{latency}**: "
                + "; ".join(
                    f"{names(p, '`')} ({p.size:,} B, {_fmt_ms(_lat(p, latency))} ms)" for p in front
                )
            )
    if front_lines:
        sections.append(
            ("Pareto set (no variant is both smaller and faster)", "\n\n".join(front_lines))
        )
    for caption, pic in captions:
        svg = pic.with_suffix(".svg").name
        sections.append(
            (
                caption,
                f"![{caption}]({pic.name})\n\nSVG: [{svg}]({svg})",
            )
        )
    try:
        rec = recommend(points, constraints or Constraints())
        p = rec.point
        given = _constraint_text(constraints)
        head = f"Smallest variant satisfying {given}" if given else "Smallest successful variant"
        twins = (
            " Byte-identical to " + ", ".join(f"`{t.label}`" for t in p.twins) + "."
            if p.twins
            else ""
        )
        text = (
            f"{head}: `{p.label}` — {p.size:,} bytes, {warm_start(p.warm_ms)}.{twins}"
            "\n\n```sh\n" + "\n".join(rec.commands) + "\n```"
        )
        sections.append(("Recommendation", text))
    except ReportError as exc:
        sections.append(("Recommendation", exc.one_line()))
    sections.extend(extra_sections or [])

    title = (
        f"# {name}\n\nGenerated by `{command}` from the results store; every figure below "
        "comes from that command's measurements.\n"
    )
    markdown = title + "\n".join(f"\n## {h}\n\n{body}\n" for h, body in sections)
    md_path = out_dir / "REPORT.md"
    md_path.write_text(markdown)
    html_path = out_dir / "report.html"
    html_path.write_text(_html(name, command, sections, out_dir))
    return ReportFiles(out_dir, md_path, html_path, tuple(pictures))


def warm_start(ms: float | None) -> str:
    """``warm start-up 1.45 ms``, or that it was not measured."""
    return "warm start-up not measured" if ms is None else f"warm start-up {_fmt_ms(ms)} ms"


def _constraint_text(c: Constraints | None) -> str:
    """The constraints in words; empty when there are none."""
    if c is None or c == Constraints():
        return ""
    parts = []
    if c.max_start_ms is not None:
        parts.append(f"warm start-up ≤ {c.max_start_ms:g} ms")
    if c.max_cold_start_ms is not None:
        parts.append(f"cold start-up ≤ {c.max_cold_start_ms:g} ms")
    if c.keep_debug_info:
        parts.append("DWARF kept")
    if c.no_upx:
        parts.append("no UPX")
    if c.static:
        parts.append("statically linked")
    return ", ".join(parts)


def _html(name: str, command: str, sections: list[tuple[str, str]], out_dir: Path) -> str:
    """A self-contained HTML page: tables as tables, pictures inlined as base64 PNG."""
    body = [
        f"<h1>{html.escape(name)}</h1>",
        f"<p>Generated by <code>{html.escape(command)}</code>.</p>",
    ]
    for heading, text in sections:
        body.append(f"<h2>{html.escape(heading)}</h2>")
        body.append(_md_to_html(text, out_dir))
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;"
        "padding:3px 6px}th{background:#f3f3f3}pre{background:#f6f6f6;padding:8px;"
        "overflow:auto}img{max-width:100%}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(name)}"
        f"</title><style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )


def _md_to_html(text: str, out_dir: Path) -> str:
    """The small subset of Markdown this module writes: tables, code blocks, images, text."""
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            out.append("<pre>" + html.escape("\n".join(lines[i + 1 : j])) + "</pre>")
            i = j + 1
            continue
        if line.startswith("| "):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                if not lines[i].startswith("|---"):
                    rows.append([c.strip() for c in lines[i].strip("|").split(" | ")])
                i += 1
            head, *rest = rows
            out.append(
                "<table><tr>"
                + "".join(f"<th>{html.escape(c)}</th>" for c in head)
                + "</tr>"
                + "".join(
                    "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                    for r in rest
                )
                + "</table>"
            )
            continue
        if line.startswith("!["):
            src = line[line.rindex("](") + 2 : line.rindex(")")]
            data = base64.b64encode((out_dir / src).read_bytes()).decode()
            out.append(f"<img alt='{html.escape(src)}' src='data:image/png;base64,{data}'>")
        elif line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
        i += 1
    return "\n".join(out)


def recommendation_json(rec_point: Point, cmds: tuple[str, ...]) -> str:
    """The recommendation as JSON (for `gobinopt recommend --json`)."""
    return json.dumps(
        {
            "schema": "gobinopt.recommend/v1",
            "variant_id": rec_point.variant_id,
            "label": rec_point.label,
            "size": rec_point.size,
            "warm_ms": rec_point.warm_ms,
            "cold_ms": rec_point.cold_ms,
            "commands": list(cmds),
            "identical_variants": [
                {"variant_id": t.variant_id, "label": t.label} for t in rec_point.twins
            ],
        },
        indent=2,
    )


__all__ = [
    "ReportFiles",
    "build_report",
    "commands",
    "names",
    "recommendation_json",
    "variant_rows",
    "warm_start",
]

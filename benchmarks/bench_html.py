"""Benchmark ``gobinopt explain --html``: how big the page gets and how long first paint takes.

Run with the project's virtualenv Python::

    python benchmarks/bench_html.py [--runs N] [BINARY ...]

Without arguments it uses the binaries ``bench_explain.py`` left in ``benchmarks/.cache/bin``
(the oracle, ``go``, ``compile``, ``bigbin``, the hugo-sized ``hugobin``; run that benchmark
first). For each binary it writes the page with ``gobinopt explain --html`` (timed), then opens
it ``--runs`` times in headless Chromium (Debian's ``chromium``, fresh profile) with
``--dump-dom`` and reads what the page itself records on ``<body>``: ``data-rendered-ms`` (ms
from navigation start until both treemaps are drawn, the first paint of the charts) and
``data-script-ms`` (our script alone: parse the embedded document, build the trees, draw). The
reference in the same run is an empty page opened the same way (the browser's own floor), so
each page's wall time is printed as a ratio against it. Nothing is hard-coded or asserted.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from _common import gobinopt_cmd, print_columns

ROOT = Path(__file__).resolve().parent.parent
BINS = ROOT / "benchmarks" / ".cache" / "bin"
DEFAULTS = ("oracle", "go", "compile", "bigbin", "hugobin")
MB = 1_000_000


@dataclass(frozen=True)
class Visit:
    """One headless Chromium visit of a page."""

    wall_s: float
    rendered_ms: int | None
    script_ms: int | None
    leaves: int | None


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        sys.exit("chromium not found — install with apt-get install chromium")
    return found


def visit(browser: str, page: Path, profile: Path) -> Visit:
    """Open ``page`` once and read the timings the page wrote on its body."""
    start = time.perf_counter()
    res = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--window-size=1200,800",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    wall = time.perf_counter() - start
    body = re.search(r"<body([^>]*)>", res.stdout)
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1) if body else ""))

    def num(key: str) -> int | None:
        return int(attrs[key]) if key in attrs else None

    return Visit(wall, num("rendered-ms"), num("script-ms"), num("leaves"))


def median(values: Sequence[float | int | None]) -> float | None:
    got = [float(v) for v in values if v is not None]
    return statistics.median(got) if got else None


def fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("binaries", nargs="*", type=Path)
    args = parser.parse_args(argv)
    binaries = args.binaries or [BINS / n for n in DEFAULTS if (BINS / n).is_file()]
    if not binaries:
        sys.exit(f"no binaries: pass some, or run benchmarks/bench_explain.py to fill {BINS}")
    browser = chromium()
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory(prefix="gobinopt-bench-html-") as tmp_name:
        tmp = Path(tmp_name)
        empty = tmp / "empty.html"
        empty.write_text("<!DOCTYPE html><html><body></body></html>", "utf-8")
        floor = median([visit(browser, empty, tmp / "p0").wall_s for _ in range(args.runs)])
        rows.append(("empty page (reference)", "-", "-", "-", "-", "-", fmt(floor, 2), "1.00"))
        for n, binary in enumerate(binaries, 1):
            page = tmp / f"{binary.name}.html"
            start = time.perf_counter()
            res = subprocess.run(
                [*gobinopt_cmd(), "explain", str(binary), "--html", str(page)],
                capture_output=True,
                text=True,
                check=False,
            )
            write_s = time.perf_counter() - start
            if res.returncode != 0:
                print(f"{binary}: explain --html failed: {res.stderr.strip()}", file=sys.stderr)
                continue
            visits = [visit(browser, page, tmp / f"p{n}") for _ in range(args.runs)]
            wall = median([v.wall_s for v in visits])
            rows.append(
                (
                    binary.name,
                    f"{binary.stat().st_size / MB:.1f}",
                    fmt(median([v.leaves for v in visits])),
                    f"{page.stat().st_size / MB:.2f}",
                    fmt(write_s, 2),
                    f"{fmt(median([v.rendered_ms for v in visits]))} / "
                    f"{fmt(median([v.script_ms for v in visits]))}",
                    fmt(wall, 2),
                    "-" if wall is None or not floor else f"{wall / floor:.2f}",
                )
            )
    print(f"chromium: {browser}; {args.runs} visits each, medians; gobinopt: {gobinopt_cmd()[0]}")
    print_columns(
        (
            "binary",
            "file MB",
            "functions",
            "page MB",
            "write s",
            "first paint / script ms",
            "browser s",
            "vs empty",
        ),
        rows,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

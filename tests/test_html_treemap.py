"""`explain BINARY --html FILE` writes one self-contained page that renders in a real browser
(headless Chromium) and carries exactly the `--json --top 0` document."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import Builder, Spec, run_gobinopt
from gobinopt.report.html_treemap import DATA_ID


def chromium() -> str:
    """Debian's chromium; outside CI its absence skips the browser tests with the reason."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing on CI: scripts/test.sh installs it with apt")
        pytest.skip("chromium not found — apt-get install chromium")
    return found


def browse(
    page: Path, tmp: Path, *mode: str, fragment: str = ""
) -> subprocess.CompletedProcess[str]:
    """Open ``page`` (at ``#fragment``) in headless Chromium with a fresh profile and no network
    of its own."""
    return subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={tmp / 'profile'}",
            "--window-size=1200,800",
            *mode,
            page.resolve().as_uri() + (f"#{fragment}" if fragment else ""),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def embedded(page: Path) -> dict[str, object]:
    text = page.read_text("utf-8")
    m = re.search(rf'<script id="{DATA_ID}" type="application/json">(.*?)</script>', text, re.S)
    assert m is not None, "no embedded data"
    data: dict[str, object] = json.loads(m.group(1))
    return data


@pytest.fixture(scope="module")
def http_page(builder: Builder, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The httpserver test binary and its page."""
    binary = builder.build(Spec("httpserver"))
    page = tmp_path_factory.mktemp("html") / "http.html"
    res = run_gobinopt("explain", str(binary), "--html", str(page))
    assert res.returncode == 0, res.stderr
    return binary, page


def test_page_data_equals_the_json_document(http_page: tuple[Path, Path]) -> None:
    """The data embedded in the page equals `explain --json --top 0` of the same binary, and
    its package totals are the document's."""
    binary, page = http_page
    res = run_gobinopt("explain", str(binary), "--json", "--top", "0")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    data = embedded(page)
    assert data == doc
    functions = data["functions"]
    assert isinstance(functions, list) and len(functions) == doc["pclntab"]["nfunc"]
    totals: dict[str, int] = {}
    for f in functions:
        totals[f["package"]] = totals.get(f["package"], 0) + f["size"]
    assert totals == {p["name"]: p["size"] for p in doc["code"]["packages"]}


def test_page_is_self_contained(http_page: tuple[Path, Path]) -> None:
    """The page loads nothing at view time: no external scripts, styles or images."""
    text = http_page[1].read_text("utf-8")
    markup = re.sub(r"(<script[^>]*>).*?</script>", r"\1</script>", text, flags=re.S)
    assert markup.count("<script") == 3 and "echarts" in text
    assert not re.search(r"<(script|link|img|iframe|object)[^>]+(src|href|data)=", markup)
    assert "url(" not in markup and "@import" not in markup


def test_screenshot_in_headless_chromium_is_not_blank(
    http_page: tuple[Path, Path], tmp_path: Path
) -> None:
    """Headless Chromium screenshots the page as a PNG with a drawn treemap: many colours,
    mostly not background."""
    from PIL import Image

    shot = tmp_path / "page.png"
    res = browse(http_page[1], tmp_path, f"--screenshot={shot}")
    assert shot.is_file(), res.stderr[-2000:]
    with Image.open(shot) as img:
        assert img.size == (1200, 800)
        rgb = img.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 50
        white = sum(n for n, c in colours if c == (255, 255, 255))
        assert white < 0.6 * 1200 * 800


def test_dumped_dom_shows_the_rendered_treemap(
    http_page: tuple[Path, Path], tmp_path: Path
) -> None:
    """Chromium's --dump-dom shows both charts drawn (SVG tiles labelled with the largest
    packages, the sections), with every function counted and the render time recorded."""
    res = browse(http_page[1], tmp_path, "--dump-dom")
    dom = res.stdout
    body = re.search(r"<body ([^>]*)>", dom)
    assert body is not None, res.stderr[-2000:]
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1)))
    assert int(attrs["rendered-ms"]) > 0
    nfunc = len(embedded(http_page[1])["functions"])  # type: ignore[arg-type]
    assert int(attrs["leaves"]) == nfunc and attrs["renderer"] == "svg"
    assert dom.count("<svg") >= 2 and dom.count("<path") > 100
    for label in ("runtime", "net/http", ".text", ".gopclntab", "Build info", "go1.26.6"):
        assert f">{label}<" in dom or f"{label}</" in dom, label


def test_file_view_draws_every_attributed_byte_by_package(
    http_page: tuple[Path, Path], tmp_path: Path
) -> None:
    """Opened at #file, the page draws the file by module › package › area from the document's
    attribution: the largest packages, their areas and the named tables are labelled tiles."""
    res = browse(http_page[1], tmp_path, "--dump-dom", fragment="file")
    dom = res.stdout
    body = re.search(r"<body ([^>]*)>", dom)
    assert body is not None, res.stderr[-2000:]
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1)))
    assert attrs["view"] == "file" and int(attrs["rendered-ms"]) > 0
    data = embedded(http_page[1])
    att = data["attribution"]
    assert isinstance(att, dict)
    share = 100 * (att["to_packages"] + att["to_tables"]) / data["file"]["size"]  # type: ignore[index]
    assert f"attributed: {share:.2f}% of the file" in dom
    for label in ("runtime", "std", "code", "pclntab", "named tables"):
        assert f">{label}<" in dom or f"{label}</" in dom, label


@pytest.mark.skipif(
    shutil.which("upx") is None or shutil.which("strip") is None,
    reason="upx or strip not found — gobinopt doctor --install upx strip",
)
def test_packed_binary_page_shows_the_inner_program(builder: Builder, tmp_path: Path) -> None:
    """A UPX-packed binary's page carries the inner program's document and draws it."""
    page = tmp_path / "packed.html"
    res = run_gobinopt(
        "explain", str(builder.build(Spec("hello", post="upx"))), "--html", str(page)
    )
    assert res.returncode == 0, res.stderr
    data = embedded(page)
    inner = data["inner"]
    assert isinstance(inner, dict) and inner["code"]["packages"]
    assert data["file"]["packer"] == "UPX"  # type: ignore[index]
    dom = browse(page, tmp_path, "--dump-dom").stdout
    assert "packed by UPX; unpacked" in dom and "runtime</" in dom


def test_unwritable_html_path_is_exit_4_before_work(tmp_path: Path) -> None:
    """An --html path whose parent is a file fails with exit 4 before the binary is read."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = run_gobinopt(
        "explain", str(tmp_path / "missing-binary"), "--html", str(blocker / "p.html")
    )
    assert res.returncode == 4, res.stderr
    assert "HTML page" in res.stderr and "Traceback" not in res.stderr

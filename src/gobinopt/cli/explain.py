"""``gobinopt explain``: the rich tables and the ``--json`` document of one binary."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gobinopt.cli.console import Column, FitTable, Kind, StatusObserver, escape, stdout_console
from gobinopt.errors import BadInputError, ExitStatus, GobinoptError

if TYPE_CHECKING:
    from rich.console import Console

    from gobinopt.explain import Explanation
    from gobinopt.explain.interface import PackageBytes

#: The picture formats of --treemap (matplotlib chooses by the suffix).
TREEMAP_SUFFIXES = (".png", ".svg")


class By(StrEnum):
    """What the main table breaks the binary down by."""

    section = "section"
    package = "package"
    function = "function"


def register(app: typer.Typer) -> None:
    """Add the explain command to ``app``."""

    @app.command()
    def explain(
        binary: Path | None = typer.Argument(
            None, help="The executable to explain (ELF, PE or Mach-O).", show_default=False
        ),
        example: bool = typer.Option(
            False, "--example", help="Build the bundled example program with `go` and explain it."
        ),
        by: By = typer.Option(By.section, "--by", help="Break the binary down by this."),
        top: int = typer.Option(20, "--top", min=0, help="Rows of packages/functions (0 = all)."),
        as_json: bool = typer.Option(
            False, "--json", help="Print the gobinopt.explain/v1 JSON document instead."
        ),
        measure: bool = typer.Option(
            False, "--measure", help="Run strip and upx on temporary copies for exact savings."
        ),
        treemap: Path | None = typer.Option(
            None, "--treemap", help="Also draw a package treemap into this .png or .svg file."
        ),
        html_page: Path | None = typer.Option(
            None,
            "--html",
            help="Also write a self-contained interactive HTML treemap (module, package, "
            "function; sections, build info, savings) into this file.",
        ),
    ) -> None:
        """Show where every byte of BINARY goes and what each knob would save."""
        from gobinopt.explain import explain as run_explain

        if example == (binary is not None):
            raise GobinoptError(
                "give either a BINARY or --example",
                hint="gobinopt explain ./mybinary",
                status=ExitStatus.USAGE,
            )
        if treemap is not None:  # before any work: a bad output path is a one-line error
            from gobinopt.paths import output_file

            if treemap.suffix.lower() not in TREEMAP_SUFFIXES:
                raise BadInputError(
                    f"{treemap}: unsupported picture format {treemap.suffix or '(none)'!r}",
                    hint="name the treemap file .png or .svg",
                )
            output_file(treemap, "treemap")
        if html_page is not None:
            from gobinopt.paths import output_file

            output_file(html_page, "HTML page")
        if binary is None:
            from gobinopt.example import build_example

            path = str(build_example())
        else:
            path = str(binary)
        observer = StatusObserver("explaining") if not as_json and sys.stderr.isatty() else None
        if observer is not None:
            with observer:
                result = run_explain(path, measure=measure, observer=observer)
        else:
            result = run_explain(path, measure=measure)
        if treemap is not None:
            from gobinopt.report.plots import treemap as draw_treemap

            if result.code is None:
                raise GobinoptError(
                    f"{path}: no Go function table, so no package treemap",
                    status=ExitStatus.BAD_INPUT,
                )
            draw_treemap(
                [(p.name, p.size) for p in result.code.packages],
                treemap,
                title=f"{Path(path).name}: code bytes by Go package",
            )
        if html_page is not None:
            from gobinopt.report.html_treemap import write_html

            page = write_html(result, html_page)
            if not as_json:
                typer.echo(
                    f"wrote {page.path} ({page.bytes:,} bytes, {page.functions:,} functions)",
                    err=True,
                )
        if as_json:
            from gobinopt.explain.document import to_document

            typer.echo(json.dumps(to_document(result, top=top), indent=2))
            return
        render(result, stdout_console(), by, top)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _b(n: int) -> str:
    return f"{n:,}"


_NUMERIC = (
    "offset",
    "file bytes",
    "mem bytes",
    "bytes",
    "share",
    "funcs",
    "%",
    "code",
    "pclntab",
    "types",
    "data",
    "symbols",
    "dwarf",
    "total",
)


def _table(title: str, *columns: str, names: tuple[str, ...] = (), secondary: str = "") -> FitTable:
    """A table whose ``names`` columns identify rows (never cut) and ``secondary`` repeats part
    of them (elided first); numbers stay whole; the rest is text that wraps."""

    def kind(col: str) -> Kind:
        if col in _NUMERIC:
            return Kind.NUMBER
        if col == secondary:
            return Kind.SECONDARY_NAME
        return Kind.NAME if col in names else Kind.TEXT

    return FitTable(title, [Column(col, kind(col)) for col in columns])


def render(ex: Explanation, console: Console, by: By, top: int) -> None:
    """Print the explanation as rich tables."""
    lay = ex.layout
    size = lay.file_size
    head = (
        f"[bold]{escape(ex.path)}[/]: {lay.format.value.upper()} {lay.bits}-bit {lay.machine} "
        f"{lay.file_type}, {_b(size)} bytes"
    )
    if lay.interpreter:
        head += f", dynamically linked ({lay.interpreter})"
    elif lay.format.value == "elf":
        head += ", statically linked"
    console.print(head)
    if ex.buildinfo is not None:
        bi = ex.buildinfo
        mod = f"{bi.main.path} {bi.main.version}" if bi.main else "-"
        console.print(escape(f"Go {bi.go_version} · path {bi.path or '-'} · module {mod}"))

    cats = _table(
        "Bytes by category", "category", "file bytes", "share", "mem bytes", names=("category",)
    )
    for c in ex.categories:
        cats.row(c.category.value, _b(c.file_size), _pct(c.file_size, size), _b(c.mem_size))
    cats.section()
    cats.row(
        "total",
        _b(sum(c.file_size for c in ex.categories)),
        "100.0%",
        _b(sum(c.mem_size for c in ex.categories)),
    )
    console.print(cats.render(console))

    if by is By.section:
        parts = _table(
            "Every byte of the file",
            "part",
            "category",
            "offset",
            "file bytes",
            "share",
            "mem bytes",
            "note",
            names=("part",),
        )
        for p in lay.parts:
            note = ""
            if p.uncompressed_size is not None:
                note = f"compressed, {_b(p.uncompressed_size)} inflated"
            elif p.file_size == 0 and p.mem_size:
                note = "memory only"
            parts.row(
                p.name,
                p.category.value,
                f"{p.offset:#x}",
                _b(p.file_size),
                _pct(p.file_size, size),
                _b(p.mem_size),
                note,
            )
        parts.section()
        parts.row(
            "total",
            "",
            "",
            _b(sum(p.file_size for p in lay.parts)),
            "100.0%",
            "",
            f"file size {_b(size)}",
        )
        console.print(parts.render(console))
    if ex.code is not None and by in (By.section, By.package):
        _render_packages(ex, console, top if by is By.package else min(top or 10, 10))
    if by is By.package:
        _render_attribution(ex, console, top)
    if by is By.function:
        _render_functions(ex, console, top)
    if by is not By.section and ex.code is None:
        console.print("no Go function table: nothing to break down by package or function")
    if ex.buildinfo is not None and by is By.section:
        _render_buildinfo(ex, console)
    if ex.savings:
        sav = _table(
            "What each knob would save",
            "knob",
            "bytes",
            "share",
            "basis",
            "how",
            "detail / cost",
            names=("knob",),
        )
        for s in ex.savings:
            detail = s.detail + (f" — cost: {s.cost}" if s.cost else "")
            sav.row(
                s.knob,
                _b(s.bytes),
                _pct(s.bytes, size),
                s.basis.value,
                s.how,
                detail,
            )
        console.print(sav.render(console))
    for note in ex.notes:
        console.print(f"note: {escape(note)}")
    if ex.inner is not None:
        inner_size = ex.inner.layout.file_size
        console.print(
            f"\n[bold]Inside the UPX packing[/]: {_b(size)} bytes packed, "
            f"{_b(inner_size)} bytes unpacked ({_pct(size, inner_size)} of the unpacked size)"
        )
        render(ex.inner, console, by, top)


def _render_packages(ex: Explanation, console: Console, top: int) -> None:
    code = ex.code
    assert code is not None
    table = _table(
        f"Code by Go package (.text {_b(code.text_size)} bytes)",
        "package",
        "bytes",
        "share",
        "funcs",
        names=("package",),
    )
    shown = code.packages if top <= 0 else code.packages[:top]
    for p in shown:
        table.row(
            p.name or "(no package: go:/type: symbols)",
            _b(p.size),
            _pct(p.size, code.text_size),
            _b(p.functions),
        )
    rest = code.packages[len(shown) :]
    if rest:
        rest_size = sum(p.size for p in rest)
        table.row(
            f"… {len(rest)} more packages",
            _b(rest_size),
            _pct(rest_size, code.text_size),
            _b(sum(p.functions for p in rest)),
        )
    table.row(
        "non-Go code and padding", _b(code.non_go_code), _pct(code.non_go_code, code.text_size), ""
    )
    table.section()
    table.row(
        ".text total", _b(code.text_size), "100.0%", _b(sum(p.functions for p in code.packages))
    )
    console.print(table.render(console))


#: The areas of :class:`PackageBytes`, in the order the table shows them.
AREAS = ("code", "pclntab", "types", "data", "symbols", "dwarf")


def _render_attribution(ex: Explanation, console: Console, top: int) -> None:
    """Every package's bytes area by area (code, pclntab, type metadata, data, symbols, DWARF;
    areas the file lacks are left out), the named runtime tables, and the share of the file
    attributed at all."""
    att = ex.attribution
    if att is None:
        return
    size = ex.layout.file_size
    console.print(
        f"Attributed: {100 * att.share:.1f}% of the file ({_b(att.to_packages)} bytes to Go "
        f"packages, {_b(att.to_tables)} to named runtime tables and linker symbols"
        + (f"; {_b(att.unexplained)} unexplained" if att.unexplained else "")
        + ")"
    )
    areas = [a for a in AREAS if any(getattr(p, a) for p in att.packages)] or ["code"]
    table = _table(
        "File bytes by Go package", "package", *areas, "total", "share", names=("package",)
    )

    def cells(rows: list[PackageBytes]) -> list[str]:
        total = sum(p.total for p in rows)
        cols = [_b(sum(getattr(p, a) for p in rows)) for a in areas]
        return [*cols, _b(total), _pct(total, size)]

    named = [p for p in att.packages if p.name]
    shown = named if top <= 0 else named[:top]
    for p in shown:
        table.row(p.name, *cells([p]))
    rest = named[len(shown) :]
    if rest:
        table.row(f"… {len(rest)} more packages", *cells(rest))
    for p in att.packages:
        if not p.name:
            table.row("(no package: go:/type:/C symbols)", *cells([p]))
    table.section()
    blank = [""] * len(areas)
    for t in att.tables:
        name = f"{t.name} (unexplained)" if t.unexplained else t.name
        table.row(name, *blank, _b(t.size), _pct(t.size, size))
    console.print(table.render(console))


def _render_functions(ex: Explanation, console: Console, top: int) -> None:
    if ex.pclntab is None or ex.code is None:
        return
    total = ex.code.text_size
    table = _table(
        "Largest Go functions",
        "function",
        "package",
        "bytes",
        "share",
        names=("function",),
        secondary="package",
    )
    shown = ex.top_functions(top)
    for f in shown:
        table.row(f.name, f.package, _b(f.size), _pct(f.size, total))
    rest = len(ex.pclntab.functions) - len(shown)
    if rest > 0:
        rest_size = ex.code.go_code - sum(f.size for f in shown)
        table.row(f"… {rest} more functions", "", _b(rest_size), _pct(rest_size, total))
    table.row(
        "non-Go code and padding", "", _b(ex.code.non_go_code), _pct(ex.code.non_go_code, total)
    )
    console.print(table.render(console))


def _render_buildinfo(ex: Explanation, console: Console) -> None:
    bi = ex.buildinfo
    assert bi is not None
    table = _table("Build info (from the binary)", "key", "value", names=("key",))
    table.row("go", bi.go_version)
    for key, value in bi.settings:
        table.row(key, value)
    for dep in bi.deps:
        repl = f" => {dep.replace.path} {dep.replace.version}" if dep.replace else ""
        table.row("dep", f"{dep.path} {dep.version}{repl}")
    console.print(table.render(console))

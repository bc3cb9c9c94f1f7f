"""``explain``: map a file, attribute its bytes, decode its Go metadata, compute savings."""

from __future__ import annotations

import mmap
import os
import shutil
import tempfile
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import groupby
from operator import attrgetter

from gobinopt.binary import Category, Layout, map_file, read_layout
from gobinopt.binary.categories import ORDER
from gobinopt.explain.attribute import attribute_by_package
from gobinopt.explain.interface import (
    Basis,
    CategoryTotal,
    CodeAttribution,
    Explanation,
    Saving,
)
from gobinopt.explain.savings import compute_savings, strip_cost, upx_sample_ratio
from gobinopt.golang import GoMetadataError, PackageSize, PclnTab, read_buildinfo, read_pclntab
from gobinopt.golang.interface import BuildInfo
from gobinopt.observer import SILENT, Observer

_TEXT_NAMES = (".text", "__text")
_PACKAGE = attrgetter("package")
_SIZE = attrgetter("size")


def explain(
    path: str,
    *,
    measure: bool = False,
    savings: bool = True,
    attribute: bool | None = None,
    observer: Observer = SILENT,
) -> Explanation:
    """Explain one binary. ``measure`` runs strip and upx on temporary copies for exact savings.

    ``savings=False`` skips the savings (and the CPU-heavy UPX estimate) for callers that only
    need the byte attribution, such as the matrix runner analysing every artifact. A UPX-packed
    file is looked inside (``upx -d`` on a temporary copy, :mod:`gobinopt.explain.unpack`) only
    with savings on; the result's ``inner`` is then the unpacked program's explanation.

    ``attribute`` (default: the same as ``savings``) splits the pclntab and the symbol tables by
    package (``Explanation.attribution``); callers that compare or store figures (matrix, diff,
    gate) skip it unless they ask.

    Raises InputNotFoundError / BinaryFormatError for unusable input. Corrupt Go metadata in an
    otherwise valid file is reported as a note, not an error: the section report still stands.
    """
    with map_file(path) as mapped:
        observer.stage("reading headers")
        layout = read_layout(path, mapped.data)
        wanted = savings if attribute is None else attribute
        if not savings:
            return _analyse(path, layout, mapped.data, False, observer, None, wanted)
        return _explain_mapped(path, layout, mapped.data, measure, observer, wanted)


def _explain_mapped(
    path: str,
    layout: Layout,
    data: bytes | mmap.mmap,
    measure: bool,
    observer: Observer,
    attribute: bool,
) -> Explanation:
    # The UPX estimate compresses a sample on other threads while the Go metadata is decoded.
    pool = ThreadPoolExecutor(max_workers=1)
    upx_future = pool.submit(upx_sample_ratio, layout, data)
    try:
        return _analyse(path, layout, data, measure, observer, upx_future, attribute)
    finally:
        upx_future.cancel()
        pool.shutdown(wait=True)


def _analyse(
    path: str,
    layout: Layout,
    data: bytes | mmap.mmap,
    measure: bool,
    observer: Observer,
    upx_future: Future[tuple[float, int] | None] | None,
    attribute: bool = True,
) -> Explanation:
    notes: list[str] = list(layout.notes)
    buildinfo: BuildInfo | None = None
    pclntab: PclnTab | None = None
    inner: Explanation | None = None
    if layout.packer:
        from gobinopt.explain.unpack import look_inside, unpack_hint

        if upx_future is None:  # attribution only (matrix, diff, gate): no unpacking
            notes.append(unpack_hint(path, layout.packer))
        else:
            observer.stage("unpacking a copy with upx -d")
            inner, note = look_inside(
                path,
                layout.packer,
                lambda unpacked: explain(unpacked, measure=measure, observer=observer),
            )
            notes.append(note)
    else:
        observer.stage("reading Go build info")
        try:
            buildinfo = read_buildinfo(data, layout)
        except GoMetadataError as exc:
            notes.append(f"Go build info unreadable: {exc.message}")
        observer.stage("reading pclntab")
        try:
            pclntab = read_pclntab(data, layout)
        except GoMetadataError as exc:
            notes.append(f"Go function table unreadable: {exc.message}")
        if buildinfo is None and pclntab is None and not any("unreadable" in n for n in notes):
            notes.append("not a Go binary: no Go build info and no pclntab; sections only")
    code = _attribute_code(layout, pclntab)
    attribution = None
    if attribute and (pclntab is not None or buildinfo is not None):
        observer.stage("attributing metadata to packages")
        attribution = attribute_by_package(layout, data, pclntab, buildinfo, code, notes)
    savings: list[Saving] = []
    if upx_future is not None:
        observer.stage("computing savings")
        savings, saving_notes = compute_savings(
            layout, upx_future.result, buildinfo, pclntab, code, data
        )
        notes.extend(saving_notes)
        if measure and not layout.packer:
            is_go = buildinfo is not None or pclntab is not None
            savings = _measure(path, layout, savings, notes, observer, is_go)
    return Explanation(
        path=path,
        layout=layout,
        categories=_categories(layout),
        buildinfo=buildinfo,
        pclntab=pclntab,
        code=code,
        savings=tuple(savings),
        notes=tuple(notes),
        inner=inner,
        attribution=attribution,
    )


def _categories(layout: Layout) -> tuple[CategoryTotal, ...]:
    files: dict[Category, int] = defaultdict(int)
    mems: dict[Category, int] = defaultdict(int)
    for part in layout.parts:
        files[part.category] += part.file_size
        mems[part.category] += part.mem_size
    size = layout.file_size or 1
    return tuple(
        CategoryTotal(cat, files[cat], mems[cat], files[cat] / size)
        for cat in ORDER
        if files[cat] or mems[cat]
    )


def _attribute_code(layout: Layout, pclntab: PclnTab | None) -> CodeAttribution | None:
    if pclntab is None:
        return None
    text = layout.section(*_TEXT_NAMES)
    sizes: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    # Functions of one package lie together: one step a run, not a step a function.
    for package, run in groupby(pclntab.functions, key=_PACKAGE):
        fns = list(run)
        sizes[package] += sum(map(_SIZE, fns))
        counts[package] += len(fns)
    packages = tuple(
        sorted(
            (PackageSize(name, size, counts[name]) for name, size in sizes.items()),
            key=lambda p: (-p.size, p.name),
        )
    )
    go_code = pclntab.go_code_size
    text_size = text.mem_size or text.file_size if text is not None else go_code
    return CodeAttribution(
        text_size=text_size,
        go_code=go_code,
        non_go_code=max(0, text_size - go_code),
        packages=packages,
    )


def _measure(
    path: str,
    layout: Layout,
    savings: list[Saving],
    notes: list[str],
    observer: Observer,
    is_go: bool,
) -> list[Saving]:
    """Replace computed strip / estimated UPX figures with real runs on temporary copies (the
    post steps of :mod:`gobinopt.steps`, exactly as a matrix runs them)."""
    from gobinopt.steps import Step, apply

    out = [s for s in savings if s.knob not in ("strip", "upx")]
    with tempfile.TemporaryDirectory(prefix="gobinopt-measure-") as tmp:
        stripped = os.path.join(tmp, "stripped")
        shutil.copy2(path, stripped)
        observer.stage("measuring strip")
        res = apply(Step("strip", ("--strip-all",)), stripped)
        source = path
        if res.skipped:
            notes.append(res.message)
            out += [s for s in savings if s.knob == "strip"]
        elif res.ok:
            got = layout.file_size - os.path.getsize(stripped)
            out.append(
                Saving(
                    "strip",
                    "strip --strip-all BINARY",
                    got,
                    Basis.MEASURED,
                    "strip --strip-all run on a copy",
                    cost=strip_cost(is_go),
                )
            )
            source = stripped
        else:
            notes.append(f"strip failed: {_after_label(res.message)}")
        observer.stage("measuring upx --best --lzma")
        packed = os.path.join(tmp, "packed")
        shutil.copy2(source, packed)
        res = apply(Step("upx", ("--best", "--lzma")), packed)
        if res.skipped:
            notes.append(res.message)
            out += [s for s in savings if s.knob == "upx"]
        elif res.ok:
            # Like the estimate: what packing saves on top of stripping.
            got = os.path.getsize(source) - os.path.getsize(packed)
            out.append(
                Saving(
                    "upx",
                    "strip --strip-all BINARY && upx --best --lzma BINARY"
                    if source != path
                    else "upx --best --lzma BINARY",
                    got,
                    Basis.MEASURED,
                    f"upx --best --lzma run on a {'stripped ' if source != path else ''}"
                    f"copy: packed size {os.path.getsize(packed):,} bytes",
                    cost="every start decompresses the program into memory; "
                    "measure start-up before shipping it",
                )
            )
        else:
            out.append(
                Saving(
                    "upx",
                    "upx --best --lzma BINARY",
                    0,
                    Basis.MEASURED,
                    f"upx failed: {_after_label(res.message)}",
                )
            )
    out.sort(key=lambda s: (s.basis is Basis.ESTIMATE, -s.bytes))
    return out


def _after_label(message: str) -> str:
    """A step's message without its leading ``strip --strip-all: `` label."""
    return message.split(": ", 1)[-1][:300] if message else "no message"

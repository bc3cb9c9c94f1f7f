"""`explain` of a UPX-packed binary looks inside: the inner report is the unpacked program's."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import Builder, Spec, run_gobinopt
from gobinopt.explain import Explanation, explain
from gobinopt.explain.unpack import look_inside

needs_upx = pytest.mark.skipif(
    shutil.which("upx") is None or shutil.which("strip") is None,
    reason="upx or strip not found — gobinopt doctor --install upx strip",
)


def unpack_by_hand(packed: Path, out: Path) -> Path:
    upx = shutil.which("upx")
    assert upx is not None
    subprocess.run([upx, "-d", "-q", "-o", str(out), str(packed)], check=True, capture_output=True)
    return out


def breakdown(ex: Explanation) -> tuple[object, ...]:
    """What must agree between two explanations of the same bytes: sizes, parts, categories,
    packages, functions, build info."""
    return (
        ex.layout.file_size,
        tuple((p.name, p.category, p.file_size, p.mem_size) for p in ex.layout.parts),
        ex.categories,
        ex.code,
        ex.pclntab.functions if ex.pclntab else None,
        ex.buildinfo,
        tuple((s.knob, s.bytes, s.basis) for s in ex.savings),
    )


@needs_upx
def test_inner_report_equals_explain_of_the_binary_unpacked_by_hand(
    builder: Builder, tmp_path: Path
) -> None:
    """The inner report of a stripped, upx --best packed build equals `explain` of `upx -d`'s
    output: sizes, sections, categories, packages, functions and savings."""
    packed = builder.build(Spec("httpserver", post="upx"))
    ex = explain(str(packed))
    assert ex.layout.packer == "UPX" and ex.inner is not None
    by_hand = explain(str(unpack_by_hand(packed, tmp_path / "unpacked")))
    assert breakdown(ex.inner) == breakdown(by_hand)
    assert ex.inner.code is not None and len(ex.inner.code.packages) > 20
    assert ex.inner.layout.file_size > ex.layout.file_size
    assert ex.inner.path.startswith(str(packed))
    assert any("unpacked by `upx -d`" in n for n in ex.notes)


@needs_upx
def test_packed_input_is_left_untouched(builder: Builder) -> None:
    """Looking inside decompresses a temporary copy: the packed file keeps its bytes."""
    packed = builder.build(Spec("hello", post="upx"))
    before = packed.read_bytes()
    assert explain(str(packed)).inner is not None
    assert packed.read_bytes() == before


@needs_upx
def test_attribution_only_callers_do_not_unpack(builder: Builder) -> None:
    """With savings off (matrix, diff, gate) a packed file is not unpacked; the hint stays."""
    ex = explain(str(builder.build(Spec("hello", post="upx"))), savings=False)
    assert ex.inner is None
    assert any("run `upx -d -o unpacked" in n for n in ex.notes)


@needs_upx
def test_failing_upx_d_is_a_note_not_an_error(builder: Builder, tmp_path: Path) -> None:
    """A packed file that upx -d refuses (its pack header damaged) keeps the hint with upx's
    reason, and no inner report."""
    packed = tmp_path / "damaged"
    data = bytearray(builder.build(Spec("hello", post="upx")).read_bytes())
    at = data.rfind(b"UPX!")
    data[at + 8 : at + 24] = b"\xff" * 16  # the last pack header's sizes and checksums
    packed.write_bytes(bytes(data))
    inner, note = look_inside(str(packed), "UPX", explain)
    assert inner is None
    assert "upx -d failed" in note and "upx -d -o unpacked" in note


def test_without_upx_the_hint_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without upx on PATH, look_inside gives today's hint and no inner report."""
    monkeypatch.setenv("PATH", os.devnull)
    inner, note = look_inside("/some/packed", "UPX", explain)
    assert inner is None
    assert note.startswith("packed by UPX") and "upx -d -o unpacked packed" in note


@needs_upx
def test_cli_prints_the_inner_breakdown(builder: Builder) -> None:
    """`gobinopt explain PACKED` prints the packed file's report, then the inner program's
    package table."""
    packed = builder.build(Spec("hello", post="upx"))
    res = run_gobinopt("explain", str(packed), env={**os.environ, "COLUMNS": "160"})
    assert res.returncode == 0, res.stderr
    assert "Inside the UPX packing" in res.stdout
    assert "Code by Go package" in res.stdout

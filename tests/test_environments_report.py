"""The environments report: every variant beside the host's same variant, compared by the diff
engine from the store, and the article's WSL claims beside the measurements."""

from __future__ import annotations

from pathlib import Path

import pytest

from gobinopt.matrix import expand, load
from gobinopt.pipeline import Runner
from gobinopt.report.environments import compare_environments, comparison_table, wsl_claims
from gobinopt.results.interface import VariantRecord
from gobinopt.store.sqlite import Store

MATRIX = """
[program]
name = "hello"
path = "{program}"
probe = {{ args = ["-version"], output = "hello" }}

[environments.host]
kind = "native"

[environments.musl]
kind = "musl"

[environments.wsl-path]
kind = "native"
source_dir = "{wsl}"

[axes]
CGO_ENABLED = [0]
post = ["none", "strip"]
"""


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list[VariantRecord]:
    """A real run of tests/programs/hello on the host, with musl-gcc, and from a /mnt/c path."""
    tmp = tmp_path_factory.mktemp("envs")
    program = Path(__file__).parent / "programs" / "hello"
    wsl = tmp / "mnt" / "c" / "Users" / "developer" / "Documents" / "projects" / "hello"
    (tmp / "m.toml").write_text(MATRIX.format(program=program, wsl=wsl))
    with Store(tmp / "s.sqlite") as db:
        return Runner(expand(load(tmp / "m.toml")), db).run().records


def test_every_other_environment_is_compared_with_the_host(records: list[VariantRecord]) -> None:
    """Each ok musl and wsl-path variant gets one comparison whose delta is the size difference
    of the two stored variants."""
    comparisons = compare_environments(records, "host")
    assert {(c.environment, c.other.spec.post) for c in comparisons} == {
        ("musl", "none"),
        ("musl", "strip"),
        ("wsl-path", "none"),
        ("wsl-path", "strip"),
    }
    for c in comparisons:
        assert c.diff.delta == (c.other.size or 0) - (c.reference.size or 0)


def test_musl_without_cgo_is_the_host_build_byte_for_byte(records: list[VariantRecord]) -> None:
    """With CGO_ENABLED=0 the C compiler is never used: the musl build is identical."""
    musl = [c for c in compare_environments(records) if c.environment == "musl"]
    assert musl and all(c.identical and c.diff.delta == 0 for c in musl)


def test_wsl_path_differs_by_its_build_directory(records: list[VariantRecord]) -> None:
    """The same source under a longer /mnt/c path is bigger, and the diff names the build
    directory, not the linker, as what differs."""
    wsl = [c for c in compare_environments(records) if c.environment == "wsl-path"]
    plain = next(c for c in wsl if c.other.spec.post == "none")
    keys = {s.key for s in plain.diff.settings}
    assert "build directory (main module)" in keys and plain.diff.delta > 0
    assert "environment: linker" not in keys
    table = comparison_table(wsl, "host")
    assert f"{plain.diff.delta:+,}" in table and "build directory (main module)" in table


def test_wsl_claims_put_the_measured_figures_beside_the_article(
    records: list[VariantRecord],
) -> None:
    """The 23 % claim row carries the measured percentage, and it does not hold."""
    text = wsl_claims(records, "wsl-path", "host")
    sizes = {(r.spec.environment, r.spec.post): r.size or 0 for r in records if r.ok}
    host, wsl = sizes[("host", "none")], sizes[("wsl-path", "none")]
    assert f"{100 * (wsl - host) / host:+.2f} %" in text
    row = next(line for line in text.splitlines() if "23 %" in line)
    assert row.rstrip().endswith("| no |")

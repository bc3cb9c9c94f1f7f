"""Matrix files: validation with precise messages, expansion, dedup of builds, sharding."""

from __future__ import annotations

from pathlib import Path

import pytest

from gobinopt.matrix import MatrixError, expand, github_matrix, load

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "prog").mkdir(exist_ok=True)
    path = tmp_path / "m.toml"
    path.write_text(text)
    return path


BASE = """
[program]
name = "p"
path = "prog"
[environments.host]
kind = "native"
[axes]
CGO_ENABLED = [0, 1]
buildmode = ["exe", "pie"]
ldflags = ["", "-s -w"]
post = ["none", "strip", "strip,upx", "upx,strip"]
"""


def test_default_matrix_loads_and_expands() -> None:
    """The embedded default matrix is valid: 2×2×2 builds, each with four pipelines."""
    plan = expand(load(ROOT / "matrices" / "default.toml"))
    assert len(plan.builds) == 8
    assert len(plan.variants) == 32
    assert Path(plan.matrix.program.directory, "main.go").exists()


def test_one_build_serves_every_pipeline(tmp_path: Path) -> None:
    """Variants sharing a build spec share one build; ids are unique and stable."""
    plan = expand(load(write(tmp_path, BASE)))
    assert len(plan.variants) == 32 and len(plan.builds) == 8
    ids = [v.id for v in plan.variants]
    assert len(set(ids)) == len(ids)
    assert ids == [v.id for v in expand(load(write(tmp_path, BASE))).variants]


def test_pipeline_order_is_kept(tmp_path: Path) -> None:
    """strip,upx and upx,strip are different pipelines with their steps in order."""
    plan = expand(load(write(tmp_path, BASE)))
    names = {v.pipeline.name: [s.kind for s in v.pipeline.steps] for v in plan.variants}
    assert names["strip,upx"] == ["strip", "upx"]
    assert names["upx,strip"] == ["upx", "strip"]
    upx = next(v for v in plan.variants if v.pipeline.name == "strip,upx")
    assert upx.pipeline.steps[1].args == ("--best", "--lzma")


def test_exclude_and_include(tmp_path: Path) -> None:
    """exclude removes matching variants; include adds one with defaults for unset keys."""
    text = (
        BASE
        + """
[[exclude]]
CGO_ENABLED = 1
buildmode = "pie"
[[include]]
ldflags = "-w"
post = "strip"
"""
    )
    plan = expand(load(write(tmp_path, text)))
    assert not any(v.build.cgo and v.build.buildmode == "pie" for v in plan.variants)
    assert len(plan.variants) == 32 - 8 + 1
    extra = [v for v in plan.variants if v.build.ldflags == "-w"]
    assert len(extra) == 1 and extra[0].pipeline.name == "strip"


def test_shards_partition_builds(tmp_path: Path) -> None:
    """Shards split whole builds: together they are the plan, apart they share no build."""
    plan = expand(load(write(tmp_path, BASE)))
    shards = [plan.shard(i, 3) for i in (1, 2, 3)]
    assert sum(len(s.variants) for s in shards) == len(plan.variants)
    builds = [set(s.builds) for s in shards]
    assert not (builds[0] & builds[1]) and not (builds[1] & builds[2])
    gh = github_matrix(plan, 3)
    assert [e["shard"] for e in gh["include"]] == ["1/3", "2/3", "3/3"]


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("[axes]\nbuildmode = ['exe', 'c-shared']", "axes.buildmode: 'c-shared' unknown value"),
        ("[axes]\nldflags = ['-X']", "axes.ldflags: '-X' unknown value"),
        ("[axes]\npost = ['strip,gzip']", "unknown step 'gzip'"),
        ("[axes]\nCGO_ENABLED = [2]", "axes.CGO_ENABLED: 2 unknown value"),
        ("[axes]\ncolour = ['red']", "axes.colour: unknown axis"),
        ("[environments.x]\nkind = 'vm'", "environments.x.kind: 'vm' unknown kind"),
        ("[environments.d]\nkind = 'docker'", "a docker environment needs image"),
        ("[[exclude]]\nenvironment = 'mars'", "exclude[0].environment: 'mars' unknown environment"),
    ],
)
def test_validation_names_key_value_and_allowed(tmp_path: Path, snippet: str, message: str) -> None:
    """A bad value is reported with the file, the key, the value and what is allowed."""
    text = '[program]\nname = "p"\npath = "prog"\n' + snippet + "\n"
    if "[environments." not in snippet:
        text += '[environments.host]\nkind = "native"\n'
    path = write(tmp_path, text)
    with pytest.raises(MatrixError) as err:
        expand(load(path))
    line = err.value.one_line()
    assert str(path) in line and message in line and "allowed:" in line


def test_malformed_toml_and_missing_program_dir(tmp_path: Path) -> None:
    """Malformed TOML and a program directory that does not exist are one-line errors."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[program\nname=")
    with pytest.raises(MatrixError, match="not valid TOML"):
        load(bad)
    missing = tmp_path / "missing.toml"
    missing.write_text('[program]\npath = "nowhere"\n')
    with pytest.raises(MatrixError, match=r"program\.path: 'nowhere' is not a directory"):
        load(missing)

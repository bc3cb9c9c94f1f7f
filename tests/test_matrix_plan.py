"""Matrix files: validation with precise messages, expansion, dedup of builds, sharding."""

from __future__ import annotations

from pathlib import Path

import pytest

from gobinopt.errors import ExitStatus, InputNotFoundError
from gobinopt.matrix import (
    BuildSpec,
    MatrixError,
    Pipeline,
    Step,
    Variant,
    expand,
    github_matrix,
    load,
)
from gobinopt.matrix.interface import host_goarch

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
    """The embedded default matrix is valid: 2×2×2 builds, each with four pipelines, and it
    measures warm start-up (only) on a small budget, so `recommend --max-start-ms` has data."""
    plan = expand(load(ROOT / "matrices" / "default.toml"))
    assert len(plan.builds) == 8
    assert len(plan.variants) == 32
    latency = plan.matrix.latency
    assert latency is not None and latency.cold is False
    assert latency.budget_s <= 1 and latency.max_runs <= 50
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
        ('[axes]\nldflags = ["-X \'main.v=1"]', 'axes.ldflags: "-X \'main.v=1" cannot be split'),
        (
            "[axes]\npost = ['strip,gzip']",
            "axes.post: unknown step 'gzip' in pipeline 'strip,gzip'",
        ),
        ("[axes]\nGOARCH = ['sparc']", "axes.GOARCH: 'sparc' unknown value"),
        ("[axes]\nGOAMD64 = ['v5']", "axes.GOAMD64: 'v5' unknown value"),
        ("[env]\nCGO_ENABLED = '1'", "env.CGO_ENABLED: cannot be set here"),
        ("[env]\nFOO = 1", "env.FOO: 1 must be a string"),
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


def test_a_bad_step_is_one_clean_sentence(tmp_path: Path) -> None:
    """An unknown post step names the step and its pipeline once, without a dangling word."""
    text = '[program]\npath = "prog"\n[axes]\npost = ["gzip"]\n'
    with pytest.raises(MatrixError) as err:
        load(write(tmp_path, text))
    line = err.value.one_line()
    assert line.endswith("axes.post: unknown step 'gzip' in pipeline 'gzip'; allowed: strip, upx")


def test_a_directory_as_the_matrix_file_is_input_not_found(tmp_path: Path) -> None:
    """A directory given as the matrix file is "not found" (exit 3), as for `explain`."""
    with pytest.raises(InputNotFoundError) as err:
        load(tmp_path)
    assert err.value.status == ExitStatus.NOT_FOUND
    assert "is a directory" in err.value.one_line()


def test_ids_of_default_specs_did_not_change() -> None:
    """Specs that leave the new fields at their defaults keep the ids they always had, so
    existing result stores keep matching (a stability contract, hence the literal ids)."""
    spec = BuildSpec("host", "host", False, "exe", "-s -w", False)
    assert spec.id == "00ece0cf9e"
    steps = (Step("strip", ("--strip-all",)), Step("upx", ("--best", "--lzma")))
    assert Variant(spec, Pipeline("strip,upx", steps)).id == "00ece0cf9e-07c848"
    assert BuildSpec("musl", "1.22.10", True, "pie", "", True).id == "a1d1df3d88"
    assert BuildSpec("host", "host", False, "exe", "-s -w", False, tags="netgo").id != spec.id


def test_ldflags_are_any_argv_normalized_alike_for_rules(tmp_path: Path) -> None:
    """Any -ldflags string is split like argv and joined as go reads it; include/exclude rules
    match after the same normalization, and the go build flag carries the value intact."""
    text = (
        '[program]\npath = "prog"\n[axes]\n'
        'ldflags = ["-X main.version=\'1 2\'   -s", "-buildid= -w", "none"]\n'
        '[[exclude]]\nldflags = "-buildid=   -w"\n'
        '[[include]]\nldflags = "-X   main.version=3"\n'
    )
    plan = expand(load(write(tmp_path, text)))
    flags = [v.build.ldflags for v in plan.variants]
    assert flags == ["-X 'main.version=1 2' -s", "", "-X main.version=3"]
    assert plan.variants[0].build.ldflags_args() == ["-X", "main.version=1 2", "-s"]
    assert "-ldflags=-X 'main.version=1 2' -s" in plan.variants[0].build.go_args()


def test_tags_goarch_goamd64_and_env_axes(tmp_path: Path) -> None:
    """tags, GOARCH and GOAMD64 are axes (GOAMD64 only multiplies amd64 variants, the host's
    GOARCH is the default spec), [env] reaches every spec, and rules match the new keys."""
    text = (
        '[program]\npath = "prog"\n[axes]\n'
        'tags = ["", "osusergo netgo"]\n'
        f'GOARCH = ["{host_goarch()}", "riscv64"]\n'
        'GOAMD64 = ["", "v3"]\n'
        '[env]\nGOEXPERIMENT = "loopvar"\n'
        '[[exclude]]\ntags = "netgo,osusergo"\nGOARCH = "riscv64"\n'
    )
    plan = expand(load(write(tmp_path, text)))
    specs = [v.build for v in plan.variants]
    assert all(s.env == (("GOEXPERIMENT", "loopvar"),) for s in specs)
    by_arch = {(s.goarch, s.tags, s.goamd64) for s in specs}
    amd64 = host_goarch() == "amd64"
    host = {("", t, a) for t in ("", "netgo,osusergo") for a in (("", "v3") if amd64 else ("",))}
    assert by_arch == host | {("riscv64", "", "")}
    cross = next(v for v in plan.variants if v.build.goarch == "riscv64")
    assert "GOARCH=riscv64" in cross.label() and cross.fields()["GOARCH"] == "riscv64"
    tagged = next(v for v in plan.variants if v.build.tags)
    assert "-tags=netgo,osusergo" in tagged.build.go_args()
    assert "-tags=netgo,osusergo" in tagged.label()
    assert plan.variants[0].fields()["GOARCH"] == host_goarch()


def test_the_environment_spells_the_build_it_runs(tmp_path: Path) -> None:
    """The environment's build command carries CGO_ENABLED, CC=musl-gcc (by kind, whatever the
    name), GOFLAGS with -buildvcs=false plus the user's, GOARCH/GOAMD64 and [env] variables,
    and musl's static link flags merged into -ldflags."""
    from gobinopt.envs.musl import MuslEnvironment
    from gobinopt.envs.native import NativeEnvironment

    spec = BuildSpec(
        "alpine", "host", True, "exe", "-s -w", False, goamd64="v3", env=(("FOO", "a b"),)
    )
    cmd = MuslEnvironment("alpine").command("/x/go", spec, "/src", ".", "app", {"GOFLAGS": "-x"})
    assert dict(cmd.env) == {
        "CGO_ENABLED": "1",
        "CC": "musl-gcc",
        "GOFLAGS": "-buildvcs=false -x",
        "GOAMD64": "v3",
        "FOO": "a b",
    }
    assert cmd.argv == (
        "/x/go",
        "build",
        "-buildmode=exe",
        "-ldflags=-s -w -linkmode external -extldflags -static",
        "-o",
        "app",
        ".",
    )
    assert cmd.shell() == (
        "CGO_ENABLED=1 CC=musl-gcc GOFLAGS='-buildvcs=false -x' GOAMD64=v3 FOO='a b' "
        "go build -buildmode=exe '-ldflags=-s -w -linkmode external -extldflags -static' "
        "-o app ."
    )
    own = BuildSpec("host", "host", False, "exe", "", False, env=(("GOFLAGS", "-mod=mod"),))
    native = NativeEnvironment("host").command("go", own, "/src", ".", "app", {"GOFLAGS": "-x"})
    assert dict(native.env)["GOFLAGS"] == "-buildvcs=false -mod=mod"
    assert "CC" not in dict(native.env)

"""The environment seam: one registry of kinds, a pipeline that talks only to the protocol, post
steps and probes run by the environment that built the artifact, one hermetic `go build`, and
source_dir builds whose embedded paths `gobinopt diff` shows."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from conftest import PROGRAMS, TESTS, run_gobinopt
from gobinopt.envs import Unsupported, backend_for, registry
from gobinopt.envs.gobuild import BASE_GOFLAGS, hermetic_env
from gobinopt.envs.interface import RunResult
from gobinopt.envs.musl import MuslEnvironment
from gobinopt.envs.native import NativeEnvironment
from gobinopt.matrix import expand, load
from gobinopt.matrix.interface import Environment, MatrixError
from gobinopt.pipeline import Runner, RunSummary, SourceDirError
from gobinopt.pipeline.source import MARKER
from gobinopt.store.sqlite import Store

SRC = TESTS.parent / "src" / "gobinopt"
UPX = os.access("/usr/bin/upx", os.X_OK)


def _imports(path: Path) -> set[str]:
    """Every module a Python file imports, at any depth (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def test_registry_returns_the_backend_of_each_kind() -> None:
    """native and musl get the host backends, docker and wsl the backends named after them,
    each with the environment's name and kind."""
    native = backend_for(Environment("h", "native"))
    musl = backend_for(Environment("m", "musl"))
    assert type(native) is NativeEnvironment and (native.name, native.kind) == ("h", "native")
    assert type(musl) is MuslEnvironment and (musl.name, musl.kind) == ("m", "musl")
    docker = backend_for(Environment("d", "docker", "gobinopt/bookworm:go1.26.6"))
    wsl = backend_for(Environment("w", "wsl", "Debian"))
    assert type(docker).__name__ == "DockerEnvironment" and docker.kind == "docker"
    assert type(wsl).__name__ == "WslEnvironment" and wsl.kind == "wsl"
    for backend in (native, musl, docker, wsl):
        backend.close()


def test_a_kind_whose_module_is_absent_is_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """When a kind's backend module is not in the installation, backend_for returns a backend
    whose builds are skipped with "not available in this version", and a run records that."""
    monkeypatch.setitem(registry._LAZY, "docker", ("gobinopt.envs.no_such_backend", "X"))
    backend = backend_for(Environment("d", "docker", "img"))
    reason = "skipped: docker environments are not available in this version"
    assert isinstance(backend, Unsupported) and backend.missing_tool(False) == reason
    path = tmp_path / "m.toml"
    path.write_text(
        f'[program]\npath = "{PROGRAMS / "hello"}"\n'
        '[environments.d]\nkind = "docker"\nimage = "img"\n'
    )
    with Store(tmp_path / "s.sqlite") as db:
        summary = Runner(expand(load(path)), db).run()
    assert [(r.status.value, r.reason) for r in summary.records] == [("skipped", reason)]


def test_the_pipeline_imports_no_concrete_backend_and_steps_and_probe_not_matrix() -> None:
    """No module of gobinopt.pipeline imports a backend module (native, musl, docker, wsl),
    and neither steps nor the probes import gobinopt.matrix."""
    backends = {f"gobinopt.envs.{k}" for k in ("native", "musl", "docker", "wsl")}
    files = sorted((SRC / "pipeline").glob("*.py"))
    assert len(files) >= 5
    for path in files:
        bad = {m for m in _imports(path) if any(m.startswith(b) for b in backends)}
        assert not bad, f"{path.name} imports {bad}"
    for path in [*(SRC / "steps").glob("*.py"), *(SRC / "probe").glob("*.py")]:
        assert not any(m.startswith("gobinopt.matrix") for m in _imports(path)), path
    assert not (SRC / "matrix" / "run.py").exists()


def test_the_hermetic_go_invocation_is_written_once() -> None:
    """GOTOOLCHAIN=local is set by exactly one module of the project (envs/gobuild.py), which
    every build, test and benchmark takes its environment from."""
    pattern = re.compile(
        r"""GOTOOLCHAIN\s*=\s*["']local["']|["']GOTOOLCHAIN["']\]?\s*[:,=]\s*["']local["']"""
    )
    roots = [SRC, TESTS, TESTS.parent / "benchmarks", TESTS.parent / "scripts"]
    hits = sorted(
        str(p.relative_to(TESTS.parent))
        for root in roots
        if root.is_dir()
        for p in root.rglob("*.py")
        if ".cache" not in p.parts and p.name != "test_envs.py" and pattern.search(p.read_text())
    )
    assert hits == ["src/gobinopt/envs/gobuild.py"]


def test_hermetic_env_drops_goroot_and_keeps_the_users_goflags() -> None:
    """hermetic_env drops GOROOT, sets GOTOOLCHAIN=local and GOCACHE, and puts -buildvcs=false
    before the user's GOFLAGS; with base={} it holds only its own variables."""
    env = hermetic_env("/c", base={"GOROOT": "/old", "GOFLAGS": "-mod=mod", "HOME": "/h"})
    assert env == {
        "HOME": "/h",
        "GOTOOLCHAIN": "local",
        "GOFLAGS": f"{BASE_GOFLAGS} -mod=mod",
        "GOCACHE": "/c",
    }
    assert set(hermetic_env(base={}, offline=True)) == {
        "GOTOOLCHAIN",
        "GOFLAGS",
        "GOPROXY",
        "GO111MODULE",
    }


def test_native_run_reports_missing_tools_timeouts_and_extra_variables(tmp_path: Path) -> None:
    """The host's run: a missing tool is 127 "not found", an expired timeout None, and env
    adds variables on top of the process environment."""
    host = NativeEnvironment("host")
    missing = host.run(["gobinopt-no-such-tool"], cwd=str(tmp_path), timeout=5)
    assert missing.returncode == 127 and "not found" in missing.stderr
    slow = host.run(["sleep", "5"], cwd=str(tmp_path), timeout=0.2)
    assert slow.returncode is None and slow.timed_out and slow.seconds < 4
    shown = host.run(
        ["sh", "-c", 'echo "$GOBINOPT_X $HOME"'],
        cwd=str(tmp_path),
        env={"GOBINOPT_X": "y"},
        timeout=5,
    )
    assert shown.returncode == 0 and shown.stdout.split() == ["y", os.environ["HOME"]]


def test_native_fingerprint_names_strip_upx_and_wsl() -> None:
    """The host's fingerprint carries the versions of the strip and upx its post steps run and
    whether it is WSL 1, 2 or not WSL."""
    fp = NativeEnvironment("host").fingerprint("go")

    def first(*argv: str) -> str:
        res = subprocess.run(argv, capture_output=True, text=True, check=False)
        return (res.stdout or res.stderr).strip().splitlines()[0].strip()

    assert fp["strip"] == first("strip", "--version")
    if UPX:
        assert fp["upx"] == first("upx", "--version")
    assert fp["wsl"] in ("false", "1", "2", "true")


class RecordingNativeEnvironment(NativeEnvironment):
    """Stand-in that records: the real host backend, which also notes every command it runs
    and whether it was closed (the commands still run for real)."""

    def __init__(self, environment: Environment | str) -> None:
        super().__init__(environment)
        self.ran: list[tuple[tuple[str, ...], str, frozenset[str]]] = []
        self.closed = 0

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str] | None = None,
        timeout: float,
    ) -> RunResult:
        """Record, then run for real."""
        self.ran.append((tuple(argv), cwd, frozenset(env or ())))
        return super().run(argv, cwd=cwd, env=env, timeout=timeout)

    def close(self) -> None:
        """Count."""
        self.closed += 1


@pytest.mark.skipif(not UPX, reason="upx needed — apt-get install upx-ucl")
def test_post_steps_and_probes_run_through_the_environment(tmp_path: Path) -> None:
    """Every post step and every smoke probe (the large-environment one of a packed binary
    included) is run by the backend that built the artifact, in the build's output directory,
    and the backend is closed once when the run ends."""
    path = tmp_path / "m.toml"
    path.write_text(
        f'[program]\npath = "{PROGRAMS / "hello"}"\nprobe = {{ output = "hello" }}\n'
        '[axes]\nldflags = ["-s -w"]\npost = ["none", "strip,upx"]\n'
    )
    made: list[RecordingNativeEnvironment] = []

    def backends(env: Environment) -> RecordingNativeEnvironment:
        made.append(RecordingNativeEnvironment(env))
        return made[-1]

    with Store(tmp_path / "s.sqlite") as db:
        summary = Runner(expand(load(path)), db, force=True, backends=backends).run()
    assert len(made) == 1 and made[0].closed == 1
    assert {r.status.value for r in summary.records} == {"ok"}
    ran = made[0].ran
    tools = [argv[:-1] for argv, _, _ in ran if argv[0] in ("strip", "upx")]
    assert tools == [("strip", "--strip-all"), ("upx", "-q", "--best", "--lzma")]
    artifacts = {r.artifact for r in summary.records}
    probes = [(argv, env) for argv, _, env in ran if argv[0] in artifacts]
    assert sorted(a for a, env in probes if not env) == sorted((a, "-version") for a in artifacts)
    packed = next(r.artifact for r in summary.records if r.spec.post == "strip,upx")
    assert [a for a, env in probes if env] == [(packed, "-version")]
    out_dir = str(Path(packed).parent)
    assert all(cwd.startswith(out_dir) for _, cwd, _ in ran)


WSL_STYLE = """
[environments.host]
kind = "native"
[environments.wslpath]
kind = "native"
source_dir = "{source_dir}"
[axes]
ldflags = [""]
"""


def _source_dir_run(tmp_path: Path) -> tuple[Path, RunSummary]:
    source_dir = tmp_path / "mnt" / "c" / "Users" / "me" / "src" / "app"
    path = tmp_path / "m.toml"
    path.write_text(
        f'[program]\npath = "{PROGRAMS / "hello"}"\n' + WSL_STYLE.format(source_dir=source_dir)
    )
    with Store(tmp_path / "s.sqlite") as db:
        return source_dir, Runner(expand(load(path)), db, force=True).run()


def test_source_dir_build_embeds_the_longer_path_and_diff_shows_it(tmp_path: Path) -> None:
    """The same program built in place and from a copy under .../mnt/c/Users/me/src/app:
    `gobinopt diff` shows the main module's build directory differing and a larger
    .gopclntab for the longer path; the source_dir is in the fingerprint (the store key)."""
    source_dir, summary = _source_dir_run(tmp_path)
    recs = {r.spec.environment: r for r in summary.records}
    assert {r.status.value for r in recs.values()} == {"ok"}
    assert (source_dir / "main.go").is_file() and (source_dir / MARKER).is_file()
    assert dict(recs["wslpath"].fingerprint)["source_dir"] == str(source_dir)
    assert "source_dir" not in dict(recs["host"].fingerprint)
    res = run_gobinopt("diff", recs["host"].artifact, recs["wslpath"].artifact, "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    settings = {s["key"]: (s["old"], s["new"]) for s in doc["settings"]}
    old_dir, new_dir = settings["build directory (main module)"]
    assert (old_dir, new_dir) == (str(PROGRAMS / "hello"), str(source_dir))
    sections = {r["name"]: r for r in doc["levels"]["sections"]["rows"]}
    assert sections[".gopclntab"]["delta"] > 0


def test_source_dir_is_refused_for_std_packages_overlaps_and_foreign_files(
    tmp_path: Path,
) -> None:
    """A source_dir with a std: program, or inside the program's module, is a matrix error
    naming the key; a non-empty directory gobinopt did not fill is refused before any build."""
    path = tmp_path / "m.toml"
    path.write_text(
        '[program]\npath = "std:cmd/gofmt"\n'
        f'[environments.w]\nkind = "native"\nsource_dir = "{tmp_path / "w"}"\n'
    )
    with pytest.raises(MatrixError, match=r"environments\.w\.source_dir: .*std: package"):
        load(path)
    path.write_text(
        f'[program]\npath = "{PROGRAMS / "hello"}"\n'
        f'[environments.w]\nkind = "native"\nsource_dir = "{PROGRAMS / "hello" / "sub"}"\n'
    )
    with pytest.raises(MatrixError, match="overlaps the source tree"):
        load(path)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    path.write_text(
        f'[program]\npath = "{PROGRAMS / "hello"}"\n'
        f'[environments.w]\nkind = "native"\nsource_dir = "{foreign}"\n'
    )
    with Store(tmp_path / "s.sqlite") as db, pytest.raises(SourceDirError, match="not empty"):
        Runner(expand(load(path)), db).run()
    assert (foreign / "precious.txt").read_text() == "keep me"

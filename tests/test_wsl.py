"""WSL environments: detection against recorded kernel strings, path translation, the wsl.exe
command line, and real builds, post steps and probes through a stand-in for wsl.exe."""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gobinopt.envs import backend_for
from gobinopt.envs.interface import BuildResult
from gobinopt.envs.native import NativeEnvironment
from gobinopt.envs.wsl import (
    WSL_MISSING,
    WslEnvironment,
    WslError,
    WslLauncher,
    WslPathError,
    automount_root,
    libc_from_ldd,
    windows_to_wsl,
    wsl_to_windows,
    wsl_version,
)
from gobinopt.errors import ExitStatus, ToolMissingError
from gobinopt.matrix.interface import BuildSpec, Environment
from gobinopt.steps import Step, apply

DATA = Path(__file__).resolve().parent / "data" / "wsl"
HELLO = Path(__file__).resolve().parent / "programs" / "hello"
DISTRO = "Debian"


def recorded(name: str) -> list[str]:
    """The non-comment lines of a recorded data file."""
    text = (DATA / name).read_text(encoding="utf-8")
    return [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@dataclass(frozen=True)
class StandInWslLauncher(WslLauncher):
    """stand-in for wsl.exe, which cannot exist on Linux.

    Only the final process spawn is replaced: the argv wsl.exe would get is checked, its
    ``wsl.exe --distribution X --cd D --exec`` prefix stripped, and the rest run here with
    cwd=D in a fresh environment like the one ``--exec`` gives (PATH, HOME, USER, LANG). A
    distro not in ``distros`` gets wsl.exe's recorded answer and status 0xFFFFFFFF, in UTF-8
    (WSL_UTF8=1) or in UTF-16LE (wsl.exe's default) as ``utf16`` says."""

    distros: tuple[str, ...] = (DISTRO,)
    utf16: bool = False
    #: Every argv wsl.exe was given, in order.
    seen: list[list[str]] = field(default_factory=list)

    def _spawn(
        self, argv: list[str], *, stdin: bytes | None, timeout: float
    ) -> subprocess.CompletedProcess[bytes]:
        self.seen.append(list(argv))
        assert argv[0] == self.exe == "wsl.exe"
        assert argv[1] == "--distribution" and argv[2] == self.distro
        assert argv[3] == "--cd" and argv[4].startswith("/")
        assert argv[5] == "--exec"
        rest = argv[6:]
        if stdin is None:
            assert rest[0] == "env"
        else:
            assert rest[:2] == ["sh", "-c"]
        if self.distro not in self.distros:
            message = (DATA / "distro-not-found.txt").read_bytes()
            if self.utf16:
                message = message.decode().encode("utf-16-le")
            return subprocess.CompletedProcess(argv, 0xFFFFFFFF, message, b"")
        env = {k: os.environ[k] for k in ("PATH", "HOME", "USER", "LANG") if k in os.environ}
        return subprocess.run(
            rest,
            cwd=argv[4],
            env=env,
            input=stdin,
            capture_output=True,
            timeout=timeout,
            check=False,
        )


def environment(
    launcher: StandInWslLauncher | None = None, windows_host: bool = False
) -> WslEnvironment:
    """A WslEnvironment of the stand-in distro."""
    return WslEnvironment(
        Environment("wsl", "wsl", DISTRO),
        launcher or StandInWslLauncher(DISTRO),
        windows_host=windows_host,
    )


def spec(cgo: bool = False) -> BuildSpec:
    """The plain build of the matrix defaults, in the wsl environment."""
    return BuildSpec("wsl", "host", cgo, "exe", "", False)


def sha256(path: str | Path) -> str:
    """Hex digest of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def unc(path: Path) -> str:
    """The Windows (UNC) path of a file of the stand-in distro."""
    return "\\\\wsl.localhost\\" + DISTRO + str(path).replace("/", "\\")


# --- detection --------------------------------------------------------------------------------


@pytest.mark.parametrize("release", recorded("wsl2-releases.txt"))
def test_recorded_wsl2_kernel_releases_say_wsl_2(release: str, tmp_path: Path) -> None:
    """Every recorded WSL 2 kernel release is detected as WSL 2 on its own."""
    assert wsl_version(release, {}, str(tmp_path)) == 2


@pytest.mark.parametrize("release", recorded("wsl1-releases.txt"))
def test_recorded_wsl1_kernel_releases_say_wsl_1(release: str, tmp_path: Path) -> None:
    """Every recorded WSL 1 kernel release is detected as WSL 1, even with WSL's variables."""
    assert wsl_version(release, {}, str(tmp_path)) == 1
    assert wsl_version(release, {"WSL_DISTRO_NAME": "Ubuntu"}, str(tmp_path)) == 1


@pytest.mark.parametrize("line", recorded("proc-version.txt"))
def test_recorded_proc_version_lines_give_their_wsl_version(line: str, tmp_path: Path) -> None:
    """A whole /proc/version line is recognised as the WSL version it was recorded from."""
    version, text = line.split(" ", 1)
    assert wsl_version(text, {}, str(tmp_path)) == int(version)


@pytest.mark.parametrize("release", recorded("not-wsl-releases.txt"))
def test_other_kernels_are_not_wsl(release: str, tmp_path: Path) -> None:
    """Stock distro kernels and Docker Desktop's VM are not WSL."""
    assert wsl_version(release, {"HOME": "/root"}, str(tmp_path)) is None


def test_this_machine_is_not_wsl() -> None:
    """The machine the tests run on (a Linux that is not WSL) is detected as no WSL."""
    with open("/proc/version", encoding="utf-8") as fh:
        assert "microsoft" not in fh.read().lower(), "these tests expect a Linux that is not WSL"
    assert wsl_version(platform.release(), os.environ) is None


@pytest.mark.parametrize(
    ("environ", "entry"),
    [
        ({"WSL_DISTRO_NAME": "Ubuntu"}, ""),
        ({"WSL_INTEROP": "/run/WSL/410_interop"}, ""),
        ({}, "WSLInterop"),
        ({}, "WSLInterop-late"),
    ],
)
def test_a_custom_kernel_is_wsl_2_by_wsls_marks(
    environ: dict[str, str], entry: str, tmp_path: Path
) -> None:
    """A release that names no Microsoft is WSL 2 when WSL's variable or interop entry is there."""
    if entry:
        shutil.copy(DATA / "binfmt-WSLInterop.txt", tmp_path / entry)
    (tmp_path / "status").write_text("enabled\n")
    assert wsl_version("6.12.1-custom", environ, str(tmp_path)) == 2
    assert wsl_version("6.12.1-custom", {}, str(tmp_path / "absent")) is None


def test_libc_is_read_from_ldd_of_glibc_and_musl() -> None:
    """`ldd --version` of glibc and of musl name their family and version."""
    assert libc_from_ldd("ldd (Debian GLIBC 2.36-9+deb12u7) 2.36\nCopyright") == "glibc 2.36"
    musl = "musl libc (x86_64)\nVersion 1.2.4\nDynamic Program Loader\n"
    assert libc_from_ldd(musl) == "musl 1.2.4"


# --- paths ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("windows", "wsl"),
    [
        ("C:\\src\\app", "/mnt/c/src/app"),
        ("C:/src/app", "/mnt/c/src/app"),
        ("d:\\Users\\Me\\Go Projects\\", "/mnt/d/Users/Me/Go Projects"),
        ("C:\\", "/mnt/c"),
        ("E:", "/mnt/e"),
        ("C:\\src\\.\\app\\..\\lib", "/mnt/c/src/lib"),
        ("\\\\?\\C:\\very\\long", "/mnt/c/very/long"),
        ("\\\\wsl$\\Debian\\home\\me", "/home/me"),
        ("\\\\wsl.localhost\\Debian\\home\\me\\src", "/home/me/src"),
        ("\\\\WSL.LOCALHOST\\debian\\", "/"),
    ],
)
def test_windows_paths_translate_to_the_distro(windows: str, wsl: str) -> None:
    """Drive paths land under /mnt/<lower-case letter>; wsl$ and wsl.localhost in the distro."""
    assert windows_to_wsl(windows, distro=DISTRO) == wsl


@pytest.mark.parametrize(
    ("wsl", "windows"),
    [
        ("/mnt/c/src/app", "C:\\src\\app"),
        ("/mnt/c", "C:\\"),
        ("/mnt/d/Users/Me/Go Projects/", "D:\\Users\\Me\\Go Projects"),
        ("/home/me/src", "\\\\wsl.localhost\\Debian\\home\\me\\src"),
        ("/mnt/wsl/shared", "\\\\wsl.localhost\\Debian\\mnt\\wsl\\shared"),
    ],
)
def test_distro_paths_translate_to_windows(wsl: str, windows: str) -> None:
    """Drive mounts become drive letters, the distro's own files \\\\wsl.localhost paths."""
    assert wsl_to_windows(wsl, distro=DISTRO) == windows
    assert windows_to_wsl(windows, distro=DISTRO) == wsl.rstrip("/")


def test_a_custom_automount_root_moves_the_drives() -> None:
    """With `[automount] root = /win/` in wsl.conf, C:\\src is /win/c/src and back."""
    root = automount_root((DATA / "wsl.conf").read_text())
    assert root == "/win/"
    assert windows_to_wsl("C:\\src\\app", root=root) == "/win/c/src/app"
    assert wsl_to_windows("/win/c/src/app", root=root) == "C:\\src\\app"
    assert wsl_to_windows("/", root="/", distro=DISTRO) == "\\\\wsl.localhost\\Debian"
    assert windows_to_wsl("C:\\src", root="/") == "/c/src"
    with pytest.raises(WslPathError, match="mount point"):
        wsl_to_windows("/mnt/c/src", root=root)


def test_wsl_conf_defaults_and_disabled_automount() -> None:
    """No wsl.conf means /mnt/; a root without its slash gets one; enabled = false means none."""
    assert automount_root("") == "/mnt/"
    assert automount_root("[automount]\nroot = /drives\n") == "/drives/"
    assert automount_root('[automount]\nroot = "/w/"\n') == "/w/"
    assert automount_root("[automount]\nenabled = false\n") is None
    with pytest.raises(WslPathError, match="absolute"):
        automount_root("[automount]\nroot = drives\n")
    with pytest.raises(WslPathError, match=r"wsl\.conf") as err:
        automount_root("root = /w/\n")
    assert err.value.status is ExitStatus.BAD_INPUT


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("src\\app", "not an absolute"),
        ("C:src\\app", "drive-relative"),
        ("/home/me", "not an absolute"),
        ("\\\\fileserver\\share\\src", "network share"),
        ("\\\\wsl.localhost\\Ubuntu\\home\\me", "not of 'Debian'"),
        ("\\\\wsl$", "names no distro"),
    ],
)
def test_untranslatable_windows_paths_are_clear_errors(path: str, why: str) -> None:
    """Relative, drive-relative, network and other distros' paths raise with a hint."""
    with pytest.raises(WslPathError, match=why) as err:
        windows_to_wsl(path, distro=DISTRO)
    assert err.value.hint


def test_untranslatable_distro_paths_are_clear_errors() -> None:
    """A relative distro path, or a distro file without the distro's name, raises with a hint."""
    with pytest.raises(WslPathError, match="not an absolute"):
        wsl_to_windows("src/app", distro=DISTRO)
    with pytest.raises(WslPathError, match="own files") as err:
        wsl_to_windows("/home/me")
    assert "wsl.localhost" in err.value.hint


# --- the wsl.exe command line -----------------------------------------------------------------


def test_the_command_line_passes_variables_through_env() -> None:
    """wsl.exe gets --distribution, --cd, --exec, then env with the variables, then the program."""
    argv = WslLauncher("Ubuntu-24.04").argv(
        ["go", "build", "-o", "/mnt/c/out/app", "."],
        cwd="/mnt/c/src/app",
        env={"CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false -mod=mod"},
    )
    assert argv == [
        "wsl.exe",
        "--distribution",
        "Ubuntu-24.04",
        "--cd",
        "/mnt/c/src/app",
        "--exec",
        "env",
        "CGO_ENABLED=0",
        "GOFLAGS=-buildvcs=false -mod=mod",
        "go",
        "build",
        "-o",
        "/mnt/c/out/app",
        ".",
    ]


def test_the_command_line_refuses_what_it_cannot_express() -> None:
    """A Windows cwd, a bad variable name or a program env would misread are errors."""
    launcher = WslLauncher(DISTRO)
    with pytest.raises(WslPathError):
        launcher.argv(["go"], cwd="C:\\src")
    with pytest.raises(WslError, match="variable name"):
        launcher.argv(["go"], cwd="/", env={"A-B": "1"})
    with pytest.raises(WslPathError, match="env"):
        launcher.argv(["A=b"], cwd="/")


def test_there_is_no_wsl_exe_on_linux() -> None:
    """On Linux a wsl environment is skipped with the line that says where it works instead."""
    assert shutil.which("wsl.exe") is None
    env = WslEnvironment(Environment("wsl", "wsl", DISTRO))
    assert env.missing_tool(False) == WSL_MISSING
    assert WSL_MISSING.startswith("skipped: wsl.exe not found — ")
    assert 'use kind = "native"' in WSL_MISSING


def test_the_real_launcher_needs_wsl_exe() -> None:
    """Without wsl.exe the real launcher raises the tool-missing error with the native hint."""
    with pytest.raises(ToolMissingError, match=r"wsl\.exe not found") as err:
        WslLauncher(DISTRO).run(["true"], cwd="/", timeout=30)
    assert 'kind = "native"' in err.value.hint


def test_the_registry_drives_kind_wsl_with_this_backend() -> None:
    """`backend_for` turns a wsl environment into a WslEnvironment of its distro."""
    backend = backend_for(Environment("win", "wsl", DISTRO))
    assert isinstance(backend, WslEnvironment)
    assert (backend.name, backend.kind, backend.distro) == ("win", "wsl", DISTRO)
    assert backend.missing_tool(True) == WSL_MISSING
    backend.close()


@pytest.mark.parametrize("utf16", [False, True])
def test_a_missing_distro_is_an_error_with_the_list_hint(utf16: bool) -> None:
    """wsl.exe's WSL_E_DISTRO_NOT_FOUND (UTF-8 or UTF-16) becomes one error naming the distro."""
    launcher = StandInWslLauncher("Ubnutu", utf16=utf16)
    with pytest.raises(WslError, match="'Ubnutu' not found") as err:
        launcher.run(["true"], cwd="/", timeout=30)
    assert "WSL_E_DISTRO_NOT_FOUND" in err.value.message
    assert "wsl --list --verbose" in err.value.hint
    assert "\n" not in err.value.one_line()


def test_a_missing_distro_fails_the_build_with_its_reason(go: str, tmp_path: Path) -> None:
    """A build in a distro that does not exist is a failed result saying why, not a crash."""
    env = WslEnvironment(
        Environment("wsl", "wsl", "Ubnutu"), StandInWslLauncher("Ubnutu"), windows_host=False
    )
    command = env.command(go, spec(), str(HELLO), ".", str(tmp_path / "app"))
    result = env.build(command, str(tmp_path / "gocache"))
    assert not result.ok and "not found" in result.message
    assert "wsl --list --verbose" in result.message


# --- builds, post steps and probes through the stand-in ---------------------------------------


@pytest.fixture(scope="module")
def gocache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A GOCACHE shared by this module's builds."""
    return str(tmp_path_factory.mktemp("gocache"))


def test_a_wsl_build_equals_the_native_build_of_the_same_directory(
    go: str, gocache: str, tmp_path: Path
) -> None:
    """Built through wsl.exe's command line, hello is byte-identical to its native build."""
    launcher = StandInWslLauncher(DISTRO)
    wsl = environment(launcher)
    command = wsl.command(go, spec(), str(HELLO), ".", str(tmp_path / "wsl-app"))
    assert command.cwd == str(HELLO)
    assert dict(command.env)["GOFLAGS"] == "-buildvcs=false"
    result = wsl.build(command, gocache)
    assert result.ok, result.message
    native = NativeEnvironment("host")
    ncommand = native.command(go, spec(), str(HELLO), ".", str(tmp_path / "native-app"))
    nresult = native.build(ncommand, gocache)
    assert nresult.ok, nresult.message
    assert sha256(result.path) == sha256(nresult.path)
    argv = launcher.seen[-1]
    assert argv[:7] == ["wsl.exe", "--distribution", DISTRO, "--cd", str(HELLO), "--exec", "env"]
    assert f"GOCACHE={gocache}" in argv and "GOTOOLCHAIN=local" in argv
    assert argv[argv.index(go) :] == list(command.argv)


def test_a_windows_host_build_translates_paths_both_ways(
    go: str, gocache: str, tmp_path: Path
) -> None:
    """From Windows paths (\\\\wsl.localhost here) the distro builds and the artifact comes back."""
    shutil.copytree(HELLO, tmp_path / "src")
    (tmp_path / "out").mkdir()
    wsl = environment(windows_host=True)
    command = wsl.command(go, spec(), unc(tmp_path / "src"), ".", unc(tmp_path / "out" / "app"))
    assert command.cwd == str(tmp_path / "src")
    assert command.out == str(tmp_path / "out" / "app")
    assert wsl.gocache("C:\\Users\\me\\AppData\\Local\\gobinopt\\gocache").startswith("/var/tmp")
    result = wsl.build(command, gocache)
    assert result.ok, result.message
    assert result.path == unc(tmp_path / "out" / "app")
    res = wsl.run([result.path, "-version"], cwd=unc(tmp_path / "out"), timeout=30)
    assert (res.returncode, res.stdout) == (0, "hello dev\n")


def test_a_windows_go_means_the_distros_go(tmp_path: Path) -> None:
    """A Windows `go.exe` is replaced by the distro's `go`; an absolute distro go is kept."""
    wsl = environment(windows_host=True)
    command = wsl.command("C:\\Go\\bin\\go.exe", spec(cgo=True), unc(HELLO), ".", unc(tmp_path))
    assert command.argv[0] == "go"
    assert ("CGO_ENABLED", "1") in command.env
    assert command.shell().startswith("CGO_ENABLED=1 GOFLAGS=-buildvcs=false go build ")
    assert environment().distro_go("/usr/local/go/bin/go") == "/usr/local/go/bin/go"


def test_a_std_package_is_spelled_without_asking_the_distro(go: str) -> None:
    """`std:cmd/gofmt` builds from "/" (byte-identical to GOROOT/src) and starts no wsl.exe."""
    wsl = WslEnvironment(Environment("wsl", "wsl", DISTRO))  # the real launcher: no wsl.exe
    command = wsl.command(go, spec(), "", "cmd/gofmt", "/tmp/gofmt")
    assert command.cwd == "/"
    assert command.argv[-3:] == ("-o", "/tmp/gofmt", "cmd/gofmt")


def test_the_fingerprint_is_taken_inside_the_distro(go: str) -> None:
    """The fingerprint has every key, one line each, the distro's facts and its WSL version."""
    launcher = StandInWslLauncher(DISTRO)
    fp = environment(launcher).fingerprint(go)
    assert set(fp) == {
        "environment",
        "kind",
        "distro",
        "os",
        "kernel",
        "machine",
        "libc",
        "linker",
        "cc",
        "go",
        "goenv",
        "strip",
        "upx",
        "wsl",
    }
    assert all("\n" not in v for v in fp.values())
    version = subprocess.run([go, "version"], capture_output=True, text=True, check=True)
    assert fp["go"] == version.stdout.strip()
    assert (fp["kind"], fp["distro"], fp["wsl"]) == ("wsl", DISTRO, "false")
    assert fp["kernel"] == platform.release()
    assert fp["libc"].startswith(("glibc ", "musl "))
    assert fp["strip"].startswith("GNU strip")
    assert fp["goenv"].startswith("linux/")
    assert len(launcher.seen) == 1, "one wsl.exe launch describes the distro"


def test_strip_runs_through_the_distro(go: str, gocache: str, tmp_path: Path) -> None:
    """A post step runs the distro's strip through wsl.exe and gives the native step's bytes."""
    wsl = environment()
    result = wsl.build(wsl.command(go, spec(), str(HELLO), ".", str(tmp_path / "a")), gocache)
    assert result.ok, result.message
    built = sha256(result.path)
    shutil.copy2(result.path, tmp_path / "b")
    step = Step("strip", ("--strip-all",))
    assert apply(step, str(tmp_path / "a"), wsl).ok
    assert apply(step, str(tmp_path / "b"), NativeEnvironment("host")).ok
    assert sha256(tmp_path / "a") == sha256(tmp_path / "b") != built
    argv = wsl.launcher.seen[-1] if isinstance(wsl.launcher, StandInWslLauncher) else []
    assert argv[6:] == ["env", "nice", "-n", "10", "strip", "--strip-all", str(tmp_path / "a")]


def test_a_tool_missing_in_the_distro_reads_like_a_shell_says_it(tmp_path: Path) -> None:
    """A program the distro lacks gives 127 and `NAME: not found`, so a step is skipped."""
    wsl = environment()
    res = wsl.run(["gobinopt-no-such-tool", "x"], cwd=str(tmp_path), timeout=30)
    assert res.returncode == 127
    assert res.stderr.startswith("gobinopt-no-such-tool: not found")
    (tmp_path / "app").write_bytes(b"\x7fELF")
    step = apply(Step("gobinopt-no-such-tool", ()), str(tmp_path / "app"), wsl)
    assert step.skipped and not step.ok


def test_a_large_environment_goes_through_stdin(tmp_path: Path) -> None:
    """Variables too long for a Windows command line reach the program through stdin."""
    launcher = StandInWslLauncher(DISTRO)
    pad = {f"GOBINOPT_PAD_{i}": "x" * 1000 for i in range(40)}
    script = 'printf "%s %s" "${#GOBINOPT_PAD_0}" "${#GOBINOPT_PAD_39}"'
    res = environment(launcher).run(["sh", "-c", script], cwd=str(tmp_path), env=pad, timeout=30)
    assert (res.returncode, res.stdout) == (0, "1000 1000")
    assert launcher.seen[-1][6:8] == ["sh", "-c"]
    small = environment(launcher).run(["sh", "-c", script], cwd="/", env={}, timeout=30)
    assert small.stdout == "0 0" and launcher.seen[-1][6] == "env"


def test_a_timeout_is_reported_as_such(tmp_path: Path) -> None:
    """A command that outlives its timeout gives returncode None."""
    res = environment().run(["sleep", "5"], cwd=str(tmp_path), timeout=0.5)
    assert res.timed_out and res.returncode is None


def test_a_failed_build_keeps_the_compilers_words(go: str, gocache: str, tmp_path: Path) -> None:
    """A broken program fails with go's message, not with wsl.exe's."""
    (tmp_path / "go.mod").write_text("module broken\n\ngo 1.22\n")
    (tmp_path / "main.go").write_text("package main\n\nfunc main() { undefined() }\n")
    wsl = environment()
    result: BuildResult = wsl.build(
        wsl.command(go, spec(), str(tmp_path), ".", str(tmp_path / "app")), gocache
    )
    assert not result.ok and "undefined" in result.message

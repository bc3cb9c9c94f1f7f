"""WSL environments (kind ``wsl``): builds in a WSL distro driven from Windows through
`wsl.exe`, path translation between Windows and the distro, and WSL detection from inside one.

From Windows, every command of a ``wsl`` environment runs as::

    wsl.exe --distribution DISTRO --cd DIR --exec env VAR=value … PROGRAM ARGS…

``--exec`` runs PROGRAM without a shell (no profile is read, nothing is expanded), and ``--cd``
takes the distro-side directory. Variables are given to ``env`` on the command line rather
than through WSLENV: wsl.exe forwards only the Windows variables WSLENV names (``VAR/u``, with
``/p`` path translation), so a build's variables would have to be set in wsl.exe's own
environment and listed in WSLENV on top of whatever the user's WSLENV already shares — the
distro would see the user's variables and ours mixed. With ``env`` the argv *is* the whole
environment change, visible in the command, independent of WSLENV. When that command line
would pass Windows' 32,767-character limit (the probe of a packed binary in a padded
environment), the variables go to ``sh`` through stdin instead.

Windows paths (``C:\\src\\app``) are translated to the distro's (``/mnt/c/src/app``, or under
the ``[automount] root`` of the distro's ``/etc/wsl.conf``), and back for the artifact. The
distro's own `go`, `strip` and `upx` do the work: a Windows `go.exe` cannot build in the distro,
so a ``go`` that is not an absolute distro path means the `go` on the distro's PATH.

Inside a distro gobinopt runs with kind ``native``; :func:`wsl_version` tells its fingerprint
whether that place is WSL 1 or 2.
"""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gobinopt.envs.gobuild import go_build_argv, goflags, hermetic_env
from gobinopt.envs.interface import BuildCommand, BuildResult, RunResult
from gobinopt.errors import BadInputError, ExitStatus, GobinoptError, ToolMissingError
from gobinopt.matrix.interface import BuildSpec, Environment
from gobinopt.tools import interrupted, which

#: The whole line a ``wsl`` environment is skipped with where there is no wsl.exe (Linux).
WSL_MISSING = (
    "skipped: wsl.exe not found — gobinopt runs WSL environments from Windows; "
    'inside a WSL distro use kind = "native"'
)
#: Where WSL mounts the Windows drives when /etc/wsl.conf does not say.
DEFAULT_AUTOMOUNT_ROOT = "/mnt/"
#: The build cache inside the distro when gobinopt runs on Windows: a GOCACHE on a Windows
#: drive (9p/drvfs) makes every build crawl, so each distro keeps its own.
DISTRO_GOCACHE = "/var/tmp/gobinopt-gocache"
#: Longest command line CreateProcess accepts (characters), with room for wsl.exe's path.
MAX_COMMAND_LINE = 32_000
#: Seconds one `go build` may take.
BUILD_TIMEOUT_S = 1800.0
#: Exit status wsl.exe reports for its own failures (-1 as the DWORD Windows returns; -1 on
#: POSIX would be a SIGHUP, so only the DWORD counts).
_WSL_FAILED = (0xFFFFFFFF,)
_WSL_ERROR_CODE = re.compile(r"Error code: (Wsl/\S+)")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DRIVE = re.compile(r"([A-Za-z]):(?:\\|$)")
#: What `env`/`nice` print when the program cannot be started (GNU coreutils and busybox).
_CANNOT_START = re.compile(
    r"^(?:env|nice): (?:can't execute )?[‘'`]?(.*?)[’']?: (.+)$", re.MULTILINE
)
#: The `sh` program that sets the variables it reads on stdin, then runs its arguments.
_ENV_FROM_STDIN = 'while IFS= read -r kv; do export "$kv"; done; exec "$@"'


class WslError(GobinoptError):
    """wsl.exe itself failed (no such distro, WSL not installed or not started)."""


class WslPathError(BadInputError):
    """A path that has no counterpart on the other side of WSL."""


# --- detection --------------------------------------------------------------------------------


def wsl_version(
    kernel_release: str,
    environ: Mapping[str, str],
    binfmt_dir: str = "/proc/sys/fs/binfmt_misc",
) -> int | None:
    """1 or 2 when this Linux is a WSL distro, None when it is not.

    ``kernel_release`` is ``uname -r`` (or the line of /proc/version): WSL 2's kernels say
    ``microsoft-standard`` (``5.15.153.1-microsoft-standard-WSL2``; the first ones
    ``4.19.104-microsoft-standard``), WSL 1 reports a fixed ``4.4.0-19041-Microsoft``
    (``Microsoft@Microsoft.com`` in /proc/version). A release that says neither is still WSL 2
    when WSL left its marks: ``WSL_DISTRO_NAME`` or ``WSL_INTEROP`` in ``environ``, or the
    ``WSLInterop`` (``WSLInterop-late``) entry under ``binfmt_dir`` — a custom kernel is
    possible only on WSL 2."""
    try:
        entries = os.listdir(binfmt_dir)
    except OSError:
        entries = []
    return wsl_version_from(kernel_release, environ, entries)


def wsl_version_from(
    kernel_release: str, environ: Mapping[str, str], binfmt_entries: Iterable[str]
) -> int | None:
    """:func:`wsl_version` with the names under binfmt_misc given (read inside a distro)."""
    if re.search(r"microsoft-standard|-WSL2\b", kernel_release, re.IGNORECASE):
        return 2
    if re.search(r"-Microsoft\b|Microsoft@Microsoft\.com", kernel_release):
        return 1
    if environ.get("WSL_DISTRO_NAME") or environ.get("WSL_INTEROP"):
        return 2
    if any(name.startswith("WSLInterop") for name in binfmt_entries):
        return 2
    return None


def wsl_field(version: int | None) -> str:
    """The fingerprint's ``wsl`` value, as the native backend writes it: ``"1"``, ``"2"`` or
    ``"false"``."""
    return str(version) if version else "false"


# --- paths ------------------------------------------------------------------------------------


def automount_root(wsl_conf: str) -> str | None:
    """Where the distro mounts the Windows drives, from the text of its /etc/wsl.conf:
    ``[automount] root`` (default ``/mnt/``), always ending in ``/``; None when
    ``[automount] enabled = false`` (no drive is mounted)."""
    parser = configparser.ConfigParser(
        interpolation=None,
        strict=False,
        comment_prefixes=("#", ";"),
        inline_comment_prefixes=("#",),
    )
    try:
        parser.read_string(wsl_conf, source="/etc/wsl.conf")
    except configparser.Error as exc:
        first = str(exc).splitlines()[0]
        raise WslPathError(
            f"/etc/wsl.conf cannot be read: {first}",
            hint="wsl.conf is an INI file: [automount] then root = /mnt/",
        ) from exc
    enabled = parser.get("automount", "enabled", fallback="true").strip().strip("\"'")
    if enabled.lower() == "false":
        return None
    root = parser.get("automount", "root", fallback=DEFAULT_AUTOMOUNT_ROOT)
    root = root.strip().strip("\"'") or DEFAULT_AUTOMOUNT_ROOT
    if not root.startswith("/"):
        raise WslPathError(
            f"/etc/wsl.conf: [automount] root = {root!r} is not an absolute path",
            hint="write it as root = /mnt/",
        )
    return root if root.endswith("/") else root + "/"


def _parts(text: str, sep: str) -> list[str]:
    """Components of a path without empty and ``.`` parts, ``..`` applied (never above root)."""
    out: list[str] = []
    for part in text.split(sep):
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(part)
    return out


def is_windows_path(path: str) -> bool:
    """Whether ``path`` is an absolute Windows path: a drive (``C:\\``, ``C:/``) or UNC."""
    return bool(_DRIVE.match(path.replace("/", "\\"))) or path.startswith(("\\\\", "//"))


def windows_to_wsl(path: str, *, root: str = DEFAULT_AUTOMOUNT_ROOT, distro: str = "") -> str:
    """The distro's path of an absolute Windows path.

    ``C:\\src\\app`` → ``/mnt/c/src/app`` (the drive letter lower-cased, under the automount
    ``root``); ``\\\\wsl$\\Distro\\home\\me`` and ``\\\\wsl.localhost\\Distro\\home\\me`` →
    ``/home/me`` (when ``distro`` is given, the path must be that distro's). ``/`` works as a
    separator too; ``\\\\?\\`` prefixes are dropped. Raises WslPathError for anything else: a
    relative or drive-relative path, a network share, another distro's files."""
    text = path.replace("/", "\\")
    if text.startswith("\\\\?\\UNC\\"):
        text = "\\\\" + text[len("\\\\?\\UNC\\") :]
    elif text.startswith(("\\\\?\\", "\\\\.\\")):
        text = text[4:]
    if text.startswith("\\\\"):
        parts = _parts(text[2:], "\\")
        host = parts[0].lower() if parts else ""
        if host not in ("wsl$", "wsl.localhost"):
            raise WslPathError(
                f"{path!r} is on a network share, which the distro cannot see",
                hint="copy the source to a local drive (C:\\...) or into the distro",
            )
        if len(parts) < 2:
            raise WslPathError(
                f"{path!r} names no distro", hint="write \\\\wsl.localhost\\DISTRO\\path"
            )
        if distro and parts[1].lower() != distro.lower():
            raise WslPathError(
                f"{path!r} is in the files of WSL distro {parts[1]!r}, not of {distro!r}",
                hint=f"use the same distro, or copy the files to a Windows drive or {distro!r}",
            )
        return "/" + "/".join(parts[2:])
    match = _DRIVE.match(text)
    if match is None:
        kind = "drive-relative" if re.match(r"[A-Za-z]:", text) else "not an absolute"
        raise WslPathError(
            f"{path!r} is {kind} Windows path", hint="give an absolute path such as C:\\src\\app"
        )
    base = root.rstrip("/") + "/" + match.group(1).lower()
    rest = _parts(text[2:], "\\")
    return base + ("/" + "/".join(rest) if rest else "")


def wsl_to_windows(path: str, *, root: str = DEFAULT_AUTOMOUNT_ROOT, distro: str = "") -> str:
    """The Windows path of an absolute distro path.

    ``/mnt/c/src/app`` → ``C:\\src\\app`` (a one-letter directory under the automount
    ``root``); any other path is in the distro's own files, ``\\\\wsl.localhost\\DISTRO\\…``
    when ``distro`` is given. Raises WslPathError for a relative path, or a distro file
    without ``distro``."""
    if not path.startswith("/"):
        raise WslPathError(
            f"{path!r} is not an absolute path in the distro", hint="give a path such as /mnt/c/src"
        )
    parts = _parts(path, "/")
    mount = _parts(root, "/")
    n = len(mount)
    if parts[:n] == mount and len(parts) > n and re.fullmatch(r"[A-Za-z]", parts[n]):
        return parts[n].upper() + ":\\" + "\\".join(parts[n + 1 :])
    if distro:
        return "\\\\wsl.localhost\\" + "\\".join([distro, *parts])
    raise WslPathError(
        f"{path!r} is not under the drives' mount point {root!r} but in the distro's own files",
        hint="those are \\\\wsl.localhost\\DISTRO\\...: name the distro",
    )


# --- wsl.exe ----------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    """wsl.exe's own messages are UTF-16LE unless WSL_UTF8=1 took effect (WSL ≥ 0.64); the
    distro's programs write bytes, usually UTF-8."""
    if len(data) >= 4 and data[1::2].count(0) > len(data) // 4:
        text = data.decode("utf-16-le", errors="replace")
    else:
        text = data.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n")


@dataclass(frozen=True, slots=True)
class WslLauncher:
    """Runs commands in one WSL distro through wsl.exe (see the module docstring for the
    command line it builds and why)."""

    distro: str
    exe: str = "wsl.exe"

    def prefix(self, cwd: str) -> list[str]:
        """``wsl.exe --distribution DISTRO --cd CWD --exec``."""
        if not cwd.startswith("/"):
            raise WslPathError(
                f"{cwd!r} is not an absolute path in the distro",
                hint="translate Windows paths with windows_to_wsl",
            )
        return [self.exe, "--distribution", self.distro, "--cd", cwd, "--exec"]

    def argv(
        self, command: Sequence[str], *, cwd: str, env: Mapping[str, str] | None = None
    ) -> list[str]:
        """The wsl.exe command line that runs ``command`` in ``cwd`` with ``env`` set:
        ``wsl.exe --distribution D --cd CWD --exec env VAR=value … PROGRAM ARGS…``."""
        if not command or not command[0]:
            raise WslError("no program to run in the WSL distro", status=ExitStatus.INTERNAL)
        program = command[0]
        if program.startswith("-") or "=" in program:
            raise WslPathError(
                f"{program!r} cannot be run through env (a leading '-' or an '=')",
                hint="give the program by its absolute path",
            )
        assigns = []
        for name, value in (env or {}).items():
            if not _ENV_NAME.fullmatch(name):
                raise WslError(f"{name!r} is not a variable name", hint="use A-Z, 0-9 and _")
            assigns.append(f"{name}={value}")
        return [*self.prefix(cwd), "env", *assigns, *command]

    def stdin_argv(self, command: Sequence[str], *, cwd: str) -> list[str]:
        """The command line that reads ``VAR=value`` lines on stdin, exports them and runs
        ``command`` (for environments too large for a Windows command line)."""
        return [*self.prefix(cwd), "sh", "-c", _ENV_FROM_STDIN, "sh", *command]

    def run(
        self,
        command: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str] | None = None,
        timeout: float,
    ) -> RunResult:
        """Run ``command`` in the distro; the result carries its status and output.

        Raises WslError when wsl.exe itself fails (the distro does not exist, WSL is not
        installed) and ToolMissingError when there is no wsl.exe."""
        argv = self.argv(command, cwd=cwd, env=env)
        stdin: bytes | None = None
        if len(subprocess.list2cmdline(argv)) > MAX_COMMAND_LINE:
            pairs = [f"{k}={v}" for k, v in (env or {}).items()]
            if any("\n" in p for p in pairs):
                raise WslError(
                    "the environment is too large for wsl.exe's command line and holds a "
                    "newline, so it cannot be passed through stdin either",
                    hint="use fewer or shorter variables",
                )
            argv = self.stdin_argv(command, cwd=cwd)
            stdin = "".join(p + "\n" for p in pairs).encode()
        start = time.monotonic()
        try:
            res = self._spawn(argv, stdin=stdin, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            out = _decode(exc.stdout or b"") if isinstance(exc.stdout, bytes) else ""
            return RunResult(None, out, "", time.monotonic() - start)
        seconds = time.monotonic() - start
        stdout, stderr = _decode(res.stdout or b""), _decode(res.stderr or b"")
        self._check(res.returncode, stdout, stderr)
        stderr = _start_failure(res.returncode, stdout, stderr)
        return RunResult(
            res.returncode, stdout, stderr, seconds, interrupted=interrupted(res.returncode)
        )

    def _check(self, returncode: int, stdout: str, stderr: str) -> None:
        """Raise for wsl.exe's own failures: status 0xFFFFFFFF, or its ``Error code: Wsl/…``
        line (a Linux program exits with 0–255, so the status alone is wsl.exe's)."""
        text = stderr + "\n" + stdout
        code = _WSL_ERROR_CODE.search(text)
        if returncode not in _WSL_FAILED and (returncode == 0 or code is None):
            return
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        said = next((ln for ln in lines if not ln.startswith("Error code:")), "")
        where = f" ({code.group(1)})" if code else ""
        if code is not None and code.group(1).endswith("/WSL_E_DISTRO_NOT_FOUND"):
            raise WslError(
                f"WSL distro {self.distro!r} not found{where}",
                hint="wsl --list --verbose lists the installed distros; set the environment's "
                "distro to one of them",
            )
        detail = said or f"exit status {returncode:#x}"
        raise WslError(
            f"wsl.exe failed for distro {self.distro!r}: {detail}{where}",
            hint="wsl --status shows whether WSL is installed and running; "
            "wsl --list --verbose lists the distros",
        )

    def _spawn(
        self, argv: list[str], *, stdin: bytes | None, timeout: float
    ) -> subprocess.CompletedProcess[bytes]:
        """Start wsl.exe (the only place a process starts); WSL_UTF8=1 makes its own messages
        UTF-8. Raises subprocess.TimeoutExpired after ``timeout`` seconds (the child is
        killed)."""
        exe = which(self.exe)
        if exe is None:
            raise ToolMissingError(
                "wsl.exe not found",
                hint="gobinopt runs WSL environments from Windows; "
                'inside a WSL distro use kind = "native"',
            )
        return subprocess.run(
            [exe, *argv[1:]],
            input=stdin,
            capture_output=True,
            env=dict(os.environ, WSL_UTF8="1"),
            timeout=timeout,
            check=False,
        )


def _start_failure(returncode: int, stdout: str, stderr: str) -> str:
    """``stderr`` as a shell would put it when ``env``/``nice`` could not start the program:
    ``PROGRAM: not found`` (127) or ``cannot execute: REASON`` (126), the tool's line after."""
    if returncode not in (126, 127) or stdout:
        return stderr
    match = _CANNOT_START.search(stderr)
    if match is None:
        return stderr
    if returncode == 127:
        return f"{match.group(1)}: not found\n{stderr}"
    return f"cannot execute: {match.group(2)}\n{stderr}"


# --- the environment --------------------------------------------------------------------------

#: One launch tells everything the fingerprint needs; sections start with ``@@NAME``.
_FINGERPRINT_SCRIPT = r"""
go="$1"
s() { printf '\n@@%s\n' "$1"; }
v() { command -v "$1" >/dev/null 2>&1 && "$@" 2>&1; }
s os; cat /etc/os-release 2>/dev/null
s kernel; uname -r
s machine; uname -m
s environ; printf 'WSL_DISTRO_NAME=%s\nWSL_INTEROP=%s\n' "${WSL_DISTRO_NAME-}" "${WSL_INTEROP-}"
s binfmt; ls /proc/sys/fs/binfmt_misc 2>/dev/null
s ldd; v ldd --version
s ld; v ld --version
s cc; v gcc --version
s go; v "$go" version
s goos; v "$go" env GOOS
s goarch; v "$go" env GOARCH
s goamd64; v "$go" env GOAMD64
s strip; v strip --version
s upx; v upx --version
s wslconf; cat /etc/wsl.conf 2>/dev/null
s end
"""


def _sections(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    name = ""
    for line in text.splitlines():
        if line.startswith("@@"):
            name = line[2:].strip()
            out[name] = ""
        elif name:
            out[name] += line + "\n"
    return out


def _first(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[0] if lines else ""


def pretty_name(os_release: str) -> str:
    """PRETTY_NAME of an /etc/os-release text ("" when it has none)."""
    for line in os_release.splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip().strip("\"'")
    return ""


def libc_from_ldd(text: str) -> str:
    """``glibc 2.36`` or ``musl 1.2.4`` from the output of ``ldd --version``."""
    first = _first(text)
    if "musl" in first.lower():
        version = re.search(r"^Version\s+(\S+)", text, re.MULTILINE)
        return "musl " + version.group(1) if version else "musl"
    if re.search(r"GLIBC|GNU libc", first):
        return "glibc " + first.split()[-1]
    return first


class WslEnvironment:
    """A WSL distro driven from Windows: builds, post steps, probes and the fingerprint all run
    in the distro through :class:`WslLauncher`, with Windows paths translated."""

    kind = "wsl"

    def __init__(
        self,
        environment: Environment,
        launcher: WslLauncher | None = None,
        *,
        windows_host: bool | None = None,
    ) -> None:
        self.name = environment.name
        self.distro = environment.image
        self.launcher = launcher if launcher is not None else WslLauncher(environment.image)
        #: Paths on this machine are Windows paths (default: running on Windows); otherwise
        #: they are used in the distro as they are.
        self.windows_host = os.name == "nt" if windows_host is None else windows_host
        self._facts: dict[str, dict[str, str]] = {}
        self._root: str | None = DEFAULT_AUTOMOUNT_ROOT
        self._root_known = False
        self._has_cc: bool | None = None

    # paths

    def automount(self) -> str | None:
        """The distro's automount root, read from its /etc/wsl.conf once (the one launch a
        Windows-host :meth:`command` makes); ``/mnt/`` while the distro cannot be reached
        (then the build itself reports why)."""
        if not self._root_known:
            try:
                res = self.launcher.run(["cat", "/etc/wsl.conf"], cwd="/", timeout=60)
            except GobinoptError:
                return DEFAULT_AUTOMOUNT_ROOT
            self._root = automount_root(res.stdout if res.returncode == 0 else "")
            self._root_known = True
        return self._root

    def distro_path(self, path: str) -> str:
        """Where the distro sees ``path`` of this machine."""
        if self.windows_host and is_windows_path(path):
            unc = path.replace("/", "\\").startswith("\\\\")
            root = None if unc else self.automount()
            if root is None and not unc:
                raise WslPathError(
                    f"{path!r} is on a Windows drive, but WSL distro {self.distro!r} does not "
                    "mount the drives ([automount] enabled = false)",
                    hint="enable automount in the distro's /etc/wsl.conf",
                )
            return windows_to_wsl(path, root=root or DEFAULT_AUTOMOUNT_ROOT, distro=self.distro)
        if not self.windows_host:
            return os.path.abspath(path)
        if not path.startswith("/"):
            raise WslPathError(
                f"{path!r} is neither an absolute Windows path nor a distro path",
                hint="give absolute paths to WSL builds",
            )
        return path

    def host_path(self, path: str) -> str:
        """Where this machine sees ``path`` of the distro."""
        if not self.windows_host:
            return path
        return wsl_to_windows(
            path, root=self.automount() or DEFAULT_AUTOMOUNT_ROOT, distro=self.distro
        )

    @staticmethod
    def distro_go(go: str) -> str:
        """The distro's `go`: ``go`` itself when it is an absolute distro path, else the `go`
        on the distro's PATH (a Windows `go.exe` cannot build there)."""
        return go if go.startswith("/") else "go"

    # protocol

    def missing_tool(self, cgo: bool) -> str | None:
        """No wsl.exe (always so on Linux): the whole skip line; for cgo, a distro without
        `gcc` or `cc`."""
        if which(self.launcher.exe) is None:
            return WSL_MISSING
        if cgo:
            if self._has_cc is None:
                res = self.launcher.run(
                    ["sh", "-c", "command -v gcc || command -v cc"], cwd="/", timeout=60
                )
                self._has_cc = res.returncode == 0
            if not self._has_cc:
                return f"skipped: gcc not found in WSL distro {self.distro!r} — install it there"
        return None

    def extra_ldflags(self, cgo: bool) -> tuple[str, ...]:
        """None: the distro's own C toolchain links as it does natively."""
        return ()

    def facts(self, go: str) -> dict[str, str]:
        """The raw sections of the fingerprint script's output for ``go`` (run once)."""
        distro_go = self.distro_go(go)
        if distro_go not in self._facts:
            res = self.launcher.run(
                ["sh", "-c", _FINGERPRINT_SCRIPT, "sh", distro_go],
                cwd="/",
                env=hermetic_env(base={}),
                timeout=120,
            )
            facts = _sections(res.stdout)
            if "end" not in facts:
                tail = _first((res.stderr or res.stdout)[-400:])
                raise WslError(
                    f"WSL distro {self.distro!r} did not describe itself: {tail}",
                    hint=f"wsl --distribution {self.distro} --exec sh -c 'uname -a' must work",
                )
            self._facts[distro_go] = facts
            if not self._root_known:
                self._root = automount_root(facts.get("wslconf", ""))
                self._root_known = True
        return self._facts[distro_go]

    def fingerprint(self, go: str) -> dict[str, str]:
        """What the distro is, taken inside it in one launch: OS, kernel, libc, linker, C
        compiler, Go, strip and upx versions, and which WSL."""
        f = self.facts(go)
        environ = dict(
            line.split("=", 1) for line in f.get("environ", "").splitlines() if "=" in line
        )
        version = wsl_version_from(
            _first(f.get("kernel", "")), environ, f.get("binfmt", "").split()
        )
        goenv = _first(f.get("goos", "")) + "/" + _first(f.get("goarch", ""))
        return {
            "environment": self.name,
            "kind": self.kind,
            "distro": self.distro,
            "os": pretty_name(f.get("os", "")),
            "kernel": _first(f.get("kernel", "")),
            "machine": _first(f.get("machine", "")),
            "libc": libc_from_ldd(f.get("ldd", "")),
            "linker": _first(f.get("ld", "")),
            "cc": _first(f.get("cc", "")),
            "go": _first(f.get("go", "")),
            "goenv": goenv + " GOAMD64=" + _first(f.get("goamd64", "")),
            "strip": _first(f.get("strip", "")),
            "upx": _first(f.get("upx", "")),
            "wsl": wsl_field(version),
        }

    def command(
        self, go: str, spec: BuildSpec, directory: str, package: str, out: str
    ) -> BuildCommand:
        """The `go build` as it runs in the distro: distro paths, the distro's `go`, and
        GOFLAGS from the matrix only (the Windows side's variables do not reach the distro).
        Pure: no process is started."""
        extra = dict(spec.env)
        extra.pop("GOFLAGS", None)
        env: list[tuple[str, str]] = [("CGO_ENABLED", "1" if spec.cgo else "0")]
        env.append(("GOFLAGS", goflags(spec.env, {})))
        if spec.goarch:
            env.append(("GOARCH", spec.goarch))
        if spec.goamd64:
            env.append(("GOAMD64", spec.goamd64))
        env.extend(extra.items())
        flags = spec.go_args(self.extra_ldflags(spec.cgo))
        argv = go_build_argv(self.distro_go(go), flags, self.distro_path(out), package)
        # A std package (directory "") builds from "/": `go build cmd/gofmt` resolves it in
        # the distro's GOROOT from anywhere, byte-identical to a build in GOROOT/src, and
        # command() stays pure (no launch to ask for GOROOT).
        cwd = self.distro_path(directory) if directory else "/"
        return BuildCommand(tuple(env), tuple(argv), cwd)

    def gocache(self, gocache: str) -> str:
        """The GOCACHE the distro uses for the host's ``gocache``: the same directory when it
        is a distro path, else the distro's own (:data:`DISTRO_GOCACHE`)."""
        return DISTRO_GOCACHE if self.windows_host or not gocache.startswith("/") else gocache

    def build(self, command: BuildCommand, gocache: str) -> BuildResult:
        """Run ``command`` in the distro; the artifact lands at the host path of its ``-o``."""
        out = command.out
        start = time.monotonic()
        try:
            host_out = self.host_path(out)
            env = hermetic_env(self.gocache(gocache), base={}) | dict(command.env)
            res = self.launcher.run(
                list(command.argv), cwd=command.cwd, env=env, timeout=BUILD_TIMEOUT_S
            )
        except GobinoptError as exc:
            return BuildResult(False, out, time.monotonic() - start, exc.one_line())
        text = (res.stderr or res.stdout).strip().splitlines()
        if res.returncode == 127 and text and text[0].endswith(": not found"):
            return BuildResult(
                False,
                host_out,
                res.seconds,
                f"{command.argv[0]} not found in WSL distro {self.distro!r} "
                "(wsl.exe --exec reads no shell profile: install Go where the default "
                "PATH finds it, e.g. /usr/local/bin)",
            )
        return BuildResult.from_exit(
            host_out,
            res.seconds,
            None if res.timed_out else res.returncode,
            res.stderr or res.stdout,
            interrupted=res.interrupted,
        )

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str] | None = None,
        timeout: float,
    ) -> RunResult:
        """Run ``argv`` in the distro at lower CPU priority (``nice -n 10``), paths of this
        machine translated (on Windows, every argument that is an absolute Windows path)."""
        args = [
            self.distro_path(a) if self.windows_host and is_windows_path(a) else a for a in argv
        ]
        return self.launcher.run(
            ["nice", "-n", "10", *args], cwd=self.distro_path(cwd), env=env, timeout=timeout
        )

    def close(self) -> None:
        """Nothing is held between commands (every command is its own wsl.exe)."""

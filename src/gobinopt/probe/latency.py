r"""Start-up latency: exec to exit of a command, warm or cold, with its own peak RSS and faults.

What is measured
    The wall time from creating the process to reaping it (``posix_spawn`` → ``wait4``) of the
    probe command (for example ``./mybinary -version``), stdin/stdout/stderr on ``/dev/null``,
    over many runs after a warm-up. The result is the median with its spread (quartiles, IQR,
    minimum, maximum) and the run count, the median and maximum peak RSS, and the median minor
    and major page faults per run.

How many runs
    At least ``runs_min``; then the loop stops as soon as the median is known precisely enough:
    the half-width of its approximate 95 % confidence interval, the box-plot notch
    ``1.57 · IQR / √n`` (McGill, Tukey & Larsen 1978), is at most ``precision`` × median. A
    steady command stops at ``runs_min``; a noisy one runs until its median settles, the time
    ``budget_s`` is spent, or ``runs_max`` is reached. ``stopped_because`` says which. A run that
    exits with a status other than ``expect_exit`` (or is killed, or times out) ends the loop
    with ``stopped_because == "failed"`` and is reported in the result, not raised.

Warm and cold
    Warm runs follow the warm-up, so the executable is in the page cache. Cold runs evict it
    before every run: ``fsync`` then ``posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)`` on the
    executable, which needs no root. fadvise only drops clean pages that nobody maps (hence the
    fsync, and the binary must not be running elsewhere); shared libraries of a dynamically
    linked binary stay cached. The launcher checks with ``mincore`` how much of the file is still
    resident after each eviction (``resident_after_eviction``; a file on tmpfs cannot be
    evicted). ``drop_caches=True`` instead runs ``sync`` and writes 3 to
    ``/proc/sys/vm/drop_caches`` before every run, which evicts every clean page on the machine
    and needs root; without root it is refused with exit status 2 (usage).

Why a C launcher
    On Linux a child's ``ru_maxrss`` is not its own: at ``execve`` the kernel folds the high-water
    mark of the memory image being replaced into the process's ``maxrss`` (``exec_mmap`` →
    ``setmax_mm_hiwater_rss``). A child forked (or vforked) by a Python process of tens of MB
    therefore reports at least Python's size, which is nonsense for a 2 MB Go program. So
    gobinopt compiles, on first use, a tiny C program (:data:`LAUNCHER_C`, built with ``gcc -O2
    -static`` into ``cache_dir()/launcher/<hash>/launcher``; dynamic linking if static fails).
    It reads commands on stdin and, per run, ``posix_spawn``\ s the target (glibc's
    ``clone(CLONE_VM|CLONE_VFORK)`` + ``execve``, the same start-up path hyperfine uses),
    ``wait4``\ s it and prints the elapsed ``CLOCK_MONOTONIC`` nanoseconds around spawn → wait4
    and the child's ``ru_maxrss``/``ru_minflt``/``ru_majflt``. The launcher's own high-water
    mark is about 1 MB (reported as ``rss_floor_kb``), so the child's ``ru_maxrss`` is its own,
    and Python's fork and scheduling overhead stays out of the timing. Without gcc, runs are
    timed from Python (``os.posix_spawn`` + ``os.wait4``), faults are still reported and peak RSS
    is skipped with "skipped: gcc not found — install with apt-get install gcc".
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from gobinopt.errors import (
    BadInputError,
    ExitStatus,
    GobinoptError,
    InputNotFoundError,
    ToolMissingError,
)
from gobinopt.observer import SILENT, Observer
from gobinopt.probe.interface import (
    SCHEMA,
    Eviction,
    LatencyResult,
    Method,
    StopReason,
)

#: The launcher's source. Protocol: argv is ``launcher PATH ARGV0 ARG...``; each stdin line is
#: a command, answered with one stdout line:
#:   ``run TIMEOUT_MS`` → ``ok WAITSTATUS NANOSECONDS MAXRSS_KB MINFLT MAJFLT TIMED_OUT``
#:                        or ``err ERRNO`` when the spawn itself fails;
#:   ``resident``       → ``res RESIDENT_PAGES TOTAL_PAGES`` of PATH (mincore) or ``err ERRNO``;
#:   ``self``           → ``self HWM_KB``, the launcher's own high-water mark (VmHWM).
#: End of input ends the launcher.
LAUNCHER_C = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ru_maxrss is KiB on Linux, bytes on macOS. */
#ifdef __APPLE__
#define RSS_KB(x) ((x) / 1024)
#else
#define RSS_KB(x) (x)
#endif

extern char **environ;
static volatile pid_t child = 0;
static volatile sig_atomic_t timed_out = 0;

static void on_alarm(int sig) {
    (void)sig;
    if (child > 0) {
        kill(child, SIGKILL);
        timed_out = 1;
    }
}

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void run(const char *path, char **argv, long timeout_ms, int devnull) {
    posix_spawn_file_actions_t fa;
    struct itimerval arm, disarm;
    struct rusage ru;
    int status = 0, rc;
    pid_t pid, w;
    long long t0, t1;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, devnull, 0);
    posix_spawn_file_actions_adddup2(&fa, devnull, 1);
    posix_spawn_file_actions_adddup2(&fa, devnull, 2);
    memset(&arm, 0, sizeof arm);
    memset(&disarm, 0, sizeof disarm);
    memset(&ru, 0, sizeof ru);
    arm.it_value.tv_sec = timeout_ms / 1000;
    arm.it_value.tv_usec = (timeout_ms % 1000) * 1000;
    timed_out = 0;
    if (timeout_ms > 0)
        setitimer(ITIMER_REAL, &arm, NULL);
    t0 = now_ns();
    rc = posix_spawn(&pid, path, &fa, NULL, argv, environ);
    if (rc != 0) {
        setitimer(ITIMER_REAL, &disarm, NULL);
        posix_spawn_file_actions_destroy(&fa);
        printf("err %d\n", rc);
        fflush(stdout);
        return;
    }
    child = pid;
    do {
        w = wait4(pid, &status, 0, &ru);
    } while (w < 0 && errno == EINTR);
    t1 = now_ns();
    setitimer(ITIMER_REAL, &disarm, NULL);
    child = 0;
    posix_spawn_file_actions_destroy(&fa);
    printf("ok %d %lld %ld %ld %ld %d\n", status, t1 - t0, (long)RSS_KB(ru.ru_maxrss), ru.ru_minflt,
           ru.ru_majflt, (int)timed_out);
    fflush(stdout);
}

static void resident(const char *path) {
    struct stat st;
    long page = sysconf(_SC_PAGESIZE);
    size_t pages, i, count = 0;
    unsigned char *vec;
    void *map;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) != 0) {
        printf("err %d\n", errno);
        if (fd >= 0)
            close(fd);
        fflush(stdout);
        return;
    }
    pages = ((size_t)st.st_size + (size_t)page - 1) / (size_t)page;
    if (pages == 0) {
        close(fd);
        printf("res 0 0\n");
        fflush(stdout);
        return;
    }
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    vec = malloc(pages);
    if (map == MAP_FAILED || vec == NULL || mincore(map, (size_t)st.st_size, vec) != 0) {
        printf("err %d\n", errno);
    } else {
        for (i = 0; i < pages; i++)
            count += vec[i] & 1;
        printf("res %zu %zu\n", count, pages);
    }
    if (map != MAP_FAILED)
        munmap(map, (size_t)st.st_size);
    free(vec);
    fflush(stdout);
}

/* The launcher's own high-water mark: VmHWM of its memory image, which is what a child spawned
   from it starts from. getrusage(RUSAGE_SELF) would instead include the high-water mark of
   the image that exec'd the launcher (its Python parent). */
static long own_hwm_kb(void) {
    char buf[256];
    long kb = -1;
    struct rusage self;
    FILE *f = fopen("/proc/self/status", "r");

    if (f != NULL) {
        while (fgets(buf, sizeof buf, f) != NULL) {
            if (strncmp(buf, "VmHWM:", 6) == 0) {
                kb = atol(buf + 6);
                break;
            }
        }
        fclose(f);
    }
    if (kb < 0) {
        getrusage(RUSAGE_SELF, &self);
        kb = (long)RSS_KB(self.ru_maxrss);
    }
    return kb;
}

int main(int argc, char **argv) {
    char line[128];
    struct sigaction sa;
    int devnull;

    if (argc < 3) {
        fprintf(stderr, "usage: %s PATH ARGV0 [ARG...]\n", argv[0]);
        return 2;
    }
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) {
        perror("/dev/null");
        return 1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    while (fgets(line, sizeof line, stdin) != NULL) {
        if (strncmp(line, "run ", 4) == 0) {
            run(argv[1], argv + 2, atol(line + 4), devnull);
        } else if (strncmp(line, "resident", 8) == 0) {
            resident(argv[1]);
        } else if (strncmp(line, "self", 4) == 0) {
            printf("self %ld\n", own_hwm_kb());
            fflush(stdout);
        } else {
            printf("err %d\n", EINVAL);
            fflush(stdout);
        }
    }
    return 0;
}
"""

#: Compiler flags tried in order: a static launcher has the smallest high-water mark.
LAUNCHER_FLAGS: tuple[tuple[str, ...], ...] = (("-O2", "-static"), ("-O2",))

#: Half-width of the median's ~95 % confidence interval in IQRs·√n (the box-plot notch).
NOTCH = 1.57

DROP_CACHES = "/proc/sys/vm/drop_caches"

_DROP_HINT = (
    "run as root, or use --cold without --drop-caches: it evicts the binary's own pages with "
    "posix_fadvise and needs no root"
)


@dataclass(frozen=True, slots=True)
class LauncherStatus:
    """The compiled launcher, or why there is none."""

    #: Path of the launcher executable, "" when unavailable.
    path: str
    #: "" when available, else "skipped: … — install with …" (peak RSS is then not reported).
    note: str


def launcher_source_hash() -> str:
    """Hash of the launcher's source, flags and machine: the name of its cache directory."""
    digest = hashlib.sha256(LAUNCHER_C.encode())
    digest.update(repr(LAUNCHER_FLAGS).encode())
    digest.update(f"{platform.system()}-{platform.machine()}".encode())
    return digest.hexdigest()[:16]


def launcher_dir() -> Path:
    """Where the launcher is built: ``cache_dir()/launcher/<hash>``."""
    from gobinopt.cache import cache_dir

    return cache_dir() / "launcher" / launcher_source_hash()


def build_launcher(gcc: str | None = None) -> Path:
    """Compile the launcher (once; later calls return the cached executable).

    Raises ToolMissingError when gcc is missing and GobinoptError when it cannot compile.
    """
    from gobinopt.tools import require

    target = launcher_dir() / "launcher"
    if os.access(target, os.X_OK):
        return target
    compiler = gcc or require("gcc")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = target.parent / "launcher.c"
    if not source.exists() or source.read_text() != LAUNCHER_C:
        tmp_src = source.with_name(f".launcher.{os.getpid()}.c")
        tmp_src.write_text(LAUNCHER_C)
        os.replace(tmp_src, source)
    last_error = ""
    for flags in LAUNCHER_FLAGS:
        fd, tmp_name = tempfile.mkstemp(prefix=".launcher.", dir=target.parent)
        os.close(fd)
        res = subprocess.run(
            [compiler, *flags, "-o", tmp_name, str(source)],
            capture_output=True,
            text=True,
            check=False,
        )
        if res.returncode == 0:
            os.chmod(tmp_name, 0o755)
            os.replace(tmp_name, target)
            return target
        os.unlink(tmp_name)
        lines = (res.stderr or res.stdout).strip().splitlines()
        last_error = lines[-1] if lines else f"exit {res.returncode}"
    raise GobinoptError(
        f"cannot compile the latency launcher with {compiler}: {last_error}",
        hint="check that `gcc --version` works and libc6-dev is installed",
    )


_LAUNCHERS: dict[Path, LauncherStatus] = {}
_LAUNCHERS_LOCK = threading.Lock()


def launcher() -> LauncherStatus:
    """The launcher for this cache directory, built on first use, or the note why not."""
    key = launcher_dir()
    with _LAUNCHERS_LOCK:
        if key not in _LAUNCHERS:
            try:
                _LAUNCHERS[key] = LauncherStatus(str(build_launcher()), "")
            except ToolMissingError:
                from gobinopt.tools import skipped_message

                _LAUNCHERS[key] = LauncherStatus("", skipped_message("gcc"))
            except (GobinoptError, OSError) as exc:
                text = exc.one_line() if isinstance(exc, GobinoptError) else str(exc)
                _LAUNCHERS[key] = LauncherStatus("", f"skipped: {text}")
        return _LAUNCHERS[key]


# ---------------------------------------------------------------------------------------------
# Page cache


def evict_file(path: str | os.PathLike[str]) -> None:
    """Drop ``path``'s clean, unmapped pages from the page cache (no root needed).

    Raises InputNotFoundError when the file cannot be opened for reading (cold runs need it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise InputNotFoundError(
            f"{os.fspath(path)}: cannot open for a cold run ({exc.strerror})",
            hint="cold start-up evicts the file's pages, which needs read permission",
        ) from None
    try:
        # Some file systems refuse fsync on a read-only descriptor: then nothing is dirty.
        with contextlib.suppress(OSError):
            os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def check_drop_caches() -> None:
    """Raise a usage error unless this process may write /proc/sys/vm/drop_caches."""
    if os.geteuid() != 0:
        raise GobinoptError(
            "--drop-caches needs root (it writes /proc/sys/vm/drop_caches)",
            hint=_DROP_HINT,
            status=ExitStatus.USAGE,
        )
    if not os.access(DROP_CACHES, os.W_OK):
        raise GobinoptError(
            f"--drop-caches: {DROP_CACHES} is not writable here (a container?)",
            hint=_DROP_HINT,
            status=ExitStatus.USAGE,
        )


def drop_page_cache() -> None:
    """``sync`` then ``echo 3 > /proc/sys/vm/drop_caches`` (root only)."""
    os.sync()
    try:
        with open(DROP_CACHES, "w", encoding="ascii") as fh:
            fh.write("3\n")
    except OSError as exc:
        raise GobinoptError(
            f"--drop-caches: cannot write {DROP_CACHES}: {exc.strerror}",
            hint=_DROP_HINT,
            status=ExitStatus.USAGE,
        ) from exc


# ---------------------------------------------------------------------------------------------
# Running


@dataclass(frozen=True, slots=True)
class _Run:
    """One run: exit status (negative = signal), seconds, peak RSS (KiB), faults."""

    status: int
    seconds: float
    maxrss_kb: int | None
    minflt: int
    majflt: int
    timed_out: bool


class _Runner(Protocol):
    method: Method
    launcher: str
    rss_note: str
    rss_floor_kb: int | None

    def run(self, timeout_s: float) -> _Run: ...

    def resident(self) -> float | None: ...

    def close(self) -> None: ...


def _spawn_error(path: str, code: int) -> GobinoptError:
    if code in (errno.ENOENT, errno.ENOTDIR):
        return InputNotFoundError(f"{path}: {os.strerror(code)}", hint="check the path")
    return BadInputError(
        f"cannot execute {path}: {os.strerror(code)}",
        hint="is it an executable for this machine?",
    )


class _LauncherRunner:
    """Runs through the compiled C launcher (exec-scoped rusage, timing in C)."""

    method = Method.LAUNCHER

    def __init__(self, exe: str, path: str, argv: Sequence[str], env: Mapping[str, str] | None):
        self.launcher = exe
        self.rss_note = ""
        self._path = path
        self._proc = subprocess.Popen(
            [exe, path, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=None if env is None else dict(env),
            text=True,
            bufsize=1,
        )
        words = self._ask("self")
        self.rss_floor_kb: int | None = int(words[1])

    def _ask(self, command: str) -> list[str]:
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(command + "\n")
            stdin.flush()
        except BrokenPipeError:
            pass
        line = stdout.readline()
        words = line.split()
        if not words:
            raise GobinoptError(
                f"the latency launcher {self.launcher} stopped unexpectedly",
                hint=f"delete {Path(self.launcher).parent} to rebuild it",
                status=ExitStatus.INTERNAL,
            )
        return words

    def run(self, timeout_s: float) -> _Run:
        words = self._ask(f"run {max(1, round(timeout_s * 1000))}")
        if words[0] == "err":
            raise _spawn_error(self._path, int(words[1]))
        status, ns, rss, minflt, majflt, timed_out = (int(w) for w in words[1:7])
        return _Run(
            os.waitstatus_to_exitcode(status), ns / 1e9, rss, minflt, majflt, timed_out != 0
        )

    def resident(self) -> float | None:
        words = self._ask("resident")
        if words[0] != "res" or int(words[2]) == 0:
            return None
        return int(words[1]) / int(words[2])

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


class _PythonRunner:
    """Runs from Python when no launcher could be built: timing and faults, no peak RSS."""

    method = Method.PYTHON
    launcher = ""
    rss_floor_kb: int | None = None

    def __init__(self, path: str, argv: Sequence[str], env: Mapping[str, str] | None, note: str):
        self.rss_note = note
        self._path = path
        self._argv = list(argv)
        self._env = dict(os.environ if env is None else env)
        self._actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
        ]

    def run(self, timeout_s: float) -> _Run:
        started = time.perf_counter_ns()
        try:
            pid = os.posix_spawn(self._path, self._argv, self._env, file_actions=self._actions)
        except OSError as exc:
            raise _spawn_error(self._path, exc.errno or errno.EIO) from exc
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

        timer = threading.Timer(timeout_s, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(pid, 0)
        finally:
            timer.cancel()
        elapsed = (time.perf_counter_ns() - started) / 1e9
        return _Run(
            os.waitstatus_to_exitcode(status),
            elapsed,
            None,
            usage.ru_minflt,
            usage.ru_majflt,
            fired.is_set(),
        )

    def resident(self) -> float | None:
        return None

    def close(self) -> None:
        pass


def _open_runner(path: str, argv: Sequence[str], env: Mapping[str, str] | None) -> _Runner:
    status = launcher()
    if status.path:
        try:
            return _LauncherRunner(status.path, path, argv, env)
        except OSError as exc:  # e.g. the cache directory is on a noexec mount
            return _PythonRunner(path, argv, env, f"skipped: cannot run the launcher: {exc}")
    return _PythonRunner(path, argv, env, status.note)


def resolve_executable(name: str) -> str:
    """The path to run for ``name``: an existing path as given, else a bare name on PATH.

    Raises InputNotFoundError (missing, or not a regular file) and BadInputError (no execute
    permission).
    """
    path = name
    if os.sep not in name and not os.path.exists(name):
        path = shutil.which(name) or name
    if not os.path.exists(path):
        raise InputNotFoundError(f"{name}: no such file", hint="check the path of the binary")
    if not os.path.isfile(path):
        raise InputNotFoundError(
            f"{name}: not a regular file", hint="give the path of an executable file"
        )
    if not os.access(path, os.X_OK):
        raise BadInputError(
            f"{name}: not executable (no execute permission)", hint=f"chmod +x {name}"
        )
    return path


# ---------------------------------------------------------------------------------------------
# Statistics


def quartiles(samples: Sequence[float]) -> tuple[float, float, float]:
    """First quartile, median and third quartile (linear interpolation, like numpy)."""
    if len(samples) == 1:
        return samples[0], samples[0], samples[0]
    q1, q2, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    return q1, q2, q3


def precise_enough(samples: Sequence[float], precision: float) -> bool:
    """Whether the median's notch half-width (1.57·IQR/√n) is within ``precision`` × median."""
    if len(samples) < 2:
        return False
    q1, med, q3 = quartiles(samples)
    return med > 0 and NOTCH * (q3 - q1) / math.sqrt(len(samples)) <= precision * med


# ---------------------------------------------------------------------------------------------
# The measurement


def _check_settings(
    runs_min: int, runs_max: int, budget_s: float, warmup: int, precision: float, timeout_s: float
) -> None:
    problems = []
    if runs_min < 1:
        problems.append("runs_min must be at least 1")
    if runs_max < runs_min:
        problems.append("runs_max must be at least runs_min")
    if budget_s <= 0:
        problems.append("the time budget must be positive")
    if warmup < 0:
        problems.append("warmup must not be negative")
    if precision < 0:
        problems.append("precision must not be negative")
    if timeout_s <= 0:
        problems.append("the per-run timeout must be positive")
    if problems:
        raise GobinoptError("; ".join(problems), status=ExitStatus.USAGE)


def _describe_failure(
    path: str, argv: Sequence[str], run: _Run, expect_exit: int, env: Mapping[str, str] | None
) -> str:
    if run.timed_out:
        return "timed out (killed with SIGKILL)"
    if run.status < 0:
        try:
            name = signal.Signals(-run.status).name
        except ValueError:
            name = f"signal {-run.status}"
        return f"killed by {name}"
    text = f"exit {run.status}, expected {expect_exit}"
    try:  # one more run with the output captured, for the line that explains the failure
        res = subprocess.run(
            list(argv),
            executable=path,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=30,
            check=False,
            env=None if env is None else dict(env),
        )
    except (OSError, subprocess.TimeoutExpired):
        return text
    tail = (res.stderr or res.stdout).strip().splitlines()[-1:]
    return f"{text}: {tail[0].strip()[:200]}" if tail and res.returncode == run.status else text


def measure(
    argv: Sequence[str],
    *,
    cold: bool,
    drop_caches: bool = False,
    runs_min: int = 10,
    runs_max: int = 1000,
    budget_s: float = 10.0,
    warmup: int = 3,
    precision: float = 0.02,
    expect_exit: int = 0,
    timeout_s: float = 10.0,
    env: Mapping[str, str] | None = None,
    observer: Observer = SILENT,
) -> LatencyResult:
    """Measure the start-up latency of ``argv`` (``argv[0]`` is the executable).

    ``cold`` evicts the executable from the page cache before every measured run (fadvise, or
    ``drop_caches`` as root). After ``warmup`` unmeasured runs, runs are measured until the
    median's notch half-width is within ``precision`` × median (after at least ``runs_min``
    runs), ``budget_s`` seconds have passed, ``runs_max`` runs were made, or a run exits with a
    status other than ``expect_exit``. Each run is killed after ``timeout_s`` seconds.

    Raises InputNotFoundError (exit 3) and BadInputError (exit 4) for an executable that is
    missing or cannot be executed, and a usage error (exit 2) for impossible settings or
    ``drop_caches`` without root.
    """
    if not argv:
        raise GobinoptError("no command to measure", status=ExitStatus.USAGE)
    _check_settings(runs_min, runs_max, budget_s, warmup, precision, timeout_s)
    if drop_caches and not cold:
        raise GobinoptError(
            "--drop-caches applies to cold runs only",
            hint="add --cold, or leave out --warm",
            status=ExitStatus.USAGE,
        )
    if drop_caches:
        check_drop_caches()
    if cold and not drop_caches and not hasattr(os, "posix_fadvise"):
        raise GobinoptError(
            "cold runs need posix_fadvise, which this system lacks",
            hint="measure warm runs only (--warm)",
            status=ExitStatus.USAGE,
        )
    path = resolve_executable(argv[0])
    eviction = Eviction.DROP_CACHES if drop_caches else Eviction.FADVISE if cold else Eviction.NONE
    mode = "cold" if cold else "warm"
    runner = _open_runner(path, argv, env)
    if runner.rss_note:
        observer.note(runner.rss_note)
    runs: list[_Run] = []
    resident: float | None = None
    failure = ""
    try:
        if warmup:
            observer.stage(f"{mode}: {warmup} warm-up runs")
        for _ in range(warmup):
            runner.run(timeout_s)
        observer.stage(f"{mode}: measuring")
        started = time.monotonic()
        while True:
            if eviction is Eviction.FADVISE:
                evict_file(path)
            elif eviction is Eviction.DROP_CACHES:
                drop_page_cache()
            if cold:
                share = runner.resident()
                if share is not None:
                    resident = share if resident is None else max(resident, share)
            run = runner.run(timeout_s)
            runs.append(run)
            n = len(runs)
            if n % 25 == 0:
                observer.stage(f"{mode}: {n} runs")
            if run.timed_out or run.status != expect_exit:
                failure = _describe_failure(path, argv, run, expect_exit, env)
                stop = StopReason.FAILED
                break
            if n >= runs_max:
                stop = StopReason.MAX_RUNS
                break
            if n >= runs_min and precise_enough([r.seconds for r in runs], precision):
                stop = StopReason.SPREAD
                break
            if time.monotonic() - started >= budget_s:
                stop = StopReason.BUDGET
                break
    finally:
        runner.close()
    return _result(argv, cold, eviction, runs, warmup, stop, expect_exit, failure, runner, resident)


def _result(
    argv: Sequence[str],
    cold: bool,
    eviction: Eviction,
    runs: list[_Run],
    warmup: int,
    stop: StopReason,
    expect_exit: int,
    failure: str,
    runner: _Runner,
    resident: float | None,
) -> LatencyResult:
    samples = [r.seconds for r in runs]
    q1, med, q3 = quartiles(samples)
    rss = [r.maxrss_kb for r in runs if r.maxrss_kb is not None]
    codes = Counter(r.status for r in runs)
    return LatencyResult(
        argv=tuple(argv),
        cold=cold,
        eviction=eviction,
        median_s=med,
        q1_s=q1,
        q3_s=q3,
        iqr_s=q3 - q1,
        min_s=min(samples),
        max_s=max(samples),
        runs=len(runs),
        warmup=warmup,
        stopped_because=stop,
        peak_rss_kb_median=statistics.median(rss) if rss else None,
        peak_rss_kb_max=max(rss) if rss else None,
        minor_faults=statistics.median(r.minflt for r in runs),
        major_faults=statistics.median(r.majflt for r in runs),
        exit_codes=tuple(sorted(codes.items())),
        expect_exit=expect_exit,
        failures=sum(1 for r in runs if r.timed_out or r.status != expect_exit),
        failure=failure,
        method=runner.method,
        launcher=runner.launcher,
        rss_note=runner.rss_note,
        rss_floor_kb=runner.rss_floor_kb,
        resident_after_eviction=resident,
        samples_s=tuple(samples),
    )


# ---------------------------------------------------------------------------------------------
# The JSON document


def to_document(results: Sequence[LatencyResult]) -> dict[str, Any]:
    """The ``gobinopt probe --json`` document (schema ``gobinopt.probe/v1``) of one command's
    results, one entry per mode. Plain dicts and lists only."""
    first = results[0] if results else None
    return {
        "schema": SCHEMA,
        "command": list(first.argv) if first else [],
        "expect_exit": first.expect_exit if first else 0,
        "method": {
            "timing": first.method.value if first else None,
            "launcher": (first.launcher or None) if first else None,
            "rss_note": (first.rss_note or None) if first else None,
            "rss_floor_kb": first.rss_floor_kb if first else None,
        },
        "results": [_result_document(r) for r in results],
    }


def _result_document(r: LatencyResult) -> dict[str, Any]:
    return {
        "mode": r.mode,
        "eviction": r.eviction.value,
        "median_s": r.median_s,
        "q1_s": r.q1_s,
        "q3_s": r.q3_s,
        "iqr_s": r.iqr_s,
        "rel_iqr": round(r.rel_iqr, 6),
        "min_s": r.min_s,
        "max_s": r.max_s,
        "runs": r.runs,
        "warmup": r.warmup,
        "stopped_because": r.stopped_because.value,
        "peak_rss_kb": {"median": r.peak_rss_kb_median, "max": r.peak_rss_kb_max},
        "minor_faults": r.minor_faults,
        "major_faults": r.major_faults,
        "exit_codes": {str(code): count for code, count in r.exit_codes},
        "failures": r.failures,
        "failure": r.failure or None,
        "resident_after_eviction": r.resident_after_eviction,
        "samples_s": list(r.samples_s),
    }

"""Docker environments (kind ``docker``): builds, post steps, probes and the fingerprint in a
container of an image, driven through the Docker SDK for Python — the only module that imports it.

One container per run. A :class:`DockerEnvironment` (one environment of one run) starts a single
long-lived container of its image on first use — idle (``sleep``) under ``docker-init``, labelled
``gobinopt=1``, ``gobinopt.run=<run id>`` and ``gobinopt.env=<name>`` — and runs every build, post
step, probe and the fingerprint in it. With a local daemon a small shell agent (one ``docker
exec`` left running, :class:`_Agent`) starts each command in a few milliseconds; its script, output
and status pass through a private directory of this machine mounted in the container (removed
by ``close``). Otherwise each command is a ``docker exec`` (about 40 ms; a container start costs
about 280 ms). The container never outlives the run: :meth:`DockerEnvironment.close` (the runner
calls it in a ``finally``) and Ctrl-C remove it, and :func:`prune` (``gobinopt envs prune``)
removes leftovers by label.

Mounts. Paths are the same inside the container as on this machine. A command names what it
needs: a build its output directory (writable), the program's module (read-only) and a
provisioned toolchain (read-only); a post step or probe the directories of its paths (writable);
the fingerprint a provisioned toolchain. The cache volume (below) is always mounted. When a
command needs a directory the running container does not mount, a new container is started with
the old mounts plus the new ones, and the old one is removed as soon as the commands running in
it end (nothing is killed). To keep that rare, a build's output directory is mounted by its
parent — the runner's artifacts root, which holds every build's output directory — when the
parent is the user's own (owned by the uid commands run as) and not ``/``, a top-level directory
(``/tmp``) or inside a read-only mount. A run of the runner thus uses one container (two when
the fingerprint is not remembered yet: it starts the first container before any build has said
what it needs). A new memory limit starts a new container too.

Every command runs as the calling user's uid:gid (the container too), so no root-owned file is left
in the user's tree; only when the cache volume is not yet that uid:gid's (new, or last used by
another user) does the first container of a run run one command as root, to hand it over. GOCACHE
and GOMODCACHE live in one named volume per image (``gobinopt-gocache-<image slug>``) that the
variants of a matrix share.

Time limits and kills. A command runs under the image's ``timeout -k 10 SECONDS`` (coreutils or
busybox; coreutils' stops the command's whole process group: `go build` and its compilers);
post steps and probes also under ``nice -n 10``. An image without ``timeout`` gets a backstop
instead: the container is removed when the time is up (its other commands report interrupted).
A command cannot be OOM-killed apart from its container: the kernel kills a process in it
(usually the compiler) and counts it in the container's cgroup; a failed build whose
container's ``oom_kill`` count grew is reported as out of memory (with several builds running at
once, the count cannot say whose process it was).

``DOCKER_HOST`` selects another daemon (the SDK's own mechanism). A daemon that is not on this
machine cannot see its paths: nothing is bind-mounted, the run's one container gets the sources
(once) and the output directories (before each command) through the archive API, and the outputs
come back after each successful command, extracted with :func:`extract_archive` (tarfile's
``data`` filter: no absolute paths, no ``..``, no links out of the destination).
"""

from __future__ import annotations

import io
import itertools
import math
import os
import re
import secrets
import shlex
import shutil
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gobinopt.envs.gobuild import goflags, hermetic_env
from gobinopt.envs.interface import BuildCommand, BuildResult, RunResult
from gobinopt.errors import BadInputError, GobinoptError, ToolMissingError
from gobinopt.tools import interrupted

if TYPE_CHECKING:
    from gobinopt.matrix.interface import BuildSpec, Environment

#: Label on every container, volume and image gobinopt makes.
LABEL = "gobinopt"
#: Label naming the run (one :class:`DockerEnvironment`) a container belongs to.
RUN_LABEL = "gobinopt.run"
#: Where the per-image cache volume is mounted in build containers.
CACHE_MOUNT = "/gobinopt-cache"
#: Go's variables from this machine that reach builds in a container (module fetching).
_PASSED_GO_VARS = ("GOPROXY", "GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GOSUMDB", "GOINSECURE")
#: How long a build may run.
BUILD_TIMEOUT_S = 1800.0
START_HINT = (
    "start it as root with `dockerd > /tmp/dockerd.log 2>&1 &` or `systemctl start docker`; "
    "DOCKER_HOST selects another daemon"
)


class DockerError(GobinoptError):
    """The Docker daemon refused or failed an operation."""


class DaemonUnreachableError(ToolMissingError):
    """No Docker daemon answers at DOCKER_HOST (or the default socket)."""


class ImageMissingError(ToolMissingError):
    """The image an environment names is not on the daemon."""


class UnsafeArchiveError(BadInputError):
    """An archive copied out of a container holds a path that would land outside its
    destination (absolute, ``..``, a link pointing out)."""


def daemon_host() -> str:
    """The daemon the SDK talks to: ``DOCKER_HOST`` or the default local socket."""
    return os.environ.get("DOCKER_HOST", "") or "unix:///var/run/docker.sock"


def daemon_is_local(host: str | None = None) -> bool:
    """Whether the daemon shares this machine's file system (a unix socket or named pipe):
    only then can paths be bind-mounted."""
    return (host or daemon_host()).startswith(("unix://", "npipe://"))


def slug(image: str) -> str:
    """``golang:1.26-alpine`` → ``golang-1.26-alpine``: a name part for volumes."""
    return re.sub(r"[^a-z0-9_.-]+", "-", image.lower()).strip("-.") or "image"


def cache_volume(image: str) -> str:
    """The named volume holding GOCACHE and GOMODCACHE of builds in ``image``."""
    return f"gobinopt-gocache-{slug(image)}"


def client() -> Any:
    """A Docker SDK client for ``DOCKER_HOST`` that has answered a ping.

    Raises DaemonUnreachableError (one line, with how to start a daemon) otherwise."""
    import docker  # noqa: TID251 - this module wraps the SDK
    from docker.errors import DockerException  # noqa: TID251

    try:
        c = docker.from_env(timeout=120)
        c.ping()
    except DockerException as exc:
        reason = " ".join(str(exc).split())
        known = {
            "No such file or directory": "no socket there",
            "Connection refused": "connection refused",
            "Permission denied": "permission denied (root, or a member of the docker group)",
            "timed out": "timed out",
        }
        short = next((v for k, v in known.items() if k in reason), reason)
        raise DaemonUnreachableError(
            f"docker daemon not reachable at {daemon_host()}: {short[:160]}", hint=START_HINT
        ) from None
    return c


def image_hint(image: str) -> str:
    """How to get ``image``: the `gobinopt envs` command for gobinopt's own images."""
    from gobinopt.envs.images import recipe_for_image

    recipe = recipe_for_image(image)
    if recipe is not None:
        how = [f"gobinopt envs import {recipe.name} --go {recipe.go}"] if recipe.importable else []
        if recipe.dockerfile:
            how.append(f"gobinopt envs build {recipe.name} --go {recipe.go}")
        return " or ".join(how)
    return f"docker pull {image} (needs a registry), or point the matrix at a local image"


def require_image(c: Any, image: str) -> Any:
    """The SDK image object of ``image``, or ImageMissingError with how to get it."""
    from docker.errors import ImageNotFound  # noqa: TID251

    try:
        return c.images.get(image)
    except ImageNotFound:
        raise ImageMissingError(f"docker image {image} not found", hint=image_hint(image)) from None


# --------------------------------------------------------------------------------------------
# Archives


def _strip(name: str, n: int) -> str | None:
    parts = [p for p in name.split("/") if p not in ("", ".")]
    return "/".join(parts[n:]) if len(parts) > n else None


def _check(member: tarfile.TarInfo, dest: Path) -> tarfile.TarInfo | None:
    """tarfile's ``data`` filter of one member, its refusal as UnsafeArchiveError; an absolute
    name (which the filter would quietly make relative) is refused too."""
    if member.name.startswith(("/", os.sep)):
        raise UnsafeArchiveError(
            f"archive from a container holds an unsafe member: {member.name!r} is absolute",
            hint="nothing was extracted; the container wrote outside its output",
        )
    try:
        return tarfile.data_filter(member, str(dest))
    except tarfile.FilterError as exc:
        raise UnsafeArchiveError(
            f"archive from a container holds an unsafe member: {exc}",
            hint="nothing was extracted; the container wrote outside its output",
        ) from None


def extract_archive(
    data: bytes | Iterable[bytes], dest: str | os.PathLike[str], strip: int = 0
) -> list[str]:
    """Extract a tar stream (the archive API's chunks) into ``dest`` with tarfile's ``data``
    filter, after checking every member first: one unsafe member (absolute path, ``..``,
    a link out of ``dest``, a device) raises UnsafeArchiveError and nothing is written.

    ``strip`` drops that many leading path components (the archive API puts the copied
    directory's own name first). Returns the extracted names (relative to ``dest``)."""
    dest_path = Path(dest)
    dest_path.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile() as spool:
        if isinstance(data, bytes):
            spool.write(data)
        else:
            for chunk in data:
                spool.write(chunk)
        spool.seek(0)
        try:
            with tarfile.open(fileobj=spool, mode="r:") as tar:
                members = []
                for orig in tar.getmembers():
                    m = orig
                    _check(orig, dest_path)
                    if strip:
                        name = _strip(m.name, strip)
                        if name is None:
                            continue
                        if m.islnk():
                            link = _strip(m.linkname, strip)
                            m = m.replace(name=name, linkname=link or "", deep=False)
                        else:
                            m = m.replace(name=name, deep=False)
                    if _check(m, dest_path) is not None:
                        members.append(m)
                tar.extractall(str(dest_path), members=members, filter="data")
        except tarfile.TarError as exc:
            raise UnsafeArchiveError(f"archive from a container is unreadable: {exc}") from None
    return [m.name for m in members]


def _tar_tree(src: str, arcname: str) -> bytes:
    """A tar of the directory ``src`` named ``arcname`` inside (links kept as links)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(src, arcname=arcname)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Containers


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one container ended."""

    #: Exit status; None when the timeout expired (the container was killed).
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    oom: bool = False
    #: Stopped by Ctrl-C or by :meth:`DockerEnvironment.close` while it ran.
    interrupted: bool = False


@dataclass(frozen=True, slots=True)
class Bind:
    """A path of this machine at the same path inside the container."""

    path: str
    read_only: bool


@dataclass(frozen=True, slots=True)
class PruneResult:
    """What :func:`prune` removed."""

    containers: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()


def prune(
    c: Any | None = None, *, run: str = "", images: bool = False, volumes: bool = False
) -> PruneResult:
    """Remove gobinopt's containers (label ``gobinopt.run``: of one ``run``, default all), and
    with ``images`` /
    ``volumes`` its images and cache volumes."""
    from docker.errors import APIError, NotFound  # noqa: TID251

    c = c or client()
    # By the run label: containers inherit their image's labels, so ``gobinopt=1`` is also on
    # anybody's container of a gobinopt image.
    labels = [f"{RUN_LABEL}={run}" if run else RUN_LABEL]
    gone: list[str] = []
    for ctr in c.containers.list(all=True, filters={"label": labels}):
        with suppress(NotFound, APIError):
            ctr.remove(force=True, v=True)
            gone.append(ctr.name)
    imgs: list[str] = []
    if images:
        for img in c.images.list(filters={"label": f"{LABEL}=1"}):
            for tag in img.tags or [img.id]:
                with suppress(NotFound, APIError):
                    c.images.remove(tag, force=True)
                    imgs.append(tag)
    vols: list[str] = []
    if volumes:
        for vol in c.volumes.list(filters={"label": f"{LABEL}=1"}):
            with suppress(NotFound, APIError):
                vol.remove(force=True)
                vols.append(vol.name)
    return PruneResult(tuple(gone), tuple(imgs), tuple(vols))


def _module_root(directory: str) -> str:
    """The directory holding the module (or workspace) of ``directory``: what a build needs."""
    d = Path(directory)
    for parent in (d, *d.parents):
        if (parent / "go.mod").is_file() or (parent / "go.work").is_file():
            return str(parent)
    return str(d)


def _outer(paths: Iterable[str]) -> list[str]:
    """``paths`` without those inside another one, sorted."""
    out: list[str] = []
    for p in sorted({os.path.normpath(p) for p in paths}):
        if not any(p == o or p.startswith(o.rstrip("/") + "/") for o in out):
            out.append(p)
    return out


_FINGERPRINT_SCRIPT = r"""
one() { k=$1; shift; v=$("$@" 2>&1 </dev/null | head -n 1); printf '%s=%s\n' "$k" "$v"; }
osname() { . /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-$NAME}"; }
libc() {
  for l in /lib/ld-musl-*.so.1 /usr/lib/musl/lib/libc.so; do
    if [ -e "$l" ] && { [ "${CC:-}" = musl-gcc ] || ! command -v getconf >/dev/null \
        || ! getconf GNU_LIBC_VERSION >/dev/null 2>&1; }; then
      echo "musl $("$l" 2>&1 | sed -n 's/^Version //p')"; return
    fi
  done
  getconf GNU_LIBC_VERSION 2>/dev/null || ldd --version 2>&1
}
goenv() { echo "$($GO env GOOS)/$($GO env GOARCH) GOAMD64=$($GO env GOAMD64)"; }
one os osname
one kernel uname -r
one machine uname -m
one libc libc
one linker ld --version
one cc "${CC:-gcc}" --version
one go "$GO" version
one goenv goenv
one strip strip --version
one upx upx --version
"""


class _Box:
    """The run's container (one at a time) and what is known about it; guarded by the
    environment's ``_box_lock``."""

    __slots__ = (
        "active",
        "agent",
        "copied",
        "ctr",
        "mem_limit",
        "mounts",
        "oom_kills",
        "retired",
    )

    def __init__(self, ctr: Any, mounts: tuple[Bind, ...], mem_limit: str | None) -> None:
        self.ctr = ctr
        self.mounts = mounts
        self.mem_limit = mem_limit
        #: Commands running in it; a retired box is removed when the last one ends.
        self.active = 0
        self.retired = False
        #: The cgroup's oom_kill counter when last read (0 in a fresh container).
        self.oom_kills = 0
        #: Read-only directories already copied in (remote daemon).
        self.copied: set[str] = set()
        #: The command runner inside it (local daemon), None: every command is an exec.
        self.agent: _Agent | None = None


#: The agent: starts each job it reads on stdin (``ID``: run ``DIR/ID.sh`` with its output in
#: ``DIR/ID.out`` and ``DIR/ID.err``) in the background and prints ``ID STATUS`` when it ends.
_AGENT_SCRIPT = r"""
d=$1
while IFS= read -r id; do
  { sh "$d/$id.sh" >"$d/$id.out" 2>"$d/$id.err" </dev/null; echo "$id $?"; } &
done
"""


class _Agent:
    """A shell left running (one exec) in the run's container that starts the commands it is
    sent: a command costs a fork in the container instead of a ``docker exec`` (about 40 ms of
    runtime work). Commands, their output and status go through a directory of this machine
    mounted in the container, so only a local daemon gets one."""

    def __init__(self, api: Any, container: str, directory: str, user: str) -> None:
        self.directory = directory
        exec_id = api.exec_create(
            container,
            ["sh", "-c", _AGENT_SCRIPT, "agent", directory],
            stdin=True,
            stdout=True,
            stderr=True,
            user=user,
        )["Id"]
        self._sock = api.exec_start(exec_id, socket=True)
        self._raw = getattr(self._sock, "_sock", self._sock)
        self._lock = threading.Lock()
        self._events: dict[str, threading.Event] = {}
        self._done: dict[str, int] = {}
        self._alive = True
        self._seq = itertools.count()
        threading.Thread(target=self._read, name="gobinopt-docker-agent", daemon=True).start()

    def _read(self) -> None:
        from docker.utils.socket import frames_iter  # noqa: TID251

        buf = b""
        try:
            for stream, data in frames_iter(self._sock, False):
                if stream != 1:
                    continue
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    parts = line.decode("utf-8", "replace").split()
                    if len(parts) == 2 and parts[1].isdigit():
                        with self._lock:
                            self._done[parts[0]] = int(parts[1])
                            event = self._events.get(parts[0])
                        if event is not None:
                            event.set()
        except Exception:
            pass  # any end of the stream is the agent's end
        finally:
            with self._lock:
                self._alive = False
                events = list(self._events.values())
            for event in events:
                event.set()

    def run(
        self, argv: Sequence[str], *, env: Mapping[str, str], cwd: str, limit: float
    ) -> tuple[str, int, str, str]:
        """Run ``argv``: ``("done", status, stdout, stderr)``, ``("expired", …)`` after
        ``limit`` seconds, ``("gone", …)`` when the agent ended (container removed, daemon
        gone)."""
        job = f"j{next(self._seq)}"
        base = os.path.join(self.directory, job)
        lines = [f"cd {shlex.quote(cwd)} || exit 126"] if cwd else []
        lines += [f"export {k}={shlex.quote(v)}" for k, v in env.items()]
        lines.append("exec " + shlex.join(argv))
        Path(base + ".sh").write_text("\n".join(lines) + "\n")
        event = threading.Event()
        try:
            with self._lock:
                if not self._alive:
                    return ("gone", 0, "", "")
                self._events[job] = event
                try:
                    self._raw.sendall(f"{job}\n".encode())
                except OSError:
                    return ("gone", 0, "", "")
            finished = event.wait(limit)
            with self._lock:
                code = self._done.pop(job, None)
                self._events.pop(job, None)
            if code is None:
                return ("gone" if finished else "expired", 0, "", "")
            out = Path(base + ".out").read_bytes().decode("utf-8", "replace")
            err = Path(base + ".err").read_bytes().decode("utf-8", "replace")
            return ("done", code, out, err)
        finally:
            for ext in (".sh", ".out", ".err"):
                with suppress(OSError):
                    os.unlink(base + ext)

    def close(self) -> None:
        response = getattr(self._sock, "_response", None)
        with suppress(OSError, ValueError):
            (response if response is not None else self._sock).close()


def _holder(mounts: Sequence[Bind], path: str) -> Bind | None:
    """The deepest of ``mounts`` holding ``path`` (it decides whether ``path`` is writable)."""
    holders = [m for m in mounts if path == m.path or path.startswith(m.path.rstrip("/") + "/")]
    return max(holders, key=lambda m: len(m.path), default=None)


def _covered(mounts: Sequence[Bind], need: Bind) -> bool:
    """Whether ``need`` is reachable through ``mounts``, writable when it must be."""
    holder = _holder(mounts, need.path)
    return holder is not None and (need.read_only or not holder.read_only)


def _share_root(outdir: str, read_only: Iterable[str], uid: int) -> str:
    """What to mount writable for a build writing into ``outdir``: its parent (the runner's
    artifacts root, which holds every build's output directory) when that is the user's own
    (owned by ``uid``, the uid commands run as), not ``/`` or a top-level directory (``/tmp``),
    and not inside a read-only mount (the source); else ``outdir`` itself."""
    parent = os.path.dirname(os.path.normpath(outdir))
    if parent.count("/") < 2:
        return outdir
    if any(parent == p or parent.startswith(p.rstrip("/") + "/") for p in read_only):
        return outdir
    try:
        if os.stat(parent).st_uid != uid:
            return outdir
    except OSError:
        return outdir
    return parent


class DockerEnvironment:
    """Builds, post steps, probes and the fingerprint run as commands (``docker exec``) in one
    long-lived container of ``environment.image`` per run (see the module docstring)."""

    kind = "docker"

    def __init__(self, environment: Environment | str, image: str = "") -> None:
        if isinstance(environment, str):
            self.name, self.image = environment, image
        else:
            self.name, self.image = environment.name, environment.image or image
        if not self.image:
            raise GobinoptError(
                f"environment {self.name}: kind docker needs an image",
                hint='add image = "gobinopt/bookworm:go1.26.6" (see gobinopt envs list)',
            )
        self.run_id = f"{os.getpid()}-{secrets.token_hex(4)}"
        #: uid:gid every command runs as (the calling user: files in their tree are theirs).
        self.user = f"{os.getuid()}:{os.getgid()}"
        #: Seconds a build may take; memory limit of the run's container (None: the daemon's).
        #: The limit holds for everything running in the container together; changing it
        #: starts a new container for the next command.
        self.build_timeout = BUILD_TIMEOUT_S
        self.mem_limit: str | None = None
        self._client: Any | None = None
        self._problem: str | None = None
        self._checked = False
        self._goroot: str | None = None
        #: What the first container found in the image (as root, once per run).
        self._cc_present: bool | None = None
        self._has_timeout = False
        self._has_nice = False
        self._volume_ready = False
        self._lock = threading.Lock()
        #: Held while the run's container is looked up, started or replaced.
        self._box_lock = threading.RLock()
        self._box: _Box | None = None
        self._closing = False
        self._live: set[str] = set()
        self._ctl: str | None = None

    # -- daemon and image ---------------------------------------------------------------------

    def _docker(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = client()
            return self._client

    def check(self) -> str | None:
        """Why this environment cannot run here (daemon, image), or None; asked once."""
        if not self._checked:
            try:
                require_image(self._docker(), self.image)
            except ToolMissingError as exc:
                self._problem = exc.one_line()
            self._checked = True
        return self._problem

    def missing_tool(self, cgo: bool) -> str | None:
        """The daemon or the image as a ``skipped: …`` line, or the image's missing C compiler
        for a cgo build."""
        problem = self.check()
        if problem:
            return f"skipped: {problem}"
        if cgo:
            if self._cc_present is None:
                try:
                    self._ensure_volume()  # also asks whether the image has its C compiler
                except GobinoptError as exc:
                    return f"skipped: {exc.one_line()}"
            if not self._cc_present:
                return f"skipped: image {self.image} has no C compiler for CGO_ENABLED=1"
        return None

    def extra_ldflags(self, cgo: bool) -> tuple[str, ...]:
        """Images whose C compiler is musl-gcc (label ``gobinopt.libc=musl``) link cgo
        variants externally and statically, like the host's musl environment."""
        if cgo and self._labels().get("gobinopt.libc") == "musl":
            return ("-linkmode", "external", "-extldflags", "-static")
        return ()

    def _labels(self) -> dict[str, str]:
        if self.check():
            return {}
        img = require_image(self._docker(), self.image)
        return dict((img.attrs.get("Config") or {}).get("Labels") or {})

    def goroot(self) -> str:
        """GOROOT of the image's `go` (from the image's ENV, else /usr/local/go)."""
        if self._goroot is None:
            root = "/usr/local/go"
            if not self.check():
                img = require_image(self._docker(), self.image)
                for kv in (img.attrs.get("Config") or {}).get("Env") or []:
                    if kv.startswith("GOROOT="):
                        root = kv.split("=", 1)[1]
            self._goroot = root
        return self._goroot

    # -- the build -----------------------------------------------------------------------------

    def command(
        self,
        go: str,
        spec: BuildSpec,
        directory: str,
        package: str,
        out: str,
        base_env: Mapping[str, str] | None = None,
    ) -> BuildCommand:
        """The `go build` as the container runs it: the image's ``go`` for toolchain "host",
        else the resolved toolchain (mounted at its path); GOROOT/src for std packages."""
        extra = dict(spec.env)
        extra.pop("GOFLAGS", None)
        env: list[tuple[str, str]] = [("CGO_ENABLED", "1" if spec.cgo else "0")]
        env.append(("GOFLAGS", goflags(spec.env, base_env)))
        if spec.goarch:
            env.append(("GOARCH", spec.goarch))
        if spec.goamd64:
            env.append(("GOAMD64", spec.goamd64))
        env.extend(extra.items())
        binary = "go" if spec.toolchain == "host" else go
        argv = (binary, "build", *spec.go_args(self.extra_ldflags(spec.cgo)), "-o", out, package)
        if directory:
            cwd = directory
        elif binary == "go":
            cwd = self.goroot() + "/src"
        else:
            cwd = str(Path(go).resolve().parent.parent / "src")
        return BuildCommand(tuple(env), argv, cwd)

    def _cache_env(self) -> dict[str, str]:
        extra = {
            "GOMODCACHE": f"{CACHE_MOUNT}/mod",
            "GOPATH": f"{CACHE_MOUNT}/gopath",
            "HOME": f"{CACHE_MOUNT}/home",
        }
        return hermetic_env(f"{CACHE_MOUNT}/go-build", base={}, extra=extra)

    def _ensure_volume(self) -> None:
        """Start the run's container (which prepares the cache volume) unless it runs."""
        if self._volume_ready:
            return
        outcome = self._exec(["true"], needs=(), timeout=600)
        if not self._volume_ready:
            raise DockerError(
                f"cannot prepare the container of {self.image}: "
                f"{outcome.stderr.strip()[-200:] or outcome.returncode}",
                hint=f"docker volume rm {cache_volume(self.image)}; gobinopt envs prune",
            )

    def build(self, command: BuildCommand, gocache: str) -> BuildResult:
        """Run ``command`` in the run's container; the artifact lands at its ``-o`` path
        (``gocache`` is the host's and unused: the image's cache volume serves instead)."""
        out = command.out
        problem = self.check()
        if problem:
            return BuildResult(False, out, 0.0, problem)
        start = time.monotonic()
        outdir = os.path.dirname(os.path.abspath(out))
        os.makedirs(outdir, exist_ok=True)
        goroot_src = command.argv[0] == "go" and command.cwd == self.goroot() + "/src"
        needs = [Bind(outdir, False)]
        if not goroot_src:
            needs.append(Bind(_module_root(command.cwd), True))
        if os.sep in command.argv[0]:
            needs.append(Bind(str(Path(command.argv[0]).resolve().parent.parent), True))
        env = self._cache_env()
        env.update({k: os.environ[k] for k in _PASSED_GO_VARS if os.environ.get(k)})
        env.update(command.env)
        res = self._exec(
            list(command.argv),
            needs=needs,
            widen=outdir,
            env=env,
            cwd=command.cwd,
            timeout=self.build_timeout,
            check_oom=True,
        )
        seconds = time.monotonic() - start
        if res.interrupted or res.returncode is None:
            return BuildResult.from_exit(out, seconds, None, "", interrupted=res.interrupted)
        if res.oom:
            return BuildResult(
                False, out, seconds, f"go build in {self.image} ran out of memory (OOM-killed)"
            )
        if res.returncode == 137:
            return BuildResult(False, out, seconds, f"go build in {self.image} killed")
        return BuildResult.from_exit(out, seconds, res.returncode, res.stderr or res.stdout)

    # -- post steps and probes -------------------------------------------------------------------

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str] | None = None,
        timeout: float,
    ) -> RunResult:
        """Run ``argv`` in the run's container (at lower priority), with the artifact's
        directory reachable at its own path."""
        paths = [cwd] + [os.path.dirname(a) for a in argv if os.path.isabs(a)]
        needs = [Bind(p, False) for p in _outer(paths) if p != "/"]
        res = self._exec(
            list(argv), needs=needs, env=dict(env or {}), cwd=cwd, timeout=timeout, nice=True
        )
        return RunResult(
            res.returncode, res.stdout, res.stderr, res.seconds, interrupted=res.interrupted
        )

    def fingerprint(self, go: str) -> dict[str, str]:
        """OS, kernel, libc, linker, C compiler, Go, strip and upx — taken inside the run's
        container — plus the image's name and id."""
        base = {"environment": self.name, "kind": self.kind, "image": self.image}
        problem = self.check()
        if problem:
            return {**base, "error": problem}
        img = require_image(self._docker(), self.image)
        own = os.path.realpath(go)
        from gobinopt.cache import cache_dir

        # A toolchain provisioned by gobinopt runs in the container at its own path;
        # any other `go` ("host") means the image's.
        provisioned = own.startswith(str((cache_dir() / "toolchains").resolve()) + "/")
        needs = [Bind(str(Path(own).parent.parent), True)] if provisioned else []
        import hashlib
        import json
        import platform

        # The same image (by content id), `go` and kernel give the same answers: asked once.
        memo_key = hashlib.sha256(f"{img.id} {own} {platform.release()}".encode()).hexdigest()
        memo = cache_dir() / "docker" / f"fingerprint-{memo_key[:24]}.json"
        with suppress(OSError, ValueError):
            remembered = json.loads(memo.read_text())
            if isinstance(remembered, dict):
                return {**base, **{str(k): str(v) for k, v in remembered.items()}}
        res = self._exec(
            ["sh", "-c", _FINGERPRINT_SCRIPT],
            needs=needs,
            env=hermetic_env(
                "/tmp/gocache", base={}, extra={"GO": own if provisioned else "go", "HOME": "/tmp"}
            ),
            timeout=120,
        )
        found = dict(
            line.split("=", 1) for line in res.stdout.splitlines() if "=" in line and line[0] != " "
        )
        keys = ("os", "kernel", "machine", "libc", "linker", "cc", "go", "goenv", "strip", "upx")
        facts = {"image_id": img.id, **{k: found.get(k, "").strip() for k in keys}}
        facts["wsl"] = "false"
        if res.returncode == 0 and facts["go"]:
            with suppress(OSError):
                memo.parent.mkdir(parents=True, exist_ok=True)
                memo.write_text(json.dumps(facts, sort_keys=True))
        return {**base, **facts}

    # -- the run's container --------------------------------------------------------------------

    def _acquire(self, needs: Sequence[Bind], widen: str = "") -> _Box:
        """The run's container, counted as in use, started (or replaced by one that also
        mounts ``needs``) when needed. ``widen``: a writable need to mount by its
        :func:`_share_root` instead, when a new container must be started anyway.

        Raises _NoBoxError with the outcome when no container can be had."""
        with self._box_lock:
            if self._closing:
                raise _NoBoxError(Outcome(None, "", "run closed", 0.0, interrupted=True))
            box = self._box
            local = daemon_is_local()
            if (
                box is not None
                and box.mem_limit == self.mem_limit
                and (not local or all(_covered(box.mounts, n) for n in needs))
            ):
                box.active += 1
                return box
            mounts: tuple[Bind, ...] = ()
            if local:
                old = box.mounts if box is not None else ()
                wanted = [*needs, Bind(self._control_dir(), False)]
                if widen:
                    read_only = [b.path for b in (*old, *needs) if b.read_only]
                    uid = int(self.user.split(":")[0])
                    wanted.append(Bind(_share_root(widen, read_only, uid), False))
                mounts = tuple(_nested([*old, *wanted]))
            new = self._start(mounts)
            if box is not None:
                box.retired = True
                if box.active == 0:
                    self._remove(box)
            self._box = new
            new.active += 1
            return new

    def _release(self, box: _Box) -> None:
        with self._box_lock:
            box.active -= 1
            if box.retired and box.active == 0:
                self._remove(box)

    def _remove(self, box: _Box) -> None:
        from docker.errors import APIError, NotFound  # noqa: TID251
        from requests.exceptions import RequestException

        with suppress(NotFound, APIError, RequestException, OSError):
            box.ctr.remove(force=True, v=True)
        with self._lock:
            self._live.discard(box.ctr.id)

    def _start(self, mounts: tuple[Bind, ...]) -> _Box:
        """Create and start a labelled container with ``mounts`` and the cache volume, idle
        until removed; the first one of the run also prepares the volume (as root)."""
        from docker.errors import APIError, ImageNotFound, NotFound  # noqa: TID251
        from docker.types import Mount  # noqa: TID251
        from requests.exceptions import RequestException

        c = self._docker()
        volume = cache_volume(self.image)
        start = time.monotonic()
        try:
            try:
                c.volumes.get(volume)
            except NotFound:
                c.volumes.create(volume, labels={LABEL: "1", "gobinopt.image": self.image})
            ctr = c.containers.create(
                self.image,
                ["sleep", str(2**31 - 1)],
                labels={LABEL: "1", RUN_LABEL: self.run_id, "gobinopt.env": self.name},
                user=self.user,
                mem_limit=self.mem_limit,
                mounts=[
                    *(Mount(b.path, b.path, type="bind", read_only=b.read_only) for b in mounts),
                    Mount(CACHE_MOUNT, volume, type="volume"),
                ],
                init=True,
                detach=True,
            )
        except ImageNotFound:
            raise _NoBoxError(
                Outcome(127, "", f"docker image {self.image} not found", time.monotonic() - start)
            ) from None
        except APIError as exc:
            text = " ".join(str(exc.explanation or exc).split())
            raise _NoBoxError(
                Outcome(126, "", f"docker refused the container: {text}", 0.0)
            ) from None
        except RequestException as exc:
            raise _NoBoxError(Outcome(125, "", _lost(exc), time.monotonic() - start)) from None
        box = _Box(ctr, mounts, self.mem_limit)
        with self._lock:
            self._live.add(ctr.id)
        try:
            if self._closing:
                raise _NoBoxError(Outcome(None, "", "run closed", 0.0, interrupted=True))
            ctr.start()
            if mounts:  # a local daemon: the control directory is mounted
                with suppress(Exception):
                    box.agent = _Agent(c.api, ctr.id, self._control_dir(), self.user)
            if not self._volume_ready:
                self._prepare(box)
        except _NoBoxError:
            self._remove(box)
            raise
        except APIError as exc:
            self._remove(box)
            if self._closing:
                closed = Outcome(None, "", "run closed", 0.0, interrupted=True)
                raise _NoBoxError(closed) from None
            text = " ".join(str(exc.explanation or exc).split())
            raise _NoBoxError(
                Outcome(126, "", f"docker: {text}", time.monotonic() - start)
            ) from None
        except RequestException as exc:
            raise _NoBoxError(Outcome(125, "", _lost(exc), time.monotonic() - start)) from None
        return box

    def _control_dir(self) -> str:
        """This run's directory for the agent's commands and output (local daemon), writable
        by the uid commands run as; removed by :meth:`close`."""
        with self._lock:
            if self._ctl is None:
                self._ctl = tempfile.mkdtemp(prefix="gobinopt-docker-")
                uid, gid = (int(x) for x in self.user.split(":"))
                if uid != os.getuid():
                    with suppress(OSError):
                        os.chown(self._ctl, uid, gid)
            return self._ctl

    def _prepare(self, box: _Box) -> None:
        """Ask the image what it has and make sure the cache volume is this uid:gid's: as that
        user when it already is (through the agent, if any), else once as root."""
        ug = self.user
        c = CACHE_MOUNT
        facts = (
            'for t in "${CC:-gcc}" timeout nice; do '
            'if command -v "$t" >/dev/null; then echo "$t=yes"; else echo "$t=no"; fi; done'
        )
        mine = (
            f'[ "$(stat -c %u:%g {c}/go-build 2>/dev/null)" = "{ug}" ] && '
            f"mkdir -p {c}/mod {c}/gopath {c}/home 2>/dev/null && echo own=yes; {facts}"
        )
        res = self._run_in(box, ["sh", "-c", mine], env={}, cwd="", user=ug, timeout=600)
        if res.returncode == 0 and "own=yes" not in res.stdout.splitlines():
            root = (
                f"mkdir -p {c}/go-build {c}/mod {c}/gopath {c}/home && "
                f'{{ [ "$(stat -c %u:%g {c}/go-build)" = "{ug}" ] || chown -R {ug} {c}; }} && '
                f"{facts}"
            )
            res = self._run_in(box, ["sh", "-c", root], env={}, cwd="", user="0:0", timeout=600)
        if self._closing:  # close() removed the container under it
            raise _NoBoxError(Outcome(None, "", "run closed", res.seconds, interrupted=True))
        if res.returncode != 0:
            raise _NoBoxError(
                Outcome(
                    126,
                    "",
                    f"cannot prepare cache volume {cache_volume(self.image)}: "
                    f"{res.stderr.strip()[-200:]}",
                    res.seconds,
                )
            )
        lines = [line for line in res.stdout.splitlines() if line != "own=yes"]
        self._cc_present = bool(lines) and lines[0].endswith("=yes")
        self._has_timeout = "timeout=yes" in lines
        self._has_nice = "nice=yes" in lines
        self._volume_ready = True

    def _exec(
        self,
        argv: list[str],
        *,
        needs: Sequence[Bind],
        widen: str = "",
        env: Mapping[str, str] | None = None,
        cwd: str = "",
        timeout: float,
        nice: bool = False,
        check_oom: bool = False,
    ) -> Outcome:
        """Run ``argv`` in the run's container (started or replaced as needed), as this user,
        killed after ``timeout`` seconds. A remote daemon gets ``needs`` copied in first and
        gives the writable ones back after a successful command."""
        start = time.monotonic()
        try:
            try:
                box = self._acquire(needs, widen)
            except _NoBoxError as refused:
                return refused.outcome
            try:
                if not daemon_is_local():
                    self._copy_in(box, needs)
                wrapped = list(argv)
                if nice and self._has_nice:
                    wrapped = ["nice", "-n", "10", *wrapped]
                if self._has_timeout:
                    wrapped = ["timeout", "-k", "10", str(math.ceil(timeout)), *wrapped]
                res = self._run_in(box, wrapped, env=env, cwd=cwd, user=self.user, timeout=timeout)
                res = _named(res, argv[0], wrapped[0] != argv[0])
                if check_oom and res.returncode not in (0, None) and not res.interrupted:
                    res = self._with_oom(box, res)
                if not daemon_is_local() and res.returncode == 0:
                    for b in needs:
                        if not b.read_only:
                            stream, _ = box.ctr.get_archive(b.path)
                            extract_archive(stream, b.path, strip=1)
                return res
            finally:
                self._release(box)
        except KeyboardInterrupt:
            self.close()  # Ctrl-C: the run's container goes with it
            raise
        except _NoBoxError as refused:
            return refused.outcome
        except Exception as exc:
            return self._failed(exc, start)

    def _failed(self, exc: Exception, start: float) -> Outcome:
        """The outcome of a command the daemon failed: interrupted when the run's container
        was removed under it (close() on Ctrl-C, `envs prune`), else the daemon's reason."""
        from docker.errors import APIError, NotFound  # noqa: TID251
        from docker.utils.socket import SocketError  # noqa: TID251
        from requests.exceptions import RequestException

        took = time.monotonic() - start
        if self._closing:
            return Outcome(None, "", "container removed", took, False, True)
        if isinstance(exc, NotFound) or (isinstance(exc, APIError) and exc.status_code == 409):
            return Outcome(None, "", "container removed", took, False, True)
        if isinstance(exc, APIError):
            text = " ".join(str(exc.explanation or exc).split())
            return Outcome(126, "", f"docker: {text}", took)
        if isinstance(exc, (RequestException, OSError, SocketError)):
            return Outcome(125, "", _lost(exc), took)
        raise exc

    def _run_in(
        self,
        box: _Box,
        argv: list[str],
        *,
        env: Mapping[str, str] | None,
        cwd: str,
        user: str,
        timeout: float,
    ) -> Outcome:
        """One command in ``box``: its output and exit status; through the box's agent when
        it has one and the command runs as this user, else as an exec. The in-container
        ``timeout`` stops it; when the image has none, the container is removed after
        ``timeout`` (the only way to stop it) and its other commands report interrupted."""
        from docker.utils.socket import frames_iter  # noqa: TID251

        start = time.monotonic()
        agent = box.agent
        if agent is not None and user == self.user:
            limit = timeout + (30 if self._has_timeout else 0)
            state, status, out, err = agent.run(argv, env=env or {}, cwd=cwd, limit=limit)
            seconds = time.monotonic() - start
            if state == "expired":
                self._drop(box)
                return Outcome(None, out, err, seconds)
            if state == "gone":
                if self._closing:
                    return Outcome(None, "", "container removed", seconds, False, True)
                try:
                    self._docker().ping()
                except Exception as exc:
                    return Outcome(125, "", _lost(exc), seconds)
                # Removed under our feet (`envs prune`), or the agent was killed: the next
                # command gets a new container.
                self._drop(box)
                return Outcome(None, "", "container removed", seconds, False, True)
            return self._finished(status, out, err, seconds, timeout)
        api = self._docker().api
        exec_id = api.exec_create(
            box.ctr.id,
            argv,
            stdout=True,
            stderr=True,
            environment=dict(env or {}),
            workdir=cwd or None,
            user=user,
        )["Id"]
        sock = api.exec_start(exec_id, socket=True)
        # A quiet build may say nothing for minutes: the SDK's read waits without a limit,
        # so a watchdog past the time limit is the backstop.
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            self._drop(box)

        watchdog = threading.Timer(timeout + (30 if self._has_timeout else 0), expire)
        watchdog.daemon = True
        watchdog.start()
        chunks: dict[int, list[bytes]] = {1: [], 2: []}
        try:
            for stream, data in frames_iter(sock, False):
                chunks.setdefault(stream, []).append(data)
        finally:
            watchdog.cancel()
            # As the SDK does: closing the response closes the socket.
            response = getattr(sock, "_response", None)
            with suppress(OSError, ValueError):
                (response if response is not None else sock).close()
        if expired.is_set():
            return Outcome(None, "", "", time.monotonic() - start)
        code: int | None = None
        for _ in range(500):
            info = api.exec_inspect(exec_id)
            if not info.get("Running"):
                code = info.get("ExitCode")
                break
            time.sleep(0.01)
        seconds = time.monotonic() - start
        stdout = b"".join(chunks[1]).decode("utf-8", "replace")
        stderr = b"".join(chunks[2]).decode("utf-8", "replace")
        if code is None:
            return Outcome(125, stdout, stderr or "the command's exit status is unknown", seconds)
        return self._finished(int(code), stdout, stderr, seconds, timeout)

    def _finished(
        self, code: int, stdout: str, stderr: str, seconds: float, timeout: float
    ) -> Outcome:
        if self._has_timeout and code in (124, 137) and seconds >= timeout:
            return Outcome(None, stdout, stderr, seconds)
        stopped = self._closing or interrupted(code)
        return Outcome(code, stdout, stderr, seconds, interrupted=stopped)

    def _drop(self, box: _Box) -> None:
        """Remove ``box`` now, whatever runs in it (the backstop of a time limit)."""
        with self._box_lock:
            box.retired = True
            if self._box is box:
                self._box = None
        self._remove(box)

    def _with_oom(self, box: _Box, res: Outcome) -> Outcome:
        """``res`` marked OOM when the container's cgroup counted an OOM kill since the last
        look: a command cannot be OOM-killed apart from its container, but the kernel kills a
        process in it (the compiler) and counts it there."""
        script = (
            "cat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control "
            "2>/dev/null | sed -n 's/^oom_kill //p'"
        )
        probe = self._run_in(box, ["sh", "-c", script], env={}, cwd="", user=self.user, timeout=30)
        counts = [int(x) for x in probe.stdout.split() if x.isdigit()]
        with self._box_lock:
            now = max(counts, default=box.oom_kills)
            grew = now > box.oom_kills
            box.oom_kills = now
        return Outcome(res.returncode, res.stdout, res.stderr, res.seconds, oom=grew)

    def _copy_in(self, box: _Box, needs: Sequence[Bind]) -> None:
        """A remote daemon: copy ``needs`` in (read-only ones once per container)."""
        for b in needs:
            if b.read_only and b.path in box.copied:
                continue
            self._put(box.ctr, b.path)
            if b.read_only:
                box.copied.add(b.path)

    def _put(self, ctr: Any, path: str) -> None:
        """Copy the directory ``path`` of this machine to the same path in ``ctr``."""
        rel = path.lstrip("/")
        data = _tar_tree(path, rel) if os.path.isdir(path) else _tar_dir_entry(rel)
        ctr.put_archive("/", data)

    def close(self) -> None:
        """Kill and remove the run's container (the commands running in it end interrupted)."""
        self._closing = True
        if self._client is None:
            return
        from docker.errors import APIError, NotFound  # noqa: TID251
        from requests.exceptions import RequestException

        with self._lock:
            live = list(self._live)
            self._live.clear()
        for cid in live:
            with suppress(NotFound, APIError, RequestException):
                self._client.api.remove_container(cid, v=True, force=True)
        # Also one being created by another thread right now.
        with suppress(APIError, RequestException):
            prune(self._client, run=self.run_id)
        box = self._box
        if box is not None and box.agent is not None:
            box.agent.close()
        if self._ctl is not None:
            shutil.rmtree(self._ctl, ignore_errors=True)


class _NoBoxError(Exception):
    """No container for the command: carries the outcome to report."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.stderr)
        self.outcome = outcome


def _named(res: Outcome, name: str, wrapped: bool) -> Outcome:
    """A command that could not be started, said as a shell says it: 127 ``NAME: not found``
    or 126 ``NAME: cannot execute: …`` (not the wrapper's or the runtime's words)."""
    text = res.stderr or res.stdout
    first = text.strip().splitlines()[0] if text.strip() else ""
    runtime = first.startswith("OCI runtime exec failed")
    ours = not res.stdout and (
        (wrapped and first.startswith(("timeout: ", "nice: "))) or ": exec: " in first
    )
    if res.returncode not in (126, 127) or not (runtime or ours):
        return res
    if "not found" in first or "No such file" in first or "no such file" in first:
        return Outcome(127, "", f"{name}: not found", res.seconds, res.oom, res.interrupted)
    why = first.rsplit(":", 1)[-1].strip() if ":" in first else first
    return Outcome(126, "", f"{name}: cannot execute: {why}", res.seconds, res.oom, res.interrupted)


def _lost(exc: Exception) -> str:
    reason = " ".join(str(exc).split())[:160]
    return (
        f"docker daemon at {daemon_host()} went away during the command: {reason} "
        f"(hint: {START_HINT}; then gobinopt envs prune)"
    )


def _tar_dir_entry(rel: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(rel)
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        info.uid, info.gid = os.getuid(), os.getgid()
        tar.addfile(info)
    return buf.getvalue()


def _nested(binds: Sequence[Bind]) -> list[Bind]:
    """Binds without duplicates, outer paths first (Docker mounts them in that order)."""
    seen: dict[str, Bind] = {}
    for b in binds:
        path = os.path.normpath(b.path)
        prev = seen.get(path)
        seen[path] = Bind(path, b.read_only and (prev.read_only if prev else True))
    kept: list[Bind] = []
    for b in sorted(seen.values(), key=lambda b: b.path.count("/")):
        # One inside another of its own kind (the nearest outer one decides) adds nothing.
        holder = _holder(kept, b.path)
        if holder is None or holder.read_only != b.read_only:
            kept.append(b)
    return kept


@contextmanager
def session(environment: Environment | str, image: str = "") -> Iterator[DockerEnvironment]:
    """A DockerEnvironment closed on exit (also on Ctrl-C)."""
    env = DockerEnvironment(environment, image)
    try:
        yield env
    finally:
        env.close()


__all__ = [
    "CACHE_MOUNT",
    "LABEL",
    "RUN_LABEL",
    "DaemonUnreachableError",
    "DockerEnvironment",
    "DockerError",
    "ImageMissingError",
    "Outcome",
    "PruneResult",
    "UnsafeArchiveError",
    "cache_volume",
    "client",
    "daemon_host",
    "extract_archive",
    "prune",
    "session",
]

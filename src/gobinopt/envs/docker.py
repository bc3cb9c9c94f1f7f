"""Docker environments (kind ``docker``): builds, post steps and probes in containers of an
image, driven through the Docker SDK for Python — the only module that imports it.

Every container is labelled ``gobinopt=1`` and ``gobinopt.run=<run id>``, removed in a
``finally`` (also on Ctrl-C) and by :meth:`DockerEnvironment.close`; :func:`prune` removes
leftovers by label. Paths are the same inside the container as on this machine: the program's
module is bind-mounted read-only, the artifact's directory writable, and every process runs as
the calling user's uid:gid, so no root-owned file is left in the user's tree. GOCACHE and
GOMODCACHE live in one named volume per image (``gobinopt-gocache-<image slug>``) that the
variants of a matrix share. ``DOCKER_HOST`` selects another daemon (the SDK's own mechanism);
a daemon that is not on this machine cannot see its paths, so sources go in and artifacts come
out through the archive API, extracted with :func:`extract_archive` (tarfile's ``data``
filter: no absolute paths, no ``..``, no links out of the destination).
"""

from __future__ import annotations

import io
import os
import re
import secrets
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


class DockerEnvironment:
    """Builds in containers of ``environment.image``; post steps and probes run in containers
    of the same image (its own strip, upx and libc)."""

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
        #: uid:gid every container runs as (the calling user: files in their tree are theirs).
        self.user = f"{os.getuid()}:{os.getgid()}"
        #: Seconds a build may take; memory limit of each container (None: the daemon's).
        self.build_timeout = BUILD_TIMEOUT_S
        self.mem_limit: str | None = None
        self._client: Any | None = None
        self._problem: str | None = None
        self._checked = False
        self._volume_ready = False
        self._goroot: str | None = None
        self._cc_present: bool | None = None
        self._lock = threading.Lock()
        self._closing = False
        self._live: set[str] = set()

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
        """Create the image's cache volume and hand it to this uid:gid (once, as root)."""
        from docker.errors import NotFound  # noqa: TID251

        if self._volume_ready:
            return
        c = self._docker()
        name = cache_volume(self.image)
        try:
            c.volumes.get(name)
        except NotFound:
            c.volumes.create(name, labels={LABEL: "1", "gobinopt.image": self.image})
        ug = self.user
        script = (
            f"mkdir -p /c/go-build /c/mod /c/gopath /c/home && "
            f'{{ [ "$(stat -c %u:%g /c/go-build)" = "{ug}" ] || chown -R {ug} /c; }} && '
            'if command -v "${CC:-gcc}" >/dev/null; then echo cc=yes; else echo cc=no; fi'
        )
        res = self._container(
            ["sh", "-c", script], binds=(), timeout=600, user="0:0", volume_at="/c"
        )
        if res.returncode != 0:
            raise DockerError(
                f"cannot prepare cache volume {name}: {res.stderr.strip()[-200:]}",
                hint=f"docker volume rm {name}",
            )
        self._cc_present = "cc=yes" in res.stdout
        self._volume_ready = True

    def build(self, command: BuildCommand, gocache: str) -> BuildResult:
        """Run ``command`` in a container; the artifact lands at its ``-o`` path (``gocache``
        is the host's and unused: the image's cache volume serves instead)."""
        out = command.out
        problem = self.check()
        if problem:
            return BuildResult(False, out, 0.0, problem)
        start = time.monotonic()
        try:
            self._ensure_volume()
        except GobinoptError as exc:
            return BuildResult(False, out, time.monotonic() - start, exc.one_line())
        outdir = os.path.dirname(os.path.abspath(out))
        os.makedirs(outdir, exist_ok=True)
        goroot_src = command.argv[0] == "go" and command.cwd == self.goroot() + "/src"
        binds = [Bind(outdir, False)]
        if not goroot_src:
            binds.append(Bind(_module_root(command.cwd), True))
        if os.sep in command.argv[0]:
            binds.append(Bind(str(Path(command.argv[0]).resolve().parent.parent), True))
        env = self._cache_env()
        env.update({k: os.environ[k] for k in _PASSED_GO_VARS if os.environ.get(k)})
        env.update(command.env)
        res = self._container(
            list(command.argv),
            binds=binds,
            env=env,
            cwd=command.cwd,
            timeout=self.build_timeout,
            volume_at=CACHE_MOUNT,
            outputs=(outdir,),
        )
        seconds = time.monotonic() - start
        if res.interrupted:
            return BuildResult(False, out, seconds, "go build interrupted", interrupted=True)
        if res.returncode is None:
            return BuildResult(False, out, seconds, "go build timed out")
        if res.oom:
            return BuildResult(
                False, out, seconds, f"go build in {self.image} ran out of memory (OOM-killed)"
            )
        if res.returncode == 137:
            return BuildResult(False, out, seconds, f"go build container in {self.image} killed")
        if res.returncode != 0:
            text = (res.stderr or res.stdout).strip().splitlines()
            return BuildResult(False, out, seconds, " / ".join(text[-6:]) or "go build failed")
        return BuildResult(True, out, seconds)

    # -- post steps and probes -------------------------------------------------------------------

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str] | None = None,
        timeout: float,
    ) -> RunResult:
        """Run ``argv`` in a container of the image with the artifact's directory mounted."""
        paths = [cwd] + [os.path.dirname(a) for a in argv if os.path.isabs(a)]
        binds = [Bind(p, False) for p in _outer(paths) if p != "/"]
        res = self._container(
            list(argv),
            binds=binds,
            env=dict(env or {}),
            cwd=cwd,
            timeout=timeout,
            outputs=tuple(b.path for b in binds),
        )
        return RunResult(
            res.returncode, res.stdout, res.stderr, res.seconds, interrupted=res.interrupted
        )

    def fingerprint(self, go: str) -> dict[str, str]:
        """OS, kernel, libc, linker, C compiler, Go, strip and upx — taken inside a container
        of the image — plus the image's name and id."""
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
        binds = [Bind(str(Path(own).parent.parent), True)] if provisioned else []
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
        res = self._container(
            ["sh", "-c", _FINGERPRINT_SCRIPT],
            binds=binds,
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

    # -- containers ---------------------------------------------------------------------------

    def _container(
        self,
        argv: list[str],
        *,
        binds: Sequence[Bind],
        env: Mapping[str, str] | None = None,
        cwd: str = "",
        timeout: float,
        user: str = "",
        volume_at: str = "",
        outputs: tuple[str, ...] = (),
    ) -> Outcome:
        """Run ``argv`` in a fresh labelled container and remove it whatever happens."""
        from docker.errors import APIError, ImageNotFound, NotFound  # noqa: TID251
        from docker.types import Mount  # noqa: TID251
        from requests.exceptions import RequestException
        from requests.exceptions import Timeout as RequestsTimeout

        c = self._docker()
        local = daemon_is_local()
        mounts = []
        if local:
            mounts = [
                Mount(b.path, b.path, type="bind", read_only=b.read_only) for b in _nested(binds)
            ]
        if volume_at:
            mounts.append(Mount(volume_at, cache_volume(self.image), type="volume"))
        start = time.monotonic()
        ctr = None
        try:
            if self._closing:
                return Outcome(None, "", "run closed", 0.0, interrupted=True)
            try:
                ctr = c.containers.create(
                    self.image,
                    argv,
                    labels={LABEL: "1", RUN_LABEL: self.run_id, "gobinopt.env": self.name},
                    user=user or self.user,
                    mem_limit=self.mem_limit,
                    environment=dict(env or {}),
                    working_dir=cwd or None,
                    mounts=mounts,
                    init=True,
                    detach=True,
                )
            except ImageNotFound:
                return Outcome(
                    127, "", f"docker image {self.image} not found", time.monotonic() - start
                )
            except APIError as exc:
                text = " ".join(str(exc.explanation or exc).split())
                return Outcome(126, "", f"docker refused the container: {text}", 0.0)
            with self._lock:
                self._live.add(ctr.id)
            if not local:
                for b in binds:
                    self._put(ctr, b.path)
            try:
                ctr.start()
            except APIError as exc:
                text = str(exc.explanation or exc)
                failed = 127 if "not found" in text or "no such file" in text else 126
                return Outcome(failed, "", text, time.monotonic() - start)
            code: int | None
            try:
                status = ctr.wait(timeout=timeout)
                code = int(status.get("StatusCode", -1))
            except RequestException as exc:
                if self._closing:
                    return Outcome(None, "", "", time.monotonic() - start, interrupted=True)
                timed_out = isinstance(exc, RequestsTimeout) or "timed out" in str(exc).lower()
                if not timed_out:
                    return Outcome(125, "", _lost(exc), time.monotonic() - start)
                with suppress(NotFound, APIError):
                    ctr.kill()
                code = None
            stdout = ctr.logs(stdout=True, stderr=False).decode("utf-8", "replace")
            stderr = ctr.logs(stdout=False, stderr=True).decode("utf-8", "replace")
            ctr.reload()
            oom = bool(ctr.attrs.get("State", {}).get("OOMKilled"))
            if not local and code == 0:
                for path in outputs:
                    stream, _ = ctr.get_archive(path)
                    extract_archive(stream, path, strip=1)
            stopped = self._closing or interrupted(code)
            return Outcome(code, stdout, stderr, time.monotonic() - start, oom, stopped)
        except (NotFound, APIError) as exc:
            # Removed under our feet: close() on Ctrl-C, or `gobinopt envs prune`.
            if self._closing or isinstance(exc, NotFound) or exc.status_code == 409:
                took = time.monotonic() - start
                return Outcome(None, "", "container removed", took, False, True)
            text = " ".join(str(exc.explanation or exc).split())
            return Outcome(126, "", f"docker: {text}", time.monotonic() - start)
        except RequestException as exc:
            return Outcome(125, "", _lost(exc), time.monotonic() - start)
        finally:
            if ctr is not None:
                with suppress(NotFound, APIError, RequestException):
                    ctr.remove(force=True, v=True)
                with self._lock:
                    self._live.discard(ctr.id)

    def _put(self, ctr: Any, path: str) -> None:
        """Copy the directory ``path`` of this machine to the same path in ``ctr``."""
        rel = path.lstrip("/")
        data = _tar_tree(path, rel) if os.path.isdir(path) else _tar_dir_entry(rel)
        ctr.put_archive("/", data)

    def close(self) -> None:
        """Kill and remove every container of this run (also those of other threads)."""
        self._closing = True
        if self._client is None:
            return
        from docker.errors import APIError, NotFound  # noqa: TID251
        from requests.exceptions import RequestException

        with suppress(APIError, RequestException):
            prune(self._client, run=self.run_id)
        with self._lock:
            live = list(self._live)
        for cid in live:
            with suppress(NotFound, APIError, RequestException):
                self._client.containers.get(cid).remove(force=True)


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
    return sorted(seen.values(), key=lambda b: b.path.count("/"))


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

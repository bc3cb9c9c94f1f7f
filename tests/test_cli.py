"""The `gobinopt` command line: tables, JSON, options, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import ELF_VARIANTS, GOBINOPT, Builder, Spec, run_gobinopt
from gobinopt.errors import ExitStatus, ToolMissingError
from gobinopt.tools import require, skipped_message


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`gobinopt ARGS` with this process's environment as Python sees it: without the COLUMNS
    that GNU readline exports into the C environment once something imports it (pytest does),
    which would make every table 80 columns wide."""
    return run_gobinopt(*args, env=dict(os.environ) if env is None else env)


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


# ---------------------------------------------------------------------------------------------
# Interrupts, unreadable inputs, unwritable outputs, output width, completion (issue 7)


def _members(pgid: int, comm: str) -> list[int]:
    """Pids of processes named ``comm`` in process group ``pgid`` (from /proc/PID/stat)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if stat[stat.index("(") + 1 : stat.rindex(")")] == comm and int(fields[2]) == pgid:
            pids.append(int(entry.name))
    return pids


def test_ctrl_c_prints_one_interrupted_line(builder: Builder, tmp_path: Path) -> None:
    """Ctrl-C during a command exits 130 with the one "interrupted … resume" line on stderr."""
    sleeper = tmp_path / "sleeper"
    shutil.copyfile(builder.build(Spec("sleeper")), sleeper)
    sleeper.chmod(0o755)
    proc = subprocess.Popen(
        [*GOBINOPT, "probe", "--budget", "300", "--runs-min", "1000", str(sleeper), "--", "-ms",
         "50"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not _members(proc.pid, "sleeper"):
        time.sleep(0.02)
    assert proc.poll() is None, "the probe ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does to the foreground job
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == ExitStatus.INTERRUPTED, err
    assert err.splitlines() == [
        "gobinopt: error: interrupted (hint: whatever finished before it is kept; run the same "
        "command again to resume)"
    ]


def _as_unprivileged(args: list[str]) -> list[str]:
    """``args`` run as a user without root's file access (a new user namespace without a uid
    map: the effective uid is the overflow uid, so file permissions apply even to root)."""
    if os.geteuid() != 0:
        return args
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare not found — install with apt-get install util-linux")
    probe = subprocess.run([unshare, "--user", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"user namespaces are not available here: {probe.stderr!r}")
    return [unshare, "--user", *args]


@pytest.mark.parametrize("command", ["explain", "probe"])
@pytest.mark.parametrize("mode", [0o000, 0o111, 0o200], ids=["0o000", "0o111", "0o200"])
def test_unreadable_binary_is_not_found_in_one_line(
    builder: Builder, tmp_path: Path, command: str, mode: int
) -> None:
    """A binary the user may not read (even if executable) is exit 3 with one line from
    gobinopt, never Click's usage error (exit 2) or an internal error (exit 70)."""
    binary = tmp_path / "hello"
    shutil.copyfile(builder.build(ELF_VARIANTS["hello"]), binary)
    binary.chmod(mode)
    tmp_path.chmod(0o755)
    res = subprocess.run(
        _as_unprivileged([*GOBINOPT, command, str(binary)]),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert res.returncode == ExitStatus.NOT_FOUND, res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"gobinopt: error: {binary}"), lines


@pytest.mark.parametrize("command", ["explain", "probe"])
def test_paths_that_are_not_regular_files_are_not_found(tmp_path: Path, command: str) -> None:
    """A dangling link, a FIFO, a path below a file and a directory are exit 3, one line each."""
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "file").write_text("x")
    for path in ("dangling", "fifo", "file/below", "."):
        res = cli(command, str(tmp_path / path))
        assert res.returncode == ExitStatus.NOT_FOUND, (path, res.stderr)
        assert len(res.stderr.splitlines()) == 1 and "gobinopt: error:" in res.stderr, path


def test_click_never_checks_paths() -> None:
    """No command lets Click check a path parameter (exists, readable, file or directory):
    gobinopt checks paths itself, with one line and the README's exit codes."""
    from typer.models import TyperPath

    from gobinopt.cli.app import build_app

    def walk(command: Any) -> Iterator[Any]:
        yield from getattr(command, "params", [])
        for sub in getattr(command, "commands", {}).values():
            yield from walk(sub)

    paths = [p for p in walk(build_app()) if isinstance(p.type, TyperPath)]
    assert paths, "no path parameters found"
    for p in paths:
        t = p.type
        assert not (t.exists or t.readable or t.writable), p.name
        assert t.file_okay and t.dir_okay, p.name


@pytest.mark.parametrize(
    "treemap", ["/proc/gobinopt-test/y.png", "/etc/passwd/x.png", "{tmp}/tiles.gif", "{tmp}"]
)
def test_unwritable_treemap_is_bad_input_before_analysis(
    builder: Builder, tmp_path: Path, treemap: str
) -> None:
    """--treemap to a path that cannot be written, or not .png/.svg, is exit 4 with one line
    naming the treemap, checked before the binary is read."""
    target = treemap.format(tmp=tmp_path)
    for binary in (str(builder.build(ELF_VARIANTS["hello"])), str(tmp_path / "missing")):
        res = cli("explain", binary, "--treemap", target)
        assert res.returncode == ExitStatus.BAD_INPUT, res.stderr
        lines = res.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"gobinopt: error: {target}"), lines


def test_treemap_is_written(builder: Builder, tmp_path: Path) -> None:
    """--treemap into a new directory writes the picture next to the usual report."""
    out = tmp_path / "new" / "tiles.svg"
    res = cli("explain", str(builder.build(ELF_VARIANTS["hello"])), "--treemap", str(out))
    assert res.returncode == 0, res.stderr
    assert out.read_text().lstrip().startswith("<?xml")


LONGNAMES = Spec("longnames")
AUTH = "/internal/transport/authentication"


def _functions_of(binary: Path, suffix: str) -> list[str]:
    doc = json.loads(cli("explain", "--json", "--top", "0", str(binary)).stdout)
    return [f["name"] for f in doc["functions"] if f["package"].endswith(suffix)]


def test_narrow_output_keeps_each_names_identifying_end(builder: Builder) -> None:
    """At COLUMNS=80 every line fits in 80 columns and every function row still shows its
    package.Type.Method end (distinct rows), every section name and the package's last element."""
    binary = builder.build(LONGNAMES)
    names = _functions_of(binary, AUTH)
    assert len(names) == 5 and all(len(n) > 80 for n in names)
    env = dict(os.environ, COLUMNS="80")
    out = cli("explain", str(binary), "--by", "function", "--top", "0", env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    for name in names:
        end = name[name.rindex("/") + 1 :]  # authentication.(*TokenValidator).ValidateSignature…
        rows = [line for line in lines if line.split("│")[0].rstrip().endswith(end)]
        assert len(rows) == 1, (end, rows)
    by_section = cli("explain", str(binary), env=env)
    doc = json.loads(cli("explain", "--json", str(binary)).stdout)
    shown = {line.split("│")[0].strip() for line in by_section.stdout.splitlines()}
    assert max(len(line) for line in by_section.stdout.splitlines()) <= 80
    assert {p["name"] for p in doc["parts"]} <= shown
    by_package = cli("explain", str(binary), "--by", "package", "--top", "0", env=env)
    assert any(
        line.split("│")[0].rstrip().endswith(AUTH) for line in by_package.stdout.splitlines()
    )


def test_pipe_output_is_never_cut(builder: Builder) -> None:
    """In a pipe without COLUMNS, function rows wider than 160 columns (name and package) show
    the whole name and the whole package."""
    binary = builder.build(LONGNAMES)
    names = _functions_of(binary, AUTH)
    out = cli("explain", str(binary), "--by", "function", "--top", "0", env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    package = names[0][: names[0].index(AUTH) + len(AUTH)]
    assert all(len(n) + len(package) > 160 for n in names)
    for name in names:
        rows = [line for line in out.stdout.splitlines() if name in line]
        assert len(rows) == 1 and package in rows[0].replace(name, ""), name


def test_shell_completion_is_enabled() -> None:
    """--show-completion prints the bash script and the completion protocol completes
    command names."""
    script = cli("--show-completion", "bash")
    assert script.returncode == 0, script.stderr
    assert "_GOBINOPT_COMPLETE" in script.stdout and "complete " in script.stdout
    env = dict(
        os.environ, _GOBINOPT_COMPLETE="complete_bash", COMP_WORDS="gobinopt ca", COMP_CWORD="1"
    )
    res = cli(env=env)
    assert res.stdout.split() == ["cache"], res.stdout + res.stderr

"""`gobinopt diff`: real builds compared level by level, every level adding up to the total."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ELF_VARIANTS, PROGRAMS, Builder, Spec, go_env
from conftest import run_gobinopt as cli
from gobinopt.diff import (
    Diff,
    DiffError,
    LevelName,
    Mark,
    PackageBytes,
    Side,
    SourceKind,
    compare,
    diff_files,
    load_side,
    to_document,
    to_markdown,
)
from gobinopt.diff.names import match_functions, numbering, shapes
from gobinopt.diff.sides import build_paths
from gobinopt.errors import ExitStatus

HELLO_WITH_HTTP = """// Command hello prints a greeting; with -serve it also serves it over HTTP.
package main

import (
	"flag"
	"fmt"
	"net/http"
)

var version = "dev"

func main() {
	showVersion := flag.Bool("version", false, "print the version and exit")
	serve := flag.String("serve", "", "listen address")
	flag.Parse()
	if *showVersion {
		fmt.Println("hello", version)
		return
	}
	fmt.Println("hello, world")
	if *serve != "" {
		_ = http.ListenAndServe(*serve, nil)
	}
}
"""

CLOSURES_OLD = """package main

import "fmt"

var sink []func(int) int

func main() {
	sink = append(sink, func(a int) int {
		inner := func(b int) int { return b * 3 }
		sink = append(sink, inner)
		return a + 1
	})
	for i, f := range sink {
		fmt.Println(f(i))
	}
}
"""

# The same program with one closure inserted before the first: the nested closure is renumbered
# from main.main.func1.1 to main.main.func2.1.
CLOSURES_NEW = """package main

import "fmt"

var sink []func(int) int

func main() {
	sink = append(sink, func(a int) int { return a - 7 })
	sink = append(sink, func(a int) int {
		inner := func(b int) int { return b * 3 }
		sink = append(sink, inner)
		return a + 1
	})
	for i, f := range sink {
		fmt.Println(f(i))
	}
}
"""


def write_module(tmp: Path, name: str, files: dict[str, str]) -> Path:
    """Write a Go module's files into ``tmp/name``."""
    src = tmp / name
    for rel, text in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text)
    return src


def go_build(go: str, src: Path, out: Path, *flags: str) -> Path:
    """Build the module in ``src`` into ``out`` with the pinned toolchain (CGO off)."""
    res = subprocess.run(
        [go, "build", *flags, "-o", str(out), "."],
        cwd=src,
        env=go_env(go, {"CGO_ENABLED": "0"}),
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    return out


def build_source(go: str, tmp: Path, name: str, files: dict[str, str], *flags: str) -> Path:
    """Write a Go module into ``tmp/name`` and build it into ``tmp/name.bin``."""
    return go_build(go, write_module(tmp, name, files), tmp / f"{name}.bin", *flags)


def hello_files(main: str | None = None) -> dict[str, str]:
    return {
        "go.mod": (PROGRAMS / "hello" / "go.mod").read_text(),
        "main.go": main if main is not None else (PROGRAMS / "hello" / "main.go").read_text(),
    }


def assert_levels_add_up(d: Diff) -> None:
    """Every compared level's rows and explicit rows sum to the total delta."""
    for level in d.levels:
        if not level.available:
            continue
        assert level.old_total == d.old_total and level.new_total == d.new_total
        assert sum(r.delta for r in level.rows) + sum(r.delta for r in level.rest) == d.delta, (
            level.name
        )


@pytest.fixture(scope="module")
def http_pair(go: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """hello, and hello with a net/http import."""
    tmp = tmp_path_factory.mktemp("http")
    old = build_source(go, tmp, "hello", hello_files())
    new = build_source(go, tmp, "hello-http", hello_files(HELLO_WITH_HTTP))
    return old, new


def test_added_net_http_import_names_the_new_packages(http_pair: tuple[Path, Path]) -> None:
    """Adding net/http shows net/http, crypto/tls and friends as NEW packages whose bytes add up."""
    old, new = http_pair
    d = diff_files(str(old), str(new))
    assert d.delta == new.stat().st_size - old.stat().st_size > 0
    assert_levels_add_up(d)
    packages = {r.name: r for r in d.level(LevelName.PACKAGES).rows}
    for name in ("net/http", "crypto/tls", "net", "crypto/x509"):
        assert packages[name].mark is Mark.NEW, name
    new_side = load_side(str(new), "new")
    assert new_side.packages is not None
    sizes = {p.name: p.size for p in new_side.packages}
    new_rows = [r for r in packages.values() if r.mark is Mark.NEW]
    assert sum(r.delta for r in new_rows) == sum(sizes[r.name] for r in new_rows)
    assert packages["net/http"].new_count and packages["net/http"].new_count > 100
    std = next(r for r in d.level(LevelName.MODULES).rows if r.name == "std")
    std_packages = [r for r in packages.values() if "." not in r.name.split("/")[0] and r.name]
    assert std.delta == sum(r.delta for r in std_packages if r.name != "main")
    functions = {r.name: r for r in d.level(LevelName.FUNCTIONS).rows}
    assert functions["net/http.(*Server).Serve"].mark is Mark.NEW


def test_cli_names_the_new_packages_in_80_columns(http_pair: tuple[Path, Path]) -> None:
    """The terminal tables name net/http as NEW and no line is wider than 80 columns."""
    old, new = http_pair
    res = cli("diff", str(old), str(new), "--top", "200")
    assert res.returncode == 0, res.stderr
    assert "net/http" in res.stdout and "NEW" in res.stdout
    assert max(len(line) for line in res.stdout.splitlines()) <= 80


def test_identical_rebuild_diffs_to_zero(go: str, tmp_path: Path) -> None:
    """The same source built twice diffs to zero at every level, with no warnings."""
    src = write_module(tmp_path, "src", hello_files())
    a = go_build(go, src, tmp_path / "a")
    b = go_build(go, src, tmp_path / "b")
    d = diff_files(str(a), str(b))
    assert d.delta == 0 and not d.warnings and not d.settings
    for level in d.levels:
        assert level.available and not [r for r in level.rows if r.delta], level.name
    res = cli("diff", str(a), str(b))
    assert res.returncode == 0 and "Δ 0 bytes" in res.stdout


def test_trimpath_changes_paths_and_pclntab(builder: Builder) -> None:
    """-trimpath shows as a setting, the build directory it removes, a smaller .gopclntab."""
    d = diff_files(
        str(builder.build(ELF_VARIANTS["hello"])),
        str(builder.build(ELF_VARIANTS["hello-trimpath"])),
    )
    assert_levels_add_up(d)
    settings = {s.key: s for s in d.settings}
    assert settings["-trimpath"].new == "true"
    main_dir = settings["build directory (main module)"]
    assert main_dir.old == str(PROGRAMS / "hello") and main_dir.new is None
    assert any("-trimpath" in w for w in d.warnings)
    sections = {r.name: r for r in d.level(LevelName.SECTIONS).rows}
    assert sections[".gopclntab"].delta < 0


def test_stripped_build_diffs_to_about_zero_loaded(builder: Builder) -> None:
    """-s -w and strip --strip-all remove debug bytes (a warning) but leave the loaded bytes
    within a page of the original."""
    full = builder.build(ELF_VARIANTS["hello"])
    for variant in ("hello-sw-X", "hello-stripped"):
        small = builder.build(ELF_VARIANTS[variant])
        d = diff_files(str(full), str(small))
        assert_levels_add_up(d)
        assert d.delta < -100_000
        categories = {r.name: r for r in d.level(LevelName.CATEGORIES).rows}
        assert categories["DWARF"].mark is Mark.GONE
        assert any("--loaded-only" in w for w in d.warnings)
        loaded = diff_files(str(full), str(small), loaded_only=True)
        assert_levels_add_up(loaded)
        assert loaded.loaded_only and abs(loaded.delta) < 4096 < abs(d.delta)
        assert "DWARF" not in {r.name for r in loaded.level(LevelName.CATEGORIES).rows}


def test_cli_loaded_only_json(builder: Builder) -> None:
    """--loaded-only --json reports loaded bytes whose levels add up to the total."""
    full = builder.build(ELF_VARIANTS["hello"])
    small = builder.build(ELF_VARIANTS["hello-stripped"])
    res = cli("diff", str(full), str(small), "--loaded-only", "--json", "--top", "0")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["schema"] == "gobinopt.diff/v1" and doc["loaded_only"] is True
    total = doc["total"]["delta"]
    for name, level in doc["levels"].items():
        shown = sum(r["delta"] for r in level["rows"]) + level["left_out"]["delta"]
        assert shown + sum(r["delta"] for r in level["rest"]) == total, name


def _explain_json(path: Path, out: Path, *args: str) -> Path:
    res = cli("explain", str(path), "--json", *args)
    assert res.returncode == 0, res.stderr
    out.write_text(res.stdout)
    return out


def _comparable(doc: dict[str, object]) -> dict[str, object]:
    """The parts of a diff document that do not name the inputs."""
    return {k: doc[k] for k in ("total", "warnings", "settings", "levels", "notes")}


def test_json_documents_diff_like_the_binaries(
    http_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    """Saved `explain --json --top 0` documents, alone or mixed with a binary, diff exactly like
    the binaries they were made from."""
    old, new = http_pair
    old_doc = _explain_json(old, tmp_path / "old.json", "--top", "0")
    new_doc = _explain_json(new, tmp_path / "new.json", "--top", "0")
    want = _comparable(to_document(diff_files(str(old), str(new)), top=0, show_all=True))
    for a, b in ((old_doc, new_doc), (old, new_doc), (old_doc, new)):
        got = diff_files(str(a), str(b))
        assert _comparable(to_document(got, top=0, show_all=True)) == want
    assert load_side(str(old_doc), "old").kind is SourceKind.EXPLAIN_JSON


def test_partial_json_document_skips_only_the_function_level(
    http_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    """A document listing only the largest functions still diffs every other level, and says
    how to save a complete one."""
    old, new = http_pair
    partial = _explain_json(old, tmp_path / "old.json")
    d = diff_files(str(partial), str(new))
    functions = d.level(LevelName.FUNCTIONS)
    assert not functions.available and "--top 0" in functions.note
    assert d.level(LevelName.PACKAGES).available
    assert_levels_add_up(d)


@pytest.mark.parametrize("role", ["old", "new"])
@pytest.mark.parametrize(
    ("damage", "status"),
    [
        ("missing", ExitStatus.NOT_FOUND),
        ("directory", ExitStatus.NOT_FOUND),
        ("truncated", ExitStatus.BAD_INPUT),
        ("text", ExitStatus.BAD_INPUT),
        ("bad-json", ExitStatus.BAD_INPUT),
        ("other-schema", ExitStatus.BAD_INPUT),
    ],
)
def test_bad_input_names_the_side(
    builder: Builder, tmp_path: Path, role: str, damage: str, status: ExitStatus
) -> None:
    """A missing, unreadable, corrupt or foreign input on either side is a one-line error that
    names the side, with the documented exit code."""
    good = builder.build(ELF_VARIANTS["hello"])
    bad = tmp_path / "bad"
    if damage == "directory":
        bad.mkdir()
    elif damage == "truncated":
        bad.write_bytes(good.read_bytes()[:3000])
    elif damage == "text":
        bad.write_text("just some text\n")
    elif damage == "bad-json":
        bad.write_text('{"schema": "gobinopt.explain/v1", ')
    elif damage == "other-schema":
        bad.write_text('{"schema": "gobinopt.diff/v1"}')
    args = [str(bad), str(good)] if role == "old" else [str(good), str(bad)]
    res = cli("diff", *args)
    assert res.returncode == status, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"gobinopt: error: {role}: "), lines


def test_load_side_error_is_a_diff_error(tmp_path: Path) -> None:
    """The library raises DiffError with the side's name and the not-found status."""
    with pytest.raises(DiffError) as info:
        load_side(str(tmp_path / "nope"), "new")
    assert info.value.status is ExitStatus.NOT_FOUND and info.value.message.startswith("new: ")


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not found — apt-get install gcc")
def test_non_go_pair_diffs_at_section_level(builder: Builder, tmp_path: Path) -> None:
    """Two C programs diff at the section levels; the Go levels say why they are not compared."""
    paths = []
    for name, body in (("a", 'puts("a");'), ("b", 'for (int i = 0; i < 3; i++) puts("bb");')):
        src = tmp_path / f"{name}.c"
        src.write_text(f"#include <stdio.h>\nint main(void) {{ {body} return 0; }}\n")
        subprocess.run(["gcc", "-O0", "-o", str(tmp_path / name), str(src)], check=True)
        paths.append(tmp_path / name)
    d = diff_files(str(paths[0]), str(paths[1]))
    assert d.level(LevelName.SECTIONS).available and d.level(LevelName.CATEGORIES).available
    assert_levels_add_up(d)
    packages = d.level(LevelName.PACKAGES)
    assert not packages.available and "not a Go binary" in packages.note
    mixed = diff_files(str(paths[0]), str(builder.build(ELF_VARIANTS["hello"])))
    assert "old is not a Go binary" in mixed.level(LevelName.MODULES).note
    res = cli("diff", str(paths[0]), str(paths[1]), "--markdown")
    assert res.returncode == 0 and "Not compared" in res.stdout


def test_module_versions_added_and_replaced(go: str, tmp_path: Path) -> None:
    """A dependency whose version and replacement change, and one that is added, show in the
    module level and the build settings."""
    lib = {"go.mod": "module example.com/lib\n\ngo 1.21\n"}
    (tmp_path / "lib1").mkdir()
    (tmp_path / "lib2").mkdir()
    (tmp_path / "extra").mkdir()
    (tmp_path / "lib1" / "go.mod").write_text(lib["go.mod"])
    (tmp_path / "lib1" / "lib.go").write_text(
        'package lib\n\n//go:noinline\nfunc Greeting() string { return "hi" }\n'
    )
    (tmp_path / "lib2" / "go.mod").write_text(lib["go.mod"])
    (tmp_path / "lib2" / "lib.go").write_text(
        'package lib\n\nimport "strings"\n\n'
        '//go:noinline\nfunc Greeting() string { return strings.Repeat("hello ", 3) }\n'
    )
    (tmp_path / "extra" / "go.mod").write_text("module example.com/extra\n\ngo 1.21\n")
    (tmp_path / "extra" / "extra.go").write_text(
        'package extra\n\nimport "fmt"\n\n'
        '//go:noinline\nfunc Say(s string) { fmt.Println("extra", s) }\n'
    )
    old_mod = (
        "module example.com/app\n\ngo 1.21\n\nrequire example.com/lib v0.1.0\n\n"
        f"replace example.com/lib v0.1.0 => {tmp_path / 'lib1'}\n"
    )
    new_mod = (
        "module example.com/app\n\ngo 1.21\n\n"
        "require (\n\texample.com/lib v0.2.0\n\texample.com/extra v0.1.0\n)\n\n"
        f"replace example.com/lib v0.2.0 => {tmp_path / 'lib2'}\n"
        f"replace example.com/extra v0.1.0 => {tmp_path / 'extra'}\n"
    )
    old_main = 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/lib"\n)\n\n'
    old_main += "func main() { fmt.Println(lib.Greeting()) }\n"
    new_main = (
        'package main\n\nimport (\n\t"example.com/extra"\n\t"example.com/lib"\n)\n\n'
        "func main() { extra.Say(lib.Greeting()) }\n"
    )
    old = build_source(go, tmp_path, "old", {"go.mod": old_mod, "main.go": old_main})
    new = build_source(go, tmp_path, "new", {"go.mod": new_mod, "main.go": new_main})
    d = diff_files(str(old), str(new))
    assert_levels_add_up(d)
    modules = {r.name: r for r in d.level(LevelName.MODULES).rows}
    lib_row = modules["example.com/lib"]
    assert (lib_row.old_version or "").startswith(f"v0.1.0 => {tmp_path / 'lib1'}")
    assert (lib_row.new_version or "").startswith(f"v0.2.0 => {tmp_path / 'lib2'}")
    assert lib_row.delta > 0
    assert modules["example.com/extra"].mark is Mark.NEW
    settings = {s.key: s for s in d.settings}
    assert settings["dep example.com/extra"].old is None
    assert settings["dep example.com/lib"].new == lib_row.new_version
    md = to_markdown(d)
    assert "example.com/extra" in md and "→" in md


def test_renumbered_closure_is_one_change(go: str, tmp_path: Path) -> None:
    """A nested closure renumbered by an inserted closure is matched as a change of the same
    function, not a GONE plus a NEW."""
    old = build_source(
        go,
        tmp_path,
        "old",
        {"go.mod": "module closures\n\ngo 1.21\n", "main.go": CLOSURES_OLD},
        "-gcflags=-l",
    )
    new = build_source(
        go,
        tmp_path,
        "new",
        {"go.mod": "module closures\n\ngo 1.21\n", "main.go": CLOSURES_NEW},
        "-gcflags=-l",
    )
    d = diff_files(str(old), str(new))
    assert_levels_add_up(d)
    functions = d.level(LevelName.FUNCTIONS).rows
    renamed = {r.name: r.old_name for r in functions if r.old_name is not None}
    assert renamed.get("main.main.func2.1") == "main.main.func1.1", renamed
    gone = [r.name for r in functions if r.mark is Mark.GONE and r.name.startswith("main.")]
    assert gone == []


def test_name_matching_tiers() -> None:
    """Exact names match first; then closure, wrapper and shape numbering are ignored."""
    assert numbering("p.glob..func3") == "p.glob..func#"
    assert numbering("main.main.func2.1.3") == "main.main.func#.#.#"
    assert numbering("main.(*T).run.gowrap1") == "main.(*T).run.gowrap#"
    assert numbering("runtime.memhash32") == "runtime.memhash32"
    assert shapes("slices.Sort[go.shape.[]int]") == "slices.Sort[…]"
    assert shapes("p.(*List[go.shape.int]).Push") == "p.(*List[…]).Push"
    assert shapes("type:.eq.[2]interface {}") == "type:.eq.[2]interface {}"
    old = {
        "p.F": (100, 1),
        "p.F.func1": (10, 1),
        "p.G.func3": (20, 1),
        "p.glob..func2": (5, 1),
        "p.H[go.shape.int]": (40, 1),
        "p.gone": (7, 1),
    }
    new = {
        "p.F": (100, 1),
        "p.F.func1": (12, 1),
        "p.G.func4": (20, 1),
        "p.glob..func1": (5, 1),
        "p.H[go.shape.int64]": (44, 1),
        "p.added": (9, 1),
    }
    m = match_functions(old, new)
    assert m.same == 1
    by_new = {x.name: x for x in m.matches}
    assert by_new["p.F.func1"].old_name is None and by_new["p.F.func1"].old == (10, 1)
    assert by_new["p.G.func4"].old_name == "p.G.func3"
    assert by_new["p.glob..func1"].old_name == "p.glob..func2"
    assert by_new["p.H[go.shape.int64]"].old_name == "p.H[go.shape.int]"
    assert by_new["p.added"].old is None and by_new["p.gone"].new is None


def test_build_paths_of_a_wsl_build() -> None:
    """The main module's directory is found in a file table built from a Windows drive."""
    files = (
        "/usr/local/go/src/runtime/proc.go",
        "/home/u/go/pkg/mod/example.com/x@v1.0.0/x.go",
        "/mnt/c/Users/me/app/main.go",
        "/mnt/c/Users/me/app/internal/util/util.go",
        "fmt/print.go",
    )
    paths = build_paths(files)
    assert paths.goroot == "/usr/local/go/src/"
    assert paths.module_cache == "/home/u/go/pkg/mod/"
    assert paths.main_dir == "/mnt/c/Users/me/app"
    assert (paths.absolute_files, paths.files) == (4, 5)


def synthetic_side(source: str, packages: int, scale: int) -> Side:
    """A side with many packages and functions (for rendering limits), built like any source."""
    pkgs = tuple(
        PackageBytes(f"example.com/module{i % 50}/pkg{i}", 1000 + i * scale, 3)
        for i in range(packages)
    )
    functions = {f"{p.name}.Function{j}": (p.size // 3, 1) for p in pkgs for j in range(3)}
    go_code = sum(s for s, _ in functions.values())
    size = go_code + 50_000
    from gobinopt.diff import CategoryBytes, ModuleVersion, SectionBytes

    return Side(
        source=source,
        kind=SourceKind.STORED,
        file_size=size,
        loaded_size=size,
        format="elf",
        machine="x86-64",
        file_type="executable",
        interpreter=None,
        packer=None,
        is_go=True,
        categories=(
            CategoryBytes("code", go_code, go_code, go_code),
            CategoryBytes("headers", 50_000, 0, 50_000),
        ),
        sections=(
            SectionBytes(".text", "code", go_code, go_code, go_code),
            SectionBytes("ELF header", "headers", 50_000, 0, 50_000),
        ),
        go_version="go1.26.6",
        main_module=ModuleVersion("example.com/main", "(devel)"),
        modules=tuple(ModuleVersion(f"example.com/module{i}", f"v1.{scale}.0") for i in range(50)),
        settings=(("-buildmode", "exe"),),
        text_size=go_code,
        non_go_code=0,
        packages=pkgs,
        functions={
            name: (size_ - (size_ % 3 if name.endswith("0") else 0), count)
            for name, (size_, count) in functions.items()
        },
        functions_note="",
        paths=None,
    )


def test_markdown_stays_under_the_limit_and_says_what_it_left_out() -> None:
    """Thousands of changed rows are cut to fit 65,536 characters, with a line counting the rows
    left out, while each level still adds up to the total."""
    d = compare(synthetic_side("old", 4000, 1), synthetic_side("new", 4000, 2))
    assert_levels_add_up(d)
    md = to_markdown(d, top=0)
    assert len(md) <= 65_536
    lines = md.splitlines()
    closing = [line for line in lines if "rows left out to stay under 65,536 characters" in line]
    assert len(closing) == 1
    left = int(closing[0].strip("*").split(" rows")[0].replace(",", ""))
    kept = sum(1 for line in lines if line.startswith(("| `", "| dep ")))
    assert left == sum(len(level.rows) for level in d.levels) + len(d.settings) - kept > 1000
    totals = [line for line in lines if line.startswith("| **total**")]
    assert len(totals) == 5 and all(f"**{d.delta:+,}**" in line for line in totals)
    small = to_markdown(compare(synthetic_side("old", 20, 1), synthetic_side("new", 20, 2)))
    assert "left out" not in small


def test_markdown_fold_rows_keep_the_sums(builder: Builder) -> None:
    """With --top the left-out rows are one row carrying their byte sums."""
    old = str(builder.build(ELF_VARIANTS["hello"]))
    new = str(builder.build(ELF_VARIANTS["http"]))
    left = to_document(diff_files(old, new), top=3)["levels"]["packages"]["left_out"]
    assert left["rows"] > 0
    res = cli("diff", old, new, "--markdown", "--top", "3")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("### gobinopt diff: +")
    fold = next(line for line in res.stdout.splitlines() if "more package rows" in line)
    cells = [c.strip() for c in fold.strip("|").split("|")]
    assert cells[0] == f"… {left['rows']:,} more package rows"
    assert cells[1:4] == [f"{left['old']:,}", f"{left['new']:,}", f"{left['delta']:+,}"]


def test_json_and_markdown_are_exclusive(builder: Builder) -> None:
    """--json with --markdown is a usage error."""
    hello = str(builder.build(ELF_VARIANTS["hello"]))
    res = cli("diff", hello, hello, "--json", "--markdown")
    assert res.returncode == ExitStatus.USAGE


@pytest.mark.slow
def test_two_go_versions_warn(builder: Builder) -> None:
    """Builds by Go 1.26 and Go 1.27 diff with a warning that bytes moved with the toolchain."""
    from test_toolchains import provision

    newer = provision("1.27.3")
    old = builder.build(Spec("hello"))
    new = builder.build(Spec("hello", go=newer))
    d = diff_files(str(old), str(new))
    assert_levels_add_up(d)
    assert any("different Go versions" in w and "go1.27.3" in w for w in d.warnings)
    assert {s.key for s in d.settings} >= {"go version"}

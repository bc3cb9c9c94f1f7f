"""Benchmark ``gobinopt explain --json`` on large real Go binaries, beside Go's own readers.

Run with the project's virtualenv Python::

    python benchmarks/bench_explain.py [--runs N] [--keep DIR]

It builds (once; later runs reuse them) ``cmd/go`` and ``cmd/compile`` from the pinned
toolchain's own sources, a ``strip --strip-all`` copy of each, and two generated programs
written under the cache directory that link most of the standard library plus tens of
thousands of generated functions:

- ``bigbin`` (30 000 generated functions, ~50 000 in all, 80 MB): ``-gcflags=all=-N -l`` and
  ``-ldflags=-compressdwarf=false``, so raw DWARF makes up much of it;
- ``hugobin`` (72 000 generated, ~88 000 in all, 94 MB): the default flags (optimized,
  compressed DWARF, symbol table kept), the shape and size of a released hugo binary.

Nothing is downloaded (GOPROXY=off, GOTOOLCHAIN=local).

For every binary it times, in the same run and on the same file, ``gobinopt explain --json``,
the Go oracle (tests/oracle: debug/buildinfo + debug/gosym) and ``go tool nm -size -sort size``
(unstripped files only), and measures peak RSS. The first row is the floor: both tools on a
tiny non-Go file (``true``), i.e. what each costs whatever the input (for gobinopt: the
interpreter and its imports). It also times ``gobinopt --help`` against ``python -c pass``.
Every figure is a median of fresh measurements printed next to its reference; nothing is
hard-coded and nothing here is asserted. The targets of issue 11 are judged at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from _common import go_env, gobinopt_cmd, pinned_go, print_columns

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / "benchmarks" / ".cache"
ORACLE_SRC = ROOT / "tests" / "oracle"
PINNED_GO = "go1.26.6"
MB = 1_000_000  # sizes are decimal megabytes
HELP_RUNS = 10
#: Issue 11's targets: explain --json within this factor of the oracle on the large binaries,
#: within this many seconds on an unstripped binary with compressed DWARF, --help within this
#: many seconds, peak RSS within this factor of the file size.
RATIO_TARGET = 3.0
DWARF_Z_TARGET_S = 1.5
HELP_TARGET_S = 0.2
RSS_TARGET = 1.5
#: Binaries from this size on are "large" for the ratio target.
LARGE = 50 * MB

#: Bumped whenever the generator below changes, so a stale big binary is rebuilt.
GEN_VERSION = "1"
#: The generated program: GEN_PACKAGES packages of GEN_FUNCS functions each.
GEN_PACKAGES = 30
GEN_FUNCS = 1000
BIG_FLAGS = ("-gcflags=all=-N -l", "-ldflags=-compressdwarf=false")
#: The hugo-sized program: the same generator with HUGO_PACKAGES packages, built with the
#: default flags (optimized, compressed DWARF, symbol table kept) like a released hugo binary:
#: about 88 000 functions (15 800 of them the standard library's) and 93 MB.
HUGO_VERSION = "2"
HUGO_PACKAGES = 72
HUGO_FLAGS: tuple[str, ...] = ()

#: One exported, reachable symbol per standard-library package the big program links in.
STD_SYMBOLS: tuple[tuple[str, str], ...] = (
    ("archive/tar", "NewReader"),
    ("archive/zip", "NewReader"),
    ("bufio", "NewReader"),
    ("bytes", "NewBuffer"),
    ("compress/bzip2", "NewReader"),
    ("compress/flate", "NewWriter"),
    ("compress/gzip", "NewReader"),
    ("compress/lzw", "NewReader"),
    ("compress/zlib", "NewReader"),
    ("container/heap", "Init"),
    ("container/list", "New"),
    ("container/ring", "New"),
    ("context", "WithCancel"),
    ("crypto/aes", "NewCipher"),
    ("crypto/cipher", "NewGCM"),
    ("crypto/des", "NewCipher"),
    ("crypto/ecdh", "P256"),
    ("crypto/ecdsa", "GenerateKey"),
    ("crypto/ed25519", "GenerateKey"),
    ("crypto/elliptic", "P384"),
    ("crypto/hmac", "New"),
    ("crypto/md5", "New"),
    ("crypto/mlkem", "GenerateKey768"),
    ("crypto/rand", "Read"),
    ("crypto/rc4", "NewCipher"),
    ("crypto/rsa", "GenerateKey"),
    ("crypto/sha1", "New"),
    ("crypto/sha256", "New"),
    ("crypto/sha3", "New256"),
    ("crypto/sha512", "New"),
    ("crypto/tls", "Dial"),
    ("crypto/x509", "ParseCertificate"),
    ("database/sql", "Open"),
    ("debug/buildinfo", "ReadFile"),
    ("debug/dwarf", "New"),
    ("debug/elf", "Open"),
    ("debug/gosym", "NewTable"),
    ("debug/macho", "Open"),
    ("debug/pe", "Open"),
    ("debug/plan9obj", "Open"),
    ("encoding/ascii85", "NewEncoder"),
    ("encoding/asn1", "Marshal"),
    ("encoding/base32", "NewEncoder"),
    ("encoding/base64", "NewEncoder"),
    ("encoding/binary", "Write"),
    ("encoding/csv", "NewReader"),
    ("encoding/gob", "NewEncoder"),
    ("encoding/hex", "Dump"),
    ("encoding/json", "Marshal"),
    ("encoding/pem", "Decode"),
    ("encoding/xml", "Marshal"),
    ("expvar", "NewInt"),
    ("flag", "Parse"),
    ("go/ast", "Print"),
    ("go/build", "Import"),
    ("go/constant", "MakeInt64"),
    ("go/doc", "New"),
    ("go/format", "Source"),
    ("go/importer", "Default"),
    ("go/parser", "ParseFile"),
    ("go/printer", "Fprint"),
    ("go/scanner", "PrintError"),
    ("go/token", "NewFileSet"),
    ("go/types", "NewPackage"),
    ("hash/adler32", "New"),
    ("hash/crc32", "NewIEEE"),
    ("hash/crc64", "New"),
    ("hash/fnv", "New64a"),
    ("html", "EscapeString"),
    ("html/template", "New"),
    ("image", "NewRGBA"),
    ("image/color/palette", "Plan9"),
    ("image/draw", "Draw"),
    ("image/gif", "Decode"),
    ("image/jpeg", "Decode"),
    ("image/png", "Decode"),
    ("index/suffixarray", "New"),
    ("log", "New"),
    ("log/slog", "New"),
    ("math/big", "NewInt"),
    ("math/cmplx", "Sqrt"),
    ("math/rand", "New"),
    ("mime", "TypeByExtension"),
    ("mime/multipart", "NewReader"),
    ("mime/quotedprintable", "NewReader"),
    ("net", "Dial"),
    ("net/http", "ListenAndServe"),
    ("net/http/cgi", "Serve"),
    ("net/http/cookiejar", "New"),
    ("net/http/fcgi", "Serve"),
    ("net/http/httptest", "NewServer"),
    ("net/http/httputil", "DumpRequest"),
    ("net/http/pprof", "Index"),
    ("net/mail", "ParseAddress"),
    ("net/netip", "ParseAddr"),
    ("net/rpc", "NewServer"),
    ("net/rpc/jsonrpc", "NewClient"),
    ("net/smtp", "Dial"),
    ("net/textproto", "NewReader"),
    ("net/url", "Parse"),
    ("os/exec", "Command"),
    ("os/signal", "Notify"),
    ("os/user", "Current"),
    ("path", "Join"),
    ("path/filepath", "Walk"),
    ("regexp", "MustCompile"),
    ("regexp/syntax", "Parse"),
    ("runtime/debug", "Stack"),
    ("runtime/metrics", "Read"),
    ("runtime/pprof", "StartCPUProfile"),
    ("runtime/trace", "Start"),
    ("sort", "Ints"),
    ("strconv", "Quote"),
    ("strings", "NewReader"),
    ("testing/fstest", "TestFS"),
    ("testing/quick", "Check"),
    ("text/scanner", "TokenString"),
    ("text/tabwriter", "NewWriter"),
    ("text/template", "New"),
    ("text/template/parse", "Parse"),
    ("unicode/utf16", "Encode"),
)


# ---------------------------------------------------------------------------------------------
# Building the binaries


def _run_build(cmd: Sequence[str], cwd: Path | None, env: dict[str, str], what: str) -> None:
    started = time.perf_counter()
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        sys.exit(f"building {what} failed ({' '.join(cmd)}):\n{res.stdout}{res.stderr}")
    print(f"  built {what} in {time.perf_counter() - started:.0f} s", flush=True)


def _up_to_date(out: Path, key: str) -> bool:
    stamp = out.with_name(out.name + ".key")
    return out.exists() and stamp.exists() and stamp.read_text() == key


def _stamp(out: Path, key: str) -> None:
    out.with_name(out.name + ".key").write_text(key)


def build_go(
    go: str,
    env: dict[str, str],
    out: Path,
    target: str,
    flags: Sequence[str] = (),
    cwd: Path | None = None,
    version: str = GEN_VERSION,
) -> Path:
    """``go build FLAGS -o OUT TARGET``, skipped when OUT was built by the same command."""
    cmd = [go, "build", *flags, "-o", str(out), target]
    key = " ".join([PINNED_GO, version, *cmd[1:]])
    if not _up_to_date(out, key):
        _run_build(cmd, cwd, env, out.name)
        _stamp(out, key)
    return out


def bigbin_pair(go: str, env: dict[str, str], bins: Path, cache: Path) -> tuple[Path, Path]:
    """The generated big program built twice, the second with one more ``-X`` link flag: two
    large binaries that differ in almost nothing (bench_diff, bench_gate)."""
    src = generate_big_program(cache)
    big = build_go(go, env, bins / "bigbin", ".", flags=BIG_FLAGS, cwd=src)
    flags = [f for f in BIG_FLAGS if not f.startswith("-ldflags=")]
    ldflags = next(f for f in BIG_FLAGS if f.startswith("-ldflags="))
    big2 = build_go(
        go, env, bins / "bigbin-X", ".", flags=[*flags, f"{ldflags} -X main.build=2"], cwd=src
    )
    return big, big2


def hugo_sized(go: str, env: dict[str, str], bins: Path, cache: Path) -> Path:
    """The generated program at hugo's size (HUGO_PACKAGES packages), default build flags."""
    src = generate_big_program(cache, HUGO_PACKAGES, HUGO_VERSION)
    return build_go(go, env, bins / "hugobin", ".", flags=HUGO_FLAGS, cwd=src, version=HUGO_VERSION)


def strip_copy(binary: Path) -> Path:
    """A ``strip --strip-all`` copy of ``binary`` next to it."""
    strip = shutil.which("strip")
    if strip is None:
        sys.exit("strip not found: apt-get install binutils")
    out = binary.with_name(binary.name + "-stripped")
    key = f"strip --strip-all {binary.stat().st_size} {binary.stat().st_mtime_ns}"
    if not _up_to_date(out, key):
        subprocess.run([strip, "--strip-all", "-o", str(out), str(binary)], check=True)
        _stamp(out, key)
    return out


def _gen_function(pkg: int, index: int) -> str:
    k = pkg * GEN_FUNCS + index
    cases = "".join(
        f'\tcase {c}:\n\t\ts += "p{pkg}f{index}c{c}"\n\t\ta += {k * 7 + c}\n' for c in range(8)
    )
    return (
        f"\n// F{index} is generated function {k}.\n"
        f"func F{index}(x int, s string) (int, string) {{\n"
        f"\ta := x*{k} + {k % 97}\n"
        f"\tswitch a % 8 {{\n{cases}\t}}\n"
        f"\tfor i := 0; i < a%5; i++ {{\n\t\ta ^= i<<3 + {k}\n\t}}\n"
        f"\treturn a, s + strconv.Itoa(a)\n"
        f"}}\n"
    )


def generate_big_program(
    root: Path, packages: int = GEN_PACKAGES, version: str = GEN_VERSION
) -> Path:
    """Write the generated program (module ``bigbin``, ``packages`` packages of GEN_FUNCS
    functions) under ``root`` and return its directory.

    main links the standard-library packages of STD_SYMBOLS (one reachable symbol each), calls
    ``reflect.Value.MethodByName`` with a run-time name (so the linker keeps every exported
    method of every type that reaches an interface), and reaches every generated function
    through per-package tables, so the dead-code pass keeps them all.
    """
    src = root / f"bigbin-v{version}-{packages}x{GEN_FUNCS}"
    if (src / "main.go").exists():
        return src
    tmp = src.with_name(src.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    (tmp / "go.mod").write_text("module bigbin\n\ngo 1.26\n")
    names = [f"p{p:03d}" for p in range(packages)]
    for p, name in enumerate(names):
        (tmp / name).mkdir()
        funcs = "".join(_gen_function(p, i) for i in range(GEN_FUNCS))
        table = ", ".join(f"F{i}" for i in range(GEN_FUNCS))
        (tmp / name / "gen.go").write_text(
            f"// Package {name} is generated by benchmarks/bench_explain.py.\n"
            f'package {name}\n\nimport "strconv"\n{funcs}\n'
            f"// Table reaches every function.\n"
            f"var Table = []func(int, string) (int, string){{{table}}}\n"
        )
    std = "".join(f'\t{path.replace("/", "_")} "{path}"\n' for path, _ in STD_SYMBOLS)
    gen = "".join(f'\t"bigbin/{name}"\n' for name in names)
    keep = "".join(f"\t{path.replace('/', '_')}.{sym},\n" for path, sym in STD_SYMBOLS)
    tables = ", ".join(f"{name}.Table" for name in names)
    (tmp / "main.go").write_text(
        "// Command bigbin is generated by benchmarks/bench_explain.py to be a big Go binary.\n"
        'package main\n\nimport (\n\t"fmt"\n\t"os"\n\t"reflect"\n'
        f"{std}\n{gen})\n\n"
        f"var keep = []any{{\n{keep}}}\n\n"
        f"var tables = [][]func(int, string) (int, string){{{tables}}}\n\n"
        "func main() {\n"
        "\tn := len(os.Args)\n"
        "\tt := tables[n%len(tables)]\n"
        '\ta, s := t[n%len(t)](n, "x")\n'
        "\tif n > 1 {\n"
        "\t\tv := reflect.ValueOf(keep[n%len(keep)])\n"
        "\t\tfmt.Println(v.MethodByName(os.Args[1]).IsValid())\n"
        "\t}\n"
        "\tfmt.Println(a, len(s), len(keep))\n"
        "}\n"
    )
    tmp.rename(src)
    return src


@dataclass(frozen=True)
class Subject:
    """One binary under test."""

    name: str
    path: Path
    stripped: bool
    #: "raw", "compressed" or "" (no DWARF).
    dwarf: str = ""
    #: The floor row: a tiny file that is no Go binary.
    floor: bool = False

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def build_all(go: str, cache: Path) -> tuple[list[Subject], Path]:
    """Build (or reuse) the binaries under test and the oracle."""
    env = go_env(go, cache)
    bins = cache / "bin"
    bins.mkdir(parents=True, exist_ok=True)
    print(f"building into {bins} (reused when up to date)", flush=True)
    oracle = build_go(go, env, bins / "oracle", ".", cwd=ORACLE_SRC)
    subjects: list[Subject] = []
    tiny = shutil.which("true")
    if tiny is not None:  # the floor: what each tool costs whatever the input
        subjects.append(Subject("floor: true (not Go)", Path(tiny), stripped=True, floor=True))
    # A small real binary: what gobinopt costs on a typical input.
    subjects.append(Subject("oracle (small ref)", oracle, stripped=False, dwarf="compressed"))
    for target in ("cmd/go", "cmd/compile"):
        name = target.rsplit("/", 1)[-1]
        built = build_go(go, env, bins / name, target)
        subjects.append(Subject(name, built, stripped=False, dwarf="compressed"))
        subjects.append(Subject(f"{name} (stripped)", strip_copy(built), stripped=True))
    big_src = generate_big_program(cache)
    big = build_go(go, env, bins / "bigbin", ".", flags=BIG_FLAGS, cwd=big_src)
    subjects.append(Subject("bigbin (-N -l, raw DWARF)", big, stripped=False, dwarf="raw"))
    subjects.append(Subject("bigbin (stripped)", strip_copy(big), stripped=True))
    hugo = hugo_sized(go, env, bins, cache)
    subjects.append(Subject("hugobin (default, zDWARF)", hugo, stripped=False, dwarf="compressed"))
    subjects.append(Subject("hugobin (stripped)", strip_copy(hugo), stripped=True))
    return subjects, oracle


# ---------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Timing:
    """Wall-clock seconds of a command's runs, or why it failed."""

    seconds: list[float] = field(default_factory=list)
    error: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds and not self.error else None


def _once(
    cmd: Sequence[str], env: dict[str, str] | None
) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    started = time.perf_counter()
    res = subprocess.run(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        check=False,
    )
    return time.perf_counter() - started, res


def time_commands(
    commands: dict[str, list[str]], runs: int, env: dict[str, str] | None = None
) -> dict[str, Timing]:
    """Median-ready timings of several commands: one warm-up each, then ``runs`` rounds.

    The rounds interleave the commands, so a drift in machine load hits all of them alike.
    """
    timings = {name: Timing() for name in commands}
    for name, cmd in commands.items():  # warm-up: page cache, Go tool cache, .pyc files
        _, res = _once(cmd, env)
        if res.returncode != 0:
            tail = res.stderr.decode(errors="replace").strip().splitlines()[-5:]
            timings[name].error = f"exit {res.returncode}: " + " | ".join(tail)
    for _ in range(runs):
        for name, cmd in commands.items():
            if timings[name].error:
                continue
            seconds, res = _once(cmd, env)
            if res.returncode != 0:
                timings[name].error = f"exit {res.returncode} on a timed run"
            timings[name].seconds.append(seconds)
    return timings


TIME_BIN = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
RSS_METHOD = (
    "/usr/bin/time -f %M (GNU time: ru_maxrss of the child, including its waited-for children)"
    if TIME_BIN
    else "resource.getrusage(RUSAGE_CHILDREN).ru_maxrss in a fresh helper Python per measurement"
)
_RSS_HELPER = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,"
    " stderr=subprocess.DEVNULL)\n"
    "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def peak_rss_mb(cmd: Sequence[str], env: dict[str, str] | None = None) -> float | None:
    """Peak resident set size of one run of ``cmd`` in MB, or None if it failed."""
    if TIME_BIN is not None:
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "rss"
            res = subprocess.run(
                [TIME_BIN, "-f", "%M", "-o", str(report), *cmd],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                check=False,
            )
            if res.returncode != 0:
                return None
            kib = int(report.read_text().split()[-1])
    else:
        out = subprocess.run(
            [sys.executable, "-c", _RSS_HELPER, *cmd],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        ).stdout.split()
        if len(out) != 2 or out[0] != "0":
            return None
        kib = int(out[1])
    return kib * 1024 / MB


@dataclass
class Row:
    """Everything measured on one binary."""

    subject: Subject
    timings: dict[str, Timing]
    rss: dict[str, float | None]


def nm_tool(go: str, env: dict[str, str]) -> str:
    """The cached binary that ``go tool nm`` runs (``go tool -n nm``, building it if needed)."""
    res = subprocess.run(
        [go, "tool", "-n", "nm"], env=env, capture_output=True, text=True, check=False
    )
    if res.returncode != 0 or not res.stdout.strip():
        sys.exit(f"go tool -n nm failed:\n{res.stderr}")
    return res.stdout.strip().splitlines()[-1]


def measure(
    subjects: list[Subject], oracle: Path, go: str, env: dict[str, str], runs: int
) -> list[Row]:
    """Time and RSS-measure every tool on every binary."""
    nm = nm_tool(go, env)
    rows: list[Row] = []
    for subject in subjects:
        print(f"measuring {subject.name} ...", flush=True)
        binary = str(subject.path)
        commands = {
            "gobinopt": [*gobinopt_cmd(), "explain", "--json", binary],
            "oracle": [str(oracle), binary],
        }
        if not subject.stripped:
            commands["nm"] = [nm, "-size", "-sort", "size", binary]
            commands["go tool nm"] = [go, "tool", "nm", "-size", "-sort", "size", binary]
        timings = time_commands(commands, runs, env)
        rss: dict[str, float | None] = {
            name: peak_rss_mb(commands[name], env)
            for name in ("gobinopt", "oracle", "nm")
            if name in commands
        }
        rows.append(Row(subject, timings, rss))
    return rows


# ---------------------------------------------------------------------------------------------
# Reporting


def _secs(value: float | None) -> str:
    return "FAIL" if value is None else f"{value:.3f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.1f}x"


def _mb(value: float | None) -> str:
    return "FAIL" if value is None else f"{value:.0f}"


def print_table(rows: list[Row]) -> None:
    """The one results table."""
    header = (
        "binary",
        "size MB",
        "gobinopt s",
        "oracle s",
        "nm s",
        "go tool nm s",
        "gbo/oracle",
        "gbo/nm",
        "gbo RSS MB",
        "oracle RSS MB",
        "nm RSS MB",
        "gbo RSS/size",
    )
    lines: list[tuple[str, ...]] = []
    for row in rows:
        t = row.timings
        gbo = t["gobinopt"].median
        ora = t["oracle"].median
        size = row.subject.size / MB
        if row.subject.stripped:
            nm_s = tool_s = ratio_nm = nm_rss = "n/a"
        else:
            nm = t["nm"].median
            nm_s, tool_s = _secs(nm), _secs(t["go tool nm"].median)
            ratio_nm = _ratio(gbo, nm)
            nm_rss = _mb(row.rss.get("nm"))
        gbo_rss = row.rss.get("gobinopt")
        lines.append(
            (
                row.subject.name,
                f"{size:.1f}",
                _secs(gbo),
                _secs(ora),
                nm_s,
                tool_s,
                _ratio(gbo, ora),
                ratio_nm,
                _mb(gbo_rss),
                _mb(row.rss.get("oracle")),
                nm_rss,
                "n/a" if gbo_rss is None or row.subject.floor else f"{gbo_rss / size:.2f}",
            )
        )
    print_columns(header, lines)
    for row in rows:
        for name, timing in row.timings.items():
            if timing.error:
                print(f"FAIL: {name} on {row.subject.name}: {timing.error}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument(
        "--keep",
        type=Path,
        default=DEFAULT_CACHE,
        help="directory the built binaries, sources and GOCACHE are kept in "
        "(default benchmarks/.cache)",
    )
    args = parser.parse_args(argv)
    runs: int = max(1, args.runs)
    cache: Path = args.keep.resolve()

    go = pinned_go()
    env = go_env(go, cache)
    version = subprocess.run(
        [go, "version"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    if PINNED_GO not in version.split():
        print(f"warning: expected {PINNED_GO}, got {version!r}")

    subjects, oracle = build_all(go, cache)
    rows = measure(subjects, oracle, go, env, runs)

    help_timings = time_commands(
        {"help": [*gobinopt_cmd(), "--help"], "pass": [sys.executable, "-c", "pass"]}, HELP_RUNS
    )
    help_rss = peak_rss_mb([*gobinopt_cmd(), "--help"])
    pass_rss = peak_rss_mb([sys.executable, "-c", "pass"])

    from gobinopt import __version__

    print()
    print(
        f"gobinopt {__version__}; {version}; Python {platform.python_version()}; "
        f"{platform.machine()}, {os.cpu_count()} CPUs; {platform.platform()}"
    )
    print(f"gobinopt: {' '.join(gobinopt_cmd())}; oracle: {oracle}; nm: {nm_tool(go, env)}")
    print(
        f"wall clock: median of {runs} runs after 1 warm-up, rounds interleaved, stdout to "
        f"/dev/null; sizes in MB = 10^6 bytes"
    )
    print(f"peak RSS: {RSS_METHOD}, one run each")
    print()
    print_table(rows)

    print()
    print_targets(rows, help_timings, help_rss, pass_rss)
    for name, timing in help_timings.items():
        if timing.error:
            print(f"FAIL: {name}: {timing.error}")
    return 0


def print_targets(
    rows: list[Row],
    help_timings: dict[str, Timing],
    help_rss: float | None,
    pass_rss: float | None,
) -> None:
    """Issue 11's targets, each judged on this run's figures and shown beside the floor."""
    floor = next((r for r in rows if r.subject.floor), None)
    floor_gbo = floor.timings["gobinopt"].median if floor else None
    floor_ora = floor.timings["oracle"].median if floor else None
    print("targets")
    if floor is not None:
        print(
            f"  floor (a tiny non-Go file): gobinopt {_secs(floor_gbo)} s, oracle "
            f"{_secs(floor_ora)} s; 'above floor' below subtracts these"
        )
    for row in rows:
        if row.subject.floor or row.subject.size < LARGE:
            continue
        gbo, ora = row.timings["gobinopt"].median, row.timings["oracle"].median
        above = "n/a"
        if gbo is not None and ora is not None and floor_gbo is not None and floor_ora is not None:
            above = f"gobinopt {gbo - floor_gbo:.3f} s, oracle {ora - floor_ora:.3f} s"
        ratio_ok = _verdict(gbo, RATIO_TARGET * ora) if ora is not None else "FAILED TO RUN"
        print(
            f"  {row.subject.name} ({row.subject.size / MB:.1f} MB): explain --json "
            f"{_secs(gbo)} s = {_ratio(gbo, ora)} the oracle's {_secs(ora)} s "
            f"(target <= {RATIO_TARGET:g}x): {ratio_ok}; above floor {above}"
        )
    for row in rows:
        if row.subject.dwarf == "compressed" and row.subject.size >= LARGE:
            gbo = row.timings["gobinopt"].median
            print(
                f"  unstripped with compressed DWARF, {row.subject.name} "
                f"({row.subject.size / MB:.1f} MB): {_secs(gbo)} s "
                f"(target <= {DWARF_Z_TARGET_S:g} s): {_verdict(gbo, DWARF_Z_TARGET_S)}"
            )
    help_s = help_timings["help"].median
    pass_s = help_timings["pass"].median
    print(
        f"  --help in {_secs(help_s)} s (target < {HELP_TARGET_S:g} s): "
        f"{_verdict(help_s, HELP_TARGET_S)}; reference python -c pass {_secs(pass_s)} s "
        f"(ratio {_ratio(help_s, pass_s)}; median of {HELP_RUNS})"
    )
    real = [r for r in rows if not r.subject.floor]
    largest = max(real, key=lambda r: r.subject.size)
    big_rss = largest.rss.get("gobinopt")
    size = largest.subject.size / MB
    rss_ratio = None if big_rss is None else big_rss / size
    print(
        f"  peak RSS / file size = {'n/a' if rss_ratio is None else f'{rss_ratio:.2f}'} "
        f"(target < {RSS_TARGET:g}): {_verdict(rss_ratio, RSS_TARGET)} on {largest.subject.name}"
        f": {_mb(big_rss)} MB for {size:.1f} MB; fixed part: gobinopt --help "
        f"{_mb(help_rss)} MB, python -c pass {_mb(pass_rss)} MB"
    )
    smallest = min(real, key=lambda r: r.subject.size)
    small_rss = smallest.rss.get("gobinopt")
    span_mb = (largest.subject.size - smallest.subject.size) / MB
    marginal = (
        f"{(big_rss - small_rss) / span_mb:.2f}"
        if big_rss is not None and small_rss is not None and span_mb > 0
        else "n/a"
    )
    print(
        f"  marginal peak RSS per MB of file = {marginal}: gobinopt's peak RSS goes from "
        f"{_mb(small_rss)} MB on {smallest.subject.name} ({smallest.subject.size / MB:.1f} MB) "
        f"to {_mb(big_rss)} MB on the largest"
    )


def _verdict(value: float | None, target: float) -> str:
    if value is None:
        return "FAILED TO RUN"
    return "met" if value < target else "MISSED"


if __name__ == "__main__":
    sys.exit(main())

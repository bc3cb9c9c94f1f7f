"""Load and validate a matrix file (TOML). Every error names the file, the key, the bad value
and what is allowed, on one line.

Example (see matrices/default.toml and README "Matrix files")::

    [program]
    name = "example"
    path = "."                    # a directory (relative to this file) or "std:cmd/gofmt"
    probe = { args = ["-version"], exit_code = 0, output = "" }

    [environments.host]
    kind = "native"               # native | musl | docker | wsl
    # source_dir = "/mnt/c/src/app"  # build a copy of the source tree there (its contents
    #                                # are replaced); the artifact embeds that path

    [axes]
    toolchain = ["host"]          # "host", a path to a go binary, or a version such as "1.22.10"
    CGO_ENABLED = [0, 1]
    buildmode = ["exe", "pie"]
    ldflags = ["", "-s -w", "-s -w -X main.version=1.2.3"]   # any string, split like argv
    trimpath = [false]
    tags = ["", "netgo"]          # build tags ("" = none)
    GOARCH = ["amd64"]            # default: the host's
    GOAMD64 = ["v1", "v3"]        # amd64 only
    post = ["none", "strip", "upx", "strip,upx", "upx,strip"]

    [env]                         # extra environment variables of every `go build`
    GOFLAGS = "-mod=vendor"       # replaces the user's GOFLAGS (-buildvcs=false is always set)

    [steps]
    strip = ["--strip-all"]
    upx = ["--best", "--lzma"]

    [[exclude]]
    environment = "musl"
    CGO_ENABLED = 0
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from gobinopt.matrix.interface import (
    BUILDMODES,
    ENV_KINDS,
    GOAMD64_LEVELS,
    GOARCHES,
    STEP_KINDS,
    Environment,
    LatencySettings,
    Matrix,
    MatrixError,
    Pipeline,
    Probe,
    Program,
    Step,
    host_goarch,
    normalize_ldflags,
    normalize_tags,
)
from gobinopt.paths import input_file

_TOP_KEYS = {"program", "environments", "axes", "steps", "include", "exclude", "latency", "env"}
_AXES = {
    "toolchain",
    "CGO_ENABLED",
    "buildmode",
    "ldflags",
    "trimpath",
    "tags",
    "GOARCH",
    "GOAMD64",
    "post",
}
_DEFAULT_STEPS = {"strip": ("--strip-all",), "upx": ("--best", "--lzma")}
#: Keys an include/exclude rule may match on.
RULE_KEYS = {"environment"} | _AXES
#: Variables the ``[env]`` table may not set: axes own them, or the runner does.
_ENV_RESERVED = {
    "CGO_ENABLED": "use the CGO_ENABLED axis",
    "GOARCH": "use the GOARCH axis",
    "GOAMD64": "use the GOAMD64 axis",
    "GOOS": "only builds for the host's OS can be probed",
    "GOTOOLCHAIN": "use the toolchain axis",
    "GOCACHE": "gobinopt keeps its own build cache",
    "CC": "choose an environment (kind musl sets CC=musl-gcc)",
}


def load(path: str | Path) -> Matrix:
    """Read and validate the matrix file at ``path``."""
    p = input_file(path, "matrix file", hint="see matrices/ for ready files")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise MatrixError(f"{p}: cannot read ({exc.strerror})") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MatrixError(
            f"{p}: not valid TOML: {exc}", hint="check quoting and brackets"
        ) from None
    return parse(doc, p)


def parse(doc: dict[str, Any], path: Path) -> Matrix:
    """Validate a decoded TOML document; ``path`` anchors relative program paths and messages."""
    v = _Validator(path)
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        v.fail(sorted(unknown)[0], "unknown top-level key", sorted(_TOP_KEYS))
    program = v.program(doc.get("program"))
    envs = v.environments(doc.get("environments", {"host": {"kind": "native"}}), program)
    axes = doc.get("axes", {})
    if not isinstance(axes, dict):
        v.fail("axes", "must be a table", ["[axes]"])
    for key in axes:
        if key not in _AXES:
            v.fail(f"axes.{key}", "unknown axis", sorted(_AXES))
    steps = v.steps(doc.get("steps", {}))
    goarch = v.goarch(axes)
    matrix = Matrix(
        path=str(path),
        program=program,
        environments=envs,
        toolchains=tuple(v.strings(axes, "toolchain", ["host"])),
        cgo=tuple(v.cgo(axes)),
        buildmodes=tuple(v.choices(axes, "buildmode", ["exe"], BUILDMODES)),
        ldflags=tuple(v.ldflags(axes)),
        trimpath=tuple(v.bools(axes, "trimpath", [False])),
        pipelines=tuple(v.pipelines(axes, steps)),
        tags=tuple(v.tags(axes)),
        goarch=tuple(goarch),
        goamd64=tuple(v.goamd64(axes)),
        env=v.env(doc.get("env", {})),
        include=tuple(v.rules(doc, "include", envs)),
        exclude=tuple(v.rules(doc, "exclude", envs)),
        latency=v.latency(doc.get("latency")),
    )
    return matrix


class _Validator:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, problem: str, allowed: list[str] | str, value: object = None) -> None:
        got = "" if value is None else f" {value!r}"
        allowed_text = allowed if isinstance(allowed, str) else ", ".join(map(str, allowed))
        raise MatrixError(f"{self.path}: {key}:{got} {problem}; allowed: {allowed_text}")

    def program(self, raw: object) -> Program:
        if not isinstance(raw, dict):
            self.fail("program", "missing or not a table", "[program] with name, path, probe")
            raise AssertionError  # unreachable: fail raises
        path = raw.get("path", ".")
        if not isinstance(path, str) or not path:
            self.fail("program.path", "must be a non-empty string", "a directory or std:PKG", path)
        name = raw.get("name") or os.path.basename(os.path.abspath(str(path))) or "program"
        if path.startswith("std:"):
            directory, package = "", path[4:]
            if not package:
                self.fail("program.path", "names no package", "std:cmd/gofmt", path)
        else:
            target = (self.path.resolve().parent / path).resolve()
            if not target.is_dir():
                self.fail("program.path", "is not a directory", "an existing directory", path)
            directory, package = str(target), "."
        return Program(str(name), directory, package, self.probe(raw.get("probe", {})))

    def probe(self, raw: object) -> Probe:
        if not isinstance(raw, dict):
            self.fail("program.probe", "must be a table", "{ args = [...], exit_code = 0 }", raw)
            raise AssertionError
        args = raw.get("args", ["-version"])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            self.fail("program.probe.args", "must be a list of strings", '["-version"]', args)
        code = raw.get("exit_code", 0)
        if not isinstance(code, int) or isinstance(code, bool):
            self.fail("program.probe.exit_code", "must be an integer", "0..255", code)
        output = raw.get("output", "")
        if not isinstance(output, str):
            self.fail("program.probe.output", "must be a string", "a substring of stdout", output)
        timeout = raw.get("timeout", 10.0)
        if not isinstance(timeout, int | float) or timeout <= 0:
            self.fail("program.probe.timeout", "must be a positive number", "seconds", timeout)
        return Probe(tuple(args), int(code), output, float(timeout))

    def environments(self, raw: object, program: Program) -> tuple[Environment, ...]:
        if not isinstance(raw, dict) or not raw:
            self.fail("environments", "must be a non-empty table", "[environments.NAME]", raw)
            raise AssertionError
        out = []
        for name, spec in raw.items():
            if not isinstance(spec, dict):
                self.fail(f"environments.{name}", "must be a table", "kind = ...", spec)
                raise AssertionError
            kind = spec.get("kind", "native")
            if kind not in ENV_KINDS:
                self.fail(f"environments.{name}.kind", "unknown kind", list(ENV_KINDS), kind)
            image = spec.get("image", spec.get("distro", ""))
            if kind in ("docker", "wsl") and not image:
                self.fail(
                    f"environments.{name}",
                    f"a {kind} environment needs " + ("image" if kind == "docker" else "distro"),
                    "a name",
                    None,
                )
            source_dir = self.source_dir(name, spec.get("source_dir", ""), program)
            out.append(Environment(name, kind, str(image), source_dir))
        return tuple(out)

    def source_dir(self, name: str, raw: object, program: Program) -> str:
        """An environment's ``source_dir``: absolute (relative ones are anchored at the matrix
        file), for a directory program only, and outside the tree that is copied into it."""
        key = f"environments.{name}.source_dir"
        if raw == "":
            return ""
        if not isinstance(raw, str):
            self.fail(key, "must be a string", "a directory such as /mnt/c/src/app", raw)
            raise AssertionError
        if not program.directory:
            self.fail(
                key,
                f"cannot copy a std: package ({program.package}) into a directory",
                "source_dir only with a directory program",
                raw,
            )
        target = (self.path.resolve().parent / raw).resolve()
        tree = Path(program.source_root())
        if target == tree or target.is_relative_to(tree) or tree.is_relative_to(target):
            self.fail(
                key,
                f"overlaps the source tree {tree} (its contents are replaced by a copy)",
                "a directory outside the program's module",
                raw,
            )
        return str(target)

    def _list(self, axes: dict[str, Any], key: str, default: list[Any]) -> list[Any]:
        value = axes.get(key, default)
        if not isinstance(value, list) or not value:
            self.fail(f"axes.{key}", "must be a non-empty list", "[...]", value)
            raise AssertionError
        return value

    def strings(self, axes: dict[str, Any], key: str, default: list[str]) -> list[str]:
        values = self._list(axes, key, default)
        for value in values:
            if not isinstance(value, str) or not value:
                self.fail(f"axes.{key}", "must be non-empty strings", '"host", "1.22.10"', value)
        return _unique(values)

    def choices(
        self, axes: dict[str, Any], key: str, default: list[str], allowed: tuple[str, ...]
    ) -> list[str]:
        values = self._list(axes, key, default)
        for value in values:
            if value not in allowed:
                self.fail(f"axes.{key}", "unknown value", list(allowed), value)
        return _unique(values)

    def cgo(self, axes: dict[str, Any]) -> list[bool]:
        values = self._list(axes, "CGO_ENABLED", [0])
        out = []
        for value in values:
            if value not in (0, 1):
                self.fail("axes.CGO_ENABLED", "unknown value", ["0", "1"], value)
            out.append(bool(value))
        return _unique(out)

    def bools(self, axes: dict[str, Any], key: str, default: list[bool]) -> list[bool]:
        values = self._list(axes, key, default)
        for value in values:
            if not isinstance(value, bool):
                self.fail(f"axes.{key}", "unknown value", ["true", "false"], value)
        return _unique(values)

    def ldflags(self, axes: dict[str, Any]) -> list[str]:
        values = self._list(axes, "ldflags", [""])
        out = []
        for value in values:
            if not isinstance(value, str):
                self.fail("axes.ldflags", "must be strings", '"", "-s -w", "-X main.v=1"', value)
            out.append(self.one_ldflags("axes.ldflags", str(value)))
        return _unique(out)

    def one_ldflags(self, key: str, value: str) -> str:
        try:
            return normalize_ldflags(value)
        except ValueError as exc:
            self.fail(key, f"cannot be split into arguments ({exc})", "balanced quotes", value)
            raise AssertionError from None

    def tags(self, axes: dict[str, Any]) -> list[str]:
        values = self._list(axes, "tags", [""])
        for value in values:
            if not isinstance(value, str):
                self.fail("axes.tags", "must be strings", '"" (none), "netgo", "netgo,osusergo"')
        return _unique([normalize_tags(str(v)) for v in values])

    def goarch(self, axes: dict[str, Any]) -> list[str]:
        values = self._list(axes, "GOARCH", [""])
        out = []
        for value in values:
            if value != "" and value not in GOARCHES:
                self.fail("axes.GOARCH", "unknown value", list(GOARCHES), value)
            # The host's own architecture is the default: the same spec, the same id.
            out.append("" if value == host_goarch() else str(value))
        return _unique(out)

    def goamd64(self, axes: dict[str, Any]) -> list[str]:
        values = self._list(axes, "GOAMD64", [""])
        for value in values:
            if value != "" and value not in GOAMD64_LEVELS:
                self.fail("axes.GOAMD64", "unknown value", ['"" (default)', *GOAMD64_LEVELS], value)
        return _unique([str(v) for v in values])

    def env(self, raw: object) -> tuple[tuple[str, str], ...]:
        if not isinstance(raw, dict):
            self.fail("env", "must be a table", '[env] with NAME = "value"', raw)
            raise AssertionError
        out = []
        for name, value in raw.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                self.fail(f"env.{name}", "is not a variable name", "letters, digits, _")
            if name in _ENV_RESERVED:
                self.fail(f"env.{name}", "cannot be set here", _ENV_RESERVED[name])
            if not isinstance(value, str):
                self.fail(f"env.{name}", "must be a string", '"value"', value)
            out.append((name, str(value)))
        return tuple(sorted(out))

    def steps(self, raw: object) -> dict[str, tuple[str, ...]]:
        if not isinstance(raw, dict):
            self.fail("steps", "must be a table", "strip = [...], upx = [...]", raw)
            raise AssertionError
        out = dict(_DEFAULT_STEPS)
        for kind, args in raw.items():
            if kind not in STEP_KINDS:
                self.fail(f"steps.{kind}", "unknown step", list(STEP_KINDS))
            if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
                self.fail(
                    f"steps.{kind}", "must be a list of strings", '["--best", "--lzma"]', args
                )
            out[kind] = tuple(args)
        return out

    def pipelines(self, axes: dict[str, Any], steps: dict[str, tuple[str, ...]]) -> list[Pipeline]:
        values = self._list(axes, "post", ["none"])
        out = []
        for value in values:
            if not isinstance(value, str):
                self.fail("axes.post", "must be strings", '"none", "strip", "strip,upx"', value)
            names = [s.strip() for s in str(value).replace("→", ",").replace(">", ",").split(",")]
            names = [n for n in names if n and n != "none"]
            for n in names:
                if n not in STEP_KINDS:
                    self.fail(
                        "axes.post", f"unknown step {n!r} in pipeline {value!r}", list(STEP_KINDS)
                    )
            label = ",".join(names) or "none"
            out.append(Pipeline(label, tuple(Step(n, steps[n]) for n in names)))
        seen: dict[str, Pipeline] = {}
        for p in out:
            seen.setdefault(p.name, p)
        return list(seen.values())

    def latency(self, raw: object) -> LatencySettings | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.fail("latency", "must be a table", "[latency] with runs, warmup, cold", raw)
            raise AssertionError
        allowed = {"enabled", "warmup", "min_runs", "max_runs", "budget", "cold"}
        for key in raw:
            if key not in allowed:
                self.fail(f"latency.{key}", "unknown key", sorted(allowed))
        if raw.get("enabled", True) is False:
            return None
        ints = {}
        for key, default in (("warmup", 3), ("min_runs", 10), ("max_runs", 60)):
            value = raw.get(key, default)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                self.fail(f"latency.{key}", "must be a non-negative integer", "0, 1, 2, …", value)
            ints[key] = value
        if ints["max_runs"] < max(1, ints["min_runs"]):
            self.fail(
                "latency.max_runs",
                "must be at least min_runs (and 1)",
                f">= {max(1, ints['min_runs'])}",
                ints["max_runs"],
            )
        budget = raw.get("budget", 5.0)
        if not isinstance(budget, int | float) or isinstance(budget, bool) or budget <= 0:
            self.fail("latency.budget", "must be a positive number", "seconds", budget)
        cold = raw.get("cold", True)
        if not isinstance(cold, bool):
            self.fail("latency.cold", "must be a boolean", ["true", "false"], cold)
        return LatencySettings(
            ints["warmup"], ints["min_runs"], ints["max_runs"], float(budget), bool(cold)
        )

    def rules(
        self, doc: dict[str, Any], key: str, envs: tuple[Environment, ...]
    ) -> list[dict[str, object]]:
        raw = doc.get(key, [])
        if not isinstance(raw, list):
            self.fail(key, "must be an array of tables", f"[[{key}]]", raw)
            raise AssertionError
        names = {e.name for e in envs}
        out: list[dict[str, object]] = []
        for i, rule in enumerate(raw):
            if not isinstance(rule, dict) or not rule:
                self.fail(f"{key}[{i}]", "must be a non-empty table", sorted(RULE_KEYS), rule)
                raise AssertionError
            for k, val in rule.items():
                if k not in RULE_KEYS:
                    self.fail(f"{key}[{i}].{k}", "unknown key", sorted(RULE_KEYS))
                if k == "environment" and val not in names:
                    self.fail(f"{key}[{i}].environment", "unknown environment", sorted(names), val)
            norm = dict(rule)
            if isinstance(norm.get("ldflags"), str):
                norm["ldflags"] = self.one_ldflags(f"{key}[{i}].ldflags", str(norm["ldflags"]))
            if isinstance(norm.get("tags"), str):
                norm["tags"] = normalize_tags(str(norm["tags"]))
            if norm.get("GOARCH") == "":
                norm["GOARCH"] = host_goarch()
            out.append(norm)
        return out


T = TypeVar("T")


def _unique(values: list[T]) -> list[T]:
    out: list[T] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out

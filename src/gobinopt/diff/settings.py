"""What differs in how the two sides were built, and where a byte change is not a code change.

Build settings come from the build info (Go version, ``-buildmode``, ``-ldflags``, ``-trimpath``,
``CGO_ENABLED``, ``GOAMD64``, ``vcs.*``, dependency versions), build paths from the pclntab file
table (the main module's directory, GOROOT, the module cache), and the file's own properties
(format, type, dynamic linking, packer, debug information).
"""

from __future__ import annotations

import re

from gobinopt.diff.interface import SettingChange, Side

_GO_MINOR = re.compile(r"go1\.(\d+)")


def _go_minor(version: str | None) -> int | None:
    m = _GO_MINOR.match(version or "")
    return int(m.group(1)) if m else None


def _bytes(n: int) -> str:
    return f"{n:,} bytes"


def _debug(side: Side) -> str:
    dwarf = side.category_bytes("DWARF")
    syms = side.category_bytes("symbol tables")
    if not dwarf and not syms:
        return "none (stripped)"
    parts = []
    if dwarf:
        parts.append(f"DWARF {_bytes(dwarf)}")
    if syms:
        parts.append(f"symbols {_bytes(syms)}")
    return ", ".join(parts)


def compare_settings(old: Side, new: Side) -> tuple[SettingChange, ...]:
    """Every build setting, dependency version, build path and file property that differs."""
    out: list[SettingChange] = []

    def add(key: str, a: str | None, b: str | None) -> None:
        if a != b:
            out.append(SettingChange(key, a, b))

    add("go version", old.go_version, new.go_version)
    add(
        "main module",
        f"{old.main_module.path} {old.main_module.spelled}" if old.main_module else None,
        f"{new.main_module.path} {new.main_module.spelled}" if new.main_module else None,
    )
    o = dict(old.settings)
    n = dict(new.settings)
    for key in list(o) + [k for k in n if k not in o]:
        add(key, o.get(key), n.get(key))
    if old.modules is not None and new.modules is not None:
        od = {m.path: m.spelled for m in old.modules}
        nd = {m.path: m.spelled for m in new.modules}
        for path in list(od) + [p for p in nd if p not in od]:
            add(f"dep {path}", od.get(path), nd.get(path))
    op, np_ = old.paths, new.paths
    if op is not None and np_ is not None:
        add("build directory (main module)", op.main_dir, np_.main_dir)
        add("GOROOT (from file names)", op.goroot, np_.goroot)
        add("module cache (from file names)", op.module_cache, np_.module_cache)
        add(
            "absolute file names in .gopclntab",
            f"{op.absolute_files:,} of {op.files:,}",
            f"{np_.absolute_files:,} of {np_.files:,}",
        )
    if old.fingerprint and new.fingerprint:
        of, nf = dict(old.fingerprint), dict(new.fingerprint)
        for key in list(of) + [k for k in nf if k not in of]:
            add(f"environment: {key}", of.get(key), nf.get(key))
    add("format", f"{old.format} {old.machine}", f"{new.format} {new.machine}")
    add("file type", old.file_type, new.file_type)
    add("dynamic loader", old.interpreter or "none", new.interpreter or "none")
    add("packer", old.packer or "none", new.packer or "none")
    add("debug information", _debug(old), _debug(new))
    return tuple(out)


def warnings_for(old: Side, new: Side, loaded_only: bool) -> tuple[str, ...]:
    """Where a byte change is not (only) a code change."""
    out: list[str] = []
    if old.go_version and new.go_version and old.go_version != new.go_version:
        text = (
            f"different Go versions ({old.go_version} → {new.go_version}): the compiler, the "
            "runtime and the linker's layout changed too, so a byte change is not only a code "
            "change"
        )
        minors = {_go_minor(old.go_version), _go_minor(new.go_version)}
        moved = []
        if any(m is not None and m >= 26 for m in minors) and any(
            m is not None and m < 26 for m in minors
        ):
            moved.append("Go 1.26 moved metadata into .go.module")
        if any(m is not None and m >= 27 for m in minors) and any(
            m is not None and m < 27 for m in minors
        ):
            moved.append("Go 1.27 moved metadata into .go.type and .go.func")
        if moved:
            text += f" ({'; '.join(moved)})"
        out.append(text)
    if (old.packer or None) != (new.packer or None):
        which = "old" if old.packer else "new"
        packer = old.packer or new.packer
        out.append(
            f"{which} is packed by {packer} and the other is not: its sections are the packer's, "
            "so the sections and categories compare a compressed image with a plain one"
        )
    elif old.packer and new.packer:
        out.append(f"both sides are packed by {old.packer}: only the packer's sections compare")
    od, nd = old.debug_bytes, new.debug_bytes
    if (od == 0) != (nd == 0):
        which, other = ("old", "new") if od else ("new", "old")
        amount = od or nd
        if loaded_only:
            out.append(
                f"{which} has debug information ({_bytes(amount)} of DWARF and symbol tables) "
                f"and {other} is stripped; --loaded-only leaves it out of every figure"
            )
        else:
            out.append(
                f"{which} has debug information ({_bytes(amount)} of DWARF and symbol tables) "
                f"and {other} is stripped: that part of the change is not code; add "
                "--loaded-only to compare only what is loaded at run time"
            )
    if old.format != new.format or old.machine != new.machine:
        out.append(
            f"different file formats or architectures ({old.format} {old.machine} → "
            f"{new.format} {new.machine}): sections and code are not like for like"
        )
    op, np_ = old.paths, new.paths
    if op is not None and np_ is not None:
        o_abs, n_abs = op.absolute_files > 0, np_.absolute_files > 0
        if o_abs != n_abs:
            which = "old" if o_abs else "new"
            out.append(
                f"{which} embeds absolute build paths and the other does not (-trimpath): "
                ".gopclntab (and DWARF line tables) differ by path length, not code"
            )
        elif o_abs and (op.main_dir != np_.main_dir or op.goroot != np_.goroot):
            out.append(
                "the sides were built in different directories "
                f"({op.main_dir or op.goroot} → {np_.main_dir or np_.goroot}): .gopclntab and "
                "DWARF line tables differ by path length, not code; build with -trimpath"
            )
    return tuple(out)

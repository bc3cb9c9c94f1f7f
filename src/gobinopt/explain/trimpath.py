"""What ``go build -trimpath`` would remove: every absolute build path the linker writes.

Without ``-trimpath`` the compiler records each source file by its absolute path; the linker
writes those paths in three places (``cmd/link/internal/ld``):

- the pclntab file table (``runtime.filetab``, ``pcln.go``): one NUL-terminated path per file;
- the DWARF line tables (``.debug_line``, ``writeDirFileTables`` in ``dwarf.go``): one header per
  compilation unit (package) whose directory table holds each source directory once, file
  names being base names with a directory index;
- ``.debug_gdb_scripts``: the path of ``$GOROOT/src/runtime/runtime-gdb.py``.

``-trimpath`` rewrites a path under GOROOT to its import path (``/usr/lib/go/src/fmt/print.go``
→ ``fmt/print.go``), one in the module cache to ``module@version/…`` and one of the main module
to its module path. The rewritten lengths are counted exactly for the file table, uncompressed
line tables and the gdb script; ``.debug_info`` holds no paths (``DW_AT_comp_dir`` is ``.``).

Go compresses DWARF by default (``SHF_COMPRESSED`` or ``.zdebug_*``, zlib ``BestSpeed``). For
a compressed ``.debug_line`` the inflated shrink is still exact, but how much the *compressed*
section shrinks depends on the compressor: that part is an estimate — the original and the
trimmed table are both compressed with zlib level 1 and the section's real compressed size is
scaled by their ratio. Paths repeated across units compress well, so a compressed section
shrinks far less than its inflated bytes do.
"""

from __future__ import annotations

import mmap
import posixpath
import re
import struct
import zlib
from dataclasses import dataclass

from gobinopt.binary.interface import Layout, Part
from gobinopt.golang.interface import BuildInfo

#: Inflated DWARF sections larger than this are not decompressed (a corrupt ``ch_size``).
MAX_INFLATED = 1 << 30
#: zlib level of the estimate: Go's linker compresses DWARF with ``zlib.BestSpeed``.
ZLIB_LEVEL = 1
#: ``ch_type`` of ``Elf*_Chdr`` for zlib (``ELFCOMPRESS_ZLIB``).
_ELFCOMPRESS_ZLIB = 1
_LINE_NAMES = (".debug_line", ".zdebug_line", "__debug_line", "__zdebug_line")
_GDB_NAMES = (".debug_gdb_scripts", "__debug_gdb_scri")  # Mach-O names stop at 16 bytes
_ABSOLUTE = re.compile(r"^(/|[A-Za-z]:[\\/])")

# DWARF 5 line table entry formats (DWARF 5 §6.2.4.1, §7.5.6).
_DW_LNCT_PATH = 0x1
_DW_FORM_BLOCK = 0x09
_DW_FORM_DATA1 = 0x0B
_DW_FORM_DATA2 = 0x05
_DW_FORM_DATA4 = 0x06
_DW_FORM_DATA8 = 0x07
_DW_FORM_DATA16 = 0x1E
_DW_FORM_STRING = 0x08
_DW_FORM_UDATA = 0x0F
_DW_FORM_SDATA = 0x0D
_DW_FORM_STRP = 0x0E
_DW_FORM_LINE_STRP = 0x1F
_FIXED_FORMS = {
    _DW_FORM_DATA1: 1,
    _DW_FORM_DATA2: 2,
    _DW_FORM_DATA4: 4,
    _DW_FORM_DATA8: 8,
    _DW_FORM_DATA16: 16,
}


def is_absolute(path: str) -> bool:
    """Whether ``path`` is an absolute Unix or Windows path (what ``-trimpath`` rewrites)."""
    return _ABSOLUTE.match(path) is not None


@dataclass(frozen=True, slots=True)
class PathTrimmer:
    """How ``-trimpath`` rewrites the absolute paths of one binary, inferred from its own files.

    cmd/go (``(*Action).trimpath`` in ``cmd/go/internal/work/gc.go``) rewrites a package's
    directory to ``module@version/rest`` when its module has a version and to the import path
    otherwise. So: GOROOT files lose ``…/go/src/``; module cache files lose ``…/pkg/mod/`` and
    their ``!``-escaped capitals are restored; main module files are prefixed with the module
    path; a ``replace`` by a local directory gives ``path@version``; ``vendor/`` packages get
    their module's version from the build info.
    """

    #: The directory holding ``runtime/`` (``…/go/src/``), None if no GOROOT file is listed.
    goroot: str | None
    #: (absolute directory, what ``-trimpath`` writes instead), deepest directory first.
    roots: tuple[tuple[str, str], ...]
    #: The main module's directory (its ``vendor/`` is looked up in ``deps``).
    main_dir: str | None
    #: (module path, version) of every dependency, for vendored packages.
    deps: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_files(cls, files: tuple[str, ...], buildinfo: BuildInfo | None) -> PathTrimmer:
        """The rewriting rule of a binary whose pclntab lists ``files``."""
        goroot = None
        for path in files:
            idx = path.rfind("/src/runtime/")
            if idx >= 0:
                goroot = path[: idx + len("/src/")]
                break
        module = buildinfo.main.path if buildinfo and buildinfo.main else ""
        deps = tuple((d.path, d.version) for d in buildinfo.deps) if buildinfo else ()
        # Modules replaced by a local directory: (directory as go.mod spells it, new prefix).
        local: list[tuple[str, str]] = []
        for dep in buildinfo.deps if buildinfo else ():
            rep = dep.replace
            if (
                rep is not None
                and rep.version in ("", "(devel)")
                and rep.path.startswith(("./", "../", "/"))
            ):
                local.append((rep.path, f"{dep.path}@{dep.version}" if dep.version else dep.path))
        rest = [
            p
            for p in files
            if is_absolute(p) and not (goroot and p.startswith(goroot)) and "/pkg/mod/" not in p
        ]
        main_dir = _main_dir(rest, local)
        roots: list[tuple[str, str]] = []
        if main_dir is not None:
            suffix = ""
            if buildinfo and module and buildinfo.path.startswith(module + "/"):
                suffix = buildinfo.path[len(module) :]  # the main package's directory, "/cmd/x"
            if suffix and main_dir.endswith(suffix) and len(main_dir) > len(suffix):
                main_dir = main_dir[: -len(suffix)]  # every main-module file is in cmd/x
            roots.append((main_dir, module or "main"))
            for rel, to in local:
                roots.append((_resolve(main_dir, rel), to))
        roots.sort(key=lambda r: -len(r[0]))
        return cls(goroot, tuple(roots), main_dir, deps)

    def file(self, path: str) -> str:
        """The path ``-trimpath`` writes for source file ``path``."""
        if self.goroot and path.startswith(self.goroot):
            return path[len(self.goroot) :]
        idx = path.find("/pkg/mod/")
        if idx >= 0:
            rel = path[idx + len("/pkg/mod/") :]
            slash = rel.find("/", max(0, rel.find("@")))
            head, tail = (rel, "") if slash < 0 else (rel[:slash], rel[slash:])
            # The module cache spells capitals as "!" + lower case (module.EscapePath).
            return re.sub(r"!([a-z])", lambda m: m.group(1).upper(), head) + tail
        for directory, to in self.roots:
            if path.startswith(directory + "/"):
                rest = path[len(directory) :]
                if directory == self.main_dir and rest.startswith("/vendor/"):
                    return self._vendored(rest[len("/vendor/") :])
                return to + rest
        return path

    def _vendored(self, rel: str) -> str:
        best = ""
        version = ""
        for mod, ver in self.deps:
            if (rel == mod or rel.startswith(mod + "/")) and len(mod) > len(best):
                best, version = mod, ver
        if best and version:
            return f"{best}@{version}{rel[len(best) :]}"
        return rel

    def directory(self, path: str) -> str:
        """The directory ``-trimpath`` writes for source directory ``path`` (``.`` if none)."""
        return posixpath.dirname(self.file(path.rstrip("/") + "/_")) or "."


def _resolve(main_dir: str, rel: str) -> str:
    return rel.rstrip("/") if rel.startswith("/") else posixpath.normpath(f"{main_dir}/{rel}")


def _main_dir(rest: list[str], local: list[tuple[str, str]]) -> str | None:
    """The deepest directory D such that every file is under D or a local replacement of D."""
    if not rest:
        return None
    dirs = {p.rsplit("/", 1)[0] for p in rest}
    candidates: set[str] = set()
    for start in dirs:
        d = start
        while d and d not in candidates:
            candidates.add(d)
            d = d.rsplit("/", 1)[0] if "/" in d else ""
    for cand in sorted(candidates, key=lambda c: (-c.count("/"), c)):
        under = [cand] + [_resolve(cand, rel) for rel, _ in local]
        if all(any(d == u or d.startswith(u + "/") for u in under) for d in dirs):
            return cand
    return None


@dataclass(frozen=True, slots=True)
class LineTableShrink:
    """What trimming paths does to one ``.debug_line`` section."""

    section: str
    #: Path strings rewritten (directory and file entries of the unit headers).
    paths: int
    #: Bytes the inflated section loses (exact).
    inflated: int
    #: Bytes the section loses in the file: exact when it is stored uncompressed.
    file_bytes: int
    #: Whether ``file_bytes`` is an estimate (the section is compressed).
    compressed: bool


class _UnsupportedError(Exception):
    """A line table this module cannot rewrite (paths in .debug_line_str, zstd, …)."""


def _uleb(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("ULEB128 too long")


def _cstring(buf: bytes, pos: int, stop: int) -> tuple[bytes, int]:
    end = buf.find(b"\0", pos, stop)
    if end < 0:
        raise ValueError("unterminated string in a line table header")
    return buf[pos:end], end + 1


def _form(buf: bytes, pos: int, form: int, offset_size: int) -> int:
    """Skip one attribute value of ``form``; return the position after it."""
    if form in _FIXED_FORMS:
        return pos + _FIXED_FORMS[form]
    if form in (_DW_FORM_UDATA, _DW_FORM_SDATA):
        return _uleb(buf, pos)[1]
    if form == _DW_FORM_BLOCK:
        n, pos = _uleb(buf, pos)
        return pos + n
    if form in (_DW_FORM_STRP, _DW_FORM_LINE_STRP):
        return pos + offset_size
    raise _UnsupportedError(f"form {form:#x} in a line table header")


class _Rewriter:
    """Collects the edits that trimming makes to a line table section."""

    def __init__(self, trimmer: PathTrimmer) -> None:
        self.trimmer = trimmer
        #: (start, end, replacement) in section order.
        self.edits: list[tuple[int, int, bytes]] = []
        self.paths = 0

    def path(self, raw: bytes, start: int, directory: bool) -> int:
        """Record the rewrite of the path string ``raw`` at ``start``; return bytes saved."""
        text = raw.decode("utf-8", "surrogateescape")
        if not is_absolute(text):
            return 0
        new = self.trimmer.directory(text) if directory else self.trimmer.file(text)
        encoded = new.encode("utf-8", "surrogateescape")
        if encoded == raw:
            return 0
        self.edits.append((start, start + len(raw), encoded))
        self.paths += 1
        return len(raw) - len(encoded)


def _rewrite_line_tables(buf: bytes, order: str, trimmer: PathTrimmer) -> _Rewriter:
    """Parse every unit header of a ``.debug_line`` section (DWARF 2–5) and record the edits."""
    rw = _Rewriter(trimmer)
    pos = 0
    size = len(buf)
    while pos < size:
        length_at = pos
        (unit_length,) = struct.unpack_from(order + "I", buf, pos)
        pos += 4
        offset_size, length_size = 4, 4
        if unit_length == 0xFFFFFFFF:
            (unit_length,) = struct.unpack_from(order + "Q", buf, pos)
            pos += 8
            offset_size, length_size = 8, 12
        elif unit_length >= 0xFFFFFFF0:
            raise ValueError(f"reserved unit length {unit_length:#x}")
        end = pos + unit_length
        if end > size:
            raise ValueError("line table unit runs past its section")
        (version,) = struct.unpack_from(order + "H", buf, pos)
        pos += 2
        if not 2 <= version <= 5:
            raise _UnsupportedError(f"DWARF line table version {version}")
        if version >= 5:
            pos += 2  # address_size, segment_selector_size
        header_length_at = pos
        header_length = int.from_bytes(
            buf[pos : pos + offset_size], "little" if order == "<" else "big"
        )
        pos += offset_size
        header_end = pos + header_length
        if header_end > end:
            raise ValueError("line table header runs past its unit")
        pos += 1  # minimum_instruction_length
        if version >= 4:
            pos += 1  # maximum_operations_per_instruction
        pos += 3  # default_is_stmt, line_base, line_range
        opcode_base = buf[pos]
        pos += 1 + max(0, opcode_base - 1)
        saved = 0
        if version < 5:
            while True:  # include_directories
                raw, nxt = _cstring(buf, pos, header_end)
                if not raw:
                    pos = nxt
                    break
                saved += rw.path(raw, pos, directory=True)
                pos = nxt
            while True:  # file_names
                raw, nxt = _cstring(buf, pos, header_end)
                if not raw:
                    pos = nxt
                    break
                saved += rw.path(raw, pos, directory=False)
                pos = nxt
                for _ in range(3):  # directory index, mtime, length
                    pos = _uleb(buf, pos)[1]
        else:
            for directory in (True, False):
                nformats = buf[pos]
                pos += 1
                formats: list[tuple[int, int]] = []
                for _ in range(nformats):
                    content, pos = _uleb(buf, pos)
                    form, pos = _uleb(buf, pos)
                    formats.append((content, form))
                count, pos = _uleb(buf, pos)
                for _ in range(count):
                    for content, form in formats:
                        if form == _DW_FORM_STRING:
                            raw, nxt = _cstring(buf, pos, header_end)
                            if content == _DW_LNCT_PATH:
                                saved += rw.path(raw, pos, directory)
                            pos = nxt
                        else:
                            # Paths in .debug_str/.debug_line_str are the C toolchain's (cgo
                            # with external linking); Go writes its own inline.
                            pos = _form(buf, pos, form, offset_size)
        if pos > header_end:
            raise ValueError("line table header is longer than its header_length")
        if saved:
            fmt = order + ("Q" if offset_size == 8 else "I")
            new_len = struct.pack(fmt, unit_length - saved)
            rw.edits.append(
                (length_at + length_size - offset_size, length_at + length_size, new_len)
            )
            rw.edits.append(
                (
                    header_length_at,
                    header_length_at + offset_size,
                    struct.pack(fmt, header_length - saved),
                )
            )
        pos = end
    rw.edits.sort()
    return rw


def _apply(buf: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    out: list[bytes] = []
    at = 0
    for start, end, new in edits:
        out.append(buf[at:start])
        out.append(new)
        at = end
    out.append(buf[at:])
    return b"".join(out)


def _inflate(layout: Layout, data: bytes | mmap.mmap, part: Part) -> bytes:
    """The inflated bytes of a compressed DWARF section (``SHF_COMPRESSED`` or ``.zdebug``)."""
    raw = bytes(data[part.offset : part.end])
    claimed = part.uncompressed_size or 0
    if claimed > MAX_INFLATED:
        raise _UnsupportedError(f"{part.name} claims {claimed} bytes inflated")
    if raw[:4] == b"ZLIB" and "zdebug" in part.name:
        payload = raw[12:]
    else:
        order = "<" if layout.little_endian else ">"
        (ch_type,) = struct.unpack_from(order + "I", raw, 0)
        if ch_type != _ELFCOMPRESS_ZLIB:
            raise _UnsupportedError(f"{part.name} is compressed with ch_type {ch_type}, not zlib")
        payload = raw[24 if layout.bits == 64 else 12 :]
    inflater = zlib.decompressobj()
    out = inflater.decompress(payload, claimed + 1)
    if len(out) != claimed:
        raise ValueError(f"{part.name} inflates to {len(out)} bytes, not {claimed}")
    return out


def line_table_shrink(
    layout: Layout, data: bytes | mmap.mmap, trimmer: PathTrimmer
) -> LineTableShrink | None:
    """How much ``.debug_line`` shrinks under ``-trimpath``; None without one.

    Raises ValueError for a table that cannot be decoded (corrupt, or a layout Go never writes).
    """
    part = layout.section(*_LINE_NAMES)
    if part is None or part.file_size == 0:
        return None
    order = "<" if layout.little_endian else ">"
    try:
        buf = (
            _inflate(layout, data, part) if part.compressed else bytes(data[part.offset : part.end])
        )
        rw = _rewrite_line_tables(buf, order, trimmer)
    except (_UnsupportedError, struct.error, IndexError, zlib.error) as exc:
        raise ValueError(str(exc)) from None
    inflated = sum((end - start) - len(new) for start, end, new in rw.edits)
    if not part.compressed:
        return LineTableShrink(part.name, rw.paths, inflated, inflated, False)
    if inflated == 0:
        return LineTableShrink(part.name, rw.paths, 0, 0, True)
    before = len(zlib.compress(buf, ZLIB_LEVEL))
    after = len(zlib.compress(_apply(buf, rw.edits), ZLIB_LEVEL))
    estimate = part.file_size - round(part.file_size * after / before) if before else 0
    return LineTableShrink(part.name, rw.paths, inflated, max(0, estimate), True)


def gdb_script_shrink(layout: Layout, data: bytes | mmap.mmap, trimmer: PathTrimmer) -> int:
    """Bytes ``.debug_gdb_scripts`` loses: its entries are a kind byte and a NUL-ended path."""
    part = layout.section(*_GDB_NAMES)
    if part is None or part.compressed or part.file_size == 0:
        return 0
    raw = bytes(data[part.offset : part.end])
    saved = 0
    pos = 0
    while pos < len(raw):
        end = raw.find(b"\0", pos + 1)
        if end < 0:
            break
        path = raw[pos + 1 : end].decode("utf-8", "surrogateescape")
        if is_absolute(path):
            saved += len(path.encode("utf-8", "surrogateescape")) - len(
                trimmer.file(path).encode("utf-8", "surrogateescape")
            )
        pos = end + 1
    return max(0, saved)

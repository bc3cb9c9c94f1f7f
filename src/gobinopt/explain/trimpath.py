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

``.debug_line`` is read in one forward pass, a piece at a time (the pieces the DWARF reader
already inflated, when it read the same mapped file): only unit headers are parsed, and for a
compressed section the original and the trimmed bytes stream into two zlib compressors on
threads of their own, so neither table is ever held whole and both compress while the headers
are parsed. Deflate's output does not depend on how its input is cut, so the sizes equal
``zlib.compress`` of the whole tables.
"""

from __future__ import annotations

import posixpath
import queue
import re
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from gobinopt.binary.dwarf import DwarfError, dwarf_section, section_chunks
from gobinopt.binary.interface import Buffer, Layout
from gobinopt.golang.interface import BuildInfo

#: Inflated DWARF sections larger than this are not decompressed (a corrupt ``ch_size``).
MAX_INFLATED = 1 << 30
#: Bytes handed to a compressing thread at a time.
_BATCH = 1 << 20
#: zlib level of the estimate: Go's linker compresses DWARF with ``zlib.BestSpeed``.
ZLIB_LEVEL = 1
#: ``ch_type`` of ``Elf*_Chdr`` for zstd (``ELFCOMPRESS_ZSTD``).
_ELFCOMPRESS_ZSTD = 2
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
    """Collects the edits that trimming makes to the line table unit headers."""

    def __init__(self, trimmer: PathTrimmer) -> None:
        self.trimmer = trimmer
        #: (start, end, replacement) of the unit being read, section offsets in order.
        self.edits: list[tuple[int, int, bytes]] = []
        #: Section offset of index 0 of the buffer being read.
        self.base = 0
        self.paths = 0
        #: Bytes the inflated section loses.
        self.saved = 0
        #: (path, is a directory) → its trimmed form, None when unchanged (units repeat the
        #: directories and files of inlined functions).
        self.seen: dict[tuple[bytes, bool], bytes | None] = {}

    def path(self, raw: bytes, start: int, directory: bool) -> int:
        """Record the rewrite of the path string ``raw`` at ``start``; return bytes saved."""
        key = (raw, directory)
        if key in self.seen:
            encoded = self.seen[key]
        else:
            encoded = None
            text = raw.decode("utf-8", "surrogateescape")
            if is_absolute(text):
                new = self.trimmer.directory(text) if directory else self.trimmer.file(text)
                encoded = new.encode("utf-8", "surrogateescape")
                if encoded == raw:
                    encoded = None
            self.seen[key] = encoded
        if encoded is None:
            return 0
        self.edits.append((self.base + start, self.base + start + len(raw), encoded))
        self.paths += 1
        return len(raw) - len(encoded)


def _unit_extent(buf: Buffer, pos: int, limit: int, order: str) -> tuple[int, int]:
    """(end, header end) of the line table unit at ``pos``, indices into ``buf``.

    ``limit`` is the index of the end of the section; ``buf`` must hold the unit's first
    24 bytes (or up to ``limit``).
    """
    (unit_length,) = struct.unpack_from(order + "I", buf, pos)
    pos += 4
    offset_size = 4
    if unit_length == 0xFFFFFFFF:
        (unit_length,) = struct.unpack_from(order + "Q", buf, pos)
        pos += 8
        offset_size = 8
    elif unit_length >= 0xFFFFFFF0:
        raise ValueError(f"reserved unit length {unit_length:#x}")
    end = pos + unit_length
    if end > limit:
        raise ValueError("line table unit runs past its section")
    (version,) = struct.unpack_from(order + "H", buf, pos)
    pos += 2
    if not 2 <= version <= 5:
        raise _UnsupportedError(f"DWARF line table version {version}")
    if version >= 5:
        pos += 2  # address_size, segment_selector_size
    word = order + ("Q" if offset_size == 8 else "I")
    (header_length,) = struct.unpack_from(word, buf, pos)
    header_end = pos + offset_size + header_length
    if header_end > end:
        raise ValueError("line table header runs past its unit")
    return end, header_end


def _rewrite_header(buf: bytes, pos: int, order: str, rw: _Rewriter) -> None:
    """Record the edits of the unit header at ``pos`` (DWARF 2–5) whole in ``buf``."""
    length_at = pos
    (unit_length,) = struct.unpack_from(order + "I", buf, pos)
    pos += 4
    offset_size, length_size = 4, 4
    if unit_length == 0xFFFFFFFF:
        (unit_length,) = struct.unpack_from(order + "Q", buf, pos)
        pos += 8
        offset_size, length_size = 8, 12
    (version,) = struct.unpack_from(order + "H", buf, pos)
    pos += 2
    if version >= 5:
        pos += 2  # address_size, segment_selector_size
    header_length_at = pos
    fmt = order + ("Q" if offset_size == 8 else "I")
    (header_length,) = struct.unpack_from(fmt, buf, pos)
    pos += offset_size
    header_end = pos + header_length
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
        at = rw.base + length_at + length_size - offset_size
        rw.edits.insert(0, (at, at + offset_size, struct.pack(fmt, unit_length - saved)))
        at = rw.base + header_length_at
        rw.edits.insert(1, (at, at + offset_size, struct.pack(fmt, header_length - saved)))
        rw.saved += saved


class _DeflatedSize:
    """The size zlib (level :data:`ZLIB_LEVEL`) compresses a stream to.

    Pieces are compressed on a thread of their own as they come (zlib releases the GIL), so
    the original and the trimmed table compress side by side while the headers are parsed;
    the result equals ``len(zlib.compress(whole, ZLIB_LEVEL))`` since deflate's output does not
    depend on how its input is cut.
    """

    def __init__(self) -> None:
        self._z = zlib.compressobj(ZLIB_LEVEL)
        self._queue: queue.Queue[Buffer | None] = queue.Queue(maxsize=4)
        self._size = 0
        #: Pieces not handed to the thread yet: it gets them in batches of ``_BATCH`` bytes,
        #: as each hand-over waits for the GIL.
        self._pending: list[Buffer] = []
        self._pending_size = 0
        self._error = ""
        self._thread = threading.Thread(target=self._run, name="trimpath-deflate", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        z = self._z
        try:
            while (piece := self._queue.get()) is not None:
                self._size += len(z.compress(piece))
            self._size += len(z.flush())
        except (zlib.error, MemoryError) as exc:
            self._error = f"zlib failed: {exc}"
            while self._queue.get() is not None:  # let close() finish
                pass

    def feed(self, piece: Buffer) -> None:
        self._pending.append(piece)
        self._pending_size += len(piece)
        if self._pending_size >= _BATCH:
            self._hand_over()

    def _hand_over(self) -> None:
        if self._pending_size:
            self._queue.put(b"".join(self._pending))
        self._pending = []
        self._pending_size = 0

    def close(self) -> int:
        """Finish the stream; its compressed size. Raises ValueError if zlib failed."""
        self._hand_over()
        self._queue.put(None)
        self._thread.join()
        if self._error:
            raise ValueError(self._error)
        return self._size


def _close(sinks: tuple[_DeflatedSize, _DeflatedSize] | None) -> tuple[int, ...]:
    """Finish every sink (each thread ends), then raise the first error if any."""
    sizes: list[int] = []
    error: ValueError | None = None
    for sink in sinks or ():
        try:
            sizes.append(sink.close())
        except ValueError as exc:
            error = error or exc
    if error is not None:
        raise error
    return tuple(sizes)


class _Window:
    """Forward-only access to a section's bytes, arriving in pieces.

    Bytes before the cursor ``done`` have been passed on: as they are to ``original`` and with
    the path edits applied to ``trimmed`` (when the section is compressed and those sizes are
    wanted), so only the piece being read is held, never the section.
    """

    def __init__(
        self, pieces: Iterator[bytes], size: int, sinks: tuple[_DeflatedSize, _DeflatedSize] | None
    ) -> None:
        self.pieces = pieces
        self.size = size
        self.sinks = sinks
        self.buf = b""
        #: Section offset of ``buf[0]``.
        self.buf_base = 0
        #: Section offset up to which bytes have been passed on.
        self.done = 0

    def _more(self) -> bytes:
        piece = next(self.pieces, None)
        if not piece:
            raise ValueError(".debug_line is shorter than its size")
        return piece

    def _pass(self, start: int, end: int) -> None:
        """Pass ``buf[start:end]`` on unchanged."""
        if self.sinks is not None and end > start:
            view = memoryview(self.buf)[start:end]
            self.sinks[0].feed(view)
            self.sinks[1].feed(view)

    def skip_to(self, off: int) -> None:
        """Pass the bytes up to section offset ``off`` on unchanged."""
        while self.buf_base + len(self.buf) < off:
            self._pass(self.done - self.buf_base, len(self.buf))
            self.buf_base += len(self.buf)
            self.done = self.buf_base
            self.buf = self._more()
        self._pass(self.done - self.buf_base, off - self.buf_base)
        self.done = off

    def need(self, end: int) -> tuple[bytes, int]:
        """(buffer, index of ``done``) holding the bytes up to section offset ``end``."""
        end = min(end, self.size)
        if self.buf_base + len(self.buf) < end:
            pieces = [self.buf[self.done - self.buf_base :]]
            have = self.buf_base + len(self.buf)
            while have < end:
                pieces.append(self._more())
                have += len(pieces[-1])
            self.buf = b"".join(pieces)
            self.buf_base = self.done
        return self.buf, self.done - self.buf_base

    def edit_to(self, end: int, edits: list[tuple[int, int, bytes]]) -> None:
        """Pass the bytes up to ``end`` on, ``edits`` (section offsets, in order) applied to
        the trimmed copy."""
        if self.sinks is not None:
            start = self.done - self.buf_base
            stop = end - self.buf_base
            self.sinks[0].feed(memoryview(self.buf)[start:stop])
            shifted = [(a - self.buf_base, b - self.buf_base, new) for a, b, new in edits]
            self.sinks[1].feed(_apply(self.buf, shifted, start, stop))
        self.done = end


def _apply(buf: bytes, edits: list[tuple[int, int, bytes]], start: int, stop: int) -> bytes:
    """``buf[start:stop]`` with ``edits`` (indices into ``buf``, in order) applied."""
    out: list[bytes] = []
    at = start
    for a, b, new in edits:
        out.append(buf[at:a])
        out.append(new)
        at = b
    out.append(buf[at:stop])
    return b"".join(out)


def _scan(
    pieces: Iterator[bytes],
    size: int,
    order: str,
    trimmer: PathTrimmer,
    sinks: tuple[_DeflatedSize, _DeflatedSize] | None,
) -> _Rewriter:
    """Read every unit header of a ``.debug_line`` section and record the edits, passing the
    original and the trimmed bytes to ``sinks`` on the way."""
    rw = _Rewriter(trimmer)
    win = _Window(pieces, size, sinks)
    off = 0
    while off < size:
        win.skip_to(off)
        buf, pos = win.need(off + 24)
        end, header_end = _unit_extent(buf, pos, pos + size - off, order)
        end, header_end = off + end - pos, off + header_end - pos  # section offsets
        buf, pos = win.need(header_end)
        rw.base = off - pos
        rw.edits = []
        _rewrite_header(buf, pos, order, rw)
        win.edit_to(header_end, rw.edits)
        off = end
    win.skip_to(size)
    if next(pieces, None) is not None:  # ends the stream: checks its inflated size
        raise ValueError(".debug_line is longer than its size")
    return rw


def line_table_shrink(layout: Layout, data: Buffer, trimmer: PathTrimmer) -> LineTableShrink | None:
    """How much ``.debug_line`` shrinks under ``-trimpath``; None without one.

    The section is read in one pass, inflated piece by piece; a compressed section's original
    and trimmed bytes are compressed on the way (two threads) for the estimate, so neither is
    ever held whole. Raises ValueError for a table that cannot be decoded (corrupt, or a layout
    Go never writes).
    """
    part = layout.section(*_LINE_NAMES)
    if part is None or part.file_size == 0:
        return None
    order = "<" if layout.little_endian else ">"
    sinks: tuple[_DeflatedSize, _DeflatedSize] | None = None
    try:
        sec = dwarf_section(data, layout, part)
        if sec.compression == "zstd":
            raise _UnsupportedError(
                f"{part.name} is compressed with ch_type {_ELFCOMPRESS_ZSTD}, not zlib"
            )
        if sec.size > MAX_INFLATED:
            raise _UnsupportedError(f"{part.name} claims {sec.size} bytes inflated")
        compressed = bool(sec.compression)
        if compressed:
            sinks = (_DeflatedSize(), _DeflatedSize())
        rw = _scan(section_chunks(data, sec), sec.size, order, trimmer, sinks)
    except (_UnsupportedError, DwarfError, struct.error, IndexError) as exc:
        raise ValueError(exc.message if isinstance(exc, DwarfError) else str(exc)) from None
    finally:
        sizes = _close(sinks)
    inflated = rw.saved
    if not compressed:
        return LineTableShrink(part.name, rw.paths, inflated, inflated, False)
    if inflated == 0:
        return LineTableShrink(part.name, rw.paths, 0, 0, True)
    before, after = sizes
    estimate = part.file_size - round(part.file_size * after / before) if before else 0
    return LineTableShrink(part.name, rw.paths, inflated, max(0, estimate), True)


def gdb_script_shrink(layout: Layout, data: Buffer, trimmer: PathTrimmer) -> int:
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

"""Decode the ``.go.buildinfo`` blob the Go linker writes into every Go binary.

Mirrors ``debug/buildinfo`` and ``runtime/debug.ParseBuildInfo``: a 32-byte header
(``\\xff Go buildinf:``, pointer size, flags) followed, since Go 1.18, by two varint-prefixed
strings (the Go version and the module info framed by 16-byte sentinels); before 1.18 the header
holds pointers to Go strings instead. The blob is found by its magic at a 16-byte aligned offset,
so stripped binaries, PE and Mach-O work the same way.
"""

from __future__ import annotations

import mmap
import struct

from gobinopt.binary.interface import Layout
from gobinopt.golang.interface import BuildInfo, GoMetadataError, Module

MAGIC = b"\xff Go buildinf:"
HEADER_SIZE = 32
_FLAGS_BIG_ENDIAN = 0x1
_FLAGS_INLINE = 0x2
#: Longest build info we accept; real ones are a few KB even with hundreds of deps.
_MAX_STRING = 16 << 20


def find_magic(data: bytes | mmap.mmap, layout: Layout | None = None) -> int | None:
    """File offset of the build info magic: in its section when named, else anywhere 16-aligned."""
    if layout is not None:
        sec = layout.section(".go.buildinfo", "__go_buildinfo")
        if (
            sec is not None
            and sec.file_size >= HEADER_SIZE
            and bytes(data[sec.offset : sec.offset + len(MAGIC)]) == MAGIC
        ):
            return sec.offset
    start = 0
    while True:
        at = data.find(MAGIC, start)
        if at < 0:
            return None
        if at % 16 == 0:
            return at
        start = at + 1


def read_buildinfo(data: bytes | mmap.mmap, layout: Layout | None = None) -> BuildInfo | None:
    """The build info of the binary, None when it has none; corrupt blobs raise GoMetadataError."""
    at = find_magic(data, layout)
    if at is None:
        return None
    if at + HEADER_SIZE > len(data):
        raise GoMetadataError("Go build info header is truncated")
    ptr_size = data[at + 14]
    flags = data[at + 15]
    if flags & _FLAGS_INLINE:
        version, pos = _varint_string(data, at + HEADER_SIZE)
        modinfo, _ = _varint_string(data, pos)
    else:
        version, modinfo = _pointer_strings(data, at, ptr_size, flags, layout)
    if not version:
        raise GoMetadataError("Go build info has an empty Go version")
    modinfo = modinfo[16:-16] if len(modinfo) >= 33 and modinfo[-17] == "\n" else ""
    if not version.startswith("go") or any(ord(c) < 0x20 for c in version):
        raise GoMetadataError(f"Go build info has a malformed Go version {version[:40]!r}")
    try:
        return parse_modinfo(version, modinfo, at)
    except (ValueError, OverflowError) as exc:
        raise GoMetadataError(f"Go build info: malformed module info ({exc})") from None


def _uvarint(data: bytes | mmap.mmap, pos: int) -> tuple[int, int]:
    value = shift = 0
    for i in range(10):
        if pos + i >= len(data):
            break
        byte = data[pos + i]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos + i + 1
        shift += 7
    raise GoMetadataError("Go build info: bad varint length")


def _varint_string(data: bytes | mmap.mmap, pos: int) -> tuple[str, int]:
    length, pos = _uvarint(data, pos)
    if length > _MAX_STRING or pos + length > len(data):
        raise GoMetadataError(f"Go build info: string of {length} bytes runs past the file")
    return bytes(data[pos : pos + length]).decode("utf-8", "replace"), pos + length


def _pointer_strings(
    data: bytes | mmap.mmap, at: int, ptr_size: int, flags: int, layout: Layout | None
) -> tuple[str, str]:
    """Pre-1.18 header: pointers to Go string headers (pointer, length) in the data segment."""
    if ptr_size not in (4, 8) or layout is None:
        raise GoMetadataError("Go build info (pre-1.18 pointer form) cannot be resolved")
    order = ">" if flags & _FLAGS_BIG_ENDIAN else "<"
    fmt = order + ("Q" if ptr_size == 8 else "I")

    def read_ptr(off: int) -> int:
        if off + ptr_size > len(data):
            raise GoMetadataError("Go build info pointer runs past the file")
        return int(struct.unpack_from(fmt, data, off)[0])

    def read_string(addr: int) -> str:
        off = layout.offset_of(addr) if layout else None
        if off is None:
            return ""
        ptr, length = read_ptr(off), read_ptr(off + ptr_size)
        soff = layout.offset_of(ptr) if layout else None
        if soff is None or length > _MAX_STRING or soff + length > len(data):
            return ""
        return bytes(data[soff : soff + length]).decode("utf-8", "replace")

    return read_string(read_ptr(at + 16)), read_string(read_ptr(at + 16 + ptr_size))


def parse_modinfo(go_version: str, text: str, offset: int = 0) -> BuildInfo:
    """Parse the module info text (``runtime/debug.ParseBuildInfo``'s format)."""
    path = ""
    main: Module | None = None
    deps: list[Module] = []
    settings: list[tuple[str, str]] = []
    last: str | None = None  # "main" or "dep": which module a "=>" line replaces
    for line in text.split("\n"):
        if line.startswith("path\t"):
            path = line[5:]
        elif line.startswith("mod\t"):
            main = _module(line[4:].split("\t"))
            last = "main"
        elif line.startswith("dep\t"):
            deps.append(_module(line[4:].split("\t")))
            last = "dep"
        elif line.startswith("=>\t"):
            rep = _module(line[3:].split("\t"))
            if last == "main" and main is not None:
                main = Module(main.path, main.version, main.sum, rep)
            elif last == "dep" and deps:
                d = deps[-1]
                deps[-1] = Module(d.path, d.version, d.sum, rep)
            last = None
        elif line.startswith("build\t"):
            settings.append(_setting(line[6:]))
    return BuildInfo(
        go_version=go_version,
        path=path,
        main=main,
        deps=tuple(deps),
        settings=tuple(settings),
        offset=offset,
    )


def _module(cols: list[str]) -> Module:
    cols = [*cols, "", ""]
    return Module(path=cols[0], version=cols[1], sum=cols[2])


def _setting(kv: str) -> tuple[str, str]:
    if kv[:1] in ('"', "`"):
        key, rest = _go_unquote_prefix(kv)
        value = rest[1:] if rest.startswith("=") else rest
    else:
        key, _, value = kv.partition("=")
    if value[:1] in ('"', "`"):
        value, _ = _go_unquote_prefix(value)
    return key, value


_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
}


def _go_unquote_prefix(s: str) -> tuple[str, str]:
    """Unquote a Go string literal at the start of ``s`` (strconv.QuotedPrefix + Unquote)."""
    quote = s[0]
    if quote == "`":
        end = s.find("`", 1)
        if end < 0:
            return s[1:], ""
        return s[1:end], s[end + 1 :]
    out: list[str] = []
    raw = bytearray()
    i = 1

    def flush() -> None:
        if raw:
            out.append(raw.decode("utf-8", "replace"))
            raw.clear()

    while i < len(s):
        ch = s[i]
        if ch == quote:
            flush()
            return "".join(out), s[i + 1 :]
        if ch != "\\":
            flush()
            out.append(ch)
            i += 1
            continue
        nxt = s[i + 1 : i + 2]
        if nxt in _ESCAPES:
            flush()
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt == "x":
            raw.append(_digits(s[i + 2 : i + 4], 16, 2, 0xFF))
            i += 4
        elif nxt in ("u", "U"):
            width = 4 if nxt == "u" else 8
            code = _digits(s[i + 2 : i + 2 + width], 16, width, 0x10FFFF)
            if 0xD800 <= code <= 0xDFFF:
                raise GoMetadataError("Go build info: surrogate in a quoted build setting")
            flush()
            out.append(chr(code))
            i += 2 + width
        elif nxt.isdigit():
            raw.append(_digits(s[i + 1 : i + 4], 8, 3, 0xFF))
            i += 4
        else:
            flush()
            out.append(nxt)
            i += 2
    flush()
    return "".join(out), ""


def _digits(text: str, base: int, width: int, limit: int) -> int:
    """An escape's digits as strconv.Unquote accepts them, else GoMetadataError."""
    allowed = "01234567" if base == 8 else "0123456789abcdefABCDEF"
    if len(text) != width or any(c not in allowed for c in text):
        raise GoMetadataError(f"Go build info: invalid escape {text!r} in a quoted build setting")
    value = int(text, base)
    if value > limit:
        raise GoMetadataError(f"Go build info: escape {text!r} out of range")
    return value


def format_like_go_version_m(info: BuildInfo) -> str:
    """The text ``runtime/debug.BuildInfo.String`` produces (``go version -m`` minus indent)."""
    lines = [f"go\t{info.go_version}"]
    if info.path:
        lines.append(f"path\t{info.path}")

    def mod(word: str, m: Module) -> None:
        if m.replace is None:
            lines.append(f"{word}\t{m.path}\t{m.version}\t{m.sum}")
        else:
            # Go writes the replacement's own newline and then the outer one: a blank line.
            lines.append(f"{word}\t{m.path}\t{m.version}")
            mod("=>", m.replace)
            lines.append("")

    if info.main is not None:
        mod("mod", info.main)
    for dep in info.deps:
        mod("dep", dep)
    for key, value in info.settings:
        k = _go_quote(key) if (not key or any(c in key for c in '= \t\r\n"`')) else key
        v = _go_quote(value) if any(c in value for c in ' \t\r\n"`') else value
        lines.append(f"build\t{k}={v}")
    return "\n".join(lines) + "\n"


def _go_quote(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)

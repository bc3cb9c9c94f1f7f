"""Split the Go type descriptor region by package via ``runtime.firstmoduledata`` (stripped too).

**Finding the region.** The first word of ``runtime.moduledata`` is the address of the
``pcHeader`` (the pclntab). The writable data sections (``.go.module``, ``.noptrdata``,
``.data``; Mach-O ``__go_module``/``__noptrdata``/``__data``; PE ``.data``) are scanned for that
pointer, and a candidate is accepted only if its ``funcnametab`` slice points where the header
says and its ``ftab`` has ``nfunc + 1`` entries. The fields after it depend on the Go release
(``runtime/symtab.go``):

========= ===================================================================================
Go 1.26   ``types, etypes, rodata, gofunc, epclntab, textsectmap, typelinks []int32,
          itablinks []*itab``. ``[types, etypes)`` is the whole read-only data section
          (``.rodata``, or ``.data.rel.ro`` for PIE); the type symbols (``STYPE``) come first,
          sorted by size, then strings, GC bits and other read-only data. The region split here
          is ``[types, end of the last type symbol)``.
Go 1.27   ``types, typedesclen, etypes, itaboffset, itabsize, rodata, gofunc, epclntab``; no
          typelinks/itablinks. ``[types, etypes)`` is the ``.go.type`` section: a pointer-size
          skip, the typelinked descriptors sorted by type string (walkable one after the other
          with ``abi.Type.DescriptorSize``) up to ``types + typedesclen``, the other type symbols
          sorted by size, then from ``types + itaboffset`` the itabs (walkable with
          ``abi.ITab.Size``).
========= ===================================================================================

**Finding the descriptors.** A worklist (never recursion, so cycles terminate) starts from the
typelinks and the itabs' ``Inter``/``Type`` and follows every type reference: ``PtrToThis``,
``Elem``/``Key``/``Group``/``Slice``, struct field types, func in/out, interface method types
and uncommon method types (``Mtyp``). Every name reference (``Str``, ``PkgPath``, field,
method and interface-method names, a name's own embedded package path) marks a name. Bytes of
the size-sorted part that nothing references are then parsed in order (a descriptor where
one validates at a pointer-aligned offset, else a name) and walked in turn.

**Sizes.** A descriptor is exactly ``abi.Type.DescriptorSize`` bytes: the kind's struct, the
``UncommonType`` if ``TFlagUncommon``, the field/in-out/imethod array, the methods. A name
(``type:.namedata.*``, ``type:.importpath.*``) is its encoded length: flag byte, varint length,
bytes, optional varint-length tag, optional 4-byte package path ``nameOff``. The equality and
hash closures in the region (``type:.eqfunc*``, ``type:.hashfunc*``) are one pointer, two when
they call ``runtime.memequal_varlen``/``memhash_varlen``. An itab is ``abi.ITab.Size``.

**Packages.** A named type goes to its ``UncommonType.PkgPath`` (built-in named types to "").
An unnamed type goes to the package of the first named type in its structure, in the order its
type string prints them (element; key then element; parameters then results; fields; interface
methods) — ``attribution.type_package``'s rule on the linker's symbol name, which the string
``Str`` (holding package *names*, not paths) cannot give unambiguously on its own. A name goes
to the package of the descriptor whose string it is, to the package it names when it is a
package path, to its embedded package path, else by ``type_package``'s rule on its text with
package names mapped to paths through the named types (ambiguous names: the first path seen).
An itab goes to its concrete type's package. Named tables: ``runtime.types`` (the leading
skip), ``type equality/hash closures``, ``alignment padding`` (zero bytes shorter than a
pointer before an aligned item) and ``type data (not reached)`` (anything else).

**Speed.** A large binary has tens of thousands of descriptors and names, so the region is read
in place from the mapped file (never copied), the walk is one loop with the descriptor decoding
inline (precompiled ``struct.Struct`` readers, plain names recorded without a call, decoded
offsets not queued twice), and the gap passes and the attribution work on whole lists with
C-level iterators: the gaps between items are found once from the sorted items, then kept up to
date as a pass adds items; gaps of zero bytes only are never trial-parsed.
"""

from __future__ import annotations

import contextlib
import gc
import re
import struct
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from itertools import accumulate, chain, compress, islice, repeat
from operator import add, gt, lt, not_, sub

from gobinopt.binary.interface import Format, Layout, Part
from gobinopt.golang.attribution import NO_PACKAGE, Data, Split, TableSize, packages_of
from gobinopt.golang.interface import GoMetadataError, PclnTab
from gobinopt.golang.pclntab import GO120_MAGIC, import_path

# abi.Kind values (internal/abi/type.go).
ARRAY, CHAN, FUNC, INTERFACE, MAP, POINTER, SLICE, STRING, STRUCT, UNSAFE_POINTER = (
    17,
    18,
    19,
    20,
    21,
    22,
    23,
    24,
    25,
    26,
)
TFLAG_UNCOMMON = 1 << 0
TFLAG_EXTRA_STAR = 1 << 1
TFLAG_NAMED = 1 << 2
#: cmd/link's Maxalign (32 on amd64, arm64, 386, ppc64, riscv64, s390x).
MAXALIGN = 32
#: Sections that may hold runtime.firstmoduledata, searched in this order.
_MODULEDATA_SECTIONS = (
    ".go.module",
    "__go_module",
    ".noptrdata",
    "__noptrdata",
    ".data",
    "__data",
)
#: The table of region bytes the walk did not reach (unexplained, not attributed).
NOT_REACHED = "type data (not reached)"
_TYPE_SECTIONS = (".go.type", "__go_type")
_QUALIFIER = re.compile(r"(?<![\w\-.~%/])([\w\-~%]+)\.(?=[^\W\d])")
_SYNTAX = frozenset(("map", "chan", "func", "struct", "interface", "noalg", "go"))
_NONZERO = re.compile(rb"[^\x00]")
#: A name's flag byte and a one-byte length as one little-endian word: a plain name (flags
#: at most exported/embedded, no tag, no package path; length < 128) has none of these bits.
_U16 = struct.Struct("<H")
_PLAIN = 0x80F6
#: The kind of a name item (compared by identity in the walk's hot path).
_NAME = "name"


@dataclass(frozen=True, slots=True)
class ModuleTypes:
    """The fields of ``runtime.moduledata`` the split needs (virtual addresses)."""

    #: "1.26" or "1.27": which moduledata/abi layout was decoded.
    layout: str
    #: File offset of runtime.firstmoduledata.
    offset: int
    text: int
    types: int
    etypes: int
    #: Go 1.26: offsets of the typelinked descriptors from ``types``.
    typelinks: tuple[int, ...]
    #: Go 1.26: addresses of the itabs; Go 1.27: ``itaboffset``/``itabsize``.
    itablinks: tuple[int, ...]
    typedesclen: int = 0
    itaboffset: int = 0
    itabsize: int = 0
    #: ``epclntab``: the end of the pclntab (where PE's ``.rdata`` holds it, its only end mark
    #: once the symbol table is stripped).
    epclntab: int = 0


def split_types(
    data: Data, layout: Layout, tab: PclnTab, go_version: str | None = None
) -> Split | None:
    """The type descriptor region split by package; None when it cannot be located.

    ``go_version`` (the build info's, "go1.26.6") picks the moduledata layout; without it both
    known layouts are tried. Raises GoMetadataError when the region's data is corrupt.
    """
    return split_types_why(data, layout, tab, go_version)[0]


def split_types_why(
    data: Data, layout: Layout, tab: PclnTab, go_version: str | None = None
) -> tuple[Split | None, str]:
    """:func:`split_types` and, when it gives None, a one-line reason for a note."""
    # The walk makes tens of thousands of small tuples and lists that all live until the split
    # is made: cyclic garbage collections during it would only scan them (5-10 % of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        found = find_moduledata(data, layout, tab, go_version)
        if isinstance(found, str):
            return None, found
        return _Walker(data, layout, tab, found).split(), ""
    except (struct.error, IndexError, ValueError, OverflowError, KeyError) as exc:
        raise GoMetadataError(f"type descriptors are corrupt: {exc}") from None
    finally:
        if collecting:
            gc.enable()


# -- moduledata ---------------------------------------------------------------------------------


def _address_of(layout: Layout, offset: int) -> int | None:
    for part in layout.sections():
        if part.file_size and part.mem_size and part.offset <= offset < part.end:
            return part.address + (offset - part.offset)
    for seg in layout.segments:
        if seg.file_size and seg.offset <= offset < seg.offset + seg.file_size:
            return seg.address + (offset - seg.offset)
    return None


def _layouts_for(go_version: str | None) -> tuple[str, ...] | str:
    if go_version is None:
        return ("1.27", "1.26")
    match = re.match(r"go1\.(\d+)", go_version)
    if match is None:
        return ("1.27", "1.26")  # devel builds: let the validation decide
    minor = int(match.group(1))
    if minor == 26:
        return ("1.26",)
    if minor == 27:
        return ("1.27",)
    return f"type descriptors of {go_version} binaries are not decoded (Go 1.26 and 1.27 only)"


def find_moduledata(
    data: Data, layout: Layout, tab: PclnTab, go_version: str | None = None
) -> ModuleTypes | str:
    """runtime.firstmoduledata's type fields, or the reason it cannot be had."""
    if tab.magic != GO120_MAGIC:
        return "type descriptors are decoded for Go 1.26 and 1.27 only (older pclntab)"
    kinds = _layouts_for(go_version)
    if isinstance(kinds, str):
        return kinds
    ptr = tab.ptr_size
    order = "<" if layout.little_endian else ">"
    pc_addr = _address_of(layout, tab.offset)
    if pc_addr is None:
        return "the pclntab is not loaded at any address"
    word = struct.Struct(order + ("Q" if ptr == 8 else "I"))
    funcname = word.unpack_from(data, tab.offset + 8 + 3 * ptr)[0]
    needle = word.pack(pc_addr)
    parts: list[Part] = []
    for name in _MODULEDATA_SECTIONS:
        sec = layout.section(name)
        if sec is not None and sec.file_size and sec not in parts:
            parts.append(sec)
    if layout.format is Format.PE or not parts:
        parts += [p for p in layout.sections() if p.file_size and "W" in p.flags and p not in parts]
    nwords = 51
    for sec in parts:
        start = sec.offset
        stop = min(sec.end, len(data))
        while True:
            at = data.find(needle, start, stop)
            if at < 0:
                break
            start = at + 1
            if (at - sec.offset) % ptr or at + nwords * ptr > stop:
                continue
            m = struct.unpack_from(order + ("Q" if ptr == 8 else "I") * nwords, data, at)
            if m[1] != pc_addr + funcname or m[2] != m[3]:
                continue
            if m[17] != tab.nfunc + 1 or m[18] != tab.nfunc + 1:
                continue
            for kind in kinds:
                decoded = _decode_moduledata(data, layout, m, kind, at, ptr, order)
                if decoded is not None:
                    return decoded
    return "runtime.firstmoduledata was not found (or has an unknown layout)"


def _decode_moduledata(
    data: Data,
    layout: Layout,
    m: tuple[int, ...],
    kind: str,
    at: int,
    ptr: int,
    order: str,
) -> ModuleTypes | None:
    text = m[22]
    types = m[37]
    if kind == "1.27":
        typedesclen, etypes, itaboffset, itabsize = m[38], m[39], m[40], m[41]
        size = etypes - types
        if not (
            0 < types <= etypes
            and ptr <= typedesclen <= itaboffset <= size
            and itaboffset + itabsize <= size
        ):
            return None
        return ModuleTypes(
            "1.27", at, text, types, etypes, (), (), typedesclen, itaboffset, itabsize, m[44]
        )
    etypes = m[38]
    tl_ptr, tl_len, tl_cap = m[45], m[46], m[47]
    il_ptr, il_len, il_cap = m[48], m[49], m[50]
    if not (0 < types <= etypes and tl_len == tl_cap and il_len == il_cap):
        return None
    if m[43] != m[44]:  # textsectmap len == cap
        return None
    typelinks: tuple[int, ...] = ()
    if tl_len:
        off = layout.offset_of(tl_ptr)
        if off is None or off + 4 * tl_len > len(data):
            return None
        typelinks = struct.unpack_from(f"{order}{tl_len}i", data, off)
    itabs: tuple[int, ...] = ()
    if il_len:
        off = layout.offset_of(il_ptr)
        if off is None or off + ptr * il_len > len(data):
            return None
        itabs = struct.unpack_from(order + ("Q" if ptr == 8 else "I") * il_len, data, off)
    return ModuleTypes("1.26", at, text, types, etypes, typelinks, itabs, epclntab=m[41])


# -- the walk -----------------------------------------------------------------------------------


class _Walker:
    """Descriptors, names and closures of one region, found by a worklist over references.

    The region is read in place (``blob`` is the mapped file, region offset ``r`` at file
    offset ``fo + r``): nothing of it is copied.
    """

    def __init__(self, data: Data, layout: Layout, tab: PclnTab, md: ModuleTypes) -> None:
        self.md = md
        self.layout = layout
        self.ptr = p = tab.ptr_size
        self.order = order = "<" if layout.little_endian else ">"
        start = layout.offset_of(md.types)
        if start is None:
            raise GoMetadataError("moduledata types address is not in the file")
        size = md.etypes - md.types
        if size and start + size > len(data):
            raise GoMetadataError("type descriptor region runs past the end of the file")
        self.blob = data
        self.fo = start
        self.base = md.types
        self.size = size
        pw = "Q" if p == 8 else "I"
        self.pw = pw
        self.word = struct.Struct(order + pw)
        self.words2 = struct.Struct(order + 2 * pw)
        self.words3 = struct.Struct(order + 3 * pw)
        self.words4 = struct.Struct(order + 4 * pw)
        # abi.Type: Size_, PtrBytes, Hash, TFlag, Align_, FieldAlign_, Kind_, Equal, GCData,
        # Str, PtrToThis.
        self.header = struct.Struct(order + pw + pw + "IBBBB" + pw + pw + "ii")
        self.hsize = self.header.size
        # The same, only TFlag, Kind_, Equal, Str and PtrToThis.
        self.head = struct.Struct(f"{order}{2 * p + 4}xB2xB{pw}{p}xii")
        self.uncommon = struct.Struct(order + "iHHI")
        self.i32 = struct.Struct(order + "i")
        self.u16x2 = struct.Struct(order + "HH")
        self.map_words = 7 if md.layout == "1.26" else 10
        # Item starts (offsets into the region) → end; kind: "type", "name", "closure", "itab".
        self.items: dict[int, int] = {}
        self.kind: dict[int, str] = {}
        #: The end of the last item that is not a closure.
        self.types_end = 0
        self.types: dict[int, tuple[int, int, int]] = {}  # off → (tflag, kind, str)
        self.named_pkg: dict[int, str] = {}  # named type off → PkgPath text
        self.children: dict[int, list[int]] = {}
        self.str_owner: dict[int, int] = {}  # name off → first type whose Str it is
        self.pkgpath_names: set[int] = set()
        self.closures: set[int] = set()
        self.itab_type: dict[int, int] = {}
        #: Name starts in the order they were found.
        self.names: list[int] = []
        #: Name start → its embedded package path nameOff, for the names that have one.
        self.name_pkgoff: dict[int, int] = {}
        #: The item starts in order when a gap pass began (with ``starts_new`` merged in).
        self.starts: list[int] = []
        self.starts_new: list[int] = []
        self.gaps: _Gaps | None = None
        self.texts: dict[int, str] = {}
        self.varlen = self._varlen_funcs(tab)

    def _varlen_funcs(self, tab: PclnTab) -> frozenset[int]:
        text = self.md.text
        wanted = ("runtime.memequal_varlen", "runtime.memhash_varlen")
        return frozenset(text + fn.entry for fn in tab.functions if fn.name in wanted)

    def probe(self) -> _Walker:
        """A throwaway walker over the same region with no items yet (for trial parses)."""
        probe = _Walker.__new__(_Walker)
        probe.__dict__.update(self.__dict__)
        probe.items = {}
        probe.kind = {}
        probe.types_end = 0
        probe.types = {}
        probe.named_pkg = {}
        probe.children = {}
        probe.str_owner = {}
        probe.pkgpath_names = set()
        probe.closures = set()
        probe.itab_type = {}
        probe.names = []
        probe.name_pkgoff = {}
        probe.gaps = None
        return probe

    # -- references -----------------------------------------------------------------------------

    def rel(self, addr: int) -> int:
        """Region offset of a pointer into the region, -1 for nil or outside."""
        off = addr - self.base
        return off if addr and 0 <= off < self.size else -1

    def add(self, start: int, end: int, what: str) -> bool:
        if end > self.size or start < 0:
            raise GoMetadataError(f"{what} at +{start:#x} runs outside the type region")
        old = self.items.get(start)
        if old is not None:
            if old != end or self.kind[start] != what:
                raise GoMetadataError(f"{what} at +{start:#x} overlaps another item")
            return False
        self.items[start] = end
        self.kind[start] = what
        if what != "closure" and end > self.types_end:
            self.types_end = end
        return True

    def name_size(self, off: int) -> tuple[int, int]:
        """(encoded size, embedded package path nameOff or 0) of the name at ``off``."""
        blob = self.blob
        at = self.fo + off
        flags = blob[at]
        if flags & 0xF0:
            raise GoMetadataError(f"name at +{off:#x} has unknown flag bits {flags:#x}")
        length = blob[at + 1]
        if length < 0x80:
            pos = at + 2 + length
        else:
            length, pos = self._uvarint(at + 1)
            pos += length
        if flags & 2:
            tag, pos = self._uvarint(pos)
            pos += tag
        pkg = 0
        if flags & 4:
            pkg = self.i32.unpack_from(blob, pos)[0]
            pos += 4
        if pos - self.fo > self.size:
            raise GoMetadataError(f"name at +{off:#x} runs past the type region")
        return pos - at, pkg

    def _uvarint(self, pos: int) -> tuple[int, int]:
        """The uvarint at file offset ``pos`` and the file offset after it."""
        blob = self.blob
        value = shift = 0
        while True:
            b = blob[pos]
            pos += 1
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value, pos
            shift += 7
            if shift > 35:
                raise GoMetadataError("name length varint is too long")

    def name(self, off: int, pkgpath: bool = False, pointer: bool = False) -> None:
        if off < 0 or off >= self.size or (off == 0 and not pointer):
            if off:
                raise GoMetadataError(f"nameOff {off:#x} points outside the type region")
            return
        if pkgpath:
            self.pkgpath_names.add(off)
        if off in self.items:
            if self.kind[off] != "name":
                raise GoMetadataError(f"nameOff {off:#x} points at a {self.kind[off]}")
            return
        size, pkg = self.name_size(off)
        end = off + size
        self.items[off] = end
        self.kind[off] = "name"
        self.names.append(off)
        self.types_end = max(self.types_end, end)
        if pkg:
            self.name_pkgoff[off] = pkg
            self.name(pkg, pkgpath=True)

    def name_ptr(self, addr: int, pkgpath: bool = False) -> None:
        if addr:
            off = self.rel(addr)
            if off < 0:
                raise GoMetadataError(f"name pointer {addr:#x} is outside the type region")
            self.name(off, pkgpath, pointer=True)

    def text(self, off: int) -> str:
        """The text of the name at ``off`` (memoised: names are shared)."""
        text = self.texts.get(off)
        if text is None:
            length, pos = self._uvarint(self.fo + off + 1)
            text = self.texts[off] = bytes(self.blob[pos : pos + length]).decode("utf-8", "replace")
        return text

    # -- descriptors ----------------------------------------------------------------------------

    def closure(self, addr: int) -> None:
        """An equality/hash closure in the region: one word, two for the *_varlen ones."""
        off = addr - self.base
        if not addr or off < 0 or off >= self.size or off in self.items:
            return
        if off % self.ptr:
            raise GoMetadataError(f"closure at +{off:#x} is misaligned")
        fn = self.word.unpack_from(self.blob, self.fo + off)[0]
        size = 2 * self.ptr if fn in self.varlen else self.ptr
        self.add(off, off + size, "closure")
        self.closures.add(off)

    def walk(self, work: list[int], follow: bool = True) -> None:
        """Decode the descriptors at the offsets in ``work`` and every one they reference (only
        the first when not ``follow``): record their extents, queue their references.

        One loop with the descriptor decoding inline: it runs for every type of the binary.
        Offsets already decoded are not queued again.
        """
        blob, fo, p, h = self.blob, self.fo, self.ptr, self.hsize
        items, kinds, types = self.items, self.kind, self.types
        region, base_addr, order, pw = self.size, self.base, self.order, self.pw
        head = self.head.unpack_from
        word = self.word.unpack_from
        words2 = self.words2.unpack_from
        words3 = self.words3.unpack_from
        words4 = self.words4.unpack_from
        u16x2 = self.u16x2.unpack_from
        uncommon = self.uncommon.unpack_from
        name, name_ptr, closure = self.name, self.name_ptr, self.closure
        new_name = self.names.append
        named_pkg, children_of, str_owner = self.named_pkg, self.children, self.str_owner
        pkgpath_names, texts = self.pkgpath_names, self.texts
        map_base = h + self.map_words * p + p
        func_base = h + p if p == 8 else h + 4
        push = work.append
        kind_of = kinds.get
        u16 = _U16.unpack_from
        tend = 0  # the furthest end recorded here (self.types_end takes the maximum)
        while work:
            off = work.pop()
            if off in types:
                continue
            if off <= 0 or off >= region:
                raise GoMetadataError(f"typeOff {off:#x} points outside the type region")
            if off % p:
                raise GoMetadataError(f"type descriptor at +{off:#x} is misaligned")
            at0 = fo + off
            tflag, kind, equal, str_off, ptr_to_this = head(blob, at0)
            extra = 0  # the field/in-out/imethod array after the uncommon type
            if kind == STRUCT:
                base = h + 4 * p
                pkgpath, fptr, flen = words3(blob, at0 + h)
                if pkgpath and kind_of(pkgpath - base_addr) is _NAME:
                    pkgpath_names.add(pkgpath - base_addr)
                else:
                    name_ptr(pkgpath, pkgpath=True)
                extra = flen * 3 * p
                at = fptr - base_addr if flen else 0
                if flen and (not fptr or at < 0 or at >= region or at + extra > region):
                    raise GoMetadataError(f"struct type at +{off:#x} has fields outside the region")
                fields = struct.unpack_from(f"{order}{3 * flen}{pw}", blob, fo + at)
                for a in fields[::3]:
                    if a:
                        n = a - base_addr
                        k = kind_of(n)
                        if k is _NAME:
                            continue
                        if (
                            k is None
                            and 0 < n < region
                            and not (v := u16(blob, fo + n)[0]) & _PLAIN
                        ):
                            # A new plain name (no tag, no package path, a one-byte length):
                            # name() inline.
                            end = n + 2 + (v >> 8)
                            if end > region:
                                raise GoMetadataError(f"name at +{n:#x} runs past the type region")
                            items[n] = end
                            kinds[n] = _NAME
                            new_name(n)
                            if end > tend:  # noqa: PLR1730 (max() costs a call per item)
                                tend = end
                        else:
                            name_ptr(a)
                children = fields[1::3]
            elif kind in (POINTER, SLICE):
                base = h + p
                children = word(blob, at0 + h)
            elif kind == FUNC:
                base = func_base
                nin, nout = u16x2(blob, at0 + h)
                count = nin + (nout & 0x7FFF)
                extra = count * p
                at = off + base + (16 if tflag & TFLAG_UNCOMMON else 0)
                if at + extra > region:
                    raise GoMetadataError(f"func type at +{off:#x} runs past the region")
                children = struct.unpack_from(f"{order}{count}{pw}", blob, fo + at)
            elif kind <= 16 or kind in (STRING, UNSAFE_POINTER):
                if kind == 0:
                    raise GoMetadataError(f"type descriptor at +{off:#x} has kind 0")
                base = h
                children = ()
            elif kind == ARRAY:
                base = h + 3 * p
                children = words2(blob, at0 + h)
            elif kind == INTERFACE:
                base = h + 4 * p
                pkgpath, mptr, mlen = words3(blob, at0 + h)
                name_ptr(pkgpath, pkgpath=True)
                extra = mlen * 8
                at = mptr - base_addr if mlen else 0
                if mlen and (not mptr or at < 0 or at >= region or at + extra > region):
                    raise GoMetadataError(f"interface at +{off:#x} has methods outside the region")
                ims = struct.unpack_from(f"{order}{2 * mlen}i", blob, fo + at)
                for n in ims[::2]:
                    if n > 0 and n in items:
                        if kinds[n] != "name":
                            raise GoMetadataError(f"nameOff {n:#x} points at a {kinds[n]}")
                    else:
                        name(n)
                work += [t for t in ims[1::2] if t > 0 and t not in types]
                children = ()
            elif kind == MAP:
                base = map_base
                key, elem, group, hasher = words4(blob, at0 + h)
                children = (key, elem, group)
                c = hasher - base_addr
                if hasher and 0 <= c < region and c not in items:
                    closure(hasher)
            elif kind == CHAN:
                base = h + 2 * p
                children = word(blob, at0 + h)
            else:
                raise GoMetadataError(f"type descriptor at +{off:#x} has unknown kind {kind}")
            size = base + extra
            if tflag & TFLAG_UNCOMMON:
                pkg_off, mcount, _, moff = uncommon(blob, at0 + base)
                size += 16 + mcount * 16
                if mcount and moff != 16 + extra:
                    raise GoMetadataError(f"type at +{off:#x} has its methods at an odd offset")
                if pkg_off > 0 and kind_of(pkg_off) is _NAME:
                    pkgpath_names.add(pkg_off)
                else:
                    name(pkg_off, pkgpath=True)
                if tflag & TFLAG_NAMED:
                    if pkg_off > 0:
                        text = texts.get(pkg_off)
                        named_pkg[off] = self.text(pkg_off) if text is None else text
                    else:
                        named_pkg[off] = ""
                if mcount:
                    ms = struct.unpack_from(f"{order}{4 * mcount}i", blob, at0 + base + moff)
                    for n in ms[::4]:
                        if n > 0:
                            k = kind_of(n)
                            if k is _NAME:
                                continue
                            if (
                                k is None
                                and n < region
                                and not (v := u16(blob, fo + n)[0]) & _PLAIN
                            ):
                                end = n + 2 + (v >> 8)  # a new plain name, as above
                                if end > region:
                                    raise GoMetadataError(
                                        f"name at +{n:#x} runs past the type region"
                                    )
                                items[n] = end
                                kinds[n] = _NAME
                                new_name(n)
                                if end > tend:  # noqa: PLR1730 (max() costs a call per item)
                                    tend = end
                                continue
                        name(n)
                    work += [t for t in ms[1::4] if t > 0 and t not in types]
                elif off + base + moff > region:
                    raise GoMetadataError(f"type at +{off:#x} has its methods outside the region")
            elif tflag & TFLAG_NAMED:
                named_pkg[off] = ""
            end = off + size
            if end > region:
                raise GoMetadataError(f"type at +{off:#x} runs outside the type region")
            old = items.get(off)
            if old is None:
                items[off] = end
                kinds[off] = "type"
                if end > tend:  # noqa: PLR1730 (max() costs a call per item)
                    tend = end
            elif old != end or kinds[off] != "type":
                raise GoMetadataError(f"type at +{off:#x} overlaps another item")
            types[off] = (tflag, kind, str_off)
            rel_children = []
            for c in children:
                if c:
                    r = c - base_addr
                    rel_children.append(r)
                    if r not in types:  # decoded ones are inside the region
                        if r < 0 or r >= region:
                            raise GoMetadataError(
                                f"type at +{off:#x} points outside the type region"
                            )
                        push(r)
            children_of[off] = rel_children
            # Its string: the name at Str (new ones mostly plain: no tag, no package path).
            n = str_off
            if n > 0:
                k = kind_of(n)
                if k is _NAME:
                    pass
                elif k is None and n < region and not (v := u16(blob, fo + n)[0]) & _PLAIN:
                    end = n + 2 + (v >> 8)
                    if end > region:
                        raise GoMetadataError(f"name at +{n:#x} runs past the type region")
                    items[n] = end
                    kinds[n] = _NAME
                    new_name(n)
                    if end > tend:  # noqa: PLR1730 (max() costs a call per item)
                        tend = end
                else:
                    name(n)
                str_owner.setdefault(n, off)
            elif n:
                name(n)
            if ptr_to_this > 0 and ptr_to_this not in types:
                push(ptr_to_this)
            c = equal - base_addr
            if equal and 0 <= c < region and c not in items:
                closure(equal)
            if not follow:
                break
        self.types_end = max(self.types_end, tend)

    def itab(self, off: int, work: list[int]) -> int:
        """Record the itab at ``off`` (inside the region); return its size."""
        p = self.ptr
        inter, typ, _, fun0 = self.words4.unpack_from(self.blob, self.fo + off)
        i_off, t_off = self.rel(inter), self.rel(typ)
        if i_off < 0 or t_off < 0:
            raise GoMetadataError(f"itab at +{off:#x} points outside the type region")
        work += (i_off, t_off)
        self.walk(work)
        if self.types[i_off][1] != INTERFACE:
            raise GoMetadataError(f"itab at +{off:#x} names a non-interface")
        nmethods = self.word.unpack_from(self.blob, self.fo + i_off + self.hsize + 2 * p)[0]
        size = 4 * p + (max(nmethods, 1) - 1) * p if fun0 else 4 * p
        self.add(off, off + size, "itab")
        self.itab_type[off] = t_off
        return size

    # -- the split ------------------------------------------------------------------------------

    def split(self) -> Split:
        md, p = self.md, self.ptr
        work: list[int] = []
        if md.layout == "1.26":
            work += [t for t in md.typelinks]
            for addr in md.itablinks:
                r = self.rel(addr)
                if r >= 0:  # Go 1.26 itabs are SRODATA: inside [types, etypes), past the types
                    if r + 2 * p > self.size:
                        raise GoMetadataError(f"itab at +{r:#x} runs past the type region")
                    inter, typ = self.words2.unpack_from(self.blob, self.fo + r)
                    work += (self.rel(inter), self.rel(typ))
            self.walk(work)
        else:
            # The typelinked descriptors lie back to back from types+ptr.
            off = p
            while off < md.typedesclen:
                off = -(-off // p) * p
                self.walk([off])
                off = self.items[off]
            # The itabs lie back to back from itaboffset.
            off = md.itaboffset
            end = md.itaboffset + md.itabsize
            while off < end:
                off = -(-off // p) * p
                off += self.itab(off, work)
        if md.layout == "1.26":
            self._drop_outside()
        self.fill_gaps()
        if md.layout == "1.26":
            self._drop_outside()
        return self.attribute()

    def inside(self, off: int) -> bool:
        """Whether ``off`` falls strictly inside an item known when this gap pass began."""
        if self.starts_new:
            # Sorting two sorted runs is a merge.
            self.starts = sorted(self.starts + self.starts_new)
            self.starts_new = []
        starts = self.starts
        k = bisect_right(starts, off) - 1
        return k >= 0 and starts[k] < off < self.items[starts[k]]

    def _drop_outside(self) -> None:
        """Go 1.26: closures past the last descriptor or name are ``go:funcdesc`` (SGOFUNC)
        symbols laid out after the strings, not type symbols; they are not part of the split."""
        end = self.types_end
        dropped = [s for s in self.closures if s >= end]
        for start in dropped:
            del self.items[start]
            del self.kind[start]
            self.closures.discard(start)
        if dropped and self.gaps is not None:
            self.gaps.drop_from(end, self.items)

    def fill_gaps(self) -> None:
        """Parse unreferenced bytes of the size-sorted part in order; walk what they reference.

        The gaps between the items are kept in a :class:`_Gaps` updated with the items each
        pass adds. A gap of zero bytes only is skipped: neither a descriptor (its kind would be
        0) nor a name (its length would be 0) can start in it.
        """
        items = self.items
        first = self._first_start()
        self.starts = sorted(items)
        self.starts_new = []
        gaps = self.gaps = _Gaps.of(self, self.starts)
        for _ in range(8):
            found = False
            known = len(items)
            stop = self.md.itaboffset if self.md.layout == "1.27" else self.types_end
            if gaps.overlap:
                todo = self._overlapping_gaps(first, stop)
            else:
                todo = gaps.to_parse(self, first, stop)
            for cursor, gap_end in todo:
                found |= self._parse_gap(cursor, gap_end)
            if not found:
                return
            # Dicts keep insertion order: the items this pass added are the last ones.
            new = sorted(islice(items, known, None))
            gaps.add(self, new)
            if gaps.overlap:
                self.starts, self.starts_new = sorted(items), []
            else:
                self.starts_new += new

    def _overlapping_gaps(self, first: int, stop: int) -> list[tuple[int, int]]:
        """:meth:`_Gaps.to_parse` when items overlap: the cursor is the furthest end so far."""
        items = self.items
        starts = self.starts = sorted(items)
        self.starts_new = []
        cursors = list(accumulate(chain((first,), map(items.__getitem__, starts)), max))
        k = bisect_left(cursors, stop, 0, len(starts))
        cursors, starts = cursors[:k], starts[:k]
        mask = list(map(lt, cursors, starts))
        lo = list(compress(cursors, mask))
        hi = list(map(min, compress(starts, mask), repeat(stop)))
        return self._nonzero(lo, hi)

    def _nonzero(self, lo: list[int], hi: list[int]) -> list[tuple[int, int]]:
        """The ranges ``[lo[i], hi[i])`` of the region that hold a byte other than zero."""
        fo = self.fo
        found = map(
            _NONZERO.search, repeat(self.blob), map(add, lo, repeat(fo)), map(add, hi, repeat(fo))
        )
        return list(compress(zip(lo, hi, strict=True), found))

    def _first_start(self) -> int:
        if self.md.layout == "1.27":
            return self.ptr
        return 1

    def _parse_gap(self, pos: int, stop: int) -> bool:
        found = False
        blob, fo = self.blob, self.fo
        while pos < stop:
            at = self._parse_at(pos, stop)
            if at < 0 and blob[fo + pos] == 0:
                # Zero padding: names are byte-aligned, so what follows is a descriptor at the
                # next pointer-aligned offset, after zeros only.
                q = -(-(pos + 1) // self.ptr) * self.ptr
                while (
                    at < 0
                    and q < stop
                    and q - pos < MAXALIGN
                    and _NONZERO.search(blob, fo + pos, fo + q) is None
                ):
                    at = self._parse_at(q, stop, pad=q - pos)
                    q += self.ptr
            if at < 0:
                return found
            pos = self.items[at]
            found = True
        return found

    def _parse_at(self, pos: int, stop: int, pad: int = 0) -> int:
        """Parse one descriptor or name at ``pos``; its start, or -1 when none fits. With
        ``pad`` zero bytes before it, only a descriptor aligned beyond that padding fits."""
        if pos % self.ptr == 0 and pos + self.hsize <= stop:
            size = _Trial(self).try_descriptor(pos, stop)
            if size and pad < _align(size):
                self.walk([pos])
                return pos
        if pad:
            return -1
        try:
            size, pkg = self.name_size(pos)
        except (GoMetadataError, IndexError, struct.error):
            return -1
        if pos + size > stop or self.blob[self.fo + pos + 1] == 0:
            return -1  # an empty name is zero padding, not a name
        if self.add(pos, pos + size, "name"):
            self.names.append(pos)
            if pkg:
                self.name_pkgoff[pos] = pkg
        if 0 < pkg < self.size and pkg not in self.items:
            with contextlib.suppress(GoMetadataError):
                self.name(pkg, pkgpath=True)
        return pos

    def attribute(self) -> Split:
        pkg_of_type = self.type_packages()
        name_pkg = self.name_packages(pkg_of_type)
        items, blob, fo = self.items, self.blob, self.fo
        gaps = self.gaps
        if gaps is None or gaps.overlap:
            starts = sorted(items)
            gaps = _Gaps.of(self, starts)
            if gaps.overlap:
                ends = list(map(items.__getitem__, starts))
                start = next(s for e, s in zip(ends, starts[1:], strict=False) if s < e)
                raise GoMetadataError(f"type items overlap at +{start:#x}")
        # A gap is padding when it is zeros only and shorter than the alignment of the item
        # after it, else data not reached.
        lo, hi, dirty = gaps.lo, gaps.hi, gaps.dirty
        sizes_of_gaps = list(map(sub, hi, lo))
        item_sizes = map(sub, map(items.__getitem__, hi), hi)
        aligns = map(_ALIGN.__getitem__, map(min, item_sizes, repeat(MAXALIGN)))
        short = map(lt, sizes_of_gaps, aligns)
        is_padding = [ok and c not in dirty for ok, c in zip(short, lo, strict=True)]
        padding = sum(compress(sizes_of_gaps, is_padding))
        not_reached = sum(sizes_of_gaps) - padding
        sizes: dict[str, int] = defaultdict(int)
        for off in self.types:
            sizes[pkg_of_type[off]] += items[off] - off
        for off, typ in self.itab_type.items():
            sizes[pkg_of_type[typ]] += items[off] - off
        # Names: package paths, type strings, then the rest (field and method names mostly;
        # those without a dot in their bytes and no embedded package path name no package).
        names = set(self.names)
        paths = names & self.pkgpath_names
        for off in paths:
            sizes[_path(self.text(off))] += items[off] - off
        str_owner = self.str_owner
        names -= paths
        owned = names & str_owner.keys()
        for off in owned:
            sizes[pkg_of_type[str_owner[off]]] += items[off] - off
        names -= owned
        with_path = names & self.name_pkgoff.keys()
        names -= with_path
        rest = list(names)
        dots = map(
            blob.find, repeat(b"."), map(add, rest, repeat(fo)), [items[o] + fo for o in rest]
        )
        plain = [dot < 0 for dot in dots]
        sizes[NO_PACKAGE] += sum(items[off] - off for off in compress(rest, plain))
        for off in chain(with_path, compress(rest, map(not_, plain))):
            sizes[name_pkg(off)] += items[off] - off
        closures = sum(items[off] - off for off in self.closures)
        # Tables in the order their first bytes appear (a gap before the item it precedes).
        order = []
        if padding:
            order.append((hi[is_padding.index(True)], 0, "alignment padding", padding))
        if not_reached:
            where = hi[is_padding.index(False)]
            order.append((where, 0, NOT_REACHED, not_reached))
        if closures:
            order.append((min(self.closures), 1, "type equality/hash closures", closures))
        tables: dict[str, int] = defaultdict(int)
        first = gaps.first if gaps.first >= 0 else self.size
        tables["runtime.types"] = first
        for _, _, key, value in sorted(order):
            tables[key] = value
        cursor = gaps.last if gaps.first >= 0 else first
        p = self.ptr
        if self.md.layout == "1.27":
            tail = self.size - cursor
            if tail:
                key = "alignment padding" if tail < p else NOT_REACHED
                tables[key] += tail
            size = self.size
            sec = self.layout.section(*_TYPE_SECTIONS)
            sections = (sec.name,) if sec is not None else ("type descriptors",)
        else:
            size = cursor
            sec = self._section_at(self.md.types)
            sections = (sec.name,) if sec is not None else ("type descriptors",)
        return Split(
            sections=sections,
            size=size,
            packages=packages_of(sizes),
            tables=tuple(
                TableSize(k, v, unexplained=k == NOT_REACHED) for k, v in tables.items() if v
            ),
        )

    def _section_at(self, addr: int) -> Part | None:
        for part in self.layout.sections():
            if part.mem_size and part.address <= addr < part.address + max(part.mem_size, 1):
                return part
        return None

    def type_packages(self) -> dict[int, str]:
        """Type offset → import path: PkgPath if named, else the first named component's."""
        named = self.named_pkg
        # go.shape is the compiler's pseudo-package of generic shapes: no package's.
        paths = {path: _path(path) for path in set(named.values())}
        out = {off: paths[path] for off, path in named.items()}
        types, all_children = self.types, self.children
        for root, (_, kind, _) in types.items():
            if root in out:
                continue
            kids = all_children.get(root, [])
            if kind == ARRAY:
                kids = kids[:1]
            elif kind == MAP:
                kids = kids[:2]
            if kind != INTERFACE and (len(kids) < 2 or len(set(kids)) == len(kids)):
                # Common case: every component already has its package, so the search below
                # would take the first non-empty one in string order (with repeated components
                # it visits them by their last occurrence: left to the search).
                found = NO_PACKAGE
                resolved = True
                for k in kids:
                    pkg = out.get(k)
                    if pkg is None:
                        if k != root:
                            resolved = False
                            break
                    elif pkg:
                        found = pkg
                        break
                if resolved:
                    out[root] = found
                    continue
            # Depth-first in string order with an explicit stack; cycles pass through named
            # types (Go has no unnamed recursive types), so a visited set suffices.
            stack = [root]
            seen = {root}
            found = NO_PACKAGE
            while stack:
                cur = stack.pop()
                pkg = out.get(cur)
                if pkg is not None and (cur in named or cur != root):
                    if pkg:
                        found = pkg
                        break
                    continue
                kids = all_children.get(cur, [])
                cur_kind = types[cur][1]
                if cur_kind == ARRAY:
                    kids = kids[:1]  # Elem; the second pointer is the slice type
                elif cur_kind == MAP:
                    kids = kids[:2]  # Key, Elem; Group is internal
                for k in reversed(kids):
                    if k not in seen:
                        seen.add(k)
                        stack.append(k)
                if cur_kind == INTERFACE:
                    for m in reversed(self._imethod_types(cur)):
                        if m not in seen:
                            seen.add(m)
                            stack.append(m)
            out[root] = found
        return out

    def _imethod_types(self, off: int) -> list[int]:
        _, mptr, mlen = self.words3.unpack_from(self.blob, self.fo + off + self.hsize)
        if not mlen:
            return []
        at = self.rel(mptr)
        ims = struct.unpack_from(f"{self.order}{2 * mlen}i", self.blob, self.fo + at)
        return [t for t in ims[1::2] if t > 0 and t in self.types]

    def name_packages(self, pkg_of_type: dict[int, str]) -> _NamePackages:
        return _NamePackages(self, pkg_of_type)


@dataclass(slots=True)
class _Gaps:
    """The gaps between consecutive items: built once from the sorted items (with C-level
    iterators), then kept up to date as items are added. Only valid while no two items
    overlap (``overlap`` says when they do)."""

    #: Gap i is ``[lo[i], hi[i])``: from the end of an item to the start of the next.
    lo: list[int]
    hi: list[int]
    #: ``lo`` of the gaps that hold a byte other than zero.
    dirty: set[int]
    #: The start of the first item (-1: no items) and the end of the last.
    first: int
    last: int
    overlap: bool

    @classmethod
    def of(cls, walker: _Walker, starts: list[int]) -> _Gaps:
        if not starts:
            return cls([], [], set(), -1, 0, False)
        ends = list(map(walker.items.__getitem__, starts))
        after = starts[1:]
        mask = list(map(lt, ends, after))
        lo = list(compress(ends, mask))
        hi = list(compress(after, mask))
        dirty = {c for c, _ in walker._nonzero(lo, hi)}
        return cls(lo, hi, dirty, starts[0], ends[-1], any(map(gt, ends, after)))

    def add(self, walker: _Walker, new: list[int]) -> None:
        """Take in the items that start at ``new`` (sorted, all of them new)."""
        items, lo, hi = walker.items, self.lo, self.hi
        parts: list[tuple[int, int]] = []  # new or shortened gaps (``lo``, first ``hi``)
        for s in new:
            e = items[s]
            if self.overlap or e < s:
                self.overlap = True
                return
            if self.first < 0:
                self.first, self.last = s, e
            elif s < self.first:
                if e > self.first:
                    self.overlap = True
                    return
                if e < self.first:
                    lo.insert(0, e)
                    hi.insert(0, self.first)
                    parts.append((e, self.first))
                self.first = s
            elif s >= self.last:
                if s > self.last:
                    lo.append(self.last)
                    hi.append(s)
                    parts.append((self.last, s))
                self.last = e
            else:
                k = bisect_right(lo, s) - 1
                if k < 0 or s >= hi[k] or e > hi[k]:
                    self.overlap = True  # it starts inside an item or runs into the next
                    return
                g_lo, g_hi = lo[k], hi[k]
                self.dirty.discard(g_lo)
                split = [g for g in ((g_lo, s), (e, g_hi)) if g[0] < g[1]]
                lo[k : k + 1] = [g[0] for g in split]
                hi[k : k + 1] = [g[1] for g in split]
                parts += split
        # A gap may have been split again since: check each by its ``lo``, as it is now.
        now = [
            c for c in {g[0] for g in parts} if (i := bisect_left(lo, c)) < len(lo) and lo[i] == c
        ]
        ends = [hi[bisect_left(lo, c)] for c in now]
        self.dirty.update(c for c, _ in walker._nonzero(now, ends))

    def drop_from(self, end: int, items: dict[int, int]) -> None:
        """Forget the items that started at or after ``end`` (all of them since deleted)."""
        if self.overlap:
            return
        m = bisect_left(self.hi, end)
        if m < len(self.lo):
            cut = self.lo[m]
            self.dirty = {c for c in self.dirty if c < cut}
        del self.lo[m:], self.hi[m:]
        if not items:
            self.first, self.last = -1, 0
        else:
            self.last = max(items.values())

    def to_parse(self, walker: _Walker, first: int, stop: int) -> list[tuple[int, int]]:
        """The gaps a pass of :meth:`_Walker.fill_gaps` parses, in order: from the cursor
        (``first``, then the end of the item before) to the next item's start, before
        ``stop``, cut at ``stop``, with a byte other than zero."""
        lo, hi = self.lo, self.hi
        out = []
        if self.first >= 0 and walker.items[self.first] < first:
            return walker._overlapping_gaps(first, stop)  # the cursor is ``first`` for a while
        # The first item ends at or after ``first``: the cursor before any other item is the
        # end of the one before it, and the gaps are ours.
        if self.first > first and first < stop:
            out += walker._nonzero([first], [min(self.first, stop)])
        m = bisect_left(lo, stop)
        for c in sorted(c for c in self.dirty if c < stop):
            i = bisect_left(lo, c)
            if i < m - 1 and lo[i] == c:
                out.append((c, hi[i]))
        if m:
            out += walker._nonzero([lo[m - 1]], [min(hi[m - 1], stop)])
        return out


class _NamePackages:
    """Name offset → import path, by the rules in the module docstring."""

    def __init__(self, walker: _Walker, pkg_of_type: dict[int, str]) -> None:
        self.w = walker
        self.pkg_of_type = pkg_of_type
        self._paths: dict[str, str] | None = None

    @property
    def paths(self) -> dict[str, str]:
        """Package name → first import path seen, from named types' strings (made when a
        name first needs it: most binaries have no such name)."""
        if self._paths is None:
            w, pkg_of_type = self.w, self.pkg_of_type
            paths: dict[str, str] = {}
            for off in sorted(w.named_pkg):
                path = pkg_of_type[off]
                if not path:
                    continue
                tflag, _, str_off = w.types[off]
                if str_off <= 0:
                    continue
                text = w.text(str_off)
                if tflag & TFLAG_EXTRA_STAR:
                    text = text[1:]
                dot = text.find(".")
                if dot > 0:
                    paths.setdefault(text[:dot], path)
            self._paths = paths
        return self._paths

    def __call__(self, off: int) -> str:
        w = self.w
        if off in w.pkgpath_names:
            return _path(w.text(off))
        owner = w.str_owner.get(off)
        if owner is not None:
            return self.pkg_of_type[owner]
        pkg = w.name_pkgoff.get(off, 0)
        if pkg > 0 and pkg in w.items:
            return _path(w.text(pkg))
        for match in _QUALIFIER.finditer(w.text(off)):
            word = match.group(1)
            if word not in _SYNTAX:
                return self.paths.get(word, word)
        return NO_PACKAGE


class _Trial:
    """Validate a candidate descriptor in a gap before walking it (no side effects)."""

    def __init__(self, walker: _Walker) -> None:
        self.w = walker

    def try_descriptor(self, off: int, stop: int) -> int:
        """The size of a valid descriptor at ``off`` that fits before ``stop``, else 0."""
        w = self.w
        try:
            (size_, ptrbytes, _, tflag, align, falign, kind, _, _, str_off, ptt) = (
                w.header.unpack_from(w.blob, w.fo + off)
            )
        except struct.error:
            return 0
        if not 1 <= kind <= 26 or tflag & 0xC0 or ptrbytes > size_:
            return 0
        if align not in (1, 2, 4, 8, 16) or falign not in (1, 2, 4, 8, 16):
            return 0
        if not 0 < str_off < w.size or ptt < 0 or ptt >= w.size or ptt % w.ptr:
            return 0
        if str_off in w.items and w.kind[str_off] != "name":
            return 0
        try:
            w.name_size(str_off)
        except (GoMetadataError, IndexError, struct.error):
            return 0
        # A throwaway walker over the same region checks the whole descriptor decodes and fits.
        probe = w.probe()
        try:
            probe.walk([off], follow=False)
        except (GoMetadataError, IndexError, struct.error, KeyError):
            return 0
        end = probe.items[off]
        if end > stop:
            return 0
        # Its names must not land inside known items other than names at their starts.
        for start, what in probe.kind.items():
            if start == off:
                continue
            if start in w.items:
                if w.kind[start] != what or w.items[start] != probe.items[start]:
                    return 0
            elif w.inside(start):
                return 0
        if any(c not in w.items and w.inside(c) for c in probe.children[off]):
            return 0
        return end - off


def _path(text: str) -> str:
    """A PkgPath as an import path; ``go.shape`` (the compiler's pseudo-package of generic
    shapes) is no package."""
    if text == "go.shape":
        return NO_PACKAGE
    return import_path(text) if "%" in text else text


def _align(size: int) -> int:
    """The linker's alignment of a symbol without an explicit one (``symalign``): the largest
    power of two not above its size, at most ``Maxalign``."""
    if size >= MAXALIGN:
        return MAXALIGN
    return 1 << (size.bit_length() - 1) if size > 0 else 1


#: ``_align`` of the sizes up to ``MAXALIGN``.
_ALIGN = tuple(_align(size) for size in range(MAXALIGN + 1))

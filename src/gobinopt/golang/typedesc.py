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
"""

from __future__ import annotations

import contextlib
import re
import struct
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass

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
_TYPE_SECTIONS = (".go.type", "__go_type")
_QUALIFIER = re.compile(r"(?<![\w\-.~%/])([\w\-~%]+)\.(?=[^\W\d])")
_SYNTAX = frozenset(("map", "chan", "func", "struct", "interface", "noalg", "go"))


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
    try:
        found = find_moduledata(data, layout, tab, go_version)
        if isinstance(found, str):
            return None, found
        return _Walker(data, layout, tab, found).split(), ""
    except (struct.error, IndexError, ValueError, OverflowError, KeyError) as exc:
        raise GoMetadataError(f"type descriptors are corrupt: {exc}") from None


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
            "1.27", at, text, types, etypes, (), (), typedesclen, itaboffset, itabsize
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
    return ModuleTypes("1.26", at, text, types, etypes, typelinks, itabs)


# -- the walk -----------------------------------------------------------------------------------


class _Walker:
    """Descriptors, names and closures of one region, found by a worklist over references."""

    def __init__(self, data: Data, layout: Layout, tab: PclnTab, md: ModuleTypes) -> None:
        self.md = md
        self.layout = layout
        self.ptr = p = tab.ptr_size
        self.order = order = "<" if layout.little_endian else ">"
        start = layout.offset_of(md.types)
        if start is None:
            raise GoMetadataError("moduledata types address is not in the file")
        size = md.etypes - md.types
        self.blob = bytes(data[start : start + size])
        if len(self.blob) != size:
            raise GoMetadataError("type descriptor region runs past the end of the file")
        self.base = md.types
        self.size = size
        pw = "Q" if p == 8 else "I"
        self.pw = pw
        self.word = struct.Struct(order + pw)
        # abi.Type: Size_, PtrBytes, Hash, TFlag, Align_, FieldAlign_, Kind_, Equal, GCData,
        # Str, PtrToThis.
        self.header = struct.Struct(order + pw + pw + "IBBBB" + pw + pw + "ii")
        self.hsize = self.header.size
        self.uncommon = struct.Struct(order + "iHHI")
        self.i32 = struct.Struct(order + "i")
        self.u16x2 = struct.Struct(order + "HH")
        self.map_words = 7 if md.layout == "1.26" else 10
        # Item starts (offsets into the region) → (end, what, key). what: "type", "name",
        # "closure", "itab"; key: type offset for "type"/"itab"/"closure", a name's role.
        self.items: dict[int, int] = {}
        self.kind: dict[int, str] = {}
        self.types: dict[int, tuple[int, int, int]] = {}  # off → (tflag, kind, str)
        self.named_pkg: dict[int, str] = {}  # named type off → PkgPath text
        self.children: dict[int, list[int]] = {}
        self.str_owner: dict[int, int] = {}  # name off → first type whose Str it is
        self.pkgpath_names: set[int] = set()
        self.closures: set[int] = set()
        self.itab_type: dict[int, int] = {}
        self.starts: list[int] = []
        self.varlen = self._varlen_funcs(tab)

    def _varlen_funcs(self, tab: PclnTab) -> frozenset[int]:
        out = set()
        for fn in tab.functions:
            if fn.name in ("runtime.memequal_varlen", "runtime.memhash_varlen"):
                out.add(self.md.text + fn.entry)
        return frozenset(out)

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
        return True

    def name_size(self, off: int) -> tuple[int, int]:
        """(encoded size, embedded package path nameOff or 0) of the name at ``off``."""
        blob = self.blob
        flags = blob[off]
        if flags & 0xF0:
            raise GoMetadataError(f"name at +{off:#x} has unknown flag bits {flags:#x}")
        pos = off + 1
        length, pos = self._uvarint(pos)
        pos += length
        if flags & 2:
            tag, pos = self._uvarint(pos)
            pos += tag
        pkg = 0
        if flags & 4:
            pkg = self.i32.unpack_from(blob, pos)[0]
            pos += 4
        if pos > self.size:
            raise GoMetadataError(f"name at +{off:#x} runs past the type region")
        return pos - off, pkg

    def _uvarint(self, pos: int) -> tuple[int, int]:
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
        self.add(off, off + size, "name")
        if pkg:
            self.name(pkg, pkgpath=True)

    def name_ptr(self, addr: int, pkgpath: bool = False) -> None:
        if addr:
            off = self.rel(addr)
            if off < 0:
                raise GoMetadataError(f"name pointer {addr:#x} is outside the type region")
            self.name(off, pkgpath, pointer=True)

    def text(self, off: int) -> str:
        """The text of the name at ``off``."""
        length, pos = self._uvarint(off + 1)
        return self.blob[pos : pos + length].decode("utf-8", "replace")

    # -- descriptors ----------------------------------------------------------------------------

    def descriptor(self, off: int, work: list[int]) -> None:
        """Decode the descriptor at ``off``: record its extent, queue its references."""
        blob, p, h = self.blob, self.ptr, self.hsize
        if off % p:
            raise GoMetadataError(f"type descriptor at +{off:#x} is misaligned")
        (_, _, _, tflag, _, _, kind, equal, _, str_off, ptr_to_this) = self.header.unpack_from(
            blob, off
        )
        word = self.word.unpack_from
        children: list[int] = []
        extra = 0  # the field/in-out/imethod array after the uncommon type
        if kind <= 16 or kind in (STRING, UNSAFE_POINTER):
            if kind == 0:
                raise GoMetadataError(f"type descriptor at +{off:#x} has kind 0")
            base = h
        elif kind == ARRAY:
            base = h + 3 * p
            children += (word(blob, off + h)[0], word(blob, off + h + p)[0])
        elif kind == CHAN:
            base = h + 2 * p
            children.append(word(blob, off + h)[0])
        elif kind in (POINTER, SLICE):
            base = h + p
            children.append(word(blob, off + h)[0])
        elif kind == FUNC:
            base = h + p if p == 8 else h + 4
            nin, nout = self.u16x2.unpack_from(blob, off + h)
            count = nin + (nout & 0x7FFF)
            extra = count * p
            at = off + base + (16 if tflag & TFLAG_UNCOMMON else 0)
            if at + extra > self.size:
                raise GoMetadataError(f"func type at +{off:#x} runs past the region")
            children += struct.unpack_from(f"{self.order}{count}{self.pw}", blob, at)
        elif kind == MAP:
            base = h + self.map_words * p + p
            children += (word(blob, off + h)[0], word(blob, off + h + p)[0])
            children.append(word(blob, off + h + 2 * p)[0])
            self.closure(word(blob, off + h + 3 * p)[0])
        elif kind == STRUCT:
            base = h + 4 * p
            self.name_ptr(word(blob, off + h)[0], pkgpath=True)
            fptr, flen = word(blob, off + h + p)[0], word(blob, off + h + 2 * p)[0]
            extra = flen * 3 * p
            at = self.rel(fptr) if flen else 0
            if flen and (at < 0 or at + extra > self.size):
                raise GoMetadataError(f"struct type at +{off:#x} has fields outside the region")
            fields = struct.unpack_from(f"{self.order}{3 * flen}{self.pw}", blob, at)
            for i in range(0, 3 * flen, 3):
                self.name_ptr(fields[i])
                children.append(fields[i + 1])
        elif kind == INTERFACE:
            base = h + 4 * p
            self.name_ptr(word(blob, off + h)[0], pkgpath=True)
            mptr, mlen = word(blob, off + h + p)[0], word(blob, off + h + 2 * p)[0]
            extra = mlen * 8
            at = self.rel(mptr) if mlen else 0
            if mlen and (at < 0 or at + extra > self.size):
                raise GoMetadataError(f"interface at +{off:#x} has methods outside the region")
            ims = struct.unpack_from(f"{self.order}{2 * mlen}i", blob, at)
            for i in range(0, 2 * mlen, 2):
                self.name(ims[i])
                if ims[i + 1] > 0:
                    work.append(ims[i + 1])
        else:
            raise GoMetadataError(f"type descriptor at +{off:#x} has unknown kind {kind}")
        size = base + extra
        if tflag & TFLAG_UNCOMMON:
            u = off + base
            pkg_off, mcount, _, moff = self.uncommon.unpack_from(blob, u)
            size += 16 + mcount * 16
            if mcount and moff != base + 16 + extra - base:
                raise GoMetadataError(f"type at +{off:#x} has its methods at an odd offset")
            self.name(pkg_off, pkgpath=True)
            if tflag & TFLAG_NAMED:
                self.named_pkg[off] = self.text(pkg_off) if pkg_off > 0 else ""
            ms = struct.unpack_from(f"{self.order}{4 * mcount}i", blob, u + moff)
            for i in range(0, 4 * mcount, 4):
                self.name(ms[i])
                if ms[i + 1] > 0:
                    work.append(ms[i + 1])
        elif tflag & TFLAG_NAMED:
            self.named_pkg[off] = ""
        self.add(off, off + size, "type")
        self.types[off] = (tflag, kind, str_off)
        rel_children = []
        for c in children:
            if c:
                r = self.rel(c)
                if r < 0:
                    raise GoMetadataError(f"type at +{off:#x} points outside the type region")
                rel_children.append(r)
                work.append(r)
        self.children[off] = rel_children
        self.name(str_off)
        if str_off > 0:
            self.str_owner.setdefault(str_off, off)
        if ptr_to_this > 0:
            work.append(ptr_to_this)
        self.closure(equal)

    def closure(self, addr: int) -> None:
        """An equality/hash closure in the region: one word, two for the *_varlen ones."""
        off = self.rel(addr)
        if off < 0 or off in self.items:
            return
        if off % self.ptr:
            raise GoMetadataError(f"closure at +{off:#x} is misaligned")
        fn = self.word.unpack_from(self.blob, off)[0]
        size = 2 * self.ptr if fn in self.varlen else self.ptr
        self.add(off, off + size, "closure")
        self.closures.add(off)

    def walk(self, work: list[int]) -> None:
        seen = self.types
        while work:
            off = work.pop()
            if off in seen:
                continue
            if off <= 0 or off >= self.size:
                raise GoMetadataError(f"typeOff {off:#x} points outside the type region")
            self.descriptor(off, work)

    def itab(self, off: int, work: list[int]) -> int:
        """Record the itab at ``off`` (inside the region); return its size."""
        p = self.ptr
        inter, typ = struct.unpack_from(self.order + 2 * self.pw, self.blob, off)
        fun0 = self.word.unpack_from(self.blob, off + 3 * p)[0]
        i_off, t_off = self.rel(inter), self.rel(typ)
        if i_off < 0 or t_off < 0:
            raise GoMetadataError(f"itab at +{off:#x} points outside the type region")
        work += (i_off, t_off)
        self.walk(work)
        if self.types[i_off][1] != INTERFACE:
            raise GoMetadataError(f"itab at +{off:#x} names a non-interface")
        nmethods = self.word.unpack_from(self.blob, i_off + self.hsize + 2 * p)[0]
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
                    inter, typ = struct.unpack_from(self.order + 2 * self.pw, self.blob, r)
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
        k = bisect_right(self.starts, off) - 1
        return k >= 0 and self.starts[k] < off < self.items[self.starts[k]]

    def _types_end(self) -> int:
        return max((e for s, e in self.items.items() if self.kind[s] != "closure"), default=0)

    def _drop_outside(self) -> None:
        """Go 1.26: closures past the last descriptor or name are ``go:funcdesc`` (SGOFUNC)
        symbols laid out after the strings, not type symbols; they are not part of the split."""
        end = self._types_end()
        for start in [s for s in self.closures if s >= end]:
            del self.items[start]
            del self.kind[start]
            self.closures.discard(start)

    def fill_gaps(self) -> None:
        """Parse unreferenced bytes of the size-sorted part in order; walk what they reference."""
        for _ in range(8):
            found = False
            starts = self.starts = sorted(self.items)
            stop = self.md.itaboffset if self.md.layout == "1.27" else self._types_end()
            cursor = self._first_start()
            for start in starts:
                if start > cursor and cursor < stop:
                    found |= self._parse_gap(cursor, min(start, stop))
                cursor = max(cursor, self.items[start])
            if not found:
                return

    def _first_start(self) -> int:
        if self.md.layout == "1.27":
            return self.ptr
        return 1

    def _parse_gap(self, pos: int, stop: int) -> bool:
        found = False
        while pos < stop:
            at = self._parse_at(pos, stop)
            if at < 0 and self.blob[pos] == 0:
                # Zero padding: names are byte-aligned, so what follows is a descriptor at the
                # next pointer-aligned offset, after zeros only.
                q = -(-(pos + 1) // self.ptr) * self.ptr
                while at < 0 and q < stop and q - pos < MAXALIGN and not any(self.blob[pos:q]):
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
        if pos + size > stop or self.blob[pos + 1] == 0:
            return -1  # an empty name is zero padding, not a name
        self.add(pos, pos + size, "name")
        if 0 < pkg < self.size and pkg not in self.items:
            with contextlib.suppress(GoMetadataError):
                self.name(pkg, pkgpath=True)
        return pos

    def attribute(self) -> Split:
        sizes: dict[str, int] = defaultdict(int)
        tables: dict[str, int] = defaultdict(int)
        pkg_of_type = self.type_packages()
        name_pkg = self.name_packages(pkg_of_type)
        starts = sorted(self.items)
        first = starts[0] if starts else self.size
        tables["runtime.types"] = first
        cursor = first
        p = self.ptr
        for start in starts:
            end = self.items[start]
            if start < cursor:
                raise GoMetadataError(f"type items overlap at +{start:#x}")
            gap = start - cursor
            if gap:
                if gap < _align(end - start) and not any(self.blob[cursor:start]):
                    tables["alignment padding"] += gap
                else:
                    tables["type data (not reached)"] += gap
            what = self.kind[start]
            size = end - start
            if what == "type":
                sizes[pkg_of_type[start]] += size
            elif what == "name":
                sizes[name_pkg(start)] += size
            elif what == "itab":
                sizes[pkg_of_type[self.itab_type[start]]] += size
            else:
                tables["type equality/hash closures"] += size
            cursor = end
        if self.md.layout == "1.27":
            tail = self.size - cursor
            if tail:
                key = "alignment padding" if tail < p else "type data (not reached)"
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
            tables=tuple(TableSize(k, v) for k, v in tables.items() if v),
        )

    def _section_at(self, addr: int) -> Part | None:
        for part in self.layout.sections():
            if part.mem_size and part.address <= addr < part.address + max(part.mem_size, 1):
                return part
        return None

    def type_packages(self) -> dict[int, str]:
        """Type offset → import path: PkgPath if named, else the first named component's."""
        out: dict[int, str] = {}
        for off, path in self.named_pkg.items():
            # go.shape is the compiler's pseudo-package of generic shapes: no package's.
            out[off] = _path(path)
        for root in self.types:
            if root in out:
                continue
            # Depth-first in string order with an explicit stack; cycles pass through named
            # types (Go has no unnamed recursive types), so a visited set suffices.
            stack = [root]
            seen = {root}
            found = NO_PACKAGE
            while stack:
                cur = stack.pop()
                pkg = out.get(cur)
                if pkg is not None and (cur in self.named_pkg or cur != root):
                    if pkg:
                        found = pkg
                        break
                    continue
                kids = self.children.get(cur, [])
                kind = self.types[cur][1]
                if kind == ARRAY:
                    kids = kids[:1]  # Elem; the second pointer is the slice type
                elif kind == MAP:
                    kids = kids[:2]  # Key, Elem; Group is internal
                for k in reversed(kids):
                    if k not in seen:
                        seen.add(k)
                        stack.append(k)
                if kind == INTERFACE:
                    for m in reversed(self._imethod_types(cur)):
                        if m not in seen:
                            seen.add(m)
                            stack.append(m)
            out[root] = found
        return out

    def _imethod_types(self, off: int) -> list[int]:
        p, h = self.ptr, self.hsize
        mptr = self.word.unpack_from(self.blob, off + h + p)[0]
        mlen = self.word.unpack_from(self.blob, off + h + 2 * p)[0]
        if not mlen:
            return []
        at = self.rel(mptr)
        ims = struct.unpack_from(f"{self.order}{2 * mlen}i", self.blob, at)
        return [t for t in ims[1::2] if t > 0 and t in self.types]

    def name_packages(self, pkg_of_type: dict[int, str]) -> _NamePackages:
        return _NamePackages(self, pkg_of_type)


class _NamePackages:
    """Name offset → import path, by the rules in the module docstring."""

    def __init__(self, walker: _Walker, pkg_of_type: dict[int, str]) -> None:
        self.w = walker
        self.pkg_of_type = pkg_of_type
        # Package name → first import path seen, from named types' strings.
        self.paths: dict[str, str] = {}
        for off in sorted(walker.named_pkg):
            path = pkg_of_type[off]
            if not path:
                continue
            tflag, _, str_off = walker.types[off]
            if str_off <= 0:
                continue
            text = walker.text(str_off)
            if tflag & TFLAG_EXTRA_STAR:
                text = text[1:]
            dot = text.find(".")
            if dot > 0:
                self.paths.setdefault(text[:dot], path)

    def __call__(self, off: int) -> str:
        w = self.w
        if off in w.pkgpath_names:
            return _path(w.text(off))
        owner = w.str_owner.get(off)
        if owner is not None:
            return self.pkg_of_type[owner]
        _, pkg = w.name_size(off)
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
                w.header.unpack_from(w.blob, off)
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
        # A throwaway walker over the same blob checks the whole descriptor decodes and fits.
        probe = _Walker.__new__(_Walker)
        for slot in _WALKER_SLOTS:
            setattr(probe, slot, getattr(w, slot))
        probe.items = {}
        probe.kind = {}
        probe.types = {}
        probe.named_pkg = {}
        probe.children = {}
        probe.str_owner = {}
        probe.pkgpath_names = set()
        probe.closures = set()
        probe.itab_type = {}
        try:
            probe.descriptor(off, [])
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


_WALKER_SLOTS = (
    "md",
    "layout",
    "ptr",
    "order",
    "blob",
    "base",
    "size",
    "pw",
    "word",
    "header",
    "hsize",
    "uncommon",
    "i32",
    "u16x2",
    "map_words",
    "varlen",
    "starts",
)


def _path(text: str) -> str:
    """A PkgPath as an import path; ``go.shape`` (the compiler's pseudo-package of generic
    shapes) is no package."""
    if text == "go.shape":
        return NO_PACKAGE
    return import_path(text) if "%" in text else text


def _align(size: int) -> int:
    """The linker's alignment of a symbol without an explicit one (``symalign``): the largest
    power of two not above its size, at most ``Maxalign``."""
    align = MAXALIGN
    while align > size and align > 1:
        align >>= 1
    return align

"""Split the symbol tables by the package of each symbol.

**Symbol table** (ELF ``.symtab``/``.strtab``): each entry (24 bytes on ELF64, 16 on ELF32) and
its NUL-terminated name go to the package of the symbol's name, computed like
``debug/gosym.Sym.PackageName`` with the linker's escapes undone (as for functions), after
dropping a symbol version (``fflush@GLIBC_2.2.5``, which external linkers write). The null
entry, the ``.strtab`` bytes no symbol names (its leading NUL) and, where the linker shares a
name suffix, the bytes after the first user are named tables/first-user like the pclntab.
"""

from __future__ import annotations

import struct
from collections import defaultdict

from gobinopt.binary.interface import Format, Layout, Part
from gobinopt.golang.attribution import (
    NO_PACKAGE,
    Data,
    PackageOf,
    Split,
    TableSize,
    packages_of,
    u32_array,
)
from gobinopt.golang.interface import GoMetadataError


def split_symbols(data: Data, layout: Layout, modern: bool = True) -> Split | None:
    """``.symtab`` + ``.strtab`` split by the package of each symbol; None when there is none.

    ``modern`` selects Go 1.20+ symbol prefixes (``go:``/``type:``) over ``go.``/``type.``.
    ELF only for now (Mach-O and PE keep their symbols in other tables).
    """
    if layout.format is not Format.ELF:
        return None
    symtab = layout.section(".symtab")
    strtab = layout.section(".strtab")
    if symtab is None or strtab is None or not symtab.file_size:
        return None
    try:
        return _split_symbols(data, layout, symtab, strtab, modern)
    except (struct.error, IndexError, ValueError, OverflowError) as exc:
        raise GoMetadataError(f"symbol table is corrupt: {exc}") from None


def _split_symbols(data: Data, layout: Layout, symtab: Part, strtab: Part, modern: bool) -> Split:
    order = "<" if layout.little_endian else ">"
    entsize = 24 if layout.bits == 64 else 16
    count = symtab.file_size // entsize
    tables: dict[str, int] = defaultdict(int)
    tables["symtab trailing bytes"] = symtab.file_size - count * entsize
    raw = bytes(data[symtab.offset : symtab.offset + count * entsize])
    if len(raw) != count * entsize:
        raise GoMetadataError("symbol table runs past the end of the file")
    strings = bytes(data[strtab.offset : strtab.end])
    name_offs = u32_array(raw, order)[0 :: entsize // 4]
    package_of = PackageOf(modern)
    sizes: dict[str, int] = defaultdict(int)
    # Name ranges: claimed by the first symbol (in string order) that covers them.
    spans: list[tuple[int, int, str]] = []
    if count:
        tables["symtab null entry"] = entsize
    for idx in range(1, count):
        off = name_offs[idx]
        if off >= len(strings):
            raise GoMetadataError(f"symbol {idx} names a string past .strtab")
        end = strings.find(b"\0", off)
        end = len(strings) if end < 0 else end + 1
        # A versioned C symbol (``fflush@GLIBC_2.2.5``): the version is no package path.
        name = strings[off : end - 1].split(b"@", 1)[0].decode("utf-8", "replace")
        pkg = package_of(name) if name else NO_PACKAGE
        sizes[pkg] += entsize
        spans.append((off, end, pkg))
    spans.sort()
    cursor = 0
    covered = 0
    shared = 0
    for start, end, pkg in spans:
        new = end - max(start, cursor)
        if new > 0:
            sizes[pkg] += new
            covered += new
        shared += min(end, cursor) - start if cursor > start else 0
        cursor = max(cursor, end)
    tables["strtab unreferenced"] = len(strings) - covered
    return Split(
        sections=(symtab.name, strtab.name),
        size=symtab.file_size + strtab.file_size,
        packages=packages_of(sizes),
        tables=tuple(TableSize(k, v) for k, v in tables.items() if v),
        shared=max(0, shared),
    )

"""Attribute the bytes of a Go binary beyond ``.text`` to Go packages: the common vocabulary.

Every split is exact: the bytes attributed to packages plus the named tables sum to the size of
the section(s) split, byte for byte. The splits live beside this module, one a thing they read:
:mod:`gobinopt.golang.pclntab_split` (the pclntab by function),
:mod:`gobinopt.golang.symtab` (symbol tables by symbol).
"""

from __future__ import annotations

import mmap
import re
import sys
from array import array
from dataclasses import dataclass

from gobinopt.golang.pclntab import import_path, package_name

Data = bytes | mmap.mmap

#: The package key for symbols and functions that have none (``go:``/``type:`` linker symbols,
#: C symbols, section and file symbols).
NO_PACKAGE = ""


@dataclass(frozen=True, slots=True)
class TableSize:
    """Bytes of a named table (or a named remainder) that belongs to no single package."""

    name: str
    size: int
    #: True for bytes no reader explains (data no symbol covers, type-region bytes no walk
    #: reached): shown, but not counted as attributed.
    unexplained: bool = False


@dataclass(frozen=True, slots=True)
class Split:
    """One metadata area split into packages and named tables; the parts sum to ``size``."""

    #: The sections split ("``.gopclntab``", "``.symtab`` + ``.strtab``").
    sections: tuple[str, ...]
    size: int
    #: (import path, bytes), largest first; ``""`` is :data:`NO_PACKAGE`.
    packages: tuple[tuple[str, int], ...]
    tables: tuple[TableSize, ...]
    #: Bytes of tables used by more than one function/symbol, included in their first user's
    #: package total.
    shared: int = 0

    @property
    def total(self) -> int:
        """Package bytes plus table bytes (equal to ``size``)."""
        return sum(b for _, b in self.packages) + sum(t.size for t in self.tables)


def packages_of(sizes: dict[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(((k, v) for k, v in sizes.items() if v), key=lambda kv: (-kv[1], kv[0])))


def u32_array(raw: bytes, order: str) -> array[int]:
    values = array("I")
    if values.itemsize != 4:
        values = array("L")
    values.frombytes(raw)
    if (order == "<") != (sys.byteorder == "little"):
        values.byteswap()
    return values


class PackageOf:
    """Symbol name → import path, memoized per symbol prefix."""

    def __init__(self, modern: bool) -> None:
        self.modern = modern
        self.paths: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        prefix = package_name(name, self.modern)
        path = self.paths.get(prefix)
        if path is None:
            path = self.paths[prefix] = import_path(prefix)
        return path


def type_package(name: str) -> str:
    """The package that declares the type a ``type:`` symbol describes, "" for none.

    The rule: the first package-qualified name in the type's string — ``type:*net/http.Request``
    → ``net/http``, ``type:map[string]main.T`` → ``main``, ``type:[]uint8`` → "" (built-in).
    ``type:.eq.main.T`` (an equality function's closure), ``type:.namedata.*`` and
    ``type:.gcmask.main.T`` (a large type's GC mask) go by the same rule after their helper
    word; ``type:.importpath.P.`` is package ``P``; linker-internal names (``type:*``) have
    none. The linker's escapes are undone.
    """
    for prefix in ("type:", "type."):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    else:
        return ""
    if name.startswith(".importpath."):  # ``type:.importpath.net/http.``: the path itself
        return import_path(name[len(".importpath.") :].rstrip("."))
    if name.startswith("."):  # a helper made for a type: ``.eq.T``, ``.namedata.N``, ``.gcmask.T``
        name = name[1:].partition(".")[2]
    return _first_qualified(name)


_QUALIFIED = re.compile(r"(?<![\w\-.~%/])((?:[\w\-.~%]+/)*[\w\-~%]+)\.(?=[^\W\d])", re.UNICODE)
#: Words of type syntax and compiler pseudo-packages that look like a qualifier.
_NOT_PACKAGES = frozenset(("map", "chan", "func", "struct", "interface", "noalg", "go"))


def _first_qualified(text: str) -> str:
    """The package path of the first ``path/pkg.Name`` in a Go type string, "" when none."""
    for match in _QUALIFIED.finditer(text):
        word = match.group(1)
        if word not in _NOT_PACKAGES:
            return import_path(word)
    return ""

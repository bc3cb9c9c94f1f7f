"""The Go seam: what a Go binary says about itself, read from the bytes (works on stripped files).

Names follow the Go runtime and cmd/go verbatim: ``pcHeader``, ``functab``, ``_func``,
``funcnametab``, ``filetab``, ``moduledata``; build info as ``runtime/debug.BuildInfo``.
"""

from __future__ import annotations

from dataclasses import dataclass

from gobinopt.errors import BadInputError


class GoMetadataError(BadInputError):
    """Go metadata is present but cannot be decoded (corrupt or an unknown layout)."""


@dataclass(frozen=True, slots=True)
class Module:
    """A module line of the build info (``mod``, ``dep`` or a ``=>`` replacement)."""

    path: str
    version: str
    sum: str = ""
    replace: Module | None = None


@dataclass(frozen=True, slots=True)
class BuildInfo:
    """The ``.go.buildinfo`` blob decoded; equal to what ``go version -m`` prints."""

    go_version: str
    path: str
    main: Module | None
    deps: tuple[Module, ...]
    #: ``build`` lines in order: (key, value) — ``-ldflags``, ``CGO_ENABLED``, ``vcs.revision``, …
    settings: tuple[tuple[str, str], ...]
    #: File offset of the ``\xff Go buildinf:`` magic.
    offset: int

    def setting(self, key: str) -> str | None:
        """The value of build setting ``key``, or None when it is not recorded."""
        for k, v in self.settings:
            if k == key:
                return v
        return None


@dataclass(frozen=True, slots=True)
class Function:
    """One Go function of the pclntab, its size being the distance to the next entry."""

    #: The symbol name, as stack traces and ``go tool nm`` print it (escaped: ``yaml%2ev3.F``).
    name: str
    #: The import path of its package as Go writes it (``gopkg.in/yaml.v3``): debug/gosym's
    #: ``PackageName`` with the linker's escapes undone; "" for ``go:``/``type:`` symbols.
    package: str
    #: Offset of the entry PC from the start of the module's text (``_func.entryOff``).
    entry: int
    size: int


@dataclass(frozen=True, slots=True)
class PackageSize:
    """Code bytes of one Go package (the sum of its functions' sizes)."""

    name: str
    size: int
    functions: int


@dataclass(frozen=True, slots=True)
class PclnTab:
    """The decoded function table of a Go binary."""

    #: The layout generation of the pcHeader magic: "1.20+", "1.18-1.19", "1.16-1.17", "1.2-1.15".
    layout: str
    magic: int
    ptr_size: int
    quantum: int
    #: File offset of the pcHeader.
    offset: int
    nfunc: int
    #: Functions sorted by entry; sizes include the alignment padding up to the next function.
    functions: tuple[Function, ...]
    #: File names of the filetab (the paths -trimpath rewrites).
    files: tuple[str, ...]

    @property
    def go_code_size(self) -> int:
        """Bytes of text covered by Go functions (first entry to the end-of-text sentinel)."""
        return sum(f.size for f in self.functions)

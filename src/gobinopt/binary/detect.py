"""Open a file as a read-only memory map and dispatch to the backend its magic bytes name."""

from __future__ import annotations

import contextlib
import mmap
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from gobinopt.binary.interface import BinaryFormatError, Format, Layout
from gobinopt.errors import InputNotFoundError

_MACHO_MAGICS = (
    b"\xfe\xed\xfa\xce",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
)
_FAT_MAGICS = (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf")


@dataclass(frozen=True)
class Mapped:
    """A file mapped read-only: ``data`` is valid until the context that produced it exits."""

    path: str
    data: mmap.mmap | bytes
    size: int


@contextmanager
def map_file(path: str) -> Iterator[Mapped]:
    """Map ``path`` read-only; missing paths, directories and empty files raise clear errors."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputNotFoundError(
            f"{path}: no such file", hint="check the path; build the binary first"
        ) from None
    except OSError as exc:
        raise InputNotFoundError(f"{path}: cannot read ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputNotFoundError(
            f"{path}: is a directory, not a binary", hint="pass the path of an executable file"
        )
    if not stat.S_ISREG(st.st_mode):
        raise InputNotFoundError(f"{path}: not a regular file")
    if st.st_size == 0:
        raise BinaryFormatError(f"{path}: empty file", hint="pass the path of an executable file")
    try:
        with open(path, "rb") as fh:
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except PermissionError:
        raise InputNotFoundError(f"{path}: permission denied") from None
    except (OSError, ValueError) as exc:
        raise InputNotFoundError(f"{path}: cannot map ({exc})") from None
    try:
        yield Mapped(path=path, data=mm, size=len(mm))
    finally:
        # A reader's zero-copy view (numpy over the mapping) still alive, say in a traceback:
        # the mapping is then unmapped when the last view goes, not here.
        with contextlib.suppress(BufferError):
            mm.close()


def release(data: bytes | mmap.mmap) -> None:
    """Drop the mapped file's pages from this process's resident set (they stay in the page
    cache; touching them again is a minor fault). Called between readers so peak memory is the
    largest reader's pages, not the sum of all of them."""
    if isinstance(data, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        # Closed, or a kernel without madvise: keep the pages.
        with contextlib.suppress(OSError, ValueError):
            data.madvise(mmap.MADV_DONTNEED)


def detect_format(data: bytes | mmap.mmap | memoryview) -> Format | None:
    """The container format named by the file's magic bytes, or None."""
    head = bytes(data[:4])
    if head == b"\x7fELF":
        return Format.ELF
    if head[:2] == b"MZ":
        return Format.PE
    if head in _MACHO_MAGICS or head in _FAT_MAGICS:
        return Format.MACHO
    return None


def read_layout(path: str, data: bytes | mmap.mmap) -> Layout:
    """Parse the mapped file into a Layout with the backend for its format."""
    fmt = detect_format(data)
    if fmt is Format.ELF:
        from gobinopt.binary.elf import ElfReader

        return ElfReader().read(path, data)
    if fmt in (Format.PE, Format.MACHO):
        from gobinopt.binary.lief_reader import LiefReader

        layout: Layout = LiefReader().read(path, data)
        return layout
    sample = bytes(data[:512])
    kind = "a text file" if _looks_like_text(sample) else "an unrecognised format"
    raise BinaryFormatError(
        f"{path}: not an executable (ELF, PE or Mach-O): looks like {kind}",
        hint="pass a compiled binary, e.g. the output of `go build`",
    )


def _looks_like_text(sample: bytes) -> bool:
    if not sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch >= 0x20 or ch in b"\t\n\r\f" for ch in sample)

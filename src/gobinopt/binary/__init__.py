"""Format-level accounting of executables: which bytes are headers, sections, tables and gaps."""

from gobinopt.binary.detect import Mapped, detect_format, map_file, read_layout
from gobinopt.binary.interface import (
    BinaryFormatError,
    Category,
    Format,
    Layout,
    Part,
    PartKind,
    Segment,
)

__all__ = [
    "BinaryFormatError",
    "Category",
    "Format",
    "Layout",
    "Mapped",
    "Part",
    "PartKind",
    "Segment",
    "detect_format",
    "map_file",
    "read_layout",
]

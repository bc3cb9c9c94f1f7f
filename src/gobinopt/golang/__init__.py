"""Go-specific readers that work on stripped binaries: build info and the pclntab."""

from gobinopt.golang.buildinfo import read_buildinfo
from gobinopt.golang.interface import (
    BuildInfo,
    Function,
    GoMetadataError,
    Module,
    PackageSize,
    PclnTab,
)
from gobinopt.golang.pclntab import import_path, package_name, read_pclntab

__all__ = [
    "BuildInfo",
    "Function",
    "GoMetadataError",
    "Module",
    "PackageSize",
    "PclnTab",
    "import_path",
    "package_name",
    "read_buildinfo",
    "read_pclntab",
]

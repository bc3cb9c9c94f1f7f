"""Look inside a UPX-packed binary: ``upx -d`` a temporary copy and explain what comes out.

A packed file's sections are the packer's (a stub and one compressed blob), so the breakdown
worth reading is the inner program's. With ``upx`` installed the packed file is decompressed
into a temporary directory (the input is never touched) and explained like any other binary;
without it the caller keeps today's hint. A failing ``upx -d`` (a modified or foreign pack
header) is a note, never an error: the packed file's own report still stands.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import replace

from gobinopt.explain.interface import Explanation

#: How long ``upx -d`` may take; decompressing a 100 MB Go binary takes about a second.
UNPACK_TIMEOUT = 300.0


def unpack_hint(path: str, packer: str) -> str:
    """The note shown for a packed file whose inside cannot be looked at."""
    return (
        f"packed by {packer}: the sections shown are the packer's, not the program's; "
        f"run `upx -d -o unpacked {os.path.basename(path)}` and explain the result"
    )


def look_inside(
    path: str, packer: str, explain_file: Callable[[str], Explanation]
) -> tuple[Explanation | None, str]:
    """The inner program's explanation and a note saying how it was obtained.

    ``explain_file`` explains the decompressed temporary copy; the result's ``path`` names the
    packed file. Returns ``(None, hint)`` when the packer is not UPX, ``upx`` is not installed or
    ``upx -d`` fails.
    """
    upx = shutil.which("upx")
    if packer != "UPX" or upx is None:
        return None, unpack_hint(path, packer)
    with tempfile.TemporaryDirectory(prefix="gobinopt-unpack-") as tmp:
        out = os.path.join(tmp, os.path.basename(path) or "unpacked")
        try:
            res = subprocess.run(
                [upx, "-d", "-q", "-o", out, path],
                capture_output=True,
                text=True,
                timeout=UNPACK_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"{unpack_hint(path, packer)} (upx -d failed: {exc})"
        if res.returncode != 0 or not os.path.isfile(out):
            why = " ".join((res.stderr or res.stdout).split())[-300:] or f"exit {res.returncode}"
            return None, f"{unpack_hint(path, packer)} (upx -d failed: {why})"
        inner = explain_file(out)
    inner = replace(inner, path=f"{path} (unpacked by upx -d)")
    note = (
        f"packed by {packer}: {inner.layout.file_size:,} bytes unpacked by `upx -d` on a "
        "temporary copy; the inner program's breakdown follows the packed file's"
    )
    return inner, note

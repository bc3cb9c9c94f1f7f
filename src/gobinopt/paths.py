"""Check user-given paths before any work starts, so a bad path is a one-line error with a hint
and an exit code from the README (3: input not found, 4: bad input), never a traceback.

One rule for every command: an input that is missing, is a directory where a file is wanted, or
cannot be read is "not found" (exit 3); an output that cannot be written (its parent is a file,
a read-only or virtual file system, no permission) is bad input (exit 4).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from gobinopt.errors import BadInputError, InputNotFoundError


def input_file(path: Path | str, what: str = "file", hint: str = "check the path") -> Path:
    """``path`` as an existing, readable regular file, or InputNotFoundError (exit 3)."""
    p = Path(path)
    try:
        p.stat()
    except FileNotFoundError:
        raise InputNotFoundError(f"{p}: no such {what}", hint=hint) from None
    except OSError as exc:
        raise InputNotFoundError(f"{p}: cannot read {what} ({exc.strerror})", hint=hint) from None
    if p.is_dir():
        raise InputNotFoundError(f"{p}: is a directory, not a {what}", hint=hint)
    if not p.is_file():
        raise InputNotFoundError(f"{p}: not a regular file", hint=hint)
    if not os.access(p, os.R_OK):
        raise InputNotFoundError(f"{p}: permission denied", hint="check the file's permissions")
    return p


def _unwritable(p: Path, exc: OSError | None, what: str) -> BadInputError:
    reason = exc.strerror if exc is not None and exc.strerror else "cannot be written"
    if exc is not None and exc.errno in (errno.ENOTDIR, errno.EEXIST):
        reason = "a parent of it is a file, not a directory"
    return BadInputError(
        f"{p}: cannot write the {what} here ({reason})",
        hint="pass a path in a writable directory",
    )


def _make_dirs(d: Path, p: Path, what: str) -> None:
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(p, exc, what) from None
    if not d.is_dir():
        raise _unwritable(p, OSError(errno.ENOTDIR, "not a directory"), what)
    if not os.access(d, os.W_OK | os.X_OK):
        raise _unwritable(p, OSError(errno.EACCES, "permission denied"), what)


def output_file(path: Path | str, what: str = "output file") -> Path:
    """``path`` as a file that can be created or replaced (its parent directories are made),
    or BadInputError (exit 4)."""
    p = Path(path)
    if p.is_dir():
        raise BadInputError(
            f"{p}: is a directory; the {what} needs a file name",
            hint=f"pass a file path such as {p / 'out'}",
        )
    _make_dirs(p.parent if str(p.parent) else Path("."), p, what)
    if p.exists() and not os.access(p, os.W_OK):
        raise _unwritable(p, OSError(errno.EACCES, "permission denied"), what)
    return p


def output_dir(path: Path | str, what: str = "output directory") -> Path:
    """``path`` as a directory that exists or can be made and written to, or BadInputError."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise BadInputError(
            f"{p}: is a file; the {what} must be a directory",
            hint="pass a directory path (it is created if missing)",
        )
    _make_dirs(p, p, what)
    return p

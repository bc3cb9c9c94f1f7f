"""The program's source tree: its content hash (part of every store key), and its copy into an
environment's ``source_dir``.

``source_dir`` (``[environments.NAME] source_dir = "/mnt/c/src/app"``) builds the same source
from another directory, so the paths embedded in the artifact (the main module's directory,
the file names of .gopclntab and DWARF) are those of that directory: this is how a build from a
Windows-mounted path under WSL is reproduced on any Linux. The copied tree is the program's
module (the nearest go.mod at or above its directory, see
:meth:`~gobinopt.matrix.interface.Program.source_root`), without dot-directories (.git, .venv);
relative ``replace`` directives must point inside it. The directory is created when missing;
its previous contents are replaced on every run that builds there. A directory that is not
empty and was not filled by gobinopt (it has no ``.gobinopt-source`` marker) is refused, so a
mistyped path never deletes someone's files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from gobinopt.errors import BadInputError
from gobinopt.matrix.interface import Program

#: The file that marks a directory filled by :func:`stage_source` (safe to replace).
MARKER = ".gobinopt-source"


class SourceDirError(BadInputError):
    """An environment's source_dir cannot be filled with the program's source tree."""


def source_hash(directory: str) -> str:
    """Content hash of a program's source tree (file names and bytes; .git and caches skipped)."""
    digest = hashlib.sha256()
    if not directory:
        return "std"
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "testdata")
        for name in sorted(files):
            path = os.path.join(root, name)
            digest.update(os.path.relpath(path, directory).encode() + b"\0")
            with open(path, "rb") as fh:
                digest.update(hashlib.sha256(fh.read()).digest())
    return digest.hexdigest()


def _ignore_dot_dirs(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n.startswith(".") and os.path.isdir(os.path.join(directory, n))}


def _empty(target: Path) -> None:
    for entry in target.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def stage_source(program: Program, source_dir: str) -> str:
    """Copy ``program``'s source tree into ``source_dir`` (replacing what is there) and return
    the directory to build in (the program's directory inside the copy).

    Raises SourceDirError for a std package, a source_dir that is a file, or one that holds
    files gobinopt did not put there."""
    root = program.source_root()
    if not root:
        raise SourceDirError(
            f"source_dir {source_dir}: a std: package ({program.package}) has no source tree "
            "to copy",
            hint="use source_dir with a directory program only",
        )
    target = Path(source_dir)
    where = f"source_dir {target}"
    try:
        if target.exists() or target.is_symlink():
            if not target.is_dir():
                raise SourceDirError(f"{where}: not a directory", hint="name a directory")
            if any(target.iterdir()) and not (target / MARKER).is_file():
                raise SourceDirError(
                    f"{where}: not empty, and not filled by gobinopt (no {MARKER})",
                    hint="its contents would be replaced: empty it or name another directory",
                )
            _empty(target)
        else:
            target.mkdir(parents=True)
        shutil.copytree(root, target, symlinks=True, ignore=_ignore_dot_dirs, dirs_exist_ok=True)
        (target / MARKER).write_text(f"a copy of {root}, replaced by every gobinopt run\n")
    except OSError as exc:
        raise SourceDirError(
            f"{where}: cannot copy the source tree there ({exc.strerror or exc})",
            hint="choose a directory you can write",
        ) from None
    return str(target / os.path.relpath(program.directory, root))

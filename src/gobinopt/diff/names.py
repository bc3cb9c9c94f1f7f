"""Match Go function names across two builds the way a person would.

Exact names first; then, among the names left over, names that differ only in what the compiler
numbers: closures (``F.func1``, nested ``F.func1.2``, package-level ``glob..func3``), ``go``
and ``defer`` wrappers (``F.gowrap1``, ``F.deferwrap1``), and generic instantiation shapes
(``F[go.shape.int]``). A renumbered closure is then one changed function, not a GONE plus a NEW.

Everything is dictionaries keyed by (normalised) name, so matching is linear in the number of
functions plus a sort within each group of leftovers that share a normalised name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from gobinopt.diff.interface import FunctionSizes

_NUMBERED = re.compile(r"\.(func|gowrap|deferwrap)\d+")
_NESTED = re.compile(r"(?<=\.func#)((?:\.\d+)+)")
_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True, slots=True)
class Match:
    """A function on either or both sides: its new name, the old one when it was renumbered,
    and (bytes, count) on each side (None where it is absent)."""

    name: str
    old_name: str | None
    old: tuple[int, int] | None
    new: tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class Matching:
    """The outcome of matching: the functions that differ (all of them with ``keep_same``) and
    how many are identical on both sides (same name, bytes and count)."""

    matches: tuple[Match, ...]
    same: int


def numbering(name: str) -> str:
    """``name`` with closure and wrapper numbers replaced by ``#``."""
    if "func" not in name and "wrap" not in name:
        return name
    out = _NUMBERED.sub(lambda m: f".{m.group(1)}#", name)
    return _NESTED.sub(lambda m: ".#" * m.group(1).count("."), out)


def shapes(name: str) -> str:
    """``name`` with its compiler numbering and every bracketed ``go.shape`` list as ``[…]``."""
    name = numbering(name)
    if "go.shape." not in name:
        return name
    out: list[str] = []
    i = 0
    n = len(name)
    while i < n:
        c = name[i]
        if c != "[":
            out.append(c)
            i += 1
            continue
        depth = 0
        j = i
        while j < n:
            if name[j] == "[":
                depth += 1
            elif name[j] == "]":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        group = name[i : j + 1]
        out.append("[…]" if "go.shape." in group else group)
        i = j + 1
    return "".join(out)


def _natural(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders ``func2`` before ``func10``."""
    return tuple(
        (0, int(piece)) if piece.isdigit() else (1, piece) for piece in _DIGITS.split(name)
    )


def match_functions(old: FunctionSizes, new: FunctionSizes, keep_same: bool = False) -> Matching:
    """Every function of either side, paired across the sides where a person would pair them.

    Identical functions are only counted unless ``keep_same`` asks for them too.
    """
    matches: list[Match] = []
    same = 0
    left_new: set[str] = set()
    for name, sized in new.items():
        was = old.get(name)
        if was is None:
            left_new.add(name)
        elif was == sized:
            same += 1
            if keep_same:
                matches.append(Match(name, None, was, sized))
        else:
            matches.append(Match(name, None, was, sized))
    left_old = [name for name in old if name not in new]
    if left_old and left_new:
        normalisers: tuple[Callable[[str], str], ...] = (numbering, shapes)
        for normalise in normalisers:
            left_old = _pair(normalise, left_old, left_new, old, new, matches)
            if not left_old or not left_new:
                break
    matches.extend(Match(name, None, None, new[name]) for name in sorted(left_new))
    matches.extend(Match(name, None, old[name], None) for name in left_old)
    return Matching(tuple(matches), same)


def _pair(
    normalise: Callable[[str], str],
    left_old: list[str],
    left_new: set[str],
    old: FunctionSizes,
    new: FunctionSizes,
    out: list[Match],
) -> list[str]:
    """Pair leftovers that share a normalised name, in natural order within each group; return
    the old names still unpaired (``left_new`` loses the paired new names)."""
    # A name the normaliser leaves alone cannot pair with a different name: skip it.
    groups_old: dict[str, list[str]] = defaultdict(list)
    groups_new: dict[str, list[str]] = defaultdict(list)
    for name in left_old:
        key = normalise(name)
        if key != name:
            groups_old[key].append(name)
    if not groups_old:
        return left_old
    for name in left_new:
        key = normalise(name)
        if key != name and key in groups_old:
            groups_new[key].append(name)
    paired: set[str] = set()
    for key, names_new in groups_new.items():
        names_old = groups_old[key]
        if len(names_old) > 1:
            names_old.sort(key=_natural)
        if len(names_new) > 1:
            names_new.sort(key=_natural)
        for o, n in zip(names_old, names_new, strict=False):
            out.append(Match(n, o, old[o], new[n]))
            paired.add(o)
            left_new.discard(n)
    return [name for name in left_old if name not in paired] if paired else left_old

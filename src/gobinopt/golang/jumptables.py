"""Jump tables: read-only data no symbol names, owned by the function whose code it points at.

The compiler lowers a dense ``switch`` to a jump table: an array of code addresses, one word a
case, every one inside the function that jumps through it. The linker keeps these arrays out of
the symbol table (like other compiler temporaries), so the data split sees them as unnamed
bytes. :func:`jump_table_owner` proves them back: in an unnamed gap, every run of at least
:data:`MIN_RUN` consecutive aligned words that all point into one Go function (its
``[entry, entry + size)``) belongs to that function's package. Anything else — a lone word that
happens to look like a code address, zeros, relocated words of a PIE (zero in the file) — stays
unnamed.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from gobinopt.binary.interface import Layout
from gobinopt.golang.attribution import Data
from gobinopt.golang.interface import Function
from gobinopt.golang.pclntab import word_array

#: The fewest consecutive words into one function that make a jump table (a switch needs a
#: few cases before the compiler builds one).
MIN_RUN = 2
#: From this many words on a gap is searched with numpy when it is already loaded.
NUMPY_MIN_WORDS = 4096


class JumpTables:
    """``(address, size) → [(package, bytes)]`` over one binary's functions."""

    def __init__(
        self,
        data: Data,
        layout: Layout,
        functions: Sequence[Function],
        text_start: int,
        ptr_size: int,
    ) -> None:
        self.data = data
        self.layout = layout
        self.ptr = ptr_size
        self.order = "<" if layout.little_endian else ">"
        self.starts = [text_start + f.entry for f in functions]
        self.ends = [s + f.size for s, f in zip(self.starts, functions, strict=True)]
        self.packages = [f.package for f in functions]
        self._arrays: tuple[Any, Any] | None = None  # starts, ends as numpy arrays, made once

    def __call__(self, address: int, size: int) -> Iterable[tuple[str, int]]:
        ptr = self.ptr
        lead = -address % ptr
        count = (size - lead) // ptr if size > lead else 0
        if count < MIN_RUN or not self.starts:
            return ()
        offset = self.layout.offset_of(address + lead)
        if offset is None or offset + count * ptr > len(self.data):
            return ()
        np = sys.modules.get("numpy")
        if np is not None and count >= NUMPY_MIN_WORDS:
            runs = self._runs_numpy(np, offset, count)
        else:
            runs = self._runs(bytes(self.data[offset : offset + count * ptr]))
        out: dict[str, int] = defaultdict(int)
        for owner, words in runs:
            out[self.packages[owner]] += words * ptr
        return tuple(out.items())

    def _runs(self, raw: bytes) -> list[tuple[int, int]]:
        """(function index, words) of each run of at least MIN_RUN words into one function."""
        words: array[int] = word_array(raw, self.ptr, self.order)
        starts, ends = self.starts, self.ends
        runs: list[tuple[int, int]] = []
        run_owner, run = -1, 0
        for w in (*words, -1):
            i = bisect_right(starts, w) - 1 if w >= 0 else -1
            owner = i if i >= 0 and w < ends[i] else -1
            if owner == run_owner and owner >= 0:
                run += 1
                continue
            if run_owner >= 0 and run >= MIN_RUN:
                runs.append((run_owner, run))
            run_owner, run = owner, 1
        return runs

    def _runs_numpy(self, np: Any, offset: int, count: int) -> list[tuple[int, int]]:
        """:meth:`_runs` over a view of the mapped file, without a Python object a word."""
        kind = ("<" if self.order == "<" else ">") + ("u8" if self.ptr == 8 else "u4")
        words = np.frombuffer(self.data, dtype=np.dtype(kind), count=count, offset=offset)
        if self._arrays is None:
            self._arrays = (
                np.asarray(self.starts, dtype=np.uint64),
                np.asarray(self.ends, dtype=np.uint64),
            )
        starts, ends = self._arrays
        index = np.searchsorted(starts, words, side="right").astype(np.int64) - 1
        inside = (index >= 0) & (words < ends[np.maximum(index, 0)])
        owner = np.where(inside, index, -1)
        del words, index, inside
        # Run boundaries: where the owner changes.
        change = np.flatnonzero(np.diff(owner)) + 1
        first = np.concatenate(([0], change))
        length = np.diff(np.concatenate((first, [count])))
        who = owner[first]
        keep = (who >= 0) & (length >= MIN_RUN)
        return list(zip(who[keep].tolist(), length[keep].tolist(), strict=True))

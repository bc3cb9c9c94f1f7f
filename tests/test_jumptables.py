"""Jump tables: unnamed read-only words that all point into one function go to its package."""

from __future__ import annotations

import re
import subprocess
from itertools import pairwise
from pathlib import Path

from conftest import Builder, Spec, pinned_go
from gobinopt.binary import map_file, read_layout
from gobinopt.explain import explain
from gobinopt.golang import read_pclntab
from gobinopt.golang.jumptables import JumpTables
from gobinopt.golang.typedesc import find_moduledata


def _table_of(path: Path, function: str) -> tuple[int, int, int]:
    """(table address, function start, function end) from Go's own objdump and nm: the
    ``LEAQ off(IP), R`` right before ``JMP 0(R)(X*8)`` names the jump table."""
    dump = subprocess.run(
        [pinned_go(), "tool", "objdump", "-s", f"^{re.escape(function)}$", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    table = None
    for line, nxt in pairwise(dump):
        lea = re.search(r"LEAQ (0x[0-9a-f]+)\(IP\), (\w+)", line)
        if lea and re.search(rf"JMP 0\({lea.group(2)}\)\(\w+\*8\)", nxt):
            pc_next = int(nxt.split()[1], 16)
            table = pc_next + int(lea.group(1), 16)
    assert table is not None, "no jump table in the disassembly"
    nm = subprocess.run(
        [pinned_go(), "tool", "nm", "-size", str(path)], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(rf"^\s*([0-9a-f]+)\s+(\d+) T {re.escape(function)}$", nm, re.M)
    assert match is not None
    start = int(match.group(1), 16)
    return table, start, start + int(match.group(2))


def test_jump_table_goes_to_the_package_of_its_function(builder: Builder) -> None:
    """The 16-word jump table of main.Pick (found by Go's objdump) lies in no symbol, every word
    points into main.Pick, and the owner gives its 128 bytes to package main."""
    path = builder.build(Spec("jumptable"))
    table, start, end = _table_of(path, "main.Pick")
    nm = subprocess.run(
        [pinned_go(), "tool", "nm", "-size", str(path)], capture_output=True, text=True, check=True
    ).stdout
    for line in nm.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[0] and int(fields[1]):
            lo = int(fields[0], 16)
            assert not lo <= table < lo + int(fields[1]), f"{line} covers the table"
    with map_file(str(path)) as mapped:
        layout = read_layout(str(path), mapped.data)
        tab = read_pclntab(mapped.data, layout)
        assert tab is not None
        found = find_moduledata(mapped.data, layout, tab)
        assert not isinstance(found, str)
        offset = layout.offset_of(table)
        assert offset is not None
        words = [
            int.from_bytes(mapped.data[offset + 8 * i : offset + 8 * i + 8], "little")
            for i in range(16)
        ]
        assert all(start <= w < end for w in words)
        owner = JumpTables(mapped.data, layout, tab.functions, found.text, tab.ptr_size)
        assert dict(owner(table, 128)) == {"main": 128}
        # A lone word into a function is no table; a zero word belongs to nobody.
        assert dict(owner(table, 8)) == {}


def test_explain_counts_jump_tables_in_the_data_column(builder: Builder) -> None:
    """In explain's attribution, package main's data includes its jump table, and the bytes no
    symbol and no jump table explains stay a small unexplained remainder."""
    path = builder.build(Spec("jumptable"))
    ex = explain(str(path), savings=False, attribute=True)
    a = ex.attribution
    assert a is not None and a.data is not None
    main = next(p for p in a.packages if p.name == "main")
    assert main.data >= 128
    assert a.data.total == a.data.size
    assert a.to_packages + a.to_tables + a.unexplained <= a.file_size

"""Budgets of the gate: read from ``[tool.gobinopt.gate]`` in pyproject.toml or the ``[gate]``
table of a gobinopt.toml, each key overridable by a ``gate check`` flag.

How budgets combine
-------------------
Every budget that is set is one independent check, and a binary passes only when it is within
all of them. So ``growth_bytes`` and ``growth_percent`` together allow the *smaller* of the two
allowances. Growth is "new − baseline"; a shrink passes every growth budget.

- A byte budget ``B`` passes a growth ``g`` when ``g <= B`` (equal passes, one byte more fails).
- A percent budget ``P`` is turned into whole bytes of the baseline's figure, rounded down:
  ``allowance = floor(baseline × P / 100)``, computed exactly (``P`` as the decimal written, no
  binary floating point), then checked like a byte budget. So 1 % of 999 bytes allows 9 bytes.
- A maximum size ``M`` passes a size ``s`` when ``s <= M``.
- Latency budgets compare the warm start-up medians: ``latency_growth_ms`` in milliseconds and
  ``latency_growth_percent`` of the baseline's median; they apply only when both sides were
  probed.

Values: sizes are integers (bytes) or strings with a unit (``"16 KiB"``, ``"2 MB"``,
``"1.5MiB"``); percents are numbers or strings such as ``"0.5%"``; ``false`` in TOML (``off``
on the command line) switches a key off, including one with a default.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import fields, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from gobinopt.binary.interface import Category
from gobinopt.gate.interface import Budgets, GateError

#: The config keys, their kinds and one line each (the README's budget table).
KEYS: dict[str, tuple[str, str]] = {
    "max_size": ("size", "largest file size allowed"),
    "growth_bytes": ("size", "file-size growth allowed, in bytes (default 16 KiB)"),
    "growth_percent": ("percent", "file-size growth allowed, in percent of the baseline"),
    "loaded_max_size": ("size", "largest loaded size allowed (bytes mapped at run time)"),
    "loaded_growth_bytes": ("size", "loaded-size growth allowed, in bytes"),
    "loaded_growth_percent": ("percent", "loaded-size growth allowed, in percent"),
    "categories": ("table", "growth allowed per section category, e.g. { DWARF = 0 }"),
    "package_growth_bytes": ("size", "growth allowed for any one Go package"),
    "module_growth_bytes": ("size", "growth allowed for any one module (std is one)"),
    "new_module_bytes": ("size", "largest code size of a module the baseline lacks"),
    "latency_growth_percent": ("percent", "warm start-up median growth allowed, in percent"),
    "latency_growth_ms": ("ms", "warm start-up median growth allowed, in milliseconds"),
    "improvement_bytes": ("size", "a shrink of this many bytes is reported (default 16 KiB)"),
    "top": ("count", "rows per level in the 'what grew' report (default 10)"),
}

DEFAULTS = Budgets(growth_bytes=16_384)

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%|ms)?\s*$")
_OFF = ("off", "false", "none", "")
_CATEGORIES = {c.value for c in Category}


def _bad(key: str, value: object, what: str) -> GateError:
    return GateError(
        f"gate budget {key} = {value!r}: {what}",
        hint="see the budget table in the README (Gate your binary size in CI)",
    )


def parse_size(key: str, value: object) -> int | None:
    """A size in bytes from an int or a string with a unit; None when switched off."""
    if value is False or (isinstance(value, str) and value.strip().lower() in _OFF):
        return None
    if isinstance(value, bool):
        raise _bad(key, value, "true is not a size (use a number of bytes, or false)")
    if isinstance(value, int):
        if value < 0:
            raise _bad(key, value, "a size cannot be negative")
        return value
    if isinstance(value, str):
        m = _SIZE.match(value)
        if m and m.group(2).lower() in _UNITS:
            return math.floor(Fraction(m.group(1)) * _UNITS[m.group(2).lower()])
    raise _bad(key, value, "not a size (bytes, or a string such as '16 KiB' or '2 MB')")


def parse_number(key: str, value: object, unit: str) -> float | None:
    """A non-negative percent or millisecond figure; None when switched off."""
    if value is False or (isinstance(value, str) and value.strip().lower() in _OFF):
        return None
    if isinstance(value, bool):
        raise _bad(key, value, "true is not a number (use a number, or false)")
    if isinstance(value, int | float):
        if value < 0 or not math.isfinite(value):
            raise _bad(key, value, "must be a finite number >= 0")
        return float(value)
    if isinstance(value, str):
        m = _NUMBER.match(value)
        if m and m.group(2) in (None, unit):
            return float(m.group(1))
    raise _bad(key, value, f"not a number of {'percent' if unit == '%' else 'milliseconds'}")


def percent_allowance(baseline: int, percent: float) -> int:
    """Whole bytes a percent budget allows on top of ``baseline``: floor(baseline × P / 100),
    with ``P`` taken as the decimal it is written as (so 0.1 means exactly 1/10)."""
    return math.floor(baseline * Fraction(repr(percent)) / 100)


def within(growth: int, allowance: int) -> bool:
    """Whether a growth stays within an allowance (equal is within)."""
    return growth <= allowance


def _categories(value: object) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, Mapping):
        raise _bad("categories", value, "must be a table of category = bytes")
    out: list[tuple[str, int]] = []
    for name, size in value.items():
        if name not in _CATEGORIES:
            raise _bad(
                "categories", name, f"unknown category (one of: {', '.join(sorted(_CATEGORIES))})"
            )
        parsed = parse_size(f"categories.{name}", size)
        if parsed is not None:
            out.append((str(name), parsed))
    return tuple(out)


def _value(key: str, raw: object) -> Any:
    kind = KEYS[key][0]
    if kind == "size":
        return parse_size(key, raw)
    if kind == "percent":
        return parse_number(key, raw, "%")
    if kind == "ms":
        return parse_number(key, raw, "ms")
    if kind == "count":
        n = parse_size(key, raw)
        return 0 if n is None else n
    return _categories(raw)


def budgets_from(
    config: Mapping[str, object],
    overrides: Mapping[str, object] | None = None,
    base: Budgets = DEFAULTS,
) -> Budgets:
    """Budgets from a config table, then each override (a flag's value) on top of it.

    Raises GateError (exit 2) for an unknown key or a value that does not parse.
    """
    values: dict[str, Any] = {}
    for source in (config, overrides or {}):
        for key, raw in source.items():
            if key not in KEYS:
                raise GateError(
                    f"unknown gate budget {key!r}",
                    hint=f"known keys: {', '.join(KEYS)}",
                )
            if key == "categories" and key in values:
                merged = dict(values[key])
                merged.update(_value(key, raw))
                values[key] = tuple(merged.items())
            else:
                values[key] = _value(key, raw)
    names = {f.name for f in fields(Budgets)}
    assert set(values) <= names
    if values.get("improvement_bytes", 0) is None:
        values["improvement_bytes"] = 0
    return replace(base, **values)


def parse_category_flags(flags: list[str]) -> dict[str, str]:
    """``--category-growth CATEGORY=SIZE`` flags as a categories table."""
    out: dict[str, str] = {}
    for flag in flags:
        name, sep, size = flag.partition("=")
        if not sep:
            raise GateError(
                f"--category-growth {flag!r}: expected CATEGORY=SIZE",
                hint="for example --category-growth DWARF=0 --category-growth code=64KiB",
            )
        out[name.strip()] = size.strip()
    return out


def find_config(start: Path) -> Path | None:
    """The config file that applies in ``start``: the first directory from ``start`` upwards
    with a gobinopt.toml (its ``[gate]`` table) or a pyproject.toml with
    ``[tool.gobinopt.gate]``, stopping at the repository root (a directory holding ``.git``)."""
    here = start.resolve()
    for d in (here, *here.parents):
        candidate = d / "gobinopt.toml"
        if candidate.is_file():
            return candidate
        pyproject = d / "pyproject.toml"
        if pyproject.is_file() and _has_gate_table(pyproject):
            return pyproject
        if (d / ".git").exists():
            break
    return None


def _has_gate_table(pyproject: Path) -> bool:
    try:
        doc = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    tool = doc.get("tool", {})
    return isinstance(tool, dict) and isinstance(tool.get("gobinopt", {}).get("gate"), dict)


def read_config(path: Path) -> dict[str, object]:
    """The gate table of a gobinopt.toml (``[gate]``) or pyproject.toml
    (``[tool.gobinopt.gate]``); an empty table when the file has none.

    Raises GateError (exit 2) for a file that cannot be read or is not valid TOML.
    """
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GateError(f"{path}: no such gate config file", hint="check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GateError(f"{path}: cannot read the gate config ({exc})", hint="check it") from None
    except tomllib.TOMLDecodeError as exc:
        raise GateError(f"{path}: not valid TOML ({exc})", hint="fix the file") from None
    if path.name == "pyproject.toml":
        table: object = doc.get("tool", {}).get("gobinopt", {}).get("gate", {})
    else:
        table = doc.get("gate", {})
    if not isinstance(table, dict):
        raise GateError(f"{path}: the gate table is not a table", hint="write [gate] keys")
    return table


def describe(b: Budgets) -> list[tuple[str, str]]:
    """The budgets that are set, as (key, value) for people."""
    out: list[tuple[str, str]] = []
    for key in KEYS:
        value = getattr(b, key)
        if value is None or key in ("top",):
            continue
        if key == "categories":
            out.extend((f"categories.{name}", f"{size:,} bytes") for name, size in value)
        elif KEYS[key][0] == "size":
            out.append((key, f"{value:,} bytes"))
        elif KEYS[key][0] == "percent":
            out.append((key, f"{value:g} %"))
        else:
            out.append((key, f"{value:g} ms"))
    return out

"""A police record's fields: the columns (or JSON keys) of one record, read under the aliases forces use.

Fields arrive keyed by ``csvio.header_key`` (a CSV row, or a JSON object keyed the same way). These
read them as text, lists, numbered groups (``Nominal 1 Name``), codes, flags, numbers and coordinates;
``nominals`` turns what they read into nodes.
"""

from __future__ import annotations

import codecs
import csv
import math
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from polegraph.loaders.csvio import CsvRow, FormatError, read_csv
from polegraph.types.text import fold

Fields = Mapping[str, Any]

_LIST_SPLIT = re.compile(r"\s*[;|\n]\s*")
_NUMBERED = re.compile(r"(.+?)_?(\d{1,3})(?:_(.+))?")


def csv_rows(path: Path, keys: tuple[str, ...], what: str) -> Iterator[CsvRow]:
    """``read_csv`` rows of an export whose header names one of ``keys`` (its record reference).

    A JSON file, or a CSV of another kind, stops the load with one FormatError.
    """
    head = b""
    if path.is_file():  # read_csv refuses missing files and binaries itself
        with path.open("rb") as handle:
            head = handle.read(64).removeprefix(codecs.BOM_UTF8).lstrip()
    if head[:1] in (b"{", b"["):
        raise FormatError(f"{path} is JSON, not {what}", hint="choose the format that reads it")
    try:
        for i, row in enumerate(read_csv(path, what=what)):
            if i == 0 and not set(keys) & row.values.keys():
                found = ", ".join(row.values) or "nothing"
                raise FormatError(f"{path}: no {keys[0]} column, so not {what}", hint=f"columns: {found}")
            yield row
    except csv.Error as error:  # csvio lets the csv module's own errors through (a bare CR mid-line)
        raise FormatError(f"{path}: not readable as CSV ({error})", hint="save it again as CSV") from None


def row_payload(row: CsvRow) -> dict[str, Any]:
    """A CSV row as the source record keeps it: every column, and cells beyond the header."""
    payload: dict[str, Any] = dict(row.values)
    if row.extra:  # under a name no header can produce (header_key strips leading "_")
        payload["_extra_cells"] = list(row.extra)
    return payload


def text(value: Any) -> str:
    """A scalar field as trimmed text (JSON numbers and booleans included); lists and objects: ""."""
    if value is None or isinstance(value, (list, dict)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def pick(fields: Fields, *names: str) -> str:
    """The first non-empty field among ``names`` (aliases of one field, most usual first)."""
    for name in names:
        value = fields.get(name)
        if value is None or value == "":  # most aliases are absent: skip them cheaply
            continue
        found = value.strip() if isinstance(value, str) else text(value)
        if found:
            return found
    return ""


def pick_list(fields: Fields, *names: str) -> list[str]:
    """Every value of a multi-valued field: a JSON list, or text split on ``;``, ``|`` or newlines."""
    values: list[str] = []
    for name in names:
        value = fields.get(name)
        if value is None or value == "":
            continue
        items = value if isinstance(value, list) else _LIST_SPLIT.split(text(value))
        values.extend(t for t in (text(item) for item in items) if t)
    return list(dict.fromkeys(values)) if len(values) > 1 else values


def numbered(fields: Fields, prefixes: tuple[str, ...]) -> list[tuple[str, int, dict[str, str]]]:
    """Repeated column groups (``Nominal 1 Name``, ``Suspect 2 DOB``, ``Phone 1``) as (prefix, n, fields).

    A bare ``phone_1`` column is the group's ``value`` field. Groups with no value are left out.
    """
    groups: dict[tuple[int, int], dict[str, str]] = {}
    for key, value in fields.items():
        parsed = _numbered_key(key)
        if parsed is None or parsed[0] not in prefixes:
            continue
        prefix, n, field = parsed
        groups.setdefault((prefixes.index(prefix), n), {})[field] = text(value)
    return [(prefixes[p], n, g) for (p, n), g in sorted(groups.items()) if any(g.values())]


@lru_cache(maxsize=8192)
def _numbered_key(key: str) -> tuple[str, int, str] | None:
    """``nominal_3_surname`` → ``("nominal", 3, "surname")``; parsed once per column name, not per row."""
    match = _NUMBERED.fullmatch(key)
    return None if match is None else (match.group(1), int(match.group(2)), match.group(3) or "value")


def code(raw: str, table: Mapping[str, str]) -> str | None:
    """Look a coded value up in ``table`` (keys folded: upper case, punctuation as spaces)."""
    return table.get(fold(raw)) if raw else None


def flag(raw: str) -> bool | None:
    """Y/N, yes/no, true/false, 1/0, X (ticked) as a boolean; None when blank or unreadable."""
    folded = fold(raw)
    if folded in {"Y", "YES", "TRUE", "T", "1", "X"}:
        return True
    if folded in {"N", "NO", "FALSE", "F", "0"}:
        return False
    return None


def integer(raw: str) -> int | None:
    """A whole number written as ``3``, ``3.0`` or ``03``; None otherwise."""
    try:
        number = float(raw)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number.is_integer() and abs(number) < 2**53 else None


def coordinates(lat_raw: str, lon_raw: str) -> dict[str, float]:
    """``latitude``/``longitude`` when both parse and lie on the globe; 0,0 is an export's blank."""
    try:
        lat, lon = float(lat_raw), float(lon_raw)
    except ValueError:
        return {}
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        return {}
    return {} if lat == 0 and lon == 0 else {"latitude": lat, "longitude": lon}

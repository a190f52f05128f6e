"""Cleaning one cell for one ontology property: the property's type decides how.

Identifier and text types (phone, vrm, postcode, name, address, date...) are cleaned by
``polegraph.types``. The scalar types the ontology uses but ``polegraph.types`` does not register
(integer, float, boolean, enum, datetime, string) are coerced here, and a type registered later
under one of those names takes over automatically. Nothing here raises on bad input: a value that
cannot be used comes back with ``value=None`` and a reason the quarantine file can show.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from polegraph.schema.model import PropertySpec
from polegraph.types import DATE, NAME, TYPES, PartialDate, get_type, parse_name

# Police systems write local times without a zone; in the UK that is Europe/London (GMT or BST).
UK_TIME = ZoneInfo("Europe/London")

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
_INTEGER = re.compile(r"[+-]?\d+(?:\.0*)?")
_NOT_CODE = re.compile(r"[^A-Z0-9]+")
_TIME = re.compile(
    r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?\s*(am|pm)?"
    r"\s*(z|utc|gmt|bst|[+-]\d{2}:?\d{2})?(?![a-z\d])",
    re.IGNORECASE,
)
_PLAIN_TEXT_TYPES = frozenset({"string", "text", "url", "json", "country"})


@dataclass(frozen=True, slots=True)
class Value:
    """A cleaned cell: the value to store (None when nothing usable is left) and whether it is valid."""

    value: Any
    valid: bool
    reason: str | None = None
    raw: str = ""


def code(text: str) -> str:
    """``"Person and Vehicle search"`` → ``PERSON_AND_VEHICLE_SEARCH``: how enum codes are compared."""
    return _NOT_CODE.sub("_", text.strip().upper()).strip("_")


def _zone(text: str | None) -> timezone | None:
    if not text:
        return None
    word = text.lower()
    if word in ("z", "utc", "gmt"):
        return UTC
    if word == "bst":
        return timezone(timedelta(hours=1))
    digits = text.replace(":", "")
    minutes = int(digits[1:3]) * 60 + int(digits[3:5])
    if minutes > 14 * 60:
        return None
    return timezone(timedelta(minutes=-minutes if digits[0] == "-" else minutes))


def _iso(moment: datetime, zone: timezone | None) -> str:
    """ISO 8601 with the offset; a time without a zone is UK local time (+00:00 or +01:00)."""
    return (moment.replace(tzinfo=zone) if zone else moment.replace(tzinfo=UK_TIME)).isoformat()


@lru_cache(maxsize=4096)  # exports repeat the same days and times over thousands of rows
def parse_datetime(raw: str, *, period_end: bool = False) -> Value:
    """A date or timestamp as ISO 8601 with its offset; a bare date or month names a period.

    ``period_end`` picks the last moment of that period (``2017-08`` → ``2017-08-31T23:59:59.999999``),
    else its first. Datetimes are strings, as every loader writes them, so that they compare in Cypher.
    """
    cleaned = DATE.clean(raw)
    date = PartialDate.from_iso(cleaned.normalised) if cleaned.normalised else None
    if date is None or not cleaned.valid:
        return Value(None, False, cleaned.reason or "not a date", raw)
    month = date.month or (12 if period_end else 1)
    last_day = calendar.monthrange(date.year, month)[1]
    day = date.day or (last_day if period_end else 1)
    match = _TIME.search(raw) if date.day is not None else None
    if match is None:
        clock = (23, 59, 59, 999999) if period_end else (0, 0, 0, 0)
        return Value(_iso(datetime(date.year, month, day, *clock), None), True, None, raw)
    hour, minute = int(match[1]), int(match[2])
    second = int(match[3] or 0)
    micro = int((match[4] or "0").ljust(6, "0"))
    if match[5]:
        if not 1 <= hour <= 12:
            return Value(None, False, f"no hour {hour} {match[5]}", raw)
        hour = hour % 12 + (12 if match[5].lower() == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return Value(None, False, f"no time {match[0].strip()}", raw)
    zone = _zone(match[6])
    if match[6] and zone is None:
        return Value(None, False, f"no time zone {match[6]}", raw)
    return Value(_iso(datetime(date.year, month, day, hour, minute, second, micro), zone), True, None, raw)


def _boolean(raw: str) -> Value:
    word = raw.strip().lower()
    if word in _TRUE:
        return Value(True, True, None, raw)
    if word in _FALSE:
        return Value(False, True, None, raw)
    return Value(None, False, f"{raw.strip()!r} is not true or false", raw)


def _integer(raw: str) -> Value:
    text = raw.strip().replace(",", "")
    if not _INTEGER.fullmatch(text):
        return Value(None, False, f"{raw.strip()!r} is not a whole number", raw)
    return Value(int(text.split(".")[0]), True, None, raw)


def _float(raw: str) -> Value:
    try:
        number = float(raw.strip().replace(",", ""))
    except ValueError:
        return Value(None, False, f"{raw.strip()!r} is not a number", raw)
    if not math.isfinite(number):
        return Value(None, False, f"{raw.strip()!r} is not a finite number", raw)
    return Value(number, True, None, raw)


def _enum(spec: PropertySpec, raw: str, otherwise: str | None) -> Value:
    allowed = {code(v): v for v in spec.values}
    if code(raw) in allowed:
        return Value(allowed[code(raw)], True, None, raw)
    if otherwise is not None:
        return Value(otherwise, True, None, raw)
    return Value(None, False, f"{raw.strip()!r} is not one of {', '.join(spec.values)}", raw)


def clean_value(
    spec: PropertySpec,
    raw: str,
    *,
    as_type: str | None = None,
    translate: Mapping[str, str] | None = None,
    otherwise: str | None = None,
    period_end: bool = False,
) -> Value:
    """Clean ``raw`` for the property ``spec`` (or as the type ``as_type``); never raises.

    ``translate`` replaces source codes (compared as ``code()``) before cleaning, e.g. ``PARENT``
    → ``PARENT_OF``; a replacement of ``""`` means "no value". ``otherwise`` is the enum code for
    values the enum does not know.
    """
    text = raw
    if translate and code(raw) in translate:
        text = translate[code(raw)]
    if not text.strip():
        return Value(None, False, "empty", raw)
    kind = as_type or spec.type
    if kind in TYPES:
        cleaned = get_type(kind).clean(text)
        return Value(cleaned.normalised, cleaned.valid, cleaned.reason, raw)
    if kind == "enum":
        return _enum(spec, text, otherwise)
    if kind == "datetime":
        return parse_datetime(text, period_end=period_end)
    if kind == "boolean":
        return _boolean(text)
    if kind == "integer":
        return _integer(text)
    if kind == "float":
        return _float(text)
    if kind in _PLAIN_TEXT_TYPES:
        return Value(text.strip(), True, None, raw)
    return Value(None, False, f"no cleaning is known for the type {kind!r}", raw)


def geo_problem(name: str, value: float, geo: tuple[str, str] | None) -> str | None:
    """Why a latitude or longitude is impossible, or None (other properties are not checked)."""
    if geo is None or name not in geo:
        return None
    limit = 90.0 if name == geo[0] else 180.0
    return None if -limit <= value <= limit else f"{value} is outside -{limit:g}..{limit:g}"


NAME_PARTS = ("surname", "forenames")


def name_parts(surname: str, forenames: str) -> dict[str, str]:
    """Surname and forenames cleaned together, as the name type reads ``SURNAME, Forenames``.

    Cleaned apart, "Mohammed Imran" alone would be read as forename MOHAMMED, surname IMRAN.
    """
    if not surname.strip() and not forenames.strip():
        return {}
    # A forenames-only record gets a stand-in surname so that the name type keeps the order.
    written = f"{surname or 'X'}, {forenames}"
    cleaned = NAME.clean(written)
    if cleaned.normalised is None:
        return {}
    parsed = parse_name(cleaned.normalised)
    parts = {"surname": parsed.surname if surname.strip() else "", "forenames": " ".join(parsed.forenames)}
    return {name: value for name, value in parts.items() if value}

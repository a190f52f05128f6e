"""Dates with a time of day, as police systems, operators and extraction tools write them.

One parser, two readings. Event times (calls, messages; ``strict``) are ISO 8601 with a clock, epoch
seconds or milliseconds, or a date (UK day-first unless ``dayfirst`` is False; mixed formats as
``types.DATE`` reads them) followed by a clock and a zone (Z, UTC, GMT, BST, CET, ``+01:00``,
``UTC+1``, ``(UTC+01:00)``, ``Europe/London``): every part must be recognised, since a guessed hour
misplaces a call in a timeline. A police record's fields (not ``strict``) are ISO 8601 as Python
reads it (a date alone included), or a day as ``types.DATE`` finds it with the first clock beside it
(midnight when there is none); a trailing UTC, GMT or Z means UTC, and other zone words are not read.
A time without a zone is local to the reader's zone, and refused when there is none; in a local zone
the repeated hour when clocks go back is read as its first occurrence (BST).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from polegraph.types.base import Cleaned, PropertyType
from polegraph.types.date import DATE, DateType

UK_TIME = ZoneInfo("Europe/London")
"""Police systems record UK local time (GMT or BST)."""


class TimeError(ValueError):
    """A time that cannot be placed on the UTC time line; the message says why."""


_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")
_CLOCK = re.compile(
    r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?![\d:])"
    r"(?:\s*([AaPp])\.?[Mm]\b\.?(?![\d:]))?"  # "2:30pm:00" is not 2:30 pm
)
# XRY marks a time as the handset's or the network's clock; that says nothing about its zone.
_CLOCK_SOURCE = re.compile(r"\((?:device|network|local)\)", re.IGNORECASE)
_OFFSET = re.compile(r"(?:UTC|GMT|UT)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)
_IANA = re.compile(r"[A-Za-z]+(?:/[A-Za-z0-9_+-]+)+")
_NAMED_ZONES = {"Z": 0, "UTC": 0, "GMT": 0, "UT": 0, "WET": 0, "BST": 60, "WEST": 60, "CET": 60, "CEST": 120}
_UTC_MARK = re.compile(r"\b(?:utc|gmt|z)\s*$", re.IGNORECASE)
_MONTH_FIRST = DateType(dayfirst=False)


def parse_zone(text: str) -> dt.tzinfo | None:
    """The zone beside a time (``UTC+1``, ``(UTC+01:00)``, ``+0100``, ``BST``, ``Europe/London``) or None."""
    name = _CLOCK_SOURCE.sub(" ", text).strip().strip("()[] ")
    if not name:
        return None
    minutes = _NAMED_ZONES.get(name.upper())
    if minutes is not None:
        return dt.timezone(dt.timedelta(minutes=minutes)) if minutes else dt.UTC
    if match := _OFFSET.fullmatch(name):
        hours, mins = int(match[2]), int(match[3] or 0)
        if hours > 14 or mins > 59:
            raise TimeError(f"the offset {name!r} is out of range")
        sign = -1 if match[1] == "-" else 1
        return dt.timezone(sign * dt.timedelta(hours=hours, minutes=mins))
    if _IANA.fullmatch(name):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise TimeError(f"unknown time zone {name!r}")


def _time_of_day(clock: re.Match[str], text: str) -> dt.time:
    hour, minute, second = int(clock[1]), int(clock[2]), int(clock[3] or 0)
    if clock[5]:
        if not 1 <= hour <= 12:
            raise TimeError(f"hour {hour} with am/pm in {text!r}")
        hour = hour % 12 + (12 if clock[5].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise TimeError(f"no such time of day in {text!r}")
    return dt.time(hour, minute, second, int((clock[4] or "0")[:6].ljust(6, "0")))


def _day(text: str, dayfirst: bool) -> dt.date | None:
    day = (DATE if dayfirst else _MONTH_FIRST).clean(text)
    if not day.valid or day.normalised is None or len(day.normalised) != 10:
        return None
    return dt.date.fromisoformat(day.normalised)


def _event_written(text: str, dayfirst: bool) -> dt.datetime:
    clean = _CLOCK_SOURCE.sub(" ", text)
    clock = _CLOCK.search(clean)
    if clock is None:
        raise TimeError(f"no time of day in {text!r}")
    day = _day(clean[: clock.start()].strip(" ,T"), dayfirst)
    if day is None:
        raise TimeError(f"no whole date before the time of day in {text!r}")
    return dt.datetime.combine(day, _time_of_day(clock, text), parse_zone(clean[clock.end() :]))


def _record_written(text: str, dayfirst: bool) -> dt.datetime:
    day = _day(text, dayfirst)  # the day wherever it stands; the clock is read beside it
    if day is None:
        raise TimeError(f"no whole date in {text!r}")
    clock = _CLOCK.search(text)
    # Record times written out of ISO 8601 are kept to the second.
    time = _time_of_day(clock, text).replace(microsecond=0) if clock else dt.time()
    return dt.datetime.combine(day, time, dt.UTC if _UTC_MARK.search(text) else None)


def _epoch(text: str) -> dt.datetime:
    if len(text) not in (10, 13) or not text.isdecimal():  # isdigit() also passes "²", which int() refuses
        raise TimeError(f"{text!r} is not a time (epoch seconds have 10 digits, milliseconds 13)")
    return dt.datetime.fromtimestamp(int(text) / (1000 if len(text) == 13 else 1), dt.UTC)


def _plausible(stamp: dt.datetime, strict: bool) -> dt.datetime:
    first = 1900 if strict else 1800  # calls and messages come from the telephone age
    if not first <= stamp.year <= 2199:
        raise TimeError(f"year {stamp.year} is not plausible for an event")
    return stamp


def _as_written(text: str, dayfirst: bool, strict: bool) -> dt.datetime:
    if not text:
        raise TimeError("no time given")
    if not strict or _ISO_START.match(text):
        with contextlib.suppress(ValueError):
            return dt.datetime.fromisoformat(text)
    if strict and text.isdigit():
        return _epoch(text)
    return _event_written(text, dayfirst) if strict else _record_written(text, dayfirst)


def parse_datetime(
    raw: str,
    *,
    strict: bool,
    zone: dt.tzinfo | None = None,
    zone_text: str = "",
    dayfirst: bool = True,
    utc: bool = False,
) -> dt.datetime:
    """The instant ``raw`` names, in its own offset (in UTC when ``utc``); TimeError says why not.

    A time written without a zone takes ``zone_text`` (a time-zone column, read by ``parse_zone``),
    then ``zone``; without either it is refused. See the module for the ``strict`` and lenient readings.
    """
    text = raw.strip()
    stamp = _plausible(_as_written(text, dayfirst, strict), strict)
    if stamp.tzinfo is None:
        tz = parse_zone(zone_text) or zone
        if tz is None:
            raise TimeError(f"{text!r} has no time zone (set the loader option timezone, e.g. Europe/London)")
        stamp = stamp.replace(tzinfo=tz)
    return stamp.astimezone(dt.UTC) if utc else stamp


def event_time(
    raw: str, *, zone: str = "", default_zone: dt.tzinfo | None = None, dayfirst: bool = True
) -> dt.datetime:
    """The UTC instant of a call or message time (strict reading): a zone column, then the load's zone."""
    return parse_datetime(raw, strict=True, zone=default_zone, zone_text=zone, dayfirst=dayfirst, utc=True)


class DateTimeType(PropertyType):
    """A date with a time of day, normalised to ISO 8601 with its offset (``2024-07-01T14:30:00+01:00``)."""

    name = "datetime"
    label = "Date and time"

    def __init__(
        self,
        *,
        zone: dt.tzinfo | None = UK_TIME,
        dayfirst: bool = True,
        strict: bool = False,
        utc: bool = False,
    ) -> None:
        self.zone, self.dayfirst, self.strict, self.utc = zone, dayfirst, strict, utc

    def _clean(self, raw: str, text: str) -> Cleaned:
        try:
            stamp = parse_datetime(
                text, strict=self.strict, zone=self.zone, dayfirst=self.dayfirst, utc=self.utc
            )
            # A normalised value must read back, so its year keeps to the range after conversion too.
            _plausible(stamp, self.strict)
        except TimeError as exc:
            return Cleaned(raw, None, False, str(exc))
        return Cleaned(raw, stamp.isoformat(), True)

    def compare(self, a: str, b: str) -> float:
        """1 for the same instant, whatever the offsets it is written in; else 0."""
        try:
            return 1.0 if dt.datetime.fromisoformat(a) == dt.datetime.fromisoformat(b) else 0.0
        except ValueError:
            return 0.0


# Not in TYPES yet: mapping_values coerces the ontology's datetime properties itself (a bare month is a
# period with a start and an end), and a type registered under that name would take their cleaning over.
DATETIME = DateTimeType()
"""A police record's date and time, read as UK local time unless it says otherwise."""


def when(raw: str, zone: dt.tzinfo, *, to_utc: bool = False) -> str | None:
    """A police record's date and time as ISO 8601 with its offset; None unless the day is known.

    ISO 8601 is read as written; other forms (``01/03/2024 14:30``, ``1 Mar 2024 2:30pm``) by
    ``types.DATE`` with the clock beside it. A time without an offset is local to ``zone``:
    police systems record UK local time, ANPR records UTC. ``DateTimeType(zone=zone)`` cleans the same way.
    """
    try:
        return parse_datetime(raw, strict=False, zone=zone, utc=to_utc).isoformat()
    except TimeError:
        return None

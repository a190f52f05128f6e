"""Reading dates as police systems and people write them: ISO, UK day-first, words, compact."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from polegraph.types.text import ascii_fold

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if number and name}
# A time of day anywhere in the text, with its zone: dates often come as timestamps.
_TIME = re.compile(
    r"(?<!\d)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
    r"(?:\s*(?:z|[+-]\d{2}:?\d{2}|am|pm|utc|gmt|bst)(?![a-z]))?"
)
_ORDINAL = re.compile(r"(\d)(?:st|nd|rd|th)\b")
_TOKEN = re.compile(r"[a-z]+|\d+")
# Words that surround dates in free-text fields and say nothing about the date itself.
_NOISE = frozenset(
    {"of", "the", "on", "at", "dob", "d", "o", "b", "born", "circa", "c", "approx", "abt", "about"}
    | {"t"}  # the ISO separator left behind when the time after it is removed
    | {day.lower() for day in calendar.day_name}
    | {day.lower() for day in calendar.day_abbr}
)
_MIN_YEAR, _MAX_YEAR = 1800, 2199


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What could be read: the parts found (None where unknown), why it fell short, and flags."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    reason: str | None = None
    flags: tuple[str, ...] = ()


def _month(word: str) -> int | None:
    if len(word) < 3:
        return None
    if word == "sept":
        return 9
    for name, number in _MONTHS.items():
        if name.startswith(word):
            return number
    return None


def _expand_year(digits: str, flags: list[str]) -> int:
    if len(digits) != 2:
        return int(digits)
    flags.append("two_digit_year")
    # Two-digit years are mostly birth years: one after this year's is from the last century.
    this_year = dt.date.today().year
    year = 2000 + int(digits)
    return year if year <= this_year else year - 100


def _checked(year: int, month: int | None, day: int | None, flags: list[str]) -> ParseResult:
    """Validate the parts; keep the longest valid prefix (year, then month) when some are wrong."""
    found = tuple(flags)
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        if not 1000 <= year <= 2999:
            return ParseResult(reason=f"year {year} is not plausible", flags=found)
        return ParseResult(year, None, None, f"year {year} is not plausible", found)
    if month is None:
        return ParseResult(year, flags=found)
    if not 1 <= month <= 12:
        return ParseResult(year, None, None, f"there is no month {month}", found)
    if day is None:
        return ParseResult(year, month, flags=found)
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        reason = f"{calendar.month_name[month]} {year} has no day {day}"
        return ParseResult(year, month, None, reason, found)
    return ParseResult(year, month, day, None, found)


def _real(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def _numeric_dmy(first: int, second: int, year: int, dayfirst: bool, flags: list[str]) -> ParseResult:
    day, month = (first, second) if dayfirst else (second, first)
    if _MIN_YEAR <= year <= _MAX_YEAR and not _real(year, month, day) and _real(year, day, month):
        # 03/25/1987 cannot be day-first: read it the other way and say so.
        day, month = month, day
        flags.append("month_first" if dayfirst else "day_first")
    return _checked(year, month, day, flags)


def _compact(digits: str, dayfirst: bool, flags: list[str]) -> ParseResult:
    if len(digits) == 4:
        return _checked(int(digits), None, None, flags)
    if len(digits) == 8:
        year = int(digits[:4])
        if _MIN_YEAR <= year <= _MAX_YEAR and _real(year, int(digits[4:6]), int(digits[6:])):
            return _checked(year, int(digits[4:6]), int(digits[6:]), flags)
        return _numeric_dmy(int(digits[:2]), int(digits[2:4]), int(digits[4:]), dayfirst, flags)
    if len(digits) == 6:
        year = int(digits[:4])
        if _MIN_YEAR <= year <= _MAX_YEAR and 1 <= int(digits[4:]) <= 12:
            return _checked(year, int(digits[4:]), None, flags)
        year = _expand_year(digits[4:], flags)
        return _numeric_dmy(int(digits[:2]), int(digits[2:4]), year, dayfirst, flags)
    return ParseResult(reason="digits do not form a date", flags=tuple(flags))


def _with_month_name(month: int, numbers: list[str], flags: list[str]) -> ParseResult:
    if len(numbers) == 1:
        (only,) = numbers
        if len(only) == 4 or (len(only) == 2 and int(only) > 31):
            return _checked(_expand_year(only, flags), month, None, flags)
        return ParseResult(reason="no year", flags=tuple(flags))
    if len(numbers) == 2:
        first, second = numbers
        if len(first) == 4 or int(first) > 31:
            first, second = second, first
        return _checked(_expand_year(second, flags), month, int(first), flags)
    return ParseResult(reason="too many numbers for a date", flags=tuple(flags))


def parse_date(text: str, *, dayfirst: bool = True) -> ParseResult:
    """Read a whole or partial date from ``text``; never raises."""
    lowered = _ORDINAL.sub(r"\1", _TIME.sub(" ", ascii_fold(text).lower()))
    tokens = [t for t in _TOKEN.findall(lowered) if t not in _NOISE]
    flags: list[str] = []
    words = [t for t in tokens if not t.isdigit()]
    numbers = [t for t in tokens if t.isdigit()]
    if not tokens:
        return ParseResult(reason="no date")
    if any(len(n) > 8 for n in numbers):
        return ParseResult(reason="number too long for a date")
    months = [m for m in (_month(w) for w in words) if m is not None]
    if len(months) != len(words) or len(months) > 1:
        return ParseResult(reason=f"unrecognised words: {' '.join(words)}")
    if months:
        return _with_month_name(months[0], numbers, flags)
    if len(numbers) == 1:
        return _compact(numbers[0], dayfirst, flags)
    if len(numbers) == 2:
        first, second = numbers
        if len(first) == 4:
            first, second = second, first
        return _checked(_expand_year(second, flags), int(first), None, flags)
    if len(numbers) == 3:
        first, second, third = numbers
        if len(first) == 4:
            return _checked(int(first), int(second), int(third), flags)
        year = _expand_year(third, flags)
        return _numeric_dmy(int(first), int(second), year, dayfirst, flags)
    return ParseResult(reason="too many numbers for a date", flags=tuple(flags))

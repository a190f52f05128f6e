"""Dates, whole or partial (``1987``, ``1987-03``, ``1987-03-04``), read day-first as in the UK."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from polegraph.types.base import Cleaned, PropertyType, register
from polegraph.types.date_parse import ParseResult, parse_date


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    def iso(self) -> str:
        """ISO 8601 with only the known parts: ``1987``, ``1987-03`` or ``1987-03-04``."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
            if self.day is not None:
                text += f"-{self.day:02d}"
        return text

    @property
    def is_full(self) -> bool:
        """True when the day is known."""
        return self.day is not None

    @property
    def is_default_day_month(self) -> bool:
        """True for 1 January, which systems fill in when only the year was known."""
        return self.month == 1 and self.day == 1

    def swapped(self) -> PartialDate | None:
        """The date with day and month exchanged, when that is a different real date."""
        if self.day is None or self.month is None or self.day == self.month or self.day > 12:
            return None
        return PartialDate(self.year, self.day, self.month)

    @classmethod
    def from_iso(cls, text: str) -> PartialDate | None:
        """Read the ``iso()`` form of a real (partial) date back; None for anything else."""
        match = _ISO.fullmatch(text)
        if match is None:
            return None
        year, month, day = match.groups()
        if month and not 1 <= int(month) <= 12:
            return None
        if day and not 1 <= int(day) <= calendar.monthrange(int(year), int(month))[1]:
            return None
        return cls(int(year), int(month) if month else None, int(day) if day else None)


_ISO = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


def _year_typo(a: int, b: int) -> bool:
    # One digit mistyped (1987/1997) or two neighbouring digits transposed (1987/1978).
    da, db = f"{a:04d}", f"{b:04d}"
    diffs = [i for i in range(4) if da[i] != db[i]]
    if len(diffs) == 1:
        return True
    if len(diffs) != 2 or diffs[1] != diffs[0] + 1:
        return False
    i, j = diffs
    return da[i] == db[j] and da[j] == db[i]


def _compare_full(a: PartialDate, b: PartialDate) -> float:
    if a == b:
        return 1.0
    if a.year == b.year and a.swapped() == b:
        return 0.85
    if (a.month, a.day) == (b.month, b.day) and _year_typo(a.year, b.year):
        return 0.6
    if a.year == b.year and (a.is_default_day_month or b.is_default_day_month):
        return 0.6
    if a.year == b.year and a.month == b.month:
        return 0.5
    return 0.3 if a.year == b.year else 0.0


def _compare_partial(a: PartialDate, b: PartialDate) -> float:
    if a.year != b.year:
        return 0.0
    if a.month is None or b.month is None:
        return 0.5
    if a.month != b.month:
        return 0.3
    return 0.7


def birth_years(age: int, on: dt.date) -> tuple[int, int]:
    """The two years a person of ``age`` on the day ``on`` can have been born in (age-only records)."""
    return on.year - age - 1, on.year - age


def dob_forms(normalised: str) -> dict[str, list[str]]:
    """Search and blocking forms of a (birth) date: ISO, year, year-month, month-day, swapped."""
    date = PartialDate.from_iso(normalised)
    if date is None:
        return {"date": [normalised]}
    forms = {"date": [date.iso()], "year": [f"{date.year:04d}"]}
    if date.month is not None:
        forms["year_month"] = [date.iso()[:7]]
    if date.day is not None:
        forms["month_day"] = [date.iso()[5:]]
    swapped = date.swapped()
    if swapped is not None:
        forms["swapped"] = [swapped.iso()]
    return forms


class DateType(PropertyType):
    """A date, normalised to ISO 8601 with only the parts that are known."""

    name = "date"
    label = "Date"

    def __init__(self, *, dayfirst: bool = True) -> None:
        self.dayfirst = dayfirst

    def _clean(self, raw: str, text: str) -> Cleaned:
        result: ParseResult = parse_date(text, dayfirst=self.dayfirst)
        if result.year is None:
            return Cleaned(raw, None, False, result.reason or "not a date", result.flags)
        best = PartialDate(result.year, result.month, result.day)
        flags = result.flags
        if result.reason is None and best.is_default_day_month:
            flags = (*flags, "default_day_month")
        return Cleaned(raw, best.iso(), result.reason is None, result.reason, flags)

    def compare(self, a: str, b: str) -> float:
        """1 for the same date; 0.85 for a day/month swap; partial agreement scores lower."""
        if a == b:
            return 1.0
        da, db = PartialDate.from_iso(a), PartialDate.from_iso(b)
        if da is None or db is None:
            return 0.0
        if da.is_full and db.is_full:
            return _compare_full(da, db)
        return _compare_partial(da, db)

    def specificity(self, normalised: str) -> float:
        """A full date says more than a month or a year; 1 January may be a filled-in default."""
        date = PartialDate.from_iso(normalised)
        if date is None:
            return 0.0
        if date.day is not None:
            return 0.4 if date.is_default_day_month else 1.0
        return 0.5 if date.month is not None else 0.2

    def keys(self, normalised: str) -> dict[str, list[str]]:
        """See ``dob_forms``."""
        return dob_forms(normalised)


DATE = register(DateType())

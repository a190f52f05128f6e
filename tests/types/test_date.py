"""Dates: the formats records use, partial dates, DOB forms and comparison."""

from __future__ import annotations

import datetime as dt

import pytest

from polegraph.types import DATE, PartialDate, birth_years, dob_forms
from polegraph.types.date import DateType


@pytest.mark.parametrize(
    "raw",
    [
        "1987-03-04",
        "04/03/1987",
        "4/3/1987",
        "04-03-1987",
        "04.03.1987",
        "4 March 1987",
        "4th March 1987",
        "4 Mar 1987",
        "04MAR1987",
        "04-Mar-87",
        "March 4, 1987",
        "Wednesday 4 March 1987",
        "19870304",
        "04031987",
        "1987-03-04T00:00:00Z",
        "1987-03-04 10:30:00+01:00",
        "04/03/1987 00:00",
        "DOB: 04/03/1987",
    ],
)
def test_one_date_written_many_ways(raw: str) -> None:
    cleaned = DATE.clean(raw)
    assert (cleaned.normalised, cleaned.valid) == ("1987-03-04", True), cleaned.reason


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("03/1987", "1987-03"),
        ("1987-03", "1987-03"),
        ("March 1987", "1987-03"),
        ("Mar 87", "1987-03"),
        ("198703", "1987-03"),
        ("1987", "1987"),
    ],
)
def test_partial_dates(raw: str, normalised: str) -> None:
    cleaned = DATE.clean(raw)
    assert (cleaned.normalised, cleaned.valid) == (normalised, True)


def test_day_first_unless_impossible() -> None:
    assert DATE.normalise("01/02/2000") == "2000-02-01"
    cleaned = DATE.clean("03/25/1987")
    assert (cleaned.normalised, cleaned.flags) == ("1987-03-25", ("month_first",))
    assert DateType(dayfirst=False).normalise("01/02/2000") == "2000-01-02"


def test_two_digit_years_are_flagged() -> None:
    cleaned = DATE.clean("04/03/87")
    assert (cleaned.normalised, cleaned.flags) == ("1987-03-04", ("two_digit_year",))
    assert DATE.normalise("04/03/05") == "2005-03-04"


def test_first_of_january_is_flagged_as_a_possible_default() -> None:
    cleaned = DATE.clean("01/01/1980")
    assert cleaned.valid
    assert "default_day_month" in cleaned.flags


def test_impossible_dates_keep_what_is_usable() -> None:
    cleaned = DATE.clean("31/02/1987")
    assert (cleaned.normalised, cleaned.valid) == ("1987-02", False)
    assert cleaned.reason == "February 1987 has no day 31"
    cleaned = DATE.clean("13/13/1987")
    assert (cleaned.normalised, cleaned.valid) == ("1987", False)


@pytest.mark.parametrize("raw", ["garbage", "10:30", "4 March", "12345678901", "0012"])
def test_not_dates(raw: str) -> None:
    cleaned = DATE.clean(raw)
    assert (cleaned.normalised, cleaned.valid) == (None, False)
    assert cleaned.reason


def test_partial_date_round_trip() -> None:
    for iso in ["1987", "1987-03", "1987-03-04"]:
        date = PartialDate.from_iso(iso)
        assert date is not None
        assert date.iso() == iso
    assert PartialDate.from_iso("04/03/1987") is None
    assert PartialDate.from_iso("1987-02-30") is None
    assert PartialDate.from_iso("1987-13") is None
    assert PartialDate(1987, 3, 4).swapped() == PartialDate(1987, 4, 3)
    assert PartialDate(1987, 3, 13).swapped() is None
    assert PartialDate(1987, 3, 3).swapped() is None


def test_dob_forms() -> None:
    assert dob_forms("1987-03-04") == {
        "date": ["1987-03-04"],
        "year": ["1987"],
        "year_month": ["1987-03"],
        "month_day": ["03-04"],
        "swapped": ["1987-04-03"],
    }
    assert dob_forms("1987-03-25") == {
        "date": ["1987-03-25"],
        "year": ["1987"],
        "year_month": ["1987-03"],
        "month_day": ["03-25"],
    }
    assert dob_forms("1987") == {"date": ["1987"], "year": ["1987"]}
    assert DATE.keys("1987-03") == {"date": ["1987-03"], "year": ["1987"], "year_month": ["1987-03"]}


@pytest.mark.parametrize(
    ("a", "b", "score"),
    [
        ("1987-03-04", "1987-03-04", 1.0),
        ("1987-03-04", "1987-04-03", 0.85),  # day and month swapped
        ("1987-03-04", "1978-03-04", 0.6),  # year digits transposed
        ("1987-03-04", "1997-03-04", 0.6),  # one year digit wrong
        ("1987-01-01", "1987-06-15", 0.6),  # 01/01 may be a default
        ("1987-03-04", "1987-03-19", 0.5),
        ("1987-03-04", "1987-07-19", 0.3),
        ("1987-03-04", "1990-07-19", 0.0),
        ("1987-03-04", "1987-03", 0.7),  # partial, consistent
        ("1987-03-04", "1987", 0.5),
        ("1987-03", "1987-05", 0.3),
        ("1987-03-04", "1988", 0.0),
    ],
)
def test_compare(a: str, b: str, score: float) -> None:
    assert DATE.compare(a, b) == score
    assert DATE.compare(b, a) == score


def test_specificity() -> None:
    assert DATE.specificity("1987-03-04") == 1.0
    assert DATE.specificity("1987-01-01") < DATE.specificity("1987-03-04")
    assert DATE.specificity("1987-03") > DATE.specificity("1987")


def test_age_only_records_give_two_birth_years() -> None:
    assert birth_years(30, dt.date(2017, 8, 1)) == (1986, 1987)
    born = DATE.normalise("04/03/1987")
    assert born is not None
    assert int(born[:4]) in birth_years(30, dt.date(2017, 8, 1))

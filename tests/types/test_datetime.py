"""Dates with a time of day: the police-record and event-time readings, zones, and the type's contract."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from polegraph.types import DATETIME, UK_TIME, TimeError, event_time, when
from polegraph.types.datetime import DateTimeType, parse_datetime, parse_zone

UTC = dt.UTC
EVENTS = DateTimeType(zone=None, strict=True, utc=True)  # as the CDR, UFDR and XRY loaders read times


# -- police records ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("01/03/2024 14:30", "2024-03-01T14:30:00+00:00"),
        ("2024-07-01 14:30", "2024-07-01T14:30:00+01:00"),  # British Summer Time
        ("2024-07-01T14:30:00Z", "2024-07-01T14:30:00+00:00"),
        ("2024-07-01T14:30:00+05:00", "2024-07-01T14:30:00+05:00"),  # an offset is kept as written
        ("1 Mar 2024 2:30pm", "2024-03-01T14:30:00+00:00"),
        ("01/03/2024 12:00 am", "2024-03-01T00:00:00+00:00"),
        ("14:30 01/03/2024", "2024-03-01T14:30:00+00:00"),  # the clock may stand before the day
        ("01/03/2024 14:30:05.250", "2024-03-01T14:30:05+00:00"),  # written times: to the second
        ("13/07/2024", "2024-07-13T00:00:00+01:00"),
        ("2024-07-01", "2024-07-01T00:00:00+01:00"),
        ("01/07/2024 14:30 UTC", "2024-07-01T14:30:00+00:00"),
        ("01/07/2024 14:30 GMT", "2024-07-01T14:30:00+00:00"),
        ("31/10/2021 01:30", "2021-10-31T01:30:00+01:00"),  # the repeated hour: BST, the first
        ("1800-01-01 00:00", "1800-01-01T00:00:00-00:01:15"),  # London's mean time before GMT
        ("31/02/2024 10:00", None),
        ("March 2024", None),
        ("25:00 01/03/2024", None),
        ("13:00 pm 01/03/2024", None),
        ("1799-12-31T23:00", None),
        ("1616000000", None),  # epoch seconds are event times, not record fields
        ("", None),
        ("   ", None),
    ],
)
def test_record_times_are_uk_local_with_their_offset(raw: str, expected: str | None) -> None:
    assert when(raw, UK_TIME) == expected
    assert DATETIME.normalise(raw) == expected


def test_record_times_convert_to_utc_on_request() -> None:
    assert when("2024-07-01T14:30:00+01:00", UTC, to_utc=True) == "2024-07-01T13:30:00+00:00"
    assert when("2024-07-01 14:30", UTC, to_utc=True) == "2024-07-01T14:30:00+00:00"
    assert when("01/07/2024 14:30", UK_TIME, to_utc=True) == "2024-07-01T13:30:00+00:00"


# -- event times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("2021-03-14T18:22:05.000+00:00", "2021-03-14T18:22:05+00:00"),
        ("2021-03-14 18:22:05Z", "2021-03-14T18:22:05+00:00"),
        ("14/03/2021 18:22 UTC+1", "2021-03-14T17:22:00+00:00"),
        ("14.03.2021 18:22:05 (UTC+01:00)", "2021-03-14T17:22:05+00:00"),
        ("1/3/1990 1:23:54 AM UTC+4", "1990-02-28T21:23:54+00:00"),
        ("14 Mar 2021 12:00:00 am GMT", "2021-03-14T00:00:00+00:00"),
        ("26/03/2021 9:00 p.m. UTC", "2021-03-26T21:00:00+00:00"),
        ("2021-07-01 12:00 BST", "2021-07-01T11:00:00+00:00"),
        ("2021-07-01 12:00 CET", "2021-07-01T11:00:00+00:00"),
        ("2021-07-01 12:00 Europe/Paris", "2021-07-01T10:00:00+00:00"),
        ("2021-07-01 12:00:00.250 -0500", "2021-07-01T17:00:00.250000+00:00"),
        ("1616000000", "2021-03-17T16:53:20+00:00"),
        ("1616000000000", "2021-03-17T16:53:20+00:00"),
        ("3/26/2021 9:00:00 PM UTC (Device)", "2021-03-26T21:00:00+00:00"),
    ],
)
def test_event_times_normalise_to_utc(text: str, normalised: str) -> None:
    assert EVENTS.normalise(text) == normalised


def test_a_naive_event_time_takes_the_zone_column_then_the_loads() -> None:
    # 01:30 on the night the clocks go back happens twice: the first reading (BST) is taken.
    first = "2021-10-31T00:30:00+00:00"
    assert event_time("31/10/2021 01:30", zone="Europe/London").isoformat() == first
    assert event_time("31/10/2021 01:30", default_zone=UK_TIME).isoformat() == first
    assert event_time("31/10/2021 01:30", zone="+05:00", default_zone=UK_TIME).hour == 20
    assert event_time("31/10/2021 01:30 UTC", zone="+05:00").hour == 1  # the text's own zone wins
    assert event_time("31/10/2021 01:30 UTC", zone="Mars/X").hour == 1  # an unused bad column is no error
    assert (
        parse_datetime("10/31/2021 1:30", strict=True, zone=UTC, dayfirst=False).isoformat()
        == "2021-10-31T01:30:00+00:00"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no time given"),
        ("yesterday", "no time of day"),
        ("14/03/2021", "no time of day"),
        ("2021-03-14 10:00", "has no time zone"),
        ("14/03/2021 25:00 UTC", "no such time of day"),
        ("14/03/2021 13:00 pm UTC", "hour 13 with am/pm"),
        ("14/03/2021 10:00 Mars/X", "unknown time zone 'Mars/X'"),
        ("14/03/2021 10:00 +15:00", "offset '+15:00' is out of range"),
        ("13:00 14/03/2021", "no whole date before the time of day"),
        ("123456", "epoch seconds have 10 digits"),
        ("²²²²²²²²²²", "epoch seconds have 10 digits"),  # digits to isdigit(), not to int()
        ("31/02/2021 10:00 UTC", "no whole date before the time of day"),
        ("1066-10-14 10:00Z", "year 1066 is not plausible"),
    ],
)
def test_event_times_refused_say_why(text: str, reason: str) -> None:
    with pytest.raises(TimeError, match=reason.replace("+", r"\+")):
        event_time(text)
    cleaned = EVENTS.clean(text)
    assert not cleaned.valid
    assert cleaned.normalised is None


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("", None), ("Z", 0), ("UTC", 0), ("gmt", 0), ("BST", 60), ("CET", 60), ("CEST", 120), ("+01:00", 60),
     ("-0530", -330), ("UTC+1", 60), ("(UTC+01:00)", 60), ("GMT-3", -180), ("(Device)", None)],
)  # fmt: skip
def test_zones_as_written(text: str, minutes: int | None) -> None:
    zone = parse_zone(text)
    offset = None if zone is None else zone.utcoffset(None)
    assert offset == (None if minutes is None else dt.timedelta(minutes=minutes))


def test_named_zones_and_bad_ones() -> None:
    assert parse_zone("Europe/London") is UK_TIME
    for bad in ("Mars/X", "+15:00", "+01:75", "EST5", "local"):
        with pytest.raises(TimeError):
            parse_zone(bad)


def test_naive_times_need_a_zone() -> None:
    with pytest.raises(TimeError, match="has no time zone"):
        parse_datetime("2021-03-14 10:00", strict=True)
    assert parse_datetime("2021-03-14 10:00", strict=True, zone=UTC).tzinfo is UTC
    reason = DateTimeType(zone=None).clean("01/03/2024 10:00").reason
    assert reason is not None
    assert reason.startswith("'01/03/2024 10:00' has no time zone")


def test_the_same_instant_compares_equal_whatever_its_offset() -> None:
    assert DATETIME.compare("2024-07-01T14:30:00+01:00", "2024-07-01T13:30:00+00:00") == 1.0
    assert DATETIME.compare("2024-07-01T14:30:00+01:00", "2024-07-01T14:30:00+00:00") == 0.0
    assert DATETIME.compare("2024-07-01T14:30:00+01:00", "not a time") == 0.0
    assert DATETIME.name == "datetime"


def test_stored_instants_read_back_at_the_edges_of_the_range() -> None:
    # 00:30 on 1 January 1900 at +01:00 is a plausible event, but 1899 in UTC: the type refuses it.
    assert event_time("1900-01-01 00:30+01:00").year == 1899
    assert EVENTS.clean("1900-01-01 00:30+01:00").reason == "year 1899 is not plausible for an event"


# -- properties ----------------------------------------------------------------------------------

READERS = {
    "records": DATETIME,
    "records_utc": DateTimeType(zone=UTC, utc=True),
    "events": EVENTS,
    "events_london": DateTimeType(zone=UK_TIME, strict=True),
    "events_month_first": DateTimeType(zone=UTC, dayfirst=False, strict=True, utc=True),
}
FORMATS = "%Y-%m-%dT%H:%M:%S|%Y-%m-%d %H:%M|%d/%m/%Y %H:%M|%d/%m/%Y %H:%M:%S.%f|%m/%d/%Y %I:%M %p|" + (
    "%d %b %Y %I:%M%p|%d.%m.%Y %H:%M:%S|%H:%M %d/%m/%Y|%d/%m/%Y|%Y-%m-%d"
)
ZONES = "|Z| UTC| GMT| BST| CET| +01:00|-0530| UTC+1| (UTC+01:00)| (Device)| Europe/London| Mars/X| +15:00"


def _written(moment: dt.datetime, fmt: str, zone: str) -> str:
    return moment.strftime(fmt) + zone


SHAPED = (
    st.builds(
        _written,
        st.datetimes(dt.datetime(1790, 1, 1), dt.datetime(2210, 12, 31)),
        st.sampled_from(FORMATS.split("|")),
        st.sampled_from(ZONES.split("|")),
    )
    | st.builds(
        lambda moment, minutes: moment.replace(tzinfo=dt.timezone(dt.timedelta(minutes=minutes))).isoformat(),
        st.datetimes(dt.datetime(1790, 1, 1), dt.datetime(2210, 12, 31)),
        st.integers(-14 * 60, 14 * 60),
    )
    | st.integers(0, 10**13).map(str)
    | st.text(max_size=40)
)
EXAMPLES = settings(max_examples=300, deadline=None)


@pytest.mark.parametrize("reader", sorted(READERS))
@EXAMPLES
@given(raw=SHAPED)
@example(raw="1900-01-01T00:30:00+01:00")  # 1899 in UTC
@example(raw="2199-12-31 23:30 (UTC-01:00)")  # 2200 in UTC
def test_clean_never_raises_and_is_idempotent(reader: str, raw: str) -> None:
    prop_type = READERS[reader]
    cleaned = prop_type.clean(raw)
    assert cleaned.raw == raw
    if not cleaned.valid:
        assert cleaned.reason
        assert cleaned.normalised is None
        return
    assert cleaned.normalised is not None
    assert cleaned.reason is None
    assert dt.datetime.fromisoformat(cleaned.normalised).tzinfo is not None
    again = prop_type.clean(cleaned.normalised)
    assert (again.normalised, again.valid) == (cleaned.normalised, True)


@EXAMPLES
@given(raw=SHAPED)
def test_the_type_cleans_as_the_loaders_read(raw: str) -> None:
    assert DATETIME.normalise(raw) == when(raw, UK_TIME)
    normalised = EVENTS.normalise(raw)
    if normalised is not None:
        assert event_time(raw).isoformat() == normalised

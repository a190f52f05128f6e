"""CDR loader: operator CSVs with column aliases, zones, cells, duplicates and bad rows; the time rules."""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polegraph.errors import PolegraphError
from polegraph.loaders.base import LoaderOptions, get_loader
from polegraph.loaders.cdr import cell_key
from polegraph.loaders.check import bundle_problems
from polegraph.loaders.csvio import FormatError
from polegraph.loaders.records import Bundle, Edge, LoadContext, Node, Quarantined
from polegraph.loaders.ufdr_models import TimeError, duration_seconds, event_time

FIXTURES = Path(__file__).parent.parent / "fixtures"
CDR = FIXTURES / "cdr" / "operator_a_447700900123.csv"
OTHER_PARTY = FIXTURES / "cdr" / "operator_b_other_party.csv"
CELLS = FIXTURES / "cdr" / "cell_sites.csv"
UTC = dt.UTC
Item = Bundle | Quarantined


def read_items(fmt: str, path: Path, cell_sites: Path | None = None, **extra: str) -> list[Item]:
    """Everything a loader yields for ``path``, every bundle checked against the ontology."""
    ctx = LoadContext("WYP", get_loader(fmt).system, "test-load", str(path))
    items = list(get_loader(fmt).read(path, ctx, LoaderOptions(cell_sites=cell_sites, extra=extra)))
    for item in items:
        assert isinstance(item, Bundle | Quarantined)
        if isinstance(item, Bundle):
            assert bundle_problems(item) == []
    return items


def bundles(items: list[Item]) -> list[Bundle]:
    return [i for i in items if isinstance(i, Bundle)]


def quarantined(items: list[Item]) -> list[Quarantined]:
    return [i for i in items if isinstance(i, Quarantined)]


def nodes(items: list[Item] | Bundle, label: str) -> list[Node]:
    found = [items] if isinstance(items, Bundle) else bundles(items)
    return [n for b in found for n in b.nodes if n.label == label]


def edges(items: list[Item] | Bundle, rel: str) -> list[Edge]:
    found = [items] if isinstance(items, Bundle) else bundles(items)
    return [e for b in found for e in b.edges if e.type == rel]


def calls(items: list[Item]) -> dict[int, Bundle]:
    """The bundles holding a Call, by line."""
    return {b.source.line: b for b in bundles(items) if nodes(b, "Call")}


def test_operator_a_counts_and_quarantine_reasons() -> None:
    items = read_items("cdr", CDR, CELLS)
    assert len(calls(items)) == 9
    sites = [b for b in bundles(items) if b.source.record_id.startswith("cellsite:")]
    assert sorted(b.source.record_id for b in sites) == [
        "cellsite:234-15-1201-30051", "cellsite:234-15-1201-30052", "cellsite:234-15-1201-30053",
    ]  # fmt: skip
    reasons = {(Path(q.file).name, q.line): q.reason for q in quarantined(items)}
    assert set(reasons) == {
        ("cell_sites.csv", 6), ("cell_sites.csv", 7),
        ("operator_a_447700900123.csv", 8), ("operator_a_447700900123.csv", 9),
        ("operator_a_447700900123.csv", 13),
    }  # fmt: skip
    assert "has no time zone" in reasons[("operator_a_447700900123.csv", 8)]
    assert reasons[("operator_a_447700900123.csv", 9)] == "exact duplicate of line 2"
    assert "listed again" in reasons[("cell_sites.csv", 6)]
    assert "no time of day" in reasons[("operator_a_447700900123.csv", 13)]
    # every data row is accounted for: loaded or quarantined, never silently dropped
    assert len(calls(items)) + 3 == 12


def _call(bundle: Bundle) -> dict[str, Any]:
    (call,) = nodes(bundle, "Call")
    return call.props


def _roles(bundle: Bundle) -> dict[str, str]:
    return {e.props["role"]: e.start_uid for e in edges(bundle, "CALLED")}


def test_times_in_mixed_formats_are_utc_aware() -> None:
    by_line = calls(read_items("cdr", CDR, CELLS))
    expected = {
        2: dt.datetime(2021, 3, 14, 18, 22, 5, tzinfo=UTC),  # ISO with offset
        3: dt.datetime(2021, 3, 14, 19, 5, 11, tzinfo=UTC),  # UK day-first, "UTC"
        4: dt.datetime(2021, 3, 15, 7, 0, tzinfo=UTC),  # +0100
        10: dt.datetime(2021, 3, 17, 9, 15, tzinfo=UTC),  # month-first (17 cannot be a month)
        11: dt.datetime(2021, 3, 17, 21, 15, 30, tzinfo=UTC),  # words, 12-hour clock
        12: dt.datetime(2021, 3, 17, 16, 53, 20, tzinfo=UTC),  # epoch seconds
    }
    for line, when in expected.items():
        props = _call(by_line[line])
        assert props["occurred_from"] == when
        assert props["occurred_from"].utcoffset() == dt.timedelta(0)
    assert _call(by_line[2])["occurred_to"] - _call(by_line[2])["occurred_from"] == dt.timedelta(seconds=83)


def test_event_types_directions_and_parties() -> None:
    by_line = calls(read_items("cdr", CDR, CELLS))
    target, dan, uncle = "phone:+447700900123", "phone:+447700900456", "phone:+447700900789"
    assert (_call(by_line[2])["call_type"], _call(by_line[2])["direction"]) == ("VOICE", "OUTGOING")
    assert _roles(by_line[2]) == {"CALLER": target, "CALLEE": dan}
    assert (_call(by_line[3])["call_type"], _call(by_line[3])["direction"]) == ("VOICE", "INCOMING")
    assert _roles(by_line[3]) == {"CALLER": uncle, "CALLEE": target}
    assert _call(by_line[4])["call_type"] == "SMS"
    assert _roles(by_line[4])["CALLEE"] == dan  # written "07700 900456"
    assert _roles(by_line[5]) == {"CALLEE": target}  # a withheld caller has no Phone
    assert (_call(by_line[6])["call_type"], _roles(by_line[6])) == ("DATA", {"CALLER": target})
    forwarded = by_line[7]
    assert _call(forwarded)["direction"] == "FORWARDED"
    assert _roles(forwarded)["DIVERTED_TO"] == "phone:+447700900999"


def test_handset_and_subscriber() -> None:
    bundle = calls(read_items("cdr", CDR, CELLS))[2]
    (device,) = nodes(bundle, "Device")
    assert device.props["imei"] == "356938035643809"  # 14 digits given; check digit added
    assert _call(bundle)["imei"] == "356938035643809"
    (uses,) = edges(bundle, "USES_DEVICE")
    assert (uses.start_uid, uses.end_uid) == ("phone:+447700900123", "device:356938035643809")
    assert [e.props for e in edges(bundle, "INVOLVED_IN")] == [{"role": "USED"}]
    target = next(n for n in nodes(bundle, "Phone") if n.uid == "phone:+447700900123")
    assert target.props["imsi"] == "234150123456789"


def test_cells_become_places_with_the_site_list() -> None:
    items = read_items("cdr", CDR, CELLS)
    first = calls(items)[2]
    links = {e.props["role"]: e.end_uid for e in edges(first, "OCCURRED_AT")}
    assert links == {
        "CELL_FIRST": "place:cell:234-15-1201-30051",
        "CELL_LAST": "place:cell:234-15-1201-30052",
    }
    place = next(n for n in nodes(first, "Place") if n.uid == links["CELL_FIRST"])
    assert place.props == {
        "place_key": "cell:234-15-1201-30051", "site_id": "234-15-1201-30051", "place_type": "CELL_SITE",
        "name": "LEEDS CITY STN ROOF", "azimuth": 120, "postcode": "LS1 4DY",
        "latitude": 53.7947, "longitude": -1.5475,
    }  # fmt: skip
    site = next(b for b in bundles(items) if b.source.record_id == "cellsite:234-15-1201-30051")
    assert (
        site.source.payload["site_address"] == "New Station Street Leeds"
    )  # kept, though Place has no address
    # "234/15/1201/30052" in the CDR is the same cell as "234-15-1201-30052" in the list
    assert edges(calls(items)[5], "OCCURRED_AT")[0].end_uid == "place:cell:234-15-1201-30052"
    unknown = nodes(calls(items)[12], "Place")[0]
    assert unknown.props == {"place_key": "cell:234-15-1201-30099", "site_id": "234-15-1201-30099",
                             "place_type": "CELL_SITE"}  # fmt: skip


def test_payload_keeps_extra_cells_and_windows_1252_text() -> None:
    by_line = calls(read_items("cdr", CDR, CELLS))
    assert by_line[10].source.payload["_extra_cells"] == "EXTRA CELL"
    assert by_line[12].source.payload["notes"] == "Café wifi"
    assert by_line[12].source.payload["_decoded_as"] == "cp1252"
    assert by_line[11].source.payload["duration"] == ""  # a short row: missing cells read as blank


def test_a_zone_option_loads_naive_times_in_local_time() -> None:
    items = read_items("cdr", CDR, CELLS, timezone="Europe/London")
    assert _call(calls(items)[8])["occurred_from"] == dt.datetime(2021, 3, 16, 10, 0, tzinfo=UTC)  # GMT
    assert 8 not in {q.line for q in quarantined(items)}
    with pytest.raises(PolegraphError, match="timezone option"):
        read_items("cdr", CDR, timezone="Mars/Olympus")


def test_other_party_layout_with_date_time_and_zone_columns() -> None:
    by_line = calls(read_items("cdr", OTHER_PARTY, CELLS))
    dan, jade = "phone:+447700900456", "phone:+447700900123"
    assert _roles(by_line[2]) == {"CALLER": dan, "CALLEE": jade}
    assert _roles(by_line[3]) == {"CALLER": jade, "CALLEE": dan}
    assert _call(by_line[3])["call_type"] == "SMS"
    assert _call(by_line[4])["occurred_from"] == dt.datetime(2021, 6, 1, 13, 0, tzinfo=UTC)  # BST
    assert _call(by_line[5])["occurred_from"] == dt.datetime(2021, 6, 1, 13, 30, tzinfo=UTC)  # +01:00


def test_same_call_data_reads_the_same_twice() -> None:
    first = [(b.source.key, b.source.hash) for b in bundles(read_items("cdr", CDR, CELLS))]
    second = [(b.source.key, b.source.hash) for b in bundles(read_items("cdr", CDR, CELLS))]
    assert first == second
    assert len(set(first)) == len(first)


def test_empty_files_and_wrong_files() -> None:
    assert read_items("cdr", FIXTURES / "cdr" / "empty.csv") == []
    with pytest.raises(FormatError, match=r"no_time_column\.csv: no start time column"):
        read_items("cdr", FIXTURES / "cdr" / "no_time_column.csv")
    with pytest.raises(FormatError, match="is a ZIP archive"):
        read_items("cdr", FIXTURES / "ufdr" / "sample.ufdr")
    with pytest.raises(FormatError, match="cell-site list has no cell id column"):
        read_items("cdr", CDR, FIXTURES / "cdr" / "no_time_column.csv")
    with pytest.raises(FormatError, match="does not exist"):
        read_items("cdr", FIXTURES / "cdr" / "missing.csv")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-03-14T18:22:05.000+00:00", dt.datetime(2021, 3, 14, 18, 22, 5, tzinfo=UTC)),
        ("2021-03-14 18:22:05Z", dt.datetime(2021, 3, 14, 18, 22, 5, tzinfo=UTC)),
        ("14/03/2021 18:22 UTC+1", dt.datetime(2021, 3, 14, 17, 22, tzinfo=UTC)),
        ("14.03.2021 18:22:05 (UTC+01:00)", dt.datetime(2021, 3, 14, 17, 22, 5, tzinfo=UTC)),
        ("1/3/1990 1:23:54 AM UTC+4", dt.datetime(1990, 2, 28, 21, 23, 54, tzinfo=UTC)),
        ("14 Mar 2021 12:00:00 am GMT", dt.datetime(2021, 3, 14, 0, 0, tzinfo=UTC)),
        ("2021-07-01 12:00 BST", dt.datetime(2021, 7, 1, 11, 0, tzinfo=UTC)),
        ("2021-07-01 12:00:00.250 -0500", dt.datetime(2021, 7, 1, 17, 0, 0, 250000, tzinfo=UTC)),
        ("1616000000000", dt.datetime(2021, 3, 17, 16, 53, 20, tzinfo=UTC)),
        ("3/26/2021 9:00:00 PM UTC (Device)", dt.datetime(2021, 3, 26, 21, 0, tzinfo=UTC)),
    ],
)
def test_event_time_reads_what_operators_and_tools_write(text: str, expected: dt.datetime) -> None:
    assert event_time(text) == expected


def test_event_time_zone_rules() -> None:
    london = event_time("31/10/2021 01:30:00", zone="Europe/London")  # the repeated hour: BST, the first
    assert london == dt.datetime(2021, 10, 31, 0, 30, tzinfo=UTC)
    assert event_time("1/3/1990 1:23:54", default_zone=UTC, dayfirst=False) == dt.datetime(
        1990, 1, 3, 1, 23, 54, tzinfo=UTC
    )
    assert event_time("14/03/2021 10:00 UTC", zone="+05:00").hour == 10  # the text's own zone wins


@pytest.mark.parametrize(
    "text",
    ["", "yesterday", "14/03/2021", "2021-03-14 10:00", "14/03/2021 25:00 UTC", "14/03/2021 10:00 Mars/X",
     "14/03/2021 10:00 +15:00", "13:00 14/03/2021", "123456", "31/02/2021 10:00 UTC", "1066-10-14 10:00Z"],
)  # fmt: skip
def test_event_time_refuses_what_it_cannot_place(text: str) -> None:
    with pytest.raises(TimeError):
        event_time(text)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("83", 83), ("83.4", 83), ("00:01:23", 83), ("1:23", 83), ("1:00:00", 3600), ("1m 23s", 83),
     ("2h", 7200), ("", None), ("n/a", None), ("-5", None), ("nan", None)],
)  # fmt: skip
def test_duration_seconds(text: str, seconds: int | None) -> None:
    assert duration_seconds(text) == seconds


def test_cell_keys() -> None:
    assert cell_key("234/15/1201/30051") == cell_key(" 234-15-1201-30051 ") == "234-15-1201-30051"
    assert cell_key("30051", network="234 15") == "234-15:30051"
    assert cell_key("") == ""


HEADER = "Target MSISDN,Event Type,A Number,B Number,Start Time,Duration,IMEI,First Cell ID\r\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_give_format_errors_or_records(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cdr.csv"
        path.write_bytes(data)
        with contextlib.suppress(FormatError):
            read_items("cdr", path)


_cell = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_cell, min_size=0, max_size=10), max_size=6))
def test_random_rows_load_or_go_to_quarantine(rows: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cdr.csv"
        body = "".join(",".join('"' + c.replace('"', '""') + '"' for c in row) + "\r\n" for row in rows)
        path.write_text(HEADER + body, encoding="utf-8")
        items = read_items("cdr", path, CELLS)
        assert len(calls(items)) + len([q for q in quarantined(items) if q.file == str(path)]) <= len(rows)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.text(max_size=20))
def test_event_time_raises_only_time_errors(text: str, zone: str) -> None:
    try:
        stamp = event_time(text, zone=zone)
    except TimeError:
        return
    assert stamp.tzinfo is UTC


def test_kinds_of_everything_in_the_fixture() -> None:
    items = read_items("cdr", CDR, CELLS)
    labels = Counter(n.label for b in bundles(items) for n in b.nodes)
    assert (labels["Call"], labels["Device"], labels["Place"]) == (9, 8, 12)  # 3 site records + 9 in calls


@pytest.mark.parametrize(
    ("header", "row"),
    [
        (
            "Target,A Number,B Number,Date,Start Time,Timezone",
            "447700900123,447700900123,447700900456,14/03/2021,18:22:05,UTC",
        ),
        (
            "Target,A Number,B Number,Time",
            "447700900123,447700900123,447700900456,14/03/2021 18:22:05 +00:00",
        ),
        (
            "Target,A Number,B Number,Date,Start Time",
            "447700900123,447700900123,447700900456,,2021-03-14T18:22:05Z",
        ),
    ],
)
def test_start_times_split_or_whole(tmp_path: Path, header: str, row: str) -> None:
    path = tmp_path / "cdr.csv"
    path.write_text(f"{header}\n{row}\n")
    (bundle,) = calls(read_items("cdr", path)).values()
    assert _call(bundle)["occurred_from"] == dt.datetime(2021, 3, 14, 18, 22, 5, tzinfo=UTC)

"""data.police.uk street-level crime and stop and search, real sample and awkward fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from polegraph.loaders.base import LoaderOptions, get_loader
from polegraph.loaders.check import bundle_problems
from polegraph.loaders.csvio import FormatError
from polegraph.loaders.records import Bundle, LoadContext, Node, Quarantined

FIXTURES = Path(__file__).parent.parent / "fixtures" / "police_uk"
SHARED_DATA = Path(
    os.environ.get("POLEGRAPH_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")
)
SAMPLE = SHARED_DATA / "police_uk" / "2026-02-west-yorkshire-street.SAMPLE_first31rows.csv"


def read(fmt: str, path: Path) -> tuple[list[Bundle], list[Quarantined]]:
    spec = get_loader(fmt)
    ctx = LoadContext(force="WYP", system=spec.system, load_id="test", source_file=str(path))
    items = list(spec.read(path, ctx, LoaderOptions()))
    bundles = [i for i in items if isinstance(i, Bundle)]
    for bundle in bundles:
        assert bundle_problems(bundle) == []
    return bundles, [i for i in items if isinstance(i, Quarantined)]


def event(bundle: Bundle) -> Node:
    return bundle.nodes[0]


def test_the_real_west_yorkshire_sample_loads_whole() -> None:
    assert SAMPLE.is_file(), f"the data.police.uk sample is not at {SAMPLE}: set POLEGRAPH_SHARED_DATA"
    bundles, bad = read("police-uk-street", SAMPLE)
    assert (len(bundles), bad) == (31, [])
    asb = [b for b in bundles if not b.source.payload["Crime ID"]]
    assert asb
    assert all(event(b).props["crime_type"] == "Anti-social behaviour" for b in asb)
    assert all("reference" not in event(b).props for b in asb)
    burglary = bundles[1]
    crime = event(burglary)
    assert burglary.source.record_id == crime.props["reference"]
    assert crime.uid == f"crime:WYP:POLICE_UK:{crime.props['reference']}"
    assert crime.props["occurred_from"] == "2026-02-01T00:00:00+00:00"
    assert crime.props["occurred_to"] == "2026-02-28T23:59:59.999999+00:00"
    assert crime.props["location_description"] == "On or near Cornerstones Close"
    place = burglary.nodes[1]
    assert (place.label, place.uid) == ("Place", "place:police_uk:53.941733,-1.872959")
    (scene,) = burglary.edges
    assert (scene.type, scene.start_uid, scene.end_uid, scene.props) == (
        "OCCURRED_AT", crime.uid, place.uid, {"role": "SCENE"},
    )  # fmt: skip
    assert burglary.source.payload["LSOA name"] == "Bradford 001A"  # kept, though not mapped


@pytest.fixture(scope="module")
def street() -> tuple[dict[int, Bundle], dict[int, Quarantined]]:
    bundles, bad = read("police-uk-street", FIXTURES / "street_awkward.csv")
    return {b.source.line: b for b in bundles}, {q.line: q for q in bad}


def test_street_months_in_any_format_name_the_month(
    street: tuple[dict[int, Bundle], dict[int, Quarantined]],
) -> None:
    bundles, bad = street
    # 2026-02, 02/2026, Feb 2026 and a whole date all mean February 2026.
    for line in (2, 4, 6, 7):
        assert event(bundles[line]).props["occurred_from"] == "2026-02-01T00:00:00+00:00", line
        assert event(bundles[line]).props["occurred_to"] == "2026-02-28T23:59:59.999999+00:00", line
    assert (bad[8].field, bad[8].reason) == ("Month", "'2026' is not a month: no month given")
    assert (bad[9].field, bad[9].reason) == ("Month", "'' is not a month: empty")
    assert (bad[10].field, bad[10].reason) == ("Crime type", "the crime type is empty")
    assert bad[10].raw.startswith("f6a0b6,2026-02,")
    assert sorted(bundles) == [2, 3, 4, 5, 6, 7, 11, 12, 13]


def test_street_duplicates(street: tuple[dict[int, Bundle], dict[int, Quarantined]]) -> None:
    bundles, _ = street
    # Identical anti-social behaviour rows are two incidents: the second hash gets "-2".
    first, second = bundles[2].source.record_id, bundles[3].source.record_id
    assert len(first) == 32
    assert second == f"{first}-2"
    assert event(bundles[2]).uid != event(bundles[3]).uid
    # A repeated Crime ID is the same crime: the same record, so the writer merges it.
    assert event(bundles[4]).uid == event(bundles[5]).uid == "crime:WYP:POLICE_UK:a1f0c1"


def test_street_encodings_line_endings_and_extra_columns(
    street: tuple[dict[int, Bundle], dict[int, Quarantined]],
) -> None:
    bundles, _ = street
    # The Windows-1252 row and the UTF-8 row spell the same café.
    assert event(bundles[4]).props["location_description"] == "On or near Café Row"
    assert event(bundles[7]).props["location_description"] == "On or near Café Row"
    assert event(bundles[7]).props["mo_text"] == "Seen by CCTV, two males"
    assert not any(v.endswith("\r") for v in bundles[7].source.payload.values() if isinstance(v, str))
    assert bundles[11].source.payload["Extra Notes"] == "note x"
    assert bundles[13].source.payload["_extra"] == ["cell past the header"]


def test_street_coordinates_that_are_missing_or_impossible_make_no_place(
    street: tuple[dict[int, Bundle], dict[int, Quarantined]],
) -> None:
    bundles, _ = street
    for line in (6, 11, 12):  # empty, "abc", latitude 95
        assert [n.label for n in bundles[line].nodes] == ["Crime"], line
        assert bundles[line].edges == ()
        assert "latitude" not in event(bundles[line]).props
    # Crimes at one snap point meet at one Place.
    assert bundles[2].nodes[1].uid == bundles[3].nodes[1].uid


def test_street_files_with_columns_missing_still_load() -> None:
    bundles, bad = read("police-uk-street", FIXTURES / "street_missing_columns.csv")
    assert bad == []
    assert len(bundles) == 3
    ids = [b.source.record_id for b in bundles]
    assert ids[1] == f"{ids[0]}-2"
    assert len(set(ids)) == 3
    assert event(bundles[2]).props["crime_type"] == "Criminal damage and arson"


def test_street_content_ids_ignore_column_order_and_extra_columns(tmp_path: Path) -> None:
    a = tmp_path / "a.csv"
    a.write_text("Month,Crime type,Location\n2026-02,Anti-social behaviour,On or near X\n", encoding="utf-8")
    b = tmp_path / "b.csv"
    b.write_text(
        "Location,Force note,Crime type,Month\nOn or near X,new,Anti-social behaviour,2026-02\n",
        encoding="utf-8",
    )
    (one,), _ = read("police-uk-street", a)
    (two,), _ = read("police-uk-street", b)
    assert one.source.record_id == two.source.record_id


def test_street_files_without_a_month_column_are_refused() -> None:
    with pytest.raises(
        FormatError, match=r"street_no_month\.csv: the header lacks the column\(s\) Month"
    ) as caught:
        read("police-uk-street", FIXTURES / "street_no_month.csv")
    assert caught.value.hint is not None
    assert "Crime ID, Reported by, Crime type" in caught.value.hint


@pytest.mark.parametrize("fmt", ["police-uk-street", "police-uk-stop-search"])
@pytest.mark.parametrize("name", ["empty.csv", "street_header_only.csv"])
def test_empty_files_load_nothing(fmt: str, name: str) -> None:
    if fmt == "police-uk-stop-search" and name == "street_header_only.csv":
        with pytest.raises(FormatError, match="lacks the column"):  # a street header is no search header
            read(fmt, FIXTURES / name)
        return
    assert read(fmt, FIXTURES / name) == ([], [])


@pytest.fixture(scope="module")
def searches() -> tuple[dict[int, Bundle], dict[int, Quarantined]]:
    bundles, bad = read("police-uk-stop-search", FIXTURES / "stop_search_awkward.csv")
    return {b.source.line: b for b in bundles}, {q.line: q for q in bad}


def test_stop_search_rows_become_searches_at_their_snap_points(
    searches: tuple[dict[int, Bundle], dict[int, Quarantined]],
) -> None:
    bundles, _ = searches
    first = bundles[2]
    search = event(first)
    assert search.label == "StopSearch"
    assert search.props == {
        "search_type": "PERSON",
        "part_of_operation": False,
        "subject_gender": "Male",
        "subject_age_range": "18-24",
        "self_defined_ethnicity": "White - English/Welsh/Scottish/Northern Irish/British",
        "officer_defined_ethnicity": "WHITE",
        "legislation": "Misuse of Drugs Act 1971 (section 23)",
        "object_of_search": "Controlled drugs",
        "outcome": "A no further action disposal",
        "outcome_linked_to_object": False,
        "outer_clothing_removed": False,
        "occurred_from": "2026-02-01T00:20:00+00:00",
        "occurred_to": "2026-02-01T00:20:00+00:00",
        "latitude": 53.79,
        "longitude": -1.54,
    }
    (edge,) = first.edges
    assert (edge.type, edge.props, edge.end_uid) == (
        "OCCURRED_AT",
        {"role": "SEARCH"},
        "place:police_uk:53.790000,-1.540000",
    )
    assert first.source.payload["Force"] == "WYP"  # an extra column, kept


def test_stop_search_dates_types_and_flags(
    searches: tuple[dict[int, Bundle], dict[int, Quarantined]],
) -> None:
    bundles, bad = searches
    vehicle = event(bundles[4])
    assert vehicle.props["search_type"] == "VEHICLE"
    assert vehicle.props["occurred_from"] == "2026-02-01T14:30:00+00:00"  # day first, GMT
    assert "outer_clothing_removed" not in vehicle.props  # empty: not recorded
    assert [n.label for n in bundles[4].nodes] == ["StopSearch"]  # no coordinates, no place
    both = event(bundles[5])
    assert both.props["search_type"] == "PERSON_AND_VEHICLE"
    assert both.props["occurred_from"] == "2025-07-01T12:00:00+01:00"  # local time in summer is BST
    assert "part_of_operation" not in both.props
    assert event(bundles[6]).props["occurred_from"] == "2025-07-01T12:00:00+01:00"
    odd = event(bundles[9])
    assert "search_type" not in odd.props  # "Strip search" is no search type: left in the payload
    assert "part_of_operation" not in odd.props  # "maybe"
    assert odd.props["object_of_search"] == "Article for use in theft \u2013 tools"  # a Windows-1252 dash
    assert (bad[7].field, bad[7].reason) == (
        "Date",
        "'32/01/2026' is not a date and time: January 2026 has no day 32",
    )
    assert bad[8].field == "Date"
    assert sorted(bundles) == [2, 3, 4, 5, 6, 9]


def test_identical_stop_searches_are_two_searches(
    searches: tuple[dict[int, Bundle], dict[int, Quarantined]],
) -> None:
    bundles, _ = searches
    assert bundles[3].source.record_id == f"{bundles[2].source.record_id}-2"
    assert event(bundles[2]).uid != event(bundles[3]).uid

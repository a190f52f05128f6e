"""Custody loader: the detained person's identifiers and ethnicities, arrest, suite, seized devices."""

from __future__ import annotations

from pathlib import Path

from polegraph.loaders.records import Bundle
from tests.loaders.test_nominals import (
    FIXTURES,
    bundles_of,
    csv_record_count,
    edges,
    node,
    quarantined_of,
    read_all,
)

CUSTODY = FIXTURES / "custody" / "custody_records.csv"
NICHE = FIXTURES / "crime" / "niche_occurrences.csv"


def by_number(path: Path = CUSTODY) -> dict[str, Bundle]:
    return {b.source.record_id: b for b in bundles_of(read_all("custody", path))}


def test_every_record_is_a_bundle_or_quarantined() -> None:
    items = read_all("custody", CUSTODY)
    assert len(items) == csv_record_count(CUSTODY) == 6
    assert len(bundles_of(items)) == 5
    assert [(q.line, q.field) for q in quarantined_of(items)] == [(6, "custody_number")]


def test_detention_and_the_detained_person() -> None:
    record = by_number()["WY/C/24/010001"]
    custody = node(record, "Custody").props
    assert custody["arrest_summons_number"] == "2411WY0100001A"
    assert custody["arrested_at"] == "2024-03-05T14:25:00+00:00"
    assert (custody["occurred_from"], custody["occurred_to"]) == (
        "2024-03-05T15:02:00+00:00",
        "2024-03-06T11:40:00+00:00",
    )
    assert custody["offences"] == ["Possession with intent to supply Class A", "Obstruct police"]
    assert custody["disposal"] == "Charged"
    person = node(record, "Person", "detained").props
    assert person["pnc_id"] == "2021/0045012V"
    assert person["cro"] == "123456/21C"
    assert person["nino"] == "JT456789D"
    assert person["aliases"] == ["MO", "IMMY"]
    assert (person["self_defined_ethnicity"], person["officer_defined_ethnicity"]) == ("A9", "IC4")
    (detained,) = edges(record, "INVOLVED_IN")[:1]
    assert detained.props == {"role": "DETAINED"}
    places = {e.props["role"]: e.end_uid for e in edges(record, "OCCURRED_AT")}
    assert places == {
        "ARREST": "address:DYER STREET LEEDS LS2 7HR",
        "CUSTODY_SUITE": "place:custody_suite:ELLAND ROAD CUSTODY SUITE",
    }
    assert record.source.payload["interpreter"] == ""


def test_seized_devices_including_a_bad_imei() -> None:
    seized = {
        e.start_uid: e.props["role"]
        for b in by_number().values()
        for e in edges(b, "INVOLVED_IN")
        if e.start_label == "Device"
    }
    assert seized == {
        "device:356938035643809": "SEIZED",
        "device:490154203237518": "SEIZED",  # 14 digits: the check digit is added
        "device:352099001761481": "SEIZED",
        "device:356938035643801": "SEIZED",
    }
    bad = node(by_number()["WY/C/24/010003"], "Device").props
    assert bad["valid"] is False


def test_invalid_identifiers_and_missing_ethnicity_keep_the_record() -> None:
    records = by_number()
    piotr = node(records["WY/C/24/010003"], "Person").props
    assert piotr["surname"] == "KOWALSKE"  # a Windows-1252 byte in a UTF-8 file
    assert piotr.keys().isdisjoint({"pnc_id", "cro", "nino"})
    assert records["WY/C/24/010003"].source.payload["pnc_id"] == "2019/0123456X"
    people = [node(b, "Person").props for b in records.values()]
    no_officer_view = [p["surname"] for p in people if "officer_defined_ethnicity" not in p]
    no_self_view = [p["surname"] for p in people if "self_defined_ethnicity" not in p]
    assert sorted(no_officer_view) == ["BROWN", "KOWALSKE"]
    assert no_self_view == ["KOWALSKE"]


def test_arrest_summons_number_stands_in_for_a_missing_custody_number() -> None:
    record = by_number()["2411WY0100004D"]
    assert "custody_number" not in node(record, "Custody").props
    assert node(record, "Person").props["dob"] == "1980-01-01"


def test_a_phone_in_custody_and_in_a_crime_record_is_one_node() -> None:
    custody_phone = node(by_number()["WY/C/24/010002"], "Phone")
    assert custody_phone.props["raw_values"] == ["+44 (0)7700 900123"]
    crime = next(b for b in bundles_of(read_all("crime", NICHE)) if b.source.record_id == "13/2024/000101")
    assert custody_phone.uid == node(crime, "Phone", "900123").uid

"""Crime/occurrence loader: Niche-style CSV, Athena-style CSV and Connect-style JSON lines."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polegraph.loaders.csvio import FormatError
from polegraph.loaders.records import Bundle
from tests.loaders.test_nominals import (
    CELLS,
    FIXTURES,
    bundles_of,
    csv_record_count,
    edges,
    node,
    quarantined_of,
    read_all,
)

NICHE = FIXTURES / "crime" / "niche_occurrences.csv"
ATHENA = FIXTURES / "crime" / "athena_minimal.csv"
CONNECT = FIXTURES / "crime" / "connect_occurrences.jsonl"


def by_reference(items: list[Any]) -> dict[str, Bundle]:
    return {b.source.record_id: b for b in bundles_of(items)}


def test_every_csv_record_is_a_bundle_or_quarantined() -> None:
    items = read_all("crime", NICHE)
    assert len(items) == csv_record_count(NICHE) == 7
    assert len(bundles_of(items)) == 5
    assert [(q.line, q.field) for q in quarantined_of(items)] == [(5, "reference"), (8, None)]
    assert "unterminated" in quarantined_of(items)[1].reason


def test_nominals_in_numbered_columns_take_their_roles_to_the_edge() -> None:
    crime = by_reference(read_all("crime", NICHE))["13/2024/000102"]
    roles = {(e.start_uid.rsplit(":", 1)[1], e.props["role"]) for e in edges(crime, "INVOLVED_IN")}
    assert roles == {("nominal1", "ARRESTED"), ("nominal2", "WITNESS"), ("+447700900789", "USED")}
    event = node(crime, "Crime")
    assert event.props["offence_code"] == "92/1"
    assert event.props["county_lines_flag"] is True
    assert event.props["cce_flag"] is True
    assert event.props["occurred_from"] == event.props["occurred_to"] == "2024-03-05T13:55:00+00:00"
    arrested = node(crime, "Person", "nominal1")
    assert arrested.props["pnc_id"] == "2021/0045012V"


def test_scene_vehicle_and_suspect_phone() -> None:
    crime = by_reference(read_all("crime", NICHE))["13/2024/000101"]
    scene = [e for e in edges(crime, "OCCURRED_AT") if e.props["role"] == "SCENE"]
    assert [e.end_uid for e in scene] == ["address:uprn:72012345"]
    vehicle = node(crime, "Vehicle")
    assert vehicle.props == {
        "vrm": "AB12CDE", "valid": True, "raw_values": ["AB12 CDE"], "make": "Ford", "model": "Fiesta",
        "colour": "Silver",
    }  # fmt: skip
    (used,) = [e for e in edges(crime, "INVOLVED_IN") if e.start_label == "Vehicle"]
    assert used.props == {"role": "USED", "role_raw": "Used by offender"}
    suspect_phone = [e.end_uid for e in edges(crime, "HAS_PHONE") if e.start_uid.endswith("nominal2")]
    assert suspect_phone == ["phone:+447700900123"]
    assert crime.source.payload["officer_notes"] == "seen on doorbell camera"


def test_invalid_identifiers_keep_the_record() -> None:
    crime = by_reference(read_all("crime", NICHE))["13/2024/000103"]
    phones = {n.props["e164"]: n.props["valid"] for n in crime.nodes if n.label == "Phone"}
    assert phones == {"+44011349600": False, "999": False}
    assert node(crime, "Vehicle").props["valid"] is False
    victim = node(crime, "Person", "nominal1")
    assert "pnc_id" not in victim.props  # wrong check letter: left off, still in the payload
    assert crime.source.payload["nominal_1_pnc_id"] == "2019/0123456X"
    assert victim.props["dob"] == "1990-02"  # 31/02: only the year and month are known
    assert "latitude" not in node(crime, "Crime").props  # latitude 999
    unknown = node(crime, "Person", "nominal2")
    assert unknown.props == {"sex": "UNKNOWN"}


def test_mixed_dates_windows_1252_bytes_and_extra_cells() -> None:
    crime = by_reference(read_all("crime", NICHE))["13/2024/000104"]
    event = node(crime, "Crime").props
    assert event["reported_at"] == "2024-03-01T14:30:00+00:00"
    assert event["occurred_from"] == "2024-02-29T00:00:00+00:00"
    assert event["domestic_abuse_flag"] is True
    assert "café" in event["mo_text"]
    assert node(crime, "Person", "nominal1").props["surname"] == "ONEILL"
    assert crime.source.payload["_extra_cells"] == ["extra cell one", "extra cell two"]


def test_a_duplicate_row_gives_the_same_record() -> None:
    items = bundles_of(read_all("crime", NICHE))
    first, duplicate = (b for b in items if b.source.record_id == "13/2024/000101")
    assert first.source.key == duplicate.source.key
    assert first.source.hash == duplicate.source.hash
    assert first.nodes == duplicate.nodes
    assert first.edges == duplicate.edges


def test_athena_columns_and_role_named_groups() -> None:
    items = read_all("crime", ATHENA)
    robbery = by_reference(items)["WY/24/0099123"]
    suspect = node(robbery, "Person", "suspect1")
    assert suspect.props["aliases"] == ["RINGO"]
    assert suspect.props["pnc_id"] == "2015/0098765F"
    roles = sorted(e.props["role"] for e in edges(robbery, "INVOLVED_IN"))
    assert roles == ["SUSPECT", "VICTIM"]
    event = node(robbery, "Crime").props
    assert event["location_description"] == "Outside Co-op Beeston Road"
    assert event["cce_flag"] is True
    assert event["county_lines_flag"] is True
    assert [e.end_uid for e in edges(robbery, "OCCURRED_AT")] == ["postcode:LS11 0PQ"]
    assert len(by_reference(items)["WY/24/0099124"].nodes) == 1


def test_json_lines_occurrences() -> None:
    items = read_all("crime", CONNECT)
    assert len(items) == 7
    assert [(q.line, q.field) for q in quarantined_of(items)] == [(2, None), (4, None), (5, "reference")]
    burglary = by_reference(items)["CON/24/000501"]
    assert burglary.source.payload["custom_field_not_in_model"] == {"nested": True}
    scene = node(burglary, "Address", "uprn:")
    assert scene.props["latitude"] == 53.8105
    assert scene.props["postcode"] == "LS4 2JR"
    roles = {e.start_uid.split(":")[-1]: e.props["role"] for e in edges(burglary, "INVOLVED_IN")}
    assert roles == {"n1": "REPORTING_PERSON", "n2": "VICTIM", "N778812": "SUSPECT", "YX68KLM": "STOLEN",
                     "+447700900123": "USED"}  # fmt: skip
    suspect = node(burglary, "Person", "nominal:N778812")
    assert suspect.props["aliases"] == ["KYZER"]
    assert suspect.props["pnc_id"] == "2019/0123456E"
    (home,) = [e for e in edges(burglary, "LIVES_AT") if e.start_uid.endswith(":n2")]
    assert home.end_uid == "address:7 BANKFIELD TERRACE LEEDS LS4 2JR"
    assert node(burglary, "Crime").props["domestic_abuse_flag"] is True
    cse = by_reference(items)["CON/24/000502"]
    assert node(cse, "Crime").props["cse_flag"] is True
    assert node(cse, "Person", ":n1").props == {"full_name": "A, CHILD", "forenames": "CHILD", "surname": "A",
                                                 "age": 14, "sex": "FEMALE"}  # fmt: skip
    assert node(by_reference(items)["CON/24/000505"], "Crime").props["mo_text"] == "Took £40 of razors"


def test_listed_phones_and_vehicles_in_one_cell(tmp_path: Path) -> None:
    path = tmp_path / "listed.csv"
    path.write_text("Crime Ref,Phones,Vehicles\nX/1,07700 900123; 07700 900456,AB12 CDE | YX68KLM\n")
    (crime,) = read_all("crime", path)
    assert isinstance(crime, Bundle)
    assert sorted(e.start_uid for e in edges(crime, "INVOLVED_IN")) == [
        "phone:+447700900123",
        "phone:+447700900456",
        "vehicle:AB12CDE",
        "vehicle:YX68KLM",
    ]


def test_one_phone_in_two_records_is_one_node() -> None:
    niche = by_reference(read_all("crime", NICHE))["13/2024/000101"]
    connect = by_reference(read_all("crime", CONNECT))["CON/24/000501"]
    assert node(niche, "Phone", "900123").uid == node(connect, "Phone", "900123").uid
    assert node(niche, "Person", "nominal2").uid != node(connect, "Person", "N778812").uid


def test_pretty_printed_json_is_not_json_lines(tmp_path: Path) -> None:
    pretty = tmp_path / "pretty.jsonl"
    pretty.write_text('{\n  "reference": "X"\n}\n')
    with pytest.raises(FormatError, match="not JSON lines"):
        read_all("crime", pretty)


# -- fuzzing -----------------------------------------------------------------------------------

_JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | CELLS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(CELLS, inner, max_size=3),
    max_leaves=8,
)
_FIELDS = st.sampled_from(
    ["reference", "nominals", "vehicles", "phones", "location", "flags", "committed_from", "latitude",
     "longitude", "postcode", "address", "uprn"]
)  # fmt: skip
_NOMINAL = st.dictionaries(
    st.sampled_from(["role", "name", "surname", "dob", "phones", "address", "pnc_id", "aliases", "id"]),
    _JSON_VALUE,
    max_size=5,
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries({"reference": CELLS}, optional={"nominals": st.lists(_NOMINAL, max_size=3)})
        | st.dictionaries(_FIELDS, _JSON_VALUE, max_size=6),
        min_size=1,
        max_size=5,
    )
)
def test_random_json_objects_are_bundles_or_quarantined(objects: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.jsonl"
        path.write_text("\n".join(json.dumps(o) for o in objects) + "\n", encoding="utf-8")
        assert len(read_all("crime", path)) == len(objects)

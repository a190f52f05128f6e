"""Shared column-to-node helpers, and the checks every loader test uses (``read_all``, ``assert_sound``)."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import strategies as st

from polegraph.loaders.base import LoaderOptions, get_loader
from polegraph.loaders.check import bundle_problems
from polegraph.loaders.csvio import FormatError, read_csv
from polegraph.loaders.nominals import (
    BundleBuilder,
    add_location,
    add_object,
    add_person,
    coordinates,
    csv_rows,
    flag,
    integer,
    numbered,
    person_props,
    pick,
    pick_list,
    when,
)
from polegraph.loaders.records import Bundle, LoadContext, Quarantined, SourceRecord, value_uid
from polegraph.schema import load_ontology
from polegraph.schema.model import IDENTITY_VALUE, PropertySpec
from polegraph.types import PartialDate

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


# -- helpers the format tests share ------------------------------------------------------------


def context(fmt: str, path: Path) -> LoadContext:
    return LoadContext(force="WYP", system=get_loader(fmt).system, load_id="test-load", source_file=str(path))


def read_all(fmt: str, path: Path) -> list[Bundle | Quarantined]:
    """Everything the loader of ``fmt`` yields for ``path``, each bundle checked with ``assert_sound``."""
    items = list(get_loader(fmt).read(path, context(fmt, path), LoaderOptions()))
    for item in items:
        if isinstance(item, Bundle):
            assert_sound(item)
        else:
            assert isinstance(item, Quarantined)
            assert item.file == str(path)
            assert item.line >= 1
            assert item.reason
    return items


def bundles_of(items: list[Bundle | Quarantined]) -> list[Bundle]:
    return [i for i in items if isinstance(i, Bundle)]


def quarantined_of(items: list[Bundle | Quarantined]) -> list[Quarantined]:
    return [i for i in items if isinstance(i, Quarantined)]


def csv_record_count(path: Path) -> int:
    """How many records a CSV holds, as the tolerant reader sees them (bad rows included)."""
    return sum(1 for _ in read_csv(path))


def _value_ok(spec: PropertySpec, value: Any) -> bool:
    checks = {
        "enum": lambda v: v in spec.values,
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, float | int) and not isinstance(v, bool),
        "datetime": lambda v: isinstance(v, str) and dt.datetime.fromisoformat(v).tzinfo is not None,
        "date": lambda v: isinstance(v, str) and PartialDate.from_iso(v) is not None,
    }
    return checks.get(spec.type, lambda v: isinstance(v, str) and v != "")(value)


def assert_sound(bundle: Bundle) -> None:
    """The ontology check the writer runs, and what it does not check: value types, enums, uids."""
    assert bundle_problems(bundle) == []
    onto = load_ontology()
    for node in bundle.nodes:
        entity = onto.entity(node.label)
        for name, value in node.props.items():
            spec = entity.get(name)
            assert spec is not None
            for item in value if spec.multiple else [value]:
                assert _value_ok(spec, item), f"{node.label}.{name} = {item!r}"
        if entity.identity == IDENTITY_VALUE:
            key = "|".join(str(node.props[p.name]) for p in entity.key_properties)
            assert node.uid == value_uid(node.label, key)
        else:
            assert node.uid.startswith(f"{node.label.lower()}:{bundle.source.force}:{bundle.source.system}:")
    for edge in bundle.edges:
        rel = onto.relationship(edge.type)
        for name, value in edge.props.items():
            spec = rel.get(name)
            assert spec is not None, f"{edge.type} has no {name}"
            assert _value_ok(spec, value), f"{edge.type}.{name} = {value!r}"
    if bundle.labels:
        assert set(bundle.labels) <= {"classification", "descriptors", "handling_code", "handling_conditions"}
    assert len({n.uid for n in bundle.nodes}) == len(bundle.nodes)


def node(bundle: Bundle, label: str, uid_part: str = "") -> Any:
    """The one node of ``label`` whose uid contains ``uid_part``."""
    found = [n for n in bundle.nodes if n.label == label and uid_part in n.uid]
    assert len(found) == 1, [n.uid for n in bundle.nodes if n.label == label]
    return found[0]


def edges(bundle: Bundle, rel: str) -> list[Any]:
    return [e for e in bundle.edges if e.type == rel]


def refuses_wrong_files(fmt: str, tmp_path: Path) -> None:
    """A ZIP, a JSON file, a missing file and a CSV of another kind each stop with one FormatError."""
    archive = tmp_path / "report.ufdr"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("report.xml", "<project/>")
    other_csv = tmp_path / "other.csv"
    other_csv.write_text("Type,Date,Part of a policing operation\nPerson search,2017-08-01,False\n")
    json_file = tmp_path / "export.json"
    json_file.write_text('[{"reference": "X1"}]')
    for path in (archive, json_file, tmp_path / "absent.csv", other_csv):
        with pytest.raises(FormatError):
            list(get_loader(fmt).read(path, context(fmt, path), LoaderOptions()))


def header_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8", errors="replace") as handle:  # fixtures mix in Windows-1252 bytes
        return next(csv.reader(handle))


# Cells as exports hold them, and anything else a keyboard or an encoding slip makes (no NUL:
# a NUL byte marks a binary file, refused before any row is read).
CELLS = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)


def fuzz_rows(fmt: str, header: list[str], rows: list[list[str]]) -> None:
    """Random rows under a real header: every record is a sound bundle or quarantined, none lost."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(rows)
        assert len(read_all(fmt, path)) == csv_record_count(path)


def fuzz_bytes(fmt: str, data: bytes) -> None:
    """Random bytes: a FormatError, or records that are sound bundles or quarantined."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.csv"
        path.write_bytes(data)
        with contextlib.suppress(FormatError):
            read_all(fmt, path)


# -- fields ------------------------------------------------------------------------------------


def test_pick_takes_the_first_alias_with_a_value() -> None:
    assert pick({"urn": "", "reference": " R1 "}, "urn", "reference") == "R1"
    assert pick({"count": 3, "flag": True}, "count") == "3"
    assert pick({"nested": {"a": 1}}, "nested") == ""


def test_pick_list_reads_json_lists_and_separated_text() -> None:
    assert pick_list({"phones": ["07700 900123", "", "07700 900123"]}, "phones") == ["07700 900123"]
    assert pick_list({"aliases": "Mo; Immy | Moz\nMo"}, "aliases") == ["Mo", "Immy", "Moz"]


def test_numbered_groups_repeated_columns_by_prefix_and_number() -> None:
    fields = {
        "nominal_2_name": "B", "nominal_1_name": "A", "nominal_1_role": "Victim", "suspect_1_name": "C",
        "phone_1": "07700 900123", "nominal_3_name": "", "address_line_1": "12 High St",
    }  # fmt: skip
    groups = numbered(fields, ("nominal", "suspect", "phone"))
    assert groups == [
        ("nominal", 1, {"name": "A", "role": "Victim"}),
        ("nominal", 2, {"name": "B"}),
        ("suspect", 1, {"name": "C"}),
        ("phone", 1, {"value": "07700 900123"}),
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Y", True), ("yes", True), ("TRUE", True), ("1", True), ("x", True), ("N", False), ("no", False),
     ("0", False), ("", None), ("maybe", None)],
)  # fmt: skip
def test_flag(raw: str, expected: bool | None) -> None:
    assert flag(raw) is expected


def test_integer_and_coordinates() -> None:
    assert integer("3") == 3
    assert integer("03") == 3
    assert integer("3.0") == 3
    assert integer("3.5") is None
    assert integer("nan") is None
    assert integer("") is None
    assert coordinates("53.8", "-1.52") == {"latitude": 53.8, "longitude": -1.52}
    assert coordinates("0", "0") == {}
    assert coordinates("999", "1") == {}
    assert coordinates("inf", "1") == {}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("01/03/2024 14:30", "2024-03-01T14:30:00+00:00"),
        ("2024-07-01 14:30", "2024-07-01T14:30:00+01:00"),  # British Summer Time
        ("2024-07-01T14:30:00Z", "2024-07-01T14:30:00+00:00"),
        ("1 Mar 2024 2:30pm", "2024-03-01T14:30:00+00:00"),
        ("13/07/2024", "2024-07-13T00:00:00+01:00"),
        ("01/07/2024 14:30 UTC", "2024-07-01T14:30:00+00:00"),
        ("31/02/2024 10:00", None),
        ("March 2024", None),
        ("25:00 01/03/2024", None),
        ("", None),
    ],
)
def test_when_reads_uk_local_times_with_their_offset(raw: str, expected: str | None) -> None:
    assert when(raw, ZoneInfo("Europe/London")) == expected


def test_when_converts_to_utc_on_request() -> None:
    assert when("2024-07-01T14:30:00+01:00", dt.UTC, to_utc=True) == "2024-07-01T13:30:00+00:00"
    assert when("2024-07-01 14:30", dt.UTC, to_utc=True) == "2024-07-01T14:30:00+00:00"


# -- nodes -------------------------------------------------------------------------------------


def _builder() -> BundleBuilder:
    return BundleBuilder(SourceRecord("CRIME", "WYP", "R1", 2, {}))


def test_objects_are_keyed_by_value_and_keep_invalid_ones_flagged() -> None:
    b = _builder()
    first = add_object(b, "Phone", "07700 900123")
    second = add_object(b, "Phone", "+44 (0)7700 900123")
    bad = add_object(b, "Device", "356938035643801")
    assert first is not None
    assert second is not None
    assert bad is not None
    assert first.uid == second.uid == "phone:+447700900123"
    merged = node(b.bundle(), "Phone")
    assert merged.props["raw_values"] == ["07700 900123", "+44 (0)7700 900123"]
    assert bad.props == {"imei": "356938035643801", "valid": False, "raw_values": ["356938035643801"]}
    assert add_object(b, "Phone", "no digits here") is None
    assert_sound(b.bundle())


def test_location_prefers_the_uprn_and_links_the_postcode() -> None:
    b = _builder()
    by_uprn = add_location(b, "12 Harehills Lane, Leeds", "LS8 5AB", "72012345")
    by_text = add_location(b, "12 Harehills Ln, Leeds", "ls85ab")
    postcode_only = add_location(b, "", "LS8 5AB")
    nothing = add_location(b, "", "LS8", "0")
    assert by_uprn is not None
    assert by_uprn.uid == "address:uprn:72012345"
    assert by_text is not None
    assert by_text.props["address_key"] == "12 HAREHILLS LANE LEEDS LS8 5AB"
    assert postcode_only is not None
    assert postcode_only.uid == "postcode:LS8 5AB"
    assert nothing is None
    bundle = b.bundle()
    assert len(edges(bundle, "IN_POSTCODE")) == 2
    assert_sound(bundle)


def test_person_props_normalise_every_field() -> None:
    props = person_props(
        {
            "surname": "Khan", "forenames": "Mohammed", "middle_name": "Imran", "aliases": "Mo; Immy",
            "dob": "19/05/2006", "gender": "m", "ethnicity": "ic4", "self_defined_ethnicity": "A9",
            "pnc_id": "21/45012V", "cro": "123456/21C", "nino": "jt 45 67 89 d", "nationality": "British",
        }
    )  # fmt: skip
    assert props == {
        "full_name": "KHAN, MOHAMMED IMRAN", "forenames": "MOHAMMED IMRAN", "surname": "KHAN",
        "aliases": ["MO", "IMMY"], "dob": "2006-05-19", "sex": "MALE", "self_defined_ethnicity": "A9",
        "officer_defined_ethnicity": "IC4", "nationality": ["BRITISH"], "pnc_id": "2021/0045012V",
        "cro": "123456/21C", "nino": "JT456789D",
    }  # fmt: skip


def test_invalid_person_identifiers_are_left_off_and_missing_ethnicity_stays_absent() -> None:
    fields = {"name": "Piotr KOWALSKI", "pnc_id": "2019/0123456X", "cro": "999999/99Z", "nino": "ZZ123456A"}
    props = person_props({**fields, "self_defined_ethnicity": "Not recorded", "ode": "IC7"})
    assert props == {"full_name": "KOWALSKI, PIOTR", "forenames": "PIOTR", "surname": "KOWALSKI"}


def test_placeholder_names_are_not_names() -> None:
    assert person_props({"name": "UNKNOWN", "sex": "M"}) == {"sex": "MALE"}
    assert person_props({"name": "Unknown male 20s"}) == {}


def test_add_person_links_the_nominals_own_identifiers() -> None:
    b = _builder()
    person = add_person(
        b,
        {"name": "Kyle BROWN", "phone": "07700 900123", "email": "Kyle.B@Example.com", "vrm": "ab12 cde",
         "imei": "35693803564380", "address": "4 Ashley Road, Leeds", "postcode": "LS9 8AA"},
        "n1",
    )  # fmt: skip
    assert person is not None
    assert person.uid == "person:WYP:CRIME:R1:n1"
    bundle = b.bundle()
    assert {e.type for e in bundle.edges} == {
        "HAS_PHONE", "HAS_EMAIL", "DRIVES", "USES_DEVICE", "LIVES_AT", "IN_POSTCODE",
    }  # fmt: skip
    assert node(bundle, "Device").props["imei"] == "356938035643809"  # check digit added
    assert add_person(b, {"role": "Victim", "name": ""}, "n2") is None
    assert_sound(bundle)


def test_a_postcode_alone_is_an_association_not_a_home() -> None:
    b = _builder()
    add_person(b, {"name": "Ana NOVAK", "postcode": "LS6 1AB"}, "n1")
    (edge,) = b.bundle().edges
    assert (edge.type, edge.props) == ("ASSOCIATED_WITH", {"association": "OTHER"})


# -- CSV entry ---------------------------------------------------------------------------------


def test_csv_rows_refuses_json_and_csv_without_the_key_column(tmp_path: Path) -> None:
    json_lines = tmp_path / "a.csv"
    json_lines.write_text('{"urn": "X"}\n')
    with pytest.raises(FormatError, match="JSON"):
        list(csv_rows(json_lines, ("urn",), "an intelligence export"))
    other = tmp_path / "b.csv"
    other.write_text("Month,Crime type\n2017-08,Burglary\n")
    with pytest.raises(FormatError, match="no urn column"):
        list(csv_rows(other, ("urn",), "an intelligence export"))
    header_only = tmp_path / "c.csv"
    header_only.write_text("URN,Text\r\n")
    assert list(csv_rows(header_only, ("urn",), "an intelligence export")) == []

"""Reading queries: identifiers in every format, dates, names and free text; fuzzed with hypothesis."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from polegraph.schema import es_indices, load_ontology
from polegraph.search.clauses import plan_query
from polegraph.search.parse import PartKind, parse_query
from polegraph.types import DATE, PHONE, VRM, anpr_key
from polegraph.types.date import PartialDate


def kinds(text: str) -> dict[str, str]:
    return {p.kind.value: p.value for p in parse_query(text).parts}


@pytest.mark.parametrize(
    "text",
    [
        "07911 123456", "07911123456", "07911 123 456", "+44 7911 123456", "+44 (0)7911 123456",
        "0044 7911 123 456", "447911123456", "+447911123456", "mob: 07911-123-456",
    ],
)  # fmt: skip
def test_a_phone_in_any_format_is_one_number(text: str) -> None:
    assert kinds(text) == {"phone": "+447911123456"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("YX65 ABC", {"vrm": "YX65ABC"}),
        ("yx65abc", {"vrm": "YX65ABC"}),
        ("YX65A8C", {"vrm": "YX65A8C"}),  # an ANPR misread (8 for B) is still read as a mark
        ("OL16 1AA", {"postcode": "OL16 1AA"}),
        ("ol161aa", {"postcode": "OL16 1AA"}),
        ("OL16 1", {"postcode_sector": "OL16 1"}),
        ("M.Khan87@Example.COM", {"email": "m.khan87@example.com"}),
        ("PNC 08/56560Z", {"pnc_id": "2008/0056560Z"}),
        ("CRO 123456/21C", {"cro": "123456/21C"}),
        ("NI JT 45 67 89 D", {"nino": "JT456789D"}),
        ("IMEI 35693803564380", {"imei": "356938035643809"}),
        ("35 693803 564380 9", {"imei": "356938035643809"}),
        ("35-693803-564380-9", {"imei": "356938035643809"}),  # as handsets print it
        ("WY-INT-24-004411", {"reference": "WY-INT-24-004411"}),
        ("13/2024/000101", {"reference": "13/2024/000101"}),
        ("DOB 19/05/1987", {"date": "1987-05-19"}),
        ("19th May 1987", {"date": "1987-05-19"}),
        ("May 1987", {"date": "1987-05"}),
        ("1987", {"date": "1987"}),
    ],
)
def test_identifiers_and_dates_are_read_and_normalised(text: str, expected: dict[str, str]) -> None:
    assert kinds(text) == expected
    assert parse_query(text).names == ()


def test_an_ambiguous_token_keeps_every_reading() -> None:
    # OL16 is a postcode district, and could be the start of a registration: both are searched.
    assert kinds("OL16") == {"postcode_district": "OL16", "vrm": "OL16", "vrm_partial": "OL16"}


def test_a_partial_registration_is_a_prefix() -> None:
    parsed = parse_query("silver Focus YX65")
    assert {p.kind for p in parsed.parts} >= {PartKind.VRM_PARTIAL}
    assert parsed.words == ("silver", "focus")


@pytest.mark.parametrize(
    ("text", "names", "parts"),
    [
        ("Mohammed Khan 1987", ("Mohammed Khan",), {"date": "1987"}),
        ("KHAN, Mohammed", ("KHAN, Mohammed",), {}),
        ("Khan Mohammed 07911 123456", ("Khan Mohammed",), {"phone": "+447911123456"}),
        ("Sean O'Neill", ("Sean O'Neill",), {}),
        ("Jo 1987", ("Jo",), {"date": "1987"}),  # a name and a year, not a registration
        ("1987 07911 123456", (), {"date": "1987", "phone": "+447911123456"}),
        ("girl taken to a hotel in Rochdale", ("Rochdale",), {}),
        ("Girl seen with Kyle Brown at the Premier Inn", ("Kyle Brown", "Premier Inn"), {}),
    ],
)
def test_names_are_the_tokens_that_are_nothing_else(
    text: str, names: tuple[str, ...], parts: dict[str, str]
) -> None:
    parsed = parse_query(text)
    assert parsed.names == names
    assert kinds(text) == parts


def test_stopwords_leave_the_free_text() -> None:
    parsed = parse_query("girl taken to a hotel in Rochdale")
    assert parsed.words == ("girl", "taken", "hotel", "rochdale")
    assert parsed.free_text == "girl taken to a hotel in Rochdale"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
@example("((((((((((((")
@example("0" * 40)
@example("O0O0O0O Q1Q1Q1Q")
def test_parsing_never_fails_and_spans_are_exact(text: str) -> None:
    parsed = parse_query(text)
    spans = []
    for part in parsed.parts:
        assert parsed.text[part.start : part.end] == part.raw
        spans.append((part.start, part.end))
    # Readings of one span may be several; different spans never overlap.
    distinct = sorted(set(spans))
    for (_, end), (start, _) in itertools.pairwise(distinct):
        assert end <= start
    for part in parsed.parts:
        if part.kind is PartKind.PHONE:
            assert PHONE.clean(part.value).normalised == part.value
        if part.kind is PartKind.VRM:
            assert part.variants == (anpr_key(part.value),)
        if part.kind is PartKind.DATE:
            assert PartialDate.from_iso(part.value) is not None
    assert parse_query(text) == parsed  # pure


mobiles = st.from_regex(r"7[4-9][0-9]{8}", fullmatch=True)
FORMATS = ("0{0} {1}", "0{0}{1}", "+44 {0} {1}", "+44 (0){0} {1}", "0044 {0} {1}", "44{0}{1}")


@settings(max_examples=80, deadline=None)
@given(
    mobiles, st.sampled_from(FORMATS), st.sampled_from(["Mohammed Khan", "KHAN, Mohammed", "Sean O'Neill"])
)
def test_a_mobile_number_beside_a_name_is_read_in_every_format(number: str, fmt: str, name: str) -> None:
    e164 = "+44" + number
    assume(PHONE.clean(e164).valid)
    parsed = parse_query(f"{name} {fmt.format(number[:4], number[4:])}")
    assert [(p.kind, p.value) for p in parsed.parts] == [(PartKind.PHONE, e164)]
    assert parsed.names == (name,)


@settings(max_examples=80, deadline=None)
@given(st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2015, 12, 31)))
def test_a_date_of_birth_is_read_day_first(day: dt.date) -> None:
    text = day.strftime("%d/%m/%Y")
    parsed = parse_query(f"Kyle Brown {text}")
    assert [p.value for p in parsed.dates] == [DATE.clean(text).normalised]
    assert parsed.names == ("Kyle Brown",)


@settings(max_examples=80, deadline=None)
@given(st.from_regex(r"[A-HK-PRSVWY][A-HJ-PR-Y](0[2-9]|[1-9][0-9])[A-HJ-PR-Z]{3}", fullmatch=True))
def test_a_current_registration_and_its_misreads_are_marks_with_one_key(mark: str) -> None:
    assert VRM.clean(mark).valid
    # One character misread as its look-alike, as a camera does.
    swaps = {"B": "8", "S": "5", "D": "0", "Z": "2", "8": "B", "5": "S", "0": "D", "2": "Z"}
    at = next((i for i, ch in enumerate(mark) if ch in swaps), 0)
    misread = mark[:at] + swaps.get(mark[at], mark[at]) + mark[at + 1 :]
    for text in (mark, f"{mark[:4]} {mark[4:]}", mark.lower(), misread):
        (part,) = [p for p in parse_query(text).parts if p.kind is PartKind.VRM]
        assert part.variants == (anpr_key(mark),)


def _mapped_fields(properties: dict[str, Any], prefix: str = "") -> set[str]:
    fields = set()
    for name, spec in properties.items():
        fields.add(prefix + name)
        fields |= _mapped_fields(spec.get("properties", {}), f"{prefix}{name}.")
    return fields


_DSL = """
    bool should must filter minimum_should_match constant_score boost _name terms term value case_insensitive
    prefix dis_max queries fuzzy fuzziness prefix_length max_expansions range gte lte relation multi_match
    query fields type tie_breaker match_phrase slop match_all
"""
DSL_WORDS = frozenset(_DSL.split())
MAPPED = _mapped_fields(es_indices(load_ontology())["entities"]["mappings"]["properties"])


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60) | st.sampled_from(['{"match_all": {}}', "_id:* OR 1=1", "KHAN, Mo 07911 123456"]))
def test_what_is_typed_is_only_ever_a_value_in_the_query(text: str) -> None:
    plan = plan_query(parse_query(text))
    query = plan.scoring_query([])
    assert {k for k, _ in _walk(query)} <= DSL_WORDS | MAPPED
    names = [v for k, v in _walk(query) if k == "_name"]
    assert sorted(names) == sorted(plan.clauses)  # every named clause is known, and only once


def _walk(node: object) -> Iterator[tuple[str, object]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)

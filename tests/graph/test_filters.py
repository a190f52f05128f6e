"""The filter input: random valid filters compile to queries both engines accept and agree on;
random invalid ones are refused before any query exists."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polegraph.api.filters import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_VALUE_LENGTH,
    CypherFilter,
    Filter,
    FilterError,
    FilterKey,
    Op,
    condition,
    es_query,
    filter_json,
    filter_keys,
    parse_filter,
)
from polegraph.security.policy import Principal, readable_tokens
from tests.graph.scenario import (  # noqa: F401 - the module's fixture
    GMP_OFFICER,
    LAN_OFFICER,
    WYP_ANALYST,
    Network,
    network_fixture,
)

# Reads every force's records but LAN's and WYP's conditional ones: label keys test its tokens.
READER = Principal("f.analyst", "GMP", frozenset({"WYP", "LAN"}), "TOP SECRET", frozenset({"analyst"}))
READABLE = readable_tokens(READER)

KEYS = sorted(filter_keys().values(), key=lambda k: k.name)
# Text that would change a query if it were ever put in one: values must stay values.
NASTY = st.sampled_from(
    [
        "') DETACH DELETE n //",
        "`} RETURN 1 //",
        '" OR 1=1 --',
        "*:*",
        "force:LAN OR *",
        "\\",
        "$pf_forces",
        "WYP",
    ]
)
TEXT = st.one_of(
    NASTY, st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
)


def _values(key: FilterKey, op: Op) -> st.SearchStrategy[list[str]]:
    if op is Op.EXISTS or key.type == "boolean":
        return st.lists(st.sampled_from(["true", "false"]), min_size=1, max_size=1 if op is Op.EXISTS else 2)
    one = op not in (Op.EQ, Op.PREFIX)
    size = {"min_size": 1, "max_size": 1 if one else 4}
    if key.type == "integer":
        return st.lists(st.integers(-(2**40), 2**40).map(str), **size)
    if key.type == "float":
        return st.lists(st.floats(-1e9, 1e9, allow_nan=False).map(str), **size)
    if key.type == "datetime":
        stamps = st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2030, 1, 1), timezones=st.just(dt.UTC))
        return st.lists(stamps.map(lambda d: d.isoformat()), **size)
    if key.codes and op is Op.EQ:
        return st.lists(st.sampled_from(sorted(key.codes)), **size)
    return st.lists(TEXT, **size)


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    key = draw(st.sampled_from(KEYS))
    op = draw(st.sampled_from(sorted(key.ops)))
    return {"key": key.name, "op": str(op), "values": draw(_values(key, op))}


VALID = st.recursive(
    conditions(),
    lambda inner: st.builds(
        lambda op, parts: {op: parts}, st.sampled_from(["and", "or"]), st.lists(inner, min_size=1, max_size=3)
    ),
    max_leaves=8,
)


def _count_both(network: Network, flt: Filter) -> tuple[int, int]:
    text, params = CypherFilter(flt, READABLE).cypher("n")
    records, _, _ = network.driver.execute_query(
        f"MATCH (n:Entity) WHERE {text} RETURN count(n) AS c",
        params,
        database_=network.settings.neo4j_database,
    )
    es = network.es.count(index=network.settings.index_name("entities"), query=es_query(flt, READABLE))
    return int(records[0]["c"]), int(es["count"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=VALID)
def test_valid_filters_run_on_both_engines_and_agree(network: Network, data: dict[str, Any]) -> None:
    flt = parse_filter(data)
    assert parse_filter(filter_json(flt)) == flt  # what a saved query stores reads back the same
    in_graph, in_index = _count_both(network, flt)
    assert in_graph == in_index


BURGLARY_OR_ROBBERY = {"key": "crime_type", "op": "PREFIX", "values": ["Bur", "Rob"]}


def _condition(key: str, op: str, value: str) -> dict[str, Any]:
    return {"key": key, "op": op, "values": [value]}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"key": "label", "op": "EQ", "values": ["Person"]}, 9),  # 8 nominals and an intelligence subject
        # GMP's 15 and two WYP nodes a GMP record holds too (a phone under C, a vehicle)
        ({"key": "force", "op": "EQ", "values": ["GMP"]}, 17),
        ({"and": [_condition("label", "EQ", "Crime"), BURGLARY_OR_ROBBERY]}, 2),
        ({"or": [_condition("sex", "EXISTS", "true"), _condition("occurred_from", "LT", "2024-01-12")]}, 2),
        ({"key": "source_evaluation", "op": "EQ", "values": ["2"]}, 1),
        ({"key": "handling_code", "op": "EQ", "values": ["C"]}, 6),  # held by GMP's conditional records
    ],
)  # fmt: skip
def test_known_filters_select_the_records_they_name(
    network: Network, data: dict[str, Any], expected: int
) -> None:
    flt = parse_filter(data)
    assert _count_both(network, flt) == (expected, expected)


def _count_node(network: Network, uid: str, flt: Filter, principal: Principal) -> tuple[int, int]:
    """Whether node ``uid`` meets ``flt`` for ``principal``, in each engine (0 or 1)."""
    readable = readable_tokens(principal)
    text, params = CypherFilter(flt, readable).cypher("n")
    records, _, _ = network.driver.execute_query(
        f"MATCH (n:Entity {{uid: $uid}}) WHERE {text} RETURN count(n) AS c",
        {**params, "uid": uid},
        database_=network.settings.neo4j_database,
    )
    query = {"bool": {"filter": [{"term": {"uid": uid}}, es_query(flt, readable)]}}
    es = network.es.count(index=network.settings.index_name("entities"), query=query)
    return int(records[0]["c"]), int(es["count"])


SHARED_PHONE = "phone:+447911100002"  # WYP's, and held by a GMP record under handling code C
SHARED_VEHICLE = "vehicle:AB12CDE"  # WYP's, and held by a GMP record under P


@pytest.mark.parametrize(
    ("uid", "data", "principal", "meets"),
    [
        # The WYP analyst may not read GMP's conditional record: the phone is not GMP's to it, nor
        # under C, whatever GMP's record says; GMP reads its own record.
        (SHARED_PHONE, _condition("force", "EQ", "GMP"), WYP_ANALYST, False),
        (SHARED_PHONE, _condition("force", "PREFIX", "G"), WYP_ANALYST, False),
        (SHARED_PHONE, _condition("handling_code", "EQ", "C"), WYP_ANALYST, False),
        (SHARED_PHONE, _condition("force", "EQ", "WYP"), WYP_ANALYST, True),
        (SHARED_PHONE, _condition("force", "EQ", "GMP"), GMP_OFFICER, True),
        (SHARED_PHONE, _condition("handling_code", "EQ", "C"), GMP_OFFICER, True),
        # GMP's record of the vehicle is shared with WYP: the vehicle is GMP's to it too.
        (SHARED_VEHICLE, _condition("force", "EQ", "GMP"), WYP_ANALYST, True),
        (SHARED_VEHICLE, _condition("classification", "EQ", "OFFICIAL"), WYP_ANALYST, True),
        (SHARED_VEHICLE, _condition("force", "EQ", "GMP"), LAN_OFFICER, False),
    ],
)  # fmt: skip
def test_label_filters_test_the_records_the_reader_may_read(
    network: Network, uid: str, data: dict[str, Any], principal: Principal, meets: bool
) -> None:
    assert _count_node(network, uid, parse_filter(data), principal) == (int(meets), int(meets))


@pytest.mark.parametrize(
    "key", ["handling_conditions", "handling_instructions", "caveat", "descriptors", "source_keys"]
)
def test_labels_of_one_record_and_source_keys_are_no_filter(key: str) -> None:
    # On a shared node they are another force's record's: a filter on them would probe its text.
    for op in ("EQ", "PREFIX", "EXISTS"):
        with pytest.raises(FilterError, match="not a filter key"):
            parse_filter(_condition(key, op, "true"))
    assert key not in filter_keys()


def _nested(depth: int) -> dict[str, Any]:
    leaf: dict[str, Any] = {"key": "force", "op": "EQ", "values": ["WYP"]}
    for _ in range(depth):
        leaf = {"and": [leaf]}
    return leaf


SEXES = {"MALE", "FEMALE", "OTHER", "UNKNOWN"}
INVALID = st.one_of(
    TEXT.filter(lambda k: k not in filter_keys()).map(lambda k: _condition(k, "EQ", "x")),
    TEXT.filter(lambda o: o not in set(Op)).map(lambda o: _condition("force", o, "x")),
    TEXT.filter(lambda v: v not in SEXES).map(lambda v: _condition("sex", "EQ", v)),
    TEXT.filter(lambda v: not v.strip().lstrip("+-").isdigit()).map(
        lambda v: _condition("duration_seconds", "GT", v)
    ),
    st.sampled_from(
        [
            {"key": "force", "op": "GT", "values": ["A"]},  # strings are not ranged
            {"key": "label", "op": "EXISTS", "values": ["true"]},
            {"key": "duration_seconds", "op": "GT", "values": ["1", "2"]},
            {"key": "duration_seconds", "op": "EQ", "values": [str(2**64)]},
            {"key": "confidence", "op": "GT", "values": ["nan"]},
            {"key": "occurred_from", "op": "GT", "values": ["yesterday"]},
            {"key": "force", "op": "EQ", "values": []},
            {"key": "force", "op": "EQ", "values": ["x"] * 101},
            {"key": "force", "op": "EQ", "values": ["x" * (MAX_VALUE_LENGTH + 1)]},
            {"key": "force", "op": "EQ", "values": [1]},
            {"key": "embedding", "op": "EXISTS", "values": ["true"]},
            {"key": "updated_at", "op": "EXISTS", "values": ["true"]},  # the index stamps its own
            {"key": "payload", "op": "EQ", "values": ["x"]},
            {"key": "full_name", "op": "EQ", "values": ["x"]},  # analysed text: no exact match in ES
            {"and": []},
            {"and": [{"key": "force", "op": "EQ", "values": ["WYP"]}] * (MAX_CONDITIONS + 1)},
            {"not": [{"key": "force", "op": "EQ", "values": ["WYP"]}]},
            {"and": {"key": "force", "op": "EQ", "values": ["WYP"]}},
            {"key": "force", "op": "EQ", "values": ["WYP"], "and": []},
            _nested(MAX_DEPTH + 1),
            _nested(500),
            [],
            "force = 'WYP'",
        ]
    ),
)  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(data=INVALID)
def test_invalid_filters_are_refused(data: Any) -> None:
    with pytest.raises(FilterError):
        parse_filter(data)


def test_a_refusal_says_what_to_do() -> None:
    with pytest.raises(FilterError) as refused:
        condition("sex", "EQ", ["M"])
    assert "MALE" in str(refused.value)
    with pytest.raises(FilterError) as unknown:
        condition("forse", "EQ", ["WYP"])
    assert "ontology" in str(unknown.value)

"""Single values of a shared node (a vehicle's make and colour) under the access policy.

WYP records a vehicle with its make; GMP then records the same vehicle under handling code C, with
another make and a colour. GMP's record must not overwrite WYP's value, and WYP must not read, see
in a hit or probe with a filter the colour only GMP's conditional record gives. The records are
written once in separate batches (the Cypher merge) and once in one batch (the fold before it).
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import Elasticsearch
from neo4j import Driver

from polegraph.api.filters import CypherFilter, es_query, parse_filter
from polegraph.config import Settings
from polegraph.graph.read import GraphDb, NodeKey, nodes_by_key
from polegraph.graph.writer import write_bundles
from polegraph.loaders.records import Bundle, LoadContext, Node, SourceRecord
from polegraph.search.indexer import index_nodes
from polegraph.search.query import search
from polegraph.security.policy import Principal, readable_tokens
from tests.conftest import Engines, empty

APART, TOGETHER = "vehicle:AB12XYZ", "vehicle:CD34XYZ"
INVESTIGATOR = frozenset({"investigator"})
WYP = Principal("w.officer", "WYP", frozenset({"GMP"}), "OFFICIAL", INVESTIGATOR)
GMP = Principal("g.officer", "GMP", frozenset({"WYP"}), "OFFICIAL", INVESTIGATOR)
WYP_LOAD = LoadContext(force="WYP", system="CRIME", load_id="load-wyp", source_file="wyp.csv")
GMP_LOAD = LoadContext(
    force="GMP", system="INTEL", load_id="load-gmp", source_file="gmp.csv", handling_code="C",
    handling_conditions="GMP only",
)  # fmt: skip


def _bundle(ctx: LoadContext, record: str, uid: str, **props: Any) -> Bundle:
    source = SourceRecord(system=ctx.system, force=ctx.force, record_id=record, line=1, payload={"r": record})
    vrm = uid.split(":", 1)[1]
    # A record's own labels, as a loader gives them when one file holds records of several labels.
    return Bundle(source=source, nodes=(Node("Vehicle", uid, {"vrm": vrm, **props}),), labels=ctx.labels())


def _write(engines: Engines, ctx: LoadContext, bundles: list[Bundle]) -> None:
    result = write_bundles(engines.driver, engines.settings.neo4j_database, bundles, ctx)
    index_nodes(
        engines.es, result.nodes_by_label,
        entities_index=engines.settings.index_name("entities"),
        sources_index=engines.settings.index_name("source_records"),
    )  # fmt: skip


@pytest.fixture(scope="module", name="written")
def written_fixture(stack: Settings, neo4j_driver: Driver, es_client: Elasticsearch) -> Engines:
    engines = Engines(stack, neo4j_driver, es_client)
    empty(engines)
    _write(engines, WYP_LOAD, [_bundle(WYP_LOAD, "W1", APART, make="FORD")])
    _write(engines, GMP_LOAD, [_bundle(GMP_LOAD, "G1", APART, make="AUDI", colour="RED")])
    # One batch: the two records are folded in Python before the merge.
    together = [
        _bundle(WYP_LOAD, "W2", TOGETHER, make="FORD"),
        _bundle(GMP_LOAD, "G2", TOGETHER, make="AUDI", colour="RED"),
    ]
    _write(engines, WYP_LOAD, together)
    engines.es.indices.refresh(index=engines.settings.index_name("entities"))
    return engines


def _stored(engines: Engines, uid: str) -> dict[str, Any]:
    records, _, _ = engines.driver.execute_query(
        "MATCH (n:Vehicle {uid: $uid}) RETURN properties(n) AS p", uid=uid,
        database_=engines.settings.neo4j_database,
    )  # fmt: skip
    return dict(records[0]["p"])


@pytest.mark.parametrize("uid", [APART, TOGETHER])
def test_a_later_record_fills_but_never_overwrites_and_is_named(written: Engines, uid: str) -> None:
    stored = _stored(written, uid)
    assert (stored["make"], stored["colour"]) == ("FORD", "RED")
    # The registration is the vehicle itself: every record gives it, none owns it.
    assert stored["prop_access"] == ["make|WYP|OFFICIAL|P", "colour|GMP|OFFICIAL|C"]


def test_a_reader_sees_only_values_of_records_it_may_read(written: Engines) -> None:
    db = GraphDb(written.driver, written.settings.neo4j_database, 30.0)
    (wyp,) = nodes_by_key(db, WYP, [NodeKey("Vehicle", APART)]).values()
    assert wyp.props["make"] == "FORD"
    assert "colour" not in wyp.props
    assert "prop_access" not in wyp.props
    (gmp,) = nodes_by_key(db, GMP, [NodeKey("Vehicle", APART)]).values()
    assert (gmp.props["make"], gmp.props["colour"]) == ("FORD", "RED")
    hits = {h.uid: h for h in search(written.es, written.settings, WYP, "AB12XYZ").hits}
    assert "colour" not in hits[APART].record
    assert "prop_access" not in hits[APART].record
    assert hits[APART].record["make"] == "FORD"
    gmp_hits = {h.uid: h for h in search(written.es, written.settings, GMP, "AB12XYZ").hits}
    assert gmp_hits[APART].record["colour"] == "RED"


def _meets(engines: Engines, uid: str, data: dict[str, Any], principal: Principal) -> tuple[int, int]:
    flt, readable = parse_filter(data), readable_tokens(principal)
    text, params = CypherFilter(flt, readable).cypher("n")
    records, _, _ = engines.driver.execute_query(
        f"MATCH (n:Entity {{uid: $uid}}) WHERE {text} RETURN count(n) AS c", {**params, "uid": uid},
        database_=engines.settings.neo4j_database,
    )  # fmt: skip
    query = {"bool": {"filter": [{"term": {"uid": uid}}, es_query(flt, readable)]}}
    return int(records[0]["c"]), int(
        engines.es.count(index=engines.settings.index_name("entities"), query=query)["count"]
    )


@pytest.mark.parametrize(
    ("data", "principal", "meets"),
    [
        # WYP cannot learn the colour GMP's conditional record gives: to it there is none.
        ({"key": "colour", "op": "EQ", "values": ["RED"]}, WYP, 0),
        ({"key": "colour", "op": "EXISTS", "values": ["true"]}, WYP, 0),
        ({"key": "colour", "op": "EXISTS", "values": ["false"]}, WYP, 1),
        ({"key": "colour", "op": "EQ", "values": ["RED"]}, GMP, 1),
        ({"key": "colour", "op": "EXISTS", "values": ["false"]}, GMP, 0),
        # WYP's own value, and the registration every record gives.
        ({"key": "make", "op": "EQ", "values": ["FORD"]}, WYP, 1),
        ({"key": "make", "op": "EQ", "values": ["AUDI"]}, GMP, 0),
    ],
)  # fmt: skip
def test_filters_on_single_values_test_only_readable_records_values(
    written: Engines, data: dict[str, Any], principal: Principal, meets: int
) -> None:
    for uid in (APART, TOGETHER):
        assert _meets(written, uid, data, principal) == (meets, meets)

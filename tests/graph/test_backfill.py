"""``polegraph init`` gives a graph written before access tokens existed the tokens the writer writes."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import Elasticsearch
from neo4j import Driver

from polegraph.config import Settings
from polegraph.graph.backfill import Backfilled, backfill_access
from polegraph.graph.read import GraphDb, NodeKey, nodes_by_key
from polegraph.ingest import load_file
from polegraph.linking.store import link_labels
from polegraph.migrations import migrate
from tests.conftest import Engines
from tests.graph.scenario import CRIME_HEADER
from tests.security.test_shared_access import PHONE_A, PHONE_B, WYP, load

OWN_PHONE = (
    'WX/9,Theft,2024-05-09T12:00:00,"Kirkgate, Leeds",LS1 6BR,Bag taken,Suspect,MOSS,Max,,,07911 200009\n'
)
_ACCESS = (
    "MATCH (n) WHERE (n:Entity OR n:SourceRecord) AND n.force IS NOT NULL "
    "RETURN 'node' AS kind, n.uid AS id, n.access AS access, n.raw_access AS raw, "
    "n.system_access AS systems "
    "UNION ALL MATCH ()-[e]->() WHERE e.force IS NOT NULL "
    "RETURN 'edge' AS kind, coalesce(e.uid, elementId(e)) AS id, e.access AS access, null AS raw, "
    "null AS systems"
)


def _tokens(engines: Engines) -> dict[tuple[str, str], tuple[Any, Any]]:
    records, _, _ = engines.driver.execute_query(_ACCESS, database_=engines.settings.neo4j_database)
    return {(r["kind"], r["id"]): (r["access"], r["raw"]) for r in records}


@pytest.fixture(name="loaded")
def loaded_fixture(
    stack: Settings, neo4j_driver: Driver, es_client: Elasticsearch, tmp_path_factory: pytest.TempPathFactory
) -> Engines:
    engines = Engines(stack, neo4j_driver, es_client)
    folder = tmp_path_factory.mktemp("backfill")
    load(engines, folder)
    # And a phone only one record names.
    (folder / "own.csv").write_text(CRIME_HEADER + OWN_PHONE, encoding="utf-8")
    load_file(stack, neo4j_driver, es_client, "crime", folder / "own.csv", force="WYP")
    # A link between two nominals, written as the linker writes it (its labels from both ends).
    labels = link_labels(
        "GMP", {"classification": "OFFICIAL", "handling_code": "C"}, "WYP", {"classification": "OFFICIAL"}
    )
    assert labels["access"] == ["GMP|OFFICIAL|C"]
    engines.driver.execute_query(
        "MATCH (a:Person {uid: 'person:GMP:CRIME:GX/1:nominal1'}) "
        "MATCH (b:Person {uid: 'person:WYP:CRIME:WX/1:nominal1'}) "
        "CREATE (a)-[e:POSSIBLE_SAME_AS {uid: 'link:test'}]->(b) SET e += $labels, "
        "e.source_keys = coalesce(a.source_keys, []) + b.source_keys",
        labels=labels, database_=engines.settings.neo4j_database,
    )  # fmt: skip
    return engines


def _systems(engines: Engines) -> dict[tuple[str, str], list[str]]:
    records, _, _ = engines.driver.execute_query(_ACCESS, database_=engines.settings.neo4j_database)
    return {(r["kind"], r["id"]): sorted(r["systems"]) for r in records if r["systems"] is not None}


def test_the_backfill_tags_each_nodes_systems_as_the_writer_does(loaded: Engines) -> None:
    written = _systems(loaded)
    assert written  # the writer tags them
    db = loaded.settings.neo4j_database
    loaded.driver.execute_query("MATCH (n:Entity) REMOVE n.system_access", database_=db)
    migrate(loaded.settings)
    assert _systems(loaded) == written


def test_the_backfill_writes_what_the_writer_wrote_and_runs_once(loaded: Engines) -> None:
    written = _tokens(loaded)
    db = loaded.settings.neo4j_database
    # The graph as written before: no access tokens anywhere.
    loaded.driver.execute_query("MATCH (n) REMOVE n.access, n.raw_access", database_=db)
    loaded.driver.execute_query("MATCH ()-[e]->() REMOVE e.access", database_=db)
    graph = GraphDb(loaded.driver, db, 30.0)
    assert nodes_by_key(graph, WYP, [NodeKey("Phone", PHONE_B)]) == {}  # unreadable without them

    report = {name: state for engine, name, state in migrate(loaded.settings) if engine == "neo4j"}
    assert report["access tokens"].startswith(f"created on {sum(k == 'node' for k, _ in written)} nodes")
    filled = _tokens(loaded)
    assert filled.keys() == written.keys()
    for key, (access, raw) in written.items():
        # The same tokens, the owner's first (the order of the others is the order of FROM_SOURCE).
        assert (filled[key][0][0], sorted(filled[key][0])) == (access[0], sorted(access)), key
        if raw is not None:
            # Raw values can no longer be told apart by record: a node of one record's labels keeps
            # them under its token, a node of several shows them to nobody.
            values = sorted(f"{access[0]}|{r.split('|', 3)[3]}" for r in raw) if len(access) == 1 else []
            assert sorted(filled[key][1]) == values, key
    # The link keeps the one token of the labels the linker gave it, not one per record behind it.
    assert filled[("edge", "link:test")][0] == ["GMP|OFFICIAL|C"]
    # WYP reads its phones again, but no raw value of theirs: it might be another force's.
    found = nodes_by_key(graph, WYP, [NodeKey("Phone", PHONE_B), NodeKey("Phone", PHONE_A)])
    assert [found[NodeKey("Phone", p)].props["raw_values"] for p in (PHONE_A, PHONE_B)] == [[], []]
    (own,) = nodes_by_key(graph, WYP, [NodeKey("Phone", "phone:+447911200009")]).values()
    assert own.props["raw_values"] == ["07911 200009"]
    assert backfill_access(loaded.driver, db) == Backfilled(0, 0)

"""Smoke tests: both engines answer as a client expects, and the migrations are idempotent."""

from __future__ import annotations

import math

from polegraph.migrations import migrate
from tests.conftest import Engines


def test_node_round_trip_over_bolt(engines: Engines) -> None:
    engines.driver.execute_query(
        "CREATE (:Phone:Entity {uid: $uid, e164: $e164, force: $force})",
        uid="phone:+447911123456", e164="+447911123456", force="GMP",
        database_=engines.settings.neo4j_database,
    )  # fmt: skip
    records, _, _ = engines.driver.execute_query(
        "MATCH (p:Phone {uid: $uid}) RETURN p.e164 AS e164, p.force AS force",
        uid="phone:+447911123456",
        database_=engines.settings.neo4j_database,
        routing_="r",
    )
    assert [(r["e164"], r["force"]) for r in records] == [("+447911123456", "GMP")]


def test_apoc_core_is_loaded(engines: Engines) -> None:
    records, _, _ = engines.driver.execute_query(
        "RETURN apoc.version() AS v, apoc.text.clean('  Mohammed-KHAN ') AS cleaned",
        database_=engines.settings.neo4j_database,
    )
    assert records[0]["v"].startswith("5.26")
    assert records[0]["cleaned"] == "mohammedkhan"


def test_dense_vector_document_found_by_knn(engines: Engines) -> None:
    index = f"{engines.settings.index_prefix}-smoke-vectors"
    engines.es.indices.create(
        index=index,
        mappings={
            "properties": {
                "uid": {"type": "keyword"},
                "embedding": {
                    "type": "dense_vector",
                    "dims": 3,
                    "index": True,
                    "similarity": "cosine",
                },
            }
        },
    )
    docs = {"a": [1.0, 0.0, 0.0], "b": [0.0, 1.0, 0.0], "c": [0.7, 0.7, 0.0]}
    for uid, vector in docs.items():
        engines.es.index(index=index, id=uid, document={"uid": uid, "embedding": vector})
    engines.es.indices.refresh(index=index)
    result = engines.es.search(
        index=index,
        knn={"field": "embedding", "query_vector": [0.9, 0.1, 0.0], "k": 2, "num_candidates": 10},
        source=["uid"],
    )
    hits = [h["_source"]["uid"] for h in result["hits"]["hits"]]
    assert hits == ["a", "c"]
    # cosine similarity mapped to (1 + cos) / 2; int8 quantisation leaves a small error
    expected = (1 + 0.9 / math.hypot(0.9, 0.1)) / 2
    assert math.isclose(result["hits"]["hits"][0]["_score"], expected, rel_tol=1e-3)


def test_generated_vector_index_answers_in_neo4j(engines: Engines) -> None:
    records, _, _ = engines.driver.execute_query(
        "SHOW VECTOR INDEXES YIELD name, labelsOrTypes, properties, state "
        "RETURN name, labelsOrTypes[0] AS label, properties[0] AS prop, state",
        database_=engines.settings.neo4j_database,
    )
    assert records, "the migrations create at least one vector index"
    assert all(r["state"] == "ONLINE" for r in records)
    first = records[0]
    vector = [1.0] + [0.0] * (engines.settings.embedding_dims - 1)
    engines.driver.execute_query(
        f"CREATE (n:`{first['label']}`:Entity {{uid: 'smoke-1'}}) SET n.`{first['prop']}` = $vector",
        vector=vector,
        database_=engines.settings.neo4j_database,
    )
    found, _, _ = engines.driver.execute_query(
        "CALL db.index.vector.queryNodes($name, 1, $vector) YIELD node, score "
        "RETURN node.uid AS uid, score",
        name=first["name"], vector=vector,
        database_=engines.settings.neo4j_database,
    )  # fmt: skip
    assert [r["uid"] for r in found] == ["smoke-1"]


def test_init_is_idempotent(engines: Engines) -> None:
    first = migrate(engines.settings)
    second = migrate(engines.settings)
    assert len(first) == len(second)
    assert all(state == "exists" for _, _, state in second)
    aliases = engines.es.indices.get_alias(index=f"{engines.settings.index_prefix}-*").body
    names = {alias for body in aliases.values() for alias in body["aliases"]}
    assert {
        "polegraph-test-entities",
        "polegraph-test-source_records",
        "polegraph-test-audit",
    } <= names

"""Shared (value-keyed) nodes named by many records, documents of changed nodes only, a load stopped
between its graph write and its index write, and the adaptive batch size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import polegraph.ingest as ingest
import tests.ingest.test_pipeline as pipeline  # registers the test-subscribers loader
from polegraph.batching import LARGEST, SMALLEST, START, BatchSize
from polegraph.errors import PolegraphError
from polegraph.graph.writer import SOURCE_KEYS_KEPT
from polegraph.ingest import LoadInterrupted, load_file
from polegraph.reindex import check
from polegraph.search.documents import entity_document
from polegraph.security.policy import readable_systems
from tests.conftest import Engines

PHONE = "phone:+447911123456"


def _phone_rows(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i},Person {prefix}{i},07911 123456" for i in range(count)]


def _graph_phone(engines: Engines) -> tuple[dict[str, Any], int]:
    records, _, _ = engines.driver.execute_query(
        "MATCH (p:Phone {uid: $uid}) RETURN properties(p) AS p, COUNT { (p)-[:FROM_SOURCE]->() } AS n",
        uid=PHONE, database_=engines.settings.neo4j_database,
    )  # fmt: skip
    return dict(records[0]["p"]), int(records[0]["n"])


def test_a_shared_node_keeps_every_source_by_edge_and_a_bounded_key_list(
    engines: Engines, tmp_path: Path
) -> None:
    many = SOURCE_KEYS_KEPT + 30
    first = pipeline._write(tmp_path, _phone_rows("A", many), "a.csv")
    second = pipeline._write(tmp_path, _phone_rows("B", 3), "b.csv")
    load_file(
        engines.settings, engines.driver, engines.es, "test-subscribers", first, force="GMP", batch_size=40
    )
    load_file(
        engines.settings, engines.driver, engines.es, "test-subscribers", second, force="GMP",
        system="OTHERSYS", batch_size=40,
    )  # fmt: skip
    props, from_source = _graph_phone(engines)
    # Complete provenance by FROM_SOURCE; the list keeps the first keys and each new system's first.
    assert from_source == many + 3
    assert props["source_keys"][:SOURCE_KEYS_KEPT] == [
        f"src:GMP:SUBCHECK:A{i}" for i in range(SOURCE_KEYS_KEPT)
    ]
    assert props["source_keys"][SOURCE_KEYS_KEPT:] == ["src:GMP:OTHERSYS:B0"]
    # A person (keyed by its record) and an edge keep every key.
    persons = pipeline._count(engines, "MATCH (p:Person) WHERE size(p.source_keys) = 1 RETURN count(p)")
    assert persons == many + 3
    # The index agrees with the graph: the document is the one built from the node as stored.
    engines.es.indices.refresh(index="polegraph-test-entities")
    doc = engines.es.get(index="polegraph-test-entities", id=PHONE)["_source"]
    expected = {"uid": PHONE, **entity_document("Phone", props)}
    assert readable_systems(doc["system_access"], props["access"]) == ["OTHERSYS", "SUBCHECK"]
    assert {k: v for k, v in doc.items() if k != "updated_at"} == {
        k: v for k, v in expected.items() if k != "updated_at"
    }
    assert check(engines.settings, engines.driver, engines.es) == []


def test_a_node_a_batch_leaves_unchanged_is_not_indexed_again(engines: Engines, tmp_path: Path) -> None:
    seen: list[dict[str, list[dict[str, Any]]]] = []
    real = ingest.index_nodes

    def recording(client: Any, nodes_by_label: dict[str, list[dict[str, Any]]], **kw: str) -> int:
        seen.append(nodes_by_label)
        return real(client, nodes_by_label, **kw)

    # Batches of 40 rows naming one phone: once its key list is full, a batch of records of the same
    # system and load leaves the phone as it was, and its document is not sent again.
    path = pipeline._write(tmp_path, _phone_rows("C", SOURCE_KEYS_KEPT + 30), "c.csv")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest, "index_nodes", recording)
        load_file(
            engines.settings, engines.driver, engines.es, "test-subscribers", path, force="GMP", batch_size=40
        )
    phones = [len(batch.get("Phone", [])) for batch in seen]
    persons = [len(batch.get("Person", [])) for batch in seen]
    assert phones == [1, 1, 1, 0]
    assert persons == [40, 40, 40, 10]
    assert check(engines.settings, engines.driver, engines.es) == []


def test_a_load_stopped_after_its_graph_write_indexes_those_records_on_resume(
    engines: Engines, tmp_path: Path
) -> None:
    rows = [f"R{i},Person {i},07911 {100000 + i}" for i in range(200)]
    path = pipeline._write(tmp_path, rows, "d.csv")
    real = ingest.index_nodes
    calls = 0

    def crash_on_second(client: Any, nodes_by_label: dict[str, list[dict[str, Any]]], **kw: str) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:  # batch 2 is in the graph (batch 3 may be too), not in the index
            raise LoadInterrupted("stopped between the graph write and the index write")
        return real(client, nodes_by_label, **kw)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest, "index_nodes", crash_on_second)
        with pytest.raises(LoadInterrupted):
            load_file(engines.settings, engines.driver, engines.es, "test-subscribers", path, force="WYP",
                      batch_size=40)  # fmt: skip
    records, _, _ = engines.driver.execute_query(
        "MATCH (j:LoadJournal) RETURN j.records_done AS d, j.graph_done AS g"
    )
    assert records[0]["d"] == 40
    assert records[0]["g"] >= 80
    resumed = load_file(
        engines.settings, engines.driver, engines.es, "test-subscribers", path, force="WYP", batch_size=40
    )
    assert resumed.resumed
    assert (resumed.read, resumed.loaded) == (200, 200)  # the whole load's counts
    assert check(engines.settings, engines.driver, engines.es) == []
    engines.es.indices.refresh(index="polegraph-test-entities")
    assert (
        engines.es.count(index="polegraph-test-entities", query={"term": {"label": "Phone"}})["count"] == 200
    )


def test_the_batch_size_adapts_to_the_transaction_time_unless_fixed() -> None:
    adaptive = BatchSize.of(None, target_s=10)
    assert adaptive.size == START
    adaptive.observe(START, 2.0)  # quick: at most doubled
    assert adaptive.size == 2 * START
    adaptive.observe(100, 0.1)  # a short final batch says nothing
    assert adaptive.size == 2 * START
    adaptive.observe(2 * START, 40.0)  # slow: at most halved
    assert adaptive.size == START
    for _ in range(20):
        adaptive.observe(adaptive.size, 0.01)
    assert adaptive.size == LARGEST
    for _ in range(20):
        adaptive.timed_out()
    assert adaptive.size == SMALLEST
    fixed = BatchSize.of(100, target_s=10)
    fixed.observe(100, 100.0)
    assert fixed.size == 100
    fixed.timed_out()
    assert fixed.size == 50


def test_record_ids_with_colons_still_bound_a_shared_nodes_key_list(engines: Engines, tmp_path: Path) -> None:
    # A call's record id is its number and time ("+4479…:20230911T201927Z:…"): the system of a key is
    # its first three parts, so every record of the file counts as one system.
    rows = [f"C:2024:{i},Person {i},07911 123456" for i in range(SOURCE_KEYS_KEPT + 30)]
    path = pipeline._write(tmp_path, rows, "colons.csv")
    load_file(
        engines.settings, engines.driver, engines.es, "test-subscribers", path, force="GMP", batch_size=50
    )
    props, from_source = _graph_phone(engines)
    assert from_source == SOURCE_KEYS_KEPT + 30
    assert props["source_keys"] == [f"src:GMP:SUBCHECK:C:2024:{i}" for i in range(SOURCE_KEYS_KEPT)]


def test_a_force_or_system_code_with_a_colon_is_refused(engines: Engines, tmp_path: Path) -> None:
    path = pipeline._write(tmp_path, ["R1,Person 1,07911 123456"], "one.csv")
    with pytest.raises(PolegraphError, match="system code 'A:B'"):
        load_file(
            engines.settings, engines.driver, engines.es, "test-subscribers", path, force="GMP", system="A:B"
        )
    with pytest.raises(PolegraphError, match="force code 'G M'"):
        load_file(engines.settings, engines.driver, engines.es, "test-subscribers", path, force="G M")

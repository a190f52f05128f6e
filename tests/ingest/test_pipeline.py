"""The load pipeline against the real engines: provenance, idempotent re-runs, resume after a crash,
quarantine with file/line/field/reason, and the index built from the graph."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from polegraph.ingest import LoaderBug, LoadInterrupted, load_file
from polegraph.loaders.base import LOADERS, LoaderOptions, register
from polegraph.loaders.csvio import read_csv
from polegraph.loaders.records import (
    Bundle,
    Edge,
    LoadContext,
    Node,
    Quarantined,
    SourceRecord,
    source_uid,
    value_uid,
)
from polegraph.types import PHONE
from tests.conftest import Engines


def _read_subscribers(path: Path, ctx: LoadContext, options: LoaderOptions) -> Iterator[Bundle | Quarantined]:
    """A small real loader: subscriber checks (ref, name, phone) — one Person and one Phone per row."""
    for row in read_csv(path, required={"ref", "name", "phone"}):
        phone = PHONE.clean(row.values["phone"])
        if not row.values["ref"]:
            yield Quarantined(str(path), row.line, "ref", "empty reference", row.raw)
            continue
        source = SourceRecord(ctx.system, ctx.force, row.values["ref"], row.line, dict(row.values))
        person = Node("Person", source_uid("Person", source), {"full_name": row.values["name"]})
        nodes = [person]
        edges = []
        if phone.valid and phone.normalised:
            props = {"e164": phone.normalised, "raw_values": [row.values["phone"]]}
            nodes.append(Node("Phone", value_uid("Phone", phone.normalised), props))
            edges.append(Edge("HAS_PHONE", "Person", person.uid, "Phone", nodes[1].uid))
        yield Bundle(source, tuple(nodes), tuple(edges))


if "test-subscribers" not in LOADERS:
    register("test-subscribers", "subscriber checks (tests)", "SUBCHECK")(_read_subscribers)


def _write(tmp_path: Path, rows: list[str], name: str = "subs.csv") -> Path:
    path = tmp_path / name
    path.write_text("ref,name,phone\r\n" + "\r\n".join(rows) + "\r\n", encoding="utf-8")
    return path


def _count(engines: Engines, query: str, **params: object) -> int:
    records, _, _ = engines.driver.execute_query(query, params, database_=engines.settings.neo4j_database)
    return int(records[0][0])


def test_load_writes_graph_index_and_provenance(engines: Engines, tmp_path: Path) -> None:
    path = _write(
        tmp_path, ["S1,Amir Khan,07911 123456", "S2,Jo Bloggs,+44 7911 123456", ",No Ref,0161 496 0000"]
    )
    summary = load_file(engines.settings, engines.driver, engines.es, "test-subscribers", path, force="GMP")
    assert (summary.read, summary.loaded, summary.quarantined) == (3, 2, 1)
    # One phone node: both records name the same number in different formats.
    assert _count(engines, "MATCH (p:Phone) RETURN count(p)") == 1
    assert (
        _count(engines, "MATCH (:Person)-[:HAS_PHONE]->(p:Phone {e164: '+447911123456'}) RETURN count(*)")
        == 2
    )
    records, _, _ = engines.driver.execute_query(
        "MATCH (p:Phone)-[:FROM_SOURCE]->(s:SourceRecord) "
        "RETURN p.source_keys AS keys, p.force AS force, p.classification AS cls, count(s) AS n"
    )
    assert sorted(records[0]["keys"]) == ["src:GMP:SUBCHECK:S1", "src:GMP:SUBCHECK:S2"]
    assert (records[0]["force"], records[0]["cls"], records[0]["n"]) == ("GMP", "OFFICIAL", 2)
    # Multi-valued properties of a shared node accumulate the values of every record.
    raw = engines.driver.execute_query("MATCH (p:Phone) RETURN p.raw_values AS r").records[0]["r"]
    assert sorted(raw) == ["+44 7911 123456", "07911 123456"]
    # The raw record is kept whole.
    payload = json.loads(
        engines.driver.execute_query(
            "MATCH (s:SourceRecord {record_id: 'S1'}) RETURN s.payload AS p"
        ).records[0]["p"]
    )
    assert payload == {"ref": "S1", "name": "Amir Khan", "phone": "07911 123456"}
    # The index holds what the graph holds.
    es = engines.es
    hits = es.search(index="polegraph-test-entities", query={"term": {"phones": "+447911123456"}})["hits"]
    assert {h["_source"]["label"] for h in hits["hits"]} == {"Phone"}
    people = es.search(index="polegraph-test-entities", query={"term": {"label": "Person"}})["hits"]
    assert people["total"]["value"] == 2
    assert es.count(index="polegraph-test-source_records")["count"] == 2
    # Quarantine names file, line, field and reason.
    assert summary.quarantine_file is not None
    entry = json.loads(summary.quarantine_file.read_text().splitlines()[0])
    assert entry == {
        "file": str(path),
        "line": 4,
        "field": "ref",
        "reason": "empty reference",
        "raw": ",No Ref,0161 496 0000",
    }


def test_loading_the_same_file_twice_changes_nothing(engines: Engines, tmp_path: Path) -> None:
    path = _write(tmp_path, ["S1,Amir Khan,07911 123456", "S2,Jo Bloggs,07911 123457"])
    first = load_file(engines.settings, engines.driver, engines.es, "test-subscribers", path, force="GMP")
    before = _count(engines, "MATCH (n) RETURN count(n)"), _count(engines, "MATCH ()-[r]->() RETURN count(r)")
    second = load_file(engines.settings, engines.driver, engines.es, "test-subscribers", path, force="GMP")
    after = _count(engines, "MATCH (n) RETURN count(n)"), _count(engines, "MATCH ()-[r]->() RETURN count(r)")
    assert first.loaded == 2
    assert second.already_loaded
    assert (second.read, second.loaded, second.skipped) == (2, 0, 2)
    assert before == after


def test_a_load_killed_half_way_resumes_without_duplicates_or_losses(
    engines: Engines, tmp_path: Path
) -> None:
    rows = [f"R{i},Person {i},07911 {100000 + i}" if i % 7 else f",Bad {i},x" for i in range(1, 251)]
    path = _write(tmp_path, rows)
    with pytest.raises(LoadInterrupted):
        load_file(
            engines.settings, engines.driver, engines.es, "test-subscribers", path, force="WYP",
            batch_size=40, stop_after_batches=3,
        )  # fmt: skip
    resumed = load_file(
        engines.settings, engines.driver, engines.es, "test-subscribers", path, force="WYP", batch_size=40
    )
    assert resumed.resumed
    bad = sum(1 for i in range(1, 251) if i % 7 == 0)
    assert (resumed.read, resumed.loaded, resumed.quarantined) == (250, 250 - bad, bad)
    assert _count(engines, "MATCH (p:Person) RETURN count(p)") == 250 - bad
    assert _count(engines, "MATCH (s:SourceRecord) RETURN count(s)") == 250 - bad
    assert _count(engines, "MATCH (:Person)-[r:HAS_PHONE]->() RETURN count(r)") == 250 - bad
    assert resumed.quarantine_file is not None
    assert len(resumed.quarantine_file.read_text().splitlines()) == bad
    engines.es.indices.refresh(index="polegraph-test-entities")
    assert (
        engines.es.count(index="polegraph-test-entities", query={"term": {"label": "Person"}})["count"]
        == 250 - bad
    )


def test_a_loader_bug_stops_the_load_with_the_record_named(engines: Engines, tmp_path: Path) -> None:
    def broken(path: Path, ctx: LoadContext, options: LoaderOptions) -> Iterator[Bundle | Quarantined]:
        source = SourceRecord(ctx.system, ctx.force, "B1", 2, {})
        yield Bundle(source, (Node("Person", "person:x", {"shoe_size": 9}),))

    if "test-broken" not in LOADERS:
        register("test-broken", "a loader with a bug (tests)", "BROKEN")(broken)
    path = _write(tmp_path, ["B1,x,y"], "broken.csv")
    with pytest.raises(LoaderBug, match="shoe_size"):
        load_file(engines.settings, engines.driver, engines.es, "test-broken", path, force="GMP")
    assert _count(engines, "MATCH (p:Person) RETURN count(p)") == 0


def test_edges_to_nodes_not_in_the_graph_are_counted_not_lost_quietly(
    engines: Engines, tmp_path: Path
) -> None:
    def dangling(path: Path, ctx: LoadContext, options: LoaderOptions) -> Iterator[Bundle | Quarantined]:
        source = SourceRecord(ctx.system, ctx.force, "D1", 2, {"ref": "D1"})
        person = Node("Person", source_uid("Person", source), {"full_name": "Sam Dangle"})
        edge = Edge("HAS_PHONE", "Person", person.uid, "Phone", "phone:+447911000999")
        yield Bundle(source, (person,), (edge,))

    if "test-dangling" not in LOADERS:
        register("test-dangling", "an edge to a node no file created (tests)", "DANGLE")(dangling)
    path = _write(tmp_path, ["D1,x,y"], "dangling.csv")
    summary = load_file(engines.settings, engines.driver, engines.es, "test-dangling", path, force="GMP")
    assert (summary.loaded, summary.edges, summary.edges_dropped) == (1, 0, 1)
    assert _count(engines, "MATCH ()-[r:HAS_PHONE]->() RETURN count(r)") == 0

"""Mapping and data.police.uk loads into the real Neo4j and Elasticsearch, through ``load_file``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from polegraph.ingest import LoadSummary, load_file
from polegraph.loaders.base import LoaderOptions
from polegraph.loaders.mapping import SHIPPED, mapping_plan
from tests.conftest import Engines
from tests.loaders.test_mapping_pole import POLE
from tests.loaders.test_police_uk import SAMPLE

FIXTURES = Path(__file__).parent.parent / "fixtures"


def load(
    engines: Engines, fmt: str, path: Path, mapping: Path | None = None, force: str = "WYP"
) -> LoadSummary:
    summary = load_file(
        engines.settings, engines.driver, engines.es, fmt, path, force=force,
        options=LoaderOptions(mapping=mapping), batch_size=5000,
    )  # fmt: skip
    assert summary.read == summary.loaded + summary.quarantined + summary.skipped
    return summary


def rows(engines: Engines, query: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = engines.driver.execute_query(query, params, database_=engines.settings.neo4j_database)
    return [dict(r) for r in records]


def counts(engines: Engines) -> tuple[int, int]:
    (found,) = rows(
        engines,
        "CALL () { MATCH (n) WHERE NOT n:LoadJournal RETURN count(n) AS nodes } "
        "CALL () { MATCH ()-[r]->() RETURN count(r) AS edges } RETURN nodes, edges",
    )
    return found["nodes"], found["edges"]


def snapshot(engines: Engines) -> list[str]:
    """Every node and edge with its properties (load journals and write times left out)."""
    found = rows(
        engines,
        "MATCH (n) WHERE NOT n:LoadJournal RETURN n.uid AS uid, labels(n) AS labels, properties(n) AS props",
    ) + rows(
        engines, "MATCH (a)-[r]->(b) RETURN a.uid AS a, type(r) AS t, b.uid AS b, properties(r) AS props"
    )
    return sorted(repr(sorted(r.items())) for r in found)


def test_the_pole_example_through_mappings_alone(engines: Engines) -> None:
    summaries = {
        csv_path.name: load(engines, "mapping", csv_path, mapping, force="GMP")
        for csv_path, mapping in mapping_plan(POLE, SHIPPED / "pole")
    }
    assert len(summaries) == 28
    assert sum(s.read for s in summaries.values()) == 167_361
    assert all(s.quarantined == 0 for s in summaries.values())
    labels = {
        r["label"]: r["n"]
        for r in rows(engines, "MATCH (n:Entity) RETURN labels(n)[0] AS label, count(n) AS n")
    }
    assert labels == {
        "Person": 369, "Crime": 28_762, "Address": 14_891, "Postcode": 14_196, "Phone": 328,
        "Call": 534, "Email": 328, "Vehicle": 1_000,
    }  # fmt: skip
    assert rows(engines, "MATCH (s:SourceRecord) RETURN count(s) AS n") == [{"n": 167_361}]
    # The documented fact, asked of the graph: the place with the most crimes is Piccadilly.
    top = rows(
        engines,
        "MATCH (c:Crime)-[:OCCURRED_AT]->(l) WHERE l:Address OR l:Place "
        "RETURN l.full_address AS place, count(c) AS crimes ORDER BY crimes DESC LIMIT 2",
    )
    assert top[0] == {"place": "PICCADILLY M1 1LU", "crimes": 166}
    assert top[1]["crimes"] < 166
    # Calls join phones to calls; people reach each other through them.
    calls = rows(
        engines,
        "MATCH (a:Person)-[:HAS_PHONE]->(:Phone)-[:CALLED {role: 'CALLER'}]->(c:Call)"
        "<-[:CALLED {role: 'CALLEE'}]-(:Phone)<-[:HAS_PHONE]-(b:Person) RETURN count(c) AS n",
    )
    assert calls[0]["n"] > 0
    engines.es.indices.refresh(index=engines.settings.index_name("entities"))
    assert engines.es.count(index=engines.settings.index_name("entities"))["count"] == sum(labels.values())


@pytest.mark.parametrize(
    ("fmt", "name", "read", "quarantined"),
    [
        ("police-uk-street", "street_awkward.csv", 12, 3),
        ("police-uk-street", "street_missing_columns.csv", 3, 0),
        ("police-uk-stop-search", "stop_search_awkward.csv", 8, 2),
        ("police-uk-street", "empty.csv", 0, 0),
    ],
)
def test_police_uk_files_load_every_record_once(
    engines: Engines, fmt: str, name: str, read: int, quarantined: int
) -> None:
    path = FIXTURES / "police_uk" / name
    summary = load(engines, fmt, path)
    assert (summary.read, summary.loaded, summary.quarantined) == (read, read - quarantined, quarantined)
    before = snapshot(engines)
    again = load(engines, fmt, path)
    assert again.already_loaded
    assert snapshot(engines) == before
    # Writing every record again (as a resumed load does) changes nothing either.
    rows(engines, "MATCH (j:LoadJournal) DETACH DELETE j")
    assert load(engines, fmt, path).loaded == summary.loaded
    assert snapshot(engines) == before


def test_police_uk_duplicates_and_snap_points_in_the_graph(engines: Engines) -> None:
    load(engines, "police-uk-street", FIXTURES / "police_uk" / "street_awkward.csv")
    # 9 rows loaded: the two identical ASB rows are two crimes, the repeated Crime ID is one.
    assert rows(engines, "MATCH (c:Crime) RETURN count(c) AS n") == [{"n": 8}]
    shared = rows(
        engines,
        "MATCH (p:Place)<-[:OCCURRED_AT {role: 'SCENE'}]-(c:Crime) "
        "RETURN p.place_key AS key, count(c) AS crimes ORDER BY crimes DESC, key LIMIT 1",
    )
    assert shared == [{"key": "police_uk:53.558087,-1.469932", "crimes": 2}]
    assert SAMPLE.is_file()
    sample = load(engines, "police-uk-street", SAMPLE)
    assert (sample.read, sample.quarantined) == (31, 0)
    assert (
        rows(engines, "MATCH (c:Crime {crime_type: 'Anti-social behaviour'}) RETURN count(c) AS n")[0]["n"]
        > 2
    )


def test_a_force_export_through_its_mappings(engines: Engines) -> None:
    mapping = FIXTURES / "mapping"
    occurrences = load(engines, "mapping", mapping / "occurrences.csv", mapping / "occurrences.yaml")
    nominals = load(engines, "mapping", mapping / "nominals.csv", mapping / "nominals.yaml")
    assert (occurrences.read, occurrences.quarantined) == (4, 1)
    assert (nominals.read, nominals.quarantined) == (8, 3)
    shared = rows(
        engines,
        "MATCH (p:Person)-[:HAS_PHONE]->(:Phone {e164: '+447911123456'}) "
        "MATCH (p)-[r:INVOLVED_IN]->(c:Crime) "
        "RETURN p.surname AS surname, r.role AS role, c.reference AS ref "
        "ORDER BY surname",
    )
    assert shared == [
        {"surname": "KHAN", "role": "SUSPECT", "ref": "OCC/1001/24"},
        {"surname": "SMITH", "role": "VICTIM", "ref": "OCC/1001/24"},
    ]
    # The suspect lives where the burglary happened: one Address node from two files.
    scene = rows(
        engines,
        "MATCH (:Person {surname: 'KHAN'})-[:LIVES_AT]->(a:Address)<-[:OCCURRED_AT]-(c:Crime) "
        "RETURN a.address_key AS address, c.reference AS ref",
    )
    assert scene == [{"address": "12 HIGH STREET LEEDS LS1 4DY", "ref": "OCC/1001/24"}]
    before = counts(engines)
    assert load(engines, "mapping", mapping / "nominals.csv", mapping / "nominals.yaml").already_loaded
    assert counts(engines) == before

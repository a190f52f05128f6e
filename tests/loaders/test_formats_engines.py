"""The crime, intel, custody, missing and ANPR fixtures loaded into the real Neo4j and Elasticsearch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from polegraph.ingest import LoadSummary, load_file
from polegraph.types import anpr_key
from tests.conftest import Engines
from tests.loaders.test_nominals import FIXTURES

# (format, fixture, records read, records quarantined)
FILES = {
    "crime-csv": ("crime", FIXTURES / "crime" / "niche_occurrences.csv", 7, 2),
    "crime-jsonl": ("crime", FIXTURES / "crime" / "connect_occurrences.jsonl", 7, 3),
    "intel": ("intel", FIXTURES / "intel" / "intel_reports.csv", 10, 4),
    "custody": ("custody", FIXTURES / "custody" / "custody_records.csv", 6, 1),
    "missing": ("missing", FIXTURES / "missing" / "missing_episodes.csv", 7, 1),
    "anpr": ("anpr", FIXTURES / "anpr" / "anpr_reads.csv", 8, 2),
}


def load(engines: Engines, fmt: str, path: Path, **labels: Any) -> LoadSummary:
    return load_file(engines.settings, engines.driver, engines.es, fmt, path, force="WYP", **labels)


def rows(engines: Engines, query: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = engines.driver.execute_query(query, params, database_=engines.settings.neo4j_database)
    return [dict(r) for r in records]


def snapshot(engines: Engines) -> list[Any]:
    """Every POLE node and edge with its properties (load journals left out)."""
    nodes = rows(
        engines, "MATCH (n) WHERE NOT n:LoadJournal RETURN n.uid AS uid, labels(n) AS l, properties(n) AS p"
    )
    edges = rows(
        engines,
        "MATCH (a)-[r]->(b) RETURN a.uid AS a, type(r) AS t, b.uid AS b, properties(r) AS p",
    )
    return sorted(repr(sorted(r.items())) for r in nodes + edges)


@pytest.mark.parametrize("case", sorted(FILES))
def test_each_fixture_loads_every_record_once(engines: Engines, case: str) -> None:
    fmt, path, read, quarantined = FILES[case]
    summary = load(engines, fmt, path)
    assert (summary.read, summary.quarantined, summary.skipped) == (read, quarantined, 0)
    assert summary.read == summary.loaded + summary.quarantined
    assert summary.quarantine_file is not None
    assert len(summary.quarantine_file.read_text(encoding="utf-8").splitlines()) == quarantined
    before = snapshot(engines)
    again = load(engines, fmt, path)
    assert again.already_loaded
    assert snapshot(engines) == before
    # Re-writing every record (as a resumed load does) changes nothing either.
    rows(engines, "MATCH (j:LoadJournal) DETACH DELETE j")
    rewritten = load(engines, fmt, path)
    assert rewritten.loaded == summary.loaded
    assert snapshot(engines) == before


def test_a_phone_in_custody_and_in_crime_is_one_node(engines: Engines) -> None:
    load(engines, "crime", FILES["crime-csv"][1])
    load(engines, "custody", FILES["custody"][1])
    found = rows(
        engines,
        "MATCH (ph:Phone {e164: '+447700900123'}) "
        "OPTIONAL MATCH (p:Person)-[:HAS_PHONE]->(ph) "
        "OPTIONAL MATCH (p)-[:FROM_SOURCE]->(s:SourceRecord) "
        "RETURN count(DISTINCT ph) AS phones, collect(DISTINCT s.system) AS systems, "
        "collect(DISTINCT p.surname) AS surnames",
    )
    assert found[0]["phones"] == 1
    assert sorted(found[0]["systems"]) == ["CRIME", "CUSTODY"]
    assert found[0]["surnames"] == ["BROWN"]


def test_roles_sit_on_the_edges(engines: Engines) -> None:
    load(engines, "crime", FILES["crime-csv"][1])
    load(engines, "crime", FILES["crime-jsonl"][1])
    roles = rows(
        engines,
        "MATCH (x)-[r:INVOLVED_IN]->(c:Crime) WHERE c.reference IN ['13/2024/000102', 'CON/24/000501'] "
        "RETURN c.reference AS ref, labels(x)[0] AS label, r.role AS role ORDER BY ref, role",
    )
    assert [(r["ref"], r["role"]) for r in roles] == [
        ("13/2024/000102", "ARRESTED"),
        ("13/2024/000102", "USED"),
        ("13/2024/000102", "WITNESS"),
        ("CON/24/000501", "REPORTING_PERSON"),
        ("CON/24/000501", "STOLEN"),
        ("CON/24/000501", "SUSPECT"),
        ("CON/24/000501", "USED"),
        ("CON/24/000501", "VICTIM"),
    ]
    (invalid,) = rows(engines, "MATCH (v:Vehicle {vrm: 'ZZ99ZZZZ'}) RETURN v.valid AS valid")
    assert invalid["valid"] is False


def test_gradings_and_per_report_labels(engines: Engines) -> None:
    load(engines, "intel", FILES["intel"][1], classification="OFFICIAL", handling_code="P")
    reports = {
        r["urn"]: r
        for r in rows(
            engines,
            "MATCH (i:IntelReport) RETURN i.urn AS urn, i.grading_scheme AS scheme, "
            "i.source_evaluation AS source, i.intelligence_assessment AS intel, "
            "i.legacy_source_grade AS legacy_source, i.legacy_handling_code AS legacy_handling, "
            "i.classification AS classification, i.handling_code AS handling, "
            "i.handling_conditions AS conditions",
        )
    }
    assert reports["WY-INT-24-004411"] == {
        "urn": "WY-INT-24-004411", "scheme": "3x5x2", "source": "2", "intel": "B", "legacy_source": None,
        "legacy_handling": None, "classification": "OFFICIAL-SENSITIVE", "handling": "P", "conditions": None,
    }  # fmt: skip
    secret = reports["WY-INT-24-004412"]
    assert (secret["classification"], secret["handling"]) == ("SECRET", "C")
    assert secret["conditions"].startswith("Not to be shared outside")
    legacy = reports["WY-INT-24-004414"]
    assert (legacy["scheme"], legacy["legacy_source"], legacy["legacy_handling"]) == ("5x5x5", "B", "4")
    assert legacy["source"] is None
    assert legacy["handling"] is None  # the load's P is not applied to a 5x5x5 report
    ungraded = reports["WY-INT-24-004413"]
    assert (ungraded["classification"], ungraded["handling"]) == ("OFFICIAL", "P")  # the load's labels
    edges = rows(
        engines,
        "MATCH (:Person)-[r:SUBJECT_OF]->(i:IntelReport {urn: 'WY-INT-24-004412'}) RETURN count(r) AS n",
    )
    assert edges[0]["n"] == 0
    graded = rows(
        engines,
        "MATCH (x)-[r:SUBJECT_OF]->(:IntelReport {urn: 'WY-INT-24-004411'}) "
        "RETURN r.source_evaluation AS source, r.classification AS classification",
    )
    assert {(r["source"], r["classification"]) for r in graded} == {("2", "OFFICIAL-SENSITIVE")}


def test_a_missing_child_found_at_an_arrested_persons_home(engines: Engines) -> None:
    load(engines, "custody", FILES["custody"][1])
    load(engines, "missing", FILES["missing"][1])
    found = rows(
        engines,
        "MATCH (e:MissingEpisode)-[:OCCURRED_AT {role: 'FOUND'}]->(a:Address)<-[:LIVES_AT]-(p:Person)"
        "-[:INVOLVED_IN {role: 'DETAINED'}]->(:Custody) "
        "RETURN collect(DISTINCT e.episode_number) AS episodes, collect(DISTINCT p.surname) AS detained",
    )
    assert sorted(found[0]["episodes"]) == [3, 4]
    assert found[0]["detained"] == ["AHMED"]
    counts = rows(
        engines,
        "MATCH (p:Person)-[:INVOLVED_IN {role: 'DETAINED'}]->(:Custody) "
        "RETURN count(DISTINCT p) AS people, count(DISTINCT CASE WHEN p.officer_defined_ethnicity IS NULL "
        "THEN p END) AS no_officer_ethnicity",
    )
    assert (counts[0]["people"], counts[0]["no_officer_ethnicity"]) == (4, 2)


def test_anpr_reads_meet_the_crime_vehicle_at_a_camera_site(engines: Engines) -> None:
    load(engines, "crime", FILES["crime-csv"][1])
    load(engines, "anpr", FILES["anpr"][1])
    found = rows(
        engines,
        "MATCH (:Crime {reference: '13/2024/000101'})<-[:INVOLVED_IN {role: 'USED'}]-(v:Vehicle)"
        "-[:INVOLVED_IN {role: 'READ'}]->(r:AnprRead)-[:READ_AT]->(site:Place) "
        "RETURN v.vrm AS vrm, toString(r.occurred_from) AS at, site.place_type AS type, site.site_id AS site",
    )
    assert found == [
        {
            "vrm": "AB12CDE",
            "at": "2024-03-02T21:47:13Z",
            "type": "CAMERA_SITE",
            "site": "LS-HAREHILLS-01",
        }
    ]
    hits = engines.es.search(
        index=engines.settings.index_name("entities"),
        query={"term": {"identifier_keys": anpr_key("AB12CDE")}},
        source=["uid"],
    )
    uids = {h["_source"]["uid"] for h in hits["hits"]["hits"]}
    assert {"vehicle:AB12CDE", "vehicle:A812CDE"} <= uids

"""Call data and extractions through the real pipeline: one phone where sources meet, idempotent loads."""

from __future__ import annotations

from typing import Any

from polegraph.ingest import LoadSummary, load_file
from polegraph.loaders.base import LoaderOptions
from tests.conftest import Engines
from tests.loaders.test_cdr import CDR, CELLS, FIXTURES

UFDR = FIXTURES / "ufdr" / "sample.ufdr"
XRY = FIXTURES / "xry" / "exhibit_DB1"
SHARED = "+447700900123"  # the CDR's target and the examined handset's own number


def _query(engines: Engines, cypher: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = engines.driver.execute_query(cypher, params, database_=engines.settings.neo4j_database)
    return [dict(r) for r in records]


def _totals(engines: Engines) -> tuple[int, int]:
    nodes = _query(engines, "MATCH (n) WHERE NOT n:LoadJournal RETURN count(n) AS n")[0]["n"]
    edges = _query(engines, "MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]
    return int(nodes), int(edges)


def _load_all(engines: Engines) -> list[LoadSummary]:
    def load(fmt: str, path: Any, **options: Any) -> LoadSummary:
        return load_file(
            engines.settings, engines.driver, engines.es, fmt, path, force="WYP",
            options=LoaderOptions(**options),
        )  # fmt: skip

    return [load("cdr", CDR, cell_sites=CELLS), load("ufdr", UFDR), load("xry", XRY)]


def test_sources_meet_on_one_phone_and_reloading_changes_nothing(engines: Engines) -> None:
    summaries = _load_all(engines)
    for summary in summaries:
        assert summary.read == summary.loaded + summary.quarantined
        assert summary.loaded > 0
    assert [s.quarantined for s in summaries] == [5, 2, 4]

    phones = _query(engines, "MATCH (p:Phone {e164: $n}) RETURN p.uid AS uid", n=SHARED)
    assert phones == [{"uid": f"phone:{SHARED}"}]
    systems = _query(
        engines,
        "MATCH (:Phone {e164: $n})-[:CALLED]->(:Call)-[:FROM_SOURCE]->(s:SourceRecord) "
        "RETURN s.system AS system, count(*) AS calls ORDER BY system",
        n=SHARED,
    )
    assert {r["system"] for r in systems} == {"CDR", "UFDR", "XRY"}
    cells = _query(
        engines,
        "MATCH (:Call)-[:OCCURRED_AT {role: 'CELL_FIRST'}]->(p:Place {site_id: '234-15-1201-30051'}) "
        "RETURN p.latitude AS lat, count(*) AS calls",
    )
    assert cells == [{"lat": 53.7947, "calls": 4}]
    times = _query(engines, "MATCH (c:Call) RETURN c.occurred_from.timezone AS tz, count(*) AS n")
    assert {r["tz"] for r in times} == {"Z"}  # every call time stored as a UTC instant
    saved = _query(
        engines,
        "MATCH (:Person)-[h:HAS_PHONE]->(:Phone {e164: '+447700900456'}) WHERE h.saved_as IS NOT NULL "
        "RETURN h.saved_as AS name",
    )
    assert {r["name"] for r in saved} == {"Dan ❤️"}
    docs = engines.es.count(
        index=engines.settings.index_name("entities"), query={"term": {"uid": f"phone:{SHARED}"}}
    )
    assert docs["count"] == 1

    before = _totals(engines)
    again = _load_all(engines)
    assert all(s.already_loaded for s in again)
    assert _totals(engines) == before
    # Even written a second time (journal gone), the same records make the same graph.
    _query(engines, "MATCH (j:LoadJournal) DETACH DELETE j")
    rewritten = _load_all(engines)
    assert [s.loaded for s in rewritten] == [s.loaded for s in summaries]
    assert _totals(engines) == before

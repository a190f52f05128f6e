"""A small scenario loaded into the real Neo4j and Elasticsearch, file by file, as load.sh does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from polegraph.ingest import load_file
from polegraph.scenario import generate
from tests.conftest import Engines
from tests.scenario.conftest import options_for


def _rows(engines: Engines, query: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = engines.driver.execute_query(query, params, database_=engines.settings.neo4j_database)
    return [dict(r) for r in records]


def test_the_scenario_loads_and_the_network_meets_across_forces(engines: Engines, tmp_path: Path) -> None:
    manifest = generate(tmp_path, forces=2, people=200, seed=17)
    for entry in manifest.files:
        summary = load_file(
            engines.settings, engines.driver, engines.es, entry.format, tmp_path / entry.path,
            force=entry.force, system=entry.system, classification=entry.classification,
            caveat=entry.caveat, handling_code=entry.handling_code,
            handling_conditions=entry.handling_conditions, options=options_for(tmp_path, entry),
        )  # fmt: skip
        assert summary.read == summary.loaded + summary.quarantined, entry.path
        assert (summary.read, summary.quarantined) == (entry.expected_read, entry.expected_quarantined), (
            entry.path
        )
    network = json.loads((tmp_path / "ground_truth.json").read_text(encoding="utf-8"))["network"]
    work = network["shared_phones"]["work"]
    found = _rows(
        engines,
        "MATCH (p:Phone {e164: $e164}) OPTIONAL MATCH (p)-[:FROM_SOURCE]->(s:SourceRecord) "
        "RETURN count(DISTINCT p) AS phones, collect(DISTINCT s.force) AS forces, "
        "collect(DISTINCT s.system) AS systems",
        e164=work,
    )
    assert found[0]["phones"] == 1
    assert len(found[0]["forces"]) >= 2
    assert {"CDR", "UFDR", "INTEL"} <= set(found[0]["systems"])
    # Two offenders' records and a child's handset meet on that one number.
    users = _rows(
        engines,
        "MATCH (p:Phone {e164: $e164})<-[:HAS_PHONE]-(person:Person) RETURN count(DISTINCT person) AS n",
        e164=work,
    )
    assert users[0]["n"] >= 2
    flat = network["places"]["flat"]["postcode"]
    found_at = _rows(
        engines,
        "MATCH (e:MissingEpisode)-[:OCCURRED_AT {role: 'FOUND'}]->(:Address)-[:IN_POSTCODE]->"
        "(:Postcode {postcode: $pc}) RETURN count(DISTINCT e) AS n",
        pc=flat,
    )
    assert found_at[0]["n"] >= 1

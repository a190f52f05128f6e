"""Index documents built from node properties (pure: no engine needed)."""

from __future__ import annotations

from datetime import UTC, datetime

import neo4j.time

from polegraph.search.documents import entity_document
from polegraph.search.indexer import _in_ontology_order


def test_a_period_recorded_back_to_front_is_indexed_in_order() -> None:
    reported = neo4j.time.DateTime(2024, 6, 17, 2, 13, 0, tzinfo=UTC)
    found = neo4j.time.DateTime(2024, 6, 17, 1, 13, 0, tzinfo=UTC)
    doc = entity_document("MissingEpisode", {"uid": "m1", "occurred_from": reported, "occurred_to": found})
    assert doc["period"] == {"gte": found.iso_format(), "lte": reported.iso_format()}
    open_ended = entity_document("MissingEpisode", {"uid": "m2", "occurred_from": reported})
    assert open_ended["period"] == {"gte": reported.iso_format(), "lte": reported.iso_format()}


def test_person_document_carries_name_keys_dob_forms_and_identifiers() -> None:
    doc = entity_document(
        "Person",
        {"uid": "p1", "full_name": "KHAN, Mohammed Imran", "dob": "1987-03-04", "pnc_id": "87/123456A",
         "source_keys": ["src:GMP:NICHE:1", "src:WYP:ATHENA:9"],
         "system_access": ["GMP|OFFICIAL|P|NICHE", "WYP|SECRET|P|ATHENA"]},
    )  # fmt: skip
    assert doc["label"] == "Person"
    assert doc["name_keys"]["folded"] == ["MOHAMMED", "IMRAN", "KHAN"]
    # The order-free fingerprint is what "Imran Mohammed Khan" would give too.
    assert doc["name_keys"]["fingerprint"] == ["IMRAN KHAN MOHAMMED"]
    assert "M KHAN" in doc["name_keys"]["initials"]
    assert doc["identifiers"] == "87/123456A"
    assert doc["dob"]["iso"] == ["1987-03-04"]
    assert doc["dob"]["swapped"] == ["1987-04-03"]
    assert doc["dob"]["year"] == [1987]
    # Systems only with their records' tokens: the source keys alone do not name them.
    assert doc["system_access"] == ["GMP|OFFICIAL|P|NICHE", "WYP|SECRET|P|ATHENA"]
    assert "source_systems" not in doc


def test_a_document_is_the_same_however_the_node_was_read() -> None:
    """The writer reads date-times back as text, reindex as driver DateTimes, each in its own key order."""
    stamp = neo4j.time.DateTime(2024, 7, 1, 14, 30, 5, 123456000, tzinfo=UTC)
    as_read = {"uid": "c1", "reported_at": stamp, "mo_text": "Window forced", "crime_type": "Burglary"}
    from_text = {
        "crime_type": "Burglary", "mo_text": "Window forced", "uid": "c1",
        "reported_at": datetime.fromisoformat("2024-07-01T14:30:05.123456+00:00"),
    }  # fmt: skip
    docs = [entity_document("Crime", _in_ontology_order("Crime", props)) for props in (as_read, from_text)]
    for doc in docs:
        doc.pop("updated_at")
    assert docs[0] == docs[1]
    assert list(docs[0]) == list(docs[1])
    assert docs[0]["reported_at"] == stamp.iso_format()

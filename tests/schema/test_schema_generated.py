"""The generated Neo4j DDL and Elasticsearch bodies: committed files match the YAML, and the
output respects the limits of Neo4j Community and of the minimal Elasticsearch distribution."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import pytest

from polegraph.schema import Ontology, SchemaError, es_indices, neo4j_statements, read_ontology
from polegraph.schema.elasticsearch import search_field
from polegraph.schema.generate import drift, main
from polegraph.schema.neo4j import snake

# Fields the search layer relies on (the list), by name.
ENTITY_FIELDS = [
    *("uid", "label", "labels", "force", "classification", "caveat", "handling_code"),
    *("source_evaluation", "intelligence_assessment", "grading_scheme"),
    *("system_access", "source_keys", "load_ids", "name", "name_keys", "dob", "identifiers"),
    *("identifier_keys", "phones", "emails", "vrms", "postcodes", "text", "text_translated"),
    *("lang", "period", "occurred_from", "crime_type", "location", "embedding"),
    *("embedding_hash", "updated_at"),
]
# Not in the minimal distribution (mapper-extras, plugins) or not free.
FORBIDDEN_TYPES = {
    "search_as_you_type",
    "rank_feature",
    "rank_features",
    "scaled_float",
    "token_count",
    "match_only_text",
    "icu_collation_keyword",
    "semantic_text",
}


def test_committed_files_match_the_yaml(ontology: Ontology) -> None:
    diffs = drift(ontology)
    assert not diffs, "generated files drifted; run python -m polegraph.schema.generate\n" + "".join(diffs)


def test_cli_writes_then_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--output", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "es_audit.json",
        "es_entities.json",
        "es_source_records.json",
        "neo4j.cypher",
    ]
    assert main(["--check", "--output", str(tmp_path)]) == 0
    cypher = tmp_path / "neo4j.cypher"
    cypher.write_text(cypher.read_text().replace("person_uid_unique", "person_uid"))
    capsys.readouterr()
    assert main(["--check", "--output", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert "neo4j.cypher (committed)" in out.out
    assert "+CREATE CONSTRAINT person_uid_unique" in out.out
    assert "out of date" in out.err


# -- Neo4j -------------------------------------------------------------------------------------


def _name(statement: str) -> str:
    match = re.match(r"CREATE (?:CONSTRAINT|(?:FULLTEXT |VECTOR )?INDEX) (\w+) IF NOT EXISTS ", statement)
    assert match, statement
    return match.group(1)


def test_statements_are_idempotent_and_uniquely_named(ontology: Ontology) -> None:
    statements = neo4j_statements(ontology)
    names = [_name(s) for s in statements]
    assert len(names) == len(set(names))
    assert neo4j_statements(ontology) == statements


def test_no_enterprise_only_constraints(ontology: Ontology) -> None:
    for statement in neo4j_statements(ontology):
        assert "NODE KEY" not in statement
        assert "IS NOT NULL" not in statement
        assert "IS ::" not in statement
        assert "RELATIONSHIP KEY" not in statement


def test_uid_is_unique_per_concrete_label(ontology: Ontology) -> None:
    statements = set(neo4j_statements(ontology))
    for entity in ontology.concrete():
        assert (
            f"CREATE CONSTRAINT {snake(entity.name)}_uid_unique IF NOT EXISTS "
            f"FOR (n:{entity.name}) REQUIRE n.uid IS UNIQUE"
        ) in statements
    assert "CREATE INDEX entity_uid_idx IF NOT EXISTS FOR (n:Entity) ON (n.uid)" in statements


def test_vector_indexes_for_text_bearing_events(ontology: Ontology) -> None:
    vectors = [s for s in neo4j_statements(ontology, embedding_dims=768) if "VECTOR" in s]
    assert [_name(s) for s in vectors] == [
        "crime_embedding_vector",
        "intel_report_embedding_vector",
        "message_embedding_vector",
    ]
    assert all("`vector.dimensions`: 768" in s and "'cosine'" in s for s in vectors)


def test_only_ontology_names_reach_the_ddl(ontology: Ontology) -> None:
    for statement in neo4j_statements(ontology):
        for label in re.findall(r"\(n:([\w|]+)\)", statement):
            assert all(ontology.is_label(part) for part in label.split("|")), statement
        for rel in re.findall(r"\[r:(\w+)\]", statement):
            assert ontology.is_relationship_type(rel)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("IntelReport", "intel_report"), ("POSSIBLE_SAME_AS", "possible_same_as"), ("Person", "person")],
)
def test_snake(name: str, expected: str) -> None:
    assert snake(name) == expected


# -- Elasticsearch -----------------------------------------------------------------------------


def _walk(mapping: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for field in mapping.get("properties", {}).values():
        yield field
        yield from _walk(field)
    yield from mapping.get("fields", {}).values()


def test_entity_index_fields(ontology: Ontology) -> None:
    mappings = es_indices(ontology)["entities"]["mappings"]
    assert mappings["dynamic"] == "strict"
    fields = mappings["properties"]
    for name in ENTITY_FIELDS:
        assert name in fields, name
    assert fields["name"]["fields"]["keyword"]["type"] == "keyword"
    assert set(fields["name_keys"]["properties"]) == {
        "folded",
        "phonetic",
        "variant",
        "initials",
        "fingerprint",
    }
    assert set(fields["dob"]["properties"]) == {"iso", "year", "year_month", "swapped"}
    assert set(fields["postcodes"]["properties"]) == {"full", "area", "district", "sector"}
    assert fields["location"] == {"type": "geo_point"}
    assert fields["period"] == {"type": "date_range"}


def test_embedding_mapping(ontology: Ontology) -> None:
    embedding = es_indices(ontology, embedding_dims=768)["entities"]["mappings"]["properties"]["embedding"]
    assert embedding["type"] == "dense_vector"
    assert embedding["dims"] == 768
    assert embedding["index"] is True
    assert embedding["similarity"] == "cosine"


def test_only_core_features(ontology: Ontology) -> None:
    for name, body in es_indices(ontology).items():
        assert "analysis" not in body["settings"].get("index", {}), name
        assert "analysis" not in body["settings"], name
        for field in _walk(body["mappings"]):
            assert field.get("type") not in FORBIDDEN_TYPES, (name, field)
            assert field.get("analyzer", "standard") == "standard", (name, field)
            assert field.get("normalizer", "lowercase") == "lowercase", (name, field)


def test_source_records_keep_the_payload_unindexed(ontology: Ontology) -> None:
    mappings = es_indices(ontology)["source_records"]["mappings"]
    assert mappings["dynamic"] == "strict"
    assert mappings["properties"]["payload"] == {"type": "object", "enabled": False}
    assert {"uid", "system", "force", "record_id", "load_id", "hash"} <= set(mappings["properties"])


def test_audit_index(ontology: Ontology) -> None:
    mappings = es_indices(ontology)["audit"]["mappings"]
    assert mappings["dynamic"] == "strict"
    assert {"user", "purpose", "operation", "returned_ids", "hash", "prev_hash"} <= set(
        mappings["properties"]
    )


def test_bodies_are_fresh_copies(ontology: Ontology) -> None:
    first = es_indices(ontology)
    first["entities"]["mappings"]["properties"]["uid"]["type"] = "text"
    assert es_indices(ontology)["entities"]["mappings"]["properties"]["uid"]["type"] == "keyword"


def test_search_field(ontology: Ontology) -> None:
    def field(owner: str, name: str) -> str | None:
        return search_field(ontology.property(owner, name))

    assert field("Person", "aliases") == "name"
    assert field("Phone", "e164") == "phones"
    assert field("Person", "dob") == "dob"
    assert field("IntelReport", "text") == "text"
    assert field("IntelReport", "handling_conditions") == "handling_conditions"
    assert field("Person", "age") is None


@pytest.fixture
def shipped_yaml(tmp_path: Path) -> Path:
    """A copy of the shipped YAML that a test can add a file to."""
    with as_file(files("polegraph.schema")) as package:
        for path in Path(package).glob("*.yaml"):
            shutil.copy(path, tmp_path / path.name)
    return tmp_path


@pytest.mark.parametrize(
    ("prop", "message"),
    [
        ("labels: {type: string, searchable: true}", "index field 'labels', which the indexer"),
        ("nick: {type: name, searchable: true, index_as: text}", "feeds index field 'text' as 'name'"),
    ],
)
def test_index_field_conflicts(shipped_yaml: Path, prop: str, message: str) -> None:
    widget = "entities:\n  Widget:\n    extends: [Object]\n    properties:\n"
    widget += f"      serial: {{type: string, key: true}}\n      {prop}\n"
    (shipped_yaml / "zz_widget.yaml").write_text(widget)
    ontology = read_ontology(shipped_yaml)
    with pytest.raises(SchemaError, match=re.escape(message)):
        es_indices(ontology)

"""The shipped ontology: its contents, inheritance, and the lookups the API relies on."""

from __future__ import annotations

from importlib.resources import files

import pytest

from polegraph.nlp.narrative import EMBEDDING_HASH, LANG_HASH, MENTIONS_HASH
from polegraph.schema import (
    EntityType,
    Ontology,
    RelationshipType,
    UnknownSchemaName,
    load_ontology,
)
from polegraph.schema.model import PROPERTY_TYPES

PERSON_OBJECT_LOCATION_EVENT = [
    "Person",
    *("Phone", "Device", "Vehicle", "Email", "Account", "Document", "BankAccount"),
    *("Address", "Postcode", "Place"),
    *("Crime", "IntelReport", "Custody", "StopSearch", "MissingEpisode", "Call", "Message"),
    *("AnprRead", "Referral"),
]
RELATIONSHIPS = [
    *("INVOLVED_IN", "HAS_PHONE", "USES_DEVICE", "HAS_EMAIL", "HAS_ACCOUNT", "OWNS", "DRIVES"),
    *("LIVES_AT", "ASSOCIATED_WITH", "IN_POSTCODE", "OCCURRED_AT", "CALLED", "SENT", "RECEIVED"),
    *("READ_AT", "SUBJECT_OF", "MENTIONS", "FROM_SOURCE", "KNOWS", "FAMILY_REL"),
    *("POSSIBLE_SAME_AS", "SAME_AS"),
]
SECURITY_LABELS = ["force", "classification", "caveat", "descriptors", "handling_code"]


def test_load_is_cached() -> None:
    assert load_ontology() is load_ontology()


def test_yaml_and_generated_files_are_package_data() -> None:
    package = files("polegraph.schema")
    assert sorted(f.name for f in package.iterdir() if f.name.endswith(".yaml"))
    for name in ("neo4j.cypher", "es_entities.json", "es_source_records.json", "es_audit.json"):
        assert package.joinpath("generated", name).is_file()


@pytest.mark.parametrize("name", [*PERSON_OBJECT_LOCATION_EVENT, "SourceRecord"])
def test_every_node_type_is_concrete_with_a_uid(ontology: Ontology, name: str) -> None:
    entity = ontology.entity(name)
    assert not entity.abstract
    assert ontology.is_label(name)
    uid = ontology.property(name, "uid")
    assert (uid.type, uid.required) == ("string", True)


@pytest.mark.parametrize("name", RELATIONSHIPS)
def test_relationship_types_exist(ontology: Ontology, name: str) -> None:
    assert ontology.is_relationship_type(name)


def test_security_labels_and_provenance_are_inherited_everywhere(ontology: Ontology) -> None:
    owners: list[EntityType | RelationshipType] = [
        *ontology.concrete(),
        *ontology.relationships.values(),
    ]
    for owner in owners:
        for name in SECURITY_LABELS:
            assert owner.get(name) is not None, f"{owner.name} lacks {name}"
    owners = [*ontology.concrete(under="Entity"), *ontology.relationships.values()]
    for owner in owners:
        assert owner.get("source_keys") is not None, owner.name
    assert ontology.property("Person", "force").owner == "Labelled"


def test_labels_follow_labelled_ancestors(ontology: Ontology) -> None:
    assert ontology.entity("Person").labels == ("Person", "Entity")
    assert ontology.entity("Crime").labels == ("Crime", "Event", "Entity")
    assert ontology.entity("Phone").labels == ("Phone", "Object", "Entity")
    assert ontology.entity("SourceRecord").labels == ("SourceRecord",)


@pytest.mark.parametrize("name", ["Entity", "Event", "Object", "Location", "Person", "AnprRead"])
def test_is_label_accepts_labels(ontology: Ontology, name: str) -> None:
    assert ontology.is_label(name)


@pytest.mark.parametrize(
    "name", ["Thing", "Graded", "Narrative", "person", "INVOLVED_IN", "", "Person) DETACH DELETE n"]
)
def test_is_label_rejects_everything_else(ontology: Ontology, name: str) -> None:
    assert not ontology.is_label(name)


@pytest.mark.parametrize("name", ["involved_in", "Person", "INVOLVED_IN]->() DELETE r //"])
def test_is_relationship_type_rejects_unknown_names(ontology: Ontology, name: str) -> None:
    assert not ontology.is_relationship_type(name)


def test_property_lookup(ontology: Ontology) -> None:
    assert ontology.property("Person", "pnc_id").type == "pnc_id"
    assert ontology.property("Phone", "e164").key
    role = ontology.property("INVOLVED_IN", "role")
    assert role.key
    assert {"SUSPECT", "VICTIM", "WITNESS", "REPORTING_PERSON"} <= set(role.values)
    assert ontology.property("SUBJECT_OF", "source_evaluation").values == ("1", "2", "3")


def test_unknown_names_raise_lookup_errors_with_suggestions(ontology: Ontology) -> None:
    with pytest.raises(UnknownSchemaName) as caught:
        ontology.property("Person", "pnc")
    assert isinstance(caught.value, LookupError)
    assert caught.value.suggestions[0] == "pnc_id"
    assert "type 'Person': unknown property 'pnc'; did you mean 'pnc_id'" in str(caught.value)
    with pytest.raises(UnknownSchemaName, match="did you mean 'Person'"):
        ontology.entity("person")
    with pytest.raises(UnknownSchemaName, match="did you mean 'INVOLVED_IN'"):
        ontology.relationship("INVOLVED")
    with pytest.raises(UnknownSchemaName, match="unknown entity or relationship type 'Nominal'"):
        ontology.property("Nominal", "uid")


@pytest.mark.parametrize("name", [None, 3, ["Person"]])
def test_lookups_of_values_that_are_not_names(ontology: Ontology, name: object) -> None:
    assert not ontology.is_label(name)  # type: ignore[arg-type]
    assert not ontology.is_relationship_type(name)  # type: ignore[arg-type]
    with pytest.raises(UnknownSchemaName):
        ontology.entity(name)  # type: ignore[arg-type]
    with pytest.raises(UnknownSchemaName):
        ontology.relationship(name)  # type: ignore[arg-type]
    with pytest.raises(UnknownSchemaName):
        ontology.property("Person", name)  # type: ignore[arg-type]


def test_relationship_endpoints(ontology: Ontology) -> None:
    involved = ontology.relationship("INVOLVED_IN")
    assert involved.allows("Person", "Crime")
    assert involved.allows("Vehicle", "AnprRead")  # Object -> Event admits descendants
    assert not involved.allows("Crime", "Person")
    assert ontology.relationship("READ_AT").allows("AnprRead", "Place")
    assert ontology.relationship("MENTIONS").allows("IntelReport", "Phone")
    assert ontology.relationship("FROM_SOURCE").allows("Person", "SourceRecord")
    assert not ontology.relationship("SAME_AS").allows("Person", "Phone")


def test_intelligence_grading(ontology: Ontology) -> None:
    def values(name: str) -> tuple[str, ...]:
        return ontology.property("IntelReport", name).values

    assert values("source_evaluation") == ("1", "2", "3")
    assert values("intelligence_assessment") == ("A", "B", "C", "D", "E")
    assert values("handling_code") == ("P", "C")
    assert "5x5x5" in values("grading_scheme")
    assert ontology.property("IntelReport", "handling_conditions").type == "text"


def test_identities(ontology: Ontology) -> None:
    for entity in ontology.concrete(under="Object"):
        assert entity.identity == "value", entity.name
        assert entity.key_properties, entity.name
    assert [p.name for p in ontology.entity("Account").key_properties] == ["platform", "handle"]
    assert ontology.entity("Person").identity == "source"
    assert not ontology.entity("Crime").key_properties


def test_property_types_come_from_the_shared_set(ontology: Ontology) -> None:
    everything: list[EntityType | RelationshipType] = [
        *ontology.entities.values(),
        *ontology.relationships.values(),
    ]
    for owner in everything:
        for prop in owner.properties.values():
            assert prop.type in PROPERTY_TYPES


def test_ontology_is_read_only(ontology: Ontology) -> None:
    with pytest.raises(TypeError):
        ontology.entities["Widget"] = ontology.entity("Person")  # type: ignore[index]
    with pytest.raises(TypeError):
        ontology.entity("Person").properties["x"] = ontology.property("Person", "uid")  # type: ignore[index]


def test_descendants(ontology: Ontology) -> None:
    events = {e.name for e in ontology.descendants("Event")}
    assert {"Crime", "IntelReport", "AnprRead"} <= events
    assert "Person" not in events


@pytest.mark.parametrize("label", ["Crime", "IntelReport", "Message"])
def test_the_hashes_the_nlp_steps_keep_are_declared_and_stay_out_of_the_index(label: str) -> None:
    entity = load_ontology().entity(label)
    for name in (EMBEDDING_HASH, MENTIONS_HASH, LANG_HASH):
        spec = entity.get(name)
        assert spec is not None, f"{label}.{name} is written by polegraph/nlp but not declared"
        assert spec.type == "string"
    bookkeeping = [entity.get(MENTIONS_HASH), entity.get(LANG_HASH)]
    assert [spec.searchable for spec in bookkeeping if spec is not None] == [False, False]

"""A broken ontology fails at load time with an error naming the file, type and property."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from polegraph.schema import SchemaError, read_ontology

WriteOntology = Callable[..., Path]

# A value-identified type whose `vrm` property each case fills in.
VEHICLE = """\
entities:
  Vehicle:
    extends: [Node]
    identity: value
    properties:
      vrm: {vrm}
"""

# (case id, files to write on top of the small valid ontology, fragments the message must hold)
CASES: list[tuple[str, dict[str, str], list[str]]] = [
    (
        "unknown property type",
        {"extra": VEHICLE.format(vrm="{type: registration, key: true}")},
        ["extra.yaml", "type 'Vehicle'", "property 'vrm'", "unknown property type 'registration'"],
    ),
    (
        "unknown parent, with a suggestion",
        {"extra": "entities:\n  Vehicle:\n    extends: [Nod]\n"},
        ["extra.yaml", "type 'Vehicle'", "unknown parent 'Nod'", "did you mean 'Node'"],
    ),
    (
        "concrete parent",
        {"extra": "entities:\n  Vehicle:\n    extends: [Person]\n"},
        ["extra.yaml", "type 'Vehicle'", "parent 'Person' is concrete"],
    ),
    (
        "inheritance cycle",
        {"extra": "entities:\n  A: {abstract: true, extends: [B]}\n  B: {abstract: true, extends: [A]}\n"},
        ["extra.yaml", "inheritance cycle: A -> B -> A"],
    ),
    (
        "type defined in two files",
        {"extra": "entities:\n  Person:\n    extends: [Node]\n"},
        ["extra.yaml", "type 'Person'", "defined twice (also in base.yaml)"],
    ),
    (
        "duplicate key in one file",
        {"extra": VEHICLE.format(vrm="{type: vrm, key: true}\n      vrm: string")},
        ["extra.yaml", "duplicate key 'vrm' (first on line"],
    ),
    (
        "property redefined by a child",
        {"extra": "entities:\n  Car:\n    extends: [Node]\n    properties:\n      uid: string\n"},
        ["extra.yaml", "type 'Car'", "property 'uid'", "already inherited from 'Node'"],
    ),
    (
        "one property name, two types",
        {"extra": VEHICLE.format(vrm="{type: vrm, key: true}\n      full_name: string")},
        ["extra.yaml", "type 'Vehicle'", "property 'full_name'", "is 'string' here but 'name'"],
    ),
    (
        "unknown relationship endpoint",
        {"relationships": "relationships:\n  HAS_PHONE: {from: [Person], to: [Telephone]}\n"},
        ["relationships.yaml", "type 'HAS_PHONE'", "unknown 'to' endpoint 'Telephone'", "'Phone'"],
    ),
    (
        "relationship endpoint that is a relationship",
        {
            "relationships": "relationships:\n  A_B: {from: [Person], to: [Phone]}\n"
            "  KNOWS: {from: [Person], to: [A_B]}\n"
        },
        ["type 'KNOWS'", "'A_B' is a relationship type, not an entity type"],
    ),
    (
        "relationship without endpoints",
        {"relationships": "relationships:\n  KNOWS: {to: [Person]}\n"},
        ["type 'KNOWS'", "'from' must list at least one entity type"],
    ),
    (
        "searchable relationship property",
        {
            "relationships": "relationships:\n  KNOWS:\n    from: [Person]\n    to: [Person]\n"
            "    properties: {since: {type: date, searchable: true}}\n"
        },
        ["type 'KNOWS'", "property 'since'", "relationship properties are not indexed"],
    ),
    (
        "enum without values",
        {"extra": VEHICLE.format(vrm="{type: enum, key: true}")},
        ["property 'vrm'", "an enum needs a non-empty 'values' list"],
    ),
    (
        "enum value read as a boolean",
        {"extra": VEHICLE.format(vrm="{type: enum, key: true, values: [YES, NO]}")},
        ["property 'vrm'", "enum value True must be a string (quote it)"],
    ),
    (
        "flag that is not a boolean",
        {"extra": VEHICLE.format(vrm='{type: vrm, key: true, searchable: "yes"}')},
        ["property 'vrm'", "'searchable' must be true or false"],
    ),
    (
        "misspelt attribute",
        {"extra": VEHICLE.format(vrm="{type: vrm, key: true, serchable: true}")},
        ["property 'vrm'", "unknown attribute(s) 'serchable'"],
    ),
    (
        "key that is a list",
        {"extra": VEHICLE.format(vrm="{type: vrm, key: true, multiple: true}")},
        ["property 'vrm'", "cannot be 'multiple'"],
    ),
    (
        "vector that is not a float list",
        {"extra": VEHICLE.format(vrm="{type: vrm, key: true, vector: true}")},
        ["property 'vrm'", "'vector' applies to float properties"],
    ),
    (
        "entity name in the wrong case",
        {"extra": "entities:\n  stolen_vehicle:\n    extends: [Node]\n"},
        ["extra.yaml", "type 'stolen_vehicle'", "entity names must be CamelCase"],
    ),
    (
        "value identity without a key",
        {"extra": VEHICLE.format(vrm="vrm")},
        ["type 'Vehicle'", "'identity: value' needs at least one 'key: true' property"],
    ),
    (
        "source identity with a key",
        {"extra": "entities:\n  Car:\n    extends: [Node]\n    properties: {vrm: {type: vrm, key: true}}\n"},
        ["type 'Car'", "property 'vrm'", "take their uid from the source record"],
    ),
    (
        "node type without uid",
        {"extra": "entities:\n  Loose:\n    extends: [Thing]\n    identity: source\n"},
        ["type 'Loose'", "needs a required, single string 'uid'"],
    ),
    (
        "label on a concrete type",
        {"extra": "entities:\n  Car:\n    extends: [Node]\n    label: true\n"},
        ["type 'Car'", "'label' applies to abstract types"],
    ),
    (
        "geo naming a missing property",
        {"extra": "entities:\n  Spot:\n    extends: [Node]\n    geo: [lat, lon]\n"},
        ["type 'Spot'", "'geo' names 'lat'"],
    ),
    (
        "YAML syntax error",
        {"extra": "entities:\n  Car:\n    description: one: two\n"},
        ["extra.yaml", "not valid YAML at line 3"],
    ),
    (
        "top level that is not a mapping",
        {"extra": "- Person\n- Phone\n"},
        ["extra.yaml", "the top level must be a mapping"],
    ),
]


@pytest.mark.parametrize(("files", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_ontology_is_refused_with_a_precise_message(
    write_ontology: WriteOntology, files: dict[str, str], fragments: list[str]
) -> None:
    folder = write_ontology(**files)
    with pytest.raises(SchemaError) as caught:
        read_ontology(folder)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_the_small_ontology_is_valid(write_ontology: WriteOntology) -> None:
    ontology = read_ontology(write_ontology())
    assert ontology.is_label("Person")
    assert ontology.relationship("HAS_PHONE").allows("Person", "Phone")


def test_error_carries_its_parts(write_ontology: WriteOntology) -> None:
    folder = write_ontology(extra=VEHICLE.format(vrm="{type: plate, key: true}"))
    with pytest.raises(SchemaError) as caught:
        read_ontology(folder)
    assert (caught.value.file, caught.value.owner, caught.value.prop) == ("extra.yaml", "Vehicle", "vrm")


def test_folder_without_yaml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"no ontology files"):
        read_ontology(str(tmp_path))

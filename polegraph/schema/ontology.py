"""The POLE ontology: load it once from the YAML shipped with the package, and look names up.

    >>> onto = load_ontology()
    >>> onto.entity("Person").labels
    ('Person', 'Entity')
    >>> onto.property("Phone", "e164").type
    'phone'

The API checks labels, relationship types and property names from a request with
`is_label`, `is_relationship_type` and `property` before any of them reaches a query string.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from polegraph.schema.errors import SchemaError, UnknownSchemaName
from polegraph.schema.loader import read_declarations
from polegraph.schema.model import (
    IDENTIFIER_TYPES,
    PROPERTY_TYPES,
    EntityType,
    Ontology,
    PropertySpec,
    RelationshipType,
)
from polegraph.schema.resolve import build_ontology

__all__ = [
    "IDENTIFIER_TYPES",
    "PROPERTY_TYPES",
    "EntityType",
    "Ontology",
    "PropertySpec",
    "RelationshipType",
    "SchemaError",
    "UnknownSchemaName",
    "load_ontology",
    "read_ontology",
]


@functools.cache
def load_ontology() -> Ontology:
    """The ontology shipped with polegraph (`polegraph/schema/*.yaml`), read and validated once."""
    return read_ontology(files("polegraph.schema"))


def read_ontology(folder: Traversable | Path | str) -> Ontology:
    """Read and validate the `*.yaml` files of `folder`; raises SchemaError naming the fault."""
    source: Traversable = Path(folder) if isinstance(folder, str) else folder
    return build_ontology(read_declarations(source))

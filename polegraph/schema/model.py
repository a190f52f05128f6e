"""The ontology as typed, immutable data, with the lookups the rest of polegraph relies on.

Everything here is resolved: inherited properties are copied into each type, so callers never
walk parents. Instances are built by `polegraph.schema.loader` from the YAML files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from polegraph.schema.errors import UnknownSchemaName

#: Property type names, shared with `polegraph.types` (which owns cleaning and comparison).
PROPERTY_TYPES = frozenset(
    {
        *("string", "text", "name", "address", "url", "json"),  # text and structured text
        *("date", "datetime", "integer", "float", "boolean", "enum", "country"),  # values
        *("phone", "vrm", "postcode", "imei", "email", "pnc_id", "cro", "nino"),  # identifiers
    }
)

#: Types whose normalised values are identifiers by default (`PropertySpec.identifier`).
IDENTIFIER_TYPES = frozenset({"phone", "email", "vrm", "imei", "pnc_id", "cro", "nino"})

#: How a node's uid is made: from its key properties, or from its source record.
IDENTITY_VALUE = "value"
IDENTITY_SOURCE = "source"


@dataclass(frozen=True, slots=True)
class PropertySpec:
    """One property of an entity or relationship type."""

    name: str
    type: str
    owner: str  # the type that declares it (an ancestor, for inherited properties)
    description: str = ""
    key: bool = False  # part of the identity; implies required
    required: bool = False
    multiple: bool = False  # holds a list of values
    searchable: bool = False  # goes into the Elasticsearch index
    matchable: bool = False  # used by the linker
    identifier: bool = False  # also indexed under `identifiers`
    indexed: bool = False  # has a Neo4j range index
    vector: bool = False  # an embedding (float list) with a vector index
    index_as: str | None = None  # index field it feeds when not the type's default
    values: tuple[str, ...] = ()  # allowed codes, for enums


@dataclass(frozen=True, slots=True)
class EntityType:
    """A node type (concrete) or a parent/mixin that node types inherit from (abstract)."""

    name: str
    file: str
    description: str
    abstract: bool
    parents: tuple[str, ...]
    ancestors: tuple[str, ...]  # every ancestor, nearest first
    labels: tuple[str, ...]  # Neo4j labels a node of this type carries, its own first
    properties: Mapping[str, PropertySpec]  # inherited ones first, in declaration order
    identity: str | None = None
    geo: tuple[str, str] | None = None  # (latitude, longitude) property names
    period: tuple[str, str] | None = None  # (from, to) property names
    graph_label: bool = False  # an abstract type whose name is a Neo4j label of descendants

    def is_a(self, name: str) -> bool:
        """True when this type is `name` or inherits from it."""
        return name == self.name or name in self.ancestors

    def get(self, name: str) -> PropertySpec | None:
        """The property called `name`, or None."""
        return self.properties.get(name)

    @property
    def own_properties(self) -> tuple[PropertySpec, ...]:
        """Properties declared by this type itself, not inherited."""
        return tuple(p for p in self.properties.values() if p.owner == self.name)

    @property
    def key_properties(self) -> tuple[PropertySpec, ...]:
        """The properties whose normalised values make up the identity, in order."""
        return tuple(p for p in self.properties.values() if p.key)


@dataclass(frozen=True, slots=True)
class RelationshipType:
    """An edge type, its endpoints and the properties it carries (roles among them)."""

    name: str
    file: str
    description: str
    start_types: tuple[str, ...]  # as declared; an abstract type admits its descendants
    end_types: tuple[str, ...]
    start_labels: frozenset[str]  # every type (abstract or concrete) admitted at the start
    end_labels: frozenset[str]
    parents: tuple[str, ...]
    properties: Mapping[str, PropertySpec]
    directed: bool = True

    def allows(self, start: str, end: str) -> bool:
        """True when an edge of this type may run from a `start` node to an `end` node."""
        return start in self.start_labels and end in self.end_labels

    def get(self, name: str) -> PropertySpec | None:
        """The property called `name`, or None."""
        return self.properties.get(name)

    @property
    def key_properties(self) -> tuple[PropertySpec, ...]:
        """Properties that distinguish two edges of this type between the same nodes."""
        return tuple(p for p in self.properties.values() if p.key)


@dataclass(frozen=True)
class Ontology:
    """The whole POLE ontology; build it with `polegraph.schema.load_ontology()`."""

    entities: Mapping[str, EntityType]  # abstract and concrete, in file order
    relationships: Mapping[str, RelationshipType]
    files: tuple[str, ...] = ()
    _labels: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        labels = frozenset(e.name for e in self.entities.values() if not e.abstract or e.graph_label)
        object.__setattr__(self, "_labels", labels)

    # Defined before the method `property`, which shadows the builtin in the class body.
    @property
    def labels(self) -> frozenset[str]:
        """Every Neo4j node label: concrete types and labelled abstract ones (Entity, Event...)."""
        return self._labels

    # -- lookups that reject unknown names -------------------------------------------------

    def entity(self, name: str) -> EntityType:
        """The entity type called `name` (abstract ones included); raises UnknownSchemaName."""
        entity = self.entities.get(name) if isinstance(name, str) else None
        if entity is None:
            raise UnknownSchemaName("entity type", name, self.entities)
        return entity

    def relationship(self, name: str) -> RelationshipType:
        """The relationship type called `name`; raises UnknownSchemaName."""
        rel = self.relationships.get(name) if isinstance(name, str) else None
        if rel is None:
            raise UnknownSchemaName("relationship type", name, self.relationships)
        return rel

    def property(self, owner: str, name: str) -> PropertySpec:
        """Property `name` of the entity or relationship type `owner`; raises UnknownSchemaName."""
        spec: EntityType | RelationshipType | None = None
        if isinstance(owner, str):
            spec = self.entities.get(owner) or self.relationships.get(owner)
        if spec is None:
            known = [*self.entities, *self.relationships]
            raise UnknownSchemaName("entity or relationship type", owner, known)
        prop = spec.get(name) if isinstance(name, str) else None
        if prop is None:
            raise UnknownSchemaName("property", name, spec.properties, owner=owner)
        return prop

    def is_label(self, name: str) -> bool:
        """True when `name` is a Neo4j node label of the ontology (case-sensitive)."""
        # Names come from requests: anything that is not a string is simply not a label.
        return isinstance(name, str) and name in self._labels

    def is_relationship_type(self, name: str) -> bool:
        """True when `name` is a relationship type of the ontology (case-sensitive)."""
        return isinstance(name, str) and name in self.relationships

    # -- enumerations ----------------------------------------------------------------------

    def concrete(self, under: str | None = None) -> Iterator[EntityType]:
        """Concrete entity types in file order, optionally only those that are `under`."""
        for entity in self.entities.values():
            if not entity.abstract and (under is None or entity.is_a(under)):
                yield entity

    def descendants(self, name: str) -> tuple[EntityType, ...]:
        """Every type (abstract or concrete) that inherits from `name`, not `name` itself."""
        self.entity(name)
        return tuple(e for e in self.entities.values() if name in e.ancestors)

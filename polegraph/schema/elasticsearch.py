"""Elasticsearch 8.19 create-index bodies generated from the ontology.

The local Elasticsearch is the minimal distribution: core analysis only (the `standard` analyzer,
the built-in `lowercase` normalizer), no analysis-common, ICU, phonetic or mapper-extras modules,
no scripts, no ingest pipelines. So every key a search matches on (folded and phonetic names,
variant groups, DOB forms, postcode parts, ANPR confusion keys) is computed in Python by
`polegraph.types` and stored as a `keyword`; text gets the `standard` analyzer.

The entity index has one document per POLE node; each searchable property feeds the field
`search_field(prop)` names: a shared field for its type (all names -> `name`, all phones ->
`phones`, narrative -> `text`...) or a field of its own name. Mappings are `dynamic: strict`, so
a document with a field the ontology does not produce is refused rather than silently indexed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from polegraph.schema.errors import SchemaError
from polegraph.schema.model import EntityType, Ontology, PropertySpec

ENTITIES = "entities"
SOURCE_RECORDS = "source_records"
AUDIT = "audit"
#: The abstract type whose concrete descendants are indexed in `entities`.
ENTITY_ROOT = "Entity"
SOURCE_RECORD = "SourceRecord"

#: Shared fields that every property of a type feeds unless it says `index_as`.
TYPE_FIELDS = {
    "name": "name",
    "address": "address",
    "phone": "phones",
    "email": "emails",
    "vrm": "vrms",
    "postcode": "postcodes",
    "text": "text",
}

Mapping = dict[str, Any]

_KEYWORD: Mapping = {"type": "keyword"}
_LONG_KEYWORD: Mapping = {"type": "keyword", "ignore_above": 1024}
_TEXT: Mapping = {"type": "text", "analyzer": "standard"}
_TEXT_AND_KEYWORD: Mapping = {
    **_TEXT,
    "fields": {"keyword": {"type": "keyword", "ignore_above": 256}},
}
_SETTINGS: Mapping = {
    # One shard holds tens of millions of entities; replicas appear when a second node joins.
    "index": {"number_of_shards": 1, "auto_expand_replicas": "0-1"}
}


def _keyword_object(*names: str) -> Mapping:
    return {"properties": {n: dict(_KEYWORD) for n in names}}


# Partial dates (dob "1980", "1980-05") are stored as keys a search can match despite gaps and
# day/month swaps; year is numeric for age-band ranges.
_PARTIAL_DATE: Mapping = {
    "properties": {
        "iso": dict(_KEYWORD),
        "year": {"type": "integer"},
        "year_month": dict(_KEYWORD),
        "swapped": dict(_KEYWORD),
    }
}

_TYPE_MAPPINGS: dict[str, Mapping] = {
    "string": _LONG_KEYWORD,
    "text": _TEXT,
    "name": _TEXT_AND_KEYWORD,
    "address": _TEXT_AND_KEYWORD,
    "date": _PARTIAL_DATE,
    "datetime": {"type": "date"},
    "postcode": _keyword_object("full", "area", "district", "sector"),
    "integer": {"type": "long"},
    "float": {"type": "double"},
    "boolean": {"type": "boolean"},
    "json": {"type": "object", "enabled": False},
    # Normalised codes and identifiers are exact keys.
    **{t: _KEYWORD for t in ("enum", "country", "url", "phone", "vrm", "imei", "email")},
    **{t: _KEYWORD for t in ("pnc_id", "cro", "nino")},
}

# Fields the indexer computes rather than copies from one property.
_COMPUTED: dict[str, Mapping] = {
    "label": _KEYWORD,  # the concrete type
    "labels": _KEYWORD,  # every Neo4j label of the node
    "identifiers": _KEYWORD,  # every normalised identifier, of any type
    "identifier_keys": _KEYWORD,  # confusion keys (ANPR 0/O/D/Q, 1/I, 5/S, 8/B, 2/Z)
    "name_keys": _keyword_object("folded", "phonetic", "variant", "initials", "fingerprint"),
    "location": {"type": "geo_point"},  # from the type's `geo` properties
    "period": {"type": "date_range"},  # from the type's `period` properties
    "access_class": _KEYWORD,  # classifications of the `access` tokens: "within clearance"
    "access_forces": _KEYWORD,  # FORCE|lowest class of its tokens: restricted hits by force
}


def search_field(prop: PropertySpec) -> str | None:
    """The entity-index field a property's values go to, or None when it is not searchable."""
    if not prop.searchable:
        return None
    return prop.index_as or TYPE_FIELDS.get(prop.type, prop.name)


def field_mapping(prop: PropertySpec, *, embedding_dims: int) -> Mapping:
    """The Elasticsearch mapping of the field a searchable property feeds."""
    if prop.vector:
        return {
            "type": "dense_vector",
            "dims": embedding_dims,
            "index": True,
            "similarity": "cosine",
            # Stated, not left to the version's default, so upgrades do not change recall.
            "index_options": {"type": "int8_hnsw"},
        }
    return _TYPE_MAPPINGS[prop.type]


def es_indices(ontology: Ontology, embedding_dims: int = 384) -> dict[str, dict[str, Any]]:
    """Create-index bodies (settings and mappings) by logical index name."""
    if embedding_dims < 1:
        raise ValueError(f"embedding_dims must be positive, not {embedding_dims}")
    entities = list(ontology.concrete(under=ENTITY_ROOT))
    bodies = {
        ENTITIES: _body(_entity_fields(entities, embedding_dims)),
        SOURCE_RECORDS: _body(_property_fields([ontology.entity(SOURCE_RECORD)], embedding_dims)),
        AUDIT: _body(_audit_fields()),
    }
    # The bodies share the module's mapping constants: hand out a copy callers may change.
    return copy.deepcopy(bodies)


def _body(fields: Mapping) -> dict[str, Any]:
    return {
        "settings": _SETTINGS,
        "mappings": {"dynamic": "strict", "properties": dict(sorted(fields.items()))},
    }


def _entity_fields(entities: list[EntityType], dims: int) -> Mapping:
    fields = {n: _COMPUTED[n] for n in ("label", "labels", "access_class", "access_forces")}
    props = [p for e in entities for p in e.properties.values() if p.searchable]
    for prop in props:
        field = search_field(prop)
        if field in _COMPUTED:
            raise SchemaError(
                f"feeds the index field {field!r}, which the indexer computes; set 'index_as'",
                owner=prop.owner,
                prop=prop.name,
            )
    fields.update(_property_fields(entities, dims))
    if any(p.identifier for p in props):
        fields["identifiers"] = _COMPUTED["identifiers"]
    if any(p.type == "vrm" for p in props):
        fields["identifier_keys"] = _COMPUTED["identifier_keys"]
    if "name" in fields:
        fields["name_keys"] = _COMPUTED["name_keys"]
    if any(e.geo for e in entities):
        fields["location"] = _COMPUTED["location"]
    if any(e.period for e in entities):
        fields["period"] = _COMPUTED["period"]
    return fields


def _property_fields(types: Iterable[EntityType], dims: int) -> Mapping:
    """Fields fed by the searchable properties of `types`; two feeds of one field must agree."""
    fields: dict[str, Mapping] = {}
    feeders: dict[str, PropertySpec] = {}
    for entity in types:
        for prop in entity.properties.values():
            field = search_field(prop)
            if field is None:
                continue
            mapping = field_mapping(prop, embedding_dims=dims)
            if field in fields and fields[field] != mapping:
                first = feeders[field]
                raise SchemaError(
                    f"feeds index field {field!r} as {prop.type!r}, but {first.owner}."
                    f"{first.name} feeds it as {first.type!r}; set 'index_as'",
                    owner=prop.owner,
                    prop=prop.name,
                )
            fields[field] = mapping
            feeders.setdefault(field, prop)
    return fields


def _audit_fields() -> Mapping:
    """The append-only audit log: who asked what, why, and what they were given."""
    keyword = (
        "event_id",
        "request_id",
        "user",
        "user_force",
        "roles",
        "clearance",
        "readable_forces",
        "operation",
        "operation_name",
        "returned_ids",
        "restricted_forces",
        "outcome",
        "hash",
        "prev_hash",
        "client",
    )
    return {
        **{name: _KEYWORD for name in keyword},
        "seq": {"type": "long"},
        "timestamp": {"type": "date"},
        "purpose": _TEXT_AND_KEYWORD,
        "query": {"type": "keyword", "index": False, "doc_values": False},
        "variables": {"type": "object", "enabled": False},
        "returned_count": {"type": "integer"},
        "restricted_count": {"type": "integer"},
        "error": _TEXT,
        "duration_ms": {"type": "double"},
        "client_ip": {"type": "ip"},
    }

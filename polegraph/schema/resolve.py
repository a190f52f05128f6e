"""Turning parsed declarations into an Ontology: inheritance, endpoints and cross-type checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

from polegraph.schema.errors import SchemaError, close_matches, did_you_mean
from polegraph.schema.loader import Declaration
from polegraph.schema.model import (
    IDENTITY_SOURCE,
    IDENTITY_VALUE,
    EntityType,
    Ontology,
    PropertySpec,
    RelationshipType,
)

#: The abstract type relationships inherit from when they do not say (security + provenance).
EDGE_BASE = "Thing"

_T = TypeVar("_T")


def build_ontology(declarations: Sequence[Declaration]) -> Ontology:
    """Resolve declarations (from `loader.read_declarations`) into a validated Ontology."""
    entity_decls = {d.name: d for d in declarations if d.kind == "entities"}
    rel_decls = {d.name: d for d in declarations if d.kind == "relationships"}
    resolved: dict[str, EntityType] = {}
    for name in entity_decls:
        _resolve_entity(name, entity_decls, rel_decls, resolved, ())
    entities = {name: resolved[name] for name in entity_decls}  # file order, not resolution order
    for entity in entities.values():
        _check_entity(entity)
    relationships = {
        name: _resolve_relationship(decl, entities, rel_decls) for name, decl in rel_decls.items()
    }
    _check_property_types([*entities.values(), *relationships.values()])
    files = tuple(dict.fromkeys(d.file for d in declarations))
    # Read-only views: the cached ontology is shared by every caller in the process.
    return Ontology(
        entities=MappingProxyType(entities),
        relationships=MappingProxyType(relationships),
        files=files,
    )


def _resolve_entity(
    name: str,
    decls: Mapping[str, Declaration],
    rel_decls: Mapping[str, Declaration],
    done: dict[str, EntityType],
    chain: tuple[str, ...],
) -> EntityType:
    if name in done:
        return done[name]
    decl = decls[name]
    if name in chain:
        cycle = " -> ".join((*chain[chain.index(name) :], name))
        raise SchemaError(f"inheritance cycle: {cycle}", file=decl.file, owner=name)
    body = decl.body
    abstract = _flag(body, "abstract", decl)
    graph_label = _flag(body, "label", decl)
    if graph_label and not abstract:
        raise SchemaError(
            "'label' applies to abstract types (concrete ones are labels)",
            file=decl.file,
            owner=name,
        )
    parents: list[EntityType] = []
    for parent_name in _names(body.get("extends"), "extends", decl):
        if parent_name not in decls:
            raise SchemaError(
                _unknown_entity("parent", parent_name, decls, rel_decls), file=decl.file, owner=name
            )
        parent = _resolve_entity(parent_name, decls, rel_decls, done, (*chain, name))
        if not parent.abstract:
            raise SchemaError(
                f"parent {parent_name!r} is concrete; only abstract types are inherited from",
                file=decl.file,
                owner=name,
            )
        parents.append(parent)
    ancestors = tuple(dict.fromkeys(a for p in parents for a in (p.name, *p.ancestors)))
    properties = _inherit(parents, decl)
    labelled = tuple(a for a in ancestors if done[a].graph_label)
    own_label = () if abstract and not graph_label else (name,)
    identity = body.get("identity")
    if identity is not None and identity not in (IDENTITY_VALUE, IDENTITY_SOURCE):
        raise SchemaError(
            f"identity must be {IDENTITY_VALUE!r} or {IDENTITY_SOURCE!r}, not {identity!r}",
            file=decl.file,
            owner=name,
        )
    entity = EntityType(
        name=name,
        file=decl.file,
        description=" ".join(str(body.get("description", "")).split()),
        abstract=abstract,
        parents=tuple(p.name for p in parents),
        ancestors=ancestors,
        labels=(*own_label, *labelled),
        properties=properties,
        identity=identity or _first(p.identity for p in parents),
        geo=_pair(body, "geo", decl) or _first(p.geo for p in parents),
        period=_pair(body, "period", decl) or _first(p.period for p in parents),
        graph_label=graph_label,
    )
    done[name] = entity
    return entity


def _inherit(parents: Sequence[EntityType], decl: Declaration) -> Mapping[str, PropertySpec]:
    """Parents' properties in order, then the declaration's own; a name may come only once."""
    merged: dict[str, PropertySpec] = {}
    for parent in parents:
        for prop in parent.properties.values():
            seen = merged.get(prop.name)
            if seen is not None and seen.owner != prop.owner:
                raise SchemaError(
                    f"inherited from both {seen.owner!r} and {prop.owner!r}",
                    file=decl.file,
                    owner=decl.name,
                    prop=prop.name,
                )
            merged[prop.name] = prop
    for prop in decl.properties:
        if prop.name in merged:
            raise SchemaError(
                f"already inherited from {merged[prop.name].owner!r}; a type may not redefine it",
                file=decl.file,
                owner=decl.name,
                prop=prop.name,
            )
        merged[prop.name] = prop
    return MappingProxyType(merged)


def _check_entity(entity: EntityType) -> None:
    def fail(message: str, prop: str | None = None) -> SchemaError:
        return SchemaError(message, file=entity.file, owner=entity.name, prop=prop)

    for attr, wanted in (("geo", {"float"}), ("period", {"datetime", "date"})):
        for prop_name in getattr(entity, attr) or ():
            prop = entity.get(prop_name)
            if prop is None or prop.type not in wanted or prop.multiple:
                raise fail(
                    f"'{attr}' names {prop_name!r}, which must be a single "
                    f"{' or '.join(sorted(wanted))} property of the type"
                )
    if entity.abstract:
        return
    uid = entity.get("uid")
    if uid is None or uid.type != "string" or not uid.required or uid.multiple:
        raise fail("every node type needs a required, single string 'uid' (its unique key)")
    keys = entity.key_properties
    if entity.identity is None:
        raise fail("no identity: set 'identity: value' or 'identity: source' (or inherit one)")
    if entity.identity == IDENTITY_VALUE and not keys:
        raise fail("'identity: value' needs at least one 'key: true' property")
    if entity.identity == IDENTITY_SOURCE and keys:
        raise fail(
            "'identity: source' types take their uid from the source record; "
            "drop 'key' or use 'identity: value'",
            prop=keys[0].name,
        )


def _resolve_relationship(
    decl: Declaration,
    entities: Mapping[str, EntityType],
    rel_decls: Mapping[str, Declaration],
) -> RelationshipType:
    body = decl.body
    default = [EDGE_BASE] if EDGE_BASE in entities else []
    parents = []
    for parent_name in _names(body.get("extends", default), "extends", decl):
        parent = entities.get(parent_name)
        if parent is None or not parent.abstract:
            reason = "is concrete" if parent else _unknown_entity("parent", parent_name, entities, rel_decls)
            raise SchemaError(
                f"relationships extend abstract entity types; {parent_name!r} {reason}",
                file=decl.file,
                owner=decl.name,
            )
        parents.append(parent)
    ends: list[tuple[tuple[str, ...], frozenset[str]]] = []
    for side in ("from", "to"):
        names = _names(body.get(side), side, decl)
        if not names:
            raise SchemaError(f"'{side}' must list at least one entity type", file=decl.file, owner=decl.name)
        admitted: set[str] = set()
        for name in names:
            if name not in entities:
                raise SchemaError(
                    _unknown_entity(f"'{side}' endpoint", name, entities, rel_decls),
                    file=decl.file,
                    owner=decl.name,
                )
            admitted.add(name)
            admitted.update(e.name for e in entities.values() if name in e.ancestors)
        ends.append((names, frozenset(admitted)))
    directed = body.get("directed", True)
    if not isinstance(directed, bool):
        raise SchemaError("'directed' must be true or false", file=decl.file, owner=decl.name)
    return RelationshipType(
        name=decl.name,
        file=decl.file,
        description=" ".join(str(body.get("description", "")).split()),
        start_types=ends[0][0],
        end_types=ends[1][0],
        start_labels=ends[0][1],
        end_labels=ends[1][1],
        parents=tuple(p.name for p in parents),
        properties=_inherit(parents, decl),
        directed=directed,
    )


def _check_property_types(owners: Sequence[EntityType | RelationshipType]) -> None:
    """One property name means one type everywhere: queries and the index rely on it."""
    first: dict[str, tuple[PropertySpec, str]] = {}
    for owner in owners:
        for prop in owner.properties.values():
            if prop.owner != owner.name:
                continue
            seen = first.setdefault(prop.name, (prop, owner.file))
            if seen[0].type != prop.type:
                raise SchemaError(
                    f"is {prop.type!r} here but {seen[0].type!r} in {seen[0].owner!r} "
                    f"({seen[1]}); use one type or another name",
                    file=owner.file,
                    owner=owner.name,
                    prop=prop.name,
                )


def _unknown_entity(role: str, name: str, entities: Mapping[str, Any], rel_decls: Mapping[str, Any]) -> str:
    if name in rel_decls:
        return f"{role} {name!r} is a relationship type, not an entity type"
    return f"unknown {role} {name!r}: not an entity type{did_you_mean(close_matches(name, entities))}"


def _flag(body: Mapping[str, Any], attr: str, decl: Declaration) -> bool:
    value = body.get(attr, False)
    if not isinstance(value, bool):
        raise SchemaError(f"'{attr}' must be true or false", file=decl.file, owner=decl.name)
    return value


def _names(raw: Any, attr: str, decl: Declaration) -> tuple[str, ...]:
    raw = [raw] if isinstance(raw, str) else ([] if raw is None else raw)
    if not isinstance(raw, list) or not all(isinstance(n, str) for n in raw):
        raise SchemaError(f"'{attr}' must be a type name or a list of them", file=decl.file, owner=decl.name)
    return tuple(raw)


def _pair(body: Mapping[str, Any], attr: str, decl: Declaration) -> tuple[str, str] | None:
    raw = body.get(attr)
    if raw is None:
        return None
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(n, str) for n in raw)):
        raise SchemaError(f"'{attr}' must list two property names", file=decl.file, owner=decl.name)
    return (raw[0], raw[1])


def _first(values: Iterable[_T | None]) -> _T | None:
    return next((v for v in values if v is not None), None)

"""The concrete node types, generated from the POLE ontology: one GraphQL type per node type.

Each type implements ``Node`` and has one typed field per recorded property (``Person.fullName``,
``Crime.crimeType``, ``IntelReport.sourceEvaluation`` ...), described from the YAML, plus the
profile fields of ``profile.py`` for the types they apply to. A property added to the ontology
shows up in the API without code; the machinery (embeddings, provenance lists) never does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.scalars import JSON

from polegraph.api.data.nodes import LABEL_FIELDS, NODE_TYPES, NOT_SHOWN, Node, json_value
from polegraph.api.data.profile import EXTRA_FIELDS
from polegraph.graph.read import HIDDEN
from polegraph.schema import load_ontology
from polegraph.schema.model import EntityType, PropertySpec

_SCALARS: dict[str, Any] = {"integer": int, "float": float, "boolean": bool, "json": JSON}
_SKIPPED = frozenset(LABEL_FIELDS) | NOT_SHOWN | frozenset(HIDDEN) | {"load_ids"}


def _convert(spec: PropertySpec, value: Any) -> Any:
    if spec.type == "json":
        return json_value(value)
    scalar: Callable[[Any], Any] = _SCALARS.get(spec.type, str)
    return scalar(value)


def _property_field(spec: PropertySpec) -> Any:
    scalar = _SCALARS.get(spec.type, str)
    annotation: Any = list[scalar] | None if spec.multiple else scalar | None  # type: ignore[valid-type]

    def resolve(root: Node) -> Any:
        value = root.graph.props.get(spec.name)
        if value is None:
            return None
        if spec.multiple:
            return [_convert(spec, v) for v in (value if isinstance(value, list) else [value])]
        return _convert(spec, value)

    resolve.__annotations__ = {"root": Node, "return": annotation}
    return strawberry.field(resolver=resolve, description=spec.description or None)


def _extra_field(resolver: Callable[..., Any]) -> Any:
    return strawberry.field(resolver=resolver, description=(resolver.__doc__ or "").strip() or None)


def _node_type(entity: EntityType) -> type[Node]:
    namespace: dict[str, Any] = {"__module__": __name__, "__annotations__": {}}
    for spec in entity.properties.values():
        if spec.name not in _SKIPPED and not spec.vector:
            namespace[spec.name] = _property_field(spec)
    for applies_to, resolvers in EXTRA_FIELDS.items():
        if entity.is_a(applies_to):
            namespace.update({name: _extra_field(r) for name, r in resolvers.items()})
    cls = type(entity.name, (Node,), namespace)
    typed: type[Node] = strawberry.type(cls, description=entity.description)
    return typed


def _generate() -> tuple[type[Node], ...]:
    made = []
    for entity in load_ontology().entities.values():
        if not entity.abstract:
            NODE_TYPES[entity.name] = _node_type(entity)
            made.append(NODE_TYPES[entity.name])
    return tuple(made)


NODE_CLASSES = _generate()

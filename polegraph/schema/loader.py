"""Reading the ontology YAML files: strict parsing and the checks of single declarations.

Inheritance and cross-type checks live in `polegraph.schema.resolve`. Every error is a
SchemaError naming the file, the type and the property at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from typing import Any

import yaml

from polegraph.schema.errors import SchemaError
from polegraph.schema.model import IDENTIFIER_TYPES, PROPERTY_TYPES, PropertySpec

# Names reach Cypher DDL and query strings as identifiers, so they are held to a plain shape.
ENTITY_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
RELATIONSHIP_NAME = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")
PROPERTY_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")

_TOP_KEYS = frozenset({"entities", "relationships"})
_NAME_SHAPES = {
    "entities": "entity names must be CamelCase",
    "relationships": "relationship type names must be UPPER_SNAKE_CASE",
}
_ENTITY_KEYS = frozenset(
    {"description", "abstract", "label", "extends", "identity", "geo", "period", "properties"}
)
_RELATIONSHIP_KEYS = frozenset({"description", "from", "to", "extends", "directed", "properties"})
_FLAGS = (
    "key",
    "required",
    "multiple",
    "searchable",
    "matchable",
    "identifier",
    "indexed",
    "vector",
)
_PROPERTY_KEYS = frozenset({"type", "description", "values", "index_as", *_FLAGS})


@dataclass(frozen=True)
class Declaration:
    """One entity or relationship type as written in a file, its own properties parsed."""

    kind: str  # "entities" or "relationships"
    name: str
    file: str
    body: Mapping[str, Any]
    properties: tuple[PropertySpec, ...]


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last one)."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {seen[key]})",
                key_node.start_mark,
            )
        seen[key] = line
    return dict(loader.construct_pairs(node, deep=True))


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _mapping_without_duplicates,
)


def read_declarations(folder: Traversable) -> list[Declaration]:
    """Parse every `*.yaml` file in `folder` (sorted by name) into declarations."""
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    if not files:
        raise SchemaError(f"no ontology files (*.yaml) in {folder}")
    declarations: list[Declaration] = []
    where: dict[str, str] = {}
    for file in files:
        for decl in _read_file(file.name, file.read_text(encoding="utf-8")):
            if decl.name in where:
                raise SchemaError(
                    f"defined twice (also in {where[decl.name]})", file=decl.file, owner=decl.name
                )
            where[decl.name] = decl.file
            declarations.append(decl)
    return declarations


def _read_file(name: str, text: str) -> Iterable[Declaration]:
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        line = f" at line {exc.problem_mark.line + 1}" if exc.problem_mark else ""
        raise SchemaError(f"not valid YAML{line}: {exc.problem}", file=name) from exc
    except yaml.YAMLError as exc:
        raise SchemaError(f"not valid YAML: {exc}", file=name) from exc
    if document is None:
        return
    if not isinstance(document, dict):
        raise SchemaError("the top level must be a mapping (entities:, relationships:)", file=name)
    _no_unknown_keys(document, _TOP_KEYS, file=name)
    for kind, pattern, allowed in (
        ("entities", ENTITY_NAME, _ENTITY_KEYS),
        ("relationships", RELATIONSHIP_NAME, _RELATIONSHIP_KEYS),
    ):
        section = document.get(kind) or {}
        if not isinstance(section, dict):
            raise SchemaError(f"'{kind}' must be a mapping of names to declarations", file=name)
        for type_name, body in section.items():
            if not isinstance(type_name, str) or not pattern.match(type_name):
                raise SchemaError(_NAME_SHAPES[kind], file=name, owner=type_name)
            body = {} if body is None else body
            if not isinstance(body, dict):
                raise SchemaError("the declaration must be a mapping", file=name, owner=type_name)
            _no_unknown_keys(body, allowed, file=name, owner=type_name)
            props = tuple(_parse_properties(body.get("properties"), kind, name, type_name))
            yield Declaration(kind, type_name, name, body, props)


def _parse_properties(raw: Any, kind: str, file: str, owner: str) -> Iterable[PropertySpec]:
    if raw is None:
        return
    if not isinstance(raw, dict):
        raise SchemaError("'properties' must be a mapping of names to types", file=file, owner=owner)
    for name, body in raw.items():
        yield parse_property(name, body, relationship=kind == "relationships", file=file, owner=owner)


def parse_property(name: Any, body: Any, *, relationship: bool, file: str, owner: str) -> PropertySpec:
    """Parse one property declaration: a bare type name, or a mapping of attributes."""

    def fail(message: str) -> SchemaError:
        return SchemaError(message, file=file, owner=owner, prop=str(name))

    if not isinstance(name, str) or not PROPERTY_NAME.match(name):
        raise fail("property names must be lower_snake_case")
    body = {"type": body} if isinstance(body, str) else body
    if not isinstance(body, dict):
        raise fail("a property is a type name or a mapping with a 'type'")
    _no_unknown_keys(body, _PROPERTY_KEYS, file=file, owner=owner, prop=name)
    type_name = body.get("type")
    if type_name not in PROPERTY_TYPES:
        raise fail(f"unknown property type {type_name!r} (known: {', '.join(sorted(PROPERTY_TYPES))})")
    # A key is indexed unless it says otherwise (a low-cardinality part of a composite key).
    defaults = {"indexed": body.get("key") is True and not relationship}
    flags: dict[str, bool] = {}
    for flag in _FLAGS:
        value = body.get(flag, defaults.get(flag, False))
        if not isinstance(value, bool):
            raise fail(f"'{flag}' must be true or false, not {value!r}")
        flags[flag] = value
    values = _enum_values(body.get("values"), fail)
    if (type_name == "enum") != bool(values):
        raise fail(
            "an enum needs a non-empty 'values' list"
            if type_name == "enum"
            else "'values' applies to enum properties only"
        )
    if flags["key"] and flags["multiple"]:
        raise fail("a key property holds one value; it cannot be 'multiple'")
    if flags["vector"] and not (type_name == "float" and flags["multiple"]):
        raise fail("'vector' applies to float properties that are 'multiple'")
    if flags["indexed"] and (flags["multiple"] or flags["vector"]):
        raise fail("Neo4j range indexes do not serve list membership; drop 'indexed'")
    if relationship and (flags["searchable"] or flags["matchable"] or flags["identifier"]):
        raise fail("relationship properties are not indexed or matched; drop the flag")
    index_as = body.get("index_as")
    if index_as is not None and (not isinstance(index_as, str) or not PROPERTY_NAME.match(index_as)):
        raise fail("'index_as' must be a lower_snake_case field name")
    description = body.get("description", "")
    if not isinstance(description, str):
        raise fail("'description' must be a string")
    return PropertySpec(
        name=name,
        type=type_name,
        owner=owner,
        description=" ".join(description.split()),
        key=flags["key"],
        required=flags["required"] or flags["key"],
        multiple=flags["multiple"],
        searchable=flags["searchable"],
        matchable=flags["matchable"],
        identifier=flags["identifier"] or (type_name in IDENTIFIER_TYPES and flags["searchable"]),
        indexed=flags["indexed"],
        vector=flags["vector"],
        index_as=index_as,
        values=values,
    )


def _enum_values(raw: Any, fail: Callable[[str], SchemaError]) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise fail("'values' must be a list")
    values: list[str] = []
    for value in raw:
        # YAML 1.1 reads NO, Y, off... as booleans: make the author quote them.
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise fail(f"enum value {value!r} must be a string (quote it)")
        if str(value) in values:
            raise fail(f"enum value {value!r} is listed twice")
        values.append(str(value))
    return tuple(values)


def _no_unknown_keys(
    body: Mapping[Any, Any],
    allowed: frozenset[str],
    *,
    file: str,
    owner: str | None = None,
    prop: str | None = None,
) -> None:
    unknown = sorted(str(k) for k in body if k not in allowed)
    if unknown:
        raise SchemaError(
            f"unknown attribute(s) {', '.join(map(repr, unknown))} (allowed: {', '.join(sorted(allowed))})",
            file=file,
            owner=owner,
            prop=prop,
        )

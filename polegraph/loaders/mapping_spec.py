"""Reading and checking a mapping YAML: which columns of one CSV become which nodes and edges.

Every error names the mapping file and the key at fault (``entities.person.properties.surnme``)
and, where it can, what was meant. Names are checked against the ontology here; columns are
checked against the CSV's header when a file is read (``mapping.py``). See
``polegraph/loaders/mappings/README.md`` for the format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from polegraph.loaders.check import WRITER_PROPERTIES
from polegraph.loaders.csvio import FormatError
from polegraph.loaders.mapping_values import code
from polegraph.schema import load_ontology
from polegraph.schema.errors import close_matches, did_you_mean
from polegraph.schema.model import IDENTITY_VALUE, PROPERTY_TYPES, PropertySpec
from polegraph.types import TYPES

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's when it is there: 10x faster
_SYSTEM = re.compile(r"[A-Za-z0-9_.-]+")
_LOADER_SET = frozenset({"uid", "valid", "raw_values"})  # set by the mapping loader itself
_TOP = ("system", "description", "file", "record_id", "record_prefix", "entities", "relationships")
_ENTITY = ("label", "uid", "id", "when", "required", "properties", "description")
_REF = ("ref", "id", "missing", "description")
_VALUE = ("column", "join", "separator", "value", "as", "values", "otherwise", "split", "required",
          "period_end")  # fmt: skip
_RELATIONSHIP = ("type", "from", "to", "when", "discriminator", "properties", "description")
_WHEN = ("column", "equals")


class MappingError(FormatError):
    """The mapping YAML is wrong, or does not fit the file: names the mapping file and the key."""


@dataclass(frozen=True, slots=True)
class Condition:
    """Only when ``column`` is not empty, or (with ``equals``) holds one of these codes."""

    key: str
    column: str
    equals: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class ValueSpec:
    """Where one property's value comes from and how it is cleaned (``prop`` None: plain text)."""

    key: str
    prop: PropertySpec | None
    columns: tuple[str, ...] = ()
    constant: str | None = None
    separator: str = " "
    as_type: str | None = None
    translate: tuple[tuple[str, str], ...] = ()
    otherwise: str | None = None
    split: str | None = None
    required: bool = False
    period_end: bool = False


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """A node each row makes: its label, how its uid is made, its properties."""

    name: str
    key: str
    label: str
    by_value: bool  # uid from the key properties (else from the source record)
    part: str  # uid suffix, when several entities of one label are made per record
    ids: tuple[str, ...]  # the columns other mappings use to refer to this node
    when: Condition | None
    required: bool
    properties: tuple[ValueSpec, ...]


@dataclass(frozen=True, slots=True)
class RefSpec:
    """A node made by another mapping's file, found through the id columns of this one."""

    name: str
    key: str
    ids: tuple[str, ...]
    skip_missing: bool
    target: Mapping
    entity: EntitySpec


@dataclass(frozen=True, slots=True)
class RelationshipSpec:
    """An edge between two entities of one row."""

    key: str
    type: str
    start: str
    end: str
    when: Condition | None
    discriminator: ValueSpec | None
    properties: tuple[ValueSpec, ...]


@dataclass(frozen=True, slots=True)
class Mapping:
    """One mapping file, checked against the ontology."""

    path: Path
    system: str
    files: tuple[str, ...]
    record_id: tuple[str, ...]
    record_prefix: str
    entities: tuple[EntitySpec, ...]
    refs: tuple[RefSpec, ...]
    relationships: tuple[RelationshipSpec, ...]


class _Reader:
    """Reads one file; ``fail`` raises a MappingError naming the file and key."""

    def __init__(self, path: Path, stack: tuple[Path, ...]) -> None:
        self.path, self.stack, self.onto = path, stack, load_ontology()

    def fail(self, key: str, message: str, hint: str | None = None, *,
             meant: Any = None, known: Any = ()) -> MappingError:  # fmt: skip
        """The error for ``key``; with ``known``, it suggests what ``meant`` may have been."""
        suggestion = did_you_mean(close_matches(meant, known))
        return MappingError(f"{self.path}: {key}: {message}{suggestion}", hint=hint)

    def choice(self, key: str, data: Any, options: tuple[str, str]) -> str:
        if data not in options:
            raise self.fail(key, f"expected {' or '.join(options)}, found {data!r}")
        return str(data)

    def keys(self, key: str, data: Any, allowed: Iterable[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(key, f"expected a mapping of {', '.join(allowed)}, found {type(data).__name__}")
        for name in data:
            if name not in allowed:
                raise self.fail(f"{key}.{name}", "unknown key", meant=str(name), known=allowed)
        return data

    def table(self, key: str, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(key, f"expected a mapping, found {type(data).__name__}")
        return {str(name): value for name, value in data.items()}

    def text(self, key: str, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, str | int | float) or not str(data).strip():
            raise self.fail(key, f"expected text, found {data!r}")
        return str(data)

    def columns(self, key: str, data: Any) -> tuple[str, ...]:
        items = data if isinstance(data, list) else [data]
        if not items:
            raise self.fail(key, "expected a column name or a list of them")
        return tuple(self.text(f"{key}[{i}]", item) for i, item in enumerate(items))

    def when(self, key: str, data: Any) -> Condition | None:
        if data is None:
            return None
        if not isinstance(data, dict):
            return Condition(key, self.text(key, data))
        data = self.keys(key, data, _WHEN)
        equals = data.get("equals")
        codes = None if equals is None else frozenset(code(c) for c in self.columns(f"{key}.equals", equals))
        return Condition(key, self.text(f"{key}.column", data.get("column")), codes)

    def value(self, key: str, prop: PropertySpec | None, data: Any) -> ValueSpec:
        if not isinstance(data, dict):
            return ValueSpec(key, prop, columns=(self.text(key, data),))
        data = self.keys(key, data, _VALUE)
        sources = [name for name in ("column", "join", "value") if name in data]
        if len(sources) != 1:
            raise self.fail(key, "give exactly one of column, join or value")
        as_type = data.get("as")
        if as_type is not None and as_type not in PROPERTY_TYPES | set(TYPES):
            known = sorted(PROPERTY_TYPES | set(TYPES))
            raise self.fail(
                f"{key}.as", f"unknown property type {as_type!r}", hint=f"known: {', '.join(known)}"
            )
        translate = self.table(f"{key}.values", data.get("values") or {})
        spec = ValueSpec(
            key, prop,
            columns=self.columns(f"{key}.{sources[0]}", data[sources[0]]) if sources[0] != "value" else (),
            constant=self.text(f"{key}.value", data["value"]) if "value" in data else None,
            separator=str(data.get("separator", " ")), as_type=as_type,
            translate=tuple((code(str(k)), "" if v is None else str(v)) for k, v in translate.items()),
            otherwise=None if data.get("otherwise") is None else str(data["otherwise"]),
            split=None if data.get("split") is None else str(data["split"]),
            required=bool(data.get("required", False)), period_end=bool(data.get("period_end", False)),
        )  # fmt: skip
        self.check_value(spec)
        return spec

    def check_value(self, spec: ValueSpec) -> None:
        prop = spec.prop
        kind = spec.as_type or (prop.type if prop else "string")
        if spec.split is not None and not (prop and prop.multiple):
            raise self.fail(f"{spec.key}.split", "only a property that holds a list can be split")
        if spec.period_end and kind != "datetime":
            raise self.fail(f"{spec.key}.period_end", "only for datetime properties")
        if prop is None or kind != "enum":
            if spec.otherwise is not None:
                raise self.fail(f"{spec.key}.otherwise", "only for properties with a list of codes (enum)")
            return
        allowed, codes = ", ".join(prop.values), {code(v) for v in prop.values}
        targets = (*spec.translate, ("otherwise", spec.otherwise or ""), ("value", spec.constant or ""))
        for source, target in targets:
            if target and code(target) not in codes:
                raise self.fail(spec.key, f"{target!r} (for {source!r}) is not one of {allowed}")

    def properties(self, key: str, owner: str, data: Any, entity: bool) -> tuple[ValueSpec, ...]:
        specs: list[ValueSpec] = []
        declared = self.onto.entity(owner).properties if entity else self.onto.relationship(owner).properties
        for name, value in self.table(key, data or {}).items():
            where = f"{key}.{name}"
            if name in WRITER_PROPERTIES or name in _LOADER_SET:
                raise self.fail(where, f"{name!r} is set by polegraph, not by a mapping")
            if name not in declared:
                hint = f"{owner} has: {', '.join(sorted(set(declared) - WRITER_PROPERTIES - _LOADER_SET))}"
                raise self.fail(where, f"{owner} has no property {name!r}", hint, meant=name, known=declared)
            specs.append(self.value(where, declared[name], value))
        return tuple(specs)

    def entity(self, key: str, name: str, data: Any, parts: dict[str, int]) -> EntitySpec:
        data = self.keys(key, data, _ENTITY)
        label = self.text(f"{key}.label", data.get("label"))
        if not self.onto.is_label(label) or self.onto.entity(label).abstract or label == "SourceRecord":
            concrete = [e.name for e in self.onto.concrete() if e.name != "SourceRecord"]
            raise self.fail(f"{key}.label", f"{label!r} is not an entity type", meant=label, known=concrete)
        entity_type = self.onto.entity(label)
        default = "value" if entity_type.identity == IDENTITY_VALUE else "record"
        uid = self.choice(f"{key}.uid", data.get("uid", default), ("value", "record"))
        props = self.properties(f"{key}.properties", label, data.get("properties"), entity=True)
        keys = [p.name for p in entity_type.key_properties]
        if uid == "value":
            if not keys:
                raise self.fail(f"{key}.uid", f"{label} has no key properties to make a uid from: use record")
            missing = [k for k in keys if k not in {p.prop.name for p in props if p.prop}]
            if missing:
                raise self.fail(
                    f"{key}.properties",
                    f"{label} is identified by {', '.join(keys)}: map {', '.join(missing)}",
                )
        ids = self.columns(f"{key}.id", data["id"]) if "id" in data else ()
        part = name if parts.get(label, 0) > 1 else ""
        when, required = self.when(f"{key}.when", data.get("when")), bool(data.get("required", False))
        return EntitySpec(name, key, label, uid == "value", part, ids, when, required, props)

    def ref(self, key: str, name: str, data: dict[str, Any]) -> RefSpec:
        data = self.keys(key, data, _REF)
        target_text = self.text(f"{key}.ref", data["ref"])
        file_part, _, entity_name = target_text.partition("#")
        target_path = (self.path.parent / file_part).resolve()
        if target_path in (*self.stack, self.path.resolve()):
            raise self.fail(f"{key}.ref", "mappings refer to each other in a circle")
        if not target_path.is_file():
            raise self.fail(f"{key}.ref", f"no mapping file {target_path}")
        target = read_mapping(target_path, _stack=(*self.stack, self.path.resolve()))
        names = [e.name for e in target.entities]
        chosen = entity_name or (names[0] if len(names) == 1 else "")
        entity = next((e for e in target.entities if e.name == chosen), None)
        if entity is None:
            raise self.fail(
                f"{key}.ref", f"name one of the entities of {target_path.name} after '#': {', '.join(names)}"
            )
        if not entity.ids or not target.files:
            raise self.fail(
                f"{key}.ref",
                f"{target_path.name} must give `file:` and {entity.name}'s `id:` to be referred to",
            )
        ids = self.columns(f"{key}.id", data.get("id"))
        if len(ids) != len(entity.ids):
            raise self.fail(f"{key}.id", f"{entity.name} is identified by {len(entity.ids)} column(s)")
        missing = self.choice(f"{key}.missing", data.get("missing", "quarantine"), ("quarantine", "skip"))
        return RefSpec(name, key, ids, missing == "skip", target, entity)

    def relationship(self, key: str, data: Any, mapping: Mapping) -> RelationshipSpec:
        data = self.keys(key, data, _RELATIONSHIP)
        rel_type = self.text(f"{key}.type", data.get("type"))
        if not self.onto.is_relationship_type(rel_type):
            raise self.fail(
                f"{key}.type",
                f"unknown relationship type {rel_type!r}",
                meant=rel_type,
                known=self.onto.relationships,
            )
        labels = {e.name: e.label for e in mapping.entities} | {r.name: r.entity.label for r in mapping.refs}
        ends = [self.text(f"{key}.{end}", data.get(end)) for end in ("from", "to")]
        for end, name in zip(("from", "to"), ends, strict=True):
            if name not in labels:
                raise self.fail(
                    f"{key}.{end}", f"no entity {name!r} in this mapping", meant=name, known=labels
                )
        rel = self.onto.relationship(rel_type)
        start, end = labels[ends[0]], labels[ends[1]]
        if not rel.allows(start, end):
            allowed = f"{'|'.join(rel.start_types)} -> {'|'.join(rel.end_types)}"
            raise self.fail(key, f"{rel_type} runs {allowed}, not {start} -> {end}")
        disc = data.get("discriminator")
        return RelationshipSpec(
            key, rel_type, ends[0], ends[1], self.when(f"{key}.when", data.get("when")),
            None if disc is None else self.value(f"{key}.discriminator", None, disc),
            self.properties(f"{key}.properties", rel_type, data.get("properties"), entity=False),
        )  # fmt: skip

    def read(self) -> Mapping:
        try:
            with self.path.open(encoding="utf-8") as handle:
                data = yaml.load(handle, Loader=_YAML_LOADER)  # noqa: S506 -- a safe loader
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise MappingError(f"{self.path}: cannot read the mapping: {exc}") from None
        data = self.keys("(top)", data, _TOP)
        system = self.text("system", data.get("system"))
        if not _SYSTEM.fullmatch(system):
            raise self.fail("system", "letters, digits, '_', '.' and '-' only (it is part of every key)")
        entities_data = self.table("entities", data.get("entities") or {})
        labels = [d.get("label") for d in entities_data.values() if isinstance(d, dict) and "ref" not in d]
        parts = {label: labels.count(label) for label in labels if isinstance(label, str)}
        entities, refs = [], []
        for name, spec in entities_data.items():
            key = f"entities.{name}"
            if isinstance(spec, dict) and "ref" in spec:
                refs.append(self.ref(key, name, spec))
            else:
                entities.append(self.entity(key, name, spec, parts))
        mapping = Mapping(
            self.path, system, self.columns("file", data["file"]) if "file" in data else (),
            self.columns("record_id", data.get("record_id")), str(data.get("record_prefix") or ""),
            tuple(entities), tuple(refs), (),
        )  # fmt: skip
        rels = data.get("relationships") or []
        if not isinstance(rels, list):
            raise self.fail("relationships", "expected a list of relationships")
        found = tuple(self.relationship(f"relationships[{i}]", r, mapping) for i, r in enumerate(rels))
        return replace(mapping, relationships=found)


def read_mapping(path: Path, *, _stack: tuple[Path, ...] = ()) -> Mapping:
    """Read and check the mapping at ``path`` (and the mappings its ``ref:`` entities name)."""
    return _Reader(Path(path), _stack).read()

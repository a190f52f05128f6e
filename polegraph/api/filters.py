"""The one filter input of the API: nested and/or groups of (key, operator, values) conditions.

A filter is data (JSON-able, so a saved query can store it) and compiles two ways that agree:

- ``cypher(var)``: a Cypher boolean expression on node ``var`` with every value a parameter;
- ``es_query()``: an Elasticsearch query on the ``entities`` index.

Keys are ontology properties whose Neo4j property and index field hold the same values (a
keyword, number, boolean or date-time field of the property's own name), plus ``label``. Each
key's operators follow its type, enum values are checked against the ontology, and a filter is
bounded in depth, conditions and values, so a request cannot make a query the engines choke on.
Everything is checked when the filter is built, before any query text exists.

**Security labels.** A node keyed by its value (a phone) is asserted by records of many forces and
keeps its owner's labels: a filter on them would let a reader probe the labels of records it may
not read. So ``force``, ``classification`` and ``handling_code`` test the access tokens of the
records behind the node that the principal may read (a phone is "of WYP" to a reader when a WYP
record it may read holds it), and the labels that hold for one record only (caveat, descriptors,
handling conditions and instructions) and the source keys (which name other forces' records) are
no filter keys at all. A single value of a shared node (a vehicle's colour) counts only when the
record that gave it (``prop_access``) is readable: to a reader that may not read it, the node has
no such value. A compiled filter therefore needs the principal's readable tokens.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from polegraph.errors import PolegraphError
from polegraph.graph.read import HIDDEN
from polegraph.schema import load_ontology
from polegraph.schema.elasticsearch import ENTITY_ROOT, search_field
from polegraph.schema.model import PropertySpec
from polegraph.security.policy import RECORD_LABELS, TOKEN_SEP, token_parts

MAX_DEPTH = 4
MAX_CONDITIONS = 32
MAX_VALUES = 100
MAX_VALUE_LENGTH = 256
LABEL_KEY = "label"
# Security labels, tested on the readable access tokens: the part of a token each one is.
TOKEN_KEYS: Mapping[str, int] = {"force": 0, "classification": 1, "handling_code": 2}
# Keys that would read the labels or provenance of records the principal may not read.
REFUSED_KEYS = frozenset({*RECORD_LABELS, "source_keys"})
_INT64 = (-(2**63), 2**63 - 1)


class FilterError(PolegraphError):
    """A filter the API refuses: unknown key, operator or value, or one too large."""

    code: ClassVar[str] = "BAD_USER_INPUT"


class Op(StrEnum):
    """Filter operators; ``EQ`` and ``PREFIX`` match any of their values (GraphQL enum values, and
    the same text in a saved filter's JSON)."""

    EQ = "EQ"
    PREFIX = "PREFIX"
    GT = "GT"
    GTE = "GTE"
    LT = "LT"
    LTE = "LTE"
    EXISTS = "EXISTS"


_RANGE = frozenset({Op.GT, Op.GTE, Op.LT, Op.LTE})
_CYPHER_RANGE = {Op.GT: ">", Op.GTE: ">=", Op.LT: "<", Op.LTE: "<="}
# Property type -> the operators it takes besides eq and exists.
_TYPE_OPS: Mapping[str, frozenset[Op]] = {
    "string": frozenset({Op.PREFIX}),
    "enum": frozenset(),
    "country": frozenset(),
    "boolean": frozenset(),
    "integer": _RANGE,
    "float": _RANGE,
    "datetime": _RANGE,
    **dict.fromkeys(("pnc_id", "cro", "nino", "imei"), frozenset({Op.PREFIX})),
}


@dataclass(frozen=True)
class FilterKey:
    """A key a filter may use: its type, whether it is a list, and its allowed codes."""

    name: str
    type: str
    multiple: bool
    codes: frozenset[str]

    @property
    def ops(self) -> frozenset[Op]:
        if self.name == LABEL_KEY:  # every node has labels: only which ones can be asked
            return frozenset({Op.EQ})
        if self.name in TOKEN_KEYS:  # every record has its labels (none reads as OFFICIAL-SENSITIVE, P)
            return frozenset({Op.EQ}) | _TYPE_OPS.get(self.type, frozenset())
        return frozenset({Op.EQ, Op.EXISTS}) | _TYPE_OPS.get(self.type, frozenset())


def _key_of(spec: PropertySpec) -> FilterKey | None:
    # Machinery (when polegraph wrote a node, its embedding) is no key: the index stamps its own
    # ``updated_at``, so the two engines would not even agree on it.
    if spec.type not in _TYPE_OPS or spec.vector or spec.name in HIDDEN or search_field(spec) != spec.name:
        return None
    if spec.name in REFUSED_KEYS:
        return None
    return FilterKey(spec.name, spec.type, spec.multiple, frozenset(spec.values))


@functools.cache
def filter_keys() -> Mapping[str, FilterKey]:
    """Every key a filter may use, by name (one property name means one thing across types)."""
    onto = load_ontology()
    keys: dict[str, FilterKey] = {
        LABEL_KEY: FilterKey(LABEL_KEY, "enum", True, frozenset(onto.labels) - {"SourceRecord"})
    }
    for entity in onto.concrete(under=ENTITY_ROOT):
        for spec in entity.properties.values():
            key = _key_of(spec)
            if key is None:
                continue
            known = keys.get(key.name)
            if known is None:
                keys[key.name] = key
            elif (known.type, known.multiple) == (key.type, key.multiple):
                keys[key.name] = FilterKey(key.name, key.type, key.multiple, known.codes | key.codes)
    return keys


@dataclass(frozen=True)
class Condition:
    """``key op values``: e.g. ``crime_type eq [Burglary, Robbery]``."""

    key: str
    op: Op
    values: tuple[Any, ...]  # typed: str, int, float, bool, or aware datetime


@dataclass(frozen=True)
class Group:
    """All (``and``) or any (``or``) of its parts."""

    op: str
    parts: tuple[Filter, ...]


Filter = Condition | Group


def _parse_value(key: FilterKey, op: Op, raw: object) -> Any:
    if not isinstance(raw, str):
        raise FilterError(f"filter values are strings, not {type(raw).__name__}", hint=f"key {key.name!r}")
    if len(raw) > MAX_VALUE_LENGTH:
        raise FilterError(
            f"a filter value is at most {MAX_VALUE_LENGTH} characters", hint=f"key {key.name!r}"
        )
    if op is Op.EXISTS or key.type == "boolean":
        if raw not in ("true", "false"):
            raise FilterError(f"{key.name} {op}: the value is true or false, not {raw!r}")
        return raw == "true"
    try:
        if key.type == "integer":
            number = int(raw)
            if not _INT64[0] <= number <= _INT64[1]:
                raise ValueError(raw)
            return number
        if key.type == "float":
            real = float(raw)
            if not math.isfinite(real):
                raise ValueError(raw)
            return real
        if key.type == "datetime":
            stamp = dt.datetime.fromisoformat(raw)
            return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    except ValueError:
        raise FilterError(f"{key.name}: {raw!r} is not a {key.type}") from None
    if key.codes and op is Op.EQ and raw not in key.codes:
        raise FilterError(
            f"{key.name}: {raw!r} is not one of its codes",
            hint=", ".join(sorted(key.codes)[:30]),
        )
    return raw


def condition(key: str, op: str, values: list[Any] | tuple[Any, ...]) -> Condition:
    """A checked condition; raises ``FilterError`` naming what is wrong."""
    spec = filter_keys().get(key) if isinstance(key, str) else None
    if key in REFUSED_KEYS:
        raise FilterError(
            f"{key} is not a filter key: on a node many records assert it names one record's labels "
            "or source, which may be another force's",
            hint="filter on force, classification or handling_code (those of records you may read)",
        )
    if spec is None:
        raise FilterError(
            f"unknown filter key {str(key)[:60]!r}",
            hint="use a property of the POLE ontology (e.g. force, crime_type, sex, occurred_from) or label",
        )
    try:
        operator = Op(op)
    except ValueError:
        raise FilterError(f"unknown filter operator {str(op)[:20]!r}", hint=", ".join(Op)) from None
    if operator not in spec.ops:
        raise FilterError(f"{key} ({spec.type}) does not take {operator}", hint=", ".join(sorted(spec.ops)))
    if not values or len(values) > MAX_VALUES:
        raise FilterError(f"{key} {operator}: give 1 to {MAX_VALUES} values")
    if (operator in _RANGE or operator is Op.EXISTS) and len(values) != 1:
        raise FilterError(f"{key} {operator} takes exactly one value")
    return Condition(key, operator, tuple(_parse_value(spec, operator, v) for v in values))


def group(op: str, parts: list[Filter] | tuple[Filter, ...]) -> Group:
    if op not in ("and", "or"):
        raise FilterError(f"unknown filter group {str(op)[:20]!r}", hint="and, or")
    if not parts:
        raise FilterError(f"an {op} group needs at least one part")
    built = Group(op, tuple(parts))
    check_bounds(built)
    return built


def check_bounds(flt: Filter) -> None:
    """Refuse a filter deeper than ``MAX_DEPTH`` or with more than ``MAX_CONDITIONS`` conditions."""
    if _depth(flt) > MAX_DEPTH:
        raise FilterError(f"filters nest at most {MAX_DEPTH} groups deep")
    if _count(flt) > MAX_CONDITIONS:
        raise FilterError(f"a filter holds at most {MAX_CONDITIONS} conditions")


def _depth(flt: Filter) -> int:
    return 0 if isinstance(flt, Condition) else 1 + max(_depth(p) for p in flt.parts)


def _count(flt: Filter) -> int:
    return 1 if isinstance(flt, Condition) else sum(_count(p) for p in flt.parts)


# -- JSON (saved queries) ----------------------------------------------------------------------


def parse_filter(data: object, depth: int = 0) -> Filter:
    """A filter from its JSON form, the GraphQL input's: ``{"and": [...]}``, ``{"or": [...]}`` or
    ``{"key", "op", "values"}``."""
    if depth > MAX_DEPTH:
        raise FilterError(f"filters nest at most {MAX_DEPTH} groups deep")
    if not isinstance(data, Mapping):
        raise FilterError("a filter is an object")
    if set(data) in ({"and"}, {"or"}):
        (op, parts), *_ = data.items()
        if not isinstance(parts, list) or len(parts) > MAX_CONDITIONS:
            raise FilterError(f"an {op} group is a list of at most {MAX_CONDITIONS} filters")
        return group(op, [parse_filter(p, depth + 1) for p in parts])
    if set(data) == {"key", "op", "values"} and isinstance(data["values"], list):
        return condition(data["key"], data["op"], data["values"])
    raise FilterError("a filter is {and: [...]}, {or: [...]} or {key, op, values: [...]}")


def filter_json(flt: Filter) -> dict[str, Any]:
    """The JSON form ``parse_filter`` reads back."""
    if isinstance(flt, Group):
        return {flt.op: [filter_json(p) for p in flt.parts]}
    values = [_text(v) for v in flt.values]
    return {"key": flt.key, "op": str(flt.op), "values": values}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def filter_digest(flt: Filter | None) -> str:
    """A short digest that identifies a filter (cursors are bound to it)."""
    blob = json.dumps(filter_json(flt) if flt else None, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# -- Cypher ------------------------------------------------------------------------------------


def _label_tokens(cond: Condition, readable: frozenset[str]) -> list[str]:
    """The readable tokens whose label (force, classification or handling code) meets ``cond``."""
    part = TOKEN_KEYS[cond.key]

    def meets(label: str) -> bool:
        if cond.op is Op.PREFIX:
            return any(label.startswith(p) for p in cond.values)
        return label in cond.values

    return sorted(t for t in readable if meets(token_parts(t)[part]))


@dataclass(frozen=True)
class CypherFilter:
    """A compiled filter: ``cypher(var)`` gives the predicate text and its parameters.

    ``readable``: the principal's access tokens (``readable_tokens``), which label keys test.
    """

    flt: Filter
    readable: frozenset[str]

    def cypher(self, var: str) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {}
        return _cypher(self.flt, var, params, self.readable), params


def _cypher(flt: Filter, var: str, params: dict[str, Any], readable: frozenset[str]) -> str:
    if isinstance(flt, Group):
        joiner = " AND " if flt.op == "and" else " OR "
        return "(" + joiner.join(_cypher(p, var, params, readable) for p in flt.parts) + ")"
    name = f"flt_{len(params)}"
    if flt.key in TOKEN_KEYS:
        params[name] = _label_tokens(flt, readable)
        return f"any(flt_t IN coalesce({var}.access, []) WHERE flt_t IN ${name})"
    spec = filter_keys()[flt.key]
    value: Any = list(flt.values) if flt.op in (Op.EQ, Op.PREFIX) else flt.values[0]
    params[name] = value
    if flt.key == LABEL_KEY:
        if flt.op is Op.EXISTS:
            return f"(labels({var}) IS NOT NULL) = ${name}"
        return f"any(flt_l IN labels({var}) WHERE flt_l IN ${name})"
    guard = ""
    if not spec.multiple:  # a shared node's single value counts only when its record is readable
        params[f"{name}_t"], params[f"{name}_p"] = _value_tags(flt.key, readable)
        given = f"coalesce({var}.prop_access, [])"
        guard = (
            f" AND (NOT any(flt_a IN {given} WHERE flt_a STARTS WITH ${name}_p) "
            f"OR any(flt_a IN {given} WHERE flt_a IN ${name}_t))"
        )
    if flt.op is Op.EXISTS:
        return f"(({var}.`{flt.key}` IS NOT NULL){guard}) = ${name}"
    element = "flt_v" if spec.multiple else f"{var}.`{flt.key}`"
    if flt.op is Op.EQ:
        test = f"{element} IN ${name}"
    elif flt.op is Op.PREFIX:
        test = f"any(flt_p IN ${name} WHERE {element} STARTS WITH flt_p)"
    else:
        test = f"{element} {_CYPHER_RANGE[flt.op]} ${name}"
    if spec.multiple:
        return f"any(flt_v IN coalesce({var}.`{flt.key}`, []) WHERE {test})"
    return f"(coalesce({test}, false){guard})"


def _value_tags(key: str, readable: frozenset[str]) -> tuple[list[str], str]:
    """``prop_access`` entries of ``key`` under readable tokens, and the prefix of any entry of it:
    a single value of a shared node is the reader's to test when no entry names another record."""
    return sorted(f"{key}{TOKEN_SEP}{t}" for t in readable), f"{key}{TOKEN_SEP}"


# -- Elasticsearch -----------------------------------------------------------------------------


def es_query(flt: Filter, readable: frozenset[str]) -> dict[str, Any]:
    """The Elasticsearch query clause of a filter, on the ``entities`` index, for a principal whose
    access tokens are ``readable`` (label keys test them)."""
    if isinstance(flt, Group):
        parts = [es_query(p, readable) for p in flt.parts]
        if flt.op == "and":
            return {"bool": {"filter": parts}}
        return {"bool": {"should": parts, "minimum_should_match": 1}}
    if flt.key in TOKEN_KEYS:
        return {"terms": {"access": _label_tokens(flt, readable)}}
    if flt.key == LABEL_KEY or filter_keys()[flt.key].multiple:
        return _es_test(flt)
    tags, prefix = _value_tags(flt.key, readable)
    readable_value = {
        "bool": {
            "should": [
                {"terms": {"prop_access": tags}},
                {"bool": {"must_not": [{"prefix": {"prop_access": prefix}}]}},
            ],
            "minimum_should_match": 1,
        }
    }
    if flt.op is Op.EXISTS and not flt.values[0]:
        present = {"bool": {"filter": [{"exists": {"field": flt.key}}, readable_value]}}
        return {"bool": {"must_not": [present]}}
    return {"bool": {"filter": [_es_test(flt), readable_value]}}


def _es_test(flt: Condition) -> dict[str, Any]:
    field = "labels" if flt.key == LABEL_KEY else flt.key
    values = [v.isoformat() if isinstance(v, dt.datetime) else v for v in flt.values]
    if flt.op is Op.EXISTS:
        exists: dict[str, Any] = {"exists": {"field": field}}
        return exists if values[0] else {"bool": {"must_not": [exists]}}
    if flt.op is Op.EQ:
        return {"terms": {field: values}}
    if flt.op is Op.PREFIX:
        prefixes = [{"prefix": {field: v}} for v in values]
        return {"bool": {"should": prefixes, "minimum_should_match": 1}}
    return {"range": {field: {flt.op.value.lower(): values[0]}}}

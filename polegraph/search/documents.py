"""Index documents built from graph nodes: the one function both loading and reindexing use.

A document carries the node's ``access`` tokens (the access policy filters on them) and, in
``access_class``, their classifications: a restricted hit is a document of a cleared class the
principal may not read, which a filter can say without listing every force. ``access_forces``
(each force and its lowest class) is what restricted hits are counted by. The systems behind a node
are indexed only with their records' tokens (``system_access``, as the writer keeps them): hits,
the system filter and the system facet read the systems of readable records alone.

A document is a pure function of the node's labels and properties, so ``polegraph reindex`` from
Neo4j gives exactly what a load wrote. Name keys, DOB forms and postcode parts are computed here by
``polegraph.types``, since the local Elasticsearch has no analysis-common or phonetic module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

from polegraph.schema import load_ontology
from polegraph.schema.elasticsearch import search_field
from polegraph.schema.model import EntityType
from polegraph.security.policy import access_forces, token_parts
from polegraph.types import (
    anpr_key,
    dob_forms,
    name_keys,
    postcode_area,
    postcode_district,
    postcode_sector,
)

_DATE_PARTS = {"date": "iso", "year": "year", "year_month": "year_month", "swapped": "swapped"}
_NAME_KEY_KINDS = ("folded", "phonetic", "variant", "initials", "fingerprint")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _iso(value: Any) -> Any:
    # Neo4j temporal values arrive as neo4j.time types; ES wants ISO strings.
    if isinstance(value, datetime):
        return _driver_iso(value)
    return value.iso_format() if hasattr(value, "iso_format") else value


def _driver_iso(value: datetime) -> str:
    """A Python datetime as the driver's ``DateTime.iso_format`` writes it (the loader reads date-times
    back as text, faster than the driver converts them): a document is the same however it was built."""
    text = f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:"
    text += f"{value.second:02d}.{value.microsecond * 1000:09d}"
    offset = value.utcoffset()
    if offset is None:
        return text
    hours, minutes = divmod(int(offset.total_seconds() // 60), 60)
    return f"{text}{hours:+03d}:{minutes:02d}"


@lru_cache(maxsize=65536)
def _name_keys(name: str) -> dict[str, list[str]]:
    # Names repeat across records (and a node is re-indexed whenever a record touches it).
    return name_keys(name)


@cache
def _entity(label: str) -> EntityType:
    return load_ontology().entity(label)


def _add(doc: dict[str, Any], field: str, values: Iterable[Any]) -> None:
    # Order-keeping de-duplication in linear time: a busy camera site or postcode carries
    # thousands of source keys, and this runs every time it is re-indexed.
    if field not in doc:
        present = [v for v in values if v is not None and v != ""]
        if len(present) == 1:  # most fields of most nodes: one value
            doc[field] = present[0]
            return
        merged = dict.fromkeys(present)
    else:
        merged = dict.fromkeys(_as_list(doc[field]))
        merged.update(dict.fromkeys(v for v in values if v is not None and v != ""))
    if not merged:
        return
    keys = list(merged)
    doc[field] = keys if len(keys) > 1 else keys[0]


def _date_forms(values: list[Any]) -> dict[str, list[Any]]:
    forms: dict[str, list[Any]] = {}
    for value in values:
        for kind, items in dob_forms(str(_iso(value))[:10]).items():
            target = _DATE_PARTS.get(kind)
            if target is None:
                continue
            for item in items:
                item_value: Any = int(item) if target == "year" else item
                if item_value not in forms.setdefault(target, []):
                    forms[target].append(item_value)
    return forms


@dataclass(frozen=True)
class _Feed:
    """How one searchable property of a type feeds its document (worked out once per type)."""

    field: str
    kind: str  # "vector", "date", "postcode", "json" or "value"
    name: bool  # a name: its keys go to ``name_keys`` too
    vrm: bool  # a VRM: its ANPR key goes to ``identifier_keys`` too
    identifier: bool  # an identifier: to ``identifiers`` too


@cache
def _feeds(label: str) -> dict[str, _Feed]:
    feeds: dict[str, _Feed] = {}
    for name, spec in _entity(label).properties.items():
        field = search_field(spec)
        if field is None:
            continue
        if spec.vector:
            kind = "vector"
        else:
            kind = spec.type if spec.type in ("date", "postcode", "json") else "value"
        feeds[name] = _Feed(field, kind, spec.type == "name", spec.type == "vrm", bool(spec.identifier))
    return feeds


def _feed(doc: dict[str, Any], feed: _Feed, values: list[Any]) -> None:
    field = feed.field
    if feed.kind == "date":
        for part, items in _date_forms(values).items():
            doc.setdefault(field, {})[part] = items
        return
    if feed.kind == "postcode":
        parts = doc.setdefault(field, {})
        for pc in values:
            candidates: list[tuple[str, str | None]] = [
                ("full", pc), ("area", postcode_area(pc)),
                ("district", postcode_district(pc)), ("sector", postcode_sector(pc)),
            ]  # fmt: skip
            for key, piece in candidates:
                if piece and piece not in parts.setdefault(key, []):
                    parts[key].append(piece)
        return
    if feed.kind == "json":
        _add(doc, field, [json.dumps(v) if not isinstance(v, str) else v for v in values])
        return
    _add(doc, field, [_iso(v) for v in values])
    if feed.name:
        keys = doc.setdefault("name_keys", {})
        for value in values:
            for kind, items in _name_keys(str(value)).items():
                if kind in _NAME_KEY_KINDS:
                    bucket = keys.setdefault(kind, [])
                    bucket.extend(i for i in items if i not in bucket)
    if feed.vrm:
        _add(doc, "identifier_keys", [anpr_key(str(v)) for v in values])
    if feed.identifier:
        _add(doc, "identifiers", [str(v) for v in values])


def entity_document(label: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """The ``entities`` index document of a node of type ``label`` with properties ``props``."""
    entity = _entity(label)
    feeds = _feeds(label)
    doc: dict[str, Any] = {"label": label, "labels": list(entity.labels)}
    for name, value in props.items():
        feed = feeds.get(name)
        if feed is None or value is None:
            continue
        if feed.kind == "vector":
            doc[feed.field] = list(value)
            continue
        _feed(
            doc,
            feed,
            value if isinstance(value, list) else list(value) if isinstance(value, tuple) else [value],
        )
    access = _as_list(props.get("access"))
    if access:
        doc["access_class"] = sorted({token_parts(str(token))[1] for token in access})
        doc["access_forces"] = access_forces([str(token) for token in access])
    if entity.geo:
        lat, lon = (props.get(name) for name in entity.geo)
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            doc["location"] = {"lat": lat, "lon": lon}
    if entity.period:
        ends = [props.get(name) for name in entity.period]
        known = [v for v in ends if v is not None]
        if known:
            # Records do say a child was found before she was reported missing: the range is
            # indexed in order (the graph keeps the two times as recorded).
            try:
                first, last = min(known), max(known)
            except TypeError:  # a date-time beside a partial date: compare their ISO text
                first, last = min(known, key=lambda v: str(_iso(v))), max(known, key=lambda v: str(_iso(v)))
            doc["period"] = {"gte": _iso(first), "lte": _iso(last)}
    doc["updated_at"] = datetime.now(UTC).isoformat()
    return doc


def source_document(props: Mapping[str, Any]) -> dict[str, Any]:
    """The ``source_records`` index document of a SourceRecord node."""
    entity = _entity("SourceRecord")
    doc: dict[str, Any] = {}
    for name, value in props.items():
        spec = entity.get(name)
        if spec is None or value is None:
            continue
        if spec.type == "json":
            doc[name] = json.loads(value) if isinstance(value, str) else value
        else:
            doc[name] = _iso(value)
    return doc

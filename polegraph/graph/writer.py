"""Batched, parameterised writes of loader bundles into Neo4j: ``UNWIND … MERGE``, one transaction a batch.

Labels and relationship types are checked against the ontology before they are put in a query
string (they cannot be parameters); every value is a parameter. Re-running a batch changes nothing:
nodes merge on ``uid``, edges on their key, provenance lists only grow by values not yet present.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import Driver, ManagedTransaction

from polegraph.errors import SchemaError
from polegraph.loaders.records import Bundle, LoadContext
from polegraph.schema import load_ontology
from polegraph.schema.model import IDENTITY_VALUE

# Appends a value to a list property unless present (provenance only grows, and idempotently).
_APPEND = "CASE WHEN {v} IN coalesce({p}, []) THEN {p} ELSE coalesce({p}, []) + {v} END"


def _append(prop: str, value: str) -> str:
    return _APPEND.format(p=prop, v=value)


@dataclass(frozen=True)
class WriteResult:
    nodes: int
    edges: int
    # Edges whose start or end node is in neither this batch nor the graph (a file loaded before
    # the file that creates its nodes): counted, so a load can say so instead of losing them quietly.
    edges_dropped: int
    # The properties of every node written, as stored after the merge, by label.
    nodes_by_label: dict[str, list[dict[str, Any]]]


def _labels_clause(label: str) -> str:
    onto = load_ontology()
    if not onto.is_label(label):
        raise SchemaError(f"refusing to write the unknown label {label!r}")
    return ":".join(f"`{name}`" for name in onto.entity(label).labels)


# Set from the load and the source record, or accumulated separately below.
_PROVENANCE = frozenset({"source_keys", "load_ids"})


@functools.cache
def _datetime_properties(owner: str) -> frozenset[str]:
    """Properties of an entity or relationship type declared ``datetime`` in the ontology."""
    onto = load_ontology()
    spec = onto.entity(owner) if onto.is_label(owner) else onto.relationship(owner)
    return frozenset(p.name for p in spec.properties.values() if p.type == "datetime")


def _stored(owner: str, props: dict[str, Any]) -> dict[str, Any]:
    """Loader values as stored: None dropped, ``datetime`` properties as Neo4j DateTime values.

    Loaders may give ISO 8601 text or aware datetime objects; one stored type keeps range queries
    and ordering right across sources.
    """
    stamps = _datetime_properties(owner)
    out: dict[str, Any] = {}
    for key, value in props.items():
        if value is None:
            continue
        if key in stamps and isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError as exc:
                raise SchemaError(f"{owner}.{key}: {value!r} is not an ISO 8601 date-time") from exc
        out[key] = value
    return out


@functools.cache
def _list_properties(label: str) -> tuple[str, ...]:
    """The multi-valued properties of ``label``: they accumulate across records, never overwrite."""
    entity = load_ontology().entity(label)
    return tuple(
        sorted(p.name for p in entity.properties.values() if p.multiple and p.name not in _PROVENANCE)
    )


def _accumulate(var: str, name: str) -> str:
    current = f"coalesce({var}.`{name}`, [])"
    return (
        f"{var}.`{name}` = CASE WHEN r.lists.`{name}` IS NULL THEN {var}.`{name}` "
        f"ELSE {current} + [x IN r.lists.`{name}` WHERE NOT x IN {current}] END"
    )


def _node_query(label: str) -> str:
    shared = load_ontology().entity(label).identity == IDENTITY_VALUE
    # A node keyed by value (a phone, an address) is shared by every record that names it: the
    # first record's security labels stay; a node keyed by its source record takes the record's.
    labels_set = "ON CREATE SET n += r.labels" if shared else "SET n += r.labels"
    return (
        f"UNWIND $rows AS r MERGE (n:`{label}` {{uid: r.uid}}) {labels_set} "
        f"SET n:{_labels_clause(label)}, n += r.props, "
        + "".join(f"{_accumulate('n', name)}, " for name in _list_properties(label))
        + f"n.source_keys = {_append('n.source_keys', 'r.source_key')}, "
        f"n.load_ids = {_append('n.load_ids', 'r.load_id')} "
        "WITH n, r MATCH (s:SourceRecord {uid: r.source_key}) MERGE (n)-[:FROM_SOURCE]->(s) "
        # The merged node comes back in the same round trip: its index document is built from it.
        "RETURN properties(n) AS p"
    )


def _edge_query(rel: str, start: str, end: str) -> str:
    onto = load_ontology()
    if not onto.is_relationship_type(rel) or not onto.relationship(rel).allows(start, end):
        raise SchemaError(f"refusing to write {rel!r} from {start!r} to {end!r}")
    return (
        f"UNWIND $rows AS r MATCH (a:`{start}` {{uid: r.start}}) MATCH (b:`{end}` {{uid: r.end}}) "
        f"MERGE (a)-[e:`{rel}` {{uid: r.key}}]->(b) SET e += r.labels, e += r.props, "
        f"e.source_keys = {_append('e.source_keys', 'r.source_key')}, "
        f"e.load_ids = {_append('e.load_ids', 'r.load_id')} "
        "RETURN count(e) AS written"
    )


_SOURCE_QUERY = (
    "UNWIND $rows AS r MERGE (s:SourceRecord {uid: r.uid}) SET s += r.props, s.load_ids = "
    + _append("s.load_ids", "r.load_id")
    + " RETURN properties(s) AS p"
)


def _prepare(bundles: Sequence[Bundle], ctx: LoadContext) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    sources: list[dict[str, Any]] = []
    nodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    edges: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    base_labels = ctx.labels()
    for bundle in bundles:
        src = bundle.source
        labels = {**base_labels, **(bundle.labels or {})}
        sources.append(
            {
                "uid": src.key,
                "load_id": ctx.load_id,
                "props": {
                    **labels, "system": src.system, "record_id": src.record_id,
                    "load_id": ctx.load_id, "hash": src.hash, "file_name": ctx.source_file,
                    "line": src.line, "payload": json.dumps(src.payload, default=str, ensure_ascii=False),
                },
            }
        )  # fmt: skip
        common = {"labels": labels, "source_key": src.key, "load_id": ctx.load_id}
        for node in bundle.nodes:
            lists = set(_list_properties(node.label))
            stored = _stored(node.label, node.props)
            props = {k: v for k, v in stored.items() if k not in lists}
            accumulated = {k: v for k, v in stored.items() if k in lists}
            nodes[node.label].append({"uid": node.uid, "props": props, "lists": accumulated, **common})
        for edge in bundle.edges:
            props = _stored(edge.type, edge.props)
            row = {"start": edge.start_uid, "end": edge.end_uid, "key": edge.key, "props": props, **common}
            edges[(edge.type, edge.start_label, edge.end_label)].append(row)
    return sources, {"nodes": dict(nodes), "edges": dict(edges)}


def write_bundles(driver: Driver, database: str, bundles: Sequence[Bundle], ctx: LoadContext) -> WriteResult:
    """Write one batch in one transaction (retried by the driver on transient errors)."""
    sources, grouped = _prepare(bundles, ctx)
    node_rows: dict[str, list[dict[str, Any]]] = grouped["nodes"]
    edge_rows: dict[tuple[str, str, str], list[dict[str, Any]]] = grouped["edges"]
    # Queries are built (and their names checked) before the transaction opens.
    node_queries = {label: _node_query(label) for label in node_rows}
    edge_queries = {key: _edge_query(*key) for key in edge_rows}

    def last_by_uid(result: Any) -> list[dict[str, Any]]:
        # A node named by several records of the batch comes back once per record; the last
        # state is complete (each row appends its source key before the next row runs).
        return list({r["p"]["uid"]: dict(r["p"]) for r in result}.values())

    def work(tx: ManagedTransaction) -> dict[str, list[dict[str, Any]]]:
        written = {"SourceRecord": last_by_uid(tx.run(_SOURCE_QUERY, rows=sources))}
        for label, rows in node_rows.items():
            written[label] = last_by_uid(tx.run(node_queries[label], rows=rows))
        dropped = 0
        for key, rows in edge_rows.items():
            dropped += len(rows) - int(tx.run(edge_queries[key], rows=rows).single(strict=True)["written"])
        written["_dropped"] = [{"n": dropped}]
        return written

    with driver.session(database=database) as session:
        written = session.execute_write(work)
    dropped = int(written.pop("_dropped")[0]["n"])
    return WriteResult(
        nodes=sum(len(r) for r in node_rows.values()),
        edges=sum(len(r) for r in edge_rows.values()) - dropped,
        edges_dropped=dropped,
        nodes_by_label=written,
    )

"""Batched, parameterised writes of loader bundles into Neo4j: ``UNWIND … MERGE``, one transaction a batch.

Labels and relationship types are checked against the ontology before they are put in a query
string (they cannot be parameters); every value is a parameter. Re-running a batch changes nothing:
nodes merge on ``uid``, edges on their key, provenance lists only grow by values not yet present.

A batch is folded in Python first, so that a node or edge named by many records of the batch (a busy
postcode, a camera site) is one row of one ``UNWIND`` per label or relationship type: merged once,
its properties set once, its source keys appended together.

**Provenance of shared nodes.** A node keyed by its value (a phone, an address, a camera site) links
to every SourceRecord that names it by ``FROM_SOURCE``: that is its complete provenance. Its
``source_keys`` list keeps the first ``SOURCE_KEYS_KEPT`` keys, and after that only the first key of
each force and system not yet in it: a site read by a hundred thousand ANPR records would otherwise
rewrite a list of a hundred thousand keys on every read. The systems behind a node are kept apart,
each with the access token of its record (``system_access``: ``TOKEN|SYSTEM``, bounded by tokens x
systems), so a read shows only the systems of records the reader may read: that another force's
intelligence system holds a phone is itself intelligence. Nodes keyed by their source record
(persons, events) and edges keep every key.

**Access of shared nodes and edges.** A node keyed by its value keeps the security labels of the
record that created it (its owner), and its ``access`` list gains the token of each record's labels
not yet in it (``polegraph.security.policy``): the policy reads a node when any of its records is
readable, so a force always sees the phone its own records hold, and another force's handling-C
record does not make it visible to all. Its raw values are kept with their records' tokens too
(``raw_access``), so a read shows only the raw values of records the reader may read. An edge that
several records assert keeps the labels of the first (a later record's labels laid over them
would mix two records' labels, one's code with the other's force) and gains their tokens the same
way. A node keyed by its source record, and a SourceRecord, has the one token of its record's
labels. The list is bounded by forces x classifications x handling codes, so it is never capped.

Only nodes whose stored properties changed come back from a write (their index documents are built
from them); ``all_documents`` returns every node written, for a batch re-done after an interruption
whose index documents may not have been sent.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from neo4j import Driver, ManagedTransaction

from polegraph.errors import SchemaError
from polegraph.loaders.records import Bundle, LoadContext
from polegraph.schema import load_ontology
from polegraph.schema.model import IDENTITY_VALUE
from polegraph.security.policy import TOKEN_SEP, labels_token, system_tag

# Keys a value-keyed node keeps in ``source_keys`` before it keeps only each new force/system's first.
SOURCE_KEYS_KEPT = 100

# Appends the load to a list property unless present (provenance only grows, and idempotently).
_APPEND_LOAD = "CASE WHEN $load_id IN coalesce({p}, []) THEN {p} ELSE coalesce({p}, []) + $load_id END"


def _append_load(prop: str) -> str:
    return _APPEND_LOAD.format(p=prop)


def source_ref(key: str) -> dict[str, str]:
    """A source key and its force/system prefix, as ``append_sources`` reads them from ``r.sources``.

    A key is ``src:FORCE:SYSTEM:RECORD_ID`` (``SourceRecord.key``); force and system codes hold no
    colon, a record id may (a call's id is its number and time), so the prefix is the first three parts.
    """
    parts = key.split(":", 3)
    prefix = ":".join(parts[:3]) + ":" if len(parts) == 4 else key[: key.rfind(":") + 1]
    return {"key": key, "system": prefix}


def append_sources(prop: str, *, capped: bool, sources: str = "r.sources") -> str:
    """``prop`` with the keys of ``sources`` (a list of ``source_ref``) not yet in it (capped: see the
    module docstring; ``kept_sources`` gives the only ones a capped list can take)."""
    if not capped:
        return (
            f"coalesce({prop}, []) + [src IN {sources} WHERE NOT src.key IN coalesce({prop}, []) | src.key]"
        )
    keep = f"size(acc) < {SOURCE_KEYS_KEPT} OR none(k IN acc WHERE k STARTS WITH src.system)"
    return (
        f"reduce(acc = coalesce({prop}, []), src IN {sources} | "
        f"CASE WHEN NOT src.key IN acc AND ({keep}) THEN acc + src.key ELSE acc END)"
    )


def kept_sources(sources: list[dict[str, str]]) -> list[dict[str, str]]:
    """The distinct ``sources`` a capped ``source_keys`` list can take, whatever it already holds.

    After the first ``SOURCE_KEYS_KEPT`` the list is full (each was added, or was there), and a later
    key is added only when no key of its force/system is in it: once one of a system's keys has been
    seen, the list holds a key of that system. So the first ``SOURCE_KEYS_KEPT`` and the first of each
    system after them are the only candidates. Cypher's ``reduce`` copies the list at every step: a
    camera site named by every read of a batch would otherwise cost seconds per row.
    """
    if len(sources) <= SOURCE_KEYS_KEPT:
        return sources
    kept = sources[:SOURCE_KEYS_KEPT]
    systems = {src["system"] for src in kept}
    for src in sources[SOURCE_KEYS_KEPT:]:
        if src["system"] not in systems:
            systems.add(src["system"])
            kept.append(src)
    return kept


@dataclass(frozen=True)
class WriteResult:
    nodes: int
    edges: int
    # Edges whose start or end node is in neither this batch nor the graph (a file loaded before
    # the file that creates its nodes): counted, so a load can say so instead of losing them quietly.
    edges_dropped: int
    # The properties, as stored after the merge, of every node written whose properties changed
    # (every node written, with ``all_documents``), by label.
    nodes_by_label: dict[str, list[dict[str, Any]]]


def _labels_clause(label: str) -> str:
    onto = load_ontology()
    if not onto.is_label(label):
        raise SchemaError(f"refusing to write the unknown label {label!r}")
    return ":".join(f"`{name}`" for name in onto.entity(label).labels)


# Set from the load and the source record, or accumulated separately below.
_PROVENANCE = frozenset({"source_keys", "load_ids", "access"})
# Raw values as sent, and the same values kept with their records' access tokens.
RAW_VALUES, RAW_ACCESS = "raw_values", "raw_access"
# Each record's system, kept with its access token; on a node keyed by value, the record whose value
# each single-valued property holds.
SYSTEM_ACCESS, PROP_ACCESS = "system_access", "prop_access"
# Computed here from the records' labels: a loader's value for them is never stored.
_ACCESS = frozenset({"access", RAW_ACCESS, SYSTEM_ACCESS, PROP_ACCESS})


@functools.cache
def _datetime_properties(owner: str) -> frozenset[str]:
    """Properties of an entity or relationship type declared ``datetime`` in the ontology."""
    onto = load_ontology()
    spec = onto.entity(owner) if onto.is_label(owner) else onto.relationship(owner)
    return frozenset(p.name for p in spec.properties.values() if p.type == "datetime")


def _stored(owner: str, props: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Loader values as sent: None dropped; ``datetime`` properties apart, to be stored as DateTime.

    Loaders may give ISO 8601 text or aware datetime objects; one stored type keeps range queries
    and ordering right across sources. A date-time with an offset travels as ISO text and Cypher's
    ``datetime()`` reads it: the driver's own conversion of a Python datetime costs tens of
    microseconds each way, more than the rest of a row.
    """
    stamps = _datetime_properties(owner)
    out: dict[str, Any] = {}
    times: dict[str, Any] = {}
    for key, value in props.items():
        if value is None or key in _ACCESS:
            continue
        if key not in stamps:
            out[key] = value
            continue
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError as exc:
                raise SchemaError(f"{owner}.{key}: {value!r} is not an ISO 8601 date-time") from exc
        offset = isinstance(value, datetime) and isinstance(value.tzinfo, timezone)
        times[key] = value.isoformat() if offset else value  # zone names and local times: as objects
    return out, times


def _set_times(var: str, owner: str) -> str:
    """SET items storing ``r.times`` (ISO text with an offset, or temporal values) as ``owner``'s."""
    return "".join(
        f", {var}.`{name}` = CASE WHEN r.times.`{name}` IS NULL THEN {var}.`{name}` "
        f"WHEN r.times.`{name}` IS :: STRING THEN datetime(r.times.`{name}`) ELSE r.times.`{name}` END"
        for name in sorted(_datetime_properties(owner))
    )


def _projection(var: str, owner: str) -> str:
    """``var``'s properties with its date-times as text (read back by ``_read_times``, see ``_stored``)."""
    times = "".join(f", `{name}`: toString({var}.`{name}`)" for name in sorted(_datetime_properties(owner)))
    return f"{var} {{.*{times}}}"


def _read_times(owner: str, props: dict[str, Any]) -> dict[str, Any]:
    """A projection's properties as ``properties(n)`` gives them, date-times as Python datetimes."""
    stamps = _datetime_properties(owner)
    out: dict[str, Any] = {}
    for key, value in props.items():
        if value is None:
            continue
        if key in stamps and isinstance(value, str):
            # A zone name ("…+01:00[Europe/London]") is left off: the offset names the same instant.
            value = datetime.fromisoformat(value.split("[", 1)[0])
        out[key] = value
    return out


@functools.cache
def _list_properties(label: str) -> frozenset[str]:
    """The multi-valued properties of ``label``: they accumulate across records, never overwrite."""
    entity = load_ontology().entity(label)
    return frozenset(p.name for p in entity.properties.values() if p.multiple and p.name not in _PROVENANCE)


@functools.cache
def _shared(label: str) -> bool:
    return load_ontology().entity(label).identity == IDENTITY_VALUE


@functools.cache
def _key_properties(label: str) -> frozenset[str]:
    """The identity of a node keyed by value: every record that names it gives the same value."""
    return frozenset(p.name for p in load_ontology().entity(label).key_properties)


@functools.cache
def _single_properties(label: str) -> tuple[str, ...]:
    """Single-valued properties of ``label`` a record gives (not labels, provenance or date-times)."""
    entity = load_ontology().entity(label)
    skip = _list_properties(label) | _datetime_properties(label) | _ACCESS | _PROVENANCE | {"uid"}
    labels = {p.name for p in load_ontology().entity("Labelled").properties.values()}
    return tuple(sorted(p.name for p in entity.properties.values() if p.name not in skip | labels))


def _fill_values(label: str) -> str:
    """SET items of a node keyed by value: its single values are its first record's; a later record
    fills only those still empty, and ``prop_access`` says whose record each value is.

    Another force's later record overwriting the owner's values (or a handling-C record's a shared
    record's) would show a reader values of records it may not read.
    """
    registered = (
        f"n.{PROP_ACCESS} = coalesce(n.{PROP_ACCESS}, []) + "
        f"[x IN r.prop_tokens WHERE n[split(x, '{TOKEN_SEP}')[0]] IS NULL "
        f"AND NOT x IN coalesce(n.{PROP_ACCESS}, [])]"
    )
    values = "".join(
        f", n.`{name}` = coalesce(n.`{name}`, r.props.`{name}`)" for name in _single_properties(label)
    )
    times = "".join(
        f", n.`{name}` = CASE WHEN n.`{name}` IS NOT NULL OR r.times.`{name}` IS NULL THEN n.`{name}` "
        f"WHEN r.times.`{name}` IS :: STRING THEN datetime(r.times.`{name}`) ELSE r.times.`{name}` END"
        for name in sorted(_datetime_properties(label))
    )
    return f"SET {registered} SET n:{_labels_clause(label)}{values}{times}, "


def _accumulate(var: str, name: str) -> str:
    current = f"coalesce({var}.`{name}`, [])"
    return (
        f"{var}.`{name}` = CASE WHEN r.lists.`{name}` IS NULL THEN {var}.`{name}` "
        f"ELSE {current} + [x IN r.lists.`{name}` WHERE NOT x IN {current}] END"
    )


def _append_access(var: str) -> str:
    """``var.access`` with the tokens of ``r.access`` not yet in it (the first stays the owner's)."""
    current = f"coalesce({var}.access, [])"
    return f"{var}.access = {current} + [t IN r.access WHERE NOT t IN {current}]"


def _return_changed(label: str) -> str:
    """A node comes back when it changed, or when the caller wants every document."""
    return (
        f"RETURN CASE WHEN $all_documents OR properties(n) <> before THEN {_projection('n', label)} END AS p"
    )


@functools.cache
def _node_query(label: str) -> str:
    shared = _shared(label)
    # A node keyed by value (a phone, an address) is shared by every record that names it: the
    # first record's security labels stay; a node keyed by its source record takes the record's.
    labels_set = "ON CREATE SET n += r.labels" if shared else "SET n += r.labels, n.access = r.access"
    values = (
        _fill_values(label)
        if shared
        else f"SET n:{_labels_clause(label)}, n += r.props{_set_times('n', label)}, "
    )
    return (
        f"UNWIND $rows AS r MERGE (n:`{label}` {{uid: r.uid}}) {labels_set} "
        f"WITH n, r, properties(n) AS before {values}"
        + "".join(f"{_accumulate('n', name)}, " for name in sorted(_list_properties(label)))
        + f"n.source_keys = {append_sources('n.source_keys', capped=shared, sources='r.kept')}, "
        f"n.load_ids = {_append_load('n.load_ids')}"
        + (f", {_append_access('n')} " if shared else " ")
        + "WITH n, r, before CALL (n, r) { UNWIND r.sources AS src "
        "MATCH (s:SourceRecord {uid: src.key}) MERGE (n)-[:FROM_SOURCE]->(s) } " + _return_changed(label)
    )


@functools.cache
def _edge_query(rel: str, start: str, end: str) -> str:
    onto = load_ontology()
    if not onto.is_relationship_type(rel) or not onto.relationship(rel).allows(start, end):
        raise SchemaError(f"refusing to write {rel!r} from {start!r} to {end!r}")
    return (
        f"UNWIND $rows AS r MATCH (a:`{start}` {{uid: r.start}}) MATCH (b:`{end}` {{uid: r.end}}) "
        f"MERGE (a)-[e:`{rel}` {{uid: r.key}}]->(b) ON CREATE SET e += r.labels "
        f"SET e += r.props{_set_times('e', rel)}, "
        f"e.source_keys = {append_sources('e.source_keys', capped=False)}, "
        f"e.load_ids = {_append_load('e.load_ids')}, {_append_access('e')} "
        "RETURN sum(r.asserted) AS written"
    )


@functools.cache
def _source_query() -> str:
    return (
        "UNWIND $rows AS r MERGE (n:SourceRecord {uid: r.uid}) WITH n, r, properties(n) AS before "
        f"SET n += r.props, n.access = r.access, n.load_ids = {_append_load('n.load_ids')} "
        + _return_changed("SourceRecord")
    )


def _unique(values: list[Any]) -> list[Any]:
    """``values`` without repeats, in order (values a list property may hold: hashable or not)."""
    out: list[Any] = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


class _Fold:
    """One row per node (or edge) of a batch: what its records assert, in record order."""

    def __init__(self, *, shared: bool = False, first_values: bool = False) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.asserted = 0
        # (uid, source key) pairs already in a row's ``sources``: a hub named by every record of a
        # batch would otherwise search its list once per record.
        self._seen: set[tuple[str, str]] = set()
        # Many records assert one node or edge (shared nodes, edges): the first record's labels stay
        # and every record's token is gathered. Otherwise the last record's labels and token stand.
        self.shared = shared
        # A node keyed by value keeps its first record's single values (``_fill_values``).
        self.first_values = first_values

    def add(self, uid: str, row: dict[str, Any], source: dict[str, str]) -> None:
        self.asserted += 1
        old = self.rows.get(uid)
        if old is None:
            self.rows[uid] = {**row, "sources": [source], "access": [row["token"]], "asserted": 1}
            self._seen.add((uid, source["key"]))
            return
        # Later records overwrite single values (as row-by-row SETs would), or fill only empty ones
        # on a node keyed by value; list values accumulate; a shared node keeps the security labels
        # of the record that created it.
        if self.first_values:
            given = {**old["props"], **old["times"]}
            old["prop_tokens"] += [t for t in row["prop_tokens"] if t.split(TOKEN_SEP, 1)[0] not in given]
            old["props"] = {**row["props"], **old["props"]}
            old["times"] = {**row["times"], **old["times"]}
        else:
            old["props"] = {**old["props"], **row["props"]}
            old["times"] = {**old["times"], **row["times"]}
        if not self.shared:
            old["labels"] = {**old["labels"], **row["labels"]}
        for name, values in row.get("lists", {}).items():
            old["lists"][name] = _unique([*old["lists"].get(name, []), *values])
        if (uid, source["key"]) not in self._seen:
            self._seen.add((uid, source["key"]))
            old["sources"].append(source)
        if not self.shared:
            old["access"] = [row["token"]]
        elif row["token"] not in old["access"]:
            old["access"].append(row["token"])
        old["asserted"] += 1

    def node_rows(self) -> list[dict[str, Any]]:
        """The rows of a node query: ``kept`` is what its ``source_keys`` may take (``kept_sources``)."""
        return [
            {**row, "kept": kept_sources(row["sources"]) if self.shared else row["sources"]}
            for row in self.rows.values()
        ]


@dataclass
class _Batch:
    sources: _Fold
    nodes: dict[str, _Fold]
    edges: dict[tuple[str, str, str], _Fold]


def _prepare(bundles: Sequence[Bundle], ctx: LoadContext) -> _Batch:
    batch = _Batch(_Fold(), {}, {})
    base_labels = ctx.labels()
    for bundle in bundles:
        src = bundle.source
        labels = {**base_labels, **(bundle.labels or {})}
        key = src.key
        source = source_ref(key)
        props = {
            **labels, "system": src.system, "record_id": src.record_id, "load_id": ctx.load_id,
            "hash": src.hash, "file_name": ctx.source_file, "line": src.line,
            "payload": json.dumps(src.payload, default=str, ensure_ascii=False),
        }  # fmt: skip
        token = labels_token(labels)
        row = {"uid": key, "props": props, "times": {}, "labels": {}, "token": token}
        batch.sources.add(key, row, source)
        for node in bundle.nodes:
            lists = _list_properties(node.label)
            stored, times = _stored(node.label, node.props)
            values = {k: _unique(list(v)) for k, v in stored.items() if k in lists}
            if RAW_VALUES in values and RAW_ACCESS in lists:
                values[RAW_ACCESS] = [f"{token}{TOKEN_SEP}{raw}" for raw in values[RAW_VALUES]]
            if SYSTEM_ACCESS in lists:
                values[SYSTEM_ACCESS] = [system_tag(token, src.system)]
            single = {k: v for k, v in stored.items() if k not in lists}
            row = {
                "uid": node.uid,
                "labels": labels,
                "token": token,
                "props": single,
                "times": times,
                "lists": values,
                "prop_tokens": [
                    f"{name}{TOKEN_SEP}{token}"
                    for name in (*single, *times)
                    if name not in _key_properties(node.label)
                ],
            }
            fold = batch.nodes.get(node.label)
            if fold is None:
                shared = _shared(node.label)
                fold = batch.nodes[node.label] = _Fold(shared=shared, first_values=shared)
            fold.add(node.uid, row, source)
        for edge in bundle.edges:
            props, times = _stored(edge.type, edge.props)
            row = {"start": edge.start_uid, "end": edge.end_uid, "key": edge.key, "labels": labels,
                   "props": props, "times": times, "token": token}  # fmt: skip
            rel = (edge.type, edge.start_label, edge.end_label)
            fold = batch.edges.get(rel)
            if fold is None:
                fold = batch.edges[rel] = _Fold(shared=True)
            fold.add(edge.key, row, source)
    return batch


def write_bundles(
    driver: Driver,
    database: str,
    bundles: Sequence[Bundle],
    ctx: LoadContext,
    *,
    all_documents: bool = False,
    also: Callable[[ManagedTransaction], None] | None = None,
) -> WriteResult:
    """Write one batch in one transaction (retried by the driver on transient errors).

    ``also`` runs in the same transaction (a journal mark that commits with the batch, or not at all).
    """
    batch = _prepare(bundles, ctx)
    # Queries are built (and their names checked) before the transaction opens.
    node_queries = {label: _node_query(label) for label in batch.nodes}
    edge_queries = {key: _edge_query(*key) for key in batch.edges}
    common: dict[str, Any] = {"load_id": ctx.load_id, "all_documents": all_documents}

    def changed(label: str, result: Any) -> list[dict[str, Any]]:
        return [_read_times(label, record["p"]) for record in result if record["p"] is not None]

    def work(tx: ManagedTransaction) -> tuple[dict[str, list[dict[str, Any]]], int]:
        written = {
            "SourceRecord": changed(
                "SourceRecord", tx.run(_source_query(), rows=list(batch.sources.rows.values()), **common)
            )
        }
        for label, fold in batch.nodes.items():
            written[label] = changed(label, tx.run(node_queries[label], rows=fold.node_rows(), **common))
        dropped = 0
        for key, fold in batch.edges.items():
            result = tx.run(edge_queries[key], rows=list(fold.rows.values()), **common).single(strict=True)
            dropped += fold.asserted - int(result["written"] or 0)
        if also is not None:
            also(tx)
        return {label: nodes for label, nodes in written.items() if nodes}, dropped

    with driver.session(database=database) as session:
        written, dropped = session.execute_write(work)
    return WriteResult(
        nodes=sum(fold.asserted for fold in batch.nodes.values()),
        edges=sum(fold.asserted for fold in batch.edges.values()) - dropped,
        edges_dropped=dropped,
        nodes_by_label=written,
    )

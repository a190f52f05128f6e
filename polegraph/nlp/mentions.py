"""``MENTIONS`` edges from text-bearing records to the entities their text names, written to Neo4j.

A mention of an identifier goes to the object keyed by its normalised value (a phone by E.164, a
vehicle by VRM, a postcode, an e-mail address, a handset by IMEI, an account by platform and
handle), which is created when nobody recorded it yet; a mention of a name goes to the nominals the
gazetteer knows by that name; a bare ``@handle`` only to accounts that already exist. Objects and
edges are written like loader output (`polegraph.graph.writer`): labels from the ontology, values
as parameters, the text record's security labels and source keys on the edge and, when it creates
the object, on the object too, with ``FROM_SOURCE`` edges to the record's sources; an object gains
the access tokens of every text record that names it, and its raw forms are kept with their token
(``raw_access``), as the writer keeps a loader's. One transaction
per page: stale machine-made mentions of the re-read texts go, the new ones are merged, and each
text node keeps the hash of the text it was read from.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from neo4j import Driver, ManagedTransaction

from polegraph.errors import SchemaError
from polegraph.graph.writer import append_sources, source_ref
from polegraph.loaders.records import value_uid
from polegraph.nlp.narrative import MENTIONS_HASH, NarrativeNode, checked_label
from polegraph.nlp.rules import EMAIL_KIND, HANDLE_KIND, IMEI_KIND, PHONE_KIND, POSTCODE_KIND, VRM_KIND
from polegraph.schema import load_ontology
from polegraph.security.policy import TOKEN_SEP, labels_token

MENTIONS = "MENTIONS"
PERSON_KIND = "PERSON"
#: Methods of mentions made by this package; a MANUAL one is an analyst's, and is never removed here.
MACHINE_METHODS = ("RULE", "NER")
#: Identifier kinds -> (label of the object, its key property). Dates name no entity.
OBJECTS = {
    PHONE_KIND: ("Phone", "e164"),
    EMAIL_KIND: ("Email", "email"),
    IMEI_KIND: ("Device", "imei"),
    VRM_KIND: ("Vehicle", "vrm"),
    POSTCODE_KIND: ("Postcode", "postcode"),
}


@dataclass(frozen=True, slots=True)
class Mention:
    """An entity named in one text property of a record, at ``[start, end)`` of that text."""

    property: str
    start: int
    end: int
    surface: str
    kind: str  # PHONE, EMAIL, IMEI, VRM, POSTCODE, HANDLE, DATE, PERSON
    value: str  # normalised (E.164, VRM, postcode...); for a person, the folded name
    method: str  # RULE or NER
    model: str
    confidence: float
    platform: str | None = None  # a handle named with its platform
    persons: tuple[str, ...] = ()  # a name: the uids of the nominals it may mean


@dataclass(frozen=True, slots=True)
class RecordMentions:
    """What the extraction found in one text-bearing node."""

    node: NarrativeNode
    text_hash: str
    mentions: tuple[Mention, ...]


@dataclass(frozen=True, slots=True)
class Target:
    """The node a mention points at; ``props`` are set only when the mention creates it."""

    label: str
    uid: str
    props: dict[str, Any] | None = None


@dataclass
class WriteCounts:
    mentions: int = 0
    removed: int = 0
    created: int = 0
    # Objects named by the texts, as stored after the merge (their index documents are rebuilt).
    objects: dict[str, list[dict[str, Any]]] | None = None


@functools.cache
def _labels_clause(label: str) -> str:
    onto = load_ontology()
    if not onto.is_label(label):
        raise SchemaError(f"refusing to write the unknown label {label!r}")
    return ":".join(f"`{name}`" for name in onto.entity(label).labels)


def _check_edge(start: str, end: str) -> None:
    if not load_ontology().relationship(MENTIONS).allows(start, end):
        raise SchemaError(f"refusing to write {MENTIONS} from {start!r} to {end!r}")


def targets(mention: Mention, accounts: dict[str, list[str]]) -> list[Target]:
    """The nodes ``mention`` points at; ``accounts`` maps bare handles to existing Account uids."""
    if mention.kind in OBJECTS:
        label, key = OBJECTS[mention.kind]
        props: dict[str, Any] = {key: mention.value}
        if label != "Postcode":  # objects keep validity and raw forms; locations have neither
            props |= {"valid": True, "raw_values": [mention.surface]}
        return [Target(label, value_uid(label, mention.value), props)]
    if mention.kind == HANDLE_KIND and mention.platform:
        props = {"platform": mention.platform, "handle": mention.value, "valid": True,
                 "raw_values": [mention.surface]}  # fmt: skip
        return [Target("Account", value_uid("Account", f"{mention.platform}:{mention.value}"), props)]
    if mention.kind == HANDLE_KIND:
        return [Target("Account", uid) for uid in accounts.get(mention.value, [])]
    if mention.kind == PERSON_KIND:
        return [Target("Person", uid) for uid in mention.persons]
    return []


def existing_accounts(driver: Driver, database: str, handles: Sequence[str]) -> dict[str, list[str]]:
    """Existing Account uids by handle, for handles written without their platform (``@kuba_99``)."""
    if not handles:
        return {}
    records, _, _ = driver.execute_query(
        "MATCH (a:Account) WHERE a.handle IN $handles RETURN a.handle AS h, a.uid AS uid",
        handles=list(set(handles)), database_=database, routing_="r",
    )  # fmt: skip
    found: dict[str, list[str]] = defaultdict(list)
    for record in records:
        found[record["h"]].append(record["uid"])
    return dict(found)


def _union(var: str, prop: str, values: str) -> str:
    current = f"coalesce({var}.`{prop}`, [])"
    return f"{var}.`{prop}` = {current} + [x IN {values} WHERE NOT x IN {current}]"


def _object_query(label: str) -> str:
    # Shared objects keep the security labels of the record that created them, and a bounded list of
    # source keys (FROM_SOURCE keeps them all), as the writer does.
    return (
        f"UNWIND $rows AS r MERGE (n:`{label}` {{uid: r.uid}}) "
        "ON CREATE SET n += r.labels, n += r.props "
        f"SET n:{_labels_clause(label)}, "
        + (
            f"{_union('n', 'raw_values', 'r.raw_values')}, {_union('n', 'raw_access', 'r.raw_access')}, "
            if "raw_values" in _props(label)
            else ""
        )
        + f"{_union('n', 'access', 'r.access')}, "
        + f"n.source_keys = {append_sources('n.source_keys', capped=True)}, "
        f"{_union('n', 'load_ids', 'r.load_ids')} "
        "WITH n, r CALL (n, r) { UNWIND r.source_keys AS key MATCH (s:SourceRecord {uid: key}) "
        "MERGE (n)-[:FROM_SOURCE]->(s) } "
        "RETURN properties(n) AS p"
    )


@functools.cache
def _props(label: str) -> frozenset[str]:
    return frozenset(load_ontology().entity(label).properties)


def _edge_query(start: str, end: str) -> str:
    _check_edge(start, end)
    return (
        f"UNWIND $rows AS r MATCH (a:`{checked_label(start)}` {{uid: r.start}}) "
        f"MATCH (b:`{end}` {{uid: r.end}}) "
        f"MERGE (a)-[e:`{MENTIONS}` {{uid: r.key}}]->(b) SET e += r.labels, e += r.props, "
        f"{_union('e', 'source_keys', 'r.source_keys')}, {_union('e', 'load_ids', 'r.load_ids')} "
        "RETURN count(e) AS written"
    )


def _prune_query(label: str) -> str:
    # The type is compared, not matched, so that a graph with no mention yet does not warn.
    return (
        f"UNWIND $rows AS r MATCH (a:`{checked_label(label)}` {{uid: r.uid}})-[e]->() "
        "WHERE type(e) = $type AND e['method'] IN $methods AND NOT e['uid'] IN r.keys "
        "DELETE e RETURN count(e) AS removed"
    )


def _mark_query(label: str) -> str:
    match = f"UNWIND $rows AS r MATCH (a:`{checked_label(label)}` {{uid: r.uid}})"
    return f"{match} SET a.`{MENTIONS_HASH}` = r.hash"


def edge_key(start_uid: str, end_uid: str, mention: Mention) -> str:
    """The edge's identity: one edge per mention (property and offsets) and target."""
    return f"{MENTIONS}|{start_uid}|{end_uid}|{mention.property}:{mention.start}:{mention.end}"


def _rows(
    found: Sequence[RecordMentions], accounts: dict[str, list[str]]
) -> tuple[
    dict[str, dict[str, dict[str, Any]]], dict[tuple[str, str], list[dict[str, Any]]], dict[str, list[Any]]
]:
    objects: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)  # label -> uid -> row
    edges: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    nodes: dict[str, list[Any]] = defaultdict(list)  # text label -> rows for prune and mark
    for record in found:
        node = record.node
        provenance = {"source_keys": node.source_keys, "load_ids": node.load_ids}
        # The text record's own token(s); a record read before it had them has its labels'.
        access = list(node.labels.get("access") or [labels_token(node.labels)])
        keys: list[str] = []
        for mention in record.mentions:
            for target in targets(mention, accounts):
                if target.props is not None:
                    row = objects[target.label].setdefault(
                        target.uid, {"uid": target.uid, "labels": {**node.labels, "access": access},
                                     "props": target.props, "raw_values": [], "raw_access": [],
                                     "source_keys": [], "load_ids": [], "access": []},
                    )  # fmt: skip
                    raw_access = [f"{token}{TOKEN_SEP}{mention.surface}" for token in access]
                    for name, values in (
                        ("raw_values", [mention.surface]), ("raw_access", raw_access), ("access", access),
                        *provenance.items(),
                    ):  # fmt: skip
                        row[name].extend(v for v in values if v not in row[name])
                key = edge_key(node.uid, target.uid, mention)
                keys.append(key)
                props = {
                    "property": mention.property, "start": mention.start, "end": mention.end,
                    "surface": mention.surface, "method": mention.method, "model": mention.model,
                    "confidence": mention.confidence,
                }  # fmt: skip
                edges[(node.label, target.label)].append(
                    {"start": node.uid, "end": target.uid, "key": key,
                     "labels": {**node.labels, "access": access}, "props": props, **provenance}
                )  # fmt: skip
        nodes[node.label].append({"uid": node.uid, "keys": keys, "hash": record.text_hash})
    for rows in objects.values():
        for row in rows.values():
            row["sources"] = [source_ref(key) for key in row["source_keys"]]
    return objects, edges, nodes


def write_mentions(driver: Driver, database: str, found: Sequence[RecordMentions]) -> WriteCounts:
    """Replace the machine-made mentions of the records in ``found`` by those found now; one transaction."""
    handles = [m.value for r in found for m in r.mentions if m.kind == HANDLE_KIND and not m.platform]
    accounts = existing_accounts(driver, database, handles)
    objects, edges, nodes = _rows(found, accounts)
    # Queries are built (and their names checked) before the transaction opens.
    object_queries = {label: _object_query(label) for label in objects}
    edge_queries = {pair: _edge_query(*pair) for pair in edges}
    prune_queries = {label: _prune_query(label) for label in nodes}
    mark_queries = {label: _mark_query(label) for label in nodes}

    def work(tx: ManagedTransaction) -> WriteCounts:
        counts = WriteCounts(objects={})
        assert counts.objects is not None
        for label, rows in nodes.items():
            result = tx.run(prune_queries[label], rows=rows, type=MENTIONS, methods=list(MACHINE_METHODS))
            counts.removed += int(result.single(strict=True)["removed"])
        for label, by_uid in objects.items():
            result = tx.run(object_queries[label], rows=list(by_uid.values()))
            counts.objects[label] = [dict(r["p"]) for r in result]
            counts.created += result.consume().counters.nodes_created
        for pair, rows in edges.items():
            counts.mentions += int(tx.run(edge_queries[pair], rows=rows).single(strict=True)["written"])
        for label, rows in nodes.items():
            tx.run(mark_queries[label], rows=rows).consume()
        return counts

    with driver.session(database=database) as session:
        return session.execute_write(work)

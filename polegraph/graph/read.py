"""Reads of the graph under a principal: nodes by key, their one-hop links, source records.

Every function takes the ``Principal`` and puts ``cypher_predicate`` on every node and
relationship it returns or walks through, inside the ``MATCH`` (never as a filter on results), so
what the principal may not read is not there for it: no row, no count, no key. Labels and
relationship types that come from a request are checked against the ontology before they reach
query text; every value is a parameter. Functions take many keys at once so that the API's
DataLoaders ask once per batch, not once per item.

A node or edge several records assert (a shared phone) is read as the principal may see it: its
access tokens stay in Neo4j, its raw values are those of records the principal may read, and its
labels are its owner's only when the principal may read the owner's record (``shown_labels``).
The projections use the policy's ``$pf_access``, so they only run beside the policy predicate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, Protocol

from neo4j import READ_ACCESS, Driver, NotificationDisabledCategory, Query

from polegraph.config import Settings
from polegraph.errors import PolegraphError
from polegraph.schema import load_ontology
from polegraph.security.policy import TOKEN_SEP, Principal, cypher_predicate, shown_labels

# Properties that are machinery, not the record: never read out (the vector is also large; the
# access tokens name other forces' records).
HIDDEN = (
    "embedding", "embedding_hash", "load_ids", "created_at", "updated_at", "access", "raw_access",
    "system_access", "prop_access",
)  # fmt: skip
# Single values of a shared node that a record the principal may not read gave (``prop_access``
# entries are ``NAME|TOKEN``): left out of what it reads.
_PROPS_UNREADABLE = (
    "[x IN coalesce({v}.prop_access, []) WHERE NOT substring(x, size(split(x, '|')[0]) + 1) IN $pf_access "
    "| split(x, '|')[0]]"
)
# Source keys of the records the principal may read: a key names its force, system and record.
_KEYS_READABLE = (
    "CASE WHEN {v}.source_keys IS NULL THEN null ELSE [k IN {v}.source_keys WHERE EXISTS {{ "
    "MATCH (s:SourceRecord {{uid: k}}) WHERE any(t IN s.access WHERE t IN $pf_access) }}] END"
)
# Raw values with their records' tokens (``TOKEN|raw``), those the principal may read: the token is
# the entry's first three parts.
_RAW_READABLE = (
    "CASE WHEN {v}.raw_values IS NULL THEN null ELSE [x IN coalesce({v}.raw_access, []) "
    "WHERE reduce(t = split(x, '|')[0], p IN split(x, '|')[1..3] | t + '|' + p) IN $pf_access] END"
)
SOURCE_RECORD = "SourceRecord"
# Provenance edges are read through ``source_records``, never walked as part of the network.
PROVENANCE = "FROM_SOURCE"
MAX_LINKS = 200  # one-hop links read per node (a phone mast can have a hundred thousand)


class ReadError(PolegraphError):
    """A read the graph refuses to run as asked (an unknown label or relationship type)."""

    code: ClassVar[str] = "BAD_USER_INPUT"


class NodeKey(NamedTuple):
    """A node's primary label and uid."""

    label: str
    uid: str


class NodeCondition(Protocol):
    """A compiled condition on a node (``polegraph.api.filters.CypherFilter``)."""

    def cypher(self, var: str) -> tuple[str, dict[str, Any]]: ...


@dataclass
class GraphDb:
    """Where reads go: the driver, database and transaction timeout; counts the queries it sends."""

    driver: Driver
    database: str
    timeout_s: float
    queries: int = 0

    @classmethod
    def of(cls, driver: Driver, settings: Settings) -> GraphDb:
        return cls(driver, settings.neo4j_database, settings.neo4j_tx_timeout_s)

    def run(self, text: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One read query (routed as a read, under the transaction timeout), as plain rows."""
        self.queries += 1
        # A type this graph has no edge of yet is a valid name (checked against the ontology).
        with self.driver.session(
            database=self.database,
            default_access_mode=READ_ACCESS,
            notifications_disabled_categories=[NotificationDisabledCategory.UNRECOGNIZED],
        ) as session:
            result = session.run(Query(text, timeout=self.timeout_s), dict(params))
            return [record.data() for record in result]


@dataclass(frozen=True)
class GraphNode:
    """A node as read: its primary label, uid, every label and its properties (plain values)."""

    label: str
    uid: str
    labels: tuple[str, ...]
    props: Mapping[str, Any]

    @property
    def key(self) -> NodeKey:
        return NodeKey(self.label, self.uid)


@dataclass(frozen=True)
class GraphEdge:
    """A relationship as read: its type, ends and properties."""

    type: str
    start: NodeKey
    end: NodeKey
    props: Mapping[str, Any]

    def other(self, key: NodeKey) -> NodeKey:
        return self.end if self.start == key else self.start


@dataclass(frozen=True)
class Link:
    """One hop from a node: the relationship and the node at its other end."""

    edge: GraphEdge
    node: GraphNode
    outgoing: bool  # the relationship starts at the node the link was read from


@dataclass
class Predicates:
    """The policy predicate on each variable of a query, with the parameters they share."""

    principal: Principal
    params: dict[str, Any] = field(default_factory=dict)

    def __call__(self, *variables: str) -> str:
        parts = []
        for var in variables:
            text, params = cypher_predicate(self.principal, var)
            self.params.update(params)
            parts.append(text)
        return " AND ".join(parts)


def plain(value: Any) -> Any:
    """Neo4j temporal and spatial values as ISO text or numbers, lists element by element."""
    if isinstance(value, list):
        return [plain(v) for v in value]
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return value


def primary_label(labels: Iterable[str]) -> str:
    """The concrete ontology type among a node's labels."""
    onto = load_ontology()
    for label in labels:
        entity = onto.entities.get(label)
        if entity is not None and not entity.abstract:
            return label
    raise ReadError(f"a node with no concrete POLE label ({', '.join(sorted(labels))})")


def _readable_access(var: str) -> str:
    return f"[t IN coalesce({var}.access, []) WHERE t IN $pf_access]"


# Returned for a node variable ``v``: its labels and properties, hidden ones left in Neo4j.
def node_projection(var: str) -> str:
    hidden = ", ".join(f"{h}: null" for h in HIDDEN)
    return (
        f"{{labels: labels({var}), readable: {_readable_access(var)}, "
        f"raw: {_RAW_READABLE.format(v=var)}, unreadable: {_PROPS_UNREADABLE.format(v=var)}, "
        f"props: {var} {{.*, {hidden}, raw_values: null, source_keys: {_KEYS_READABLE.format(v=var)}}}}}"
    )


def edge_projection(var: str) -> str:
    return (
        f"{{type: type({var}), start: [labels(startNode({var})), startNode({var}).uid], "
        f"end: [labels(endNode({var})), endNode({var}).uid], readable: {_readable_access(var)}, "
        f"props: {var} {{.*, access: null, source_keys: {_KEYS_READABLE.format(v=var)}}}}}"
    )


def _as_read(props: dict[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """Labels as the principal may see them, and the raw values of the records it may read."""
    raw = row.get("raw")
    if raw is not None:
        props["raw_values"] = list(dict.fromkeys(str(x).split(TOKEN_SEP, 3)[3] for x in raw))
    return shown_labels(props, row.get("readable") or [])


def to_node(row: Mapping[str, Any]) -> GraphNode:
    hidden = {*HIDDEN, *(row.get("unreadable") or ())}
    props = {k: plain(v) for k, v in row["props"].items() if v is not None and k not in hidden}
    props = _as_read(props, row)
    labels = tuple(row["labels"])
    return GraphNode(primary_label(labels), str(props.get("uid", "")), labels, props)


def to_edge(row: Mapping[str, Any]) -> GraphEdge:
    def end(pair: list[Any]) -> NodeKey:
        return NodeKey(primary_label(pair[0]), str(pair[1]))

    props = _as_read({k: plain(v) for k, v in row["props"].items() if v is not None}, row)
    return GraphEdge(str(row["type"]), end(row["start"]), end(row["end"]), props)


def check_label(label: str) -> str:
    """``label`` when it is a concrete type of the ontology, quoted for query text."""
    onto = load_ontology()
    if not onto.is_label(label) or onto.entity(label).abstract:
        raise ReadError(f"unknown node type {str(label)[:60]!r}")
    return f"`{label}`"


def traversable_types(requested: Sequence[str]) -> list[str]:
    """The requested relationship types, checked: ontology types a walk may take (not provenance)."""
    onto = load_ontology()
    unknown = [t for t in requested if not onto.is_relationship_type(t) or t == PROVENANCE]
    if unknown or not requested:
        shown = ", ".join(repr(str(t)[:40]) for t in unknown[:5]) or "none"
        raise ReadError(
            f"unknown or untraversable relationship type(s): {shown}",
            hint="use the POLE relationship types (INVOLVED_IN, HAS_PHONE, KNOWS ...)",
        )
    return sorted(set(requested))


def type_pattern(types: Sequence[str] | None) -> str:
    """``:`A`|`B``` for checked relationship types; every type but provenance for None.

    The negated form keeps the query short: a pattern listing every type of the ontology takes
    Neo4j seconds to plan.
    """
    if types is None:
        return f":!{PROVENANCE}"
    return ":" + "|".join(f"`{t}`" for t in traversable_types(types))


def by_root(keys: Iterable[NodeKey]) -> dict[str, list[dict[str, str]]]:
    """Keys (labels checked) grouped by the indexed label they are found under: Entity or SourceRecord.

    One query per group, whatever the mix of types, so a batch of phones and vehicles is one read.
    """
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    for key in dict.fromkeys(keys):
        check_label(key.label)
        grouped[SOURCE_RECORD if key.label == SOURCE_RECORD else "Entity"].append(key._asdict())
    return grouped


def _match(root: str, pred: Predicates) -> str:
    return f"UNWIND $keys AS k MATCH (n:`{root}` {{uid: k.uid}}) WHERE k.label IN labels(n) AND {pred('n')} "


def nodes_by_key(db: GraphDb, principal: Principal, keys: Sequence[NodeKey]) -> dict[NodeKey, GraphNode]:
    """The nodes of ``keys`` the principal may read; the others are simply absent."""
    found: dict[NodeKey, GraphNode] = {}
    for root, batch in by_root(keys).items():
        pred = Predicates(principal)
        text = _match(root, pred) + f"RETURN k.label AS label, {node_projection('n')} AS n"
        for row in db.run(text, {**pred.params, "keys": batch}):
            node = to_node(row["n"])
            found[NodeKey(row["label"], node.uid)] = node
    return found


def source_records(db: GraphDb, principal: Principal, uids: Sequence[str]) -> dict[str, GraphNode]:
    """Source records by key (``source_keys`` of nodes and edges), those the principal may read."""
    keys = [NodeKey(SOURCE_RECORD, uid) for uid in uids]
    return {key.uid: node for key, node in nodes_by_key(db, principal, keys).items()}


def links(
    db: GraphDb,
    principal: Principal,
    keys: Sequence[NodeKey],
    rel_types: Sequence[str] | None = None,
    *,
    other_label: str | None = None,
) -> dict[NodeKey, list[Link]]:
    """The readable one-hop links of each node of ``keys`` (at most ``MAX_LINKS`` each).

    ``rel_types`` narrows the relationship types (checked against the ontology); ``other_label``
    the nodes at the other end (a concrete or abstract label, e.g. ``Event``).
    """
    types = type_pattern(rel_types)
    onto = load_ontology()
    if other_label is not None and not onto.is_label(other_label):
        raise ReadError(f"unknown node type {str(other_label)[:60]!r}")
    other = f":`{other_label}`" if other_label else ""
    out: dict[NodeKey, list[Link]] = defaultdict(list)
    for root, batch in by_root(keys).items():
        pred = Predicates(principal)
        text = _match(root, pred) + (
            f"CALL (n) {{ MATCH (n)-[r{types}]-(m{other}) WHERE {pred('r', 'm')} "
            f"RETURN r, m ORDER BY type(r), m.uid LIMIT {MAX_LINKS} }} "
            f"RETURN k, {edge_projection('r')} AS r, {node_projection('m')} AS m, startNode(r) = n AS out"
        )
        for row in db.run(text, {**pred.params, "keys": batch}):
            key = NodeKey(row["k"]["label"], row["k"]["uid"])
            out[key].append(Link(to_edge(row["r"]), to_node(row["m"]), bool(row["out"])))
    return dict(out)

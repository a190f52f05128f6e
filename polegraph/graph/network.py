"""Network reads under a principal: neighbourhood, shortest paths, common connections, timeline.

The access policy is inside every path pattern: each hop of a quantified path pattern checks the
relationship and the node it reaches (``((a)-[r]-(b) WHERE <policy r> AND <policy b>){1,n}``), so
a walk never passes through what the principal may not read — a path through an unreadable node
is not found at all, and a longer readable one is, where it exists. Results are keyset pages:
ordered on a key, ``after`` the last key of the previous page, totals counting readable rows only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from polegraph.graph.read import (
    GraphDb,
    GraphEdge,
    GraphNode,
    NodeCondition,
    NodeKey,
    Predicates,
    ReadError,
    check_label,
    edge_projection,
    node_projection,
    to_edge,
    to_node,
    type_pattern,
)
from polegraph.security.policy import Principal

MAX_HOPS = 3
MAX_PATH_HOPS = 6
MAX_PATHS = 25
MAX_COMMON = 10
# Sorts after every real instant: events without a start time come last on a timeline.
UNDATED = 2**62

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One keyset page and the number of rows the principal may read in all."""

    items: list[T]
    total: int
    has_next: bool


@dataclass(frozen=True)
class Neighbour:
    node: GraphNode
    hops: int
    via: GraphEdge  # the last relationship of a shortest readable path to the node
    previous: NodeKey  # the node that relationship comes from on that path


@dataclass(frozen=True)
class GraphPath:
    nodes: list[GraphNode]
    edges: list[GraphEdge]


@dataclass(frozen=True)
class Connection:
    node: GraphNode
    edges: list[GraphEdge]  # its relationships to each of the nodes asked about


@dataclass(frozen=True)
class TimelineEntry:
    event: GraphNode
    at: int  # epoch milliseconds of the event's start (``UNDATED`` when it has none)
    edges: list[GraphEdge]  # how the node is tied to the event
    via: list[GraphNode | None]  # the object each tie goes through (None: directly), per edge


def _window(var: str, since: dt.datetime | None, until: dt.datetime | None) -> str:
    """Events must overlap [since, until]; other nodes pass."""
    if since is None and until is None:
        return "true"
    bounds = []
    if since is not None:
        bounds.append(f"coalesce({var}.occurred_to, {var}.occurred_from) >= $since")
    if until is not None:
        bounds.append(f"{var}.occurred_from <= $until")
    return f"(NOT {var}:Event OR coalesce({' AND '.join(bounds)}, false))"


def _check_page(first: int) -> None:
    if not 1 <= first <= 100:
        raise ReadError(f"a page holds 1 to 100 items, not {first}")


def _condition(where: NodeCondition | None, var: str) -> tuple[str, dict[str, Any]]:
    return where.cypher(var) if where is not None else ("true", {})


# The rows of one page, and the total, from ``rows`` ordered by key: an empty page still
# carries the total (one row whose item is null).
_PAGE = (
    "WITH size(rows) AS total, [x IN rows WHERE {after}][..$limit] AS page "
    "UNWIND CASE WHEN size(page) = 0 THEN [null] ELSE page END AS x "
)


def neighbourhood(
    db: GraphDb,
    principal: Principal,
    start: NodeKey,
    *,
    hops: int = 1,
    rel_types: Sequence[str] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    where: NodeCondition | None = None,
    first: int = 50,
    after: tuple[int, str] | None = None,
) -> Page[Neighbour]:
    """Nodes within ``hops`` (1-3) of ``start`` by readable paths, nearest first.

    Events walked through or returned must overlap [``since``, ``until``]; ``where`` narrows the
    nodes returned (not those walked through). Keyset: (hops, uid).
    """
    if not 1 <= hops <= MAX_HOPS:
        raise ReadError(f"a neighbourhood reaches 1 to {MAX_HOPS} hops, not {hops}")
    _check_page(first)
    types = type_pattern(rel_types)
    pred = Predicates(principal)
    condition, condition_params = _condition(where, "m")
    text = (
        f"MATCH (s:{check_label(start.label)} {{uid: $uid}}) WHERE {pred('s')} "
        f"MATCH p = ANY SHORTEST (s)((a)-[r{types}]-(b) WHERE {pred('r', 'b')} "
        f"AND {_window('b', since, until)}){{1,{hops}}}(m) WHERE m <> s AND {condition} "
        "WITH m, length(p) AS hops, last(relationships(p)) AS via, nodes(p)[-2].uid AS prev "
        "ORDER BY hops, m.uid WITH collect({m: m, hops: hops, via: via, prev: prev}) AS rows "
        + _PAGE.format(after="x.hops > $after_hops OR (x.hops = $after_hops AND x.m.uid > $after_uid)")
        + "WITH total, x.m AS m, x.via AS via, x.hops AS hops, x.prev AS prev "
        f"RETURN total, hops, prev, {node_projection('m')} AS m, {edge_projection('via')} AS via"
    )
    after_hops, after_uid = after or (0, "")
    params = {
        **pred.params, **condition_params, "uid": start.uid, "since": since, "until": until,
        "limit": first + 1, "after_hops": after_hops, "after_uid": after_uid,
    }  # fmt: skip
    rows = db.run(text, params)
    items = []
    for row in rows:
        if row["hops"] is None:
            continue
        via = to_edge(row["via"])
        items.append(Neighbour(to_node(row["m"]), int(row["hops"]), via, _previous(via, row["prev"])))
    return Page(items[:first], int(rows[0]["total"]) if rows else 0, len(items) > first)


def _previous(via: GraphEdge, uid: str) -> NodeKey:
    return via.start if via.start.uid == uid else via.end


def paths(
    db: GraphDb,
    principal: Principal,
    source: NodeKey,
    target: NodeKey,
    *,
    max_hops: int = 4,
    rel_types: Sequence[str] | None = None,
    limit: int = MAX_PATHS,
) -> list[GraphPath]:
    """The shortest paths (all of the shortest length, up to ``limit``) on which every node and
    relationship is readable."""
    if not 1 <= max_hops <= MAX_PATH_HOPS:
        raise ReadError(f"paths are 1 to {MAX_PATH_HOPS} hops long, not {max_hops}")
    if source == target:
        raise ReadError("a path needs two different nodes")
    types = type_pattern(rel_types)
    pred = Predicates(principal)
    text = (
        f"MATCH (a:{check_label(source.label)} {{uid: $from}}) WHERE {pred('a')} "
        f"MATCH (z:{check_label(target.label)} {{uid: $to}}) WHERE {pred('z')} "
        f"MATCH p = ALL SHORTEST (a)((x)-[r{types}]-(y) WHERE {pred('r', 'y')}){{1,{max_hops}}}(z) "
        f"WITH p LIMIT $limit "
        f"RETURN [n IN nodes(p) | {node_projection('n')}] AS nodes, "
        f"[e IN relationships(p) | {edge_projection('e')}] AS edges"
    )
    rows = db.run(text, {**pred.params, "from": source.uid, "to": target.uid, "limit": limit})
    return [GraphPath([to_node(n) for n in row["nodes"]], [to_edge(e) for e in row["edges"]]) for row in rows]


def common_connections(
    db: GraphDb,
    principal: Principal,
    keys: Sequence[NodeKey],
    *,
    rel_types: Sequence[str] | None = None,
    where: NodeCondition | None = None,
    first: int = 50,
    after: str | None = None,
) -> Page[Connection]:
    """Nodes one readable hop from every node of ``keys`` (2 to ``MAX_COMMON``). Keyset: uid."""
    distinct = sorted(set(keys))
    if not 2 <= len(distinct) <= MAX_COMMON:
        raise ReadError(f"common connections are of 2 to {MAX_COMMON} different nodes")
    _check_page(first)
    for key in distinct:
        check_label(key.label)
    types = type_pattern(rel_types)
    pred = Predicates(principal)
    condition, condition_params = _condition(where, "m")
    text = (
        "UNWIND $keys AS k MATCH (s:Entity {uid: k.uid}) WHERE k.label IN labels(s) AND "
        f"{pred('s')} MATCH (s)-[r{types}]-(m:Entity) WHERE {pred('r', 'm')} AND NOT m.uid IN $uids "
        f"AND {condition} "
        "WITH m, collect(r) AS via, count(DISTINCT s) AS shared WHERE shared = size($keys) "
        "ORDER BY m.uid WITH collect({m: m, via: via}) AS rows "
        + _PAGE.format(after="x.m.uid > $after")
        + "WITH total, x.m AS m, x.via AS via "
        f"RETURN total, {node_projection('m')} AS m, [e IN via | {edge_projection('e')}] AS via"
    )
    params = {
        **pred.params, **condition_params, "keys": [k._asdict() for k in distinct],
        "uids": [k.uid for k in distinct], "limit": first + 1, "after": after or "",
    }  # fmt: skip
    rows = db.run(text, params)
    items = [Connection(to_node(r["m"]), [to_edge(e) for e in r["via"]]) for r in rows if r["m"]["props"]]
    return Page(items[:first], int(rows[0]["total"]) if rows else 0, len(items) > first)


def timeline(
    db: GraphDb,
    principal: Principal,
    start: NodeKey,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    where: NodeCondition | None = None,
    first: int = 50,
    after: tuple[int, str] | None = None,
) -> Page[TimelineEntry]:
    """Events tied to ``start`` directly or through an object it holds (a phone's calls), in time
    order, overlapping [``since``, ``until``]; ``where`` narrows the events. Keyset: (start time, uid)."""
    _check_page(first)
    condition, condition_params = _condition(where, "e")
    types = type_pattern(None)
    pred = Predicates(principal)
    via = node_projection("o")
    text = (
        f"MATCH (s:{check_label(start.label)} {{uid: $uid}}) WHERE {pred('s')} "
        f"CALL (s) {{ MATCH (s)-[r{types}]-(e:Event) WHERE {pred('r', 'e')} "
        f"RETURN e, {edge_projection('r')} AS r, null AS via "
        f"UNION MATCH (s)-[q{types}]-(o:Object)-[r{types}]-(e:Event) WHERE {pred('q', 'o', 'r', 'e')} "
        f"RETURN e, {edge_projection('r')} AS r, {via} AS via }} "
        f"WITH e, collect({{r: r, via: via}}) AS ties WHERE {_window('e', since, until)} AND {condition} "
        "WITH e, ties, coalesce(e.occurred_from.epochMillis, $undated) AS at ORDER BY at, e.uid "
        "WITH collect({e: e, ties: ties, at: at}) AS rows "
        + _PAGE.format(after="x.at > $after_at OR (x.at = $after_at AND x.e.uid > $after_uid)")
        + "WITH total, x.e AS e, x.ties AS ties, x.at AS at "
        f"RETURN total, at, ties, {node_projection('e')} AS e"
    )
    after_at, after_uid = after or (-(2**62), "")
    params = {
        **pred.params, **condition_params, "uid": start.uid, "since": since, "until": until,
        "undated": UNDATED, "limit": first + 1, "after_at": after_at, "after_uid": after_uid,
    }  # fmt: skip
    rows = db.run(text, params)
    items = [
        TimelineEntry(
            to_node(row["e"]),
            int(row["at"]),
            [to_edge(t["r"]) for t in row["ties"]],
            [to_node(t["via"]) if t["via"] else None for t in row["ties"]],
        )
        for row in rows
        if row["at"] is not None
    ]
    return Page(items[:first], int(rows[0]["total"]) if rows else 0, len(items) > first)

"""The network fields: ``neighbourhood``, ``paths``, ``commonConnections`` and ``timeline``.

Each resolver checks its arguments (IDs, types, bounds, filter) before anything runs, then calls
the graph read of ``polegraph.graph.network`` under the request's principal in a thread.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

import strawberry

from polegraph.api.context import RequestContext
from polegraph.api.data.connections import (
    PageInfo,
    check_first,
    decode_cursor,
    encode_cursor,
    page_info,
    query_digest,
)
from polegraph.api.data.inputs import FilterInput, check_window, to_filter, utc
from polegraph.api.data.loaders import graph_loaders
from polegraph.api.data.nodes import Node, Relationship, as_node
from polegraph.api.filters import CypherFilter, filter_json
from polegraph.api.ids import from_global_id, to_global_id
from polegraph.graph import network
from polegraph.graph.read import NodeKey, ReadError
from polegraph.security.policy import readable_tokens

Info = strawberry.Info[RequestContext, None]
MAX_TYPES = 30


def node_key(global_id: str) -> NodeKey:
    ref = from_global_id(global_id)
    return NodeKey(ref.label, ref.uid)


def _types(relationship_types: list[str] | None) -> list[str] | None:
    if relationship_types is not None and len(relationship_types) > MAX_TYPES:
        raise ReadError(f"at most {MAX_TYPES} relationship types")
    return relationship_types


@strawberry.type
class NeighbourEdge:
    cursor: str
    node: Node
    hops: int = strawberry.field(description="Length of the shortest readable path to the node.")
    relationship: Relationship = strawberry.field(description="The last relationship of that path.")
    previous_id: strawberry.ID = strawberry.field(description="The node that relationship comes from.")


@strawberry.type
class NeighbourhoodConnection:
    edges: list[NeighbourEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(description="A shortest path on which every node and relationship is readable.")
class Path:
    nodes: list[Node]
    relationships: list[Relationship]
    length: int


@strawberry.type
class CommonEdge:
    cursor: str
    node: Node
    relationships: list[Relationship] = strawberry.field(
        description="Its relationships to the nodes asked about."
    )


@strawberry.type
class CommonConnection:
    edges: list[CommonEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class TimelineEdge:
    cursor: str
    node: Node = strawberry.field(description="The event.")
    at: dt.datetime | None = strawberry.field(description="When the event started (null when unknown).")
    relationships: list[Relationship] = strawberry.field(description="How the node is tied to the event.")
    via: list[Node] = strawberry.field(description="Objects the ties go through (a phone for its calls).")


@strawberry.type
class TimelineConnection:
    edges: list[TimelineEdge]
    page_info: PageInfo
    total_count: int


async def neighbourhood(
    info: Info,
    id: strawberry.ID,
    hops: int = 1,
    relationship_types: list[str] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    filter: FilterInput | None = None,
    first: int = 50,
    after: str | None = None,
) -> NeighbourhoodConnection:
    """Nodes within 1-3 hops by readable paths, nearest first; events must overlap since/until."""
    ctx = info.context
    start, types, check = node_key(id), _types(relationship_types), check_first(first)
    since, until = utc(since), utc(until)
    check_window(since, until)
    flt = to_filter(filter)
    digest = query_digest(
        ctx.principal, "neighbourhood", start, hops, types, since, until, filter_json(flt) if flt else None
    )
    key = decode_cursor(after, digest, (int, str)) if after else None
    loaders = graph_loaders(ctx)
    page = await asyncio.to_thread(
        network.neighbourhood, loaders.db, ctx.principal, start, hops=hops, rel_types=types, since=since,
        until=until, where=CypherFilter(flt, readable_tokens(ctx.principal)) if flt else None, first=check,
        after=(key[0], key[1]) if key else None,
    )  # fmt: skip
    edges = [
        NeighbourEdge(
            cursor=encode_cursor(digest, [n.hops, n.node.uid]),
            node=as_node(ctx, n.node),
            hops=n.hops,
            relationship=Relationship(edge=n.via),
            previous_id=strawberry.ID(_global(n.previous)),
        )
        for n in page.items
    ]
    return NeighbourhoodConnection(
        edges=edges, page_info=page_info(edges, page.has_next), total_count=page.total
    )


def _global(key: NodeKey) -> str:
    return to_global_id(key.label, key.uid)


async def paths(
    info: Info,
    from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
    to: strawberry.ID,
    max_hops: int = 4,
    relationship_types: list[str] | None = None,
) -> list[Path]:
    """The shortest paths (up to 6 hops) between two nodes through readable nodes and relationships only."""
    ctx = info.context
    source, target, types = node_key(from_), node_key(to), _types(relationship_types)
    found = await asyncio.to_thread(
        network.paths,
        graph_loaders(ctx).db,
        ctx.principal,
        source,
        target,
        max_hops=max_hops,
        rel_types=types,
    )
    return [
        Path(
            nodes=[as_node(ctx, n) for n in p.nodes],
            relationships=[Relationship(edge=e) for e in p.edges],
            length=len(p.edges),
        )
        for p in found
    ]


async def common_connections(
    info: Info,
    ids: list[strawberry.ID],
    relationship_types: list[str] | None = None,
    filter: FilterInput | None = None,
    first: int = 50,
    after: str | None = None,
) -> CommonConnection:
    """Nodes one readable hop from every one of 2-10 nodes: shared phones, vehicles, addresses, events."""
    ctx = info.context
    if not 2 <= len(ids) <= network.MAX_COMMON:
        raise ReadError(f"common connections are of 2 to {network.MAX_COMMON} nodes")
    keys, types, check = [node_key(i) for i in ids], _types(relationship_types), check_first(first)
    flt = to_filter(filter)
    digest = query_digest(ctx.principal, "common", sorted(keys), types, filter_json(flt) if flt else None)
    key = decode_cursor(after, digest, (str,)) if after else None
    page = await asyncio.to_thread(
        network.common_connections, graph_loaders(ctx).db, ctx.principal, keys, rel_types=types,
        where=CypherFilter(flt, readable_tokens(ctx.principal)) if flt else None, first=check,
        after=key[0] if key else None,
    )  # fmt: skip
    edges = [
        CommonEdge(
            cursor=encode_cursor(digest, [c.node.uid]),
            node=as_node(ctx, c.node),
            relationships=[Relationship(edge=e) for e in c.edges],
        )
        for c in page.items
    ]
    return CommonConnection(edges=edges, page_info=page_info(edges, page.has_next), total_count=page.total)


async def timeline(
    info: Info,
    id: strawberry.ID,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    filter: FilterInput | None = None,
    first: int = 50,
    after: str | None = None,
) -> TimelineConnection:
    """Events tied to a node, directly or through its objects (a person's phone calls), in time order."""
    ctx = info.context
    start, check = node_key(id), check_first(first)
    since, until = utc(since), utc(until)
    check_window(since, until)
    flt = to_filter(filter)
    digest = query_digest(ctx.principal, "timeline", start, since, until, filter_json(flt) if flt else None)
    key = decode_cursor(after, digest, (int, str)) if after else None
    page = await asyncio.to_thread(
        network.timeline, graph_loaders(ctx).db, ctx.principal, start, since=since, until=until,
        where=CypherFilter(flt, readable_tokens(ctx.principal)) if flt else None, first=check,
        after=(key[0], key[1]) if key else None,
    )  # fmt: skip
    edges = [
        TimelineEdge(
            cursor=encode_cursor(digest, [entry.at, entry.event.uid]),
            node=as_node(ctx, entry.event),
            at=dt.datetime.fromtimestamp(entry.at / 1000, dt.UTC) if entry.at < network.UNDATED else None,
            relationships=[Relationship(edge=e) for e in entry.edges],
            via=[as_node(ctx, v) for v in entry.via if v is not None],
        )
        for entry in page.items
    ]
    return TimelineConnection(edges=edges, page_info=page_info(edges, page.has_next), total_count=page.total)

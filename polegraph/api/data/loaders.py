"""Per-request DataLoaders: nested fields ask the graph once per batch, not once per item.

Every loader reads under the request's principal (``polegraph.graph.read``); a loader is made the
first time a request needs it and kept in ``RequestContext.loaders``, so nothing is shared or
cached between requests or principals. Engine calls are synchronous and run in a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from strawberry.dataloader import DataLoader

from polegraph.api.context import RequestContext
from polegraph.graph.read import GraphDb, GraphNode, Link, NodeKey, links, nodes_by_key, source_records
from polegraph.security.policy import Principal

K = TypeVar("K")
V = TypeVar("V")


@dataclass
class GraphLoaders:
    """The request's graph connection and its loaders."""

    db: GraphDb
    principal: Principal
    nodes: DataLoader[NodeKey, GraphNode | None]
    sources: DataLoader[str, GraphNode | None]
    links: DataLoader[NodeKey, list[Link]]


def _batched(
    read: Callable[[Sequence[K]], dict[K, V]], missing: Callable[[], V]
) -> Callable[[list[K]], Awaitable[list[V]]]:
    """A DataLoader batch function from a synchronous read of many keys."""

    def run(keys: list[K]) -> list[V]:
        found = read(keys)
        return [found.get(key, missing()) for key in keys]

    async def load(keys: list[K]) -> list[V]:
        return await asyncio.to_thread(run, keys)

    return load


def _none() -> GraphNode | None:
    return None


def graph_loaders(ctx: RequestContext) -> GraphLoaders:
    """The loaders of this request, made on first use."""
    existing = ctx.loaders.get("graph")
    if isinstance(existing, GraphLoaders):
        return existing
    db = GraphDb.of(ctx.driver, ctx.settings)
    principal = ctx.principal

    def read_nodes(keys: Sequence[NodeKey]) -> dict[NodeKey, GraphNode | None]:
        return dict(nodes_by_key(db, principal, keys))

    def read_sources(uids: Sequence[str]) -> dict[str, GraphNode | None]:
        return dict(source_records(db, principal, uids))

    def read_links(keys: Sequence[NodeKey]) -> dict[NodeKey, list[Link]]:
        return links(db, principal, keys)

    made = GraphLoaders(
        db=db,
        principal=principal,
        nodes=DataLoader(_batched(read_nodes, _none)),
        sources=DataLoader(_batched(read_sources, _none)),
        links=DataLoader(_batched(read_links, list)),
    )
    ctx.loaders["graph"] = made
    return made


async def load_nodes(ctx: RequestContext, keys: Sequence[NodeKey]) -> list[GraphNode | None]:
    """The nodes of ``keys`` the principal may read, None for the others, in order."""
    return list(await graph_loaders(ctx).nodes.load_many(list(keys)))


async def load_links(ctx: RequestContext, key: NodeKey) -> list[Link]:
    return await graph_loaders(ctx).links.load(key)


async def load_sources(ctx: RequestContext, uids: Sequence[str]) -> list[GraphNode]:
    """The readable source records among ``uids`` (provenance of a node or an edge)."""
    found = await graph_loaders(ctx).sources.load_many(list(dict.fromkeys(uids)))
    return [node for node in found if node is not None]

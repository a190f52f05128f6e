"""``DataQuery``: every data field of the API, each reading under the request's principal."""

from __future__ import annotations

import strawberry

from polegraph.api.context import RequestContext
from polegraph.api.data import network, search
from polegraph.api.data.loaders import load_nodes
from polegraph.api.data.network import node_key
from polegraph.api.data.nodes import Node, as_node, described
from polegraph.graph.read import ReadError

MAX_IDS = 100


@strawberry.type
class DataQuery:
    @described("The node with this ID, or null when there is none the requester may read.")
    async def node(self, info: strawberry.Info[RequestContext, None], id: strawberry.ID) -> Node | None:
        (found,) = await load_nodes(info.context, [node_key(id)])
        return as_node(info.context, found) if found is not None else None

    @described("The nodes with these IDs, in order; null for each the requester may not read.")
    async def nodes(
        self, info: strawberry.Info[RequestContext, None], ids: list[strawberry.ID]
    ) -> list[Node | None]:
        if len(ids) > MAX_IDS:
            raise ReadError(f"at most {MAX_IDS} IDs at a time")
        found = await load_nodes(info.context, [node_key(i) for i in ids])
        return [as_node(info.context, n) if n is not None else None for n in found]

    search = strawberry.field(resolver=search.search)
    neighbourhood = strawberry.field(resolver=network.neighbourhood)
    paths = strawberry.field(resolver=network.paths)
    common_connections = strawberry.field(resolver=network.common_connections)
    timeline = strawberry.field(resolver=network.timeline)

"""The ``Node`` interface, relationships and links: what every node of the graph shows.

A node is shown only after the graph gave it under the request's principal; ``as_node`` is the
one way a resolver turns a ``GraphNode`` into a GraphQL object, and it notes the node's global ID
for the audit record. The concrete node types (``Person``, ``Crime``, ``Phone`` ...) are generated
from the ontology in ``entities.py`` and registered here by label.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, TypeVar, cast

import strawberry
from strawberry.scalars import JSON

from polegraph.api.context import RequestContext
from polegraph.api.data.loaders import load_links, load_sources
from polegraph.api.ids import to_global_id
from polegraph.graph.read import GraphEdge, GraphNode, Link, ReadError, traversable_types

# Fields of the interface (the security labels), not repeated as typed properties.
LABEL_FIELDS = ("force", "classification", "caveat", "descriptors", "handling_code", "handling_conditions")
# Provenance and identity, shown through ``sourceRecords`` and ``id`` instead.
NOT_SHOWN = frozenset({"uid", "source_keys"})

NODE_TYPES: dict[str, type[Node]] = {}


F = TypeVar("F", bound=Callable[..., Any])


def described(text: str) -> Callable[[F], F]:
    """``@strawberry.field(description=text)``, typed for mypy (strawberry types it ``Any``)."""
    return cast(Callable[[F], F], strawberry.field(description=text))


def as_node(ctx: RequestContext, graph: GraphNode) -> Node:
    """The GraphQL object of a node the graph returned under the principal."""
    node_type = NODE_TYPES.get(graph.label)
    if node_type is None:
        raise ReadError(f"no GraphQL type for {graph.label!r}")
    ctx.returned(to_global_id(graph.label, graph.uid))
    return node_type(graph=graph)


def shown_properties(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in NOT_SHOWN}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _texts(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@strawberry.enum(description="Which way a relationship runs from the node it was read from.")
class Direction(Enum):
    OUT = "OUT"
    IN = "IN"


@strawberry.interface(description="A node of the POLE graph the requester may read.")
class Node:
    graph: strawberry.Private[GraphNode]

    @described("Opaque global ID; give it to node(id) to read the node again.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id(self.graph.label, self.graph.uid))

    @described("The node's POLE type (Person, Crime, Phone ...).")
    def label(self) -> str:
        return self.graph.label

    @described("Owning force.")
    def force(self) -> str | None:
        return _text(self.graph.props.get("force"))

    @described("Government Security Classification.")
    def classification(self) -> str | None:
        return _text(self.graph.props.get("classification"))

    @strawberry.field
    def caveat(self) -> str | None:
        return _text(self.graph.props.get("caveat"))

    @strawberry.field
    def descriptors(self) -> list[str]:
        return _texts(self.graph.props.get("descriptors"))

    @described("3x5x2 handling code: P, or C (sharing only under the conditions).")
    def handling_code(self) -> str | None:
        return _text(self.graph.props.get("handling_code"))

    @described("The conditions attached to handling code C.")
    def handling_conditions(self) -> str | None:
        return _text(self.graph.props.get("handling_conditions"))

    @described("Every recorded property, as stored (provenance aside).")
    def properties(self) -> JSON:
        return JSON(shown_properties(self.graph.props))

    @described("The source records that assert this node (those the requester may read).")
    async def source_records(self, info: strawberry.Info[RequestContext, None]) -> list[Node]:
        return await source_record_nodes(info.context, self.graph.props.get("source_keys"))

    @described(
        "One-hop links: relationships the requester may read and their other ends (at most 200; "
        "use neighbourhood to page through more)."
    )
    async def links(
        self,
        info: strawberry.Info[RequestContext, None],
        relationship_types: list[str] | None = None,
    ) -> list[NodeLink]:
        wanted = _checked_types(relationship_types)
        found = await load_links(info.context, self.graph.key)
        return [as_link(info.context, link) for link in found if wanted is None or link.edge.type in wanted]


def _checked_types(requested: list[str] | None) -> frozenset[str] | None:
    return None if requested is None else frozenset(traversable_types(requested))


async def source_record_nodes(ctx: RequestContext, keys: Any) -> list[Node]:
    return [as_node(ctx, node) for node in await load_sources(ctx, _texts(keys))]


@strawberry.type(name="Relationship", description="A relationship the requester may read.")
class Relationship:
    edge: strawberry.Private[GraphEdge]

    @described("Relationship type (INVOLVED_IN, HAS_PHONE, KNOWS ...).")
    def type(self) -> str:
        return self.edge.type

    @described("The role, relation or association the edge records, when it has one.")
    def role(self) -> str | None:
        props = self.edge.props
        return _text(props.get("role") or props.get("relation") or props.get("association"))

    @strawberry.field
    def start_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id(*self.edge.start))

    @strawberry.field
    def end_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id(*self.edge.end))

    @strawberry.field
    def force(self) -> str | None:
        return _text(self.edge.props.get("force"))

    @strawberry.field
    def classification(self) -> str | None:
        return _text(self.edge.props.get("classification"))

    @strawberry.field
    def handling_code(self) -> str | None:
        return _text(self.edge.props.get("handling_code"))

    @strawberry.field
    def handling_conditions(self) -> str | None:
        return _text(self.edge.props.get("handling_conditions"))

    @described("Every recorded property of the relationship (provenance aside).")
    def properties(self) -> JSON:
        return JSON({k: v for k, v in shown_properties(self.edge.props).items() if k != "load_ids"})

    @described("The source records behind this fact (those the requester may read).")
    async def source_records(self, info: strawberry.Info[RequestContext, None]) -> list[Node]:
        return await source_record_nodes(info.context, self.edge.props.get("source_keys"))


@strawberry.type(name="Link", description="One hop: a relationship and the node at its other end.")
class NodeLink:
    relationship: Relationship
    node: Node
    direction: Direction


def as_link(ctx: RequestContext, link: Link) -> NodeLink:
    direction = Direction.OUT if link.outgoing else Direction.IN
    return NodeLink(
        relationship=Relationship(edge=link.edge), node=as_node(ctx, link.node), direction=direction
    )


def json_value(value: Any) -> Any:
    """A stored JSON property (text in Neo4j) as a JSON value."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value

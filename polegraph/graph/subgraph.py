"""The subgraph around seed entities, read from Neo4j under a principal, with events collapsed.

Starting from the seeds, each hop follows the chosen relationship types to the neighbours. An
event (a call, a crime, an ANPR read) is passed through rather than kept: the entities on either
side of it become neighbours, joined by an edge whose weight counts the events they share (so two
phones with 40 calls between them are one edge of weight 40). Events outside the time window are
not passed through. Every node, relationship and event on the way must be readable by the
principal. The read stops with ``SubgraphTooLarge`` as soon as the subgraph outgrows its limits,
before it has read more than one hop too far.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from neo4j import Driver

from polegraph.errors import PolegraphError
from polegraph.graph.readable import readable
from polegraph.graph.window import EVERYTHING, TimeWindow
from polegraph.schema import load_ontology
from polegraph.security.policy import Principal

# Relationships that say nothing about who is connected to whom, or that a linking job only proposes.
_NOT_CONNECTIONS = frozenset({"FROM_SOURCE", "POSSIBLE_SAME_AS", "NOT_SAME_AS"})


class SubgraphTooLarge(PolegraphError):
    """The subgraph asked for is larger than an analysis may hold."""


class BadSubgraphRequest(PolegraphError):
    """A subgraph request names something that is not in the ontology, or is not a seed."""


@dataclass(frozen=True, slots=True)
class SubgraphRequest:
    """Which subgraph to read: seeds (uids), hops, relationship types, time window and limits."""

    seeds: tuple[str, ...]
    hops: int = 2
    relationship_types: tuple[str, ...] | None = None  # None: every type that connects entities
    window: TimeWindow = EVERYTHING
    max_nodes: int = 20_000
    max_edges: int = 100_000

    def types(self) -> list[str]:
        """The relationship types to follow, each checked against the ontology."""
        onto = load_ontology()
        if self.relationship_types is None:
            return sorted(set(onto.relationships) - _NOT_CONNECTIONS)
        unknown = [t for t in self.relationship_types if not onto.is_relationship_type(t)]
        if unknown:
            raise BadSubgraphRequest(
                f"unknown relationship type(s): {', '.join(sorted(unknown))}",
                hint="one of " + ", ".join(sorted(onto.relationships)),
            )
        return sorted(set(self.relationship_types))


@dataclass
class Subgraph:
    """Nodes (uids) and weighted undirected edges between them; ``hop`` is each node's distance."""

    hop: dict[str, int] = field(default_factory=dict)
    weights: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add_edge(self, a: str, b: str, weight: int = 1) -> None:
        if a != b:
            self.weights[(a, b) if a < b else (b, a)] += weight


def _hop_query(principal: Principal, window: TimeWindow, types: list[str]) -> tuple[str, dict[str, object]]:
    # The types are in the pattern, so the engine follows only those relationship chains (a node's
    # FROM_SOURCE edges are never read); each name was checked against the ontology.
    rels = "|".join(f"`{t}`" for t in types)
    direct, params = readable(principal, "r", "m")
    through, _ = readable(principal, "r2", "o")
    query = (
        f"UNWIND $frontier AS uid MATCH (n:Entity {{uid: uid}})-[r:{rels}]-(m:Entity) "
        f"WHERE NOT n:Event AND {direct} AND (NOT m:Event OR ({window.cypher('m')})) "
        "WITH n, m, r LIMIT $cap "
        "WITH n, m, count(r) AS rels, "
        f"CASE WHEN m:Event THEN [(m)-[r2:{rels}]-(o:Entity) WHERE o <> n AND NOT o:Event "
        f"AND {through} | o.uid] ELSE [] END AS others "
        "RETURN collect(n.uid) AS n, collect(m.uid) AS m, collect(m:Event) AS event, "
        "collect(rels) AS rels, collect(others) AS others"
    )
    return query, {**params, **window.params()}


def read_subgraph(driver: Driver, database: str, principal: Principal, request: SubgraphRequest) -> Subgraph:
    """The subgraph of ``request`` (see the module docstring)."""
    if request.hops < 0:
        raise BadSubgraphRequest(f"hops must be 0 or more, not {request.hops}")
    types = request.types()
    query, params = _hop_query(principal, request.window, types)
    seeds, seed_params = readable(principal, "s")
    found, _, _ = driver.execute_query(
        "UNWIND $uids AS uid MATCH (s:Entity {uid: uid}) "
        f"WHERE NOT s:Event AND {seeds} RETURN s.uid AS uid",
        {**seed_params, "uids": sorted(set(request.seeds))},
        database_=database,
        routing_="r",
    )
    graph = Subgraph(hop={r["uid"]: 0 for r in found})
    frontier = sorted(graph.hop)
    # One round more than the hops: the last one only adds edges among nodes already found.
    for depth in range(1, request.hops + 2):
        if not frontier:
            break
        closing = depth == request.hops + 1
        records, _, _ = driver.execute_query(
            query,
            {**params, "frontier": frontier, "cap": request.max_edges * 2 + 1},
            database_=database,
            routing_="r",
        )
        cols = records[0]
        rows = sum(
            len(o) if event else rels
            for event, rels, o in zip(cols["event"], cols["rels"], cols["others"], strict=True)
        )
        if rows > request.max_edges * 2:
            _too_large(request, f"more than {request.max_edges:,} edges")
        layer = depth - 1
        reached: set[str] = set()
        for n, m, event, rels, others in zip(
            cols["n"], cols["m"], cols["event"], cols["rels"], cols["others"], strict=True
        ):
            for end in others if event else [m]:
                hop = graph.hop.get(end)
                if hop is None and not closing:
                    reached.add(end)
                elif hop is None or hop < layer or (hop == layer and end < n):
                    # Seen already from the other end (an earlier layer, or the same layer's
                    # smaller uid), or beyond the last hop.
                    continue
                graph.add_edge(n, end, 1 if event else rels)
        for uid in reached:
            graph.hop[uid] = depth
        if len(graph.hop) > request.max_nodes:
            _too_large(request, f"more than {request.max_nodes:,} nodes")
        frontier = sorted(reached)
    return graph


def _too_large(request: SubgraphRequest, what: str) -> None:
    raise SubgraphTooLarge(
        f"the subgraph of {len(request.seeds)} seed(s) within {request.hops} hop(s) has {what}",
        hint="use fewer hops, fewer relationship types, a narrower time window or fewer seeds",
    )

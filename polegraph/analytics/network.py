"""Network measures, communities and key players on a subgraph read under a principal.

The subgraph (``polegraph.graph.subgraph``) is undirected and weighted: an edge's weight counts
the relationships and shared events (calls, messages, crimes) between its two ends. Measures are
python-igraph's; communities are Leiden's (igraph's, on modularity), seeded so that the same graph
always gives the same groups. Betweenness and closeness count hops; the weights count in weighted
degree, PageRank, eigenvector centrality and the communities. The key players are the nodes whose
removal leaves the network most fragmented (Borgatti's key-player problem, greedy).
"""

from __future__ import annotations

import random
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import igraph as ig
import numpy as np
from neo4j import Driver

from polegraph.graph.describe import NodeSummary, describe
from polegraph.graph.subgraph import Subgraph, SubgraphRequest, read_subgraph
from polegraph.security.policy import Principal

LEIDEN_SEED = 42
# Exact betweenness and closeness up to this many nodes; beyond, estimated from PIVOTS sources.
EXACT_UP_TO = 1000
PIVOTS = 100


@dataclass
class NodeMeasures:
    """One node's measures and community in the subgraph."""

    node: NodeSummary
    hop: int
    degree: int
    weighted_degree: float
    betweenness: float  # normalised to [0, 1]
    closeness: float
    pagerank: float
    eigenvector: float
    coreness: int
    community: int
    key_player_rank: int | None = None  # 1 = removing this node fragments the network most


@dataclass
class Community:
    """A candidate group: its members, ordered by weighted degree."""

    id: int
    members: list[str]
    internal_weight: float


@dataclass
class NetworkAnalysis:
    """Measures for every node, the communities, the key players, and where the time went."""

    nodes: list[NodeMeasures]
    communities: list[Community]
    key_players: list[str]
    modularity: float
    estimated: bool  # betweenness and closeness estimated from sampled pivots (a large subgraph)
    edges: int
    read_seconds: float
    compute_seconds: float
    edge_list: list[tuple[str, str, float]] = field(default_factory=list)

    def by_uid(self) -> dict[str, NodeMeasures]:
        return {m.node.uid: m for m in self.nodes}


def to_igraph(sub: Subgraph) -> ig.Graph:
    """The subgraph as an igraph Graph; vertex attribute ``name`` is the uid."""
    names = sorted(sub.hop)
    index = {uid: i for i, uid in enumerate(names)}
    graph = ig.Graph(n=len(names), edges=[(index[a], index[b]) for a, b in sub.weights], directed=False)
    graph.vs["name"] = names
    graph.es["weight"] = [float(w) for w in sub.weights.values()]
    return graph


def fragmentation(graph: ig.Graph) -> float:
    """Borgatti's fragmentation: the share of pairs of nodes that cannot reach each other."""
    n: int = graph.vcount()
    if n < 2:
        return 0.0
    sizes: list[int] = graph.connected_components().sizes()
    reachable = sum(size * (size - 1) for size in sizes)
    return 1.0 - reachable / (n * (n - 1))


def key_players(graph: ig.Graph, count: int, candidates: Sequence[int]) -> list[int]:
    """Greedy key-player set (Borgatti's KPP-Neg): the nodes whose removal fragments the network most.

    Candidates are the likeliest nodes (highest betweenness), which keeps the greedy search cheap.
    """
    chosen: list[int] = []
    for _ in range(min(count, len(candidates))):
        best, best_score = -1, -1.0
        for v in candidates:
            if v in chosen:
                continue
            trial = graph.copy()
            trial.delete_vertices([*chosen, v])
            score = fragmentation(trial)
            if score > best_score:
                best, best_score = v, score
        chosen.append(best)
    return chosen


def _path_measures(graph: ig.Graph) -> tuple[list[float], list[float], bool]:
    """Betweenness (normalised) and closeness; estimated from sampled sources on a large graph.

    Exact shortest-path measures cost one search per node, which is minutes on 10,000 nodes; the
    estimate (Brandes and Pich's pivots: betweenness from sampled sources scaled up, closeness
    from the distances to the same sources) ranks the central nodes the same way in seconds.
    """
    n = graph.vcount()
    scale = (n - 1) * (n - 2) / 2 if n > 2 else 1.0
    if n <= EXACT_UP_TO:
        closeness = [0.0 if c != c else c for c in graph.closeness()]  # NaN: an isolated node
        return [b / scale for b in graph.betweenness(directed=False)], closeness, False
    pivots = random.Random(LEIDEN_SEED).sample(range(n), PIVOTS)  # noqa: S311 - a repeatable sample
    betweenness = [b * n / PIVOTS / scale for b in graph.betweenness(directed=False, sources=pivots)]
    distances = np.array(graph.distances(source=pivots), dtype=float)
    reachable = np.isfinite(distances) & (distances > 0)
    totals = np.where(reachable, distances, 0.0).sum(axis=0)
    counts = reachable.sum(axis=0)
    closeness = np.divide(counts, totals, out=np.zeros(n), where=totals > 0)
    return betweenness, [float(c) for c in closeness], True


def _eigenvector(graph: ig.Graph, weights: list[float] | None) -> list[float]:
    if not weights:
        return [0.0] * graph.vcount()
    # On a subgraph of several components igraph warns that the values are meaningful within the
    # largest one only; that is what the measure is, and the other components' nodes score near 0.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Some eigenvector centralities are nearly zero")
        values: list[float] = graph.eigenvector_centrality(weights=weights, scale=True)
    return values


def _leiden(graph: ig.Graph, weights: list[float] | None) -> ig.VertexClustering:
    """Leiden communities maximising modularity, iterated until stable, the same on every run.

    igraph's own Leiden: ten times faster than leidenalg's on 10,000 nodes, for the same modularity.
    It draws from igraph's process-wide generator, so a seeded one is lent for the call (a
    concurrent call could draw from it too: that changes which tie wins, never the quality).
    """
    ig.set_random_number_generator(random.Random(LEIDEN_SEED))  # noqa: S311 - repeatable, not secret
    try:
        return graph.community_leiden(objective_function="modularity", weights=weights, n_iterations=-1)
    finally:
        ig.set_random_number_generator(random)


def analyse(
    graph: ig.Graph, *, key_player_count: int = 5, candidates: int = 10
) -> tuple[dict[str, list[float]], ig.VertexClustering, list[int], bool]:
    """Measures by name (one value per vertex), the Leiden partition, key players, and whether
    betweenness and closeness are estimates.

    Shortest paths count hops (as the published analyses of covert networks do); weights count
    in weighted degree, PageRank, eigenvector centrality and the communities.
    """
    n = graph.vcount()
    weights = graph.es["weight"] if graph.ecount() else None
    betweenness, closeness, estimated = _path_measures(graph)
    measures: dict[str, list[float]] = {
        "degree": [float(d) for d in graph.degree()],
        "weighted_degree": graph.strength(weights=weights) if weights else [0.0] * n,
        "betweenness": betweenness,
        "closeness": closeness,
        "pagerank": graph.pagerank(weights=weights) if n else [],
        "eigenvector": _eigenvector(graph, weights),
        "coreness": [float(c) for c in graph.coreness()],
    }
    partition = _leiden(graph, weights)
    ranked = sorted(range(n), key=lambda v: -betweenness[v])[:candidates]
    return measures, partition, key_players(graph, key_player_count, ranked), estimated


def network(
    driver: Driver,
    database: str,
    principal: Principal,
    request: SubgraphRequest,
    *,
    key_player_count: int = 5,
) -> NetworkAnalysis:
    """Read the subgraph of ``request`` and measure it (see the module docstring)."""
    started = time.perf_counter()
    sub = read_subgraph(driver, database, principal, request)
    names = describe(driver, database, principal, sub.hop)
    read = time.perf_counter() - started
    graph = to_igraph(sub)
    measures, partition, players, estimated = analyse(graph, key_player_count=key_player_count)
    membership = partition.membership
    nodes = [
        NodeMeasures(
            node=names.get(uid, NodeSummary(uid, "", uid)), hop=sub.hop[uid],
            degree=int(measures["degree"][v]), weighted_degree=measures["weighted_degree"][v],
            betweenness=measures["betweenness"][v], closeness=measures["closeness"][v],
            pagerank=measures["pagerank"][v], eigenvector=measures["eigenvector"][v],
            coreness=int(measures["coreness"][v]), community=membership[v],
        )
        for v, uid in enumerate(graph.vs["name"])
    ]  # fmt: skip
    for rank, v in enumerate(players, start=1):
        nodes[v].key_player_rank = rank
    strength = dict(zip(graph.vs["name"], measures["weighted_degree"], strict=True))
    communities = [
        Community(
            id=c,
            members=sorted((graph.vs[v]["name"] for v in members), key=lambda u: (-strength[u], u)),
            internal_weight=float(sum(graph.subgraph(members).es["weight"])) if len(members) > 1 else 0.0,
        )
        for c, members in enumerate(partition)
    ]
    nodes.sort(key=lambda m: (-m.degree, -m.betweenness, m.node.uid))
    return NetworkAnalysis(
        nodes=nodes,
        communities=communities,
        key_players=[graph.vs[v]["name"] for v in players],
        modularity=graph.modularity(partition.membership, weights=graph.es["weight"])
        if graph.ecount()
        else 0.0,
        estimated=estimated,
        edges=graph.ecount(),
        read_seconds=read,
        compute_seconds=time.perf_counter() - started - read,
        edge_list=[(a, b, float(w)) for (a, b), w in sub.weights.items()],
    )

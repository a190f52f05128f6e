"""The analysis fields: ``communications``, ``coLocation``, ``network`` and ``groups``.

Each resolver checks its arguments before anything runs (IDs, relationship types against the
ontology, hops, a window whose bounds carry a zone, sizes), then calls the analysis of
``polegraph.analytics`` under the request's principal in a thread. The analyses name nodes by a
short summary; every node a result shows is read again through the request's node loader, so it
reaches the client as the same ``Node`` any other field gives, and its ID goes to the audit record.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import strawberry

from polegraph.analytics import colocation, comms
from polegraph.analytics import network as measures
from polegraph.api.context import RequestContext
from polegraph.api.data.connections import check_first
from polegraph.api.data.loaders import load_nodes
from polegraph.api.data.network import node_key
from polegraph.api.data.nodes import Node, as_node, described
from polegraph.api.ids import to_global_id
from polegraph.graph.describe import NodeSummary, describe
from polegraph.graph.read import NodeKey, ReadError, traversable_types
from polegraph.graph.subgraph import SubgraphRequest
from polegraph.graph.window import TimeWindow

Info = strawberry.Info[RequestContext, None]
MAX_SUBJECTS = 10
MAX_HOPS = 3
MAX_TYPES = 30
# The subgraph an API request may measure: a few seconds of work at most (see bench/analytics.py).
MAX_NODES = 5_000
MAX_EDGES = 25_000
MAX_MINUTES = 24 * 60
MAX_SIGHTINGS = 100
MAX_MEMBERS = 100
KEY_PLAYERS = 5  # of the whole subgraph (Borgatti's greedy search: each costs a pass per candidate)
GROUP_KEY_PLAYERS = 3


def _window(since: dt.datetime | None, until: dt.datetime | None) -> TimeWindow:
    """The window; a bound without a zone is refused (it would mean another instant on each server)."""
    return TimeWindow(since, until)


def _keys(ids: Sequence[strawberry.ID], what: str, least: int = 1) -> list[NodeKey]:
    if not least <= len(ids) <= MAX_SUBJECTS:
        raise ReadError(f"{what} are {least} to {MAX_SUBJECTS} node IDs, not {len(ids)}")
    return list(dict.fromkeys(node_key(i) for i in ids))


def _types(relationship_types: list[str] | None) -> tuple[str, ...] | None:
    if relationship_types is None:
        return None
    if len(relationship_types) > MAX_TYPES:
        raise ReadError(f"at most {MAX_TYPES} relationship types")
    return tuple(traversable_types(relationship_types))


def _positive(name: str, value: int, most: int) -> int:
    if not 1 <= value <= most:
        raise ReadError(f"{name} is 1 to {most}, not {value}")
    return value


async def _shown(ctx: RequestContext, summaries: Iterable[NodeSummary]) -> dict[str, Node]:
    """The nodes of analytical results, read under the principal; a node it may not read is left out."""
    keys = list(dict.fromkeys(NodeKey(s.label, s.uid) for s in summaries))
    found = await load_nodes(ctx, keys)
    return {key.uid: as_node(ctx, node) for key, node in zip(keys, found, strict=True) if node is not None}


# --- communications -------------------------------------------------------------------------


@strawberry.type(description="One counterpart of the subjects: how often, how long, when, which way.")
class Contact:
    node: Node
    events: int
    calls: int
    messages: int
    duration_seconds: int
    outgoing: int = strawberry.field(description="Calls and messages the subjects made or sent.")
    incoming: int
    first: dt.datetime | None
    last: dt.datetime | None


@strawberry.type(description="The calls and messages of one local day.")
class DailyCount:
    date: dt.date
    events: int


@strawberry.type(description="The communications of the subjects over the window.")
class Communications:
    subjects: list[Node]
    endpoints: list[Node] = strawberry.field(
        description="The phones, accounts and addresses the subjects stand for."
    )
    zone: str = strawberry.field(description="The time zone the matrix and the days are read in.")
    events: int
    calls: int
    messages: int
    contacts: list[Contact] = strawberry.field(description="Ranked by events, then duration (at most first).")
    new_contacts: list[Contact] = strawberry.field(description="First in touch on or after newSince.")
    weekday_hour: list[list[int]] = strawberry.field(
        description="Events by weekday (Monday first) and local hour: 7 rows of 24."
    )
    daily: list[DailyCount]


def _contacts(found: Sequence[comms.Contact], nodes: dict[str, Node]) -> list[Contact]:
    return [
        Contact(
            node=nodes[c.node.uid], events=c.events, calls=c.calls, messages=c.messages,
            duration_seconds=c.duration_seconds, outgoing=c.outgoing, incoming=c.incoming,
            first=c.first, last=c.last,
        )
        for c in found
        if c.node.uid in nodes
    ]  # fmt: skip


async def communications(
    info: Info,
    ids: list[strawberry.ID],
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    new_since: dt.datetime | None = None,
    zone: str = comms.UK,
    first: int = 50,
) -> Communications:
    """Who phones, persons or accounts (1-10) were in touch with, ranked, and when: a weekday-by-hour
    matrix, a daily series and the contacts new since a date."""
    ctx = info.context
    subjects, top, window = _keys(ids, "subjects"), check_first(first), _window(since, until)
    if new_since is not None and new_since.utcoffset() is None:
        raise ReadError("newSince has no time zone", hint="write it with one, e.g. 2024-05-01T00:00:00Z")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ReadError(f"unknown time zone {zone[:60]!r}", hint="an IANA name, e.g. Europe/London") from None
    found = await asyncio.to_thread(
        comms.communications, ctx.driver, ctx.settings.neo4j_database, ctx.principal,
        [k.uid for k in subjects], window=window, new_since=new_since, zone=zone, top=top,
    )  # fmt: skip
    shown = [*found.subjects, *found.endpoints, *(c.node for c in [*found.contacts, *found.new_contacts])]
    nodes = await _shown(ctx, shown)
    return Communications(
        subjects=[nodes[s.uid] for s in found.subjects if s.uid in nodes],
        endpoints=[nodes[e.uid] for e in found.endpoints if e.uid in nodes],
        zone=found.zone,
        events=found.events,
        calls=found.calls,
        messages=found.messages,
        contacts=_contacts(found.contacts, nodes),
        new_contacts=_contacts(found.new_contacts[:top], nodes),
        weekday_hour=found.weekday_hour,
        daily=[DailyCount(date=day, events=n) for day, n in found.daily],
    )


# --- co-location ----------------------------------------------------------------------------


@strawberry.type(description="Two entities at one site (camera or cell), close in time.")
class CoSighting:
    site: Node | None = strawberry.field(description="The camera or cell site, when it may be read.")
    first_at: dt.datetime
    second_at: dt.datetime


@strawberry.type(description="A pair seen together: on how many separate occasions, at how many sites.")
class Together:
    a: Node
    b: Node
    occasions: int
    sites: int
    sightings: list[CoSighting] = strawberry.field(
        description=f"The first {MAX_SIGHTINGS} co-sightings in time order."
    )


@strawberry.enum(description="What two people share.")
class SharedKind(Enum):
    ADDRESS = "address"
    PHONE = "phone"
    VEHICLE = "vehicle"


@strawberry.type(description="The objects of one kind two people share.")
class SharedObjects:
    kind: SharedKind
    nodes: list[Node]


@strawberry.type(description="Two people and what they share.")
class Sharing:
    a: Node
    b: Node
    strength: int = strawberry.field(description="How many objects they share.")
    shared: list[SharedObjects]


async def _co_located(
    info: Info,
    analysis: Callable[..., list[colocation.Together]],
    subjects: dict[str, list[str] | None],
    window: TimeWindow,
    within_minutes: int,
    min_occasions: int,
    first: int,
) -> list[Together]:
    """One co-location analysis (convoys, cell co-presence) for the request: arguments checked, run
    off the event loop, its pairs shown as nodes the principal may read."""
    ctx, top = info.context, check_first(first)
    within = dt.timedelta(minutes=_positive("withinMinutes", within_minutes, MAX_MINUTES))
    found = await asyncio.to_thread(
        analysis, ctx.driver, ctx.settings.neo4j_database, ctx.principal, window=window, within=within,
        min_occasions=_positive("minOccasions", min_occasions, 1000), **subjects,
    )  # fmt: skip
    return await _together(ctx, found, top)


async def _together(ctx: RequestContext, found: list[colocation.Together], first: int) -> list[Together]:
    kept = found[:first]
    nodes = await _shown(ctx, [s for t in kept for s in (t.a, t.b)])
    # A site is named by uid only; its label comes from the node itself, read under the principal.
    site_uids = {s.site for t in kept for s in t.sightings[:MAX_SIGHTINGS]}
    named = await asyncio.to_thread(
        describe, ctx.driver, ctx.settings.neo4j_database, ctx.principal, site_uids
    )
    sites = await _shown(ctx, named.values())
    return [
        Together(
            a=nodes[t.a.uid], b=nodes[t.b.uid], occasions=t.occasions, sites=t.sites,
            sightings=[CoSighting(site=sites.get(s.site), first_at=s.first_at, second_at=s.second_at)
                       for s in t.sightings[:MAX_SIGHTINGS]],
        )
        for t in kept
        if t.a.uid in nodes and t.b.uid in nodes
    ]  # fmt: skip


@strawberry.type(description="Co-location around the subjects (or among everything readable without them).")
class CoLocation:
    ids: strawberry.Private[list[str] | None]
    window: strawberry.Private[TimeWindow]

    @described(
        "Vehicles read by the same ANPR cameras within withinMinutes of each other on at "
        "least minOccasions occasions; with subjects, pairs with one of them."
    )
    async def convoys(
        self, info: Info, within_minutes: int = 5, min_occasions: int = 3, first: int = 20
    ) -> list[Together]:
        return await _co_located(
            info, colocation.convoys, {"vehicles": self.ids}, self.window, within_minutes,
            min_occasions, first,
        )  # fmt: skip

    @described(
        "Phones that used the same cell sites within withinMinutes of each other on at "
        "least minOccasions occasions; with subjects, pairs with one of them."
    )
    async def cell_co_presence(
        self, info: Info, within_minutes: int = 15, min_occasions: int = 2, first: int = 20
    ) -> list[Together]:
        return await _co_located(
            info, colocation.cell_co_presence, {"phones": self.ids}, self.window, within_minutes,
            min_occasions, first,
        )  # fmt: skip

    @described("People who share addresses, phones or vehicles, most shared first.")
    async def sharing(
        self, info: Info, kinds: list[SharedKind] | None = None, first: int = 20
    ) -> list[Sharing]:
        ctx, top = info.context, check_first(first)
        wanted = [k.value for k in (kinds or list(SharedKind))]
        found = await asyncio.to_thread(
            colocation.people_sharing, ctx.driver, ctx.settings.neo4j_database, ctx.principal,
            people=self.ids, kinds=wanted,
        )  # fmt: skip
        kept = found[:top]
        nodes = await _shown(
            ctx, [n for s in kept for n in (s.a, s.b, *(o for v in s.shared.values() for o in v))]
        )
        return [
            Sharing(
                a=nodes[s.a.uid], b=nodes[s.b.uid], strength=s.strength,
                shared=[SharedObjects(kind=SharedKind(k), nodes=[nodes[o.uid] for o in v if o.uid in nodes])
                        for k, v in sorted(s.shared.items())],
            )
            for s in kept
            if s.a.uid in nodes and s.b.uid in nodes
        ]  # fmt: skip


def co_location(
    info: Info,
    ids: list[strawberry.ID] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> CoLocation:
    """Convoys, cell-site co-presence and shared objects, around 1-10 subjects when given."""
    keys = None if ids is None else [k.uid for k in _keys(ids, "subjects")]
    return CoLocation(ids=keys, window=_window(since, until))


# --- network and groups ---------------------------------------------------------------------


@strawberry.type(description="A node of the analysed subgraph, its measures and its community.")
class NetworkNode:
    node: Node
    hop: int = strawberry.field(description="Hops from the nearest seed.")
    degree: int
    weighted_degree: float
    betweenness: float = strawberry.field(description="Normalised to 0-1 (counts hops).")
    closeness: float
    pagerank: float
    eigenvector: float
    coreness: int = strawberry.field(description="The k of the innermost k-core holding the node.")
    community: int
    key_player_rank: int | None = strawberry.field(
        description="1 = removing this node fragments the network most; null when not a key player."
    )


@strawberry.type(description="A weighted tie between two returned nodes: relationships and shared events.")
class NetworkEdge:
    source_id: strawberry.ID
    target_id: strawberry.ID
    weight: float


@strawberry.type(description="Measures of the subgraph around the seeds.")
class Network:
    nodes: list[NetworkNode] = strawberry.field(description="By degree, then betweenness (at most first).")
    edges: list[NetworkEdge] = strawberry.field(description="The ties among the nodes returned.")
    node_count: int = strawberry.field(description="Nodes in the subgraph (readable ones only).")
    edge_count: int
    community_count: int
    modularity: float
    estimated: bool = strawberry.field(description="Betweenness and closeness estimated (a large subgraph).")


@strawberry.type(description="A community of the subgraph: a candidate group.")
class Group:
    community: int
    size: int
    internal_weight: float = strawberry.field(description="The weight of the ties inside the group.")
    members: list[Node] = strawberry.field(description=f"By weighted degree (at most {MAX_MEMBERS}).")
    key_players: list[Node] = strawberry.field(
        description=f"The {GROUP_KEY_PLAYERS} members whose removal fragments the network most, "
        "then by betweenness."
    )


def _request(
    ids: list[strawberry.ID],
    hops: int,
    relationship_types: list[str] | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> SubgraphRequest:
    if not 1 <= hops <= MAX_HOPS:
        raise ReadError(f"hops is 1 to {MAX_HOPS}, not {hops}", hint="measure a smaller subgraph")
    return SubgraphRequest(
        seeds=tuple(k.uid for k in _keys(ids, "seeds")), hops=hops,
        relationship_types=_types(relationship_types), window=_window(since, until),
        max_nodes=MAX_NODES, max_edges=MAX_EDGES,
    )  # fmt: skip


async def _analyse(
    ctx: RequestContext, request: SubgraphRequest, key_players: int
) -> measures.NetworkAnalysis:
    return await asyncio.to_thread(
        measures.network, ctx.driver, ctx.settings.neo4j_database, ctx.principal, request,
        key_player_count=key_players,
    )  # fmt: skip


async def network(
    info: Info,
    ids: list[strawberry.ID],
    hops: int = 2,
    relationship_types: list[str] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    first: int = 100,
) -> Network:
    """Degree, weighted degree, betweenness, closeness, PageRank, eigenvector, k-core, community and
    key-player rank of each node within 1-3 hops of 1-10 seeds (events collapsed into weighted ties)."""
    ctx = info.context
    request, top = _request(ids, hops, relationship_types, since, until), check_first(first)
    result = await _analyse(ctx, request, key_players=KEY_PLAYERS)
    kept = result.nodes[:top]
    nodes = await _shown(ctx, [m.node for m in kept])
    shown = [m for m in kept if m.node.uid in nodes]
    gids = {m.node.uid: to_global_id(m.node.label, m.node.uid) for m in shown}
    return Network(
        nodes=[
            NetworkNode(
                node=nodes[m.node.uid],
                hop=m.hop,
                degree=m.degree,
                weighted_degree=m.weighted_degree,
                betweenness=m.betweenness,
                closeness=m.closeness,
                pagerank=m.pagerank,
                eigenvector=m.eigenvector,
                coreness=m.coreness,
                community=m.community,
                key_player_rank=m.key_player_rank,
            )
            for m in shown
        ],
        edges=[
            NetworkEdge(source_id=strawberry.ID(gids[a]), target_id=strawberry.ID(gids[b]), weight=w)
            for a, b, w in result.edge_list
            if a in gids and b in gids
        ],
        node_count=len(result.nodes),
        edge_count=result.edges,
        community_count=len(result.communities),
        modularity=result.modularity,
        estimated=result.estimated,
    )


async def groups(
    info: Info,
    ids: list[strawberry.ID],
    hops: int = 2,
    relationship_types: list[str] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    min_size: int = 3,
    first: int = 20,
) -> list[Group]:
    """The communities (Leiden) of the subgraph around 1-10 seeds as candidate groups, largest first."""
    ctx = info.context
    request, top = _request(ids, hops, relationship_types, since, until), check_first(first)
    size = _positive("minSize", min_size, MAX_NODES)
    result = await _analyse(ctx, request, key_players=KEY_PLAYERS)
    by_uid = result.by_uid()
    found = sorted(
        (c for c in result.communities if len(c.members) >= size),
        key=lambda c: (-len(c.members), -c.internal_weight, c.id),
    )[:top]

    def players(members: list[str]) -> list[str]:
        ranked = sorted(
            members,
            key=lambda u: (by_uid[u].key_player_rank or len(by_uid) + 1, -by_uid[u].betweenness, u),
        )
        return ranked[:GROUP_KEY_PLAYERS]

    chosen = {c.id: (c.members[:MAX_MEMBERS], players(c.members)) for c in found}
    nodes = await _shown(
        ctx, [by_uid[u].node for members, keys in chosen.values() for u in (*members, *keys)]
    )
    return [
        Group(
            community=c.id, size=len(c.members), internal_weight=c.internal_weight,
            members=[nodes[u] for u in chosen[c.id][0] if u in nodes],
            key_players=[nodes[u] for u in chosen[c.id][1] if u in nodes],
        )
        for c in found
    ]  # fmt: skip


@strawberry.type
class AnalyticsQuery:
    """The analysis fields (one of the schema's query types, ``polegraph.api.data.QUERIES``)."""

    communications = strawberry.field(resolver=communications)
    co_location = strawberry.field(resolver=co_location)
    network = strawberry.field(resolver=network)
    groups = strawberry.field(resolver=groups)

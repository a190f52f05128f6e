"""Communication events read from Neo4j under a principal: who called or messaged whom, and when.

Calls and messages meet their parties the way the loaders write them (``cdr``, ``ufdr``, ``xry``):
``(Phone|Account)-[:CALLED {role: CALLER|CALLEE|DIVERTED_TO}]->(Call)`` and
``(Phone|Account|Email)-[:SENT|RECEIVED]->(Message)``. A subject is a communication endpoint (a
phone, account or e-mail) or a person, who reaches their endpoints through ``HAS_PHONE``,
``HAS_ACCOUNT`` and ``HAS_EMAIL`` of every nominal confirmed to be the same human (``SAME_AS``).
Every node and relationship on the way must be readable by the principal: what it may not read
takes no part in any result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from neo4j import Driver

from polegraph.errors import PolegraphError
from polegraph.graph.readable import readable
from polegraph.graph.window import TimeWindow
from polegraph.security.policy import Principal

# How far a resolved person reaches through confirmed links; a longer chain is a data problem.
MAX_SAME_AS_HOPS = 10
# A summary over more events than this is refused: narrow the window or the subjects.
MAX_EVENTS = 1_000_000
# Sightings (located calls, ANPR reads) one co-location analysis may read.
MAX_SIGHTINGS = 500_000


class TooManyEvents(PolegraphError):
    """More communication events than an analysis may read at once."""


def refuse_partial(found: int, limit: int, what: str) -> None:
    """Refuse an analysis whose read went past its limit: its answer would be silently partial."""
    if found > limit:
        raise TooManyEvents(
            f"more than {limit:,} {what} match", hint="narrow the time window, or name the subjects"
        )


@dataclass(frozen=True, slots=True)
class CommEvent:
    """One call or message: who sent or placed it, who received it, when and for how long."""

    uid: str
    kind: str  # "Call" or "Message"
    at: dt.datetime  # UTC
    duration_seconds: int
    senders: tuple[str, ...]  # CALLER, or SENT
    recipients: tuple[str, ...]  # CALLEE and DIVERTED_TO, or RECEIVED


def subject_endpoints(
    driver: Driver, database: str, principal: Principal, subjects: Iterable[str]
) -> dict[str, set[str]]:
    """Each readable subject (by uid) and the communication endpoints it stands for."""
    allowed_s, params = readable(principal, "s")
    allowed_h, _ = readable(principal, "h", "ep")
    link, _ = readable(principal, "x", "y")
    # One shortest path to each confirmed nominal: a breadth-first search, however dense the cluster.
    records, _, _ = driver.execute_query(
        "UNWIND $uids AS uid MATCH (s:Entity {uid: uid}) "
        f"WHERE {allowed_s} "
        "OPTIONAL MATCH ANY SHORTEST (s:Person)(()-[x:SAME_AS]-(y:Person) "
        f"WHERE {link}){{0,{MAX_SAME_AS_HOPS}}}(p:Person) "
        "OPTIONAL MATCH (p)-[h:HAS_PHONE|HAS_ACCOUNT|HAS_EMAIL]->(ep) "
        f"WHERE {allowed_h} "
        "WITH s, collect(DISTINCT ep.uid) AS endpoints "
        "RETURN s.uid AS subject, "
        "CASE WHEN s:Phone OR s:Account OR s:Email THEN [s.uid] ELSE endpoints END AS endpoints",
        {**params, "uids": sorted(set(subjects))},
        database_=database,
        routing_="r",
    )
    return {r["subject"]: set(r["endpoints"]) for r in records}


def communication_events(
    driver: Driver,
    database: str,
    principal: Principal,
    endpoints: Iterable[str],
    window: TimeWindow,
    *,
    max_events: int = MAX_EVENTS,
) -> list[CommEvent]:
    """Every readable call and message in ``window`` that one of ``endpoints`` took part in.

    Each event comes once, with all its readable parties (an unreadable party is left out, so an
    event can come back with one side only).
    """
    wanted = sorted(set(endpoints))
    if not wanted:
        return []
    first, params = readable(principal, "s", "r", "e")
    party, _ = readable(principal, "r2", "p")
    # Columns, not one record per event: a summary of 100k calls is then one round trip.
    records, _, _ = driver.execute_query(
        "UNWIND $uids AS uid MATCH (s:Entity {uid: uid})-[r:CALLED|SENT|RECEIVED]->(e:Event) "
        f"WHERE {first} AND {window.cypher('e')} "
        "WITH DISTINCT e LIMIT $cap "
        "MATCH (e)<-[r2:CALLED|SENT|RECEIVED]-(p) "
        f"WHERE {party} "
        "WITH e, collect(CASE WHEN type(r2) = 'SENT' OR r2.role = 'CALLER' THEN p.uid END) AS senders, "
        "collect(CASE WHEN type(r2) = 'RECEIVED' OR r2.role <> 'CALLER' THEN p.uid END) AS recipients "
        "RETURN collect(e.uid) AS uids, collect(e:Call) AS calls, "
        "collect(e.occurred_from.epochMillis) AS at, collect(coalesce(e.duration_seconds, 0)) AS secs, "
        "collect(senders) AS senders, collect(recipients) AS recipients",
        {**params, **window.params(), "uids": wanted, "cap": max_events + 1},
        database_=database,
        routing_="r",
    )
    cols = records[0]
    refuse_partial(len(cols["uids"]), max_events, "calls and messages")
    return [
        CommEvent(uid, "Call" if call else "Message", _utc(at), secs, tuple(s), tuple(r))
        for uid, call, at, secs, s, r in zip(
            cols["uids"], cols["calls"], cols["at"], cols["secs"], cols["senders"], cols["recipients"],
            strict=True,
        )
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class ContactTotal:
    """How much one counterpart was in touch with the subject's endpoints, aggregated in Neo4j."""

    uid: str
    events: int
    calls: int  # voice and video calls; the other events are texts and messages
    call_seconds: int
    outgoing: int  # initiated by the subject
    first: dt.datetime
    last: dt.datetime


# A call in the voice sense: operator data records texts as Call events too (call_type SMS or MMS).
_VOICE = "(e:Call AND NOT coalesce(e.call_type, '') IN ['SMS', 'MMS'])"
# The subject's side of each event: True where it sent or placed it. One row per event, however
# many of the subject's own endpoints took part in it.
_SUBJECT_SIDE = (
    "UNWIND $uids AS uid MATCH (s:Entity {{uid: uid}})-[r:CALLED|SENT|RECEIVED]->(e:Event) "
    "WHERE {first} AND {window} "
    "WITH e, collect(type(r) = 'SENT' OR r.role = 'CALLER') AS mine "
)


def contact_totals(
    driver: Driver, database: str, principal: Principal, endpoints: Iterable[str], window: TimeWindow
) -> list[ContactTotal]:
    """Every readable counterpart of ``endpoints`` in ``window``, with its totals.

    A counterpart is a party on the other side of a call or message from the subject: the callee
    or recipient of what the subject placed or sent, the caller or sender of what it received.
    The subject's own endpoints are never counterparts.
    """
    wanted = sorted(set(endpoints))
    if not wanted:
        return []
    first, params = readable(principal, "s", "r", "e")
    party, _ = readable(principal, "r2", "p")
    # Aggregated in the engine: a summary of 100k calls comes back as one row per counterpart.
    records, _, _ = driver.execute_query(
        _SUBJECT_SIDE.format(first=first, window=window.cypher("e"))
        + "MATCH (e)<-[r2:CALLED|SENT|RECEIVED]-(p) "
        f"WHERE NOT p.uid IN $uids AND {party} "
        "WITH e, mine, p, type(r2) = 'SENT' OR r2.role = 'CALLER' AS p_sends "
        "WHERE (p_sends AND false IN mine) OR (NOT p_sends AND true IN mine) "
        f"WITH p.uid AS contact, e, p_sends, {_VOICE} AS call "
        "RETURN contact, count(e) AS events, sum(CASE WHEN call THEN 1 ELSE 0 END) AS calls, "
        "sum(CASE WHEN call THEN coalesce(e.duration_seconds, 0) ELSE 0 END) AS secs, "
        "sum(CASE WHEN p_sends THEN 0 ELSE 1 END) AS outgoing, "
        "min(e.occurred_from.epochMillis) AS first, max(e.occurred_from.epochMillis) AS last",
        {**params, **window.params(), "uids": wanted},
        database_=database,
        routing_="r",
    )
    return [
        ContactTotal(
            r["contact"], r["events"], r["calls"], r["secs"], r["outgoing"], _utc(r["first"]), _utc(r["last"])
        )
        for r in records
    ]


def activity(
    driver: Driver,
    database: str,
    principal: Principal,
    endpoints: Iterable[str],
    window: TimeWindow,
    *,
    bucket_seconds: int = 900,
) -> list[tuple[dt.datetime, int, int]]:
    """(bucket start, events, calls) per ``bucket_seconds`` of the endpoints' calls and messages.

    Quarter hours by default: every time zone in use is offset from UTC by whole quarter hours, so
    the buckets can be read in any zone without splitting one.
    """
    wanted = sorted(set(endpoints))
    if not wanted:
        return []
    first, params = readable(principal, "s", "r", "e")
    records, _, _ = driver.execute_query(
        "UNWIND $uids AS uid MATCH (s:Entity {uid: uid})-[r:CALLED|SENT|RECEIVED]->(e:Event) "
        f"WHERE {first} AND {window.cypher('e')} "
        "WITH DISTINCT e "
        f"WITH e.occurred_from.epochSeconds / $bucket AS bucket, {_VOICE} AS call "
        "RETURN bucket, count(*) AS events, sum(CASE WHEN call THEN 1 ELSE 0 END) AS calls",
        {**params, **window.params(), "uids": wanted, "bucket": bucket_seconds},
        database_=database,
        routing_="r",
    )
    return [(_utc(r["bucket"] * bucket_seconds * 1000), r["events"], r["calls"]) for r in records]


def _utc(epoch_ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch_ms / 1000, dt.UTC)


def located_calls(
    driver: Driver,
    database: str,
    principal: Principal,
    window: TimeWindow,
    *,
    phones: Sequence[str] | None = None,
    sites: Sequence[str] | None = None,
    max_sightings: int = MAX_SIGHTINGS,
) -> list[tuple[str, str, dt.datetime]]:
    """(phone, cell site, time) for every readable call whose cell places one of its phones.

    Operator call data names the cells of the target's own line only, so a call places its CALLER
    when the target placed it (OUTGOING) and its CALLEE when the target received it (INCOMING).
    ``phones`` and ``sites`` restrict the result when given.
    """
    allowed, params = readable(principal, "c", "o", "site", "r", "ph")
    records, _, _ = driver.execute_query(
        "MATCH (c:Call)-[o:OCCURRED_AT]->(site:Place) "
        "WHERE c.direction IN ['OUTGOING', 'INCOMING'] AND o.role IN ['CELL_FIRST', 'CELL_LAST'] "
        f"AND {window.cypher('c')} AND ($sites IS NULL OR site.uid IN $sites) "
        "MATCH (ph:Phone)-[r:CALLED]->(c) "
        "WHERE r.role = CASE c.direction WHEN 'OUTGOING' THEN 'CALLER' ELSE 'CALLEE' END "
        f"AND ($phones IS NULL OR ph.uid IN $phones) AND {allowed} "
        "RETURN DISTINCT ph.uid AS phone, site.uid AS site, c.occurred_from.epochMillis AS at LIMIT $cap",
        {
            **params, **window.params(), "cap": max_sightings + 1,
            "phones": list(phones) if phones is not None else None,
            "sites": list(sites) if sites is not None else None,
        },
        database_=database,
        routing_="r",
    )  # fmt: skip
    if len(records) > max_sightings:
        raise TooManyEvents(
            f"more than {max_sightings:,} located calls match",
            hint="narrow the time window, or name the phones",
        )
    return [(r["phone"], r["site"], _utc(r["at"])) for r in records]

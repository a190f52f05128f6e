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


def _subject_side(first: str, window: TimeWindow, endpoints: int) -> str:
    """The subject's events with ``mine``: True where the subject sent or placed the event.

    One row per event: with several endpoints (a person's phones calling each other) the rows of
    one event are grouped, which costs a grouping per event, so a single endpoint skips it.
    """
    match = (
        "UNWIND $uids AS uid MATCH (s:Entity {uid: uid})-[r:CALLED|SENT|RECEIVED]->(e:Event) "
        f"WHERE {first} AND {window.cypher('e')} "
    )
    side = "type(r) = 'SENT' OR r.role = 'CALLER'"
    return match + (f"WITH e, [{side}] AS mine " if endpoints == 1 else f"WITH e, collect({side}) AS mine ")


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
        _subject_side(first, window, len(wanted)) + "MATCH (e)<-[r2:CALLED|SENT|RECEIVED]-(p) "
        f"WHERE NOT p.uid IN $uids AND {party} "
        "WITH e, mine, p, type(r2) = 'SENT' OR r2.role = 'CALLER' AS p_sends "
        "WHERE (p_sends AND false IN mine) OR (NOT p_sends AND true IN mine) "
        # Columns, totalled here: grouping in the engine costs more than sending the values.
        f"RETURN collect(p.uid) AS contact, collect({_VOICE}) AS voice, "
        "collect(coalesce(e.duration_seconds, 0)) AS secs, collect(p_sends) AS incoming, "
        "collect(e.occurred_from.epochSeconds) AS at",
        {**params, **window.params(), "uids": wanted},
        database_=database,
        routing_="r",
    )
    cols = records[0]
    totals: dict[str, list[int]] = {}
    for contact, voice, secs, incoming, at in zip(
        cols["contact"], cols["voice"], cols["secs"], cols["incoming"], cols["at"], strict=True
    ):
        t = totals.get(contact)
        if t is None:
            t = totals[contact] = [0, 0, 0, 0, at, at]
        t[0] += 1
        if voice:
            t[1] += 1
            t[2] += secs
        t[3] += not incoming
        t[4] = min(t[4], at)
        t[5] = max(t[5], at)
    return [
        ContactTotal(uid, t[0], t[1], t[2], t[3], _utc(t[4] * 1000), _utc(t[5] * 1000))
        for uid, t in totals.items()
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
    # Times come back as one column and are bucketed here: grouping 100k events into tens of
    # thousands of buckets costs the engine several times what sending the integers does.
    records, _, _ = driver.execute_query(
        _subject_side(first, window, len(wanted))
        + f"RETURN collect(e.occurred_from.epochSeconds) AS at, collect({_VOICE}) AS voice",
        {**params, **window.params(), "uids": wanted},
        database_=database,
        routing_="r",
    )
    buckets: dict[int, list[int]] = {}
    for at, voice in zip(records[0]["at"], records[0]["voice"], strict=True):
        counts = buckets.setdefault(at // bucket_seconds, [0, 0])
        counts[0] += 1
        counts[1] += voice
    return [(_utc(b * bucket_seconds * 1000), n, calls) for b, (n, calls) in sorted(buckets.items())]


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

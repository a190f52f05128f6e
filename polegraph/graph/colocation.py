"""Reads for co-location under a principal: ANPR sightings, and objects people share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from neo4j import Driver

from polegraph.graph.comms import MAX_SIGHTINGS, refuse_partial
from polegraph.graph.readable import readable
from polegraph.graph.window import TimeWindow
from polegraph.security.policy import Principal

# What "sharing" means per kind of object: the relationships from a person to it.
SHARED_VIA: dict[str, tuple[str, tuple[str, ...]]] = {
    "address": ("Address", ("LIVES_AT", "ASSOCIATED_WITH")),
    "phone": ("Phone", ("HAS_PHONE",)),
    "vehicle": ("Vehicle", ("OWNS", "DRIVES")),
}


def anpr_sightings(
    driver: Driver,
    database: str,
    principal: Principal,
    window: TimeWindow,
    *,
    vehicles: Sequence[str] | None = None,
    sites: Sequence[str] | None = None,
    max_sightings: int = MAX_SIGHTINGS,
) -> list[tuple[str, str, dt.datetime]]:
    """(vehicle, camera site, time) of every readable ANPR read in ``window``."""
    allowed, params = readable(principal, "v", "i", "a", "ra", "site")
    records, _, _ = driver.execute_query(
        "MATCH (v:Vehicle)-[i:INVOLVED_IN {role: 'READ'}]->(a:AnprRead)-[ra:READ_AT]->(site:Place) "
        f"WHERE {window.cypher('a')} AND ($vehicles IS NULL OR v.uid IN $vehicles) "
        f"AND ($sites IS NULL OR site.uid IN $sites) AND {allowed} "
        "RETURN v.uid AS vehicle, site.uid AS site, a.occurred_from.epochMillis AS at LIMIT $cap",
        {
            **params, **window.params(), "cap": max_sightings + 1,
            "vehicles": list(vehicles) if vehicles is not None else None,
            "sites": list(sites) if sites is not None else None,
        },
        database_=database,
        routing_="r",
    )  # fmt: skip
    refuse_partial(len(records), max_sightings, "ANPR reads")
    return [(r["vehicle"], r["site"], dt.datetime.fromtimestamp(r["at"] / 1000, dt.UTC)) for r in records]


@dataclass(frozen=True, slots=True)
class SharedObject:
    """Two people linked to the same object (uids), and how each is linked."""

    person_a: str
    person_b: str
    kind: str  # a key of SHARED_VIA
    object_uid: str
    via_a: str
    via_b: str


def shared_objects(
    driver: Driver,
    database: str,
    principal: Principal,
    kind: str,
    *,
    people: Sequence[str] | None,
    limit: int,
) -> list[SharedObject]:
    """Pairs of readable people linked to the same object of ``kind``, at most ``limit`` + 1 rows.

    With ``people`` given, every pair has one of them as ``person_a``; otherwise every pair in the
    graph comes once (``person_a`` < ``person_b``).
    """
    label, types = SHARED_VIA[kind]  # a KeyError here is a caller's bug: kinds are checked above
    allowed, params = readable(principal, "a", "r1", "x", "r2", "b")
    rels = "|".join(types)  # from SHARED_VIA, never from a request
    start = (
        "UNWIND $people AS uid MATCH (a:Person {uid: uid}) " if people is not None else "MATCH (a:Person) "
    )
    records, _, _ = driver.execute_query(
        f"{start}MATCH (a)-[r1:{rels}]->(x:{label})<-[r2:{rels}]-(b:Person) "
        "WHERE a <> b AND ($people IS NOT NULL OR a.uid < b.uid) "
        f"AND {allowed} "
        "RETURN DISTINCT a.uid AS a, b.uid AS b, x.uid AS x, type(r1) AS via_a, type(r2) AS via_b "
        "LIMIT $limit",
        {**params, "people": list(people) if people is not None else None, "limit": limit + 1},
        database_=database,
        routing_="r",
    )
    return [SharedObject(r["a"], r["b"], kind, r["x"], r["via_a"], r["via_b"]) for r in records]

"""Co-location: vehicles in convoy on ANPR, phones at the same cell sites, people sharing things.

Convoys and cell co-presence are one computation over sightings (entity, site, time): two
entities seen at the same site within ``within`` of each other make a co-sighting; co-sightings
of one pair closer in time than ``occasion_gap`` belong to one occasion (one journey passes
several cameras), and a pair seen together on at least ``min_occasions`` occasions is reported.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from neo4j import Driver

from polegraph.errors import PolegraphError
from polegraph.graph.colocation import SHARED_VIA, anpr_sightings, shared_objects
from polegraph.graph.comms import located_calls
from polegraph.graph.describe import NodeSummary, describe
from polegraph.graph.window import EVERYTHING, TimeWindow
from polegraph.security.policy import Principal

Sighting = tuple[str, str, dt.datetime]  # (entity uid, site uid, time)


@dataclass(frozen=True)
class CoSighting:
    """Two entities at one site, ``gap`` apart."""

    site: str
    first_at: dt.datetime
    second_at: dt.datetime


@dataclass
class Together:
    """A pair seen together: on how many occasions, at how many sites, and every co-sighting."""

    a: NodeSummary
    b: NodeSummary
    occasions: int
    sites: int
    sightings: list[CoSighting]


def co_sightings(
    sightings: Iterable[Sighting], within: dt.timedelta
) -> dict[tuple[str, str], list[CoSighting]]:
    """Every pair of distinct entities seen at one site within ``within`` of each other."""
    by_site: dict[str, list[tuple[dt.datetime, str]]] = defaultdict(list)
    for entity, site, at in sightings:
        by_site[site].append((at, entity))
    pairs: dict[tuple[str, str], list[CoSighting]] = defaultdict(list)
    for site, seen in by_site.items():
        seen.sort()
        for i, (at, entity) in enumerate(seen):
            for later, other in seen[i + 1 :]:
                if later - at > within:
                    break
                if other != entity:
                    key = (entity, other) if entity < other else (other, entity)
                    pairs[key].append(CoSighting(site, at, later))
    return pairs


def occasions(sightings: Sequence[CoSighting], gap: dt.timedelta) -> int:
    """How many separate occasions: co-sightings closer than ``gap`` are one journey."""
    count, last = 0, None
    for s in sorted(sightings, key=lambda s: s.first_at):
        if last is None or s.first_at - last > gap:
            count += 1
        last = s.first_at
    return count


def _together(
    driver: Driver,
    database: str,
    principal: Principal,
    sightings: list[Sighting],
    *,
    within: dt.timedelta,
    min_occasions: int,
    occasion_gap: dt.timedelta,
    subjects: Sequence[str] | None,
) -> list[Together]:
    if within <= dt.timedelta(0) or min_occasions < 1:
        raise PolegraphError("within must be positive and min_occasions at least 1")
    found = []
    for (a, b), seen in co_sightings(sightings, within).items():
        if subjects is not None and a not in subjects and b not in subjects:
            continue
        n = occasions(seen, occasion_gap)
        if n >= min_occasions:
            found.append((a, b, n, seen))
    names = describe(driver, database, principal, {uid for a, b, _, _ in found for uid in (a, b)})
    result = [
        Together(names[a], names[b], n, len({s.site for s in seen}), sorted(seen, key=lambda s: s.first_at))
        for a, b, n, seen in found
        if a in names and b in names
    ]
    return sorted(result, key=lambda t: (-t.occasions, -len(t.sightings), t.a.uid, t.b.uid))


def convoys(
    driver: Driver,
    database: str,
    principal: Principal,
    *,
    window: TimeWindow = EVERYTHING,
    within: dt.timedelta = dt.timedelta(minutes=5),
    min_occasions: int = 3,
    occasion_gap: dt.timedelta = dt.timedelta(hours=2),
    vehicles: Sequence[str] | None = None,
) -> list[Together]:
    """Vehicles read by the same cameras within ``within`` of each other on ``min_occasions`` occasions.

    With ``vehicles`` given, only pairs with one of them are reported (their partners are found
    among every vehicle read at the same cameras).
    """
    sites = None
    if vehicles is not None:
        own = anpr_sightings(driver, database, principal, window, vehicles=vehicles)
        sites = sorted({site for _, site, _ in own})
    reads = anpr_sightings(driver, database, principal, window, sites=sites)
    return _together(
        driver, database, principal, reads, within=within, min_occasions=min_occasions,
        occasion_gap=occasion_gap, subjects=vehicles,
    )  # fmt: skip


def cell_co_presence(
    driver: Driver,
    database: str,
    principal: Principal,
    *,
    window: TimeWindow = EVERYTHING,
    within: dt.timedelta = dt.timedelta(minutes=15),
    min_occasions: int = 2,
    occasion_gap: dt.timedelta = dt.timedelta(hours=2),
    phones: Sequence[str] | None = None,
) -> list[Together]:
    """Phones that used the same cell sites within ``within`` of each other on several occasions.

    Only calls whose cells place a phone count (the target's side of operator call data).
    """
    sites = None
    if phones is not None:
        own = located_calls(driver, database, principal, window, phones=phones)
        sites = sorted({site for _, site, _ in own})
    seen = located_calls(driver, database, principal, window, sites=sites)
    return _together(
        driver, database, principal, seen, within=within, min_occasions=min_occasions,
        occasion_gap=occasion_gap, subjects=phones,
    )  # fmt: skip


@dataclass
class SharedLinks:
    """Two people and what they share: addresses, phones, vehicles."""

    a: NodeSummary
    b: NodeSummary
    shared: dict[str, list[NodeSummary]]  # kind -> the objects

    @property
    def strength(self) -> int:
        return sum(len(v) for v in self.shared.values())


def people_sharing(
    driver: Driver,
    database: str,
    principal: Principal,
    *,
    people: Sequence[str] | None = None,
    kinds: Sequence[str] = ("address", "phone", "vehicle"),
    limit: int = 10_000,
) -> list[SharedLinks]:
    """People who share addresses, phones or vehicles; with ``people``, only pairs with one of them."""
    unknown = set(kinds) - SHARED_VIA.keys()
    if unknown:
        raise PolegraphError(f"unknown kind(s) {', '.join(sorted(unknown))}; one of {', '.join(SHARED_VIA)}")
    pairs: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for kind in kinds:
        rows = shared_objects(driver, database, principal, kind, people=people, limit=limit)
        if len(rows) > limit:
            raise PolegraphError(
                f"more than {limit:,} pairs of people share a {kind}",
                hint="name the people to start from, or raise the limit",
            )
        for row in rows:
            key = (
                (row.person_a, row.person_b)
                if people is not None
                else tuple(sorted((row.person_a, row.person_b)))
            )
            pairs[(key[0], key[1])][kind].add(row.object_uid)
    uids = {u for (a, b), shared in pairs.items() for u in (a, b, *set().union(*shared.values()))}
    names = describe(driver, database, principal, uids)
    links = [
        SharedLinks(names[a], names[b], {k: [names[u] for u in sorted(v)] for k, v in shared.items()})
        for (a, b), shared in pairs.items()
    ]
    return sorted(links, key=lambda s: (-s.strength, s.a.uid, s.b.uid))

"""The planted network's records: missing episodes, crimes, arrests and ANPR convoys.

Every record is filed by the force whose area it happened in, so the story is split across
forces and systems the way real ones are: a child reported missing in Rochdale is found at a hotel
in Bradford; the car she was seen getting into is read by cameras of two forces within minutes of
another network car, on several nights.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from polegraph.scenario.addresses import Address, public_place
from polegraph.scenario.forces import Site, camera_sites
from polegraph.scenario.identifiers import misread
from polegraph.scenario.network import Network
from polegraph.scenario.nominal import Named
from polegraph.scenario.population import PERIOD_DAYS, PERIOD_START, Human
from polegraph.scenario.rand import chance, stream, weighted
from polegraph.scenario.records import AnprRead, Detention, Episode, IntelReport, Occurrence, Planted

NETWORK = Planted()
RISK = ("CSE", "Older males", "Unexplained gifts", "New phone", "Alcohol", "Going missing from care")


@dataclass
class NetworkRecords:
    """The network's records by system and force code, and the convoys' truth."""

    crime: dict[str, list[Occurrence]] = field(default_factory=lambda: defaultdict(list))
    intel: dict[str, list[IntelReport]] = field(default_factory=lambda: defaultdict(list))
    custody: dict[str, list[Detention]] = field(default_factory=lambda: defaultdict(list))
    missing: dict[str, list[Episode]] = field(default_factory=lambda: defaultdict(list))
    anpr: dict[str, list[AnprRead]] = field(default_factory=lambda: defaultdict(list))
    convoys: list[dict[str, Any]] = field(default_factory=list)
    found_at: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # victim -> places
    # victim -> the offender each episode found them with (None: no one), in episode order
    found_with: dict[str, list[str | None]] = field(default_factory=lambda: defaultdict(list))


def night(rng: random.Random, day: int | None = None) -> dt.datetime:
    """A late evening in the scenario's year."""
    base = PERIOD_START + dt.timedelta(days=rng.randrange(PERIOD_DAYS - 3) if day is None else day)
    return base.replace(hour=rng.choice((20, 21, 22, 23)), minute=rng.randrange(60))


def _found_place(net: Network, rng: random.Random, victim: Human) -> tuple[str, Address | str]:
    kind = rng.choices(("flat", "hotel", "house", "car", "public"), (4, 3, 2, 1, 2))[0]
    if kind == "flat":
        return kind, net.flat
    if kind == "hotel":
        return kind, net.hotel
    if kind == "house":
        return kind, net.house
    if kind == "car":
        focus = net.vehicles[0].vehicle
        car = f"{focus.colour.lower()} {focus.make} {focus.model}"
        return kind, f"In a {car} stopped on {net.flat.street}, {net.flat.town}"
    return kind, public_place(net.towns[0], victim.home.street, rng.randrange(8))


def _company(net: Network, rng: random.Random, kind: str) -> Human | None:
    """The offender a child is found with: at the network's places nearly always, in town less often.

    The leader and his two lieutenants (the first three offenders) are the men the children are
    found with, the leader most often: a few adults, child after child, episode after episode.
    """
    if not chance(rng, 0.3 if kind == "public" else 0.85):
        return None
    return weighted(rng, list(zip(net.offenders[:3], (3.0, 2.0, 1.0), strict=True)))


def missing_episodes(
    net: Network, out: NetworkRecords, rng: random.Random, company_rng: random.Random
) -> None:
    """Each child goes missing three to six times and is found where the network is, with its men.

    Who they are found with is drawn from ``company_rng``, so that the rest of the episodes are
    what they were before the found-with column existed.
    """
    for victim in net.victims:
        count = rng.randint(3, 6)
        days = sorted(rng.sample(range(PERIOD_DAYS - 3), count))
        for episode, day in enumerate(days, 1):
            start = night(rng, day)
            kind, place = _found_place(net, rng, victim)
            out.found_at[victim.person_id].append(kind)
            adult = _company(net, company_rng, kind)
            out.found_with[victim.person_id].append(adult.person_id if adult else None)
            out.missing[victim.force].append(
                Episode(
                    missing=Named(victim, "MISSING_PERSON", care=0.8, detail=0.9),
                    episode=episode,
                    reported=start + dt.timedelta(hours=2),
                    last_seen_at=start,
                    last_seen_place=public_place(net.towns[0], victim.home.street, rng.randrange(8)),
                    missing_from="Care placement" if victim.care_home else "Home",
                    missing_from_address=victim.home,
                    risk_level="High" if episode > 1 else "Medium",
                    risk_factors=tuple(rng.sample(RISK, 3)),
                    looked_after=victim.care_home,
                    found_at=start + dt.timedelta(hours=rng.randrange(5, 30)),
                    found_place=place,
                    planted=NETWORK,
                    found_with=Named(adult, "FOUND_WITH", care=0.8, detail=0.5) if adult else None,
                )
            )


def crimes_and_arrests(net: Network, out: NetworkRecords, rng: random.Random) -> None:
    """The crimes the network is reported for, and the arrests that follow some of them."""
    o, v = net.offenders, net.victims
    focus, bmw, van = (s.vehicle for s in net.vehicles)
    f0, f1, f2 = (f.code for f in net.forces)
    nick = o[0].street_name or "Bash"
    flat_night = night(rng)
    out.crime[f0].append(
        Occurrence(
            crime_type="Sexual activity involving a child under 16",
            offence_code="22B/1",
            reported=flat_night + dt.timedelta(days=2),
            committed_from=flat_night,
            committed_to=None,
            status="Investigation",
            outcome="",
            scene=net.flat,
            scene_description="Flat above takeaway",
            mo=(
                f"Victim states she was collected from outside her home by a male known as '{nick}' in a "
                "silver car and taken to a flat above a takeaway where she was given vodka. Other older "
                "males were present."
            ),
            nominals=(
                Named(v[0], "VICTIM", detail=0.9),
                Named(o[0], "SUSPECT", care=0.7, alias=nick),
                Named(o[1], "SUSPECT", description="Unknown male, 30s, beard"),
            ),
            flags=("CSE",),
            vehicles=((focus, "Used by offender"),),
            phones=((net.work_phone, "Used"),),
            planted=NETWORK,
        )
    )
    hotel_night = night(rng)
    out.crime[f1].append(
        Occurrence(
            crime_type="Child abduction",
            offence_code="36/1",
            reported=hotel_night + dt.timedelta(hours=5),
            committed_from=hotel_night,
            committed_to=hotel_night + dt.timedelta(hours=6),
            status="Investigation",
            outcome="",
            scene=net.hotel,
            scene_description=net.hotel.premises,
            mo=(
                "Night porter called police after two adult males booked a room and were seen taking "
                "a young girl upstairs."
            ),
            nominals=(
                Named(v[1], "VICTIM"),
                Named(o[2], "SUSPECT", care=0.6),
                Named(o[3], "SUSPECT", care=0.6),
            ),
            flags=("CSE",),
            vehicles=((focus, "Used by offender"),),
            phones=((net.work_phone, "Used"),),
            planted=NETWORK,
        )
    )
    stop = night(rng)
    out.crime[f2].append(
        Occurrence(
            crime_type="Possession of a controlled drug - cannabis",
            offence_code="92D/1",
            reported=stop,
            committed_from=stop,
            committed_to=None,
            status="Charged",
            outcome="1",
            scene=None,
            scene_description=f"Vehicle stop, {net.towns[2].name} town centre",
            mo="Vehicle stopped after an ANPR activation; driver found with cannabis and a lot of cash.",
            nominals=(Named(o[4], "ARRESTED", care=0.8),),
            vehicles=((bmw, "Seized"),),
            planted=NETWORK,
        )
    )
    out.crime[f0].append(
        Occurrence(
            crime_type="Driving without insurance",
            offence_code="803/1",
            reported=night(rng),
            committed_from=night(rng),
            committed_to=None,
            status="Charged",
            outcome="1",
            scene=None,
            scene_description=f"{net.flat.street}, {net.flat.town}",
            mo="Van stopped, no insurance, vehicle seized. Two teenage girls in the rear, gave false names.",
            nominals=(Named(o[2], "OFFENDER"), Named(v[2], "WITNESS", care=0.5, detail=0.3)),
            vehicles=((van, "Seized"),),
            planted=NETWORK,
        )
    )
    parent = Named(None, "REPORTING_PERSON", description="Unknown (mother of victim)")
    out.crime[f0].append(
        Occurrence(
            crime_type="Harassment",
            offence_code="8Q/1",
            reported=night(rng),
            committed_from=night(rng),
            committed_to=None,
            status="Filed - no suspect identified",
            outcome="18",
            scene=v[3].home,
            scene_description="",
            mo=(
                "Mother reports her daughter is receiving messages at all hours from an unknown number "
                "offering lifts and 'parties'."
            ),
            nominals=(Named(v[3], "VICTIM"), parent),
            phones=((net.work_phone, "Used"), (net.gift_phone, "Other")),
            planted=NETWORK,
        )
    )
    arrest = flat_night + dt.timedelta(days=9)
    out.custody[f0].append(
        Detention(
            detained=Named(o[0], "ARRESTED", care=0.7, alias=nick),
            arrested_at=arrest,
            arrest_place=o[0].home,
            booked_in=arrest + dt.timedelta(minutes=40),
            released=arrest + dt.timedelta(hours=20),
            suite=f"{net.towns[0].name} Custody Suite",
            offences=("Sexual activity involving a child under 16",),
            devices=tuple(filter(None, (o[0].imei, net.work_imei))),
            disposal="Released under investigation",
            planted=NETWORK,
        )
    )
    out.custody[f1].append(
        Detention(
            detained=Named(o[2], "ARRESTED", care=0.6),
            arrested_at=hotel_night + dt.timedelta(hours=3),
            arrest_place=net.hotel,
            booked_in=hotel_night + dt.timedelta(hours=4),
            released=None,
            suite=f"{net.towns[1].name} Custody Suite",
            offences=("Child abduction",),
            devices=(o[2].imei,) if o[2].imei else (),
            disposal="Bailed",
            planted=NETWORK,
        )
    )
    out.custody[f2].append(
        Detention(
            detained=Named(o[4], "ARRESTED"),
            arrested_at=stop,
            arrest_place=net.house,
            booked_in=stop + dt.timedelta(hours=1),
            released=stop + dt.timedelta(hours=9),
            suite=f"{net.towns[2].name} Custody Suite",
            offences=("Possession of a controlled drug",),
            devices=(),
            disposal="Charged",
            planted=NETWORK,
        )
    )


def convoys(net: Network, out: NetworkRecords, rng: random.Random, seed: int) -> None:
    """Network cars through the same cameras minutes apart on several nights, plus solo reads."""
    by_id: dict[str, tuple[str, Site]] = {}
    for force in dict.fromkeys(net.forces):
        for site in camera_sites(seed, force):
            by_id[site.site_id] = (force.code, site)
    f0 = net.forces[0]
    local = [s for s in camera_sites(seed, f0) if s.town == net.towns[0].name]
    route_ids = [local[0].site_id, "M62-J20-EB", "M62-J22-EB", "M62-J24-EB", "M606-J1-NB"]
    route = [by_id[i] for i in route_ids if i in by_id]
    far = [s for f, s in by_id.values() if s.town == net.towns[1].name and f != f0.code]
    route += [(net.forces[1].code, far[0])] if far else []
    cars = [s.vehicle for s in net.vehicles]
    for occasion in range(rng.randint(4, 6)):
        start = night(rng).replace(tzinfo=dt.UTC)
        pair = cars[:2] if occasion % 3 else [cars[0], cars[2]]
        gaps = [0] + [rng.randint(1, 4) for _ in pair[1:]]
        reads = []
        for step, (force_code, site) in enumerate(route):
            at = start + dt.timedelta(minutes=6 * step + rng.randrange(3))
            lag = 0
            for car, gap in zip(pair, gaps, strict=True):
                lag += gap
                when = at + dt.timedelta(minutes=lag, seconds=rng.randrange(60))
                read_as = misread(car.vrm, rng) if chance(rng, 0.12) else car.vrm
                out.anpr[force_code].append(
                    AnprRead(
                        vrm=car.vrm,
                        read_as=read_as,
                        time=when,
                        site=site,
                        direction="Eastbound",
                        lane=1,
                        confidence=0.93 if read_as == car.vrm else 0.64,
                        keeper=_keeper(net, car.vrm),
                        planted=NETWORK,
                    )
                )
                reads.append(
                    {"vrm": car.vrm, "read_as": read_as, "site": site.site_id, "time": when.isoformat()}
                )
        out.convoys.append({"occasion": occasion + 1, "vrms": [c.vrm for c in pair], "reads": reads})
    home_cams = [s for s in camera_sites(seed, f0) if s.town == net.towns[0].name]
    for _ in range(rng.randint(6, 10)):  # the Focus near the children's homes, late at night
        when = night(rng).replace(tzinfo=dt.UTC)
        site = rng.choice(home_cams)
        out.anpr[f0.code].append(
            AnprRead(
                vrm=cars[0].vrm,
                read_as=cars[0].vrm,
                time=when,
                site=site,
                direction="Northbound",
                lane=1,
                confidence=0.95,
                keeper=_keeper(net, cars[0].vrm),
                planted=NETWORK,
            )
        )


def _keeper(net: Network, vrm: str) -> Human:
    return next(s.drivers[0] for s in net.vehicles if s.vehicle.vrm == vrm)


def network_records(net: Network, seed: int) -> NetworkRecords:
    """All the network's records except communications (see ``network_comms``) and intelligence."""
    out = NetworkRecords()
    missing_episodes(net, out, stream(seed, "network-missing"), stream(seed, "network-found-with"))
    crimes_and_arrests(net, out, stream(seed, "network-crime"))
    convoys(net, out, stream(seed, "network-anpr"), seed)
    return out

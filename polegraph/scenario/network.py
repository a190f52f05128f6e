"""The planted exploitation network: who is in it and what they share.

Offenders (6-10) and the children they exploit (5-8) live across the first three forces (in the
full catalogue: Rochdale, Bradford, Blackburn, joined by the M62 and M65). They share a "work"
phone, a phone handed from one child to another, three vehicles and a few places: a flat above a
takeaway, a hotel, a house. One offender has the commonest name of his community, so that a
linker that trusts names links him to strangers. Everything here is the truth the ground-truth
file publishes; ``network_events`` turns it into records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from polegraph.scenario.addresses import Address, childrens_home, house
from polegraph.scenario.forces import Force, Town
from polegraph.scenario.identifiers import MISREADS, Identifiers, Vehicle
from polegraph.scenario.names import BACKGROUNDS, STREET_NAMES
from polegraph.scenario.population import Human, make_human
from polegraph.scenario.rand import stream

TAKEAWAYS = ("Spice Grill", "Golden Fry", "Pizza Point", "Express Kebab House", "Royal Balti")
HOTELS = ("Crown Lodge Hotel", "Station Hotel", "Moorview Inn", "Kings Arms Hotel")
_VEHICLE_LOOKS = (("Ford", "Focus", "Silver"), ("BMW", "3 Series", "Black"), ("Vauxhall", "Vivaro", "White"))
# Phone slots of the 07700 900xxx block kept for the network (the population uses 100-999).
WORK_PHONE_SLOT, GIFT_PHONE_SLOT = 30, 31
# Home keys above any population's (a person's key is their number within their force).
NETWORK_HOME_KEYS = 10**6


@dataclass(frozen=True, slots=True)
class SharedVehicle:
    """A network vehicle and the offenders who drive it."""

    vehicle: Vehicle
    drivers: tuple[Human, ...]


@dataclass(frozen=True, slots=True)
class Network:
    """The planted network: members, places, vehicles and phones."""

    forces: tuple[Force, Force, Force]  # where the flat, the hotel and the house are (may repeat)
    towns: tuple[Town, Town, Town]
    offenders: tuple[Human, ...]
    victims: tuple[Human, ...]
    flat: Address
    takeaway: Address
    hotel: Address
    house: Address
    vehicles: tuple[SharedVehicle, ...]
    work_phone: str
    work_phone_users: tuple[Human, ...]
    work_imei: str  # the handset the work SIM lives in
    gift_phone: str
    gift_phone_users: tuple[Human, ...]  # the children it was handed to, in turn
    gift_imei: str

    @property
    def leader(self) -> Human:
        return self.offenders[0]

    @property
    def members(self) -> tuple[Human, ...]:
        return self.offenders + self.victims

    def phone_holders(self) -> dict[str, list[str]]:
        """Every network phone (E.164) and the person ids of everyone who used it."""
        holders: dict[str, list[str]] = {}
        for human in self.members:
            if human.mobile:
                holders.setdefault(human.mobile, []).append(human.person_id)
        holders[self.work_phone] = [h.person_id for h in self.work_phone_users]
        holders[self.gift_phone] = [h.person_id for h in self.gift_phone_users]
        return holders


def _confusable(vrm: str) -> bool:
    # A convoy's reads must be able to go wrong the way cameras do.
    return sum(ch in MISREADS for ch in vrm) >= 2


def build_network(seed: int, forces: tuple[Force, ...], ids: Identifiers) -> Network:
    """The network of this seed, placed in the first (up to) three forces."""
    rng = stream(seed, "network")
    f0, f1, f2 = forces[0], forces[1 % len(forces)], forces[2 % len(forces)]
    t0 = f0.towns[0]
    t1 = f1.towns[0] if f1 is not f0 else f0.towns[1]
    t2 = f2.towns[0] if f2 not in (f0, f1) else f0.towns[2]
    flat = replace(house(seed, f0, 10**8, town=t0), number=str(rng.randrange(3, 90)), premises="Flat 2")
    takeaway = replace(flat, premises=f"{rng.choice(TAKEAWAYS)} takeaway")
    hotel = house(seed, f1, 10**8 + 1, town=t1, premises=rng.choice(HOTELS))
    house_t2 = house(seed, f2, 10**8 + 2, town=t2)
    n_offenders, n_victims = rng.randint(6, 10), rng.randint(5, 8)
    names = rng.sample(STREET_NAMES, n_offenders)
    # Two of them live at the flat the children are taken to; one in each of the other forces.
    homes = [(f0, None)] * (n_offenders - 4) + [(f0, flat), (f0, flat), (f1, None), (f2, house_t2)]
    offenders: list[Human] = []
    for n in range(n_offenders):
        force, home = homes[n]
        # Offender 2 has the commonest name of one of the two largest communities (John Smith,
        # Mohammed Khan): many strangers in the population share it.
        common = rng.choice(BACKGROUNDS[:2]) if n == 1 else None
        person = make_human(
            seed,
            ids,
            force,
            f"N-O{n + 1:02d}",
            n + 1,
            rng,
            child=False,
            home_key=NETWORK_HOME_KEYS + n + 1,
            sex="F" if n == n_offenders - 2 else "M",
            background=common,
        )
        if common is not None:
            person = replace(person, forenames=(common.male.values[0],), surname=common.surnames.values[0])
        born = dt.date(rng.randint(1980, 2003), rng.randint(1, 12), rng.randint(1, 28))
        person = replace(
            person,
            dob=born,
            home=home or person.home,
            mobile=ids.network_mobile(n + 1),
            street_name=names[n],
            pnc_id=person.pnc_id or ids.pnc_id(n + 1, rng.randint(2012, 2022)),
        )
        offenders.append(person)
    victims: list[Human] = []
    for n in range(n_victims):
        force = f1 if n == n_victims - 1 else f0
        person = make_human(
            seed,
            ids,
            force,
            f"N-V{n + 1:02d}",
            40 + n,
            rng,
            child=True,
            home_key=NETWORK_HOME_KEYS + 40 + n,
            sex="M" if n == n_victims - 1 else "F",
        )
        care = n % 2 == 0
        born = dt.date(rng.randint(2008, 2010), rng.randint(1, 12), rng.randint(1, 28))
        home = (
            childrens_home(seed, force, 0)
            if care
            else house(seed, force, NETWORK_HOME_KEYS + 40 + n, town=force.towns[0])
        )
        victims.append(
            replace(
                person,
                dob=born,
                care_home=care,
                home=home,
                mobile=ids.network_mobile(40 + n),
                pnc_id=None,
                cro=None,
            )
        )
    holders = [n for n in range(60, 100) if _confusable(ids.vehicle(n).vrm)][:3]
    vehicles = []
    for k, holder in enumerate(holders):
        make, model, colour = _VEHICLE_LOOKS[k]
        vehicle = replace(ids.vehicle(holder), make=make, model=model, colour=colour)
        drivers = (offenders[k], offenders[k + 3]) if k < 2 else (offenders[2], offenders[-1])
        vehicles.append(SharedVehicle(vehicle, drivers))
    for shared in vehicles:  # each driver's own records name the car they use
        for driver in shared.drivers:
            i = offenders.index(next(o for o in offenders if o.person_id == driver.person_id))
            offenders[i] = replace(offenders[i], vehicle=shared.vehicle)
    vehicles = [
        SharedVehicle(v.vehicle, tuple(o for o in offenders if o.vehicle == v.vehicle)) for v in vehicles
    ]
    work_users = (offenders[0], offenders[1], offenders[3])
    return Network(
        forces=(f0, f1, f2),
        towns=(t0, t1, t2),
        offenders=tuple(offenders),
        victims=tuple(victims),
        flat=flat,
        takeaway=takeaway,
        hotel=hotel,
        house=house_t2,
        vehicles=tuple(vehicles),
        work_phone=ids.network_mobile(WORK_PHONE_SLOT),
        work_phone_users=work_users,
        work_imei=ids.imei(WORK_PHONE_SLOT),
        gift_phone=ids.network_mobile(GIFT_PHONE_SLOT),
        gift_phone_users=(victims[0], victims[2]),
        gift_imei=ids.imei(GIFT_PHONE_SLOT),
    )

"""Addresses: homes, premises and public places in the scenario's towns.

An address is a function of the seed, the town and a house key, so the same house always has the
same postcode (a street shares a few postcodes, as real ones do) and nothing is held in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from polegraph.scenario.forces import Force, Town
from polegraph.scenario.identifiers import postcode
from polegraph.scenario.rand import Permutation, digits_in_base, stream

STREETS = (
    "Church Street",
    "Park Road",
    "Victoria Street",
    "Station Road",
    "Albert Road",
    "Milkstone Road",
    "Drake Street",
    "Queens Road",
    "Manchester Road",
    "Oldham Road",
    "Bury Road",
    "Whitworth Road",
    "Kings Road",
    "Market Street",
    "Clarence Street",
    "Tweedale Street",
    "Spotland Road",
    "Bolton Road",
    "High Street",
    "Mill Lane",
    "Green Lane",
    "Chapel Street",
    "George Street",
    "New Street",
    "Cemetery Road",
    "Moss Lane",
    "Springfield Road",
    "Grange Road",
    "Westgate",
    "Princess Street",
    "Hudson Road",
    "Beech Grove",
    "Elm Street",
    "Ash Road",
    "Oak Avenue",
    "Cedar Close",
    "Willow Way",
    "Heywood Road",
    "Halifax Road",
    "Leeds Road",
    "Thornton Road",
    "Lumb Lane",
    "Whetley Lane",
    "Preston New Road",
    "Audley Range",
    "Whalley Range",
    "Accrington Road",
    "Colne Road",
)
ABBREVIATIONS = {"Street": "St", "Road": "Rd", "Avenue": "Ave", "Lane": "Ln", "Close": "Cl", "Grove": "Gr"}
PUBLIC_PLACES = (
    "{town} Interchange",
    "{town} bus station",
    "outside {town} library",
    "McDonald's, {town} town centre",
    "{town} retail park",
    "outside Greggs, {town}",
    "{town} railway station",
    "the park off {street}",
)

_NUMBERS, _FLATS = 400, 5  # house numbers 1-400; a house, or flats 1-4 in it
CHILDRENS_HOMES = (
    "Oakwood House",
    "Beech Lodge",
    "Hollins View",
    "Meadowbank House",
    "Greenacres",
    "Ashfield Lodge",
    "Brookside House",
    "Lime Tree House",
    "Fairview",
    "Moorside Lodge",
)


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address with its coordinates; ``premises`` names a business or home (optional)."""

    number: str
    street: str
    town: str
    postcode: str
    latitude: float
    longitude: float
    premises: str = ""

    def line(self) -> str:
        """The address as one line without the postcode: ``Flat 2, 14 Drake Street, Rochdale``."""
        parts = [self.premises] if self.premises else []
        return ", ".join([*parts, f"{self.number} {self.street}", self.town])

    def abbreviated(self) -> str:
        """The line with the street type abbreviated, as a hurried officer types it."""
        line = self.line()
        for word, short in ABBREVIATIONS.items():
            line = line.replace(f" {word},", f" {short},")
        return line


@lru_cache(maxsize=256)
def _homes(seed: int, label: str, size: int) -> Permutation:
    return Permutation(seed, f"homes:{label}", size)


@lru_cache(maxsize=65536)
def _street(seed: int, town: Town, street: str, block: int) -> tuple[str, float, float]:
    """The postcode of a stretch of about 30 houses (neighbours share one) and where the street is."""
    rng = stream(seed, "postcode", town.name, street, block)
    code = postcode(town.districts[rng.randrange(len(town.districts))], rng)
    place = stream(seed, "street", town.name, street)
    lat = round(town.latitude + (place.random() - 0.5) * 0.04, 5)
    lon = round(town.longitude + (place.random() - 0.5) * 0.06, 5)
    return code, lat, lon


def house(seed: int, force: Force, key: int, *, premises: str = "", town: Town | None = None) -> Address:
    """The address of house ``key`` in ``force`` (in ``town`` when given, else a town chosen by key).

    Distinct keys below the size of the address space (some 380,000 homes per force) are distinct
    homes, so strangers only share an address when the scenario means them to.
    """
    per_town = len(STREETS) * _NUMBERS * _FLATS
    if town is None:
        index = _homes(seed, force.code, per_town * len(force.towns))(key % (per_town * len(force.towns)))
        town_index, index = divmod(index, per_town)
        town = force.towns[town_index]
    else:
        index = _homes(seed, town.name, per_town)(key % per_town)
    street_index, number, flat = digits_in_base(index, (len(STREETS), _NUMBERS, _FLATS))
    street = STREETS[street_index]
    code, lat, lon = _street(seed, town, street, number // 30)
    number_text = f"Flat {flat}, {number + 1}" if flat and not premises else str(number + 1)
    return Address(number_text, street, town.name, code, lat, lon, premises)


def childrens_home(seed: int, force: Force, key: int) -> Address:
    """One of the two children's homes of each town (looked-after children live there)."""
    t = key % len(force.towns)
    n = (key // len(force.towns)) % 2
    name = CHILDRENS_HOMES[(sum(map(ord, force.code)) + 2 * t + n) % len(CHILDRENS_HOMES)]
    return house(seed, force, 10**9 + 2 * t + n, premises=name, town=force.towns[t])


def public_place(town: Town, street: str, choice: int) -> str:
    """A public place described as a missing-person or crime record describes it."""
    return PUBLIC_PLACES[choice % len(PUBLIC_PLACES)].format(town=town.name, street=street)

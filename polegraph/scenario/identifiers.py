"""Identifiers of the scenario's people and things, unique by construction, and how records write them.

Every holder (a person, a network phone, a passing car) has a *holder number*; each identifier
is a bijection of it (``rand.Permutation``), so no two holders ever share a number or a mark unless
the scenario means them to. Numbers 0-99 are the planted network's, 100 + i is person i's, and
numbers above the population are vehicles nobody in the records owns.

Telephone numbers come only from Ofcom's drama ranges (07700 900xxx, 0113 496 0xxx...), so that no
generated number reaches a real subscriber. There are about 17,000 of them: at large sizes only a
share of people get one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from polegraph.scenario.rand import Permutation, Weighted, digits_in_base, fractions
from polegraph.types.pnc import check_letter

NETWORK_HOLDERS = 100
_MOBILE_BLOCK = "+447700900"  # 07700 900000-900999
# Geographic drama ranges: (E.164 prefix, national grouping of the digits after the 0).
_LANDLINE_BLOCKS = (
    "+441632960",
    "+442079460",
    "+441134960",
    "+441144960",
    "+441154960",
    "+441164960",
    "+441174960",
    "+441184960",
    "+441214960",
    "+441314960",
    "+441414960",
    "+441514960",
    "+441614960",
    "+441914980",
    "+442890180",
    "+442920180",
)
_VRM_FIRST = "ABCDEFGHKLMNOPRSVWY"
_VRM_SECOND = "ABCDEFGHJKLMNOPRSTUVWXY"
_VRM_AGES = tuple(f"{n:02d}" for n in (*range(10, 25), *range(60, 75)))
_VRM_LAST = "ABCDEFGHJKLMNOPRSTUVWXYZ"
_VRM_BASES = (len(_VRM_FIRST), len(_VRM_SECOND), len(_VRM_AGES), *[len(_VRM_LAST)] * 3)
_TACS = ("35693803", "35209900", "35332510", "86891603", "35846511", "35391110")
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_NINO_FIRST = "ABCEGHJKLMNPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
# ANPR confusions (as polegraph.types.vrm keys them), each character to what a camera reads instead.
MISREADS = {
    "0": "OD",
    "O": "0D",
    "D": "0O",
    "1": "I",
    "I": "1",
    "5": "S",
    "S": "5",
    "8": "B",
    "B": "8",
    "2": "Z",
    "Z": "2",
}
VEHICLES = (
    ("Ford", "Focus", 6),
    ("Ford", "Fiesta", 6),
    ("Vauxhall", "Corsa", 5),
    ("Vauxhall", "Astra", 4),
    ("Volkswagen", "Golf", 5),
    ("Volkswagen", "Polo", 3),
    ("Toyota", "Yaris", 3),
    ("Nissan", "Qashqai", 3),
    ("BMW", "3 Series", 3),
    ("Audi", "A3", 3),
    ("Mercedes-Benz", "C Class", 2),
    ("Peugeot", "208", 3),
    ("Kia", "Sportage", 2),
    ("Honda", "Civic", 2),
    ("Skoda", "Octavia", 2),
    ("Vauxhall", "Vivaro", 1),
)
COLOURS = (("Silver", 5), ("Black", 5), ("White", 4), ("Grey", 4), ("Blue", 3), ("Red", 2), ("Green", 1))
_MODELS = Weighted([((make, model), weight) for make, model, weight in VEHICLES])
_COLOURS = Weighted(COLOURS)


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A vehicle as the DVLA would know it."""

    vrm: str
    make: str
    model: str
    colour: str


class Identifiers:
    """The identifiers of every holder of one scenario (a function of the seed and the sizes)."""

    def __init__(self, seed: int, people: int) -> None:
        self.seed, self.people = seed, people
        self._mobile = Permutation(seed, "mobile", max(people, 900))
        self._landline = Permutation(seed, "landline", max(people, 16 * 1000))
        self._vrm = Permutation(seed, "vrm", _space(_VRM_BASES))
        self._imei = Permutation(seed, "imei", 10**6)
        self._nino = Permutation(seed, "nino", 10**6)

    def network_mobile(self, slot: int) -> str:
        """One of the network's own mobiles (slots 0-99 of the 07700 900xxx block)."""
        return f"{_MOBILE_BLOCK}{slot:03d}"

    def mobile(self, person: int) -> str | None:
        """Person ``person``'s mobile, when the drama block has one left for them."""
        slot = self._mobile(person)
        return f"{_MOBILE_BLOCK}{NETWORK_HOLDERS + slot:03d}" if slot < 1000 - NETWORK_HOLDERS else None

    def landline(self, person: int) -> str | None:
        """Person ``person``'s landline, when the drama ranges have one left for them."""
        slot = self._landline(person)
        if slot >= len(_LANDLINE_BLOCKS) * 1000:
            return None
        block, number = divmod(slot, 1000)
        return f"{_LANDLINE_BLOCKS[block]}{number:03d}"

    def vehicle(self, holder: int) -> Vehicle:
        """The vehicle of holder number ``holder``."""
        first, second, age, *last = digits_in_base(self._vrm(holder), _VRM_BASES)
        vrm = _VRM_FIRST[first] + _VRM_SECOND[second] + _VRM_AGES[age] + "".join(_VRM_LAST[x] for x in last)
        kind, paint, _, _ = fractions(self.seed, "vehicle", holder)
        make, model = _MODELS.at(kind)
        return Vehicle(vrm, make, model, _COLOURS.at(paint))

    def imei(self, holder: int) -> str:
        """The IMEI (15 digits, Luhn check digit) of holder ``holder``'s handset."""
        tac = _TACS[holder % len(_TACS)]
        body = f"{tac}{self._imei(holder // len(_TACS) % 10**6):06d}"
        return body + luhn_digit(body)

    def pnc_id(self, holder: int, year: int) -> str:
        """A PNC ID ``YYYY/NNNNNNNA`` with its check letter (serial unique to the holder)."""
        serial = f"{holder % 10**7:07d}"
        return f"{year}/{serial}{check_letter(f'{year % 100:02d}{serial}')}"

    def cro(self, holder: int, year: int) -> str:
        """A CRO number ``NNNNNN/YYA`` with its check letter."""
        serial = f"{(holder * 7919) % 10**6:06d}"
        yy = f"{year % 100:02d}"
        return f"{serial}/{yy}{check_letter(yy + serial)}"

    def nino(self, holder: int) -> str:
        """A National Insurance number with an issued prefix."""
        first, second, suffix, _ = fractions(self.seed, "nino", holder)
        prefix = _NINO_FIRST[int(first * len(_NINO_FIRST))] + _NINO_SECOND[int(second * len(_NINO_SECOND))]
        if prefix in ("GB", "BG", "KN", "NK", "NT", "TN", "ZZ"):
            prefix = "AB"
        return f"{prefix}{self._nino(holder % 10**6):06d}{'ABCD'[int(suffix * 4)]}"


def luhn_digit(body: str) -> str:
    """The Luhn check digit of ``body``: every second digit from the right doubled, digits summed."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


def _space(bases: tuple[int, ...]) -> int:
    size = 1
    for base in bases:
        size *= base
    return size


def postcode(district: str, rng: random.Random) -> str:
    """A full postcode in ``district`` (the inward code drawn from the letters Royal Mail uses)."""
    return f"{district} {rng.randrange(1, 10)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"


def misread(vrm: str, rng: random.Random) -> str:
    """The mark as a camera might misread it: one confusable character swapped (or as is)."""
    spots = [i for i, ch in enumerate(vrm) if ch in MISREADS]
    if not spots:
        return vrm
    i = rng.choice(spots)
    return vrm[:i] + rng.choice(MISREADS[vrm[i]]) + vrm[i + 1 :]

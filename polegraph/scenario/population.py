"""The synthetic population: who the people are, as a pure function of the seed and their number.

Person ``i`` lives in force ``i % F`` and is rebuilt from their own random stream whenever a
record needs them, so a million-record scenario holds no list of people. A person's cohort
(child, young adult, adult) follows from their number too, so that a missing-person record can
draw a child directly. A small share of each force's people are "frequent": they appear in many
records, as prolific offenders and repeat victims do.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import lru_cache

from polegraph.scenario.addresses import Address, childrens_home, house
from polegraph.scenario.forces import Force
from polegraph.scenario.identifiers import NETWORK_HOLDERS, Identifiers, Vehicle
from polegraph.scenario.names import BY_WEIGHT, Background, feminine_surname
from polegraph.scenario.rand import chance, stream

# The scenario's events fall in one year, fixed so that the files never depend on today's date.
PERIOD_START = dt.datetime(2023, 9, 1)
PERIOD_DAYS = 366
_COHORTS = 10  # cohort 0 of every ten people is a child
# People kept built: enough for the frequent people of every force; memory stays bounded by it.
HUMAN_CACHE = 16384


@dataclass(frozen=True, slots=True)
class Human:
    """One real (synthetic) human: the truth behind every record that names them."""

    person_id: str
    holder: int  # numbers their identifiers (see identifiers.py)
    force: str  # the force area they live in
    sex: str  # M or F
    forenames: tuple[str, ...]
    surname: str
    dob: dt.date
    background: str
    self_defined_ethnicity: str
    officer_defined_ethnicity: str
    home: Address
    mobile: str | None = None
    landline: str | None = None
    vehicle: Vehicle | None = None
    pnc_id: str | None = None
    cro: str | None = None
    nino: str | None = None
    imei: str | None = None
    street_name: str | None = None
    care_home: bool = False

    @property
    def phones(self) -> tuple[str, ...]:
        """Every phone number the person gives (mobile first)."""
        return tuple(p for p in (self.mobile, self.landline) if p)

    @property
    def full_name(self) -> str:
        return f"{' '.join(self.forenames)} {self.surname}"

    def age_on(self, day: dt.date) -> int:
        """Age in whole years on ``day``."""
        return day.year - self.dob.year - ((day.month, day.day) < (self.dob.month, self.dob.day))


def make_human(
    seed: int,
    ids: Identifiers,
    force: Force,
    person_id: str,
    holder: int,
    rng: random.Random,
    *,
    child: bool,
    home_key: int,
    phones_of: int | None = None,
    sex: str | None = None,
    background: Background | None = None,
) -> Human:
    """A human drawn from ``rng``; the population and the planted network both use it.

    ``home_key`` numbers their home among the force's houses; ``phones_of`` is the population
    index whose share of the drama-range numbers they get (the network gives its own).
    """
    background = background or BY_WEIGHT.pick(rng)
    sex = sex or rng.choice("MF")
    pool = background.male if sex == "M" else background.female
    forenames = [pool.pick(rng)]
    if chance(rng, 0.35):
        forenames.append(pool.pick(rng))
    surname = background.surnames.pick(rng)
    if sex == "F":
        surname = feminine_surname(background, surname)
    born = (2006, 2011) if child else (1950, 2005)
    dob = dt.date(rng.randint(*born), 1, 1) + dt.timedelta(days=rng.randrange(365))
    recorded = not child and chance(rng, 0.45)  # has a criminal record: PNC ID, CRO, fingerprints
    first_record = rng.randint(max(dob.year + 12, 1995), 2023) if recorded else 0
    care = child and chance(rng, 0.2)
    mobile = ids.mobile(phones_of) if phones_of is not None and chance(rng, 0.9) else None
    landline = ids.landline(phones_of) if phones_of is not None and chance(rng, 0.3) else None
    return Human(
        person_id=person_id,
        holder=holder,
        force=force.code,
        sex=sex,
        forenames=tuple(dict.fromkeys(forenames)),
        surname=surname,
        dob=dob,
        background=background.key,
        self_defined_ethnicity=rng.choice(background.self_defined),
        officer_defined_ethnicity=background.officer_defined,
        home=childrens_home(seed, force, home_key) if care else house(seed, force, home_key),
        mobile=mobile,
        landline=landline,
        vehicle=ids.vehicle(holder) if not child and chance(rng, 0.35) else None,
        pnc_id=ids.pnc_id(holder, first_record) if recorded else None,
        cro=ids.cro(holder, first_record) if recorded and chance(rng, 0.6) else None,
        nino=ids.nino(holder) if not child and chance(rng, 0.5) else None,
        imei=ids.imei(holder),
        care_home=care,
    )


class Population:
    """``people`` humans spread over ``forces``, each rebuilt on demand from the seed."""

    def __init__(self, seed: int, forces: tuple[Force, ...], people: int, ids: Identifiers) -> None:
        if people < len(forces) * _COHORTS:
            raise ValueError(f"{people} people is too few for {len(forces)} forces")
        self.seed, self.forces, self.people, self.ids = seed, forces, people, ids
        self.human = lru_cache(maxsize=HUMAN_CACHE)(self.build)

    def local_count(self, force_index: int) -> int:
        """How many people live in the force with this index."""
        return len(range(force_index, self.people, len(self.forces)))

    def build(self, index: int) -> Human:
        """Person ``index``, rebuilt from their stream (``human`` is the cached way to ask)."""
        forces = len(self.forces)
        force = self.forces[index % forces]
        rng = stream(self.seed, "person", index)
        child = (index // forces) % _COHORTS == 0
        return make_human(
            self.seed, self.ids, force, f"P{index:07d}", NETWORK_HOLDERS + index, rng,
            child=child, home_key=index // forces, phones_of=index,
        )  # fmt: skip

    def pick(
        self, rng: random.Random, force_index: int, *, child: bool = False, local: float = 0.85
    ) -> Human:
        """Someone a record of this force names: mostly a local, sometimes a visitor from another force."""
        if len(self.forces) > 1 and not chance(rng, local):
            force_index = (force_index + rng.randrange(1, len(self.forces))) % len(self.forces)
        count = self.local_count(force_index)
        if child:
            slots = (count + _COHORTS - 1) // _COHORTS
            j = _COHORTS * _frequent_or_any(rng, slots)
        else:
            j = _frequent_or_any(rng, count)
            if (j % _COHORTS) == 0:  # an adult's record: step off the child cohort
                j = j + 1 if j + 1 < count else j - 1
        return self.human(j * len(self.forces) + force_index)

    def pick_adult_or_child(self, rng: random.Random, force_index: int) -> Human:
        """Anyone: a child about one time in ten."""
        return self.pick(rng, force_index, child=chance(rng, 0.1))


def _frequent_or_any(rng: random.Random, count: int) -> int:
    # A quarter of mentions go to the first 2% of people: repeat offenders and repeat victims.
    frequent = max(3, count // 50)
    return rng.randrange(min(frequent, count)) if chance(rng, 0.25) else rng.randrange(count)

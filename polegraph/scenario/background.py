"""The bystanders' records: ordinary crime, custody and open-data records of the population.

They are most of every file, so that the planted network is a needle: the same kinds of crime,
places and names, and a few look-alikes (other children reported missing, other cars near other
schools) that a search must not confuse with it. Each generator is a stream: one record at a time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterator

from polegraph.scenario.addresses import house, public_place
from polegraph.scenario.nominal import Named
from polegraph.scenario.population import PERIOD_DAYS, PERIOD_START, Population
from polegraph.scenario.rand import chance, stream, weighted
from polegraph.scenario.records import Detention, Occurrence, StreetCrime

# (crime type, Home Office code, scene: home|public, weight, who else: suspect|phone|vehicle|da, MO texts)
CRIMES = (
    (
        "Burglary - residential",
        "28/3",
        "home",
        6,
        "suspect",
        (
            "Entry forced via rear kitchen window, jewellery and a laptop taken",
            "Insecure front door, car keys taken from the hallway",
        ),
    ),
    (
        "Theft from motor vehicle",
        "45/0",
        "home",
        5,
        "vehicle",
        (
            "Nearside window smashed, tools taken from the boot",
            "Vehicle left unlocked overnight, satnav taken",
        ),
    ),
    (
        "Theft of motor vehicle",
        "48/0",
        "home",
        3,
        "vehicle",
        ("Vehicle taken from outside the home address overnight, keys not taken", "Relay attack suspected"),
    ),
    (
        "Theft - shoplifting",
        "46/1",
        "public",
        7,
        "suspect",
        (
            "Male concealed meat and alcohol in a rucksack and left without paying",
            "Detained by store security",
        ),
    ),
    (
        "Assault occasioning actual bodily harm",
        "8N/1",
        "public",
        4,
        "suspect",
        ("Victim punched repeatedly outside licensed premises", "Dispute in a taxi queue, victim kicked"),
    ),
    (
        "Common assault",
        "105A/1",
        "public",
        5,
        "suspect",
        ("Victim pushed and slapped during an argument", "Drink thrown and victim shoved"),
    ),
    (
        "Assault - domestic",
        "105A/1",
        "home",
        4,
        "da",
        ("Partner grabbed victim by the arms during an argument", "Ex-partner attended and assaulted victim"),
    ),
    (
        "Harassment",
        "8Q/1",
        "home",
        3,
        "phone",
        (
            "Victim receiving repeated calls and messages from a former partner",
            "Abusive messages sent over several weeks after a dispute with a neighbour",
        ),
    ),
    (
        "Fraud by false representation",
        "53/1",
        "home",
        3,
        "phone",
        (
            "Victim called by a male claiming to be from the bank and persuaded to transfer money",
            "Item paid for online never delivered, seller stopped answering",
        ),
    ),
    (
        "Criminal damage to a vehicle",
        "58C/1",
        "home",
        4,
        "vehicle",
        ("Paintwork scratched along both sides overnight", "Tyres slashed while parked outside the home"),
    ),
    (
        "Possession of a controlled drug - cannabis",
        "92D/1",
        "public",
        3,
        "suspect",
        ("Smell of cannabis on stop, small bag found in jacket pocket", "Found smoking cannabis in the park"),
    ),
    (
        "Possession with intent to supply Class A",
        "92/1",
        "public",
        1,
        "phone",
        (
            "Male seen handing wraps to several users, ran on seeing officers",
            "Deal line phone and wraps recovered",
        ),
    ),
    (
        "Public order offence",
        "125/1",
        "public",
        3,
        "suspect",
        ("Male shouting and swearing at staff, refused to leave", "Fight outside a takeaway late at night"),
    ),
    (
        "Robbery of personal property",
        "34B/1",
        "public",
        2,
        "suspect",
        (
            "Phone snatched from victim's hand by a male on a bike",
            "Victim threatened with a knife, wallet taken",
        ),
    ),
)
STATUSES = (
    ("Investigation", 4),
    ("Filed - no suspect identified", 5),
    ("Charged", 2),
    ("Caution", 1),
    ("Community resolution", 1),
    ("NFA - evidential difficulties", 2),
)
OFFENCES = (
    "Theft - shoplifting",
    "Assault occasioning actual bodily harm",
    "Drunk and disorderly",
    "Possession of a controlled drug",
    "Driving whilst disqualified",
    "Breach of bail",
    "Criminal damage",
    "Burglary dwelling",
    "Common assault",
    "Possession of an offensive weapon",
)
DISPOSALS = (
    ("Charged", 3),
    ("Released under investigation", 3),
    ("Caution", 2),
    ("No further action", 2),
    ("Bailed", 1),
)
STREET_TYPES = (
    ("Anti-social behaviour", 6),
    ("Violence and sexual offences", 6),
    ("Criminal damage and arson", 3),
    ("Burglary", 2),
    ("Vehicle crime", 2),
    ("Shoplifting", 2),
    ("Other theft", 2),
    ("Drugs", 1),
    ("Public order", 2),
)
SNAP_POINTS = ("Park Road", "High Street", "Supermarket", "Nightclub", "Petrol Station", "Shopping Area")
STREET_OUTCOMES = (
    "Under investigation",
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Awaiting court outcome",
    "Local resolution",
)


def when(rng: random.Random, *, night: bool = False) -> dt.datetime:
    """A moment in the scenario's year (evening or night when ``night``)."""
    day = PERIOD_START + dt.timedelta(days=rng.randrange(PERIOD_DAYS))
    hour = rng.choice((19, 20, 21, 22, 23, 0, 1)) if night else rng.randrange(24)
    return day.replace(hour=hour, minute=rng.randrange(60))


def occurrences(pop: Population, force_index: int, count: int) -> Iterator[Occurrence]:
    """``count`` ordinary occurrences of one force."""
    rng = stream(pop.seed, "background-crime", force_index)
    force = pop.forces[force_index]
    for _ in range(count):
        crime_type, code, scene_kind, _, extra, mo_texts = weighted(rng, [(c, c[3]) for c in CRIMES])
        victim = pop.pick(rng, force_index, local=0.95)
        committed = when(rng)
        town = rng.choice(force.towns)
        at_home = scene_kind == "home" and victim.force == force.code
        scene = victim.home if at_home else house(pop.seed, force, rng.randrange(10**6), town=town)
        nominals = [Named(victim, "VICTIM", detail=0.7)]
        vehicles, phones = [], []
        if extra in ("suspect", "da", "phone") or chance(rng, 0.15):
            suspect = pop.pick(rng, force_index)
            nominals.append(Named(suspect, "SUSPECT" if chance(rng, 0.8) else "ARRESTED", care=0.8))
        if chance(rng, 0.25):
            nominals.append(Named(pop.pick(rng, force_index), "WITNESS", detail=0.5))
        if chance(rng, 0.15):
            nominals.append(Named(pop.pick(rng, force_index), "REPORTING_PERSON", detail=0.5))
        if extra == "vehicle" and victim.vehicle:
            vehicles.append((victim.vehicle, "Damaged" if "damage" in crime_type else "Stolen"))
        user = nominals[1].human if extra == "phone" else None  # the phone the suspect used
        if user is not None and user.mobile:
            phones.append((user.mobile, "Used"))
        description = "" if scene_kind == "home" else public_place(town, scene.street, rng.randrange(8))
        yield Occurrence(
            crime_type=crime_type,
            offence_code=code,
            reported=committed + dt.timedelta(hours=rng.randrange(1, 48)),
            committed_from=committed,
            committed_to=committed + dt.timedelta(hours=rng.randrange(1, 9)) if chance(rng, 0.3) else None,
            status=weighted(rng, STATUSES),
            outcome=rng.choice(("", "", "1", "14", "18")),
            scene=scene if scene_kind == "home" or chance(rng, 0.5) else None,
            scene_description=description,
            mo=rng.choice(mo_texts),
            nominals=tuple(nominals),
            flags=("DA",) if extra == "da" else (),
            vehicles=tuple(vehicles),
            phones=tuple(phones),
        )


def detentions(pop: Population, force_index: int, count: int) -> Iterator[Detention]:
    """``count`` ordinary custody records of one force."""
    rng = stream(pop.seed, "background-custody", force_index)
    force = pop.forces[force_index]
    for _ in range(count):
        person = pop.pick(rng, force_index)
        arrested = when(rng)
        booked = arrested + dt.timedelta(minutes=rng.randrange(20, 90))
        town = rng.choice(force.towns)
        devices = (person.imei,) if person.imei and chance(rng, 0.15) else ()
        yield Detention(
            detained=Named(person, "ARRESTED", care=1.5),
            arrested_at=arrested,
            arrest_place=house(pop.seed, force, rng.randrange(10**6), town=town),
            booked_in=booked,
            released=booked + dt.timedelta(hours=rng.randrange(2, 30)) if chance(rng, 0.9) else None,
            suite=f"{town.name} Custody Suite",
            offences=tuple(rng.sample(OFFENCES, rng.choice((1, 1, 2)))),
            devices=devices,
            disposal=weighted(rng, DISPOSALS),
        )


def street_crimes(pop: Population, force_index: int, count: int) -> Iterator[StreetCrime]:
    """``count`` rows of a force's data.police.uk street-level crime download."""
    rng = stream(pop.seed, "background-street", force_index)
    force = pop.forces[force_index]
    for n in range(count):
        town = rng.choice(force.towns)
        crime_type = weighted(rng, STREET_TYPES)
        day = PERIOD_START + dt.timedelta(days=rng.randrange(PERIOD_DAYS))
        digest = hashlib.blake2b(f"{pop.seed}|{force.code}|{n}".encode(), digest_size=32).hexdigest()
        lsoa = 1000 + rng.randrange(200)
        yield StreetCrime(
            crime_id="" if crime_type == "Anti-social behaviour" else digest,
            month=day.strftime("%Y-%m"),
            latitude=round(town.latitude + rng.uniform(-0.02, 0.02), 6),
            longitude=round(town.longitude + rng.uniform(-0.03, 0.03), 6),
            location=f"On or near {rng.choice(SNAP_POINTS)}",
            lsoa_code=f"E0100{lsoa}",
            lsoa_name=f"{town.name} {lsoa % 60:03d}{'ABCDE'[lsoa % 5]}",
            crime_type=crime_type,
            outcome="" if crime_type == "Anti-social behaviour" else rng.choice(STREET_OUTCOMES),
        )

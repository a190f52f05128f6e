"""The planted intelligence reports: the network's story told in officers' words, across forces.

Each text names people, phones, registrations and places the way an officer writes them ("a male
known as 'Bash'", "07700 900030", "BD18 SXO"), and comes with what an investigator would type to
find it: paraphrases that share few words with the text, so that a search that only matches words
finds them late or not at all. These pairs are the ground truth of the search-quality tests.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from polegraph.scenario.network import Network
from polegraph.scenario.network_events import NetworkRecords, night
from polegraph.scenario.nominal import Named
from polegraph.scenario.population import Human
from polegraph.scenario.records import Grading, IntelReport, Planted
from polegraph.scenario.written import vrm_text

_CONDITIONS = "Not to be disseminated outside the Child Exploitation Team without DI approval"


@dataclass(frozen=True, slots=True)
class PlantedText:
    """One planted report: which force files it, its text and queries (templates), who it is about.

    People are named by role and number (``o1`` the leader, ``v2`` the second child); ``subjects``
    are (person, role) pairs written in the subject columns; ``vrms``/``phones`` name network
    vehicles (``focus``, ``bmw``, ``van``) and phones (``work``) written in the list columns.
    """

    text_id: str
    force: int  # 0, 1 or 2: the network's first, second or third force
    source: str
    text: str
    queries: tuple[str, str]
    about: tuple[str, ...]
    subjects: tuple[tuple[str, str], ...] = ()
    vrms: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    place: str = ""  # flat, hotel or house
    secret: bool = False


PLANTED = (
    PlantedText(
        "T1", 1, "Officer",
        "At 0340hrs officers attended the {hotel}, {hotel_street}, {t1} following a call from night staff. "
        "{v2_name} (14), reported missing from {t0}, was found in room 12 with two older males. Both males "
        "left the hotel in a silver Ford Focus {focus} before officers arrived.",
        ("missing 14 year old girl found with two men in a hotel room, men drove off in a silver Focus",
         "teenager found at a hotel late at night with older men"),
        ("v2", "o3", "o4"), vrms=("focus",), place="hotel",
    ),
    PlantedText(
        "T2", 0, "CHIS",
        "Source reports that a male known as '{nick}' is using mobile {work_phone} to arrange for girls aged "
        "13 to 15 to be brought to a flat above the {takeaway} on {flat_street}, {t0}. Girls are given "
        "vodka and cannabis.",
        ("young girls brought to a flat over a chip shop and given alcohol and drugs",
         "who is organising parties for underage girls at a flat in {t0}"),
        ("o1",), phones=("work",), place="flat", secret=True,
    ),
    PlantedText(
        "T3", 0, "Partner agency",
        "Staff at {carer} report that {v1_first} (15) is being collected most evenings at about 2200hrs by a "
        "black BMW {bmw}. She returns with new clothes and a new phone and will not say who bought them.",
        ("girl from a care home picked up at night by a man in a dark car, comes back with presents",
         "looked after child receiving gifts from an unknown adult driver"),
        ("v1", "o2"), subjects=(("v1", "VICTIM"),),
    ),
    PlantedText(
        "T4", 0, "Officer",
        "{o3_full} (DOB {o3_dob}) seen at {t0} Interchange with two schoolgirls in uniform, handing them a "
        "bottle of vodka. He is known to drive a white Vauxhall Vivaro van {van}.",
        ("adult giving alcohol to school pupils at the bus station",
         "man with a white van supplying drink to children"),
        ("o3",), subjects=(("o3", "SUBJECT"),), vrms=("van",),
    ),
    PlantedText(
        "T5", 1, "Technical",
        "ANPR analysis: {focus} and {bmw} travelling in convoy along the M62 between {t0} and {t1} on at "
        "least {convoys} occasions, late at night, minutes apart.",
        ("two cars driving together on the motorway at night between {t0} and {t1}",
         "vehicles moving in convoy late at night"),
        ("o1", "o2"), vrms=("focus", "bmw"),
    ),
    PlantedText(
        "T6", 2, "Partner agency",
        "School safeguarding lead reports {v3_name} (15) has told friends her boyfriend '{nick6}' is 24 and "
        "takes her to parties at a house in {t2}. His number is saved in her phone as '{nick6} x' - "
        "{o6_phone}.",
        ("15 year old says her older boyfriend takes her to parties",
         "schoolgirl with an adult boyfriend going to parties at a house in {t2}"),
        ("v3", "o6"), place="house",
    ),
    PlantedText(
        "T7", 1, "Public",
        "Taxi driver reports he is regularly asked to collect young girls from {flat_street}, {t0} and take "
        "them to the {hotel} in {t1}. The fare is paid in cash by a male called {nick}.",
        ("cab driver paid to drive young girls to a hotel",
         "taxi taking children to a hotel, paid by a man"),
        ("o1",),
    ),
    PlantedText(
        "T8", 1, "Officer",
        "{o1_name} and {o4_name} are believed to be sharing the phone {work_phone} which is used to contact "
        "a number of girls living in local children's homes.",
        ("two men using the same phone to contact girls in care",
         "shared mobile used to message children in care homes"),
        ("o1", "o4"), subjects=(("o1", "SUBJECT"), ("o4", "ASSOCIATE")), phones=("work",),
    ),
    PlantedText(
        "T9", 0, "Partner agency",
        "Return home interview: {v4_first} (13) disclosed she was at a 'party' at the flat above the shop "
        "on {flat_street}. She was given a phone by an older male she calls '{nick}' and told not to tell "
        "anyone.",
        ("child given a mobile phone by an older man and told to keep it secret",
         "13 year old went to a party at a flat above a shop"),
        ("v4", "o1"), subjects=(("v4", "VICTIM"),),
    ),
)  # fmt: skip


def _national(e164: str) -> str:
    return f"0{e164[3:7]} {e164[7:]}"


def _people(net: Network) -> dict[str, Human]:
    people = {f"o{n}": h for n, h in enumerate(net.offenders, 1)}
    return people | {f"v{n}": h for n, h in enumerate(net.victims, 1)}


def _values(net: Network, out: NetworkRecords, rng: random.Random) -> dict[str, str]:
    """What the templates name, written as an officer would."""
    people = _people(net)
    values = {
        "t0": net.towns[0].name, "t1": net.towns[1].name, "t2": net.towns[2].name,
        "hotel": net.hotel.premises, "hotel_street": net.hotel.street, "takeaway": net.takeaway.premises,
        "flat_street": net.flat.street, "carer": net.victims[0].home.premises or "the children's home",
        "nick": net.leader.street_name or "", "nick6": people["o6"].street_name or "",
        "work_phone": _national(net.work_phone), "o6_phone": _national(people["o6"].mobile or net.work_phone),
        "convoys": str(len(out.convoys)), "o3_dob": f"{people['o3'].dob:%d/%m/%Y}",
    }  # fmt: skip
    for key, shared in zip(("focus", "bmw", "van"), net.vehicles, strict=True):
        values[key] = vrm_text(shared.vehicle.vrm, rng).upper()
    for key, h in people.items():
        values |= {f"{key}_name": f"{h.forenames[0]} {h.surname.upper()}", f"{key}_first": h.forenames[0],
                   f"{key}_full": h.full_name}  # fmt: skip
    return values


def planted_intel(net: Network, out: NetworkRecords, rng: random.Random) -> None:
    """The planted reports, each filed by the force whose officers would have written it."""
    people, values = _people(net), _values(net, out, rng)
    vrms = dict(zip(("focus", "bmw", "van"), (s.vehicle.vrm for s in net.vehicles), strict=True))
    places = {"flat": net.flat, "hotel": net.hotel, "house": net.house}
    for p in PLANTED:
        recorded = night(rng)
        about = tuple(people[k] for k in p.about)
        grading = (
            Grading("3x5x2", "1", "B", "C", _CONDITIONS) if p.secret else Grading("3x5x2", "2", "B", "P")
        )
        queries = (p.queries[0].format(**values), p.queries[1].format(**values))
        out.intel[net.forces[p.force].code].append(
            IntelReport(
                recorded=recorded,
                occurred=recorded - dt.timedelta(days=rng.randrange(1, 6)),
                officer=f"{rng.choice(('PC', 'DC', 'PS'))} {rng.randrange(1000, 9999)}",
                source_type=p.source,
                grading=grading,
                classification="SECRET" if p.secret else "OFFICIAL-SENSITIVE",
                text=p.text.format(**values),
                subjects=tuple(Named(people[k], role) for k, role in p.subjects),
                phones=tuple(net.work_phone for _ in p.phones),
                vrms=tuple(vrms[k] for k in p.vrms),
                location=places[p.place] if p.place else None,
                about=about,
                planted=Planted(p.text_id, queries, tuple(h.person_id for h in about)),
            )
        )

"""The bystanders' intelligence, missing-person and ANPR records.

Intelligence texts are written as officers write them and include look-alikes of the planted
network's reports (a hotel, a car near a school, a missing teenager) that have nothing to do with
it, so that a search for the network's story has to rank by meaning, not by a shared word.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from polegraph.scenario.addresses import Address, house, public_place
from polegraph.scenario.background import when
from polegraph.scenario.forces import Site
from polegraph.scenario.identifiers import NETWORK_HOLDERS, Identifiers, misread
from polegraph.scenario.nominal import Named
from polegraph.scenario.population import Human, Population
from polegraph.scenario.rand import chance, stream, weighted
from polegraph.scenario.records import AnprRead, Episode, Grading, IntelReport
from polegraph.scenario.written import phone_text, vrm_text

# (text, who it needs): s a subject, v a subject with a vehicle, p one with a mobile, "" no one.
INTEL_TEXTS = (
    ("{who} is believed to be dealing cannabis from {address}. Callers attend for short periods.", "s"),
    ("{who} is driving a {colour} {make} {model} {vrm} whilst disqualified.", "v"),
    ("{who} is using mobile {phone} to sell counterfeit cigarettes and vapes to school children.", "p"),
    ("Group of youths causing ASB at {town} retail park most evenings, throwing stones at cars.", ""),
    ("Staff at a hotel in {town} report damage to rooms after a wedding party; guests left unpaid.", ""),
    ("A {colour} {make} seen outside a primary school in {town} at home time; driver thought a parent.", ""),
    ("A 15 year old boy is believed to carry a knife at {town} bus station after a row over a girl.", ""),
    ("Young people drinking in the park off {street}, {town}. No safeguarding concerns identified.", ""),
    ("{who} is storing stolen power tools in a garage at the rear of {address}.", "s"),
    ("Taxi firm in {town} reports a regular fare who pays cash and asks for different addresses.", ""),
)
_ABOUT_NO_ONE = tuple(t for t in INTEL_TEXTS if not t[1])
SOURCE_TYPES = (("Officer", 4), ("Public", 3), ("Partner agency", 1), ("CHIS", 1), ("Open source", 1))
OFFICERS = ("PC {n}", "DC {n}", "PS {n}", "PCSO {n}")
RISK_FACTORS = (
    "Mental health",
    "Substance misuse",
    "Going missing from school",
    "Family conflict",
    "Peer associations",
    "Self harm",
)


def grading(rng: random.Random) -> Grading:
    """A grading as reports carry them; one in twenty is a legacy 5x5x5 record."""
    if chance(rng, 0.05):
        return Grading("5x5x5", rng.choice("ABC"), rng.choice("1234"), rng.choice("1234"))
    handling = "C" if chance(rng, 0.2) else "P"
    conditions = (
        "Not to be disseminated outside the force without the intelligence unit's approval"
        if handling == "C"
        else ""
    )
    return Grading("3x5x2", rng.choice("1222223"), rng.choice("ABBCCCD"), handling, conditions)


def intel_reports(pop: Population, force_index: int, count: int) -> Iterator[IntelReport]:
    """``count`` ordinary intelligence reports of one force."""
    rng = stream(pop.seed, "background-intel", force_index)
    force = pop.forces[force_index]
    for _ in range(count):
        template, needs = rng.choice(INTEL_TEXTS)
        subject = pop.pick(rng, force_index)
        for _ in range(5):  # a report about a vehicle or a phone needs someone with one
            if (needs != "v" or subject.vehicle) and (needs != "p" or subject.mobile):
                break
            subject = pop.pick(rng, force_index)
        vehicle, mobile = subject.vehicle, subject.mobile
        if (needs == "v" and vehicle is None) or (needs == "p" and mobile is None):
            template, needs = rng.choice(_ABOUT_NO_ONE)
        town = rng.choice(force.towns)
        text = template.format(
            who=f"{subject.forenames[0]} {subject.surname.upper()}",
            address=subject.home.line(),
            colour=vehicle.colour if vehicle else "",
            make=vehicle.make if vehicle else "",
            model=vehicle.model if vehicle else "",
            vrm=vrm_text(vehicle.vrm, rng).upper() if vehicle else "",
            phone=phone_text(mobile, rng) if mobile else "",
            town=town.name,
            street=rng.choice(("Park Road", "Church Street")),
        )
        named = bool(needs)
        recorded = when(rng)
        yield IntelReport(
            recorded=recorded,
            occurred=recorded - dt.timedelta(days=rng.randrange(0, 10)),
            officer=rng.choice(OFFICERS).format(n=rng.randrange(1000, 9999)),
            source_type=weighted(rng, SOURCE_TYPES),
            grading=grading(rng),
            classification="OFFICIAL-SENSITIVE" if chance(rng, 0.7) else "OFFICIAL",
            text=text,
            subjects=(Named(subject, "SUBJECT"),) if named and chance(rng, 0.7) else (),
            phones=(mobile,) if needs == "p" and mobile and chance(rng, 0.5) else (),
            vrms=(vehicle.vrm,) if needs == "v" and vehicle and chance(rng, 0.5) else (),
            location=subject.home if needs == "s" and chance(rng, 0.5) else None,
            about=(subject,) if named else (),
        )


def episodes(pop: Population, force_index: int, count: int) -> Iterator[Episode]:
    """``count`` ordinary missing-person episodes of one force (children, repeat runaways among them)."""
    rng = stream(pop.seed, "background-missing", force_index)
    # Its own stream: who a child was found with leaves every other draw of the episodes as it was.
    company = stream(pop.seed, "background-found-with", force_index)
    force = pop.forces[force_index]
    for _ in range(count):
        child = pop.pick(rng, force_index, child=True, local=1.0)
        start = when(rng, night=chance(rng, 0.6))
        town = (
            next(t for t in force.towns if t.name == child.home.town)
            if child.force == force.code
            else force.towns[0]
        )
        found_at = start + dt.timedelta(hours=rng.randrange(2, 40)) if chance(rng, 0.95) else None
        found_kind = rng.randrange(3)
        found: Address | str = child.home
        if found_kind == 1:  # at a friend's
            found = house(pop.seed, force, rng.randrange(10**6), town=town)
        elif found_kind == 2:
            found = public_place(town, child.home.street, rng.randrange(8))
        factors = tuple(rng.sample(RISK_FACTORS, rng.randrange(0, 3)))
        # Now and then at a friend's with the friend's parent: a bystander, found with one child once.
        adult = pop.pick(company, force_index) if found_kind == 1 and chance(company, 0.4) else None
        yield Episode(
            missing=Named(child, "MISSING_PERSON", detail=0.9),
            episode=rng.choice((1, 1, 1, 2, 2, 3, 4, 6)),
            reported=start + dt.timedelta(hours=rng.randrange(1, 5)),
            last_seen_at=start,
            last_seen_place=public_place(town, child.home.street, rng.randrange(8)),
            missing_from="Care placement" if child.care_home else "Home",
            missing_from_address=child.home,
            risk_level=rng.choice(("Low", "Low", "Medium", "Medium", "High")),
            risk_factors=factors,
            looked_after=child.care_home,
            found_at=found_at,
            found_place=found if found_at else None,
            found_with=Named(adult, "FOUND_WITH", detail=0.3) if adult and found_at else None,
        )


def anpr_reads(
    pop: Population, ids: Identifiers, force_index: int, count: int, sites: tuple[Site, ...]
) -> Iterator[AnprRead]:
    """``count`` reads of one force's cameras: residents' cars, and many vehicles nobody here owns."""
    rng = stream(pop.seed, "background-anpr", force_index)
    strangers = max(pop.people, 1000) * 2
    for _ in range(count):
        keeper: Human | None = None
        if chance(rng, 0.5):
            for _ in range(4):
                candidate = pop.pick(rng, force_index)
                if candidate.vehicle:
                    keeper = candidate
                    break
        if keeper is not None and keeper.vehicle is not None:
            vrm = keeper.vehicle.vrm
        else:
            vrm = ids.vehicle(NETWORK_HOLDERS + pop.people + rng.randrange(strangers)).vrm
        read_as = misread(vrm, rng) if chance(rng, 0.03) else vrm
        site = rng.choice(sites)
        hit = weighted(
            rng, (("", 60.0), ("PNC stolen", 0.5), ("No insurance (MID)", 1.0), ("Local intelligence", 0.5))
        )
        yield AnprRead(
            vrm=vrm,
            read_as=read_as,
            time=when(rng).replace(second=rng.randrange(60)),
            site=site,
            direction=rng.choice(("Northbound", "Southbound", "Eastbound", "Westbound")),
            lane=rng.choice((1, 1, 2)),
            confidence=round(rng.uniform(0.6, 0.99) if read_as == vrm else rng.uniform(0.5, 0.8), 2),
            keeper=keeper,
            hit_list=hit,
        )

"""Query sets for search-quality tests: names as investigators type them, identifiers in other formats.

A bounded set of people is *watched* (the network's members, a few frequent people of each force,
and strangers who share the commonest network name), so that while the records stream past the
ledger can note every record naming them. After generation each watched person gives name queries
(nickname, transliteration, typo, swapped order) whose expected answers are all their Person
nodes, and each watched identifier gives a query written differently from any stored form.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from polegraph.scenario.network import Network
from polegraph.scenario.population import Human, Population
from polegraph.scenario.spelling import typo, variants_of
from polegraph.scenario.truth import Ledger
from polegraph.scenario.written import other_phone_format, vrm_text

_FREQUENT = (1, 2, 3, 10, 11)  # per force: three frequent adults, one child, one more adult
MAX_NAMESAKES = 50


def watched_population(pop: Population) -> list[Human]:
    """A few frequent people of each force (they appear in many records)."""
    forces = len(pop.forces)
    chosen = []
    for force_index in range(forces):
        for j in _FREQUENT:
            if j < pop.local_count(force_index):
                chosen.append(pop.human(j * forces + force_index))
    return chosen


def watched_identifiers(people: Iterable[Human], net: Network) -> set[tuple[str, str]]:
    """The phones, registrations and postcodes whose records the query sets need."""
    ids: set[tuple[str, str]] = set()
    for h in people:
        ids.update(("phone", p) for p in h.phones)
        if h.vehicle:
            ids.add(("vrm", h.vehicle.vrm))
        ids.add(("postcode", h.home.postcode))
    ids.update(("phone", p) for p in net.phone_holders())
    ids.update(("vrm", s.vehicle.vrm) for s in net.vehicles)
    ids.update(("postcode", a.postcode) for a in (net.flat, net.hotel, net.house))
    return ids


def name_queries(
    people: Iterable[Human], ledger: Ledger, namesakes: dict[str, list[str]], rng: random.Random
) -> list[dict[str, Any]]:
    """Name queries per watched person that some record names, with their expected Person uids."""
    queries: list[dict[str, Any]] = []
    for h in people:
        expected = sorted(set(ledger.person_uids.get(h.person_id, ())))
        if not expected:
            continue
        first, surname = h.forenames[0], h.surname
        forms = [
            ("exact", f"{first} {surname}"),
            ("surname_first", f"{surname.upper()}, {first}"),
            ("order_swapped", f"{surname} {first}"),
            ("typo", f"{first} {typo(surname, rng)}"),
        ]
        if variants := variants_of(first):
            forms.append(("forename_variant", f"{rng.choice(variants)} {surname}"))
        if variants := variants_of(surname):
            forms.append(("surname_variant", f"{first} {rng.choice(variants)}"))
        for kind, text in forms:
            queries.append(
                {
                    "query": text,
                    "kind": kind,
                    "dob": h.dob.isoformat(),
                    "person_id": h.person_id,
                    "expected_person_uids": expected,
                    "namesakes": namesakes.get(f"{first} {surname}".upper(), [])[:MAX_NAMESAKES],
                }
            )
    return queries


def identifier_queries(ledger: Ledger, rng: random.Random) -> list[dict[str, Any]]:
    """One query per watched identifier that some record holds, written in another format."""
    queries: list[dict[str, Any]] = []
    for (kind, value), keys in sorted(ledger.id_records.items()):
        if kind == "phone":
            written = other_phone_format(value, value)
        elif kind == "vrm":
            written = vrm_text(value, rng).lower()
        elif kind == "postcode":
            written = value.replace(" ", "").lower()
        else:
            continue
        queries.append(
            {"kind": kind, "stored": value, "query": written, "expected_source_keys": sorted(set(keys))}
        )
    return queries

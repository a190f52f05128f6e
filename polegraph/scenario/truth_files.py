"""The ground-truth files beside ``truth/records.jsonl``: every human, and ``ground_truth.json``.

``truth/humans.jsonl`` lists every person of the population and the network with their true
details (streamed, one line each). ``ground_truth.json`` holds what is small: the network (members,
places, vehicles, phones with their users, convoys, where and with whom each child was found), the
planted intelligence texts with the queries that should find them, and the name and identifier
query sets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from polegraph.scenario.addresses import Address
from polegraph.scenario.forces import Force
from polegraph.scenario.network import Network
from polegraph.scenario.network_events import NetworkRecords
from polegraph.scenario.population import Human, Population
from polegraph.scenario.queries import MAX_NAMESAKES
from polegraph.scenario.truth import Ledger


def human_entry(h: Human, role: str = "") -> dict[str, Any]:
    """A human's true details, as the ground truth states them."""
    entry: dict[str, Any] = {
        "person_id": h.person_id,
        "forenames": list(h.forenames),
        "surname": h.surname,
        "sex": h.sex,
        "dob": h.dob.isoformat(),
        "force": h.force,
        "background": h.background,
        "home": h.home.line(),
        "postcode": h.home.postcode,
        "mobile": h.mobile,
        "landline": h.landline,
        "vrm": h.vehicle.vrm if h.vehicle else None,
        "pnc_id": h.pnc_id,
        "cro": h.cro,
        "nino": h.nino,
        "imei": h.imei,
        "street_name": h.street_name,
        "looked_after": h.care_home,
    }
    if role:
        entry["network_role"] = role
    return entry


def write_humans(path: Path, pop: Population, net: Network) -> dict[str, list[str]]:
    """Write every human; returns the strangers who share each offender's name (name -> person ids)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = {f"{o.forenames[0]} {o.surname}".upper(): o for o in net.offenders}
    namesakes: dict[str, list[str]] = {name: [] for name in names}
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for h in net.offenders:
            out.write(json.dumps(human_entry(h, "OFFENDER"), ensure_ascii=False) + "\n")
        for h in net.victims:
            out.write(json.dumps(human_entry(h, "VICTIM"), ensure_ascii=False) + "\n")
        for index in range(pop.people):
            h = pop.build(index)  # not through the cache: every person once would only evict it
            out.write(json.dumps(human_entry(h), ensure_ascii=False) + "\n")
            name = f"{h.forenames[0]} {h.surname}".upper()
            if name in namesakes and len(namesakes[name]) < MAX_NAMESAKES:
                namesakes[name].append(h.person_id)
    return {name: ids for name, ids in namesakes.items() if ids}


def _place(a: Address) -> dict[str, Any]:
    return {"address": a.line(), "postcode": a.postcode, "latitude": a.latitude, "longitude": a.longitude}


def ground_truth(
    seed: int,
    forces: tuple[Force, ...],
    people: int,
    net: Network,
    records: NetworkRecords,
    ledger: Ledger,
    namesakes: dict[str, list[str]],
    name_queries: list[dict[str, Any]],
    identifier_queries: list[dict[str, Any]],
) -> dict[str, Any]:
    """The body of ``ground_truth.json``."""
    return {
        "seed": seed,
        "forces": [f.code for f in forces],
        "people": people,
        "records": "truth/records.jsonl",
        "humans": "truth/humans.jsonl",
        "how_to_read": (
            "records.jsonl: one line per source record; 'humans' lists who it names (person_id is the real "
            "human, person_uid the Person node the loader makes). Two person_uids with one person_id are "
            "the same human (polegraph.scenario.truth.same_human_pairs)."
        ),
        "network": {
            "forces": [f.code for f in net.forces],
            "towns": [t.name for t in net.towns],
            "leader": net.leader.person_id,
            "offenders": [human_entry(h, "OFFENDER") for h in net.offenders],
            "victims": [human_entry(h, "VICTIM") for h in net.victims],
            "places": {
                "flat": _place(net.flat),
                "takeaway": _place(net.takeaway),
                "hotel": _place(net.hotel),
                "house": _place(net.house),
            },
            "vehicles": [
                {
                    "vrm": s.vehicle.vrm,
                    "make": s.vehicle.make,
                    "model": s.vehicle.model,
                    "colour": s.vehicle.colour,
                    "drivers": [d.person_id for d in s.drivers],
                }
                for s in net.vehicles
            ],
            "phones": net.phone_holders(),
            "shared_phones": {"work": net.work_phone, "gift": net.gift_phone},
            "handsets": {"work": net.work_imei, "gift": net.gift_imei},
            "convoys": records.convoys,
            "found_at": dict(records.found_at),
            "found_with": dict(records.found_with),
            "namesakes": namesakes,
            "leader_records": sorted(set(ledger.person_records.get(net.leader.person_id, []))),
        },
        "intel_queries": [
            {
                "text_id": p.text_id,
                "source_key": p.source_key,
                "text": p.text,
                "queries": list(p.queries),
                "about": list(p.about),
            }
            for p in sorted(ledger.planted, key=lambda p: p.text_id)
        ],
        "name_queries": name_queries,
        "identifier_queries": identifier_queries,
    }

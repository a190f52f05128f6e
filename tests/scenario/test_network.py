"""The planted network is there to be found: shared phones, cars and places, repeat missing
episodes, convoys, and a commonly named offender who shares his name with strangers."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

from polegraph.types import anpr_key
from tests.scenario.conftest import Scenario


def _network(scenario: Scenario) -> dict[str, Any]:
    return dict(json.loads((scenario.root / "ground_truth.json").read_text(encoding="utf-8"))["network"])


def test_the_network_has_its_size_and_shares_phones_cars_and_places(scenario: Scenario) -> None:
    net = _network(scenario)
    offenders = {o["person_id"] for o in net["offenders"]}
    victims = {v["person_id"] for v in net["victims"]}
    assert 5 <= len(offenders) <= 12
    assert 4 <= len(victims) <= 10
    shared = [users for users in net["phones"].values() if len(users) > 1]
    assert any(set(users) <= offenders for users in shared)  # the work phone
    assert any(set(users) <= victims for users in shared)  # the phone handed from child to child
    assert all(len(v["drivers"]) >= 2 and set(v["drivers"]) <= offenders for v in net["vehicles"])
    homes = [o["home"] for o in net["offenders"]]
    assert homes.count(net["places"]["flat"]["address"]) == 2
    for victim, places in net["found_at"].items():
        assert victim in victims
        assert len(places) >= 3  # repeatedly missing
        assert {"flat", "hotel", "house", "car"} & set(places)


def test_a_network_phone_is_one_node_in_records_of_several_forces(scenario: Scenario) -> None:
    net = _network(scenario)
    forces = scenario.forces_by_node()
    work = f"phone:{net['shared_phones']['work']}"
    assert len(forces[work]) >= 2
    systems = {e.system for e in scenario.manifest.files if work in scenario.parsed[e.path].nodes}
    assert {"CDR", "UFDR", "INTEL"} <= systems


def test_children_are_found_at_the_network_flat(scenario: Scenario) -> None:
    net = _network(scenario)
    flat_postcode = net["places"]["flat"]["postcode"]
    found = [
        end
        for parsed in scenario.parsed.values()
        for rel, _, end, props in parsed.edges
        if rel == "OCCURRED_AT" and props.get("role") == "FOUND"
    ]
    nodes = scenario.all_nodes()
    at_flat = [uid for uid in found if nodes[uid].get("postcode") == flat_postcode]
    assert len(at_flat) >= 2


def test_network_cars_pass_the_same_cameras_minutes_apart_on_several_nights(scenario: Scenario) -> None:
    net = _network(scenario)
    assert len(net["convoys"]) >= 4
    reads: dict[str, list[tuple[str, dt.datetime]]] = defaultdict(list)  # camera -> (vrm key, time)
    nodes = scenario.all_nodes()
    for parsed in scenario.parsed.values():
        for rel, start, end, _ in parsed.edges:
            if rel == "READ_AT":
                read = nodes[start]
                when = dt.datetime.fromisoformat(str(read["occurred_from"]))
                reads[end].append((anpr_key(str(read["vrm_as_read"])), when))
    cars = [anpr_key(v["vrm"]) for v in net["vehicles"]]
    together = 0
    for seen in reads.values():
        for key_a, time_a in seen:
            for key_b, time_b in seen:
                if key_a == cars[0] and key_b in cars[1:] and abs(time_a - time_b) <= dt.timedelta(minutes=5):
                    together += 1
    assert together >= 8
    misreads = [r for c in net["convoys"] for r in c["reads"] if r["read_as"] != r["vrm"]]
    assert all(anpr_key(r["read_as"]) == anpr_key(r["vrm"]) for r in misreads)


def test_a_common_name_is_shared_by_strangers(scenario: Scenario) -> None:
    net = _network(scenario)
    second = net["offenders"][1]
    name = f"{second['forenames'][0]} {second['surname']}".upper()
    assert name in {"JOHN SMITH", "MOHAMMED KHAN"}
    strangers = net["namesakes"][name]
    assert strangers
    assert all(not p.startswith("N-") for p in strangers)

"""The analyses on the generated scenario find its planted network; another force sees none of it.

The scenario (``polegraph.scenario``) plants an exploitation network: offenders and children who
share phones, vehicles and places, call data on the shared "work" phone and the leader's phone,
two seized handsets, and convoys on ANPR. Its ground truth names them all. Every file but the
open data is loaded through its loader.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from neo4j import Driver

from polegraph.analytics.colocation import convoys, people_sharing
from polegraph.analytics.comms import common_contacts, communications, contact_chains
from polegraph.analytics.network import network
from polegraph.config import Settings
from polegraph.errors import PolegraphError
from polegraph.graph.subgraph import SubgraphRequest
from polegraph.loadplan import read_plan
from polegraph.scenario import generate
from polegraph.security.policy import Principal
from tests.analytics.conftest import analyst, load_to_graph
from tests.conftest import Engines, empty

PEOPLE_LINKS = (
    "HAS_PHONE",
    "LIVES_AT",
    "DRIVES",
    "KNOWS",
    "INVOLVED_IN",
    "SUBJECT_OF",
    "CALLED",
    "SENT",
    "RECEIVED",
)


@dataclass
class Planted:
    """The loaded scenario and what its ground truth says about the network."""

    engines: Engines
    network: dict[str, Any]
    person_of: dict[str, str]  # Person node uid -> the human (person_id)

    @property
    def db(self) -> str:
        return self.engines.settings.neo4j_database

    def phone(self, e164: str) -> str:
        return f"phone:{e164}"

    @property
    def offender_phones(self) -> set[str]:
        return {self.phone(o["mobile"]) for o in self.network["offenders"] if o.get("mobile")}

    @property
    def network_phones(self) -> set[str]:
        return {self.phone(p) for p in self.network["phones"]}

    @property
    def members(self) -> set[str]:
        return {h["person_id"] for h in self.network["offenders"] + self.network["victims"]}


@pytest.fixture(scope="module")
def planted(
    stack: Settings, neo4j_driver: Driver, es_client: Elasticsearch, tmp_path_factory: pytest.TempPathFactory
) -> Planted:
    engines = Engines(stack, neo4j_driver, es_client)
    empty(engines)
    root = tmp_path_factory.mktemp("scenario")
    generate(root, forces=3, people=100, seed=7)
    for item in read_plan(root):
        if item.format.startswith("police-uk"):
            continue
        load_to_graph(
            engines, item.format, item.path, item.force, options=item.options,
            classification=item.classification, caveat=item.caveat, handling_code=item.handling_code,
            handling_conditions=item.handling_conditions,
        )  # fmt: skip
    person_of: dict[str, str] = {}
    with (root / "truth" / "records.jsonl").open(encoding="utf-8") as records:
        for line in records:
            for human in json.loads(line)["humans"]:
                if human.get("person_uid"):
                    person_of[human["person_uid"]] = human["person_id"]
    truth = json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))
    return Planted(engines, truth["network"], person_of)


def _everyone() -> Principal:
    return analyst("GMP", readable=("WYP", "LAN"))


def test_network_phones_rank_above_bystanders_and_the_leader_is_the_key_player(planted: Planted) -> None:
    work = planted.phone(planted.network["shared_phones"]["work"])
    leader = planted.phone(planted.network["offenders"][0]["mobile"])
    request = SubgraphRequest(seeds=(work, leader), hops=2, relationship_types=("CALLED", "SENT", "RECEIVED"))
    result = network(planted.engines.driver, planted.db, _everyone(), request)
    phones = [m for m in result.nodes if m.node.label == "Phone"]
    bystanders = [m for m in phones if m.node.uid not in planted.network_phones]
    assert bystanders, "the call data names ordinary people too"
    core = planted.offender_phones | {work, planted.phone(planted.network["shared_phones"]["gift"])}
    assert core <= {m.node.uid for m in phones}
    for measure in ("weighted_degree", "pagerank"):
        best_bystander = max(getattr(m, measure) for m in bystanders)
        assert all(getattr(m, measure) > best_bystander for m in phones if m.node.uid in core), measure
        members = [getattr(m, measure) for m in phones if m.node.uid in planted.network_phones]
        assert sum(members) / len(members) > 2 * sum(getattr(m, measure) for m in bystanders) / len(
            bystanders
        )
    assert set(result.key_players[:2]) == {leader, work}  # the two hubs: cut them and the network falls apart


def test_the_group_is_one_community(planted: Planted) -> None:
    leader = planted.network["leader"]
    seeds = tuple(uid for uid, human in planted.person_of.items() if human == leader)
    request = SubgraphRequest(seeds=seeds, hops=2, relationship_types=PEOPLE_LINKS)
    result = network(planted.engines.driver, planted.db, _everyone(), request)
    people = [m for m in result.nodes if m.node.label == "Person" and m.node.uid in planted.person_of]
    by_community: dict[int, list[str]] = {}
    for m in people:
        by_community.setdefault(m.community, []).append(planted.person_of[m.node.uid])
    group = max(by_community.values(), key=lambda humans: sum(h in planted.members for h in humans))
    assert set(group) <= planted.members, "no bystander in the network's community"
    offenders = {o["person_id"] for o in planted.network["offenders"]}
    seen = {planted.person_of[m.node.uid] for m in people} & offenders
    assert offenders & set(group) == seen
    assert Counter(h in planted.members for h in group)[True] >= len(planted.members) // 2


def test_the_convoys_are_found(planted: Planted) -> None:
    found = convoys(
        planted.engines.driver, planted.db, _everyone(), within=dt.timedelta(minutes=5), min_occasions=2
    )
    truth = Counter(frozenset(c["vrms"]) for c in planted.network["convoys"])
    pairs = {frozenset({t.a.caption, t.b.caption}): t for t in found}
    for pair, occasions in truth.items():
        assert pair in pairs, sorted(pair)
        # A misread plate is another vehicle: an occasion can be lost, never invented.
        assert 2 <= pairs[pair].occasions <= occasions
    network_vrms = {v["vrm"] for v in planted.network["vehicles"]}
    assert all({t.a.caption, t.b.caption} & network_vrms for t in found)
    assert {found[0].a.caption, found[0].b.caption} in [set(p) for p in truth]


def test_communications_of_the_work_phone(planted: Planted) -> None:
    work = planted.phone(planted.network["shared_phones"]["work"])
    leader = planted.phone(planted.network["offenders"][0]["mobile"])
    db, driver, who = planted.db, planted.engines.driver, _everyone()
    summary = communications(
        driver, db, who, [work], top=10, new_since=dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    )
    assert summary.events == summary.calls + summary.messages > 100
    assert sum(map(sum, summary.weekday_hour)) == summary.events == sum(n for _, n in summary.daily)
    # Mostly at night, as planted.
    night = sum(summary.weekday_hour[d][h] for d in range(7) for h in (*range(19, 24), *range(0, 5)))
    assert night > summary.events / 2
    assert {c.node.uid for c in summary.contacts[:5]} <= planted.network_phones
    assert all(c.first is not None and c.first >= summary.new_since for c in summary.new_contacts)  # type: ignore[operator]
    common = common_contacts(driver, db, who, [work, leader])
    assert {c.node.uid for c in common[:5]} <= planted.network_phones
    # A person stands for every number they use.
    users, _, _ = driver.execute_query(
        "MATCH (p:Person)-[:HAS_PHONE]->(:Phone {uid: $uid}) RETURN p.uid AS uid ORDER BY uid LIMIT 1",
        {"uid": leader}, database_=db,
    )  # fmt: skip
    as_person = communications(driver, db, who, [users[0]["uid"]])
    assert leader in {e.uid for e in as_person.endpoints}
    assert as_person.events >= communications(driver, db, who, [leader]).events
    chains = contact_chains(driver, db, who, leader, max_gap=dt.timedelta(hours=6))
    assert all(c.second_at - c.first_at <= dt.timedelta(hours=6) for c in chains)
    assert all(c.relay not in (leader,) and c.target != leader for c in chains)


def test_people_sharing_addresses_phones_and_vehicles(planted: Planted) -> None:
    work = planted.network["shared_phones"]["work"]
    links = people_sharing(planted.engines.driver, planted.db, _everyone())
    sharing_work = {
        planted.person_of.get(uid)
        for link in links
        if any(n.caption == work for n in link.shared.get("phone", []))
        for uid in (link.a.uid, link.b.uid)
    }
    users = set(planted.network["phones"][work])
    assert len(users & sharing_work) >= 2
    assert sharing_work - {None} <= users


def _forces(planted: Planted, uids: set[str]) -> set[str]:
    """The forces of the records behind the nodes, from their access tokens: a phone GMP recorded
    first and LAN too is held by both."""
    records, _, _ = planted.engines.driver.execute_query(
        "UNWIND $uids AS uid MATCH (n:Entity {uid: uid}) UNWIND n.access AS token "
        "RETURN DISTINCT split(token, '|')[0] AS force",
        {"uids": sorted(uids)}, database_=planted.db,
    )  # fmt: skip
    return {r["force"] for r in records}


def _held_by(planted: Planted, uids: set[str], force: str) -> bool:
    """Every one of the nodes is held by a record of ``force``."""
    return all(force in _forces(planted, {uid}) for uid in uids)


def test_another_force_sees_none_of_the_call_data(planted: Planted) -> None:
    """The call data and extractions are GMP's: a Lancashire analyst without sharing sees none of them."""
    lan = analyst("LAN")
    work = planted.phone(planted.network["shared_phones"]["work"])
    leader = planted.phone(planted.network["offenders"][0]["mobile"])
    db, driver = planted.db, planted.engines.driver
    readable = [p for p in (work, leader) if _held_by(planted, {p}, "LAN")]
    if len(readable) < 2:
        with pytest.raises(PolegraphError, match="no such subject"):
            communications(driver, db, lan, [work, leader])
    if readable:
        summary = communications(driver, db, lan, readable)
        assert summary.events == 0
        assert summary.contacts == []
    request = SubgraphRequest(seeds=(work, leader), hops=3)
    result = network(driver, db, lan, request)
    assert _held_by(planted, {m.node.uid for m in result.nodes}, "LAN")
    for together in convoys(driver, db, lan, min_occasions=1):
        assert _held_by(
            planted, {together.a.uid, together.b.uid, *(s.site for s in together.sightings)}, "LAN"
        )
    for link in people_sharing(driver, db, lan):
        shared = {n.uid for objects in link.shared.values() for n in objects}
        assert _held_by(planted, {link.a.uid, link.b.uid, *shared}, "LAN")

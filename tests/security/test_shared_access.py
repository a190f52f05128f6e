"""Shared nodes and edges under the access policy: each force reads them through its own records.

Two phones, loaded through the real crime loader in this order:

- ``07911 200001`` is first recorded by GMP under handling code C, then by a WYP record of its own
  (scenario a): WYP must see its own phone, with its own raw value and source only, and nothing of
  GMP's conditional record;
- ``07911 200002`` is first recorded by WYP, then by GMP under C and by GMP at SECRET (scenario b):
  WYP must not learn of either GMP record through the phone (raw values, sources, neighbours, paths,
  labels, restricted counts).

Both crimes happen at one address, so the ``IN_POSTCODE`` edge of that address is asserted by a GMP
record under C and a WYP record: an edge of two forces.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from neo4j import Driver

from polegraph.config import Settings
from polegraph.graph.network import neighbourhood, paths
from polegraph.graph.read import GraphDb, NodeKey, links, nodes_by_key
from polegraph.ingest import load_file
from polegraph.search.query import by_force, search
from polegraph.search.results import restricted_counts
from polegraph.security.policy import Principal, es_restricted_filter
from tests.conftest import Engines, empty
from tests.graph.scenario import CRIME_HEADER, execute, gid

ADDRESS = '"2 Canal Street, Manchester",M1 3HE'
GMP_CONDITIONAL = CRIME_HEADER + (
    f"GX/1,Drug supply,2024-05-01T12:00:00,{ADDRESS},Supply of class A,"
    "Suspect,HARRIS,Hal,,01/01/1981,07911 200001,,,,,,\n"
)
GMP_CONDITIONAL_LATER = CRIME_HEADER + (
    'GX/2,Drug supply,2024-05-02T12:00:00,"Piccadilly, Manchester",M1 1AA,Supply of class A,'
    "Suspect,JONES,Jim,,02/02/1982,0044 7911 200002,,,,,,\n"
)
WYP_CRIMES = CRIME_HEADER + (
    f"WX/1,Theft,2024-05-03T12:00:00,{ADDRESS},Bag taken,"
    "Suspect,IRVING,Ian,,03/03/1983,+44 7911 200001,,Victim,LEWIS,Lee,04/04/1984,07911200002\n"
)
GMP_SECRET = CRIME_HEADER + (
    'GX/3,Firearms,2024-05-04T12:00:00,"Deansgate, Manchester",M3 2BW,Firearm recovered,'
    "Suspect,KING,Ken,,05/05/1985,(07911) 200002,,,,,,\n"
)
CONDITIONS = "GMP serious crime only"
# (file, text, force, classification, handling code), in load order.
FILES = (
    ("gmp_conditional.csv", GMP_CONDITIONAL, "GMP", "OFFICIAL", "C"),
    ("wyp_crimes.csv", WYP_CRIMES, "WYP", "OFFICIAL", None),
    ("gmp_conditional_later.csv", GMP_CONDITIONAL_LATER, "GMP", "OFFICIAL", "C"),
    ("gmp_secret.csv", GMP_SECRET, "GMP", "SECRET", None),
)

PHONE_A = "phone:+447911200001"  # GMP's under C first, then WYP's
PHONE_B = "phone:+447911200002"  # WYP's first, then GMP's under C and at SECRET
INVESTIGATOR = frozenset({"investigator"})
# Shares with GMP, but GMP's conditional records are GMP's only.
WYP = Principal("w.officer", "WYP", frozenset({"GMP"}), "OFFICIAL", INVESTIGATOR)
GMP = Principal("g.officer", "GMP", frozenset({"WYP"}), "OFFICIAL", INVESTIGATOR)
GMP_CLEARED = Principal("g.secret", "GMP", frozenset(), "SECRET", INVESTIGATOR)
# Cleared SECRET, shares with GMP: but GMP's conditional records are GMP's only, and WYP's are WYP's.
LAN = Principal("l.officer", "LAN", frozenset({"GMP"}), "SECRET", INVESTIGATOR)


def person(force: str, ref: str, n: int = 1) -> NodeKey:
    return NodeKey("Person", f"person:{force}:CRIME:{ref}:nominal{n}")


def source(force: str, ref: str) -> str:
    return f"src:{force}:CRIME:{ref}"


@dataclass
class Shared(Engines):
    def db(self) -> GraphDb:
        return GraphDb(self.driver, self.settings.neo4j_database, 30.0)

    def stored(self, uid: str) -> dict[str, Any]:
        records, _, _ = self.driver.execute_query(
            "MATCH (n:Entity {uid: $uid}) RETURN properties(n) AS p", uid=uid,
            database_=self.settings.neo4j_database,
        )  # fmt: skip
        return dict(records[0]["p"])


def load(engines: Engines, folder: Path) -> None:
    empty(engines)
    for name, text, force, classification, handling in FILES:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        summary = load_file(
            engines.settings, engines.driver, engines.es, "crime", path, force=force,
            classification=classification, handling_code=handling,
            handling_conditions=CONDITIONS if handling == "C" else None,
        )  # fmt: skip
        assert summary.quarantined == 0, summary
    engines.es.indices.refresh(index=engines.settings.index_name("entities"))


@pytest.fixture(scope="module", name="shared")
def shared_fixture(
    stack: Settings, neo4j_driver: Driver, es_client: Elasticsearch, tmp_path_factory: pytest.TempPathFactory
) -> Shared:
    engines = Shared(stack, neo4j_driver, es_client)
    load(engines, tmp_path_factory.mktemp("shared"))
    return engines


def test_the_writer_gathers_one_token_per_record_labels_owner_first(shared: Shared) -> None:
    phone_a, phone_b = shared.stored(PHONE_A), shared.stored(PHONE_B)
    assert (phone_a["force"], phone_a["handling_code"]) == ("GMP", "C")  # the owner's labels stay
    assert phone_a["access"] == ["GMP|OFFICIAL|C", "WYP|OFFICIAL|P"]
    assert phone_b["access"] == ["WYP|OFFICIAL|P", "GMP|OFFICIAL|C", "GMP|SECRET|P"]
    assert sorted(phone_b["raw_access"]) == [
        "GMP|OFFICIAL|C|0044 7911 200002", "GMP|SECRET|P|(07911) 200002", "WYP|OFFICIAL|P|07911200002",
    ]  # fmt: skip
    # Nodes of one record have its one token.
    assert shared.stored(person("GMP", "GX/3").uid)["access"] == ["GMP|SECRET|P"]


def test_a_force_reads_its_own_phone_first_recorded_by_another_under_conditions(shared: Shared) -> None:
    (found,) = nodes_by_key(shared.db(), WYP, [NodeKey("Phone", PHONE_A)]).values()
    # WYP's own labels and raw value: nothing of GMP's record, its conditions or its raw form.
    assert (found.props["force"], found.props["handling_code"]) == ("WYP", "P")
    assert "handling_conditions" not in found.props
    assert found.props["raw_values"] == ["+44 7911 200001"]
    # GMP reads both records (WYP shares with it): the owner's labels and both raw values.
    (owner,) = nodes_by_key(shared.db(), GMP, [NodeKey("Phone", PHONE_A)]).values()
    assert (owner.props["force"], owner.props["handling_conditions"]) == ("GMP", CONDITIONS)
    assert sorted(owner.props["raw_values"]) == ["+44 7911 200001", "07911 200001"]
    # LAN holds no record of it and reads no GMP condition: not there.
    assert nodes_by_key(shared.db(), LAN, [NodeKey("Phone", PHONE_A)]) == {}


def test_a_phone_shared_later_under_conditions_or_secret_shows_only_what_each_may_read(
    shared: Shared,
) -> None:
    key = NodeKey("Phone", PHONE_B)
    raw = {p.user: sorted(n.props["raw_values"]) for p in (WYP, GMP, GMP_CLEARED) for n in nodes_by_key(
        shared.db(), p, [key]).values()}  # fmt: skip
    assert raw == {
        "w.officer": ["07911200002"],
        "g.officer": ["0044 7911 200002", "07911200002"],
        "g.secret": ["(07911) 200002", "0044 7911 200002"],
    }
    # GMP cleared SECRET does not read WYP's record: the labels shown are of a GMP record.
    (secret,) = nodes_by_key(shared.db(), GMP_CLEARED, [key]).values()
    assert (secret.props["force"], secret.props["handling_code"]) == ("GMP", "C")


def test_neighbours_and_paths_go_only_through_readable_records(shared: Shared) -> None:
    around = neighbourhood(shared.db(), WYP, NodeKey("Phone", PHONE_B), hops=3, first=100)
    seen = {n.node.uid for n in around.items}
    assert person("WYP", "WX/1", 2).uid in seen
    assert not {uid for uid in seen if ":GMP:" in uid}  # no GMP nominal or occurrence, C or SECRET
    assert around.total == len(seen)
    for neighbour in around.items:
        assert neighbour.via.props["force"] == "WYP"
    # Lee (WYP) to Jim (GMP, under C) through the phone: GMP reads the way, WYP does not.
    lee, jim = person("WYP", "WX/1", 2), person("GMP", "GX/2")
    assert paths(shared.db(), WYP, lee, jim) == []
    (path,) = paths(shared.db(), GMP, lee, jim)
    assert PHONE_B in {n.uid for n in path.nodes}


def test_an_edge_two_forces_assert_is_read_through_either(shared: Shared) -> None:
    records, _, _ = shared.driver.execute_query(
        "MATCH (a:Address)-[e:IN_POSTCODE]->(:Postcode {postcode: 'M1 3HE'}) "
        "RETURN a.uid AS a, e.access AS access",
        database_=shared.settings.neo4j_database,
    )  # fmt: skip
    ((address, access),) = [(r["a"], r["access"]) for r in records]
    assert access == ["GMP|OFFICIAL|C", "WYP|OFFICIAL|P"]
    for principal, force in ((WYP, "WYP"), (GMP, "GMP")):
        found = links(shared.db(), principal, [NodeKey("Address", address)], ["IN_POSTCODE"])
        ((link,),) = found.values()
        assert link.edge.props["force"] == force
        assert ("handling_conditions" in link.edge.props) == (force == "GMP")
    assert links(shared.db(), LAN, [NodeKey("Address", address)], ["IN_POSTCODE"]) == {}


PHONE_PROFILE = """
query Phone($id: ID!) {
  node(id: $id) {
    ... on Phone {
      force handlingCode handlingConditions rawValues properties
      sourceRecords { id }
      holders { node { id } }
      events { node { id } }
    }
  }
}"""


@pytest.mark.parametrize(
    ("principal", "phone", "raw", "sources"),
    [
        (WYP, PHONE_A, ["+44 7911 200001"], [source("WYP", "WX/1")]),
        (WYP, PHONE_B, ["07911200002"], [source("WYP", "WX/1")]),
        (GMP, PHONE_B, ["0044 7911 200002", "07911200002"], [source("GMP", "GX/2"), source("WYP", "WX/1")]),
    ],
    ids=["a-wyp", "b-wyp", "b-gmp"],
)
def test_the_profile_of_a_shared_phone_shows_only_readable_records(
    shared: Shared, principal: Principal, phone: str, raw: list[str], sources: list[str]
) -> None:
    answer = execute(shared, principal, PHONE_PROFILE, {"id": gid("Phone", phone)})
    assert answer.errors == []
    assert answer.data is not None
    node = answer.data["node"]
    assert sorted(node["rawValues"]) == raw
    assert sorted(node["properties"]["raw_values"]) == raw
    assert not {"access", "raw_access"} & set(node["properties"])
    assert sorted(s["id"] for s in node["sourceRecords"]) == sorted(gid("SourceRecord", s) for s in sources)
    text = str(answer.data)
    if principal is WYP:
        # WYP's own labels: as its record has them on its own phone, as its token says on GMP's.
        code = "P" if phone == PHONE_A else None
        assert (node["force"], node["handlingCode"], node["handlingConditions"]) == ("WYP", code, None)
        for hidden in ("GX/1", "GX/2", "GX/3", CONDITIONS, "0044", "(07911)", "07911 200001"):
            assert hidden not in text


def test_search_shows_a_force_its_shared_phone_and_counts_no_more_than_records(shared: Shared) -> None:
    found = search(shared.es, shared.settings, WYP, "07911 200002")
    (hit,) = [h for h in found.hits if h.uid == PHONE_B]
    assert hit.force == "WYP"
    assert not {"access", "access_class", "handling_conditions"} & set(hit.record)
    (mine,) = [h for h in search(shared.es, shared.settings, WYP, "07911 200001").hits if h.uid == PHONE_A]
    assert (mine.force, mine.record["handling_code"]) == ("WYP", "P")
    assert "handling_conditions" not in mine.record
    # A phone WYP reads is never a restricted hit, whatever other records assert it; GMP's
    # records themselves (its C occurrence and nominal) are what restricted hits count.
    restricted = es_restricted_filter(WYP)
    assert restricted is not None
    index = shared.settings.index_name("entities")
    for phone in (PHONE_A, PHONE_B):
        query = {"bool": {"filter": [restricted, {"term": {"uid": phone}}]}}
        assert shared.es.count(index=index, query=query)["count"] == 0
    # A force cleared for none of it learns nothing; one cleared but not sharing counts records only.
    outsider = Principal("x", "LAN", frozenset(), "OFFICIAL", INVESTIGATOR)
    counted = search(shared.es, shared.settings, outsider, "07911 200002")
    assert counted.hits == ()
    assert set(counted.restricted) <= {"GMP", "WYP"}
    # A phone is one document: it counts once for each force whose record within clearance is
    # behind it (GMP's SECRET record is not counted), not once per record.
    for phone in (PHONE_A, PHONE_B):
        query = {"bool": {"filter": [es_restricted_filter(outsider), {"term": {"uid": phone}}]}}
        found = shared.es.search(index=index, query=query, size=0, aggs=by_force(outsider))
        assert restricted_counts(found["aggregations"]) == {"GMP": 1, "WYP": 1}

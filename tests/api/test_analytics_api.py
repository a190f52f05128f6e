"""The analysis fields over HTTP through the real app and engines: CAVIAR's leader first by degree
through ``network``, a phone's top contacts through ``communications``, candidate groups, checked
arguments, and another force's officer seeing no node, contact, count or community of it.

Manchester holds CAVIAR's calls (Morselli's wiretap network, as operator call data); West
Yorkshire recorded five calls from the leader's phone to a number of its own.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from graphql import parse
from neo4j import Driver
from starlette.testclient import TestClient

from polegraph.api.app import create_app
from polegraph.api.data import MUTATIONS, QUERIES, TYPES, analytics
from polegraph.api.ids import to_global_id
from polegraph.api.limits import FIELD_WEIGHTS, Limits, estimate
from polegraph.api.schema import build_schema
from polegraph.config import Settings
from tests.analytics.conftest import CallRow, load_to_graph, matrix_calls, number, write_cdr
from tests.api.shell_support import PURPOSE, audit_records, bearer, ensure_audit_index, shell_settings
from tests.conftest import Engines, empty

CAVIAR = Path(__file__).resolve().parents[3] / "shared" / "data" / "caviar" / "CAVIAR_FULL_Directed.csv"
START = dt.datetime(1994, 3, 1, 9, 0, tzinfo=dt.UTC)
OUTSIDE = number(0, block=902)  # West Yorkshire's own number
# Two Manchester target lines on one cell minutes apart on two nights (another block of numbers).
TOGETHER, ALONGSIDE, CALLEE = (number(i, block=903) for i in range(3))
NIGHTS = [dt.datetime(1994, 5, d, 23, 0, tzinfo=dt.UTC) for d in (10, 17)]
CELL = "234-15-1000-1"
CELL_ROWS = [
    *(CallRow(TOGETHER, CALLEE, night, target=TOGETHER, cell=CELL) for night in NIGHTS),
    *(
        CallRow(CALLEE, ALONGSIDE, night + dt.timedelta(minutes=7), kind="MTC", target=ALONGSIDE, cell=CELL)
        for night in NIGHTS
    ),
]


def phone(num: str) -> str:
    return to_global_id("Phone", f"phone:+{num}")


@dataclass(frozen=True)
class Loaded:
    engines: Engines
    numbers: dict[str, str]  # CAVIAR label -> phone number
    calls: list[CallRow]  # Manchester's calls


@pytest.fixture(scope="module")
def loaded(
    stack: Settings, neo4j_driver: Driver, es_client: Elasticsearch, tmp_path_factory: pytest.TempPathFactory
) -> Loaded:
    engines = Engines(stack, neo4j_driver, es_client)
    empty(engines)
    folder = tmp_path_factory.mktemp("analytics-api")
    numbers: dict[str, str] = {}
    calls = matrix_calls(CAVIAR, START, numbers)
    load_to_graph(engines, "cdr", write_cdr(folder / "caviar.csv", calls), "GMP")
    leader = numbers["1"]
    outside = [CallRow(leader, OUTSIDE, START + dt.timedelta(days=30, hours=h)) for h in range(5)]
    load_to_graph(engines, "cdr", write_cdr(folder / "wyp.csv", outside), "WYP")
    load_to_graph(engines, "cdr", write_cdr(folder / "cells.csv", CELL_ROWS), "GMP")
    return Loaded(engines, numbers, calls)


@pytest.fixture
def api(loaded: Loaded, tmp_path: Path) -> Iterator[tuple[TestClient, Settings]]:
    settings = shell_settings(loaded.engines.settings, tmp_path)
    ensure_audit_index(loaded.engines.es, settings)
    with TestClient(create_app(settings)) as client:
        yield client, settings


def _headers(settings: Settings, force: str) -> dict[str, str]:
    return {**bearer(settings, user=f"analyst.{force.lower()}", force=force, roles=("analyst",)), **PURPOSE}


def _post(client: TestClient, headers: dict[str, str], query: str, variables: dict[str, Any]) -> Any:
    response = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _data(client: TestClient, headers: dict[str, str], query: str, variables: dict[str, Any]) -> Any:
    body = _post(client, headers, query, variables)
    assert "errors" not in body, body
    return body["data"]


NETWORK = """
query Network($ids: [ID!]!, $hops: Int!, $types: [String!], $first: Int!) {
  network(ids: $ids, hops: $hops, relationshipTypes: $types, first: $first) {
    nodeCount edgeCount communityCount modularity
    nodes { node { id force } degree betweenness community keyPlayerRank hop }
    edges { sourceId targetId weight }
  }
}"""

GROUPS = """
query Groups($ids: [ID!]!, $hops: Int!) {
  groups(ids: $ids, hops: $hops, relationshipTypes: ["CALLED"], minSize: 2) {
    community size members { id } keyPlayers { id }
  }
}"""

COMMUNICATIONS = """
query Comms($ids: [ID!]!, $first: Int!) {
  communications(ids: $ids, first: $first) {
    subjects { id } events calls messages weekdayHour daily { date events }
    contacts { node { id force } events calls outgoing incoming durationSeconds first last }
  }
}"""


def _contact_counts(calls: list[CallRow], own: str) -> Counter[str]:
    """Each counterpart's number of calls with ``own``, straight from the call rows."""
    return Counter(row.b if row.a == own else row.a for row in calls if own in (row.a, row.b))


def test_caviar_leader_ranks_first_by_degree_through_network(
    loaded: Loaded, api: tuple[TestClient, Settings]
) -> None:
    client, settings = api
    leader, gmp = loaded.numbers["1"], _headers(settings, "GMP")
    variables = {"ids": [phone(leader)], "hops": 3, "types": ["CALLED"], "first": 100}
    found = _data(client, gmp, NETWORK, variables)["network"]
    label = {phone(n): name for name, n in loaded.numbers.items()}
    ranked = [label[n["node"]["id"]] for n in found["nodes"]]
    assert ranked[:3] == ["1", "12", "3"]
    assert found["nodes"][0]["degree"] == len(_contact_counts(loaded.calls, leader))
    assert max(found["nodes"], key=lambda n: n["betweenness"])["node"]["id"] == phone(leader)
    assert found["nodes"][0]["hop"] == 0
    # West Yorkshire's five calls and its number are none of Manchester's analyst's business.
    assert {n["node"]["force"] for n in found["nodes"]} == {"GMP"}
    assert phone(OUTSIDE) not in {n["node"]["id"] for n in found["nodes"]}
    assert len(found["nodes"]) == min(100, found["nodeCount"])
    shown = {n["node"]["id"] for n in found["nodes"]}
    assert found["edges"]
    assert all({e["sourceId"], e["targetId"]} <= shown for e in found["edges"])

    records = audit_records(settings)
    assert records[-1]["user"] == "analyst.gmp"
    assert set(records[-1]["returned_ids"]) == shown


def test_groups_are_the_communities_with_their_key_players(
    loaded: Loaded, api: tuple[TestClient, Settings]
) -> None:
    client, settings = api
    gmp, seed = _headers(settings, "GMP"), phone(loaded.numbers["1"])
    measured = _data(client, gmp, NETWORK, {"ids": [seed], "hops": 2, "types": ["CALLED"], "first": 100})[
        "network"
    ]
    community = {n["node"]["id"]: n["community"] for n in measured["nodes"]}
    groups = _data(client, gmp, GROUPS, {"ids": [seed], "hops": 2})["groups"]
    assert groups
    assert [g["size"] for g in groups] == sorted((g["size"] for g in groups), reverse=True)
    assert sum(g["size"] for g in groups) <= measured["nodeCount"]
    for group in groups:
        members = [m["id"] for m in group["members"]]
        assert len(members) == group["size"]
        assert {community[m] for m in members if m in community} == {group["community"]}
        assert {k["id"] for k in group["keyPlayers"]} <= set(members)
    leaders = [g for g in groups if seed in {m["id"] for m in g["members"]}]
    assert len(leaders) == 1
    assert leaders[0]["keyPlayers"][0]["id"] == seed  # the leader is the network's first key player
    returned = set(audit_records(settings)[-1]["returned_ids"])
    assert returned == {m["id"] for g in groups for m in g["members"]}


def test_a_phones_top_contacts_through_communications(
    loaded: Loaded, api: tuple[TestClient, Settings]
) -> None:
    client, settings = api
    leader, gmp = loaded.numbers["1"], _headers(settings, "GMP")
    found = _data(client, gmp, COMMUNICATIONS, {"ids": [phone(leader)], "first": 5})["communications"]
    expected = _contact_counts(loaded.calls, leader)
    top = [(phone(n), count) for n, count in sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]
    assert [(c["node"]["id"], c["events"]) for c in found["contacts"]][:1] == top[:1]
    assert sorted(c["events"] for c in found["contacts"]) == sorted(count for _, count in top)
    assert {c["node"]["force"] for c in found["contacts"]} == {"GMP"}
    assert found["events"] == sum(expected.values())  # West Yorkshire's five calls are not counted
    outgoing = Counter(row.b for row in loaded.calls if row.a == leader)
    for contact in found["contacts"]:
        number_ = next(n for n in expected if phone(n) == contact["node"]["id"])
        assert contact["outgoing"] == outgoing[number_]
        assert contact["incoming"] == contact["events"] - contact["outgoing"]
    assert sum(map(sum, found["weekdayHour"])) == found["events"]
    assert sum(d["events"] for d in found["daily"]) == found["events"]
    returned = audit_records(settings)[-1]["returned_ids"]
    assert set(returned) == {phone(leader), *(c["node"]["id"] for c in found["contacts"])}


def test_another_force_sees_no_node_contact_count_or_community(
    loaded: Loaded, api: tuple[TestClient, Settings]
) -> None:
    client, settings = api
    wyp, leader = _headers(settings, "WYP"), phone(loaded.numbers["1"])
    # The leader's number is GMP's, but West Yorkshire's own five calls name it too: WYP reads the
    # number through its own records, and exactly what they hold — its five calls with its own
    # number, no Manchester call, contact, count or community.
    own_calls = _data(client, wyp, NETWORK, {"ids": [leader], "hops": 3, "types": ["CALLED"], "first": 100})
    found = own_calls["network"]
    assert (found["nodeCount"], found["edgeCount"]) == (2, 1)
    assert {n["node"]["id"] for n in found["nodes"]} == {leader, phone(OUTSIDE)}
    assert {n["node"]["force"] for n in found["nodes"]} == {"WYP"}
    assert [(e["weight"]) for e in found["edges"]] == [5.0]
    groups = _data(client, wyp, GROUPS, {"ids": [leader], "hops": 3})["groups"]
    assert {m["id"] for g in groups for m in g["members"]} <= {leader, phone(OUTSIDE)}
    theirs = _data(client, wyp, COMMUNICATIONS, {"ids": [leader], "first": 10})["communications"]
    assert (theirs["events"], [c["node"]["id"] for c in theirs["contacts"]]) == (5, [phone(OUTSIDE)])
    own = _data(client, wyp, COMMUNICATIONS, {"ids": [phone(OUTSIDE)], "first": 10})["communications"]
    assert (own["events"], [c["node"]["id"] for c in own["contacts"]]) == (5, [leader])
    around = _data(client, wyp, NETWORK, {"ids": [phone(OUTSIDE)], "hops": 3, "types": None, "first": 100})
    assert {n["node"]["id"] for n in around["network"]["nodes"]} == {phone(OUTSIDE), leader}
    # A force that neither holds nor shares any of it sees nothing at all.
    lan = _headers(settings, "LAN")
    nothing = _data(client, lan, NETWORK, {"ids": [leader], "hops": 3, "types": ["CALLED"], "first": 100})
    assert nothing["network"] == {
        "nodeCount": 0, "edgeCount": 0, "communityCount": 0, "modularity": 0.0, "nodes": [], "edges": [],
    }  # fmt: skip
    refused = _post(client, lan, COMMUNICATIONS, {"ids": [leader], "first": 10})
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "no such subject" in refused["errors"][0]["message"]
    co = _data(
        client,
        wyp,
        "{ coLocation { cellCoPresence(minOccasions: 1) { a { id } } sharing { a { id } } } }",
        {},
    )["coLocation"]
    assert co == {"cellCoPresence": [], "sharing": []}
    records = [r for r in audit_records(settings) if r["user"] == "analyst.lan"]
    assert [r["returned_ids"] for r in records] == [[], []]


CO_PRESENCE = """
query Cells($ids: [ID!]) {
  coLocation(ids: $ids) {
    cellCoPresence(withinMinutes: 10, minOccasions: 2) {
      a { id } b { id } occasions sites sightings { site { id label } firstAt secondAt }
    }
  }
}"""


def test_phones_at_the_same_cell_at_the_same_times(api: tuple[TestClient, Settings]) -> None:
    client, settings = api
    found = _data(client, _headers(settings, "GMP"), CO_PRESENCE, {"ids": [phone(TOGETHER)]})
    (pair,) = found["coLocation"]["cellCoPresence"]
    assert {pair["a"]["id"], pair["b"]["id"]} == {phone(TOGETHER), phone(ALONGSIDE)}
    assert (pair["occasions"], pair["sites"], len(pair["sightings"])) == (2, 1, 2)
    sites = {s["site"]["id"] for s in pair["sightings"]}
    assert len(sites) == 1
    gaps = {
        dt.datetime.fromisoformat(s["secondAt"]) - dt.datetime.fromisoformat(s["firstAt"])
        for s in pair["sightings"]
    }
    assert gaps == {dt.timedelta(minutes=7)}
    returned = set(audit_records(settings)[-1]["returned_ids"])
    assert returned == {phone(TOGETHER), phone(ALONGSIDE), *sites}
    elsewhere = _data(client, _headers(settings, "WYP"), CO_PRESENCE, {"ids": None})
    assert elsewhere["coLocation"]["cellCoPresence"] == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('{ network(ids: ["%s"], hops: 4) { nodeCount } }', "hops is 1 to 3"),
        ('{ groups(ids: ["%s"], relationshipTypes: ["OWNS_THE_WORLD"]) { size } }', "OWNS_THE_WORLD"),
        ('{ network(ids: ["%s"], since: "2024-01-01T00:00:00") { nodeCount } }', "no time zone"),
        (
            '{ network(ids: ["%s"], since: "2024-02-01T00:00:00Z", until: "2024-01-01T00:00:00Z") '
            "{ nodeCount } }",
            "before it starts",
        ),
        ('{ communications(ids: ["%s"], zone: "Mars/Olympus") { events } }', "unknown time zone"),
        ('{ communications(ids: ["%s"], first: 0) { events } }', "first is 1 to 100"),
        ('{ coLocation(ids: ["%s"]) { convoys(withinMinutes: 0) { occasions } } }', "withinMinutes is 1 to"),
        ("{ network(ids: []) { nodeCount } }", "seeds are 1 to 10"),
        ('{ network(ids: ["not-an-id"]) { nodeCount } }', "not a node ID"),
    ],
)
def test_bad_arguments_are_refused_as_bad_user_input(
    loaded: Loaded, api: tuple[TestClient, Settings], query: str, message: str
) -> None:
    client, settings = api
    document = query % phone(loaded.numbers["1"]) if "%s" in query else query
    body = _post(client, _headers(settings, "GMP"), document, {})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert message in body["errors"][0]["message"]


def test_too_large_a_subgraph_and_too_many_seeds_fail_clearly(
    loaded: Loaded, api: tuple[TestClient, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, settings = api
    gmp, leader = _headers(settings, "GMP"), phone(loaded.numbers["1"])
    too_many = _post(
        client, gmp, "query G($ids: [ID!]!) { groups(ids: $ids) { size } }", {"ids": [leader] * 11}
    )
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "seeds are 1 to 10" in too_many["errors"][0]["message"]
    # CAVIAR is far below the API's limit; a limit of 20 nodes shows how it is refused.
    monkeypatch.setattr(analytics, "MAX_NODES", 20)
    body = _post(client, gmp, NETWORK, {"ids": [leader], "hops": 3, "types": ["CALLED"], "first": 10})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "more than 20 nodes" in body["errors"][0]["message"], body


def test_the_analyses_cost_more_than_reads_of_the_same_shape() -> None:
    schema = build_schema(*QUERIES, types=TYPES, mutations=MUTATIONS, settings=Settings())._schema

    def cost(document: str) -> int:
        found = estimate(schema, parse(document), None, None, Limits())
        assert not found.errors
        return found.cost

    # The same shape (hops 2, first 10, one field) as a read of the graph, plus the analysis' weight.
    read = cost('{ neighbourhood(id: "x", hops: 2, first: 10) { totalCount } }')
    assert (
        cost('{ network(ids: ["x"], hops: 2, first: 10) { nodeCount } }')
        == read - 1 + FIELD_WEIGHTS["Query.network"]
    )
    assert (
        cost('{ groups(ids: ["x"], hops: 2, first: 10) { size } }')
        == read - 1 + FIELD_WEIGHTS["Query.groups"]
    )
    assert (
        cost("{ coLocation { convoys(first: 10) { occasions } } }")
        == 1 + FIELD_WEIGHTS["CoLocation.convoys"] + 10
    )
    assert min(FIELD_WEIGHTS.values()) > 1

"""The data fields do what an investigator needs: the README's queries, profiles, pages, filters,
and nested fields batched by DataLoaders."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from polegraph.schema import load_ontology
from tests.api.readme import readme_queries
from tests.graph.scenario import (
    ALAN_1,
    ALAN_2,
    BRIAN,
    CARL,
    DAN,
    EVE,
    GMP_OFFICER,
    SCHEMA,
    WYP_ANALYST,
    WYP_OFFICER,
    Answer,
    Network,
    execute,
    gid,
    network_fixture,  # noqa: F401 - the module's fixture
)


def ok(answer: Answer) -> dict[str, Any]:
    assert answer.errors == []
    assert answer.data is not None
    return answer.data


def person(uid: str) -> str:
    return gid("Person", uid)


def test_the_readme_queries_find_a_person_open_the_profile_expand_and_find_paths(network: Network) -> None:
    queries = readme_queries()
    assert list(queries)[:4] == ["FindPerson", "Profile", "Network", "Paths"]
    by_person = {"key": "label", "op": "EQ", "values": ["Person"]}
    found = ok(
        execute(network, WYP_ANALYST, queries["FindPerson"], {"text": "Allan Addams", "filter": by_person})
    )
    hits = found["search"]["edges"]
    assert {h["node"]["label"] for h in hits} == {"Person"}
    assert person(ALAN_1) in [h["node"]["id"] for h in hits]
    assert all(h["explanations"] for h in hits)

    profile = ok(execute(network, WYP_ANALYST, queries["Profile"], {"id": person(ALAN_1)}))["node"]
    assert (profile["fullName"], profile["aliases"], profile["dob"]) == ("ADAMS, ALAN", ["ACE"], "1980-02-01")
    assert [p["node"]["e164"] for p in profile["phones"]] == ["+447911100001"]
    assert [e["relationship"]["role"] for e in profile["events"]] == ["SUSPECT"]
    assert {i["report"]["urn"] for i in profile["intelligence"]} == {"WY-INT-9", "WY-INT-10"}
    conditional = next(i for i in profile["intelligence"] if i["report"]["urn"] == "WY-INT-10")
    assert conditional["grading"] == {
        "scheme": "3x5x2", "sourceEvaluation": "1", "intelligenceAssessment": "A",
        "handlingCode": "C", "handlingConditions": "Not to be shared outside WYP",
    }  # fmt: skip
    assert conditional["via"] == {"label": "Phone"}
    assert [(s["system"], s["recordId"]) for s in profile["sourceRecords"]] == [("CRIME", "WY/1")]

    network_page = ok(execute(network, WYP_ANALYST, queries["Network"], {"id": person(ALAN_1), "hops": 2}))
    reached = network_page["neighbourhood"]["edges"]
    assert [e["hops"] for e in reached] == sorted(e["hops"] for e in reached)
    assert person(ALAN_2) in [e["node"]["id"] for e in reached]

    found_paths = ok(
        execute(network, WYP_ANALYST, queries["Paths"], {"from": person(BRIAN), "to": person(DAN)})
    )
    (path,) = found_paths["paths"]
    assert path["length"] == len(path["relationships"]) == len(path["nodes"]) - 1 == 6
    assert [r["type"] for r in path["relationships"]] == [
        "INVOLVED_IN", "INVOLVED_IN", "HAS_PHONE", "HAS_PHONE", "DRIVES", "DRIVES",
    ]  # fmt: skip


def test_a_fact_names_its_source_records(network: Network) -> None:
    query = """query($id: ID!) { node(id: $id) { ... on Person { vehicles {
      relationship { type sourceRecords { ... on SourceRecord { recordId } } }
      node { ... on Vehicle { vrm } } } } } }"""
    data = ok(execute(network, GMP_OFFICER, query, {"id": person(DAN)}))
    assert data["node"]["vehicles"] == [
        {
            "relationship": {"type": "DRIVES", "sourceRecords": [{"recordId": "GM/2"}]},
            "node": {"vrm": "AB12CDE"},
        }
    ]


def test_events_and_objects_show_their_side(network: Network) -> None:
    query = """query($crime: ID!, $phone: ID!) {
      crime: node(id: $crime) { ... on Crime { participants { relationship { role } node { id } }
                                               locations { relationship { role } } } }
      phone: node(id: $phone) { ... on Phone { holders { node { id } } events { node { id } } } } }"""
    variables = {"crime": gid("Crime", "crime:GMP:CRIME:GM/2"), "phone": gid("Phone", "phone:+447911100004")}
    data = ok(execute(network, GMP_OFFICER, query, variables))
    roles = {(p["relationship"]["role"], p["node"]["id"]) for p in data["crime"]["participants"]}
    assert roles == {("SUSPECT", person(DAN)), ("WITNESS", person(EVE))}
    assert [loc["relationship"]["role"] for loc in data["crime"]["locations"]] == ["SCENE"]
    # The SECRET record that names Eve's phone is not there for an OFFICIAL principal.
    assert [h["node"]["id"] for h in data["phone"]["holders"]] == [person(EVE)]
    assert data["phone"]["events"] == []


NESTED = """query($ids: [ID!]!) { nodes(ids: $ids) { id sourceRecords { id } ... on Person {
  phones { node { id sourceRecords { id } } relationship { sourceRecords { id } } }
  events { node { id } } intelligence { report { id } grading { scheme } } identifiers { kind } } } }"""


def test_nested_fields_ask_the_graph_once_per_level_not_once_per_item(network: Network) -> None:
    def queries_for(uids: list[str]) -> int:
        answer = execute(network, GMP_OFFICER, NESTED, {"ids": [person(u) for u in uids]})
        ok(answer)
        return int(answer.context.loaders["graph"].db.queries)

    one = queries_for([ALAN_1])
    six = queries_for([ALAN_1, ALAN_2, BRIAN, CARL, DAN, EVE])
    # The nodes, their links, their objects' links: one query each; source records: one for the
    # nodes' and one for the facts' (they are asked for at two depths of the query).
    assert one == six == 5


PAGED = """query($id: ID!, $after: String, $filter: FilterInput) {
  neighbourhood(id: $id, hops: 3, first: 2, after: $after, filter: $filter) {
    totalCount edges { cursor hops node { id label } } pageInfo { hasNextPage endCursor } } }"""


PEOPLE_OR_OBJECTS = {
    "or": [
        {"key": "label", "op": "EQ", "values": ["Person"]},
        {"key": "valid", "op": "EXISTS", "values": ["true"]},
    ]
}


@pytest.mark.parametrize("flt", [None, PEOPLE_OR_OBJECTS])
def test_pages_follow_each_other_without_gaps_or_repeats(
    network: Network, flt: dict[str, Any] | None
) -> None:
    everything = ok(
        execute(
            network,
            WYP_ANALYST,
            PAGED.replace("first: 2", "first: 100"),
            {"id": person(ALAN_1), "filter": flt},
        )
    )
    expected = [e["node"]["id"] for e in everything["neighbourhood"]["edges"]]
    seen: list[str] = []
    after = None
    while True:
        page = ok(execute(network, WYP_ANALYST, PAGED, {"id": person(ALAN_1), "after": after, "filter": flt}))
        connection = page["neighbourhood"]
        assert connection["totalCount"] == len(expected)
        seen += [e["node"]["id"] for e in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        assert after == connection["edges"][-1]["cursor"]
    assert seen == expected
    assert len(expected) > 2
    if flt is not None:
        # People, and objects (they have a validity flag): phones and the vehicle, nothing else.
        assert {e["node"]["label"] for e in everything["neighbourhood"]["edges"]} == {
            "Person",
            "Phone",
            "Vehicle",
        }


def test_search_pages_and_filters(network: Network) -> None:
    query = """query($after: String, $filter: FilterInput) {
      search(query: "07911 100001", first: 1, after: $after, filter: $filter) {
        totalCount edges { node { id label } } facets { name values { value count } }
        pageInfo { hasNextPage endCursor } } }"""
    crimes = {"key": "label", "op": "EQ", "values": ["IntelReport"]}
    first = ok(execute(network, WYP_OFFICER, query, {"filter": crimes}))["search"]
    assert first["totalCount"] == 2
    assert first["pageInfo"]["hasNextPage"]
    second = ok(
        execute(network, WYP_OFFICER, query, {"filter": crimes, "after": first["pageInfo"]["endCursor"]})
    )
    labels = [e["node"]["label"] for e in first["edges"] + second["search"]["edges"]]
    assert labels == ["IntelReport", "IntelReport"]
    # The cursor is bound to the filter it was made with.
    other = execute(network, WYP_OFFICER, query, {"after": first["pageInfo"]["endCursor"]})
    assert other.messages == ["the page cursor belongs to another query"]


def test_search_resumes_after_any_edge(network: Network) -> None:
    query = """query($first: Int!, $after: String) {
      search(query: "07911 100001", first: $first, after: $after) {
        edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"""
    everything = [
        e["node"]["id"] for e in ok(execute(network, WYP_OFFICER, query, {"first": 20}))["search"]["edges"]
    ]
    two = ok(execute(network, WYP_OFFICER, query, {"first": 2}))["search"]
    assert two["pageInfo"]["hasNextPage"]
    assert two["edges"][-1]["cursor"] == two["pageInfo"]["endCursor"]
    resumed = ok(execute(network, WYP_OFFICER, query, {"first": 20, "after": two["edges"][0]["cursor"]}))
    assert [e["node"]["id"] for e in resumed["search"]["edges"]] == everything[1:]
    assert len(everything) == 3


def test_common_connections_and_timeline(network: Network) -> None:
    query = """query($ids: [ID!]!, $id: ID!) {
      commonConnections(ids: $ids) { totalCount edges { node { id } relationships { type } } }
      timeline(id: $id, until: "2024-01-12T00:00:00") {
        totalCount edges { at node { id } via { label } } }
      reports: timeline(id: $id, filter: {key: "label", op: EQ, values: ["IntelReport"]}) {
        totalCount edges { node { label } } } }"""
    data = ok(
        execute(network, GMP_OFFICER, query, {"ids": [person(BRIAN), person(CARL)], "id": person(ALAN_1)})
    )
    common = data["commonConnections"]
    assert common["totalCount"] == 1
    assert common["edges"][0]["node"]["id"] == gid("Phone", "phone:+447911100002")
    assert [r["type"] for r in common["edges"][0]["relationships"]] == ["HAS_PHONE", "HAS_PHONE"]
    timeline = data["timeline"]["edges"]
    assert [(e["at"], e["via"]) for e in timeline] == [
        ("2024-01-10T10:00:00+00:00", []), ("2024-01-11T00:00:00+00:00", [{"label": "Phone"}]),
    ]  # fmt: skip
    # GMP reads WY-INT-9 but not WY-INT-10, which WYP shares only under conditions.
    assert data["reports"] == {"totalCount": 1, "edges": [{"node": {"label": "IntelReport"}}]}


def test_returned_ids_are_noted_for_the_audit_record(network: Network) -> None:
    answer = execute(network, WYP_OFFICER, NESTED, {"ids": [person(ALAN_1)]})
    data = ok(answer)
    shown = set(re.findall(r'"id": "([^"]+)"', json.dumps(data)))
    assert shown == set(answer.context.returned_ids)


# Machinery and provenance a node type does not show as typed fields (shown elsewhere or never;
# the access tokens name other forces' records behind a shared node).
NOT_TYPED = {
    "uid", "source_keys", "load_ids", "created_at", "updated_at", "embedding_hash", "access", "raw_access",
    "system_access", "prop_access",
}  # fmt: skip


def test_every_node_type_of_the_ontology_is_in_the_schema_with_its_properties() -> None:
    for entity in load_ontology().entities.values():
        if entity.abstract:
            continue
        graphql_type = SCHEMA.get_type_by_name(entity.name)
        assert graphql_type is not None, entity.name
        fields = {f.python_name for f in graphql_type.fields}  # type: ignore[union-attr]
        shown = {p.name for p in entity.properties.values() if not p.vector and p.name not in NOT_TYPED}
        assert shown <= fields, (entity.name, shown - fields)

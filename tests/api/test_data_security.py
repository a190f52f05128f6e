"""Every data field, asked by principals of other forces and clearances: nothing out of scope shows.

Each answer is checked against the oracle of ``tests/graph/oracle.py`` (the rules applied to the
stored labels): no node, relationship, ID, cursor or audit ID names a record the principal may not
read, and totals count only what can be paged to. What a principal may not read shows at most as a
restricted-hit count per force in ``search``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from polegraph.api.ids import from_global_id
from polegraph.security.policy import Principal
from tests.graph.oracle import assert_in_scope, readable_uids
from tests.graph.scenario import (
    ALAN_1,
    BRIAN,
    CARL,
    DAN,
    EVE,
    FRED,
    GARY,
    GMP_OFFICER,
    GMP_SUPERVISOR,
    LAN_OFFICER,
    WYP_ANALYST,
    WYP_OFFICER,
    Network,
    execute,
    gid,
    network_fixture,  # noqa: F401 - the module's fixture
)

PRINCIPALS = (WYP_OFFICER, GMP_OFFICER, WYP_ANALYST, GMP_SUPERVISOR, LAN_OFFICER)
PEOPLE = (ALAN_1, BRIAN, CARL, DAN, EVE, GARY, FRED)

N_FRAGMENT = """
fragment N on Node { id label force classification handlingCode sourceRecords { id force classification } }
"""
FRAGMENTS = (
    N_FRAGMENT
    + """
fragment R on Relationship {
  type role startId endId force classification handlingCode sourceRecords { id force classification }
}
"""
)
PROFILE = (
    FRAGMENTS
    + "fragment L on Link { direction relationship { ...R } node { ...N } }"
    + """
query($id: ID!) { node(id: $id) { ...N ... on Person {
  fullName identifiers { kind value link { ...L } } addresses { ...L } phones { ...L } vehicles { ...L }
  events { ...L } linkedPersons { ...L } links { ...L }
  intelligence {
    report { ...N } relationship { ...R } via { ...N } grading { handlingCode handlingConditions }
  }
  phonesHeld: phones { node { ... on Phone { holders { ...L } events { ...L } } } }
} } }"""
)
NODES = N_FRAGMENT + "query($ids: [ID!]!) { nodes(ids: $ids) { ...N } }"
SEARCH = (
    N_FRAGMENT
    + """query($q: String!, $after: String) { search(query: $q, first: 3, after: $after) {
  totalCount edges { node { ...N } explanations highlights { field fragments } }
  facets { name values { value count } } restricted { force count } restrictedTotal
  pageInfo { hasNextPage endCursor } } }"""
)
NEIGHBOURHOOD = (
    FRAGMENTS
    + """query($id: ID!, $after: String) { neighbourhood(id: $id, hops: 3, first: 4, after: $after) {
  totalCount edges { cursor hops previousId node { ...N } relationship { ...R } }
  pageInfo { hasNextPage endCursor } } }"""
)
PATHS = (
    FRAGMENTS
    + """query($a: ID!, $b: ID!) { paths(from: $a, to: $b, maxHops: 6) {
  length nodes { ...N } relationships { ...R } } }"""
)
COMMON = (
    FRAGMENTS
    + """query($ids: [ID!]!) { commonConnections(ids: $ids) {
  totalCount edges { cursor node { ...N } relationships { ...R } } pageInfo { hasNextPage endCursor } } }"""
)
TIMELINE = (
    FRAGMENTS
    + """query($id: ID!) { timeline(id: $id) {
  totalCount edges { cursor at node { ...N } relationships { ...R } via { ...N } }
  pageInfo { hasNextPage endCursor } } }"""
)


def person(uid: str) -> str:
    return gid("Person", uid)


def ask(network: Network, principal: Principal, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The data of an answer without errors, after checking it names nothing out of scope."""
    answer = execute(network, principal, query, variables)
    assert answer.errors == []
    assert_in_scope(network, principal, answer.data, answer.context.returned_ids)
    assert answer.data is not None
    return answer.data


def pages(
    network: Network, principal: Principal, query: str, field: str, variables: dict[str, Any]
) -> list[Any]:
    """Every page of a connection field, following its cursors; totals must count what is paged."""
    edges: list[Any] = []
    after = None
    while True:
        page = ask(network, principal, query, {**variables, "after": after})[field]
        edges += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    if "totalCount" in page and field != "search":
        assert page["totalCount"] == len(edges)
    return edges


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.user)
@pytest.mark.parametrize("uid", PEOPLE)
def test_node_and_profile(network: Network, principal: Principal, uid: str) -> None:
    node = ask(network, principal, PROFILE, {"id": person(uid)})["node"]
    # An unreadable node and one that does not exist answer the same.
    assert (node is not None) == (uid in readable_uids(network, principal))


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.user)
def test_nodes(network: Network, principal: Principal) -> None:
    found = ask(network, principal, NODES, {"ids": [person(uid) for uid in PEOPLE]})["nodes"]
    readable = readable_uids(network, principal)
    assert [n is not None for n in found] == [uid in readable for uid in PEOPLE]


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.user)
@pytest.mark.parametrize(
    "text", ["Carl Cooper", "07911 100003", "Gary Grant", "Fred Fox", "07911 100001", "force:LAN OR *", "*:*"]
)
def test_search(network: Network, principal: Principal, text: str) -> None:
    readable = readable_uids(network, principal)
    for edge in pages(network, principal, SEARCH, "search", {"q": text}):
        assert from_global_id(edge["node"]["id"]).uid in readable


def test_search_counts_what_it_may_not_show(network: Network) -> None:
    answer = ask(network, WYP_OFFICER, SEARCH, {"q": "Carl Cooper"})["search"]
    assert answer["edges"] == []
    assert answer["restricted"] == [{"force": "GMP", "count": 1}]
    # Above the principal's clearance a record is not even counted.
    secret = ask(network, GMP_OFFICER, SEARCH, {"q": "Gary Grant"})["search"]
    assert (secret["edges"], secret["restricted"], secret["restrictedTotal"]) == ([], [], 0)
    seen = ask(network, GMP_SUPERVISOR, SEARCH, {"q": "Gary Grant"})["search"]
    assert [e["node"]["id"] for e in seen["edges"]] == [person(GARY)]
    # A principal whose policy does not allow restricted hits is not even told that.
    silent = replace(WYP_OFFICER, restricted_hits=False)
    unseen = ask(network, silent, SEARCH, {"q": "Carl Cooper"})["search"]
    assert (unseen["edges"], unseen["restricted"], unseen["restrictedTotal"]) == ([], [], 0)


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.user)
@pytest.mark.parametrize("uid", [ALAN_1, DAN, FRED])
def test_neighbourhood(network: Network, principal: Principal, uid: str) -> None:
    edges = pages(network, principal, NEIGHBOURHOOD, "neighbourhood", {"id": person(uid)})
    if uid not in readable_uids(network, principal):
        assert edges == []


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.user)
@pytest.mark.parametrize(("a", "b"), [(BRIAN, DAN), (ALAN_1, EVE), (EVE, GARY), (ALAN_1, FRED)])
def test_paths(network: Network, principal: Principal, a: str, b: str) -> None:
    ask(network, principal, PATHS, {"a": person(a), "b": person(b)})


def test_a_path_through_an_unreadable_record_is_not_returned(network: Network) -> None:
    own = ask(network, GMP_OFFICER, PATHS, {"a": person(BRIAN), "b": person(DAN)})["paths"]
    assert [p["length"] for p in own] == [4]
    assert person(CARL) in [n["id"] for n in own[0]["nodes"]]
    shared = ask(network, WYP_ANALYST, PATHS, {"a": person(BRIAN), "b": person(DAN)})["paths"]
    assert [p["length"] for p in shared] == [6]


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.user)
@pytest.mark.parametrize("pair", [(BRIAN, CARL), (DAN, EVE), (EVE, GARY), (ALAN_1, FRED)])
def test_common_connections(network: Network, principal: Principal, pair: tuple[str, str]) -> None:
    edges = ask(network, principal, COMMON, {"ids": [person(u) for u in pair]})["commonConnections"]["edges"]
    if not set(pair) <= readable_uids(network, principal):
        assert edges == []


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.user)
@pytest.mark.parametrize("uid", [ALAN_1, EVE, FRED])
def test_timeline(network: Network, principal: Principal, uid: str) -> None:
    ask(network, principal, TIMELINE, {"id": person(uid)})


def test_a_cursor_works_only_for_its_own_requester_and_query(network: Network) -> None:
    first = ask(network, WYP_ANALYST, NEIGHBOURHOOD, {"id": person(ALAN_1)})["neighbourhood"]
    cursor = first["pageInfo"]["endCursor"]
    assert cursor is not None
    for principal, variables in (
        (GMP_OFFICER, {"id": person(ALAN_1), "after": cursor}),  # the same query, another requester
        (WYP_ANALYST, {"id": person(BRIAN), "after": cursor}),  # the same requester, another query
    ):
        answer = execute(network, principal, NEIGHBOURHOOD, variables)
        assert answer.data is None
        assert answer.messages == ["the page cursor belongs to another query"]


def test_the_scope_check_catches_a_leak(network: Network) -> None:
    """The check above is not vacuous: GMP's answer, checked as if WYP's officer had got it, fails."""
    answer = execute(network, GMP_OFFICER, PATHS, {"a": person(BRIAN), "b": person(DAN)})
    with pytest.raises(AssertionError):
        assert_in_scope(network, WYP_OFFICER, answer.data, [])
    with pytest.raises(AssertionError):
        assert_in_scope(network, WYP_OFFICER, {}, answer.context.returned_ids)

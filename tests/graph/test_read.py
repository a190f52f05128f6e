"""Graph reads under a principal, against the real Neo4j holding the two-force network."""

from __future__ import annotations

import datetime as dt

import pytest

from polegraph.api.filters import CypherFilter, condition
from polegraph.graph.network import common_connections, neighbourhood, paths, timeline
from polegraph.graph.read import GraphDb, NodeKey, ReadError, links, nodes_by_key
from polegraph.security.policy import Principal, readable_tokens
from tests.graph.oracle import may_read, readable_uids, stored_nodes
from tests.graph.scenario import (
    ALAN_1,
    ALAN_2,
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
    network_fixture,  # noqa: F401 - the module's fixture
)

PRINCIPALS = (WYP_OFFICER, GMP_OFFICER, WYP_ANALYST, GMP_SUPERVISOR, LAN_OFFICER)
PEOPLE = (ALAN_1, ALAN_2, BRIAN, CARL, DAN, EVE, GARY, FRED)


def person(uid: str) -> NodeKey:
    return NodeKey("Person", uid)


def db(network: Network) -> GraphDb:
    return GraphDb.of(network.driver, network.settings)


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.user)
def test_nodes_are_exactly_those_the_rules_allow(network: Network, principal: Principal) -> None:
    found = nodes_by_key(db(network), principal, [person(uid) for uid in PEOPLE])
    expected = readable_uids(network, principal) & set(PEOPLE)
    assert {key.uid for key in found} == expected
    assert expected  # every principal reads someone, so the test is not vacuous


def test_the_rules_give_each_principal_what_the_scenario_says(network: Network) -> None:
    assert readable_uids(network, WYP_OFFICER) & set(PEOPLE) == {ALAN_1, ALAN_2, BRIAN}
    assert readable_uids(network, GMP_OFFICER) & set(PEOPLE) == {ALAN_1, ALAN_2, BRIAN, CARL, DAN, EVE}
    assert readable_uids(network, WYP_ANALYST) & set(PEOPLE) == {ALAN_1, ALAN_2, BRIAN, DAN, EVE}
    assert GARY in readable_uids(network, GMP_SUPERVISOR)


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.user)
def test_links_show_only_readable_edges_and_ends(network: Network, principal: Principal) -> None:
    stored = stored_nodes(network)
    found = links(db(network), principal, [person(uid) for uid in PEOPLE])
    for key, hops in found.items():
        assert key.uid in readable_uids(network, principal)
        for link in hops:
            assert may_read(principal, link.edge.props)
            assert may_read(principal, stored[link.node.uid])


def test_a_phone_shared_with_an_unreadable_force_hides_that_force_s_holder(network: Network) -> None:
    phone = NodeKey("Phone", "phone:+447911100001")
    holders = {link.node.uid for link in links(db(network), WYP_OFFICER, [phone])[phone]}
    assert {ALAN_1, ALAN_2} <= holders
    assert FRED not in holders


def test_shortest_path_goes_through_the_conditional_record_only_for_its_force(network: Network) -> None:
    (own,) = paths(db(network), GMP_OFFICER, person(BRIAN), person(DAN), max_hops=6)
    assert [n.uid for n in own.nodes] == [BRIAN, "phone:+447911100002", CARL, "phone:+447911100003", DAN]
    # The analyst may read GMP's records but not those shared only under conditions: the 4-hop path
    # does not exist for it, and the longer one through readable records is found instead.
    shared = paths(db(network), WYP_ANALYST, person(BRIAN), person(DAN), max_hops=6)
    assert [len(p.edges) for p in shared] == [6]
    stored = stored_nodes(network)
    for path in shared:
        assert CARL not in [n.uid for n in path.nodes]
        assert all(may_read(WYP_ANALYST, stored[n.uid]) for n in path.nodes)
        assert all(may_read(WYP_ANALYST, e.props) for e in path.edges)
    assert paths(db(network), WYP_ANALYST, person(BRIAN), person(DAN), max_hops=5) == []
    assert paths(db(network), WYP_OFFICER, person(BRIAN), person(DAN), max_hops=6) == []


def test_no_path_starts_or_ends_at_an_unreadable_node(network: Network) -> None:
    assert paths(db(network), WYP_ANALYST, person(BRIAN), person(CARL), max_hops=6) == []
    assert paths(db(network), WYP_OFFICER, person(FRED), person(ALAN_1), max_hops=6) == []


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.user)
def test_neighbourhood_is_readable_and_its_total_counts_only_what_is_shown(
    network: Network, principal: Principal
) -> None:
    start = person(ALAN_1) if principal.home_force != "LAN" else person(FRED)
    stored = stored_nodes(network)
    seen = []
    after = None
    total = None
    while True:
        page = neighbourhood(db(network), principal, start, hops=3, first=4, after=after)
        assert total in (None, page.total)
        total = page.total
        seen += page.items
        if not page.has_next:
            break
        after = (page.items[-1].hops, page.items[-1].node.uid)
    assert len(seen) == total == len({n.node.uid for n in seen})
    assert [(n.hops, n.node.uid) for n in seen] == sorted((n.hops, n.node.uid) for n in seen)
    for n in seen:
        assert may_read(principal, stored[n.node.uid])
        assert may_read(principal, n.via.props)
    if principal.home_force == "LAN":
        # Fred's phone was first recorded by WYP, but his own LAN record holds it too: LAN sees the
        # phone (as its own record's), and nothing beyond it, since only WYP records go further.
        lan = {u for u, s in stored.items() if any(t.startswith("LAN|") for t in s["access"] or [])}
        assert "phone:+447911100001" in {n.node.uid for n in seen}
        assert {n.node.uid for n in seen} <= lan
        phone = next(n.node for n in seen if n.node.uid == "phone:+447911100001")
        assert phone.props["force"] == "LAN"
        assert stored[phone.uid]["force"] == "WYP"


def test_neighbourhood_window_and_filter(network: Network) -> None:
    since = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    crimes = CypherFilter(condition("label", "EQ", ["Crime"]), readable_tokens(WYP_ANALYST))
    page = neighbourhood(db(network), WYP_ANALYST, person(ALAN_1), hops=3, since=since, where=crimes)
    # WY/1 (January) is outside the window and cannot be walked through; WY/2 is reached by the phone.
    assert [n.node.uid for n in page.items] == ["crime:WYP:CRIME:WY/2"]
    assert page.total == 1


def test_common_connections_need_every_node_readable(network: Network) -> None:
    shared = common_connections(db(network), GMP_OFFICER, [person(BRIAN), person(CARL)])
    assert [c.node.uid for c in shared.items] == ["phone:+447911100002"]
    assert shared.total == 1
    hidden = common_connections(db(network), WYP_ANALYST, [person(BRIAN), person(CARL)])
    assert (hidden.items, hidden.total) == ([], 0)


def test_timeline_reaches_events_through_the_person_s_phone(network: Network) -> None:
    page = timeline(db(network), WYP_OFFICER, person(ALAN_1))
    assert [e.event.uid for e in page.items] == [
        "crime:WYP:CRIME:WY/1",
        "intelreport:WYP:INTEL:WY-INT-9",
        "intelreport:WYP:INTEL:WY-INT-10",
    ]
    assert [e.at for e in page.items] == sorted(e.at for e in page.items)
    # GMP reads WYP's records but not WY-INT-10, which WYP shares only under conditions.
    shared = timeline(db(network), GMP_OFFICER, person(ALAN_1))
    assert "intelreport:WYP:INTEL:WY-INT-10" not in [e.event.uid for e in shared.items]
    assert shared.total == len(shared.items) == 2
    window = timeline(db(network), WYP_OFFICER, person(ALAN_1), until=dt.datetime(2024, 1, 12, tzinfo=dt.UTC))
    assert [e.event.uid for e in window.items] == ["crime:WYP:CRIME:WY/1", "intelreport:WYP:INTEL:WY-INT-9"]


@pytest.mark.parametrize(
    "types",
    [["KNOWS]-() DETACH DELETE n //"], ["knows"], ["FROM_SOURCE"], ["Person"], []],
)
def test_relationship_types_are_checked_before_any_query(network: Network, types: list[str]) -> None:
    graph = db(network)
    with pytest.raises(ReadError):
        neighbourhood(graph, WYP_OFFICER, person(ALAN_1), rel_types=types)
    with pytest.raises(ReadError):
        paths(graph, WYP_OFFICER, person(ALAN_1), person(BRIAN), rel_types=types)
    with pytest.raises(ReadError):
        links(graph, WYP_OFFICER, [person(ALAN_1)], types)
    assert graph.queries == 0


@pytest.mark.parametrize("label", ["Person`) DETACH DELETE n //", "Entity", "Event", "person", "LoadJournal"])
def test_labels_are_checked_before_any_query(network: Network, label: str) -> None:
    graph = db(network)
    with pytest.raises(ReadError):
        nodes_by_key(graph, WYP_OFFICER, [NodeKey(label, ALAN_1)])
    with pytest.raises(ReadError):
        neighbourhood(graph, WYP_OFFICER, NodeKey(label, ALAN_1))
    assert graph.queries == 0


@pytest.mark.parametrize(("hops", "max_hops"), [(0, 0), (4, 7)])
def test_walks_are_bounded(network: Network, hops: int, max_hops: int) -> None:
    graph = db(network)
    with pytest.raises(ReadError):
        neighbourhood(graph, WYP_OFFICER, person(ALAN_1), hops=hops)
    with pytest.raises(ReadError):
        paths(graph, WYP_OFFICER, person(ALAN_1), person(BRIAN), max_hops=max_hops)
    assert graph.queries == 0

"""Communications, chains and subgraph limits on a small call record whose answers follow from its rows."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from elasticsearch import Elasticsearch
from neo4j import Driver

from polegraph.analytics.colocation import cell_co_presence
from polegraph.analytics.comms import common_contacts, communications, contact_chains
from polegraph.analytics.network import network
from polegraph.config import Settings
from polegraph.errors import PolegraphError
from polegraph.graph.subgraph import BadSubgraphRequest, SubgraphRequest, SubgraphTooLarge
from polegraph.graph.window import TimeWindow
from tests.analytics.conftest import CallRow, analyst, load_to_graph, number, phone_uid, write_cdr
from tests.conftest import Engines, empty

A, B, C, D, E = (number(i) for i in range(5))
UTC = dt.UTC
GMP_ROWS = [
    CallRow(A, B, dt.datetime(2024, 3, 4, 22, 10, tzinfo=UTC), 120),
    CallRow(B, C, dt.datetime(2024, 3, 4, 22, 40, tzinfo=UTC), 60),  # A → B → C within the hour
    CallRow(A, B, dt.datetime(2024, 3, 5, 10, 0, tzinfo=UTC), 30),
    CallRow(C, A, dt.datetime(2024, 3, 6, 23, 30, tzinfo=UTC), 45),
    CallRow(A, C, dt.datetime(2024, 3, 7, 8, 15, tzinfo=UTC), 0, "SMS-MO"),
    CallRow(A, D, dt.datetime(2024, 7, 1, 21, 0, tzinfo=UTC), 10),  # 22:00 in London (summer time)
    CallRow(B, D, dt.datetime(2024, 7, 2, 21, 0, tzinfo=UTC), 10),
]
WYP_ROWS = [CallRow(A, E, dt.datetime(2024, 3, 4, 23, 0, tzinfo=UTC), 300)]
# Two target lines on the same cell minutes apart on two nights; a third on another cell.
X, Y, Z, W = (number(i) for i in range(5, 9))
NIGHTS = [dt.datetime(2024, 5, d, 23, 0, tzinfo=UTC) for d in (10, 17)]
CELL_ROWS = [
    *(CallRow(X, W, night, target=X, cell="234-15-1000-1") for night in NIGHTS),
    *(
        CallRow(W, Y, night + dt.timedelta(minutes=7), kind="MTC", target=Y, cell="234-15-1000-1")
        for night in NIGHTS
    ),
    *(CallRow(Z, W, night + dt.timedelta(minutes=3), target=Z, cell="234-15-2000-9") for night in NIGHTS),
]
SECRET_ROWS = [CallRow(A, D, dt.datetime(2024, 3, 8, 1, 0, tzinfo=UTC), 600)]


@pytest.fixture(scope="module")
def calls(
    stack: Settings, neo4j_driver: Driver, es_client: Elasticsearch, tmp_path_factory: pytest.TempPathFactory
) -> Engines:
    engines = Engines(stack, neo4j_driver, es_client)
    empty(engines)
    folder: Path = tmp_path_factory.mktemp("comms")
    load_to_graph(engines, "cdr", write_cdr(folder / "gmp.csv", GMP_ROWS), "GMP")
    load_to_graph(engines, "cdr", write_cdr(folder / "cells.csv", CELL_ROWS), "GMP")
    load_to_graph(engines, "cdr", write_cdr(folder / "wyp.csv", WYP_ROWS), "WYP")
    load_to_graph(
        engines, "cdr", write_cdr(folder / "secret.csv", SECRET_ROWS), "GMP", classification="SECRET"
    )
    return engines


def _expected_contacts(rows: list[CallRow], *own: str) -> dict[str, tuple[int, int, int]]:
    """Counterpart → (events, outgoing, call seconds) of the numbers ``own``, straight from the rows."""
    out: dict[str, list[int]] = {}
    for row in rows:
        if (row.a in own) == (row.b in own):  # not theirs, or between their own numbers
            continue
        other, outgoing = (row.b, 1) if row.a in own else (row.a, 0)
        totals = out.setdefault(f"phone:+{other}", [0, 0, 0])
        totals[0] += 1
        totals[1] += outgoing
        totals[2] += row.seconds if row.kind in ("MOC", "MTC") else 0
    return {uid: (t[0], t[1], t[2]) for uid, t in out.items()}


def test_contacts_patterns_and_new_contacts(calls: Engines) -> None:
    db = calls.settings.neo4j_database
    since = dt.datetime(2024, 6, 1, tzinfo=UTC)
    summary = communications(calls.driver, db, analyst("GMP"), [phone_uid(0)], new_since=since)
    expected = _expected_contacts(GMP_ROWS, A)
    got = {c.node.uid: (c.events, c.outgoing, c.duration_seconds) for c in summary.contacts}
    assert got == expected  # neither WYP's call nor the SECRET one is counted
    assert [c.node.uid for c in summary.contacts] == sorted(
        expected, key=lambda u: (-expected[u][0], -expected[u][2], u)
    )
    assert summary.contacts[0].node.caption == f"+{B}"
    assert summary.calls == sum(1 for r in GMP_ROWS if A in (r.a, r.b) and r.kind == "MOC")
    assert summary.messages == 1
    london = ZoneInfo("Europe/London")
    mine = [r.at.astimezone(london) for r in GMP_ROWS if A in (r.a, r.b)]
    assert summary.weekday_hour == [
        [sum(1 for t in mine if (t.weekday(), t.hour) == (d, h)) for h in range(24)] for d in range(7)
    ]
    assert summary.daily == sorted(Counter(t.date() for t in mine).items())
    assert [c.node.uid for c in summary.new_contacts] == [phone_uid(3)]


def test_a_window_common_contacts_and_chains(calls: Engines) -> None:
    db, gmp = calls.settings.neo4j_database, analyst("GMP")
    march = TimeWindow(dt.datetime(2024, 3, 1, tzinfo=UTC), dt.datetime(2024, 4, 1, tzinfo=UTC))
    summary = communications(calls.driver, db, gmp, [phone_uid(0)], window=march)
    assert {c.node.uid for c in summary.contacts} == {phone_uid(1), phone_uid(2)}
    common = common_contacts(calls.driver, db, gmp, [phone_uid(0), phone_uid(1)])
    assert {c.node.uid: c.events_by_subject for c in common} == {
        phone_uid(2): {phone_uid(0): 2, phone_uid(1): 1},
        phone_uid(3): {phone_uid(0): 1, phone_uid(1): 1},
    }
    chains = contact_chains(calls.driver, db, gmp, phone_uid(0), max_gap=dt.timedelta(hours=1))
    assert [(c.relay, c.target) for c in chains] == [(phone_uid(1), phone_uid(2))]
    assert contact_chains(calls.driver, db, gmp, phone_uid(0), max_gap=dt.timedelta(minutes=20)) == []


def test_phones_at_the_same_cell_at_the_same_times(calls: Engines) -> None:
    db, gmp = calls.settings.neo4j_database, analyst("GMP")
    found = cell_co_presence(calls.driver, db, gmp, within=dt.timedelta(minutes=10), min_occasions=2)
    assert [(t.a.uid, t.b.uid, t.occasions, t.sites) for t in found] == [(phone_uid(5), phone_uid(6), 2, 1)]
    assert cell_co_presence(calls.driver, db, gmp, within=dt.timedelta(minutes=5), min_occasions=1) == []
    assert (
        cell_co_presence(calls.driver, db, analyst("WYP"), within=dt.timedelta(minutes=10), min_occasions=1)
        == []
    )


def test_other_forces_and_clearances_see_only_their_own(calls: Engines) -> None:
    db = calls.settings.neo4j_database
    # A number is one node that every force recording it reads through its own record: Yorkshire's
    # call from A to E names the Manchester number A, so Yorkshire sees A at the other end of its
    # call, and A's communications as far as its own records go (that one call, none of GMP's).
    wyp = communications(calls.driver, db, analyst("WYP"), [phone_uid(4)])
    assert (wyp.events, [c.node.uid for c in wyp.contacts]) == (1, [phone_uid(0)])
    own = communications(calls.driver, db, analyst("WYP"), [phone_uid(0)])
    assert (own.events, [c.node.uid for c in own.contacts]) == (1, [phone_uid(4)])
    shared = communications(calls.driver, db, analyst("GMP", readable=("WYP",)), [phone_uid(0)])
    assert phone_uid(4) in {c.node.uid for c in shared.contacts}
    secret = communications(calls.driver, db, analyst("GMP", clearance="SECRET"), [phone_uid(0)])
    assert secret.events == sum(1 for r in GMP_ROWS + SECRET_ROWS if A in (r.a, r.b))
    with pytest.raises(PolegraphError, match="no such subject"):
        communications(calls.driver, db, analyst("LAN"), [phone_uid(0)])


def test_subgraph_requests_are_checked_and_limited(calls: Engines) -> None:
    db, gmp = calls.settings.neo4j_database, analyst("GMP")
    with pytest.raises(BadSubgraphRequest, match="unknown relationship type"):
        network(
            calls.driver,
            db,
            gmp,
            SubgraphRequest(seeds=(phone_uid(0),), relationship_types=("CALLED) DELETE (x",)),
        )
    with pytest.raises(SubgraphTooLarge, match="more than 3 nodes") as too_large:
        network(calls.driver, db, gmp, SubgraphRequest(seeds=(phone_uid(0),), hops=2, max_nodes=3))
    assert too_large.value.hint is not None
    whole = network(
        calls.driver, db, gmp, SubgraphRequest(seeds=(phone_uid(0),), hops=2, relationship_types=("CALLED",))
    )
    assert {m.node.uid for m in whole.nodes} == {phone_uid(i) for i in range(4)}
    weights = {frozenset((a, b)): w for a, b, w in whole.edge_list}
    assert weights[frozenset((phone_uid(0), phone_uid(1)))] == 2


def test_a_person_stands_for_the_numbers_of_every_nominal_confirmed_the_same(calls: Engines) -> None:
    db = calls.settings.neo4j_database
    # Two nominals with one number each, confirmed the same human by an analyst (SAME_AS).
    calls.driver.execute_query(
        "MATCH (a:Phone {uid: $a}), (b:Phone {uid: $b}) "
        "CREATE (p:Person:Entity {uid: 'person:test:1'})-[:HAS_PHONE $labels]->(a), "
        "(q:Person:Entity {uid: 'person:test:2'})-[:HAS_PHONE $labels]->(b), "
        "(p)-[s:SAME_AS $labels]->(q) SET p += $labels, q += $labels, s.decided_by = 'a.analyst'",
        {
            "a": phone_uid(0),
            "b": phone_uid(1),
            "labels": {"force": "GMP", "classification": "OFFICIAL", "access": ["GMP|OFFICIAL|P"]},
        },
        database_=db,
    )
    summary = communications(calls.driver, db, analyst("GMP"), ["person:test:1"])
    assert {e.uid for e in summary.endpoints} == {phone_uid(0), phone_uid(1)}
    # Calls between one's own numbers are not contacts; everyone either number spoke to is.
    got = {c.node.uid: (c.events, c.outgoing, c.duration_seconds) for c in summary.contacts}
    assert got == _expected_contacts(GMP_ROWS, A, B)

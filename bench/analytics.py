"""Analytics speed: a phone's communications summary over 100k calls; measures on a 10k-node subgraph.

Two fixtures are written straight into Neo4j with server-side ``UNWIND … CREATE`` (the fastest
correct way; nodes and edges carry the labels, properties and security labels the loaders write):

- one target phone with ``--calls`` calls (100,000) to and from ``--contacts`` numbers, five minutes
  apart; ``polegraph.analytics.comms.communications`` summarises it (contacts ranked, weekday-by-hour
  matrix, daily series, new contacts);
- ``--nodes`` phones (10,000) joined by ``--edges`` calls (50,000) in planted groups of 500 (90% of the
  calls inside a group); ``polegraph.analytics.network.network`` reads the whole subgraph from one
  seed through the calls (hops enough to reach everyone) and computes degree, weighted degree,
  betweenness and closeness (estimated from pivots above 1,000 nodes), PageRank, eigenvector
  centrality, k-core, Leiden communities and the key players.

Each is run ``--repeat`` times; the median is printed with the share of time spent reading from Neo4j
(the policy-filtered reads, aggregated in the engine, and node descriptions) against computing in
Python, and against the bare read timed in the same run (the target's calls, their times and their
other parties, with no policy and one row returned), the engine's own limit on the same data. Aims:
under 500 ms and under 5 s. Absolute times drift on shared machines; the shares are the figures to read.

The engines are the benchmark stack (Bolt 7690, HTTP 9203, state ``<state dir>/bench``), started if
needed; ``POLEGRAPH_BENCH_NEO4J_URI`` and ``POLEGRAPH_BENCH_ES_HOSTS`` point it elsewhere. The
fixture's nodes (force ``BENCH``) are deleted before writing and ``--reuse`` keeps what is there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from typing import Any

from baseline import bench_settings
from neo4j import Driver, Query

from polegraph.analytics.comms import resolve_subjects, summarise
from polegraph.analytics.network import network
from polegraph.graph.comms import activity, contact_totals
from polegraph.graph.describe import describe
from polegraph.graph.driver import open_driver
from polegraph.graph.migrations import apply_schema
from polegraph.graph.subgraph import SubgraphRequest
from polegraph.graph.window import EVERYTHING
from polegraph.security.policy import Principal, access_token
from polegraph.stack import stack_status, stack_up

FORCE = "BENCH"
TARGET = "phone:+447000000000"
# The labels the writer gives a record of this force, access token included (the policy reads it).
LABELS = {"force": FORCE, "classification": "OFFICIAL", "access": [access_token(FORCE, "OFFICIAL", "P")]}
START = int(dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp())
PRINCIPAL = Principal(user="bench.analyst", home_force=FORCE, roles=frozenset({"analyst"}))


def _run(driver: Driver, database: str, query: str, **params: Any) -> None:
    # CALL { … } IN TRANSACTIONS needs an implicit (auto-commit) transaction; a fixture write on a
    # busy machine may outlast the server's default transaction timeout.
    with driver.session(database=database) as session:
        session.run(Query(query, timeout=3600), params).consume()


def _phones(driver: Driver, database: str, prefix: str, count: int) -> None:
    _run(
        driver, database,
        "UNWIND range(0, $n - 1) AS i CALL (i) { "
        "WITH $prefix + toString(1000000 + i) AS e164 "
        "CREATE (:Phone:Object:Entity {uid: 'phone:' + e164, e164: e164, valid: true, force: $force, "
        "classification: $classification, access: $access}) } IN TRANSACTIONS OF 2000 ROWS",
        n=count, prefix=prefix, **LABELS,
    )  # fmt: skip


def write_target(driver: Driver, database: str, calls: int, contacts: int) -> None:
    """The target phone, its contacts, and ``calls`` calls five minutes apart, half each way."""
    _run(
        driver, database,
        "CREATE (:Phone:Object:Entity {uid: $uid, e164: '+447000000000', valid: true, force: $force, "
        "classification: $classification, access: $access})",
        uid=TARGET, **LABELS,
    )  # fmt: skip
    _phones(driver, database, "+44711", contacts)
    _run(
        driver, database,
        "MATCH (t:Phone {uid: $target}) UNWIND range(0, $calls - 1) AS i CALL (t, i) { "
        "MATCH (c:Phone {uid: 'phone:+44711' + toString(1000000 + (i * 7919) % $contacts)}) "
        "CREATE (e:Call:Event:Entity {uid: 'call:BENCH:T' + toString(i), call_type: 'VOICE', "
        "direction: CASE i % 2 WHEN 0 THEN 'OUTGOING' ELSE 'INCOMING' END, duration_seconds: i % 600, "
        "occurred_from: datetime({epochSeconds: $start + i * 300}), force: $force, "
        "classification: $classification, access: $access}) "
        "CREATE (t)-[:CALLED {role: CASE i % 2 WHEN 0 THEN 'CALLER' ELSE 'CALLEE' END, force: $force, "
        "classification: $classification, access: $access}]->(e) "
        "CREATE (c)-[:CALLED {role: CASE i % 2 WHEN 0 THEN 'CALLEE' ELSE 'CALLER' END, force: $force, "
        "classification: $classification, access: $access}]->(e) } IN TRANSACTIONS OF 2000 ROWS",
        target=TARGET, calls=calls, contacts=contacts, start=START, **LABELS,
    )  # fmt: skip


def write_network(driver: Driver, database: str, nodes: int, edges: int, group: int = 500) -> None:
    """``nodes`` phones and ``edges`` calls between distinct pairs, mostly inside planted groups."""
    _phones(driver, database, "+44722", nodes)
    rng = random.Random(7)
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < edges:
        a = rng.randrange(nodes)
        b = (a // group) * group + rng.randrange(group) if rng.random() < 0.9 else rng.randrange(nodes)
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    rows = [[a, b] for a, b in sorted(pairs)]
    for start in range(0, len(rows), 10_000):
        _run(
            driver, database,
            "UNWIND $rows AS r WITH r, r[0] AS a, r[1] AS b "
            "MATCH (pa:Phone {uid: 'phone:+44722' + toString(1000000 + a)}) "
            "MATCH (pb:Phone {uid: 'phone:+44722' + toString(1000000 + b)}) "
            "CREATE (e:Call:Event:Entity {uid: 'call:BENCH:N' + toString(a) + '-' + toString(b), "
            "call_type: 'VOICE', direction: 'UNKNOWN', duration_seconds: 60, "
            "occurred_from: datetime({epochSeconds: $start + a}), force: $force, "
            "classification: $classification, access: $access}) "
            "CREATE (pa)-[:CALLED {role: 'CALLER', force: $force, classification: $classification, "
            "access: $access}]->(e) "
            "CREATE (pb)-[:CALLED {role: 'CALLEE', force: $force, classification: $classification, "
            "access: $access}]->(e)",
            rows=rows[start : start + 10_000], start=START, **LABELS,
        )  # fmt: skip


def _median(runs: list[tuple[float, float]]) -> tuple[float, float, float]:
    totals = [r + c for r, c in runs]
    middle = sorted(range(len(runs)), key=lambda i: totals[i])[len(runs) // 2]
    return statistics.median(totals), runs[middle][0], runs[middle][1]


def _report(name: str, aim: float, runs: list[tuple[float, float]], extra: str) -> None:
    total, read, compute = _median(runs)
    print(
        f"{name}: median {total * 1000:,.0f} ms over {len(runs)} runs (aim {aim * 1000:,.0f} ms; "
        f"{'met' if total < aim else 'missed'}); reading Neo4j {read / total:.0%} "
        f"({read * 1000:,.0f} ms), computing {compute / total:.0%} ({compute * 1000:,.0f} ms); {extra}"
    )


def time_comms(driver: Driver, database: str) -> tuple[float, float, int]:
    started = time.perf_counter()
    endpoints = set().union(*resolve_subjects(driver, database, PRINCIPAL, [TARGET]).values())
    totals = contact_totals(driver, database, PRINCIPAL, endpoints, EVERYTHING)
    buckets = activity(driver, database, PRINCIPAL, endpoints, EVERYTHING)
    read = time.perf_counter() - started
    summary = summarise(totals, buckets)
    computed = time.perf_counter() - started - read
    started = time.perf_counter()
    describe(driver, database, PRINCIPAL, [TARGET, *(c.node.uid for c in summary.contacts[:50])])
    read += time.perf_counter() - started
    return read, computed, summary.events


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=500)
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--edges", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="measure what is already written")
    args = parser.parse_args()
    settings = bench_settings()
    if not all(s.healthy for s in stack_status(settings)):
        stack_up(settings)
    driver = open_driver(settings)
    database = settings.neo4j_database
    try:
        apply_schema(driver, database, settings.embedding_dims)
        if not args.reuse:
            began = time.perf_counter()
            _run(driver, database, "MATCH (n:Entity {force: $force}) CALL (n) { DETACH DELETE n } "
                 "IN TRANSACTIONS OF 2000 ROWS", force=FORCE)  # fmt: skip
            write_target(driver, database, args.calls, args.contacts)
            write_network(driver, database, args.nodes, args.edges)
            print(f"fixtures written in {time.perf_counter() - began:.1f} s")
        measure(driver, database, args)
    finally:
        driver.close()


def measure(driver: Driver, database: str, args: argparse.Namespace) -> None:
    runs: list[tuple[float, float]] = []
    events = 0
    for _ in range(args.repeat):
        read, computed, events = time_comms(driver, database)
        runs.append((read, computed))
    raw = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        driver.execute_query(
            "MATCH (s:Phone {uid: $uid})-[:CALLED]->(e:Call)<-[:CALLED]-(p) WHERE p <> s "
            "RETURN count(DISTINCT p.uid) AS contacts, min(e.occurred_from) AS first",
            {"uid": TARGET}, database_=database, routing_="r",
        )  # fmt: skip
        raw.append(time.perf_counter() - started)
    if events != args.calls:  # the policy hid the fixture, or it was not written: nothing was measured
        raise SystemExit(f"the summary saw {events:,} of the {args.calls:,} calls written; nothing measured")
    bare = statistics.median(raw)
    summary = _median(runs)[0]
    _report(
        "communications summary", 0.5, runs,
        f"{events:,} calls; bare read {bare * 1000:,.0f} ms, summary / bare {summary / bare:.1f}",
    )  # fmt: skip
    request = SubgraphRequest(
        seeds=("phone:+447221000000",), hops=20, relationship_types=("CALLED",),
        max_nodes=args.nodes + 1, max_edges=args.edges + 1,
    )  # fmt: skip
    runs, shape = [], ""
    for _ in range(args.repeat):
        result = network(driver, database, PRINCIPAL, request)
        runs.append((result.read_seconds, result.compute_seconds))
        shape = (
            f"{len(result.nodes):,} nodes, {result.edges:,} edges, {len(result.communities)} communities "
            f"(modularity {result.modularity:.2f}), betweenness/closeness "
            f"{'estimated' if result.estimated else 'exact'}"
        )
        # Random pairs can leave a phone or two without a call (outside the seed's component); a
        # network missing most of the phones was hidden by the policy or not written.
        if len(result.nodes) < args.nodes // 2:
            raise SystemExit(f"the network read {len(result.nodes):,} of the {args.nodes:,} phones written")
    _report("centrality and communities", 5.0, runs, shape)


if __name__ == "__main__":
    main()

"""Load on a running ``polegraph serve``: concurrent clients running a mix of GraphQL queries.

Start the API on the loaded scenario (``polegraph demo generate`` + ``polegraph load-plan``), with
the cost budget raised so that the load measures the API rather than its rate limit, e.g.::

    POLEGRAPH_JWT_SECRET=… POLEGRAPH_API_COST_BUDGET=1000000000 polegraph serve --workers 2
    POLEGRAPH_JWT_SECRET=… python bench/api_load.py --scenario demo-data --seconds 60

Each of ``--clients`` clients (32) holds its own token (a user of its own, minted with the
configured HS256 secret, reading every force of the scenario at SECRET) and runs, for
``--seconds``, a weighted mix (``--mix``) of:

- ``search``: a name as an investigator types it (the scenario's ground-truth name queries);
- ``neighbourhood``: everything within 2 hops of a person of the scenario's network (first 50);
- ``paths``: the shortest paths (up to 4 hops) between two members of that network;
- ``me``: the caller's own principal (no engine; the HTTP, auth, limits and audit overhead alone).

It prints throughput, p50/p95/p99 per kind and overall, and the error rate (any answer that is not
a 200 without errors). Then, one request at a time, each kind's API latency against the same query
sent to the engine directly: the ``_msearch`` that ``prepare_search`` builds for ``search``, and
for the network fields the Cypher that ``polegraph.graph.network`` sends (recorded, then run with
the driver, its records fetched); the ratio of their medians is the figure to read on a shared
machine. The raw queries
reach the engines named by the ``POLEGRAPH_*`` settings, which must be the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from polegraph.api.auth import mint_token
from polegraph.api.ids import to_global_id
from polegraph.config import Settings, get_settings
from polegraph.security.policy import Principal

PURPOSE = "BENCH api_load"
QUERIES = {
    "search": """query Search($text: String!) {
  search(query: $text, first: 10) {
    totalCount
    edges { node { id label force ... on Person { fullName dob } } }
    restricted { force count }
    pageInfo { hasNextPage endCursor }
  }
}""",
    "neighbourhood": """query Network($id: ID!) {
  neighbourhood(id: $id, hops: 2, first: 50) {
    totalCount
    edges { hops relationship { type } node { id label } }
    pageInfo { hasNextPage endCursor }
  }
}""",
    "paths": """query Paths($from: ID!, $to: ID!) {
  paths(from: $from, to: $to, maxHops: 4) { length nodes { id label } relationships { type } }
}""",
    "me": "{ me { user homeForce roles } }",
}
NEIGHBOURHOOD_FIRST, NEIGHBOURHOOD_HOPS, PATH_HOPS, SEARCH_FIRST = 50, 2, 4, 10


@dataclass
class Samples:
    """What the clients send: variables per kind, drawn from the scenario's ground truth."""

    forces: list[str]
    by_kind: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def load_samples(scenario: Path | None) -> Samples:
    """Search texts, person IDs and pairs of connected people from ``ground_truth.json``."""
    if scenario is None:
        return Samples(forces=["GMP"], by_kind={"me": [{}]})
    truth = json.loads((scenario / "ground_truth.json").read_text(encoding="utf-8"))
    names = truth["name_queries"]
    uids: dict[str, list[str]] = {}
    for query in names:
        uids.setdefault(query["person_id"], []).extend(query["expected_person_uids"])
    network = truth["network"]
    members = [p["person_id"] for p in network["offenders"] if uids.get(p["person_id"])]
    person = {m: to_global_id("Person", uids[m][0]) for m in members}
    # People who drive one vehicle are connected through it; the leader reaches each of them.
    pairs = [
        (person[a], person[b])
        for vehicle in network["vehicles"]
        for a, b in zip(vehicle["drivers"], vehicle["drivers"][1:], strict=False)
        if a in person and b in person
    ]
    pairs += [(person[members[0]], person[m]) for m in members[1:]]
    return Samples(
        forces=list(truth["forces"]),
        by_kind={
            "search": [{"text": q["query"]} for q in names],
            "neighbourhood": [{"id": person[m]} for m in members],
            "paths": [{"from": a, "to": b} for a, b in pairs],
            "me": [{}],
        },
    )


@dataclass
class Outcome:
    kind: str
    ms: float
    ok: bool
    status: int


def is_ok(response: httpx.Response) -> bool:
    if response.status_code != 200:
        return False
    body = response.json()
    return not body.get("errors")


async def client_loop(
    client: httpx.AsyncClient, url: str, token: str, mix: list[tuple[str, int]], samples: Samples,
    deadline: float, seed: int, outcomes: list[Outcome],
) -> None:  # fmt: skip
    rng = random.Random(seed)
    kinds, weights = zip(*mix, strict=True)
    headers = {"Authorization": f"Bearer {token}", "X-Purpose": PURPOSE}
    while time.perf_counter() < deadline:
        kind = rng.choices(kinds, weights)[0]
        variables = rng.choice(samples.by_kind[kind])
        started = time.perf_counter()
        try:
            response = await client.post(
                url, json={"query": QUERIES[kind], "variables": variables}, headers=headers
            )
            ok, status = is_ok(response), response.status_code
        except httpx.HTTPError:
            ok, status = False, 0
        outcomes.append(Outcome(kind, (time.perf_counter() - started) * 1000, ok, status))


async def run_load(
    url: str, tokens: list[str], mix: list[tuple[str, int]], samples: Samples, seconds: float
) -> tuple[list[Outcome], float]:
    """Every client's outcomes, and the wall time the load ran."""
    outcomes: list[Outcome] = []
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(timeout=60.0, limits=limits) as client:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(
            *(client_loop(client, url, t, mix, samples, deadline, i, outcomes) for i, t in enumerate(tokens))
        )
        return outcomes, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarise(outcomes: list[Outcome], wall_s: float) -> dict[str, dict[str, float]]:
    """Per kind and overall: count, throughput, p50/p95/p99 and error rate."""
    rows: dict[str, dict[str, float]] = {}
    for kind in [*sorted({o.kind for o in outcomes}), "all"]:
        chosen = [o for o in outcomes if kind in ("all", o.kind)]
        times = [o.ms for o in chosen]
        errors = sum(not o.ok for o in chosen)
        rows[kind] = {
            "requests": len(chosen), "per_s": len(chosen) / wall_s,
            "p50_ms": statistics.median(times), "p95_ms": percentile(times, 0.95),
            "p99_ms": percentile(times, 0.99), "errors": errors, "error_rate": errors / len(chosen),
            "rate_limited": sum(o.status == 429 for o in chosen),
        }  # fmt: skip
    return rows


def _raw_runner(
    settings: Settings, principal: Principal, kind: str
) -> Callable[[dict[str, Any]], None] | None:
    """A function sending ``kind``'s own engine query for one sample directly (None: no engine)."""
    if kind == "search":
        from polegraph.search.client import open_client
        from polegraph.search.query import prepare_search

        es = open_client(settings)

        def search_raw(variables: dict[str, Any]) -> None:
            prepared = prepare_search(settings, principal, variables["text"], first=SEARCH_FIRST)
            es.msearch(searches=prepared.lines)

        return search_raw
    if kind in ("neighbourhood", "paths"):
        from neo4j import READ_ACCESS, Query

        from polegraph.api.ids import from_global_id
        from polegraph.graph import network  # the data fields' reads
        from polegraph.graph.driver import open_driver

        driver = open_driver(settings)

        class Recorder(network.GraphDb):
            """Keeps the Cypher a read sends instead of sending it."""

            def run(self, text: str, params: Any) -> list[dict[str, Any]]:
                self.sent = (text, dict(params))
                return []

        def key(global_id: str) -> Any:
            ref = from_global_id(global_id)
            return network.NodeKey(ref.label, ref.uid)

        def cypher_raw(variables: dict[str, Any]) -> None:
            recorder = Recorder.of(driver, settings)
            if kind == "neighbourhood":
                network.neighbourhood(
                    recorder,
                    principal,
                    key(variables["id"]),
                    hops=NEIGHBOURHOOD_HOPS,
                    first=NEIGHBOURHOOD_FIRST,
                )
            else:
                network.paths(
                    recorder, principal, key(variables["from"]), key(variables["to"]), max_hops=PATH_HOPS
                )
            text, params = recorder.sent
            with driver.session(database=settings.neo4j_database, default_access_mode=READ_ACCESS) as session:
                # The records are fetched, as the API's read does: consume() would discard them
                # on the server, leaving out their transfer and decoding.
                list(session.run(Query(text, timeout=settings.neo4j_tx_timeout_s), params))

        return cypher_raw
    return None


def compare_to_raw(
    url: str,
    token: str,
    settings: Settings,
    principal: Principal,
    samples: Samples,
    kinds: list[str],
    count: int,
) -> dict[str, dict[str, float]]:
    """One request at a time: the API's latency and the same engine query's, on the same samples."""
    rows: dict[str, dict[str, float]] = {}
    headers = {"Authorization": f"Bearer {token}", "X-Purpose": PURPOSE}
    with httpx.Client(timeout=60.0) as client:
        for kind in kinds:
            raw = _raw_runner(settings, principal, kind)
            if raw is None:
                continue
            api_ms: list[float] = []
            raw_ms: list[float] = []
            for variables in (samples.by_kind[kind] * count)[:count]:
                started = time.perf_counter()
                client.post(url, json={"query": QUERIES[kind], "variables": variables}, headers=headers)
                middle = time.perf_counter()
                raw(variables)
                ended = time.perf_counter()
                api_ms.append((middle - started) * 1000)
                raw_ms.append((ended - middle) * 1000)
            rows[kind] = {
                "samples": len(api_ms), "api_p50_ms": statistics.median(api_ms),
                "raw_p50_ms": statistics.median(raw_ms),
                "ratio_p50": statistics.median(api_ms) / statistics.median(raw_ms),
            }  # fmt: skip
    return rows


def parse_mix(text: str) -> list[tuple[str, int]]:
    mix = []
    for part in text.split(","):
        kind, _, weight = part.partition("=")
        if kind.strip() not in QUERIES:
            raise SystemExit(f"unknown kind {kind!r} in --mix; known: {', '.join(QUERIES)}")
        mix.append((kind.strip(), int(weight or 1)))
    return mix


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--scenario", type=Path, help="the generated scenario (its ground_truth.json)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--mix", default="search=4,neighbourhood=3,paths=3", help="kind=weight,…")
    parser.add_argument(
        "--raw-samples", type=int, default=30, help="per kind, for the ratio to the raw query"
    )
    parser.add_argument("--no-raw", action="store_true", help="skip the comparison with the raw queries")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    settings = get_settings()
    samples = load_samples(args.scenario)
    mix = parse_mix(args.mix)
    missing = [kind for kind, _ in mix if not samples.by_kind.get(kind)]
    if missing:
        raise SystemExit(f"no samples for {', '.join(missing)}: pass --scenario DIR (the generated scenario)")
    principals = [
        Principal(f"bench.client{i:02d}", samples.forces[0], frozenset(samples.forces), "SECRET",
                  frozenset({"analyst"}))
        for i in range(args.clients)
    ]  # fmt: skip
    tokens = [
        mint_token(settings, user=p.user, home_force=p.home_force, clearance=p.clearance, roles=p.roles,
                   readable_forces=p.readable_forces, ttl_s=int(args.seconds) + 3600)
        for p in principals
    ]  # fmt: skip

    outcomes, wall_s = asyncio.run(run_load(args.url, tokens, mix, samples, args.seconds))
    load = summarise(outcomes, wall_s)
    print(f"{args.clients} clients for {wall_s:.1f}s against {args.url}")
    print(f"{'kind':14} {'requests':>8} {'per s':>7} {'p50':>8} {'p95':>8} {'p99':>8} {'errors':>7}")
    for kind, row in load.items():
        print(
            f"{kind:14} {row['requests']:>8.0f} {row['per_s']:>7.1f} {row['p50_ms']:>6.1f}ms "
            f"{row['p95_ms']:>6.1f}ms {row['p99_ms']:>6.1f}ms {row['error_rate']:>6.2%}"
        )
    if load["all"]["rate_limited"]:
        limited = load["all"]["rate_limited"]
        print(f"{limited:.0f} answers were 429: raise POLEGRAPH_API_COST_BUDGET on the server")
    figures: dict[str, Any] = {"load": load}
    if not args.no_raw:
        kinds = [kind for kind, _ in mix]
        raw = compare_to_raw(args.url, tokens[0], settings, principals[0], samples, kinds, args.raw_samples)
        if raw:
            print(f"\none request at a time, {args.raw_samples} samples per kind:")
            print(f"{'kind':14} {'api p50':>9} {'raw p50':>9} {'ratio':>6}")
            for kind, row in raw.items():
                times = f"{row['api_p50_ms']:>7.1f}ms {row['raw_p50_ms']:>7.1f}ms"
                print(f"{kind:14} {times} {row['ratio_p50']:>6.2f}")
        figures["raw"] = raw
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return figures


if __name__ == "__main__":
    main()

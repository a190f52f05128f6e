"""End-to-end ingest throughput: generated scenario files → loaders → Neo4j → Elasticsearch.

For each size (default 100k and 1M records) it generates the synthetic scenario, loads every file
of its manifest in a child process (so the child's peak memory is the load's own), and prints:
records/s, nodes/s and documents/s, their ratio to the raw engine rates measured in the same run on
the same engines (``bench/baseline.py``: ``UNWIND … CREATE`` and ``_bulk``), and peak memory.
Embeddings are excluded (a separate step).

With ``--kill`` it also kills the largest load with SIGKILL half-way, runs it again, and compares
the resulting graph and index with those of the uninterrupted load.

The engines are a benchmark stack of their own (Bolt 7690, HTTP 9203, state under
``<state dir>/bench``), started if needed and emptied before each load: a deployment's data is
never touched. ``POLEGRAPH_BENCH_NEO4J_URI`` and ``POLEGRAPH_BENCH_ES_HOSTS`` move it to other ports
(with ``POLEGRAPH_STATE_DIR``, a second benchmark stack beside the first).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline import bench_settings, es_bulk_rate, neo4j_write_rate

from polegraph.config import Settings
from polegraph.graph.driver import open_driver
from polegraph.graph.migrations import apply_schema
from polegraph.schema import es_indices, load_ontology
from polegraph.search.client import open_client
from polegraph.search.indices import drop_indices, ensure_index
from polegraph.stack import stack_down, stack_status, stack_up


def empty(settings: Settings) -> None:
    """Delete every node and index of the benchmark stack, then re-create the schema."""
    driver, es = open_driver(settings), open_client(settings)
    try:
        with driver.session(database=settings.neo4j_database) as session:
            # Relationships first: DETACH DELETE of 2,000 nodes that include a hub (a camera site, a
            # target phone) is one transaction of all their relationships, and can outlast the timeout.
            session.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS").consume()
            session.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
        apply_schema(driver, settings.neo4j_database, settings.embedding_dims)
        drop_indices(es, settings)
        for logical, body in es_indices(load_ontology(), settings.embedding_dims).items():
            ensure_index(es, settings, logical, body)
    finally:
        driver.close()
        es.close()


def snapshot(settings: Settings) -> dict[str, Any]:
    """Node counts by label, edge count, and document counts: what an interrupted load must match."""
    driver, es = open_driver(settings), open_client(settings)
    try:
        db = settings.neo4j_database
        labels = driver.execute_query(
            "MATCH (n) WHERE NOT n:LoadJournal UNWIND labels(n) AS l RETURN l, count(*) AS c", database_=db
        ).records
        edges = driver.execute_query("MATCH ()-[r]->() RETURN count(r) AS c", database_=db).records[0]["c"]
        es.indices.refresh(index=f"{settings.index_prefix}-*")
        docs = es.count(index=settings.index_name("entities"))["count"]
        sources = es.count(index=settings.index_name("source_records"))["count"]
    finally:
        driver.close()
        es.close()
    return {"labels": {r["l"]: r["c"] for r in labels}, "edges": edges, "docs": docs, "sources": sources}


def manifest_entries(out: Path) -> list[dict[str, Any]]:
    manifest = json.loads((out / "manifest.json").read_text())
    entries: list[dict[str, Any]] = manifest["files"]
    return entries


def load_child(settings: Settings, out: Path, only: str | None = None) -> subprocess.Popen[bytes]:
    """A child process that loads the manifest's files (or one of them) and prints its summary."""
    env = {
        **os.environ,
        "POLEGRAPH_NEO4J_URI": settings.neo4j_uri,
        "POLEGRAPH_ES_HOSTS": ",".join(settings.es_hosts),
        "POLEGRAPH_INDEX_PREFIX": settings.index_prefix,
        "POLEGRAPH_STATE_DIR": str(settings.state_dir),
    }
    cmd = [sys.executable, __file__, "--load-manifest", str(out)] + (["--only", only] if only else [])
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE)


def load_manifest(out: Path, only: str | None) -> None:
    """(In the child) load the scenario's plan; print one JSON line of totals."""
    from polegraph.config import get_settings
    from polegraph.loadplan import load_plan, read_plan

    settings = get_settings()
    plan = [p for p in read_plan(out) if not only or p.path.name == only]
    driver, es = open_driver(settings), open_client(settings)
    started = time.perf_counter()
    try:
        summaries = load_plan(settings, driver, es, plan)
    finally:
        driver.close()
        es.close()
    totals: dict[str, float] = {
        key: sum(getattr(s, key) for s in summaries)
        for key in ("read", "loaded", "quarantined", "nodes", "edges")
    }
    totals["seconds"] = time.perf_counter() - started
    print(json.dumps(totals), flush=True)


def generate(out: Path, records: int, forces: int, seed: int) -> dict[str, Any]:
    """Generate a scenario of about ``records`` source records (people scaled from a probe)."""
    from polegraph.scenario import generate as make

    # The network's records are a fixed amount: a probe of some size gives the per-person rate.
    probe_people = 20_000
    probe = out.parent / f"probe-{seed}-{forces}"
    if not (probe / "manifest.json").exists():
        make(probe, forces=forces, people=probe_people, seed=seed)
    per_person = sum(e["records"] for e in manifest_entries(probe)) / probe_people
    people = max(50, int(records / per_person))
    while True:
        if not (out / "manifest.json").exists():
            shutil.rmtree(out, ignore_errors=True)  # a generation cut short
            started = time.perf_counter()
            make(out, forces=forces, people=people, seed=seed)
            print(f"  generated {people:,} people in {time.perf_counter() - started:.1f}s")
        total = sum(e["records"] for e in manifest_entries(out))
        # Records per person fall as the scenario grows (the network's records are a fixed amount):
        # a scenario short of the size asked for is generated again, scaled by what it fell short.
        if total >= 0.995 * records:
            break
        people = int(people * records / total * 1.005) + 1
        shutil.rmtree(out)
    return {"records": total}


def run_size(settings: Settings, records: int, args: argparse.Namespace, raw: dict[str, float]) -> None:
    out = args.work / f"scenario-{records}"
    info = generate(out, records, args.forces, args.seed)
    print(f"{records:,} requested: {info['records']:,} records in {len(manifest_entries(out))} files")
    saved = out / "uninterrupted.json"
    if not args.kill_only:
        empty(settings)
        child = load_child(settings, out)
        stdout, _ = child.communicate()
        totals = json.loads(stdout.decode().strip().splitlines()[-1])
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rate = totals["read"] / totals["seconds"]
        nodes_rate = totals["nodes"] / totals["seconds"]
        print(f"  records/s: {rate:,.0f} (read {totals['read']:,} = loaded {totals['loaded']:,}"
              f" + quarantined {totals['quarantined']:,}) in {totals['seconds']:.1f}s")  # fmt: skip
        print(f"  nodes/s: {nodes_rate:,.0f} = {nodes_rate / raw['neo4j']:.2f} of raw UNWIND CREATE "
              f"({raw['neo4j']:,.0f}/s)")  # fmt: skip
        docs_ratio = nodes_rate / raw["es"]
        print(f"  documents/s: {nodes_rate:,.0f} = {docs_ratio:.2f} of raw _bulk ({raw['es']:,.0f}/s)")
        print(f"  peak memory of the loading process (max over children so far): {peak_mb:,.0f} MB")
        print(f"  engines: Neo4j heap {settings.neo4j_heap}, page cache {settings.neo4j_pagecache}; "
              f"Elasticsearch heap {settings.es_heap}")  # fmt: skip
        # What a killed and resumed load must match, kept for a later --kill-only run.
        saved.write_text(json.dumps({"seconds": totals["seconds"], "snapshot": snapshot(settings)}))
    if (args.kill or args.kill_only) and records == max(args.records):
        kill_and_resume(settings, out, json.loads(saved.read_text()))


def kill_and_resume(settings: Settings, out: Path, uninterrupted: dict[str, Any]) -> None:
    """Load again, SIGKILL the load half-way, run it again; compare with the uninterrupted load."""
    empty(settings)
    half = uninterrupted["seconds"] / 2
    child = load_child(settings, out)
    time.sleep(half)
    child.send_signal(signal.SIGKILL)
    child.wait()
    started = time.perf_counter()
    again = load_child(settings, out)
    again.communicate()
    resumed_s = time.perf_counter() - started
    got = snapshot(settings)
    expected = uninterrupted["snapshot"]
    same = got == expected
    print(f"  killed half-way ({half:.0f}s) and re-run ({resumed_s:.0f}s): graph and index "
          f"{'identical to' if same else 'DIFFERENT from'} the uninterrupted load")  # fmt: skip
    print(f"  nodes {sum(got['labels'].values()):,}, edges {got['edges']:,}, "
          f"entity documents {got['docs']:,}, source-record documents {got['sources']:,}")  # fmt: skip
    if not same:
        for key in ("edges", "docs", "sources"):
            if got[key] != expected[key]:
                print(f"    {key}: {got[key]:,} against {expected[key]:,}")
        for label in sorted(got["labels"].keys() | expected["labels"].keys()):
            mine, theirs = got["labels"].get(label, 0), expected["labels"].get(label, 0)
            if mine != theirs:
                print(f"    {label}: {mine:,} against {theirs:,}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--forces", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=Path("/tmp/polegraph-bench"))
    parser.add_argument("--kill", action="store_true", help="also kill the largest load half-way and re-run")
    parser.add_argument(
        "--kill-only", action="store_true",
        help="only the kill and re-run, compared with the uninterrupted load an earlier run saved",
    )  # fmt: skip
    parser.add_argument(
        "--restart", action="store_true",
        help="restart the benchmark stack first, so that POLEGRAPH_NEO4J_HEAP, POLEGRAPH_NEO4J_PAGECACHE "
        "and POLEGRAPH_ES_HEAP take effect (a 1M load wants several GB of each)",
    )  # fmt: skip
    parser.add_argument("--load-manifest", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_manifest:
        load_manifest(args.load_manifest, args.only)
        return
    settings = bench_settings()
    if args.restart:
        stack_down(settings)
    if not all(s.healthy for s in stack_status(settings)):
        stack_up(settings)
    args.work.mkdir(parents=True, exist_ok=True)
    empty(settings)
    raw = {"neo4j": neo4j_write_rate(settings, 100_000, 5_000), "es": es_bulk_rate(settings, 100_000, 5_000)}
    print(f"raw engine rates this run: Neo4j {raw['neo4j']:,.0f} nodes/s, ES {raw['es']:,.0f} docs/s")
    for records in args.records:
        run_size(settings, records, args, raw)


if __name__ == "__main__":
    main()

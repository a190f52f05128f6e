"""The physical limits later benchmarks are measured against, in one run on this machine.

- raw Neo4j writes: ``UNWIND $rows AS r CREATE (:BenchNode {…})`` of 100k small nodes in batches;
- raw Elasticsearch ``_bulk`` of 100k small documents;
- raw sentence-transformers ``encode`` of 5,000 sentences of about 40 words.

Each figure is printed on its own line as ``name: value unit`` (median of --repeat runs) and, with
--json, written as JSON for the other benchmarks to read. The engines are those of the settings
(the local stack by default: run ``polegraph stack up`` first).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch, helpers

from polegraph.config import Settings, get_settings
from polegraph.graph.driver import open_driver
from polegraph.search.client import open_client
from polegraph.stack import side_stack

WORDS = (  # noqa: SIM905 — prose reads better than a 60-item list
    "the suspect was seen near the hotel with a girl aged fifteen who had been reported missing from "
    "her care home phone number vehicle silver ford focus registered keeper address street intelligence "
    "report indicates meetings late at night taxi driver cash drugs alcohol party manchester rochdale "
    "bradford leeds station shop park flat older men messages snapchat"
).split()


def bench_settings() -> Settings:
    """The benchmark stack: Bolt 7690, HTTP 9203, state under ``<state dir>/bench``.

    ``POLEGRAPH_BENCH_NEO4J_URI`` and ``POLEGRAPH_BENCH_ES_HOSTS`` move it to other engines (or other
    ports, where ``stack up`` then starts it): every benchmark reads the same two variables, so none
    of them can empty a stack that another one was pointed away from.
    """
    settings = side_stack(Settings(), "bench", 7690, 9203)
    return settings.model_copy(
        update={
            "neo4j_uri": os.environ.get("POLEGRAPH_BENCH_NEO4J_URI", settings.neo4j_uri),
            "es_hosts": os.environ.get("POLEGRAPH_BENCH_ES_HOSTS", settings.es_hosts[0]).split(","),
        }
    )


def neo4j_write_rate(settings: Settings, n: int, batch: int) -> float:
    """Nodes per second for UNWIND … CREATE in batches of ``batch``, one transaction each."""
    driver = open_driver(settings)
    db = settings.neo4j_database
    rows = [{"i": i, "name": f"node {i}", "force": "BENCH", "v": i * 0.5} for i in range(n)]
    try:
        _delete_bench_nodes(driver, db)
        start = time.perf_counter()
        with driver.session(database=db) as session:
            for k in range(0, n, batch):
                session.execute_write(
                    lambda tx, chunk=rows[k : k + batch]: tx.run(
                        "UNWIND $rows AS r "
                        "CREATE (:BenchNode {i: r.i, name: r.name, force: r.force, v: r.v})",
                        rows=chunk,
                    ).consume()
                )
        elapsed = time.perf_counter() - start
        _delete_bench_nodes(driver, db)
    finally:
        driver.close()
    return n / elapsed


def _delete_bench_nodes(driver: Any, db: str) -> None:
    with driver.session(database=db) as session:
        session.run("MATCH (n:BenchNode) CALL (n) { DELETE n } IN TRANSACTIONS OF 50000 ROWS").consume()


def es_bulk_rate(settings: Settings, n: int, batch: int) -> float:
    """Documents per second through ``_bulk`` (refresh disabled during the load, as loaders do)."""
    client: Elasticsearch = open_client(settings)
    index = f"{settings.index_prefix}-bench-baseline"
    try:
        client.options(ignore_status=404).indices.delete(index=index)
        client.indices.create(
            index=index,
            settings={"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "-1"},
            mappings={"properties": {"i": {"type": "long"}, "name": {"type": "text"},
                                     "force": {"type": "keyword"}, "v": {"type": "float"}}},
        )  # fmt: skip
        actions = (
            {
                "_index": index,
                "_id": str(i),
                "_source": {"i": i, "name": f"doc {i}", "force": "BENCH", "v": i * 0.5},
            }
            for i in range(n)
        )
        start = time.perf_counter()
        ok, errors = helpers.bulk(
            client.options(request_timeout=120), actions, chunk_size=batch, stats_only=True
        )
        client.indices.refresh(index=index)
        elapsed = time.perf_counter() - start
        if errors or ok != n:
            raise RuntimeError(f"bulk indexed {ok} of {n} documents, {errors} errors")
        client.indices.delete(index=index)
    finally:
        client.close()
    return n / elapsed


def sentences(n: int, words: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(words)) for _ in range(n)]


def encode_rate(settings: Settings, n: int) -> tuple[float, str]:
    """Sentences per second for a bare ``model.encode`` (the model polegraph embeds with)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from polegraph.nlp.model import load_embedding_model

    model = load_embedding_model(settings)
    texts = sentences(n, 40)
    model.encode(texts[:64], batch_size=settings.embedding_batch_size)  # warm-up
    start = time.perf_counter()
    model.encode(texts, batch_size=settings.embedding_batch_size)
    return n / (time.perf_counter() - start), str(model.device)


def median_of(repeat: int, run: Callable[[], float]) -> tuple[float, list[float]]:
    values = [run() for _ in range(repeat)]
    return statistics.median(values), values


def _runs(values: list[float], repeat: int, fmt: str) -> str:
    return f"median of {repeat}: " + ", ".join(format(v, "," + fmt) for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", type=int, default=100_000, help="nodes for the Neo4j write rate")
    parser.add_argument("--docs", type=int, default=100_000, help="documents for the ES bulk rate")
    parser.add_argument("--sentences", type=int, default=5_000, help="sentences for the encode rate")
    parser.add_argument(
        "--batch", type=int, default=5_000, help="rows per Neo4j transaction / ES bulk request"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is printed")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = parser.parse_args()

    settings = get_settings()
    neo, neo_runs = median_of(args.repeat, lambda: neo4j_write_rate(settings, args.nodes, args.batch))
    print(f"neo4j_unwind_create: {neo:,.0f} nodes/s ({_runs(neo_runs, args.repeat, '.0f')})")
    es, es_runs = median_of(args.repeat, lambda: es_bulk_rate(settings, args.docs, args.batch))
    print(f"es_bulk: {es:,.0f} docs/s ({_runs(es_runs, args.repeat, '.0f')})")
    device = ""

    def encode() -> float:
        nonlocal device
        rate, device = encode_rate(settings, args.sentences)
        return rate

    enc, enc_runs = median_of(args.repeat, encode)
    print(f"model_encode: {enc:,.1f} sentences/s on {device} ({_runs(enc_runs, args.repeat, '.1f')})")
    figures = {
        "neo4j_unwind_create_per_s": neo,
        "es_bulk_per_s": es,
        "model_encode_per_s": enc,
        "encode_device": device,
        "nodes": args.nodes,
        "docs": args.docs,
        "sentences": args.sentences,
    }
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

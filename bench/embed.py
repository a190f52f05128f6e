"""Throughput of ``polegraph embed`` as a ratio of the model's own rate, in one run on this machine.

It loads N intelligence reports of distinct ~40-word texts (``bench/baseline.py``'s sentences) through
the real intel loader, then measures, on the same texts with the same model:

- ``raw_encode``: texts/s of a bare ``model.encode`` (the limit);
- ``embed``: records/s of ``embed_pending`` from an empty cache (keyset reads from Neo4j, encoding,
  vector writes to Neo4j, partial ``_bulk`` updates to Elasticsearch) and its ratio to ``raw_encode``.
  Both are measured in --rounds rounds (raw first, then embed first, and so on), each ratio against
  the raw rate of its own round (load on a shared machine drifts from minute to minute); medians are
  printed;
- ``embed_unchanged``: records/s of a second run, which finds every hash current and encodes nothing;
- ``embed_from_cache``: records/s after the vectors are removed from the graph (a rebuilt graph):
  the on-disk cache gives them back without encoding.

On a CPU the engines' own work (both index each vector in an HNSW graph) runs on the cores the model
encodes on; --torch-threads leaves cores to them, as a GPU would.

The engines are a benchmark stack of their own (Bolt 7690, HTTP 9203, state under ``<state dir>/bench``),
started if needed and emptied first, unless --neo4j-uri and --es-hosts name others (also emptied).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline import sentences
from ingest import bench_settings, empty

from polegraph.config import Settings
from polegraph.graph.driver import open_driver
from polegraph.ingest import load_file
from polegraph.nlp.cache import EmbeddingCache
from polegraph.nlp.embed import EmbedSummary, SentenceEncoder, embed_pending, load_encoder
from polegraph.search.client import open_client
from polegraph.stack import stack_status, stack_up


def write_reports(path: Path, texts: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["URN", "Date Recorded", "Source Evaluation", "Intelligence Assessment",
                         "Handling Code", "Classification", "Sanitised Text"])  # fmt: skip
        for n, text in enumerate(texts):
            writer.writerow([f"BENCH-{n:07d}", "05/03/2024 18:20", "2", "B", "P", "OFFICIAL", text])
    return path


def raw_rate(encoder: SentenceEncoder, texts: list[str]) -> float:
    start = time.perf_counter()
    encoder.encode(texts)
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--texts", type=int, default=2000, help="intelligence reports to embed")
    parser.add_argument("--words", type=int, default=40, help="words per report")
    parser.add_argument("--rounds", type=int, default=3, help="raw-then-embed rounds; medians are printed")
    parser.add_argument(
        "--torch-threads", type=int, help="CPU threads for the model (default: torch's, one per core)"
    )
    parser.add_argument("--page-size", type=int, default=1000, help="records per page of embed_pending")
    parser.add_argument("--neo4j-uri", help="run against this Neo4j instead of the benchmark stack")
    parser.add_argument("--es-hosts", help="and this Elasticsearch")
    args = parser.parse_args()

    settings: Settings = bench_settings()
    if args.neo4j_uri and args.es_hosts:
        settings = settings.model_copy(
            update={"neo4j_uri": args.neo4j_uri, "es_hosts": args.es_hosts.split(",")}
        )
    elif not all(s.healthy for s in stack_status(settings)):
        stack_up(settings)
    empty(settings)
    texts = sentences(args.texts, args.words, seed=11)
    driver, es = open_driver(settings), open_client(settings)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            load_file(
                settings, driver, es, "intel", write_reports(Path(tmp) / "bench.csv", texts), force="BENCH"
            )
            print(f"loaded {args.texts:,} reports in {time.perf_counter() - started:.1f}s (not timed below)")
            encoder = load_encoder(settings)
            if args.torch_threads:
                import torch

                torch.set_num_threads(args.torch_threads)
            encoder.encode(texts[:64])  # warm-up
            import torch

            print(f"model: {encoder.name} on {encoder.model.device}, batch size {encoder.batch_size}, "
                  f"{torch.get_num_threads()} CPU thread(s) of {os.cpu_count()} cores")  # fmt: skip

            # Rounds of a raw encode and a full embed from nothing, in alternating order, each embed
            # compared with the raw rate of its own round: load on a shared machine drifts.
            def embed_run(cache: EmbeddingCache) -> tuple[EmbedSummary, float]:
                summary = embed_pending(settings, driver, es, encoder, cache=cache, page_size=args.page_size)
                return summary, summary.seen / summary.seconds

            def forget_vectors() -> None:
                driver.execute_query(
                    "MATCH (n:IntelReport) REMOVE n.embedding, n.embedding_hash",
                    database_=settings.neo4j_database,
                )

            rounds: list[tuple[float, float, EmbedSummary]] = []
            for n in range(args.rounds):
                forget_vectors()
                raw = raw_rate(encoder, texts) if n % 2 == 0 else 0.0
                with EmbeddingCache(Path(tmp) / f"round-{n}.sqlite", settings.embedding_dims) as cache:
                    first, rate = embed_run(cache)
                raw = raw or raw_rate(encoder, texts)
                assert first.encoded == args.texts, first
                rounds.append((raw, rate, first))
            with EmbeddingCache(
                Path(tmp) / f"round-{args.rounds - 1}.sqlite", settings.embedding_dims
            ) as cache:
                second, unchanged_rate = embed_run(cache)
                forget_vectors()
                third, cached_rate = embed_run(cache)
    finally:
        driver.close()
        es.close()

    assert (second.encoded, third.encoded) == (0, 0), (second, third)
    ratios = [rate / raw for raw, rate, _ in rounds]
    raw_median = statistics.median(raw for raw, _, _ in rounds)
    for n, (raw, rate, summary) in enumerate(rounds, start=1):
        print(f"round {n}: raw_encode {raw:,.1f} texts/s, embed {rate:,.1f} records/s = {rate / raw:.0%} "
              f"({summary.encoded:,} encoded, {summary.documents:,} documents updated, "
              f"{summary.seconds:.1f}s)")  # fmt: skip
    print(f"raw_encode: {raw_median:,.1f} texts/s (median of {args.rounds})")
    embed_median = statistics.median(rate for _, rate, _ in rounds)
    print(f"embed: {embed_median:,.1f} records/s; ratio to raw_encode {statistics.median(ratios):.0%} "
          f"(median of {args.rounds} rounds)")  # fmt: skip
    print(f"embed_unchanged: {unchanged_rate:,.0f} records/s (nothing encoded, {second.seconds:.2f}s)")
    print(f"embed_from_cache: {cached_rate:,.0f} records/s ({third.cached:,} vectors from the cache, "
          f"{third.seconds:.2f}s), {cached_rate / raw_median:.1f}x raw_encode")  # fmt: skip
    print(f"peak_rss: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()

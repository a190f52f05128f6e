"""Throughput of ``polegraph embed`` as a ratio of the model's own rate, in one run on this machine.

It loads N intelligence reports of distinct ~40-word texts (``bench/baseline.py``'s sentences) through
the real intel loader, then measures, on the same texts with the same model:

- ``raw_encode``: texts/s of a bare ``model.encode`` (the limit), measured before and after the runs
  below and averaged, so that drift on a shared machine does not favour either side;
- ``embed``: records/s of ``embed_pending`` from an empty cache (keyset reads from Neo4j, encoding,
  vector writes to Neo4j, partial ``_bulk`` updates to Elasticsearch) and its ratio to ``raw_encode``;
- ``embed_unchanged``: records/s of a second run, which finds every hash current and encodes nothing;
- ``embed_from_cache``: records/s after the vectors are removed from the graph (a rebuilt graph):
  the on-disk cache gives them back without encoding.

The engines are a benchmark stack of their own (Bolt 7690, HTTP 9203, state under ``<state dir>/bench``),
started if needed and emptied first, unless --neo4j-uri and --es-hosts name others (also emptied).
"""

from __future__ import annotations

import argparse
import csv
import resource
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
            encoder.encode(texts[:64])  # warm-up
            print(f"model: {encoder.name} on {encoder.model.device}, batch size {encoder.batch_size}")

            before = raw_rate(encoder, texts)
            with EmbeddingCache(Path(tmp) / "embeddings.sqlite", settings.embedding_dims) as cache:

                def run() -> tuple[EmbedSummary, float]:
                    summary = embed_pending(
                        settings, driver, es, encoder, cache=cache, page_size=args.page_size
                    )
                    return summary, summary.seen / summary.seconds

                first, embed_rate = run()
                after = raw_rate(encoder, texts)
                second, unchanged_rate = run()
                driver.execute_query(
                    "MATCH (n:IntelReport) REMOVE n.embedding, n.embedding_hash",
                    database_=settings.neo4j_database,
                )
                third, cached_rate = run()
    finally:
        driver.close()
        es.close()

    raw = (before + after) / 2
    assert (first.encoded, second.encoded, third.encoded) == (args.texts, 0, 0), (first, second, third)
    print(f"raw_encode: {raw:,.1f} texts/s (before {before:,.1f}, after {after:,.1f})")
    print(f"embed: {embed_rate:,.1f} records/s, {embed_rate / raw:.0%} of raw_encode ({first.encoded:,} "
          f"encoded, {first.documents:,} documents updated, {first.seconds:.1f}s)")  # fmt: skip
    print(f"embed_unchanged: {unchanged_rate:,.0f} records/s (nothing encoded, {second.seconds:.2f}s)")
    print(f"embed_from_cache: {cached_rate:,.0f} records/s ({third.cached:,} vectors from the cache, "
          f"{third.seconds:.2f}s), {cached_rate / raw:.1f}x raw_encode")  # fmt: skip
    print(f"peak_rss: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()

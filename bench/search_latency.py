"""Search latency per kind of query, against the same Elasticsearch request sent directly; and recall.

It generates the synthetic scenario (``polegraph.scenario``), loads it through its load plan, and runs
the scenario's own ground-truth queries — names as investigators type them (exact, surname first,
swapped, typo, variant), names with a date of birth, identifiers written in another format (phone,
VRM, postcode) and paraphrased intelligence (free text, and with ``--semantic`` hybrid BM25 + kNN) —
as an analyst who may read every force. For each kind it prints p50 and p95 of:

- ``search``: ``polegraph.search.query.search`` end to end (parse, plan, one ``_msearch``, reading the
  answers, explanations, opening the point in time when there is a next page);
- ``raw``: the identical ``_msearch`` body (built once by ``prepare_search``) sent with the client;

and their ratio, with a quality figure: recall@20 of the expected Person records (names), the share
of identifier queries whose normalised node is the first hit, and the mean reciprocal rank of the
report each paraphrase was written from (first page of 20). Hybrid queries also show the time of the
query's ``encode`` alone, which ``raw`` does not include. Absolute times drift on shared machines;
the ratios are the figures to read.

The engines are the benchmark stack (Bolt 7690, HTTP 9203, state ``<state dir>/bench``), started if
needed and emptied before loading; ``POLEGRAPH_BENCH_NEO4J_URI`` and ``POLEGRAPH_BENCH_ES_HOSTS`` point
it elsewhere. ``--reuse`` searches what is already loaded.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from baseline import bench_settings

from polegraph.config import Settings
from polegraph.graph.driver import open_driver
from polegraph.graph.migrations import apply_schema
from polegraph.loadplan import load_plan, read_plan
from polegraph.schema import es_indices, load_ontology
from polegraph.search.client import open_client
from polegraph.search.hybrid import Encoder
from polegraph.search.indices import drop_indices, ensure_index
from polegraph.search.query import prepare_search, release_cursor, search
from polegraph.search.results import SearchResult
from polegraph.security.policy import Principal
from polegraph.stack import stack_status, stack_up

PER_KIND = 20  # queries of each kind
NAME_KINDS = ("exact", "surname_first", "order_swapped", "typo", "forename_variant", "surname_variant")


def prepare_data(settings: Settings, args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    """The scenario folder (generated once) and its ground truth, loaded into emptied engines."""
    from polegraph.scenario.generate import generate

    folder = (
        args.scenario or settings.cache_dir / "search-bench" / f"s{args.seed}-f{args.forces}-p{args.people}"
    )
    if not (folder / "ground_truth.json").exists():
        generate(folder, forces=args.forces, people=args.people, seed=args.seed)
    truth: dict[str, Any] = json.loads((folder / "ground_truth.json").read_text())
    if args.reuse:
        return folder, truth
    driver, es = open_driver(settings), open_client(settings)
    try:
        with driver.session(database=settings.neo4j_database) as session:  # implicit: IN TRANSACTIONS
            session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
        apply_schema(driver, settings.neo4j_database, settings.embedding_dims)
        drop_indices(es, settings)
        for logical, body in es_indices(load_ontology(), settings.embedding_dims).items():
            ensure_index(es, settings, logical, body)
        started = time.perf_counter()
        summaries = load_plan(settings, driver, es, read_plan(folder))
        loaded = sum(s.loaded for s in summaries)
        print(f"loaded {loaded} records in {time.perf_counter() - started:.0f}s")
        if args.semantic:
            from polegraph.nlp.embed import embed_pending, load_encoder

            summary = embed_pending(settings, driver, es, load_encoder(settings))
            print(f"embedded {summary.embedded} narratives in {summary.seconds:.0f}s")
    finally:
        driver.close()
        es.close()
    return folder, truth


def _dmy(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


Judge = Callable[[SearchResult], float]


def recall(expected: list[str]) -> Judge:
    """The share of the expected records among the hits."""
    return lambda r: len(set(expected) & {h.uid for h in r.hits}) / len(expected)


def within(uid: str, top: int) -> Judge:
    """1 when ``uid`` is among the first ``top`` hits."""
    return lambda r: float(uid in [h.uid for h in r.hits[:top]])


def reciprocal_rank(uid: str) -> Judge:
    """1 / the rank of ``uid`` among the hits (0 when it is not on the page)."""
    return lambda r: next((1.0 / rank for rank, h in enumerate(r.hits, start=1) if h.uid == uid), 0.0)


def query_sets(truth: dict[str, Any], semantic: bool) -> dict[str, list[tuple[str, Judge]]]:
    """Kind -> (query text, quality of a result in [0, 1]) from the scenario's ground truth."""
    sets: dict[str, list[tuple[str, Judge]]] = {}

    for kind in NAME_KINDS:
        chosen = [q for q in truth["name_queries"] if q["kind"] == kind][:PER_KIND]
        sets[f"name:{kind}"] = [(q["query"], recall(q["expected_person_uids"])) for q in chosen]
    exact = [q for q in truth["name_queries"] if q["kind"] == "exact"][:PER_KIND]
    sets["name+dob"] = [(f"{q['query']} {_dmy(q['dob'])}", recall(q["expected_person_uids"])) for q in exact]
    labels = {"phone": "phone", "vrm": "vehicle", "postcode": "postcode"}
    for kind, label in labels.items():
        chosen = [q for q in truth["identifier_queries"] if q["kind"] == kind][:PER_KIND]
        sets[f"id:{kind}"] = [(q["query"], within(f"{label}:{q['stored']}", 1)) for q in chosen]
    paraphrases = []
    for item in truth["intel_queries"]:
        _, force, system, urn = item["source_key"].split(":", 3)
        uid = f"intelreport:{force}:{system}:{urn}"
        for text in item["queries"]:
            paraphrases.append((text, reciprocal_rank(uid)))
    sets["text"] = paraphrases[:PER_KIND]
    if semantic:
        sets["text+knn"] = paraphrases[:PER_KIND]
    return sets


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_kind(
    settings: Settings, principal: Principal, queries: list[tuple[str, Judge]],
    repeat: int, encoder: Encoder | None,
) -> dict[str, float]:  # fmt: skip
    es = open_client(settings)
    ours: list[float] = []
    raw: list[float] = []
    encode: list[float] = []
    quality: list[float] = []
    try:
        for text, judge in queries:
            prepared = prepare_search(settings, principal, text, first=20, encoder=encoder)
            for attempt in range(repeat + 1):  # the first of each is a warm-up
                started = time.perf_counter()
                result = search(es, settings, principal, text, first=20, encoder=encoder)
                middle = time.perf_counter()
                es.msearch(searches=prepared.lines)
                ended = time.perf_counter()
                if result.next_cursor:
                    release_cursor(es, result.next_cursor)
                if attempt:
                    ours.append((middle - started) * 1000)
                    raw.append((ended - middle) * 1000)
            quality.append(judge(result))
            if encoder is not None:
                started = time.perf_counter()
                encoder.encode([text])
                encode.append((time.perf_counter() - started) * 1000)
    finally:
        es.close()
    return {
        "queries": len(queries),
        "search_p50_ms": statistics.median(ours), "search_p95_ms": percentile(ours, 0.95),
        "raw_p50_ms": statistics.median(raw), "raw_p95_ms": percentile(raw, 0.95),
        "ratio_p50": statistics.median(ours) / statistics.median(raw),
        "quality": statistics.mean(quality),
        **({"encode_p50_ms": statistics.median(encode)} if encode else {}),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--forces", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--semantic", action="store_true", help="embed the narratives; add hybrid queries")
    parser.add_argument("--reuse", action="store_true", help="search what is loaded already")
    parser.add_argument(
        "--scenario", type=Path,
        help="a scenario generated already (bench/ingest.py's 1M one), instead of --people/--forces/"
        "--seed; with --reuse, searched as bench/ingest.py left it loaded",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    settings = bench_settings()
    if not all(s.healthy for s in stack_status(settings)):
        stack_up(settings)
    _, truth = prepare_data(settings, args)
    encoder = None
    if args.semantic:
        from polegraph.nlp.model import load_embedding_model

        encoder = load_embedding_model(settings)
    principal = Principal(
        "bench.analyst", truth["forces"][0], frozenset(truth["forces"]), "SECRET", frozenset({"analyst"})
    )
    figures: dict[str, dict[str, float]] = {}
    header = ("kind", "n", "search p50", "p95", "raw p50", "p95", "ratio", "quality")
    print("{:24} {:>3} {:>10} {:>7} {:>8} {:>7} {:>6} {:>8}".format(*header))
    for kind, queries in query_sets(truth, args.semantic).items():
        if not queries:
            continue
        row = run_kind(settings, principal, queries, args.repeat, encoder if kind.endswith("knn") else None)
        figures[kind] = row
        times = f"{row['search_p50_ms']:>8.1f}ms {row['search_p95_ms']:>5.1f}ms "
        times += f"{row['raw_p50_ms']:>6.1f}ms {row['raw_p95_ms']:>5.1f}ms"
        print(f"{kind:24} {row['queries']:>3} {times} {row['ratio_p50']:>6.2f} {row['quality']:>8.2f}")
        if "encode_p50_ms" in row:
            print(f"{'':24}     of which the query's encode: p50 {row['encode_p50_ms']:.1f}ms")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""Search quality on the generated scenario: recall@10 and MRR for names, identifiers and paraphrases.

It generates the synthetic scenario (``polegraph demo generate``: records and ground truth), loads it
through its load plan with the real loaders (``polegraph load-plan``), embeds its narratives
(``polegraph embed``), and runs the queries ``polegraph.search.quality`` makes from the ground truth
(seeded, never hand-picked; that module's docstring defines each category and its relevant records)
as an analyst who may read every force. It prints recall@10 and MRR per category against its aim
(0.95 for names and identifiers, 0.8 for paraphrases), per kind of variation, and every miss with
the rank the record reached and what it holds. Exits 1 when a category is below its aim.

The engines are the benchmark stack (``baseline.bench_settings``: ``POLEGRAPH_BENCH_NEO4J_URI``
and ``POLEGRAPH_BENCH_ES_HOSTS`` point it elsewhere), emptied before loading; ``--reuse`` measures
what is loaded already, ``--lexical`` runs the paraphrases without the embedding model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from baseline import bench_settings
from search_latency import prepare_data

from polegraph.graph.driver import open_driver
from polegraph.search.client import open_client
from polegraph.search.hybrid import Encoder
from polegraph.search.quality import (
    Figures,
    evaluate,
    format_report,
    quality_queries,
    read_truth,
    sample_queries,
    written_names,
)
from polegraph.security.policy import Principal
from polegraph.stack import stack_status, stack_up


def _row(figures: Figures) -> dict[str, float]:
    return {"n": figures.count, "recall@10": figures.recall, "mrr": figures.mrr}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--forces", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="measure what is loaded already")
    parser.add_argument(
        "--scenario", type=Path,
        help="a scenario generated already (bench/ingest.py's 1M one), instead of --people/--forces/"
        "--seed; with --reuse, measured as bench/ingest.py left it loaded",
    )  # fmt: skip
    parser.add_argument("--lexical", action="store_true", help="paraphrases without the embedding model")
    parser.add_argument("--per-kind", type=int, help="run a seeded sample of this many queries per kind")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    args.semantic = not args.lexical  # what prepare_data reads: embed after loading
    settings = bench_settings()
    if not all(s.healthy for s in stack_status(settings)):
        stack_up(settings)
    folder, _ = prepare_data(settings, args)
    truth = read_truth(folder)
    encoder: Encoder | None = None
    if args.semantic:
        from polegraph.nlp.model import load_embedding_model

        encoder = load_embedding_model(settings)
    principal = Principal(
        "bench.analyst", truth.summary["forces"][0], frozenset(truth.summary["forces"]), "SECRET",
        frozenset({"analyst"}),
    )  # fmt: skip
    driver, es = open_driver(settings), open_client(settings)
    try:
        queries = quality_queries(truth, driver, settings.neo4j_database, args.seed)
        if args.per_kind:
            queries = sample_queries(queries, args.per_kind, args.seed)
        names = written_names(driver, settings.neo4j_database, truth.human_of)
        report = evaluate(es, settings, principal, queries, truth, encoder=encoder, names=names)
    finally:
        driver.close()
        es.close()
    mode = "hybrid" if encoder is not None else "lexical"
    print(f"scenario {folder.name}: {len(queries)} queries; paraphrases {mode}")
    print("\n".join(format_report(report)))
    if args.json:
        figures = {
            "categories": {c: _row(f) for c, f in report.categories.items()},
            "kinds": {f"{c}/{k}": _row(f) for (c, k), f in report.kinds.items()},
            "misses": [
                {"query": m.query.text, "kind": m.query.kind, "uid": m.uid, "reason": m.reason}
                for m in report.misses
            ],
        }
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 1 if report.below_aim() else 0


if __name__ == "__main__":
    sys.exit(main())

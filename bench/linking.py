"""Linking quality and speed on the generated scenario, against its ground truth.

For each size (persons; default 10k and 100k) it generates the scenario, reads every file through
its loader (the same Person nodes, phones, e-mails and postcodes ``polegraph load`` writes, without
the engines), runs the linker's model exactly as a job does (features, training when big enough,
blocking, scoring) and compares with ``truth/records.jsonl``:

- precision, recall and F1 of the accepted links, of the review band, and of accepted + review;
- the same, pairwise, of the resolved persons (connected components of the accepted links);
- recall among the true pairs whose names are transliterations or variants of each other;
- the pairs compared, the persons, and the time of each stage;
- the true pairs with nothing but a name to go on (no date of birth, phone, e-mail, postcode area or
  identifier recorded on both sides): no link may rest on a name alone (DOMAIN.md), so they bound
  the recall of accepted links, and recall is also given against the others ("evidenced" pairs);
- with ``--why``, every true pair not accepted, by the reason: nothing beyond the name, never
  compared (blocking), scored below the review band, in the review band; with the comparisons
  that counted against it and the generator's distortions of its two records.

The engines are left out on purpose: reading persons from Neo4j and writing links is measured by
the job tests; here the figures are the model's.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import igraph
from splink import DuckDBAPI

from polegraph.linking import model
from polegraph.linking.features import PersonRecord, feature_row
from polegraph.linking.jobs import Thresholds, bands
from polegraph.loaders.base import LoaderOptions, get_loader
from polegraph.loaders.records import Bundle, LoadContext, Quarantined
from polegraph.scenario import ScenarioManifest, generate
from polegraph.scenario.truth import read_records, same_human_pairs

PERSONS_PER_HUMAN = 1.4
# Formats whose loaders make no Person node (a call's parties, an ANPR read, open data): not read.
NO_PERSONS = frozenset(
    {"anpr", "cdr", "police-uk-street", "police-uk-stop-search"}
)  # Person nodes per generated human, measured on the scenario


def _persons_of(bundle: Bundle, force: str) -> Iterable[PersonRecord]:
    nodes = {n.uid: n for n in bundle.nodes}
    people = {n.uid: n for n in bundle.nodes if n.label == "Person"}
    links: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for edge in bundle.edges:
        if edge.start_uid not in people or edge.end_uid not in nodes:
            continue
        target = nodes[edge.end_uid].props
        if edge.type == "HAS_PHONE" and target.get("e164"):
            links[edge.start_uid]["phones"].append(target["e164"])
        elif edge.type == "HAS_EMAIL" and target.get("email"):
            links[edge.start_uid]["emails"].append(target["email"])
        elif edge.type in ("LIVES_AT", "ASSOCIATED_WITH") and target.get("postcode"):
            links[edge.start_uid]["postcodes"].append(target["postcode"])
    for uid, node in people.items():
        p = node.props
        yield PersonRecord(
            uid, bundle.source.key, force, p.get("full_name"), p.get("forenames"), p.get("surname"),
            p.get("dob"), p.get("sex"), p.get("pnc_id"), p.get("cro"), p.get("nino"),
            **{k: list(v) for k, v in links[uid].items()},
        )  # fmt: skip


def read_persons(root: Path) -> list[PersonRecord]:
    """Every Person the loaders make of the scenario's files, with what links compare."""
    manifest = ScenarioManifest.load(root)
    persons: list[PersonRecord] = []
    for entry in (e for e in manifest.files if e.format not in NO_PERSONS):
        ctx = LoadContext(force=entry.force, system=entry.system, load_id="bench", source_file=entry.path)
        cells = entry.options.get("cell_sites")
        options = LoaderOptions(cell_sites=root / cells if cells else None)
        for item in get_loader(entry.format).read(root / entry.path, ctx, options):
            if not isinstance(item, Quarantined):
                persons.extend(_persons_of(item, entry.force))
    return persons


def scores(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    true_positives = len(found & truth)
    precision = true_positives / len(found) if found else 1.0
    recall = true_positives / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "pairs": len(found),
    }


def component_pairs(uids: list[str], links: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Every pair within a connected component of ``links`` (the resolved persons, pairwise)."""
    index = {uid: i for i, uid in enumerate(uids)}
    graph = igraph.Graph(n=len(uids), edges=[(index[a], index[b]) for a, b in links])
    pairs: set[tuple[str, str]] = set()
    for members in graph.connected_components():
        names = sorted(uids[i] for i in members)
        pairs.update((a, b) for i, a in enumerate(names) for b in names[i + 1 :])
    return pairs


def variant_pairs(path: Path) -> set[tuple[str, str]]:
    """True pairs where one record carries a transliterated or variant name of the other."""
    varied: set[str] = set()
    for entry in read_records(path):
        for human in entry["humans"]:
            if human["person_uid"] and {"forename_variant", "surname_variant"} & set(human["distortions"]):
                varied.add(human["person_uid"])
    return {pair for pair in same_human_pairs(path) if pair[0] in varied or pair[1] in varied}


def evidenced(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when two feature rows record something beyond the name on both sides (agreeing or not
    for a date of birth; shared for a phone, e-mail or postcode district; equal for an identifier).
    """
    if a["dob"] and b["dob"]:
        return True
    if any(a[k] and b[k] and set(a[k]) & set(b[k]) for k in ("phones", "emails", "districts")):
        return True
    return any(a[k] and a[k] == b[k] for k in ("pnc_id", "cro", "nino"))


def distortions(path: Path) -> dict[str, set[str]]:
    """Each Person uid's distortions as the generator wrote them (``middle_name_dropped`` left out:
    a third of all records drop a middle name, which says little on its own).
    """
    found: dict[str, set[str]] = {}
    for entry in read_records(path):
        for human in entry["humans"]:
            if human["person_uid"]:
                found[human["person_uid"]] = set(human["distortions"]) - {"middle_name_dropped"}
    return found


def why_missed(
    truth: set[tuple[str, str]],
    accepted: set[tuple[str, str]],
    scored: dict[tuple[str, str], model.ScoredPair],
    rows: dict[str, dict[str, Any]],
    thresholds: Thresholds,
    distorted: dict[str, set[str]],
) -> dict[str, Any]:
    """The true pairs not accepted, by reason, and within each what disagreed and how each was written."""
    reasons: Counter[str] = Counter()
    against: dict[str, Counter[str]] = defaultdict(Counter)
    written: dict[str, Counter[str]] = defaultdict(Counter)
    for a, b in sorted(truth - accepted):
        pair = scored.get((a, b))
        if not evidenced(rows[a], rows[b]):
            reason = "nothing beyond the name"
        elif pair is None:
            reason = "never compared"
        elif pair.probability < thresholds.review:
            reason = "below the review band"
        else:
            reason = "review band"
        reasons[reason] += 1
        if pair is not None:
            for name, c in pair.explanation.items():
                if c["weight"] < 0:
                    against[reason][f"{name}: {c['level']}"] += 1
        written[reason][" + ".join(sorted(distorted[a] | distorted[b])) or "(none)"] += 1
    return {
        "reasons": dict(reasons.most_common()),
        "counted_against": {r: dict(c.most_common(12)) for r, c in against.items()},
        "distortions": {r: dict(c.most_common(12)) for r, c in written.items()},
    }


def run_size(
    persons_wanted: int, forces: int, seed: int, thresholds: Thresholds, workdir: Path, *, why: bool = False
) -> dict[str, Any]:
    root = workdir / f"scenario-{persons_wanted}"
    timings: dict[str, float] = {}
    started = time.perf_counter()
    generate(root, forces=forces, people=max(50, int(persons_wanted / PERSONS_PER_HUMAN)), seed=seed)
    timings["generate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    persons = read_persons(root)
    rows = [feature_row(p) for p in persons]
    timings["read_and_features_s"] = time.perf_counter() - started
    db_api = DuckDBAPI()
    started = time.perf_counter()
    linker = model.make_linker(db_api, rows, None, incremental=False)
    trained = model.train(db_api, linker, len(rows))
    timings["train_s"] = time.perf_counter() - started
    started = time.perf_counter()
    compared = model.block(db_api, linker)
    timings["block_s"] = time.perf_counter() - started
    started = time.perf_counter()
    # For the reasons of misses, every compared pair is scored (slower: more rows to Python).
    every = list(model.predict(linker, 0.0 if why else thresholds.review))
    timings["score_s"] = time.perf_counter() - started
    scored = [s for s in every if s.probability >= thresholds.review]
    by_uid = {row["unique_id"]: row for row in rows}

    def accepted_at(chosen: Thresholds) -> set[tuple[str, str]]:
        return {(s.uid_a, s.uid_b) for s, band in bands(scored, by_uid, chosen) if band == "ACCEPTED"}

    started = time.perf_counter()
    accepted = accepted_at(thresholds)
    timings["bands_s"] = time.perf_counter() - started
    review = {(s.uid_a, s.uid_b) for s in scored} - accepted
    unconstrained = {(s.uid_a, s.uid_b) for s in scored if thresholds.band(s) == "ACCEPTED"}
    truth_path = root / "truth" / "records.jsonl"
    known = {p.uid for p in persons}
    record = {p.uid: p.source_key for p in persons}
    # Two nominals of one record are never compared (by design), even where the generator named
    # one human twice in a record; such pairs are counted apart.
    named = {pair for pair in same_human_pairs(truth_path) if pair[0] in known and pair[1] in known}
    truth = {pair for pair in named if record[pair[0]] != record[pair[1]]}
    variants = variant_pairs(truth_path) & truth
    with_evidence = {pair for pair in truth if evidenced(by_uid[pair[0]], by_uid[pair[1]])}
    linked_time = sum(v for k, v in timings.items() if k in ("train_s", "block_s", "score_s", "bands_s"))
    return {
        "persons": len(persons),
        "true_pairs": len(truth),
        "true_pairs_within_one_record": len(named - truth),
        "pairs_compared": compared,
        "trained": trained,
        "accepted": scores(accepted, truth),
        "true_pairs_with_nothing_beyond_the_name": len(truth - with_evidence),
        "accepted_recall_ceiling": round(len(with_evidence) / len(truth), 4) if truth else None,
        # Against the evidenced pairs only (an accepted pair outside them counts as an error).
        "accepted_against_evidenced_pairs": scores(accepted, with_evidence),
        "review_band": scores(review, truth),
        "accepted_and_review": scores(accepted | review, truth),
        "resolved_pairwise": scores(component_pairs(sorted(known), accepted), truth),
        "variant_name_recall_accepted": round(len(accepted & variants) / len(variants), 4)
        if variants
        else None,
        "variant_name_pairs": len(variants),
        "accepted_by_threshold": {
            str(t): scores(accepted_at(Thresholds(t, thresholds.review)), truth)
            for t in (0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)
        },
        # What the accepted links and resolved persons would be without holding back contradictions.
        "accepted_unconstrained": scores(unconstrained, truth),
        "resolved_unconstrained": scores(component_pairs(sorted(known), unconstrained), truth),
        # What the accepted links would score if a name alone could link (it may not: DOMAIN.md).
        "accepted_if_names_alone_linked": scores(
            {(s.uid_a, s.uid_b) for s in scored if s.probability >= thresholds.accept}, truth
        ),
        "true_pairs_agreeing_on_names_only": sum(
            1 for s in scored if (s.uid_a, s.uid_b) in truth and not model.beyond_names(s.explanation)
        ),
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
        "link_s": round(linked_time, 2),
        "pairs_per_s": round(compared / timings["score_s"]) if timings["score_s"] else None,
        **(
            {"why_missed": why_missed(truth, accepted, {(s.uid_a, s.uid_b): s for s in every}, by_uid,
                                      thresholds, distortions(truth_path))}
            if why
            else {}
        ),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", default="10000,100000", help="comma-separated sizes (Person nodes)")
    parser.add_argument("--forces", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--accept", type=float, default=Thresholds.accept)
    parser.add_argument("--review", type=float, default=Thresholds.review)
    parser.add_argument("--keep", type=Path, help="keep the generated scenarios in this folder")
    parser.add_argument("--why", action="store_true", help="break the missed true pairs down by reason")
    args = parser.parse_args()
    thresholds = Thresholds(args.accept, args.review)
    with tempfile.TemporaryDirectory(prefix="bench-linking-") as tmp:
        workdir = args.keep or Path(tmp)
        for size in (int(s) for s in args.persons.split(",")):
            result = run_size(size, args.forces, args.seed, thresholds, workdir, why=args.why)
            print(json.dumps({"size": size, **result}, indent=1), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()

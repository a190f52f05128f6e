"""The ground truth names records, Person nodes and queries that the loaders really produce."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from polegraph.scenario.truth import read_records, same_human_pairs
from tests.scenario.conftest import PEOPLE, Scenario


def _truth(scenario: Scenario) -> list[dict[str, Any]]:
    return list(read_records(scenario.root / "truth" / "records.jsonl"))


def _ground(scenario: Scenario) -> dict[str, Any]:
    return dict(json.loads((scenario.root / "ground_truth.json").read_text(encoding="utf-8")))


def test_every_record_in_the_truth_is_in_its_file(scenario: Scenario) -> None:
    truth = _truth(scenario)
    assert len(truth) == scenario.manifest.records
    by_file: dict[str, int] = defaultdict(int)
    for entry in truth:
        by_file[entry["file"]] += 1
        parsed = scenario.parsed[entry["file"]]
        if entry.get("expected_quarantined"):
            assert entry["line"] in parsed.quarantined_lines
            continue
        assert entry["source_key"] in parsed.source_keys, entry
        for human in entry["humans"]:
            if human["person_uid"]:
                assert parsed.nodes[human["person_uid"]]["label"] == "Person", human
    assert by_file == {f.path: f.records for f in scenario.manifest.files}


def test_same_human_pairs_join_records_of_one_person_across_forces(scenario: Scenario) -> None:
    owner = {
        h["person_uid"]: h["person_id"]
        for entry in _truth(scenario)
        for h in entry["humans"]
        if h["person_uid"] and h["identified"]
    }
    pairs = list(same_human_pairs(scenario.root / "truth" / "records.jsonl"))
    assert pairs
    assert all(owner[a] == owner[b] and a < b for a, b in pairs)
    cross_force = [(a, b) for a, b in pairs if a.split(":")[1] != b.split(":")[1]]
    assert cross_force


def test_records_are_distorted_the_way_real_ones_are(scenario: Scenario) -> None:
    kinds: dict[str, int] = defaultdict(int)
    for entry in _truth(scenario):
        for human in entry["humans"]:
            for kind in human["distortions"]:
                kinds[kind] += 1
    for kind in ("forename_variant", "forename_typo", "surname_typo", "order_swapped", "dob_swapped",
                 "dob_default_0101", "dob_missing", "dob_year_only", "dob_invalid"):  # fmt: skip
        assert kinds[kind] > 0, kind


def test_every_human_is_listed_with_the_network_first(scenario: Scenario) -> None:
    lines = (scenario.root / "truth" / "humans.jsonl").read_text(encoding="utf-8").splitlines()
    humans = [json.loads(line) for line in lines]
    network = _ground(scenario)["network"]
    assert len(humans) == PEOPLE + len(network["offenders"]) + len(network["victims"])
    assert humans[0]["person_id"] == network["leader"]
    assert len({h["person_id"] for h in humans}) == len(humans)
    assert len({h["mobile"] for h in humans if h["mobile"]}) == sum(1 for h in humans if h["mobile"])


def test_query_sets_expect_records_that_exist(scenario: Scenario) -> None:
    ground = _ground(scenario)
    persons = {
        uid for parsed in scenario.parsed.values() for uid in parsed.nodes if uid.startswith("person:")
    }
    keys = {key for parsed in scenario.parsed.values() for key in parsed.source_keys}
    assert ground["name_queries"]
    kinds = {q["kind"] for q in ground["name_queries"]}
    assert {"exact", "typo", "order_swapped", "forename_variant"} <= kinds
    for query in ground["name_queries"]:
        assert set(query["expected_person_uids"]) <= persons
    assert {q["kind"] for q in ground["identifier_queries"]} == {"phone", "vrm", "postcode"}
    for query in ground["identifier_queries"]:
        assert query["query"] != query["stored"]
        assert query["expected_source_keys"]
        assert set(query["expected_source_keys"]) <= keys


def test_planted_texts_are_loaded_reports_with_paraphrases(scenario: Scenario) -> None:
    ground = _ground(scenario)
    texts = {q["text_id"]: q for q in ground["intel_queries"]}
    assert sorted(texts) == [f"T{n}" for n in range(1, 10)]
    nodes = scenario.all_nodes()
    for planted in texts.values():
        report = nodes[planted["source_key"].replace("src:", "intelreport:", 1)]
        assert report["text"] == planted["text"]
        assert len(planted["queries"]) == 2
        assert planted["about"]
        words = set(planted["text"].lower().split())
        for query in planted["queries"]:
            assert len(set(query.lower().split()) & words) < len(query.split())  # a paraphrase, not a quote

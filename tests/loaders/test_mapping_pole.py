"""Neo4j's POLE example read through the shipped mappings alone (no engines): every file, every row."""

from __future__ import annotations

import csv
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from polegraph.loaders.check import bundle_problems
from polegraph.loaders.mapping import SHIPPED, mapping_plan, read_with_mapping
from polegraph.loaders.mapping_spec import read_mapping
from polegraph.loaders.records import LoadContext, Quarantined

# The project's shared data sits beside the clone (../shared/data); POLEGRAPH_SHARED_DATA moves it.
SHARED_DATA = Path(
    os.environ.get("POLEGRAPH_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")
)
POLE = SHARED_DATA / "pole" / "importer"
MAPPINGS = SHIPPED / "pole"


@dataclass
class FileResult:
    mapping: str
    rows: int = 0  # data rows in the CSV, counted by the csv module
    bundles: int = 0
    quarantined: int = 0
    nodes: Counter[str] = field(default_factory=Counter)
    edges: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


@dataclass
class PoleRead:
    files: dict[str, FileResult]
    uids: set[str]
    addresses: dict[str, str]  # Address uid -> full_address
    scenes: Counter[str]  # Address uid -> crimes that occurred there
    edge_ends: set[str]
    source_keys: Counter[str]


@pytest.fixture(scope="module")
def pole() -> PoleRead:
    """Everything the tests need from one pass over all 28 files (bundles are not kept: 167k)."""
    if not (POLE / "neo4j_importer_model.json").is_file():
        pytest.fail(f"the POLE example is not at {POLE}: set POLEGRAPH_SHARED_DATA to the shared data folder")
    result = PoleRead({}, set(), {}, Counter(), set(), Counter())
    for csv_path, mapping_path in mapping_plan(POLE, MAPPINGS):
        ctx = LoadContext(force="GMP", system="MAPPING", load_id="pole", source_file=str(csv_path))
        got = FileResult(mapping_path.name)
        with csv_path.open(newline="", encoding="utf-8") as handle:
            got.rows = sum(1 for _ in csv.reader(handle)) - 1
        for item in read_with_mapping(read_mapping(mapping_path), csv_path, ctx):
            if isinstance(item, Quarantined):
                got.quarantined += 1
                continue
            got.bundles += 1
            got.problems += bundle_problems(item)
            result.source_keys[item.source.key] += 1
            for node in item.nodes:
                got.nodes[node.label] += 1
                result.uids.add(node.uid)
                if node.label == "Address":
                    result.addresses[node.uid] = node.props["full_address"]
            for edge in item.edges:
                got.edges[edge.type] += 1
                result.edge_ends |= {edge.start_uid, edge.end_uid}
                if edge.type == "OCCURRED_AT":
                    result.scenes[edge.end_uid] += 1
        result.files[csv_path.name.removeprefix("crime-investigation.")] = got
    return result


def test_every_file_has_a_mapping_and_node_files_come_first(pole: PoleRead) -> None:
    assert len(pole.files) == len(list(POLE.glob("*.csv"))) == 28
    kinds = [name.split(".")[0] for name in pole.files]
    assert kinds == sorted(kinds)  # "nodes" before "relationships"


def test_every_row_is_a_sound_bundle_with_its_own_source_record(pole: PoleRead) -> None:
    for name, got in pole.files.items():
        assert got.problems == [], name
        assert (got.bundles, got.quarantined) == (got.rows, 0), name
    assert sum(pole.source_keys.values()) == len(pole.source_keys) == 167_361  # no two rows share a key


EXPECTED_NODES = {
    "nodes.Person.csv": ("Person", 369),
    "nodes.Crime.csv": ("Crime", 28_762),
    "nodes.Location.csv": ("Address", 14_904),
    "nodes.PostCode.csv": ("Postcode", 14_196),
    "nodes.Phone.csv": ("Phone", 328),
    "nodes.PhoneCall.csv": ("Call", 534),
    "nodes.Email.csv": ("Email", 328),
    "nodes.Vehicle.csv": ("Vehicle", 1_000),
}


def test_node_files_make_one_node_per_row(pole: PoleRead) -> None:
    for name, (label, count) in EXPECTED_NODES.items():
        assert pole.files[name].nodes == Counter({label: count}), name
        assert pole.files[name].rows == count
    for name in ("nodes.Area.csv", "nodes.Officer.csv", "nodes.Object.csv"):
        assert not pole.files[name].nodes  # kept as source records only
    made = sum(sum(f.nodes.values()) for f in pole.files.values())
    assert made == 61_521 - 93 - 1_000 - 7 == 60_421
    # Values meet: the 13 Location rows that repeat another's text and postcode add no Address.
    assert len(pole.uids) == made - 13


EXPECTED_EDGES = {
    "relationships.CALLER.csv": ("CALLED", 534),
    "relationships.CALLED.csv": ("CALLED", 534),
    "relationships.CURRENT_ADDRESS.csv": ("LIVES_AT", 368),
    "relationships.FAMILY_REL.csv": ("FAMILY_REL", 155),
    "relationships.HAS_EMAIL.csv": ("HAS_EMAIL", 328),
    "relationships.HAS_PHONE.csv": ("HAS_PHONE", 328),
    "relationships.HAS_POSTCODE.csv": ("IN_POSTCODE", 14_904),
    "relationships.INVOLVED_IN.csv": ("INVOLVED_IN", 978),  # the 7 Object rows have no mapped end
    "relationships.KNOWS.csv": ("KNOWS", 586),
    "relationships.KNOWS_LW.csv": ("KNOWS", 80),
    "relationships.KNOWS_PHONE.csv": ("KNOWS", 118),
    "relationships.KNOWS_SN.csv": ("KNOWS", 241),
    "relationships.OCCURRED_AT.csv": ("OCCURRED_AT", 28_762),
    "relationships.PARTY_TO.csv": ("INVOLVED_IN", 55),
}


def test_relationship_files_link_the_nodes_the_node_files_made(pole: PoleRead) -> None:
    for name, (rel, count) in EXPECTED_EDGES.items():
        assert pole.files[name].edges == Counter({rel: count}), name
    for name in ("INVESTIGATED_BY", "LOCATION_IN_AREA", "POSTCODE_IN_AREA"):
        assert not pole.files[f"relationships.{name}.csv"].edges
    made = sum(sum(f.edges.values()) for f in pole.files.values())
    assert made == 105_840 - 28_762 - 14_904 - 14_196 - 7 == 47_971
    assert pole.edge_ends <= pole.uids  # every end is a node some file made


def test_piccadilly_has_the_most_crimes(pole: PoleRead) -> None:
    (top, crimes), (_, runner_up) = pole.scenes.most_common(2)
    assert (pole.addresses[top], crimes) == ("PICCADILLY M1 1LU", 166)
    assert runner_up < crimes
    near = {pole.addresses[uid]: n for uid, n in pole.scenes.items() if "PICCADILLY" in pole.addresses[uid]}
    assert near == {"PICCADILLY M1 1LU": 166, "BACK PICCADILLY M1 1HP": 5}

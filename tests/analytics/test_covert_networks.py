"""Real covert networks as call records through the ``cdr`` loader: the measures find what was published.

CAVIAR (Morselli 2009): N1 led the network, N12 and N3 were his closest lieutenants; N1 ranks first
by degree and by betweenness, and N1, N12 and N3 are the top three by degree. The normalised
degree of every participant is also the one Anastasiadis and Antoniou (2024) published.
Natarajan's cocaine-trafficking wiretap (2000): 151 intercepted telephone conversations among 28
people of a "corporate" organisation with a clear head, Kay.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from neo4j import Driver

from polegraph.analytics.comms import communications
from polegraph.analytics.network import NetworkAnalysis, network
from polegraph.config import Settings
from polegraph.graph.subgraph import SubgraphRequest
from tests.analytics.conftest import analyst, load_to_graph, matrix_calls, write_cdr
from tests.conftest import Engines, empty

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
CAVIAR = DATA / "caviar"
UCINET = DATA / "covert_ucinet"
START = dt.datetime(1994, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def loaded(
    stack: Settings, neo4j_driver: Driver, es_client: Elasticsearch, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Engines, dict[str, str], dict[str, str]]:
    """CAVIAR and the cocaine network loaded for two forces; each label's phone number."""
    engines = Engines(stack, neo4j_driver, es_client)
    empty(engines)
    folder = tmp_path_factory.mktemp("covert")
    caviar: dict[str, str] = {}
    calls = matrix_calls(CAVIAR / "CAVIAR_FULL_Directed.csv", START, caviar)
    assert load_to_graph(engines, "cdr", write_cdr(folder / "caviar.csv", calls), "GMP") == 3546
    cocaine: dict[str, str] = {}  # another block of numbers: the two networks never meet
    rows = matrix_calls(UCINET / "natajaran_cocaine.csv", START, cocaine, block=901)
    assert load_to_graph(engines, "cdr", write_cdr(folder / "cocaine.csv", rows), "WYP") == 151
    return engines, caviar, cocaine


def _analyse(engines: Engines, force: str, seed_number: str) -> NetworkAnalysis:
    request = SubgraphRequest(seeds=(f"phone:+{seed_number}",), hops=10, relationship_types=("CALLED",))
    return network(engines.driver, engines.settings.neo4j_database, analyst(force), request)


def _labels(numbers: dict[str, str]) -> dict[str, str]:
    return {f"phone:+{n}": label for label, n in numbers.items()}


def test_caviar_leader_and_lieutenants_rank_as_published(
    loaded: tuple[Engines, dict[str, str], dict[str, str]],
) -> None:
    engines, caviar, _ = loaded
    result = _analyse(engines, "GMP", caviar["1"])
    label = _labels(caviar)
    assert len(result.nodes) == 110
    assert result.edges == 205
    by_degree = [label[m.node.uid] for m in sorted(result.nodes, key=lambda m: -m.degree)]
    by_betweenness = [label[m.node.uid] for m in sorted(result.nodes, key=lambda m: -m.betweenness)]
    assert by_degree[0] == "1"
    assert by_betweenness[0] == "1"
    assert by_degree[:3] == ["1", "12", "3"]
    # Every participant's normalised degree is the published one.
    with (CAVIAR / "published_centralities_anastasiadis2024" / "Centralities_undirected.csv").open() as table:
        published = {row["Nodes"]: float(row["Degree"]) for row in csv.DictReader(table)}
    ours = {label[m.node.uid]: m.degree / (len(result.nodes) - 1) for m in result.nodes}
    assert ours == pytest.approx(published)
    # The leader is the first key player: without him the network falls apart most.
    assert label[result.key_players[0]] == "1"


def test_caviar_leader_communications(loaded: tuple[Engines, dict[str, str], dict[str, str]]) -> None:
    engines, caviar, _ = loaded
    summary = communications(
        engines.driver, engines.settings.neo4j_database, analyst("GMP"), [f"phone:+{caviar['1']}"]
    )
    with (CAVIAR / "CAVIAR_FULL_Directed.csv").open(encoding="utf-8-sig") as matrix_file:
        rows = list(csv.reader(matrix_file))
    labels = rows[0][1:]
    matrix = {r[0]: dict(zip(labels, map(int, r[1:]), strict=True)) for r in rows[1:]}
    out = {k: v for k, v in matrix["1"].items() if v and k != "1"}
    into = {r: matrix[r]["1"] for r in labels if matrix[r]["1"] and r != "1"}
    assert summary.calls == sum(out.values()) + sum(into.values())
    label = _labels(caviar)
    top = summary.contacts[0]
    busiest = max(set(out) | set(into), key=lambda k: out.get(k, 0) + into.get(k, 0))
    assert label[top.node.uid] == busiest
    assert (top.outgoing, top.incoming) == (out.get(busiest, 0), into.get(busiest, 0))
    assert top.node.caption == f"+{caviar[busiest]}"


def test_cocaine_wiretap_has_its_published_conversations_and_head(
    loaded: tuple[Engines, dict[str, str], dict[str, str]],
) -> None:
    engines, _, cocaine = loaded
    result = _analyse(engines, "WYP", cocaine["Kay"])
    label = _labels(cocaine)
    assert sum(w for _, _, w in result.edge_list) == 151  # conversations, as published
    assert len(result.nodes) == 28
    head = max(result.nodes, key=lambda m: (m.degree, m.betweenness))
    assert label[head.node.uid] == "Kay"
    assert label[max(result.nodes, key=lambda m: m.betweenness).node.uid] == "Kay"


def test_a_force_without_sharing_sees_none_of_the_other_network(
    loaded: tuple[Engines, dict[str, str], dict[str, str]],
) -> None:
    engines, caviar, cocaine = loaded
    assert _analyse(engines, "WYP", caviar["1"]).nodes == []
    assert _analyse(engines, "GMP", cocaine["Kay"]).nodes == []
    shared = _analyse(engines, "WYP", cocaine["Kay"])
    assert all(m.node.uid.startswith("phone:+447700901") for m in shared.nodes)

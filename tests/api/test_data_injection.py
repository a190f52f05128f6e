"""Hostile input in every string argument, unknown names, oversized and deeply nested input.

Names (IDs, labels, relationship types, roles, filter keys and operators, cursors) are checked
before any query is written: each refusal is a clear error and nothing reaches either engine.
Values (search text, filter values, the uid inside a well-formed ID) are only ever parameters:
they run, find nothing they should not, and change nothing.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from polegraph.api.filters import MAX_DEPTH
from tests.graph.oracle import assert_in_scope, graph_size
from tests.graph.scenario import (
    ALAN_1,
    BRIAN,
    WYP_OFFICER,
    Answer,
    Network,
    execute,
    gid,
    network_fixture,  # noqa: F401 - the module's fixture
)

CYPHER = "x`}) MATCH (n) DETACH DELETE n //"
LUCENE = 'force:LAN OR handling_code:C OR *:* OR "\\'
HOSTILE = (CYPHER, LUCENE, "KNOWS|FROM_SOURCE", "Person`:Entity", "' OR 1=1 --", "$pf_forces", "")
ALAN = gid("Person", ALAN_1)


class CountingEs:
    """The real client, counting the searches sent through it."""

    def __init__(self, es: Elasticsearch) -> None:
        self._es = es
        self.searches = 0

    def msearch(self, **kwargs: Any) -> Any:
        self.searches += 1
        return self._es.msearch(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._es, name)


def refused(network: Network, query: str, variables: dict[str, Any], expected: str) -> Answer:
    """Ask, expecting one clear error naming ``expected``, no data, and no query sent to either engine."""
    es = CountingEs(network.es)
    before = graph_size(network)
    answer = execute(replace(network, es=es), WYP_OFFICER, query, variables)  # type: ignore[arg-type]
    assert len(answer.errors) == 1, answer.messages
    assert expected in answer.messages[0]
    graph = answer.context.loaders.get("graph")
    assert graph is None or graph.db.queries == 0
    assert es.searches == 0
    assert graph_size(network) == before
    return answer


NODE = "query($id: ID!) { node(id: $id) { id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
SEARCH = """query($q: String!, $after: String, $f: FilterInput, $first: Int! = 5) { search(query: $q, after:
    $after, filter: $f, first: $first) { totalCount edges { node { id } } restricted { force count } } }"""
NEIGHBOURHOOD = """query($id: ID!, $types: [String!], $after: String, $f: FilterInput, $hops: Int! = 1,
    $first: Int! = 5) { neighbourhood(id: $id, relationshipTypes: $types, after: $after, filter: $f,
    hops: $hops, first: $first) { totalCount } }"""
PATHS = """query($a: ID!, $b: ID!, $types: [String!], $max: Int! = 4) { paths(from: $a, to: $b,
    relationshipTypes: $types, maxHops: $max) { length } }"""
COMMON = """query($ids: [ID!]!, $types: [String!], $after: String) { commonConnections(ids: $ids,
    relationshipTypes: $types, after: $after) { totalCount } }"""
TIMELINE = """query($id: ID!, $after: String, $since: DateTime, $until: DateTime) { timeline(id: $id, after:
    $after, since: $since, until: $until) { totalCount } }"""
ROLE = """query($id: ID!, $role: String) { node(id: $id) { ... on Person { events(role: $role) { node { id } }
    } } }"""
LINKS = """query($id: ID!, $types: [String!]) { node(id: $id) { links(relationshipTypes: $types) { node { id }
    } } }"""


def forged(label: str, uid: str) -> str:
    """A well-formed global ID with any label in it."""
    return base64.urlsafe_b64encode(f"{label}|{uid}".encode()).decode().rstrip("=")


@pytest.mark.parametrize("text", HOSTILE)
def test_ids(network: Network, text: str) -> None:
    for query, variables in (
        (NODE, {"id": text}),
        (NODE, {"id": forged(text, ALAN_1)}),
        (NODES, {"ids": [ALAN, text]}),
        (NEIGHBOURHOOD, {"id": text}),
        (PATHS, {"a": ALAN, "b": text}),
        (COMMON, {"ids": [ALAN, text]}),
        (TIMELINE, {"id": text}),
    ):
        refused(network, query, variables, "not a node ID")


@pytest.mark.parametrize("text", HOSTILE)
def test_relationship_types_and_roles(network: Network, text: str) -> None:
    for query, variables in (
        (NEIGHBOURHOOD, {"id": ALAN, "types": ["KNOWS", text]}),
        (PATHS, {"a": ALAN, "b": gid("Person", BRIAN), "types": [text]}),
        (COMMON, {"ids": [ALAN, gid("Person", BRIAN)], "types": [text]}),
    ):
        refused(network, query, variables, "relationship type")
    # Nested fields: the node itself is read (one query); the bad name is refused before its own.
    for query, variables, expected in (
        (ROLE, {"id": ALAN, "role": text}, "unknown role"),
        (LINKS, {"id": ALAN, "types": [text]}, "relationship type"),
    ):
        answer = execute(network, WYP_OFFICER, query, variables)
        assert len(answer.errors) == 1
        assert expected in answer.messages[0]
        assert answer.context.loaders["graph"].db.queries == 1


@pytest.mark.parametrize("text", HOSTILE)
def test_cursors(network: Network, text: str) -> None:
    for query, variables in (
        (SEARCH, {"q": "Adams", "after": text or "x"}),
        (NEIGHBOURHOOD, {"id": ALAN, "after": text or "x"}),
        (COMMON, {"ids": [ALAN, gid("Person", BRIAN)], "after": text or "x"}),
        (TIMELINE, {"id": ALAN, "after": forged(text, "1")}),
    ):
        refused(network, query, variables, "cursor")


@pytest.mark.parametrize("text", HOSTILE)
def test_filter_keys_and_operators(network: Network, text: str) -> None:
    for flt in ({"key": text, "op": "EQ", "values": ["WYP"]}, {"key": "force", "op": "GT", "values": [text]}):
        for query, variables in ((SEARCH, {"q": "Adams", "f": flt}), (NEIGHBOURHOOD, {"id": ALAN, "f": flt})):
            refused(network, query, variables, "filter key" if flt["key"] == text else "does not take")


@pytest.mark.parametrize("text", HOSTILE)
def test_values_stay_values(network: Network, text: str) -> None:
    """Hostile text where a value belongs runs as a value: nothing changes, nothing leaks."""
    before = graph_size(network)
    in_filter = {
        "or": [
            {"key": "force", "op": "EQ", "values": [text]},
            {"key": "crime_type", "op": "PREFIX", "values": [text or "x"]},
        ]
    }
    for query, variables in (
        (SEARCH, {"q": text or "x"}),
        (SEARCH, {"q": "Adams", "f": in_filter}),
        (NEIGHBOURHOOD, {"id": ALAN, "f": in_filter}),
        (NODE, {"id": gid("Person", text or "x")}),
    ):
        answer = execute(network, WYP_OFFICER, query, variables)
        assert answer.errors == []
        assert_in_scope(network, WYP_OFFICER, answer.data, answer.context.returned_ids)
    assert graph_size(network) == before


def _nested(depth: int) -> dict[str, Any]:
    flt: dict[str, Any] = {"key": "force", "op": "EQ", "values": ["WYP"]}
    for _ in range(depth):
        flt = {"and": [flt]}
    return flt


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        (SEARCH, {"q": "x" * 501}, "1 to 500 characters"),
        (SEARCH, {"q": "Adams", "first": 101}, "first is 1 to 100"),
        (SEARCH, {"q": "Adams", "first": 0}, "first is 1 to 100"),
        (SEARCH, {"q": "Adams", "after": "A" * 2000}, "cursor"),
        (SEARCH, {"q": "Adams", "f": _nested(MAX_DEPTH + 1)}, "nest at most"),
        (SEARCH, {"q": "Adams", "f": _nested(200)}, "nested too deeply"),  # graphql-core's own bound
        (SEARCH, {"q": "Adams", "f": {"and": [_nested(0)] * 33}}, "at most 32 conditions"),
        (SEARCH, {"q": "Adams", "f": {"key": "force", "op": "EQ", "values": ["x"] * 101}}, "1 to 100 values"),
        (SEARCH, {"q": "Adams", "f": {"key": "force", "op": "EQ", "values": ["x" * 257]}}, "at most 256"),
        (SEARCH, {"q": "Adams", "f": {**_nested(0), "and": []}}, "exactly one"),
        (NODES, {"ids": [ALAN] * 101}, "at most 100 IDs"),
        (NEIGHBOURHOOD, {"id": ALAN, "hops": 4}, "1 to 3 hops"),
        (NEIGHBOURHOOD, {"id": ALAN, "types": ["KNOWS"] * 31}, "at most 30"),
        (PATHS, {"a": ALAN, "b": gid("Person", BRIAN), "max": 7}, "1 to 6 hops"),
        (PATHS, {"a": ALAN, "b": ALAN}, "two different nodes"),
        (COMMON, {"ids": [ALAN] * 11}, "2 to 10"),
        (COMMON, {"ids": [ALAN]}, "2 to 10"),
        (TIMELINE, {"id": ALAN, "since": "2024-02-01T00:00:00Z", "until": "2024-01-01T00:00:00Z"}, "ends"),
    ],
)  # fmt: skip
def test_bounds(network: Network, query: str, variables: dict[str, Any], expected: str) -> None:
    refused(network, query, variables, expected)

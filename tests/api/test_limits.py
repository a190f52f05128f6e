"""Request limits: tokens, cost, depth, aliases, page size, purpose and the per-user budget."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from graphql import get_introspection_query, parse
from starlette.testclient import TestClient

from polegraph.api.errors import RateLimited
from polegraph.api.limits import CostBudget, Limits, estimate
from polegraph.api.schema import build_schema
from polegraph.config import Settings
from tests.api.shell_support import (
    PURPOSE,
    ChainQuery,
    audit_records,
    bearer,
    ensure_audit_index,
    shell_client,
    shell_settings,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_budget_refills_over_its_window() -> None:
    clock = FakeClock()
    budget = CostBudget(100, 60.0, clock=clock)
    assert budget.charge("a", 70) == 30
    with pytest.raises(RateLimited) as refused:
        budget.charge("a", 50)
    # 20 more points are needed, at 100 points a minute: 12 s.
    assert refused.value.retry_after_s == 12
    assert budget.charge("b", 100) == 0  # each user has a budget of their own
    clock.now += 12
    assert budget.charge("a", 50) == pytest.approx(0)
    clock.now += 3600
    assert budget.charge("a", 1) == 99  # never more than the budget


def _cost(document: str, variables: dict[str, Any] | None = None, operation: str | None = None) -> Any:
    schema = build_schema(ChainQuery, settings=Settings())._schema
    return estimate(schema, parse(document), operation, variables, Limits())


def test_cost_multiplies_by_first_hops_and_ids() -> None:
    # chain: 1 + 5 * (value 1 + items: 1 + 3 * value 1) = 26
    assert _cost("{ chain(first: 5) { value items(first: 3) { value } } }").cost == 26
    # A default first counts as its schema default (items: 10); variables count as their values.
    assert _cost("{ chain(first: 1) { items { value } } }").cost == 1 + (1 + 10)
    assert _cost("query Q($n: Int = 4) { chain(first: $n) { value } }").cost == 1 + 4
    assert _cost("query Q($n: Int = 4) { chain(first: $n) { value } }", {"n": 7}).cost == 1 + 7
    assert _cost("{ around(hops: 3, first: 20) { value } }").cost == 1 + 60
    assert _cost('{ many(ids: ["a", "b", "c"]) { value next { value } } }').cost == 1 + 3 * (1 + 2)
    # Fragments and inline fragments cost what they expand to.
    fragments = (
        "{ chain(first: 2) { ...V ... on Chain { value } } } fragment V on Chain { value next { value } }"
    )
    assert _cost(fragments).cost == 1 + 2 * (3 + 1)
    named = "query A { me { user } } query B { chain(first: 3) { value } }"
    assert _cost(named, operation="B").cost == 4
    assert _cost(named, operation="B").root_fields == {"chain"}


def _bomb(levels: int) -> str:
    """A document of a few hundred bytes that expands to 2**levels fields."""
    parts = ["query { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on Query {{ me {{ user }} }}")
    return "\n".join(parts)


def test_a_fragment_bomb_is_costed_without_being_expanded() -> None:
    started = time.perf_counter()
    found = _cost(_bomb(60))
    assert found.cost == 2**60 * 2
    assert time.perf_counter() - started < 0.5


@pytest.fixture
def api(stack: Settings, es_client: Elasticsearch, tmp_path: Path) -> Iterator[tuple[TestClient, Settings]]:
    settings = shell_settings(stack, tmp_path)
    ensure_audit_index(es_client, settings)
    with shell_client(settings, ChainQuery) as client:
        yield client, settings


def _post(client: TestClient, settings: Settings, query: str, **extra: Any) -> Any:
    return client.post("/graphql", json={"query": query, **extra}, headers={**bearer(settings), **PURPOSE})


def _refused_with(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == code
    message: str = body["errors"][0]["message"]
    return message


def test_hostile_documents_are_refused_before_they_run(api: tuple[TestClient, Settings]) -> None:
    client, settings = api
    deep = "{ chain { " + "next { " * 12 + "value" + " }" * 12 + " } }"
    aliases = "{ " + " ".join(f"a{i}: me {{ user }}" for i in range(settings.api_max_aliases + 1)) + " }"
    tokens = "{ me { " + "user " * (settings.api_max_tokens + 1) + "} }"
    wide = "{ chain(first: 100) { items(first: 100) { items(first: 100) { value } } } }"
    # 450 copies of one field: cheap by cost, but quadratic for the overlapping-fields validation.
    repeated = "{ chain(first: 1) { " + "next { value } " * 450 + "} }"
    started = time.perf_counter()
    assert "maximum operation depth" in _refused_with(_post(client, settings, deep), 400, "QUERY_TOO_COMPLEX")
    assert "aliases" in _refused_with(_post(client, settings, aliases), 400, "QUERY_TOO_COMPLEX")
    assert "tokens" in _refused_with(_post(client, settings, tokens), 400, "QUERY_TOO_COMPLEX")
    assert "cost" in _refused_with(_post(client, settings, wide), 400, "QUERY_TOO_COSTLY")
    assert "cost" in _refused_with(_post(client, settings, _bomb(40)), 400, "QUERY_TOO_COSTLY")
    assert "450 times" in _refused_with(_post(client, settings, repeated), 400, "QUERY_TOO_COMPLEX")
    assert time.perf_counter() - started < 5
    assert [r["outcome"] for r in audit_records(settings)] == ["refused"] * 6


def test_page_size_is_at_most_100_literal_or_variable(api: tuple[TestClient, Settings]) -> None:
    client, settings = api
    assert "between 0 and 100" in _refused_with(
        _post(client, settings, "{ chain(first: 101) { value } }"), 400, "BAD_USER_INPUT"
    )
    by_variable = _post(
        client, settings, "query Q($n: Int!) { chain(first: $n) { value } }", variables={"n": 5000}
    )
    _refused_with(by_variable, 400, "BAD_USER_INPUT")
    _refused_with(_post(client, settings, "{ chain(first: -1) { value } }"), 400, "BAD_USER_INPUT")
    ok = _post(client, settings, "{ chain(first: 100) { value } }")
    assert ok.status_code == 200
    assert ok.json()["extensions"] == {"cost": 101}


def test_a_document_sent_again_is_checked_again_for_what_its_variables_decide(
    api: tuple[TestClient, Settings],
) -> None:
    # Its parse and validation are cached; its cost (variables), purpose and budget are not.
    client, settings = api
    query = "query Q($n: Int!) { chain(first: $n) { value } }"
    assert _post(client, settings, query, variables={"n": 5}).json()["extensions"] == {"cost": 6}
    assert _post(client, settings, query, variables={"n": 50}).json()["extensions"] == {"cost": 51}
    _refused_with(_post(client, settings, query, variables={"n": 500}), 400, "BAD_USER_INPUT")
    unstated = client.post("/graphql", json={"query": query, "variables": {"n": 5}}, headers=bearer(settings))
    _refused_with(unstated, 400, "PURPOSE_REQUIRED")
    deep = "{ chain { " + "next { " * 12 + "value" + " }" * 12 + " } }"
    for _ in range(2):
        _refused_with(_post(client, settings, deep), 400, "QUERY_TOO_COMPLEX")
    for _ in range(2):
        invalid = _post(client, settings, "{ chain(first: 1) { nothing } }")
        assert "nothing" in _refused_with(invalid, 400, "GRAPHQL_VALIDATION_FAILED")


def test_graphiql_introspection_passes_the_limits_without_a_purpose(api: tuple[TestClient, Settings]) -> None:
    client, settings = api
    response = client.post("/graphql", json={"query": get_introspection_query()}, headers=bearer(settings))
    assert response.status_code == 200, response.text
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


def test_data_requests_must_state_a_purpose(api: tuple[TestClient, Settings]) -> None:
    client, settings = api
    query = {"query": "{ chain(first: 1) { value } }"}
    missing = client.post("/graphql", json=query, headers=bearer(settings))
    assert "purpose" in _refused_with(missing, 400, "PURPOSE_REQUIRED")
    blank = client.post("/graphql", json=query, headers={**bearer(settings), "X-Purpose": "   "})
    _refused_with(blank, 400, "PURPOSE_REQUIRED")
    stated = client.post(
        "/graphql", json={**query, "extensions": {"purpose": "CASE 24/88"}}, headers=bearer(settings)
    )
    assert stated.status_code == 200
    by_header = client.post("/graphql", json=query, headers={**bearer(settings), **PURPOSE})
    assert by_header.status_code == 200
    too_long = client.post("/graphql", json=query, headers={**bearer(settings), "X-Purpose": "x" * 501})
    _refused_with(too_long, 400, "BAD_REQUEST")
    me = client.post("/graphql", json={"query": "{ me { user } }"}, headers=bearer(settings))
    assert me.status_code == 200
    records = audit_records(settings)
    assert [(r["outcome"], r.get("purpose")) for r in records] == [
        ("refused", None), ("refused", None), ("ok", "CASE 24/88"), ("ok", PURPOSE["X-Purpose"]),
        ("refused", None), ("ok", None),
    ]  # fmt: skip
    assert records[0]["error"].startswith("PURPOSE_REQUIRED")


def test_a_spent_budget_is_429_with_retry_after(
    stack: Settings, es_client: Elasticsearch, tmp_path: Path
) -> None:
    settings = shell_settings(stack, tmp_path, api_cost_budget=100, api_cost_window_s=3600.0)
    ensure_audit_index(es_client, settings)
    query = "{ chain(first: 60) { value } }"  # costs 61
    with shell_client(settings, ChainQuery) as client:
        assert _post(client, settings, query).status_code == 200
        spent = _post(client, settings, query)
        _refused_with(spent, 429, "RATE_LIMITED")
        # 22 points short at 100 points an hour: 792 s, less what refilled between the two requests.
        retry_after = int(spent.headers["retry-after"])
        assert 780 <= retry_after <= 792
        assert spent.json()["errors"][0]["extensions"]["retry_after_s"] == retry_after
        other = client.post(
            "/graphql", json={"query": query}, headers={**bearer(settings, user="b.investigator"), **PURPOSE}
        )
        assert other.status_code == 200
    assert [r["outcome"] for r in audit_records(settings)] == ["ok", "refused", "ok"]

"""/graphql over HTTP against the real app and engines: statuses, media types, error bodies, audit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import strawberry
from elasticsearch import Elasticsearch
from neo4j import Query
from starlette.testclient import TestClient

from polegraph.api.context import RequestContext
from polegraph.config import Settings
from polegraph.errors import PolegraphError
from tests.api.shell_support import (
    GRAPHQL_RESPONSE,
    PURPOSE,
    audit_records,
    bearer,
    ensure_audit_index,
    shell_client,
    shell_settings,
)

ME = "{ me { user homeForce readableForces clearance roles } }"
NESTED = '{"query": "{ me { user } }", "variables": {"v": ' + "[" * 5000 + "]" * 5000 + "}}"
AUDIT_PAGE = "query Q($n: Int!) { auditLog(first: $n) { edges { cursor } } }"


class NoSuchCase(PolegraphError):
    code: ClassVar[str] = "NOT_FOUND"


@strawberry.type
class FailingQuery:
    """Resolvers that fail as data fields can: expectedly, and not."""

    @strawberry.field
    def case_file(self, reference: str) -> str:
        raise NoSuchCase(f"no case {reference}", hint="check the reference")

    @strawberry.field
    def broken(self) -> str | None:
        raise RuntimeError("bolt://10.0.0.7:7687 refused the connection")

    @strawberry.field
    async def slow(self, info: strawberry.Info[RequestContext, None]) -> int | None:
        ctx = info.context

        def count() -> int:
            long = Query("UNWIND range(1, 2000000000) AS x RETURN count(x) AS n", timeout=0.05)
            with ctx.driver.session(database=ctx.settings.neo4j_database) as session:
                return int(session.run(long).single(strict=True)["n"])

        return await asyncio.to_thread(count)


@pytest.fixture
def settings_(stack: Settings, es_client: Elasticsearch, tmp_path: Path) -> Settings:
    settings = shell_settings(stack, tmp_path)
    ensure_audit_index(es_client, settings)
    return settings


@pytest.fixture
def client(settings_: Settings) -> Iterator[TestClient]:
    with shell_client(settings_, FailingQuery) as client:
        yield client


def _post(client: TestClient, settings: Settings, body: Any, **headers: str) -> Any:
    return client.post("/graphql", json=body, headers={**bearer(settings), **PURPOSE, **headers})


def test_a_query_answers_graphql_response_json_and_is_audited(
    client: TestClient, settings_: Settings
) -> None:
    response = _post(client, settings_, {"query": ME})
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    me = response.json()["data"]["me"]
    assert me == {
        "user": "a.investigator",
        "homeForce": "GMP",
        "readableForces": ["GMP"],
        "clearance": "OFFICIAL-SENSITIVE",
        "roles": ["investigator"],
    }
    (record,) = audit_records(settings_)
    assert record["request_id"] == response.headers["x-request-id"]
    assert record["user"] == "a.investigator"
    assert record["purpose"] == PURPOSE["X-Purpose"]
    assert record["outcome"] == "ok"
    assert record["query"] == ME
    assert len(record["operation"]) == 64
    assert record["duration_ms"] > 0


def test_application_json_only_when_asked_for_alone(client: TestClient, settings_: Settings) -> None:
    legacy = _post(client, settings_, {"query": ME}, Accept="application/json")
    assert legacy.headers["content-type"].startswith("application/json")
    either = _post(client, settings_, {"query": ME}, Accept=f"application/json;q=0.5, {GRAPHQL_RESPONSE}")
    assert either.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    browser = _post(client, settings_, {"query": ME}, Accept="text/html,*/*;q=0.8")
    assert browser.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    refused = _post(client, settings_, {"query": ME}, Accept="text/plain")
    assert refused.status_code == 406
    assert refused.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


def test_get_runs_queries(client: TestClient, settings_: Settings) -> None:
    response = client.get("/graphql", params={"query": ME}, headers=bearer(settings_))
    assert response.status_code == 200
    assert response.json()["data"]["me"]["user"] == "a.investigator"


def test_a_mutation_over_get_is_405_with_allow(client: TestClient, settings_: Settings) -> None:
    response = client.get("/graphql", params={"query": "mutation { me }"}, headers=bearer(settings_))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert audit_records(settings_)[-1]["outcome"] == "refused"


def _refusals(settings: Settings) -> list[tuple[str, dict[str, Any], int, str]]:
    """(name, request, status, code) of malformed requests, each of which must be refused."""
    auth = {**bearer(settings), **PURPOSE}
    json_ = {**auth, "Content-Type": "application/json"}
    return [
        ("malformed JSON", {"content": b'{"query": "{ me ', "headers": json_}, 400, "BAD_REQUEST"),
        ("not UTF-8", {"content": b'{"query": "\xff"}', "headers": json_}, 400, "BAD_REQUEST"),
        ("no query", {"json": {"variables": {}}, "headers": auth}, 400, "BAD_REQUEST"),
        ("query not a string", {"json": {"query": 42}, "headers": auth}, 400, "BAD_REQUEST"),
        ("variables not an object", {"json": {"query": ME, "variables": [1]}, "headers": auth}, 400,
         "BAD_REQUEST"),
        ("batched", {"json": [{"query": ME}, {"query": ME}], "headers": auth}, 400, "BAD_REQUEST"),
        ("text/plain", {"content": ME, "headers": {**auth, "Content-Type": "text/plain"}}, 415,
         "UNSUPPORTED_MEDIA_TYPE"),
        ("no content type", {"content": json.dumps({"query": ME}), "headers": auth}, 415,
         "UNSUPPORTED_MEDIA_TYPE"),
        ("latin-1", {"content": json.dumps({"query": ME}),
                     "headers": {**auth, "Content-Type": "application/json; charset=iso-8859-1"}}, 415,
         "UNSUPPORTED_MEDIA_TYPE"),
        ("form", {"data": {"query": ME}, "headers": auth}, 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("parse error", {"json": {"query": "{ me { user "}, "headers": auth}, 400, "GRAPHQL_PARSE_FAILED"),
        ("unknown field", {"json": {"query": "{ me { password } }"}, "headers": auth}, 400,
         "GRAPHQL_VALIDATION_FAILED"),
        ("mutation, none defined", {"json": {"query": "mutation { me }"}, "headers": auth}, 400,
         "GRAPHQL_VALIDATION_FAILED"),
        ("missing variable", {"json": {"query": AUDIT_PAGE}, "headers": auth}, 400, "BAD_USER_INPUT"),
        ("variable of the wrong type", {"json": {"query": AUDIT_PAGE, "variables": {"n": "ten"}},
                                        "headers": auth}, 400, "BAD_USER_INPUT"),
        ("two operations, no name", {"json": {"query": "{ me { user } } { me { roles } }"},
                                     "headers": auth}, 400, "BAD_REQUEST"),
        ("unknown operation name", {"json": {"query": "query A { me { user } }", "operationName": "B"},
                                    "headers": auth}, 400, "BAD_REQUEST"),
        ("variables nested 5000 deep", {"content": NESTED, "headers": json_}, 400, "BAD_REQUEST"),
        ("huge variables", {"json": {"query": ME, "variables": {"v": "x" * 200_000}}, "headers": auth}, 413,
         "PAYLOAD_TOO_LARGE"),
    ]  # fmt: skip


def test_every_malformed_request_gets_its_status_a_json_error_and_an_audit_record(
    client: TestClient, settings_: Settings
) -> None:
    cases = _refusals(settings_)
    for name, request, status, code in cases:
        response = client.post("/graphql", **request)
        assert response.status_code == status, (name, response.text)
        body = response.json()
        assert "data" not in body, name
        error = body["errors"][0]
        assert error["extensions"]["code"] == code, (name, error)
        assert error["message"], name
        assert error["extensions"]["request_id"] == response.headers["x-request-id"], name
    records = audit_records(settings_)
    assert len(records) == len(cases)
    assert all(r["outcome"] == "refused" and r["user"] == "a.investigator" for r in records)
    assert [r["error"].split(":")[0] for r in records] == [code for _, _, _, code in cases]


def test_legacy_json_answers_request_errors_with_200(client: TestClient, settings_: Settings) -> None:
    response = _post(client, settings_, {"query": "{ me { password } }"}, Accept="application/json")
    assert response.status_code == 200
    assert "data" not in response.json()
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    # A body that is not a GraphQL request at all is still 400.
    assert client.post("/graphql", content=b"{", headers={
        **bearer(settings_), "Content-Type": "application/json", "Accept": "application/json"
    }).status_code == 400  # fmt: skip


def test_other_methods_are_405_with_allow(client: TestClient, settings_: Settings) -> None:
    response = client.put("/graphql", json={"query": ME}, headers=bearer(settings_))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_expected_errors_keep_their_message_unexpected_ones_are_masked(
    client: TestClient, settings_: Settings
) -> None:
    expected = _post(client, settings_, {"query": '{ caseFile(reference: "24/1187") }'})
    assert expected.status_code == 200
    error = expected.json()["errors"][0]
    assert error["message"] == "no case 24/1187"
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["hint"] == "check the reference"
    assert error["path"] == ["caseFile"]

    unexpected = _post(client, settings_, {"query": "{ broken me { user } }"})
    assert unexpected.status_code == 200
    body = unexpected.json()
    assert body["data"] == {"broken": None, "me": {"user": "a.investigator"}}
    (error,) = body["errors"]
    assert error["message"] == "internal error"
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "request_id": unexpected.headers["x-request-id"],
    }
    assert "10.0.0.7" not in unexpected.text
    timed_out = _post(client, settings_, {"query": "{ slow }"})
    error = timed_out.json()["errors"][0]
    assert error["extensions"]["code"] == "TIMEOUT"
    assert error["message"].startswith("the query took too long")
    records = audit_records(settings_)
    assert [r["outcome"] for r in records] == ["error", "partial", "partial"]


def test_the_request_id_of_the_caller_is_kept_when_sane(client: TestClient, settings_: Settings) -> None:
    kept = _post(client, settings_, {"query": ME}, **{"X-Request-ID": "gw-4711.a"})
    assert kept.headers["x-request-id"] == "gw-4711.a"
    replaced = _post(client, settings_, {"query": ME}, **{"X-Request-ID": 'x" OR 1=1'})
    assert replaced.headers["x-request-id"] != 'x" OR 1=1'
    assert [r["request_id"] for r in audit_records(settings_)] == [
        "gw-4711.a",
        replaced.headers["x-request-id"],
    ]


def test_no_response_leaves_when_the_audit_cannot_be_written(
    stack: Settings, es_client: Elasticsearch, tmp_path: Path
) -> None:
    settings = shell_settings(stack, tmp_path)
    ensure_audit_index(es_client, settings)
    with shell_client(settings) as client:
        # The file of record cannot be appended to: a directory stands where it was.
        settings.audit_path.unlink()
        settings.audit_path.mkdir()
        response = _post(client, settings, {"query": ME})
        assert response.status_code == 500
        assert "a.investigator" not in response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        metrics = client.get("/metrics").text
    assert "polegraph_audit_write_failures_total 1.0" in metrics


def test_metrics_count_requests_by_operation_and_outcome(client: TestClient, settings_: Settings) -> None:
    _post(client, settings_, {"query": ME})
    _post(client, settings_, {"query": "{ me { password } }"})
    client.post("/graphql", json={"query": ME})
    text = client.get("/metrics").text
    assert 'polegraph_api_requests_total{operation="me",outcome="ok"} 1.0' in text
    assert 'polegraph_api_requests_total{operation="me",outcome="refused"} 1.0' in text
    assert 'polegraph_api_requests_total{operation="-",outcome="unauthenticated"} 1.0' in text
    assert 'polegraph_api_request_seconds_count{operation="me"} 2.0' in text


def test_graphiql_only_in_development(stack: Settings, es_client: Elasticsearch, tmp_path: Path) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    development = shell_settings(stack, tmp_path, environment="development")
    ensure_audit_index(es_client, development)
    with shell_client(development) as client:
        page = client.get("/graphql", headers=browser)
        assert page.status_code == 200
        assert "graphiql" in page.text.lower()
    production = shell_settings(stack, tmp_path)
    assert production.environment == "production"
    with shell_client(production) as client:
        page = client.get("/graphql", headers=browser)
        assert page.status_code == 401
        assert page.headers["content-type"].startswith(GRAPHQL_RESPONSE)

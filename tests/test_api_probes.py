"""The API's health and readiness probes against the real engines."""

from __future__ import annotations

from starlette.testclient import TestClient

from polegraph.api.app import create_app
from polegraph.config import Settings


def test_healthz_and_readyz_report_both_engines(stack: Settings) -> None:
    with TestClient(create_app(stack)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["ready"] is True
        assert body["neo4j"].startswith("5.26")
        assert body["elasticsearch"].startswith("8.19")


def test_readyz_is_503_when_an_engine_is_unreachable(stack: Settings) -> None:
    broken = stack.model_copy(update={"es_hosts": ["http://127.0.0.1:9"]})
    with TestClient(create_app(broken)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["ready"] is False
        assert "Elasticsearch did not answer" in ready.json()["elasticsearch"]

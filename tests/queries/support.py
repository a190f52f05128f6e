"""What the saved-query tests share: tokens with a unit claim, a client, custody records, GraphQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jwt
from starlette.testclient import TestClient

from polegraph.api.app import create_app
from polegraph.api.ids import to_global_id
from polegraph.config import Settings
from polegraph.scenario.truth import person_uid
from tests.api.shell_support import PURPOSE, SECRET, ensure_audit_index, shell_settings, token
from tests.conftest import Engines
from tests.linking.conftest import Nominal, load_custody

WATCH = """
query Watch($q: String!) {
  search(query: $q, first: 50) { edges { score node { id label } } }
}"""
CREATE = """
mutation Create($input: SavedQueryInput!) {
  createSavedQuery(input: $input) {
    id name owner unit force sharing purpose schedule nextRunAt suspendedReason
    alertPolicy { matchPath idField scoreField minScore }
  }
}"""
RUN = """
mutation Run($id: ID!) {
  runSavedQuery(id: $id) {
    status matchCount reason
    newAlerts { id score status savedQueryId match { id } }
    savedQuery { id runCount lastMatchCount suspendedReason }
  }
}"""
ENABLE = """
mutation Enable($id: ID!, $enabled: Boolean!) {
  setSavedQueryEnabled(id: $id, enabled: $enabled) { id enabled nextRunAt }
}"""
SAVED = """
query Saved { savedQueries(first: 50) { edges { node { id name owner sharing } } pageInfo { hasNextPage } } }
"""
ALERTS = """
query Alerts($filter: AlertFilter, $first: Int, $after: String) {
  alerts(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id status assignee score savedQueryId match { id }
      notes { by action detail } history { by action detail } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
UPDATE = """
mutation Update($id: ID!, $status: AlertStatus, $assignee: String, $note: String) {
  updateAlert(id: $id, status: $status, assignee: $assignee, note: $note) {
    id status assignee notes { by action detail } history { by action detail }
  }
}"""


def unit_token(
    settings: Settings, user: str, force: str, unit: str | None,
    roles: tuple[str, ...] = ("intelligence_unit",), readable: tuple[str, ...] = (),
    clearance: str = "OFFICIAL-SENSITIVE",
) -> dict[str, str]:  # fmt: skip
    """Headers with a purpose and a bearer token that also carries the identity provider's unit claim."""
    claims = jwt.decode(
        token(settings, user=user, force=force, roles=roles, clearance=clearance, readable_forces=readable),
        SECRET, algorithms=["HS256"],
    )  # fmt: skip
    if unit:
        claims["unit"] = unit
    return {**PURPOSE, "Authorization": f"Bearer {jwt.encode(claims, SECRET, algorithm='HS256')}"}


def saved_settings(engines: Engines, tmp_path: Path, **overrides: Any) -> Settings:
    settings = shell_settings(engines.settings, tmp_path, alerts_poll_s=0.1, **overrides)
    ensure_audit_index(engines.es, settings)
    return settings


@contextmanager
def client_of(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def ask(
    client: TestClient, headers: dict[str, str], query: str, variables: dict[str, Any] | None = None
) -> Any:
    response = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    return body["data"]


def refused(client: TestClient, headers: dict[str, str], query: str, variables: dict[str, Any]) -> str:
    """The error code of a request that must fail."""
    body = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers).json()
    assert "errors" in body, body
    return str(body["errors"][0]["extensions"]["code"])


def khan(ref: str, forename: str, dob: str) -> Nominal:
    return Nominal(ref, "KHAN", forename, dob, phone="07700 900123")


def load_khans(engines: Engines, tmp_path: Path, force: str, *nominals: Nominal, **labels: Any) -> list[str]:
    """Load custody records of ``force``; the global IDs of their persons."""
    load_custody(engines, tmp_path, force, list(nominals), **labels)
    return [to_global_id("Person", person_uid(force, "CUSTODY", n.ref, "detained")) for n in nominals]


def watch_input(name: str = "Khans in custody", sharing: str = "PRIVATE", **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "operation": WATCH,
        "variables": {"q": "KHAN"},
        "purpose": "OP TRIDENT 24/1187",
        "sharing": sharing,
        "alertPolicy": {"matchPath": "search.edges", "idField": "node.id"},
        **more,
    }

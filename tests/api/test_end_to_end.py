"""An investigator's session through the real app: token, purpose, the README's queries over HTTP,
and the audit record of each request naming the IDs it returned — and another force's officer,
through the same door, seeing none of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphql import parse, validate
from starlette.testclient import TestClient

from polegraph.api import data
from polegraph.api.app import create_app
from polegraph.api.schema import build_schema
from polegraph.config import Settings
from polegraph.security.audit import verify_chain
from tests.api.readme import readme_queries
from tests.api.shell_support import PURPOSE, audit_records, bearer, ensure_audit_index, shell_settings
from tests.graph.scenario import (
    ALAN_1,
    ALAN_2,
    Network,
    gid,
    network_fixture,  # noqa: F401 - the module's fixture
)

SHOWN = readme_queries()


def test_every_operation_the_readme_shows_is_valid_against_the_served_schema() -> None:
    schema = build_schema(
        *data.QUERIES, types=data.TYPES, mutations=data.MUTATIONS, settings=Settings()
    )._schema
    assert len(SHOWN) >= 8
    for name, operation in SHOWN.items():
        assert validate(schema, parse(operation)) == [], name


PEOPLE = {"key": "label", "op": "EQ", "values": ["Person"]}


def _ask(client: TestClient, headers: dict[str, str], name: str, variables: dict[str, Any]) -> Any:
    response = client.post("/graphql", json={"query": SHOWN[name], "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def test_an_investigator_finds_opens_expands_and_joins_over_http(network: Network, tmp_path: Path) -> None:
    settings = shell_settings(network.settings, tmp_path)
    ensure_audit_index(network.es, settings)
    analyst = {**bearer(settings, user="w.analyst", force="WYP", roles=("analyst",), clearance="OFFICIAL",
                        readable_forces=("GMP",)), **PURPOSE}  # fmt: skip
    outsider = {**bearer(settings, user="l.officer", force="LAN", clearance="OFFICIAL"), **PURPOSE}
    with TestClient(create_app(settings)) as client:
        found = _ask(client, analyst, "FindPerson", {"text": "Allan Addams", "filter": PEOPLE})["search"]
        assert gid("Person", ALAN_1) in [hit["node"]["id"] for hit in found["edges"]]
        profile = _ask(client, analyst, "Profile", {"id": gid("Person", ALAN_1)})["node"]
        assert profile["fullName"] == "ADAMS, ALAN"
        reached = _ask(client, analyst, "Network", {"id": gid("Person", ALAN_1), "hops": 2})["neighbourhood"]
        assert gid("Person", ALAN_2) in [e["node"]["id"] for e in reached["edges"]]
        paths = _ask(client, analyst, "Paths", {"from": gid("Person", ALAN_1), "to": gid("Person", ALAN_2)})
        assert paths["paths"]
        assert all(p["nodes"][-1]["id"] == gid("Person", ALAN_2) for p in paths["paths"])

        # Lancashire has no sharing agreement with West Yorkshire: the same questions find nothing.
        unseen = _ask(client, outsider, "FindPerson", {"text": "Allan Addams", "filter": PEOPLE})["search"]
        assert unseen["edges"] == []
        assert unseen["totalCount"] == 0
        assert _ask(client, outsider, "Profile", {"id": gid("Person", ALAN_1)})["node"] is None

        no_purpose = client.post("/graphql", json={"query": SHOWN["Profile"], "variables": {"id": "x"}},
                                 headers=bearer(settings))  # fmt: skip
        assert no_purpose.status_code == 400
        assert no_purpose.json()["errors"][0]["extensions"]["code"] == "PURPOSE_REQUIRED"

    records = audit_records(settings)
    assert [r["user"] for r in records[:6]] == ["w.analyst"] * 4 + ["l.officer"] * 2
    assert all(r["purpose"] == PURPOSE["X-Purpose"] for r in records[:6])
    assert gid("Person", ALAN_1) in records[0]["returned_ids"]
    assert records[1]["returned_ids"][0] == gid("Person", ALAN_1)
    assert records[4]["returned_ids"] == []
    assert records[5]["returned_ids"] == []
    assert records[6]["outcome"] != "ok"
    assert verify_chain(settings.audit_path).ok

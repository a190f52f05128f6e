"""The ``alerts`` subscription over a WebSocket (graphql-transport-ws): the token in connection_init,
new alerts pushed as they are raised, only to those who may see their saved query, audited."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from polegraph.security.audit import verify_chain
from tests.api.shell_support import audit_records, token
from tests.conftest import Engines
from tests.queries.support import (
    CREATE,
    RUN,
    ask,
    client_of,
    khan,
    load_khans,
    saved_settings,
    unit_token,
    watch_input,
)

SUBSCRIBE = "subscription New { alerts { id savedQueryId score status match { id } } }"
PROTOCOL = ["graphql-transport-ws"]


def _connect(client: TestClient, headers: dict[str, str]) -> Any:
    socket = client.websocket_connect("/graphql", subprotocols=PROTOCOL)
    ws = socket.__enter__()
    ws.send_json({"type": "connection_init", "payload": {
        "authorization": headers["Authorization"], "purpose": "OP TRIDENT 24/1187"}})  # fmt: skip
    return socket, ws


def test_a_new_alert_reaches_the_subscribers_who_may_see_it(engines: Engines, tmp_path: Path) -> None:
    settings = saved_settings(engines, tmp_path)
    (person,) = load_khans(engines, tmp_path, "GMP", khan("GM/C/1", "Imran", "1987-03-04"))
    owner = unit_token(settings, "iu.gmp", "GMP", "GMP-IU")
    outsider = unit_token(settings, "iu.wyp", "WYP", "WYP-IU", readable=("GMP",))
    with client_of(settings) as client:
        saved = ask(client, owner, CREATE, {"input": watch_input(sharing="UNIT")})["createSavedQuery"]
        socket, ws = _connect(client, owner)
        other_socket, other = _connect(client, outsider)
        try:
            assert ws.receive_json() == {"type": "connection_ack"}
            assert other.receive_json() == {"type": "connection_ack"}
            ws.send_json({"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIBE}})
            other.send_json({"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIBE}})
            ws.send_json({"type": "ping"})
            assert ws.receive_json() == {"type": "pong"}
            (raised,) = ask(client, owner, RUN, {"id": saved["id"]})["runSavedQuery"]["newAlerts"]
            message = ws.receive_json()
            assert message["type"] == "next"
            assert message["id"] == "1"
            assert message["payload"]["data"]["alerts"] == {
                "id": raised["id"], "savedQueryId": saved["id"], "score": 1.0, "status": "OPEN",
                "match": {"id": person},
            }  # fmt: skip
            # The other force's user has nothing coming: a ping is answered before any alert.
            other.send_json({"type": "ping"})
            assert other.receive_json() == {"type": "pong"}
            ws.send_json({"type": "complete", "id": "1"})
        finally:
            other_socket.__exit__(None, None, None)
            socket.__exit__(None, None, None)
    pushed = [r for r in audit_records(settings) if r.get("client") == "websocket" and r.get("returned_ids")]
    assert [r["returned_ids"] for r in pushed] == [[person, raised["id"]]]
    assert pushed[0]["user"] == "iu.gmp"
    assert pushed[0]["purpose"] == "OP TRIDENT 24/1187"
    assert verify_chain(settings.audit_path).ok


@pytest.mark.parametrize("payload", [{}, {"authorization": "Bearer not-a-token"}])
def test_a_connection_without_a_valid_token_is_closed(
    engines: Engines, tmp_path: Path, payload: dict[str, str]
) -> None:
    settings = saved_settings(engines, tmp_path)
    with client_of(settings) as client, client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
        ws.send_json({"type": "connection_init", "payload": payload})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4403


def test_a_subscription_without_a_purpose_is_refused(engines: Engines, tmp_path: Path) -> None:
    settings = saved_settings(engines, tmp_path)
    owner = unit_token(settings, "iu.gmp", "GMP", "GMP-IU")
    with client_of(settings) as client, client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": owner["Authorization"]}})
        assert ws.receive_json() == {"type": "connection_ack"}
        ws.send_json({"type": "subscribe", "id": "7", "payload": {"query": SUBSCRIBE}})
        message = ws.receive_json()
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "PURPOSE_REQUIRED"
    refused = [r for r in audit_records(settings) if r.get("client") == "websocket"]
    assert [r["outcome"] for r in refused] == ["refused"]


def test_a_subscription_ends_when_its_token_expires(engines: Engines, tmp_path: Path) -> None:
    settings = saved_settings(engines, tmp_path, jwt_leeway_s=0.0)
    load_khans(engines, tmp_path, "GMP", khan("GM/C/1", "Imran", "1987-03-04"))
    owner = unit_token(settings, "iu.gmp", "GMP", "GMP-IU")
    with client_of(settings) as client:
        saved = ask(client, owner, CREATE, {"input": watch_input(sharing="FORCE")})["createSavedQuery"]
        short = token(settings, user="iu2.gmp", force="GMP", roles=("intelligence_unit",), ttl_s=2)
        socket, ws = _connect(client, {"Authorization": f"Bearer {short}"})
        try:
            assert ws.receive_json() == {"type": "connection_ack"}
            ws.send_json({"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIBE}})
            time.sleep(2.5)
            assert len(ask(client, owner, RUN, {"id": saved["id"]})["runSavedQuery"]["newAlerts"]) == 1
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 4401
        finally:
            socket.__exit__(None, None, None)

"""``/graphql`` over WebSocket for subscriptions, with the graphql-transport-ws protocol.

A browser cannot set headers on a WebSocket, so the bearer token travels in ``connection_init``'s
payload (``{"authorization": "Bearer …"}`` or ``{"token": "…"}``, and ``purpose``) and is verified
the same way as a header (``TokenVerifier``); a refused token closes the socket with 4403 and
nothing else. Each ``subscribe`` runs through the same schema, hence the same limits, purpose
rule and policy, and is audited when it starts (or is refused) and for every event it sends,
with the IDs that event carried. Only subscriptions are served here; queries and mutations go
over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import strawberry
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from polegraph.api.auth import TokenVerifier
from polegraph.api.context import RequestContext
from polegraph.api.errors import ApiError, format_error
from polegraph.api.runner import audit_record
from polegraph.api.users import observe, verified_claims
from polegraph.config import Settings
from polegraph.security.audit import AuditLog
from polegraph.security.directory import DirectoryRecorder
from polegraph.security.policy import Principal

log = logging.getLogger(__name__)

PROTOCOL = "graphql-transport-ws"
INIT_TIMEOUT_S = 10.0


class SubscriptionEndpoint:
    """The WebSocket route's endpoint (``handle``)."""

    def __init__(
        self,
        schema: strawberry.Schema,
        settings: Settings,
        verifier: TokenVerifier,
        recorder: DirectoryRecorder,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.verifier = verifier
        self.recorder = recorder

    async def handle(self, websocket: WebSocket) -> None:
        if PROTOCOL not in websocket.scope.get("subprotocols", []):
            await websocket.close(code=4406, reason="Subprotocol not acceptable")
            return
        await websocket.accept(subprotocol=PROTOCOL)
        try:
            init = await asyncio.wait_for(websocket.receive_json(), INIT_TIMEOUT_S)
        except (TimeoutError, WebSocketDisconnect, ValueError):
            await _close(websocket, 4408, "Connection initialisation timeout")
            return
        payload = init.get("payload") if isinstance(init, dict) else None
        if (
            not isinstance(init, dict)
            or init.get("type") != "connection_init"
            or not isinstance(payload or {}, dict)
        ):
            await _close(websocket, 4400, "Expected connection_init")
            return
        payload = payload or {}
        authorization = payload.get("authorization") or (
            f"Bearer {payload['token']}" if payload.get("token") else None
        )
        try:
            principal = self.verifier.principal(authorization if isinstance(authorization, str) else None)
        except ApiError:
            await _close(websocket, 4403, "Forbidden")
            return
        engines = websocket.app.state.engines
        await observe(self.recorder, engines.driver, self.settings, principal, authorization)
        purpose = payload.get("purpose")
        purpose = purpose.strip()[:500] if isinstance(purpose, str) else ""
        exp = verified_claims(authorization if isinstance(authorization, str) else None).get("exp")
        expires_at = float(exp) + self.settings.jwt_leeway_s if isinstance(exp, int | float) else None
        await websocket.send_json({"type": "connection_ack"})
        await Connection(self, websocket, principal, purpose, expires_at).serve()


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(RuntimeError):
        await websocket.close(code=code, reason=reason)


class Connection:
    """One acknowledged connection: its operations by id, until the client goes."""

    def __init__(
        self, endpoint: SubscriptionEndpoint, websocket: WebSocket, principal: Principal, purpose: str,
        expires_at: float | None,
    ) -> None:  # fmt: skip
        self.endpoint = endpoint
        self.websocket = websocket
        self.principal = principal
        self.purpose = purpose
        # A socket outliving its token would keep pushing data to someone no longer vouched for.
        self.expires_at = expires_at
        self.operations: dict[str, asyncio.Task[None]] = {}
        self.send_lock = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.websocket.send_json(message)

    async def serve(self) -> None:
        try:
            while True:
                message = await self.websocket.receive_json()
                kind = message.get("type") if isinstance(message, dict) else None
                if kind == "ping":
                    await self.send({"type": "pong"})
                elif kind == "pong":
                    continue
                elif kind == "subscribe":
                    await self.subscribe(message)
                elif kind == "complete":
                    task = self.operations.pop(str(message.get("id")), None)
                    if task is not None:
                        task.cancel()
                else:
                    await _close(self.websocket, 4400, f"Unexpected message {kind!r}")
                    return
        except (WebSocketDisconnect, ValueError):
            pass
        finally:
            for task in self.operations.values():
                task.cancel()

    async def subscribe(self, message: dict[str, Any]) -> None:
        op_id, payload = message.get("id"), message.get("payload")
        if (
            not isinstance(op_id, str)
            or not isinstance(payload, dict)
            or not isinstance(payload.get("query"), str)
        ):
            await _close(self.websocket, 4400, "Invalid subscribe message")
            return
        if op_id in self.operations:
            await _close(self.websocket, 4409, f"Subscriber for {op_id} already exists")
            return
        task = asyncio.create_task(self.run(op_id, payload))
        self.operations[op_id] = task
        task.add_done_callback(lambda _: self.operations.pop(op_id, None))

    async def run(self, op_id: str, payload: dict[str, Any]) -> None:
        endpoint = self.endpoint
        engines = self.websocket.app.state.engines
        variables = payload.get("variables") if isinstance(payload.get("variables"), dict) else None
        extensions = payload.get("extensions") if isinstance(payload.get("extensions"), dict) else None
        stated = (extensions or {}).get("purpose")
        purpose = stated.strip()[:500] if isinstance(stated, str) and stated.strip() else self.purpose
        context = RequestContext(
            principal=self.principal, purpose=purpose, settings=endpoint.settings, driver=engines.driver,
            es=engines.es, request_id=uuid.uuid4().hex,
        )  # fmt: skip
        audit: AuditLog = self.websocket.app.state.audit
        query, name = payload["query"], payload.get("operationName")
        started = time.perf_counter()

        async def audited(outcome: str, error: str | None) -> None:
            record = audit_record(
                context,
                query,
                name,
                variables,
                outcome=outcome,
                error=error,
                started=started,
                client="websocket",
            )
            await asyncio.to_thread(audit.append, record)

        stream: AsyncIterator[Any] = await endpoint.schema.subscribe(
            query, variable_values=variables, context_value=context, operation_name=name,
            operation_extensions=extensions,
        )  # fmt: skip
        try:
            async for result in stream:
                if isinstance(result, PreExecutionError):
                    errors = [
                        format_error(e, context.request_id, pre_execution=True) for e in result.errors or []
                    ]
                    await audited("refused", errors[0]["message"] if errors else None)
                    await self.send({"id": op_id, "type": "error", "payload": errors})
                    return
                assert isinstance(result, ExecutionResult)
                if self.expires_at is not None and time.time() > self.expires_at:
                    await _close(self.websocket, 4401, "Token expired")
                    return
                errors = [
                    format_error(e, context.request_id, pre_execution=False) for e in result.errors or []
                ]
                # An event leaves only once its record is written, as an HTTP answer does.
                await audited("partial" if errors else "ok", errors[0]["message"] if errors else None)
                body: dict[str, Any] = {"data": result.data}
                if errors:
                    body["errors"] = errors
                await self.send({"id": op_id, "type": "next", "payload": body})
            await self.send({"id": op_id, "type": "complete"})
        except (WebSocketDisconnect, RuntimeError):
            pass  # the client went away
        finally:
            closer = getattr(stream, "aclose", None)
            if closer is not None:
                with contextlib.suppress(Exception):
                    await closer()

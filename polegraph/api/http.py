"""``/graphql`` over HTTP, following the GraphQL-over-HTTP specification.

- ``POST`` with ``application/json`` (UTF-8), or ``GET`` with ``query``/``variables``/
  ``operationName``/``extensions`` parameters; ``GET`` runs queries only (405 for a mutation).
- Responses are ``application/graphql-response+json``; a client that accepts only
  ``application/json`` gets that, with the spec's legacy rule: 200 for every well-formed request.
- A request error (unparsable, invalid, refused by a limit) is answered without ``data``, with
  400 (401, 429 or 5xx where those say more); a request that ran is answered 200.
- Every malformed request gets a JSON error body with ``extensions.code``.

Every request, refused or not, is audited before its response leaves: its record is in the
hash-chained file (fsynced when ``audit_fsync`` is on); a request whose record cannot be written
there gets a 500 instead of its response. The record's copy in the audit index is written in the
background (``polegraph.security.audit.IndexCopier``), off the response path.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.http.ides import get_graphql_ide_html
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from polegraph.api.auth import TokenVerifier
from polegraph.api.context import RequestContext
from polegraph.api.errors import (
    ApiError,
    AuditUnavailable,
    BadRequest,
    MethodNotAllowed,
    NotAcceptable,
    PayloadTooLarge,
    UnsupportedMediaType,
    format_error,
    refusal,
    status_of,
)
from polegraph.api.limits import admission
from polegraph.api.metrics import ApiMetrics
from polegraph.api.users import observe
from polegraph.config import Settings
from polegraph.security.audit import AuditLog, principal_fields
from polegraph.security.directory import DirectoryRecorder
from polegraph.security.policy import Principal

log = logging.getLogger(__name__)

GRAPHQL_RESPONSE = "application/graphql-response+json"
LEGACY_JSON = "application/json"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_MAX_PURPOSE = 500


@dataclass
class GraphQLParams:
    """One GraphQL-over-HTTP request's parameters."""

    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    extensions: dict[str, Any] | None = None


@dataclass
class Exchange:
    """What one request's audit record and metrics need, filled in as the request goes."""

    request_id: str
    started: float
    principal: Principal | None = None
    purpose: str | None = None
    query: str | None = None
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    returned_ids: list[str] = field(default_factory=list)
    operation: str = "-"
    outcome: str = "refused"
    error: str | None = None


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media:
            ranges.append((media.lower(), q))
    return ranges


def negotiate(accept: str | None) -> str:
    """The response media type for an ``Accept`` header (``NotAcceptable`` when neither fits)."""
    if not accept:
        return GRAPHQL_RESPONSE
    ranges = _media_ranges(accept)

    def quality(media: str) -> tuple[float, int]:
        for pattern, specificity in ((media, 2), ("application/*", 1), ("*/*", 0)):
            for candidate, q in ranges:
                if candidate == pattern:
                    return q, specificity
        return 0.0, -1

    best = max((GRAPHQL_RESPONSE, LEGACY_JSON), key=lambda m: (quality(m), m == GRAPHQL_RESPONSE))
    if quality(best)[0] <= 0:
        raise NotAcceptable(
            f"this endpoint answers {GRAPHQL_RESPONSE} or {LEGACY_JSON}, not {accept!r}",
            hint=f"send 'Accept: {GRAPHQL_RESPONSE}'",
        )
    return best


def _json_object(value: Any, name: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise BadRequest(f"{name} is not valid JSON") from None
    if value is not None and not isinstance(value, dict):
        raise BadRequest(f"{name} must be a JSON object")
    return value


def params_of(raw: Any, *, from_query_string: bool) -> GraphQLParams:
    """Checked request parameters; ``BadRequest`` names what is wrong."""
    if isinstance(raw, list):
        raise BadRequest("batched requests are not supported", hint="send one operation per request")
    if not isinstance(raw, dict):
        raise BadRequest("the request body must be a JSON object with a 'query'")
    query = raw.get("query")
    if query is None or query == "":
        raise BadRequest("the request has no 'query'", hint='send {"query": "{ me { user } }"}')
    if not isinstance(query, str):
        raise BadRequest("'query' must be a string")
    operation_name = raw.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadRequest("'operationName' must be a string")
    # In a query string everything is text; in a JSON body the objects must be objects already.
    variables, extensions = raw.get("variables"), raw.get("extensions")
    if not from_query_string and (isinstance(variables, str) or isinstance(extensions, str)):
        raise BadRequest("'variables' and 'extensions' must be JSON objects")
    return GraphQLParams(
        query=query,
        variables=_json_object(variables, "'variables'"),
        operation_name=operation_name or None,
        extensions=_json_object(extensions, "'extensions'"),
    )


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _check_content_type(header: str | None) -> None:
    media, *params = (p.strip().lower() for p in (header or "").split(";"))
    charset = next((p.partition("=")[2].strip('" ') for p in params if p.startswith("charset=")), "utf-8")
    if media != "application/json" or charset != "utf-8":
        raise UnsupportedMediaType(
            f"POST bodies must be application/json in UTF-8, not {header or 'unspecified'!r}",
            hint="send 'Content-Type: application/json'",
        )


def _purpose(request: Request, params: GraphQLParams) -> str:
    purpose = request.headers.get("x-purpose")
    if purpose is None and params.extensions:
        stated = params.extensions.get("purpose")
        if stated is not None and not isinstance(stated, str):
            raise BadRequest("extensions.purpose must be a string")
        purpose = stated
    purpose = (purpose or "").strip()
    if len(purpose) > _MAX_PURPOSE:
        raise BadRequest(f"the purpose is longer than {_MAX_PURPOSE} characters")
    return purpose


def _client_ip(request: Request) -> str | None:
    host = request.client.host if request.client else None
    try:
        return str(ipaddress.ip_address(host)) if host else None
    except ValueError:
        return None


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


class GraphQLEndpoint:
    """``/graphql``: authenticate, execute, audit, answer (``handle`` is the route's endpoint)."""

    def __init__(
        self, schema: strawberry.Schema, settings: Settings, verifier: TokenVerifier, metrics: ApiMetrics,
        recorder: DirectoryRecorder | None = None,
    ) -> None:  # fmt: skip
        self.schema = schema
        self.settings = settings
        self.verifier = verifier
        self.metrics = metrics
        # Each verified principal is recorded in the user directory, for work run on its behalf
        # later (saved queries); see polegraph.security.directory.
        self.recorder = recorder or DirectoryRecorder(settings.directory_refresh_s)

    async def handle(self, request: Request) -> Response:
        if self._wants_graphiql(request):
            return HTMLResponse(get_graphql_ide_html("graphiql"))
        header_id = request.headers.get("x-request-id", "")
        exchange = Exchange(
            request_id=header_id if _REQUEST_ID.match(header_id) else uuid.uuid4().hex,
            started=time.perf_counter(),
        )
        media = LEGACY_JSON
        try:
            media = negotiate(request.headers.get("accept"))
            response = await self._handle(request, exchange, media)
        except ApiError as exc:
            response = self._refused(exc, exchange, media)
        return await self._audited(request, exchange, response)

    def _wants_graphiql(self, request: Request) -> bool:
        return (
            self.settings.graphiql_enabled
            and request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
            and "query" not in request.query_params
        )

    async def _read(self, request: Request) -> GraphQLParams:
        limit = self.settings.api_max_body_bytes
        if request.method == "GET":
            if len(request.url.query) > limit:
                raise PayloadTooLarge(f"the query string is longer than {limit} bytes", hint="use POST")
            return params_of(dict(request.query_params), from_query_string=True)
        if request.method != "POST":
            raise MethodNotAllowed(f"{request.method} is not supported on /graphql", allow="GET, POST")
        _check_content_type(request.headers.get("content-type"))
        body = await _body(request, limit)
        try:
            raw = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise BadRequest(f"the request body is not valid JSON: {exc}") from None
        return params_of(raw, from_query_string=False)

    async def _handle(self, request: Request, exchange: Exchange, media: str) -> Response:
        # Read the request before authenticating so that even a refused request's audit record
        # shows what was asked; but an unauthenticated caller only ever learns that it is one.
        params: GraphQLParams | None = None
        malformed: ApiError | None = None
        try:
            params = await self._read(request)
            exchange.query, exchange.variables = params.query, params.variables
            exchange.operation_name = params.operation_name
        except ApiError as exc:
            malformed = exc
        authorization = request.headers.get("authorization")
        exchange.principal = self.verifier.principal(authorization)
        if malformed is not None:
            raise malformed
        assert params is not None
        exchange.purpose = _purpose(request, params)
        engines = request.app.state.engines
        await observe(self.recorder, engines.driver, self.settings, exchange.principal, authorization)
        context = RequestContext(
            principal=exchange.principal, purpose=exchange.purpose, settings=self.settings,
            driver=engines.driver, es=engines.es, request_id=exchange.request_id,
        )  # fmt: skip
        allowed = (
            (OperationType.QUERY,)
            if request.method == "GET"
            else (OperationType.QUERY, OperationType.MUTATION)
        )
        try:
            with admission() as admitted:
                result = await self.schema.execute(
                    params.query, variable_values=params.variables, context_value=context,
                    operation_name=params.operation_name, allowed_operation_types=allowed,
                    operation_extensions=params.extensions,
                )  # fmt: skip
        except InvalidOperationTypeError as exc:
            raise MethodNotAllowed(
                f"{exc.operation_type.value} operations are not allowed over GET", allow="POST",
                hint="send it with POST",
            ) from None  # fmt: skip
        except CannotGetOperationTypeError:
            raise BadRequest(
                "the document does not say which operation to run",
                hint="name one of its operations in operationName",
            ) from None
        if admitted.root_fields:
            exchange.operation = ",".join(sorted(admitted.root_fields))
        exchange.returned_ids = _unique(context.returned_ids)
        return self._answer(result, exchange, media)

    def _answer(self, result: ExecutionResult, exchange: Exchange, media: str) -> Response:
        pre = isinstance(result, PreExecutionError)
        raw_errors: list[GraphQLError] = list(result.errors or [])
        errors = [format_error(e, exchange.request_id, pre_execution=pre) for e in raw_errors]
        # A request error: refused before execution, or failed before any field ran (variables).
        request_error = pre or (
            result.data is None and all(e.path is None for e in raw_errors) and bool(errors)
        )
        body: dict[str, Any] = {}
        headers: dict[str, str] = {}
        if request_error:
            code = errors[0]["extensions"]["code"]
            status = status_of(code)
            if code == "RATE_LIMITED":
                headers["Retry-After"] = str(errors[0]["extensions"]["retry_after_s"])
            exchange.outcome = "error" if status >= 500 else "refused"
        else:
            status = 200
            body["data"] = result.data
            if not errors:
                exchange.outcome = "ok"
            else:
                exchange.outcome = "partial" if result.data is not None else "error"
        if errors:
            body["errors"] = errors
            first = errors[0]
            exchange.error = f"{first['extensions']['code']}: {first['message']}"
        if result.extensions:
            body["extensions"] = result.extensions
        if media == LEGACY_JSON and status == 400:
            status = 200  # GraphQL-over-HTTP: application/json answers well-formed requests with 200
        return self._json(body, status, media, exchange, headers)

    def _refused(self, exc: ApiError, exchange: Exchange, media: str) -> Response:
        exchange.outcome = "unauthenticated" if exc.status == 401 else "refused"
        exchange.error = f"{exc.code}: {exc.message}"
        headers: dict[str, str] = {}
        if isinstance(exc, MethodNotAllowed):
            headers["Allow"] = exc.allow
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="polegraph", error="invalid_token"'
        if exc.status == 429:
            headers["Retry-After"] = str(getattr(exc, "retry_after_s", 1))
        return self._json(refusal(exc, exchange.request_id), exc.status, media, exchange, headers)

    def _json(
        self, body: dict[str, Any], status: int, media: str, exchange: Exchange, headers: dict[str, str]
    ) -> Response:
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()
        headers = {**headers, "X-Request-ID": exchange.request_id}
        return Response(content, status, headers, media_type=f"{media}; charset=utf-8")

    def _record(self, request: Request, exchange: Exchange) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "event_id": uuid.uuid4().hex,
            "request_id": exchange.request_id,
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            **principal_fields(exchange.principal),
            "purpose": exchange.purpose or None,
            "query": exchange.query,
            "operation": hashlib.sha256(exchange.query.encode()).hexdigest() if exchange.query else None,
            "operation_name": exchange.operation_name,
            "variables": exchange.variables,
            "returned_ids": exchange.returned_ids,
            "returned_count": len(exchange.returned_ids),
            "outcome": exchange.outcome,
            "error": exchange.error,
            "duration_ms": round((time.perf_counter() - exchange.started) * 1000, 3),
            "client_ip": _client_ip(request),
            "client": request.headers.get("user-agent", "")[:256] or None,
        }
        return {k: v for k, v in fields.items() if v is not None}

    async def _audited(self, request: Request, exchange: Exchange, response: Response) -> Response:
        audit: AuditLog = request.app.state.audit
        try:
            await asyncio.to_thread(audit.append, self._record(request, exchange))
        except Exception:  # whatever failed, an unaudited response must not leave
            log.exception("request %s: the audit record could not be written", exchange.request_id)
            self.metrics.audit_failures.inc()
            exchange.outcome = "audit_failed"
            failed = AuditUnavailable(
                "internal error: the request could not be audited, so it is not answered"
            )
            response = self._json(refusal(failed, exchange.request_id), 500, LEGACY_JSON, exchange, {})
        self.metrics.observe(exchange.operation, exchange.outcome, time.perf_counter() - exchange.started)
        return response

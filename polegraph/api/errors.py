"""What a client is told when a request fails: an ``extensions.code`` and an HTTP status.

Expected failures are ``PolegraphError``s and keep their message: the client can act on it. Their
code comes from a ``code`` class attribute when the exception has one (the data fields' errors
may declare theirs), from the table below for the package's own classes, and is
``BAD_USER_INPUT`` otherwise. Anything else is a fault of ours: its message could leak internals,
so the client gets "internal error" and the request id, and the log gets the traceback.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from elasticsearch import ConnectionTimeout
from graphql import GraphQLError, GraphQLSyntaxError
from neo4j.exceptions import ClientError as Neo4jClientError

from polegraph.errors import EngineUnavailable, PolegraphError
from polegraph.security.policy import AccessDenied

log = logging.getLogger(__name__)

INTERNAL = "INTERNAL_SERVER_ERROR"


class ApiError(PolegraphError):
    """A request the API refuses; ``status`` is the HTTP status it is answered with."""

    code: ClassVar[str] = "BAD_REQUEST"
    status: ClassVar[int] = 400


class BadRequest(ApiError):
    """The HTTP request is not a GraphQL-over-HTTP request (bad JSON, no query, a batch…)."""


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"
    status = 401


class PurposeRequired(ApiError):
    code = "PURPOSE_REQUIRED"


class QueryTooComplex(ApiError):
    """Too many tokens, too deep, or too many aliases."""

    code = "QUERY_TOO_COMPLEX"


class QueryTooCostly(ApiError):
    code = "QUERY_TOO_COSTLY"


class PageTooLarge(ApiError):
    code = "BAD_USER_INPUT"


class RateLimited(ApiError):
    """The user's cost budget for the current window is spent."""

    code = "RATE_LIMITED"
    status = 429

    def __init__(self, message: str, *, retry_after_s: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after_s = retry_after_s


class MethodNotAllowed(ApiError):
    code = "METHOD_NOT_ALLOWED"
    status = 405

    def __init__(self, message: str, *, allow: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.allow = allow


class NotAcceptable(ApiError):
    code = "NOT_ACCEPTABLE"
    status = 406


class PayloadTooLarge(ApiError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413


class UnsupportedMediaType(ApiError):
    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415


class AuditUnavailable(ApiError):
    """The audit record could not be written, so the response may not leave."""

    code = INTERNAL
    status = 500


# The package's own classes that carry no ``code`` of their own.
_CODES: dict[type[Exception], str] = {AccessDenied: "FORBIDDEN", EngineUnavailable: "SERVICE_UNAVAILABLE"}
# HTTP status of a request refused before execution, by code (400 otherwise).
_STATUS = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "RATE_LIMITED": 429, INTERNAL: 500}


def code_of(exc: BaseException) -> str | None:
    """The code of an expected failure, or None for one that must be masked."""
    if isinstance(exc, PolegraphError):
        for cls, code in _CODES.items():
            if isinstance(exc, cls):
                return code
        code = getattr(exc, "code", "BAD_USER_INPUT")
        return code if isinstance(code, str) else "BAD_USER_INPUT"
    if isinstance(exc, Neo4jClientError) and "TransactionTimedOut" in (exc.code or ""):
        return "TIMEOUT"
    if isinstance(exc, ConnectionTimeout):
        return "TIMEOUT"
    return None


def status_of(code: str) -> int:
    """The HTTP status of a request refused before execution with ``code``."""
    return _STATUS.get(code, 400)


def format_error(error: GraphQLError, request_id: str, *, pre_execution: bool) -> dict[str, Any]:
    """The JSON of one GraphQL error, masked unless it is expected."""
    original = error.original_error
    out: dict[str, Any] = {}
    if original is None or isinstance(original, GraphQLError):
        # graphql-core's own errors: syntax, validation, variable coercion. All describe the request.
        if isinstance(error, GraphQLSyntaxError):
            code = "GRAPHQL_PARSE_FAILED"
        else:
            code = "GRAPHQL_VALIDATION_FAILED" if pre_execution else "BAD_USER_INPUT"
        out["message"] = error.message
    else:
        known = code_of(original)
        if known is None:
            code, out["message"] = INTERNAL, "internal error"
        elif isinstance(original, EngineUnavailable):
            # Its text names hosts and driver internals.
            code, out["message"] = known, "a search engine did not answer; try again shortly"
        elif known == "TIMEOUT":
            code, out["message"] = known, "the query took too long; narrow it (fewer hops, a filter)"
        else:
            assert isinstance(original, PolegraphError)
            code, out["message"] = known, original.message
            if original.hint:
                out.setdefault("extensions", {})["hint"] = original.hint
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        out["path"] = list(error.path)
    ext = out.setdefault("extensions", {})
    ext["code"] = code
    ext["request_id"] = request_id
    if isinstance(original, RateLimited):
        ext["retry_after_s"] = original.retry_after_s
    return out


def log_unexpected(errors: list[GraphQLError], request_id: str) -> None:
    """Log, with its traceback and request id, each error the client is only told is internal."""
    for error in errors:
        original = error.original_error
        if original is not None and not isinstance(original, GraphQLError) and code_of(original) is None:
            log.error("request %s failed", request_id, exc_info=original)
        elif isinstance(original, EngineUnavailable):
            log.warning("request %s: %s", request_id, original)


def refusal(exc: ApiError, request_id: str) -> dict[str, Any]:
    """The JSON body of a request refused before it reached GraphQL."""
    ext: dict[str, Any] = {"code": exc.code, "request_id": request_id}
    if exc.hint:
        ext["hint"] = exc.hint
    if isinstance(exc, RateLimited):
        ext["retry_after_s"] = exc.retry_after_s
    return {"errors": [{"message": exc.message, "extensions": ext}]}

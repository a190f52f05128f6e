"""The GraphQL schema: the data fields merged with the shell's own (``me``, ``auditLog``).

``build_schema(*QUERIES, types=TYPES, mutations=MUTATIONS)`` is the investigators' schema; every
schema built here carries the request limits (``polegraph.api.limits``), mutations included, so no
caller can forget them.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, Info

from polegraph.api.context import RequestContext
from polegraph.api.errors import log_unexpected
from polegraph.api.limits import CostBudget, Limits, RequestLimits
from polegraph.config import Settings, get_settings
from polegraph.security.audit import audit_cursor, search_audit


@strawberry.type(description="The person behind this request, as the API sees them.")
class Viewer:
    user: str
    home_force: str
    readable_forces: list[str]
    clearance: str
    roles: list[str]
    restricted_hits: bool = strawberry.field(
        description="Whether searches report records this user may not read as counts per force."
    )


@strawberry.input(description="Which audit records to list; every part is optional.")
class AuditLogFilter:
    user: str | None = None
    outcome: str | None = strawberry.field(default=None, description="ok, error, refused, unauthenticated…")
    since: datetime | None = None
    until: datetime | None = strawberry.field(default=None, description="exclusive")


@strawberry.type(description="One request, as the audit log recorded it.")
class AuditRecord:
    seq: int
    timestamp: datetime
    request_id: str
    user: str | None
    user_force: str | None
    roles: list[str]
    purpose: str | None
    operation_name: str | None
    operation_hash: str | None = strawberry.field(description="sha256 of the operation text")
    query: str | None
    variables: JSON | None
    returned_ids: list[str]
    returned_count: int
    outcome: str
    error: str | None
    duration_ms: float
    hash: str
    prev_hash: str

    @classmethod
    def of(cls, record: dict[str, Any]) -> AuditRecord:
        return cls(
            seq=record["seq"], timestamp=datetime.fromisoformat(record["timestamp"]),
            request_id=record["request_id"], user=record.get("user"), user_force=record.get("user_force"),
            roles=record.get("roles", []), purpose=record.get("purpose"),
            operation_name=record.get("operation_name"), operation_hash=record.get("operation"),
            query=record.get("query"), variables=record.get("variables"),
            returned_ids=record.get("returned_ids", []), returned_count=record.get("returned_count", 0),
            outcome=record["outcome"], error=record.get("error"), duration_ms=record["duration_ms"],
            hash=record["hash"], prev_hash=record["prev_hash"],
        )  # fmt: skip


@strawberry.type
class AuditRecordEdge:
    cursor: str
    node: AuditRecord


@strawberry.type
class AuditLogPageInfo:
    """Where a page of the audit log ends (its own type: the data fields have their PageInfo)."""

    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A page of the audit log.")
class AuditLogConnection:
    edges: list[AuditRecordEdge]
    page_info: AuditLogPageInfo


def _me(info: Info[RequestContext, None]) -> Viewer:
    p = info.context.principal
    return Viewer(
        user=p.user, home_force=p.home_force, readable_forces=sorted(p.readable_forces),
        clearance=p.clearance, roles=sorted(p.roles), restricted_hits=p.restricted_hits,
    )  # fmt: skip


async def _audit_log(
    info: Info[RequestContext, None],
    filter: AuditLogFilter | None = None,
    first: int = 20,
    after: str | None = None,
) -> AuditLogConnection:
    ctx = info.context
    f = filter or AuditLogFilter()
    page = await asyncio.to_thread(
        search_audit, ctx.es, ctx.settings, ctx.principal, user=f.user, outcome=f.outcome,
        since=f.since, until=f.until, first=first, after=after,
    )  # fmt: skip
    return AuditLogConnection(
        edges=[AuditRecordEdge(cursor=audit_cursor(r["seq"]), node=AuditRecord.of(r)) for r in page.records],
        page_info=AuditLogPageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
    )  # fmt: skip


@strawberry.type
class ShellQuery:
    """The fields the HTTP and security shell serves itself."""

    me: Viewer = strawberry.field(
        resolver=_me, description="Who this request runs as: user, forces, clearance and roles."
    )
    audit_log: AuditLogConnection = strawberry.field(
        resolver=_audit_log, description="The audit log, newest first (auditors only)."
    )


class PolegraphSchema(strawberry.Schema):
    """strawberry's schema, logging only the errors that are faults of ours.

    strawberry logs every error, a client's typo included; here a client's mistake is answered,
    not logged, and an unexpected error is logged once with the request id the client was given.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = execution_context.context if execution_context else None
        log_unexpected(errors, context.request_id if isinstance(context, RequestContext) else "-")


def build_schema(
    *query_types: type,
    types: Iterable[type] = (),
    mutations: Iterable[type] = (),
    subscriptions: Iterable[type] = (),
    settings: Settings | None = None,
    budget: CostBudget | None = None,
) -> PolegraphSchema:
    """One schema of ``query_types`` and the shell's fields, and of the ``mutations`` and
    ``subscriptions`` types' fields when there are any, with the request limits applied.
    """
    limits = Limits.from_settings(settings or get_settings())
    budget = budget or CostBudget(limits.budget, limits.window_s)
    query = merge_types("Query", (ShellQuery, *query_types))
    mutation_types, subscription_types = tuple(mutations), tuple(subscriptions)
    return PolegraphSchema(
        query=query,
        mutation=merge_types("Mutation", mutation_types) if mutation_types else None,
        subscription=merge_types("Subscription", subscription_types) if subscription_types else None,
        types=list(types),
        extensions=[functools.partial(RequestLimits, limits=limits, budget=budget)],
    )

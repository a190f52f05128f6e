"""Saved queries and alerts in GraphQL: ``savedQueries``, ``alerts``, ``createSavedQuery``,
``runSavedQuery``, ``updateAlert`` and the ``alerts`` subscription.

A saved query is checked when it is saved the way a request is before it runs (it parses, is
one query operation valid against the served schema, within the depth, alias and cost limits,
with variables its definitions accept), and it runs through ``polegraph.api.runner`` as its
owner's current principal. Creating, running and working alerts needs the intelligence_unit,
analyst or supervisor role; what a principal sees follows the queries' sharing
(``polegraph.queries.store``). An alert's match is shown to each viewer under the viewer's own
principal: null when the viewer may not read it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from polegraph.api.context import RequestContext
from polegraph.api.data.alerts import (
    Alert,
    AlertConnection,
    AlertEdge,
    AlertFilter,
    AlertStatus,
    shown_alerts,
)
from polegraph.api.data.connections import (
    PageInfo,
    check_first,
    decode_cursor,
    encode_cursor,
    page_info,
    query_digest,
)
from polegraph.api.data.nodes import described
from polegraph.api.limits import Limits
from polegraph.api.runner import ApiOperationRunner, check_operation
from polegraph.api.users import unit_of
from polegraph.queries import alerts as alert_store
from polegraph.queries import store
from polegraph.queries.runner import RunOutcome, run_saved_query
from polegraph.queries.scheduler import check_schedule
from polegraph.queries.store import SAVED_QUERY_ROLES, AlertPolicy, SavedQueryInvalid
from polegraph.security.audit import AuditLog

Info = strawberry.Info[RequestContext, None]


@strawberry.enum(
    name="SavedQuerySharing", description="Who sees a saved query and its alerts besides its owner."
)
class Sharing(Enum):
    PRIVATE = "PRIVATE"
    UNIT = "UNIT"
    FORCE = "FORCE"


@strawberry.input(description="Which part of the result is the match set, and which matches alert.")
class AlertPolicyInput:
    match_path: str = strawberry.field(
        description="Dotted response names from the root, e.g. search.edges; several joined by |, e.g. a|b."
    )
    id_field: str = strawberry.field(default="id", description="Within a match: its node's ID, e.g. node.id.")
    score_field: str | None = strawberry.field(default=None, description="Within a match: its score.")
    min_score: float = 0.0


@strawberry.input(description="A saved query: a stored GraphQL query operation and how it alerts.")
class SavedQueryInput:
    name: str
    operation: str = strawberry.field(description="The GraphQL text of one query operation.")
    purpose: str = strawberry.field(description="Why it runs; its runs are audited with it.")
    alert_policy: AlertPolicyInput
    variables: JSON | None = None
    operation_name: str | None = None
    sharing: Sharing = Sharing.PRIVATE
    unit: str | None = strawberry.field(default=None, description="Your unit (your token's unit claim).")
    schedule: str | None = strawberry.field(default=None, description="Cron, five fields, UTC.")


@strawberry.type(name="AlertPolicy")
class AlertPolicyInfo:
    match_path: str
    id_field: str
    score_field: str | None
    min_score: float


def _time(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


@strawberry.type(name="SavedQuery", description="A saved query and where its runs stand.")
class SavedQueryInfo:
    id: strawberry.ID
    name: str
    operation: str
    variables: JSON
    operation_name: str | None
    owner: str
    unit: str | None
    force: str
    sharing: Sharing
    purpose: str
    schedule: str | None
    alert_policy: AlertPolicyInfo
    enabled: bool
    created_at: datetime
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_match_count: int
    run_count: int
    suspended_reason: str | None = strawberry.field(
        description="Why it does not run now (its owner's state)."
    )
    last_error: str | None

    @classmethod
    def of(cls, q: store.SavedQuery) -> SavedQueryInfo:
        return cls(
            id=strawberry.ID(q.id), name=q.name, operation=q.operation, variables=JSON(q.variables),
            operation_name=q.operation_name, owner=q.owner, unit=q.unit, force=q.force,
            sharing=Sharing(q.sharing), purpose=q.purpose, schedule=q.schedule,
            alert_policy=AlertPolicyInfo(**dataclasses.asdict(q.policy)), enabled=q.enabled,
            created_at=datetime.fromtimestamp(q.created_at, UTC), next_run_at=_time(q.next_run_at),
            last_run_at=_time(q.last_run_at), last_match_count=len(q.last_matches), run_count=q.run_count,
            suspended_reason=q.suspended_reason, last_error=q.last_error,
        )  # fmt: skip


@strawberry.type
class SavedQueryEdge:
    cursor: str
    node: SavedQueryInfo


@strawberry.type
class SavedQueryConnection:
    edges: list[SavedQueryEdge]
    page_info: PageInfo


@strawberry.type(description="What one run of a saved query did.")
class SavedQueryRun:
    saved_query: SavedQueryInfo
    status: str = strawberry.field(description="ok, suspended (see reason) or failed (see reason).")
    match_count: int
    new_alerts: list[Alert]
    reason: str | None


async def _unit(ctx: RequestContext) -> str | None:
    """The requester's unit, read once per request."""
    if "unit" not in ctx.loaders:
        ctx.loaders["unit"] = await unit_of(ctx.driver, ctx.settings, ctx.principal)
    unit = ctx.loaders["unit"]
    return unit if isinstance(unit, str) else None


async def saved_queries(info: Info, first: int = 20, after: str | None = None) -> SavedQueryConnection:
    """The saved queries you may see: yours, your unit's and your force's shared ones, newest first."""
    ctx = info.context
    check_first(first)
    unit = await _unit(ctx)
    digest = query_digest(ctx.principal, "savedQueries", unit)
    key = decode_cursor(after, digest, (float, str)) if after else None
    found = await asyncio.to_thread(
        store.list_saved_queries, ctx.driver, ctx.settings.neo4j_database, ctx.principal, unit, first,
        (float(key[0]), str(key[1])) if key else None,
    )  # fmt: skip
    edges = [
        SavedQueryEdge(cursor=encode_cursor(digest, [q.created_at, q.id]), node=SavedQueryInfo.of(q))
        for q in found[:first]
    ]
    return SavedQueryConnection(
        edges=edges,
        page_info=page_info(edges, len(found) > first),
    )


async def alerts(
    info: Info, filter: AlertFilter | None = None, first: int = 20, after: str | None = None
) -> AlertConnection:
    """Alerts of the saved queries you may see, newest first."""
    ctx = info.context
    check_first(first)
    given = filter or AlertFilter()
    unit = await _unit(ctx)
    status = given.status.value if given.status else None
    digest = query_digest(ctx.principal, "alerts", unit, status, given.saved_query_id)
    key = decode_cursor(after, digest, (float, str)) if after else None
    found = await asyncio.to_thread(
        lambda: alert_store.list_alerts(
            ctx.driver, ctx.settings.neo4j_database, ctx.principal, unit, first=first,
            after=(float(key[0]), str(key[1])) if key else None, status=status,
            query_id=str(given.saved_query_id) if given.saved_query_id else None,
        )
    )  # fmt: skip
    shown = await shown_alerts(ctx, found[:first])
    edges = [
        AlertEdge(cursor=encode_cursor(digest, [a.created_at, a.id]), node=node)
        for a, node in zip(found[:first], shown, strict=True)
    ]
    ctx.returned(*(str(a.id) for a in shown))
    return AlertConnection(
        edges=edges,
        page_info=page_info(edges, len(found) > first),
    )


@strawberry.type
class SavedQueryQuery:
    saved_queries: SavedQueryConnection = strawberry.field(
        resolver=saved_queries, description=saved_queries.__doc__
    )
    alerts: AlertConnection = strawberry.field(resolver=alerts, description=alerts.__doc__)


async def run_as_owner(info: Info, query_id: str) -> RunOutcome:
    """Run a saved query now, as its owner, through the same schema this request came through."""
    ctx = info.context
    runner = ApiOperationRunner(info.schema, ctx.settings, ctx.driver, ctx.es, AuditLog(ctx.settings, ctx.es))
    return await run_saved_query(
        query_id, runner, ctx.driver, ctx.settings.neo4j_database, ctx.settings.saved_principal_max_age_s
    )


@strawberry.type
class SavedQueryMutation:
    @described("Save a query (checked now as a request would be); you are its owner.")
    async def create_saved_query(self, info: Info, input: SavedQueryInput) -> SavedQueryInfo:
        ctx = info.context
        ctx.principal.require(*SAVED_QUERY_ROLES)
        variables: dict[str, Any] = input.variables if isinstance(input.variables, dict) else {}
        if input.variables is not None and not isinstance(input.variables, dict):
            raise SavedQueryInvalid("variables must be a JSON object")
        check_operation(
            info.schema, Limits.from_settings(ctx.settings), input.operation, input.operation_name, variables
        )
        schedule = check_schedule(input.schedule) if input.schedule else None
        policy = AlertPolicy(
            **{f.name: getattr(input.alert_policy, f.name) for f in dataclasses.fields(AlertPolicy)}
        )
        unit = await _unit(ctx)
        if input.unit is not None and input.unit != unit:
            # Sharing into a unit one is not in would put one's queries in front of strangers.
            raise SavedQueryInvalid(
                f"you may share with your own unit only ({unit or 'your token names none'})",
                hint="leave unit out: it defaults to your token's unit claim",
            )
        saved = await asyncio.to_thread(
            lambda: store.create_saved_query(
                ctx.driver, ctx.settings.neo4j_database, ctx.principal, unit, name=input.name,
                operation=input.operation, variables=variables, operation_name=input.operation_name,
                sharing=input.sharing.value, purpose=input.purpose, schedule=schedule, policy=policy,
                unit=input.unit,
            )
        )  # fmt: skip
        return SavedQueryInfo.of(saved)

    @described("Run a saved query you may see now, as its owner; new matches become alerts.")
    async def run_saved_query(self, info: Info, id: strawberry.ID) -> SavedQueryRun:
        ctx = info.context
        ctx.principal.require(*SAVED_QUERY_ROLES)
        unit = await _unit(ctx)
        db = ctx.settings.neo4j_database
        await asyncio.to_thread(store.visible_saved_query, ctx.driver, db, ctx.principal, unit, str(id))
        outcome = await run_as_owner(info, str(id))
        after = await asyncio.to_thread(
            store.visible_saved_query, ctx.driver, db, ctx.principal, unit, str(id)
        )
        shown = await shown_alerts(ctx, outcome.new_alerts)
        ctx.returned(*(str(a.id) for a in shown))
        return SavedQueryRun(
            saved_query=SavedQueryInfo.of(after), status=outcome.status, match_count=outcome.matches,
            new_alerts=shown, reason=outcome.reason,
        )  # fmt: skip

    @described(
        "Pause (no scheduled runs) or resume a saved query: its owner, or a supervisor of its force. "
        "Resuming schedules the next run from now."
    )
    async def set_saved_query_enabled(self, info: Info, id: strawberry.ID, enabled: bool) -> SavedQueryInfo:
        ctx = info.context
        ctx.principal.require(*SAVED_QUERY_ROLES)
        unit = await _unit(ctx)
        changed = await asyncio.to_thread(
            store.set_enabled, ctx.driver, ctx.settings.neo4j_database, ctx.principal, unit, str(id), enabled
        )
        return SavedQueryInfo.of(changed)

    @described("Change an alert's status, assignee (empty text: none) or add a note; history is kept.")
    async def update_alert(
        self, info: Info, id: strawberry.ID, status: AlertStatus | None = None, assignee: str | None = None,
        note: str | None = None,
    ) -> Alert:  # fmt: skip
        ctx = info.context
        unit = await _unit(ctx)
        updated = await asyncio.to_thread(
            lambda: alert_store.update_alert(
                ctx.driver, ctx.settings.neo4j_database, ctx.principal, unit, str(id),
                status=status.value if status else None, assignee=assignee, note=note,
            )
        )  # fmt: skip
        (shown,) = await shown_alerts(ctx, [updated])
        ctx.returned(str(shown.id))
        return shown


@strawberry.type
class SavedQuerySubscription:
    @strawberry.subscription(description="New alerts of the saved queries you may see, as they are raised.")  # type: ignore[untyped-decorator]
    async def alerts(
        self, info: Info, saved_query_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Alert, None]:
        ctx = info.context
        ctx.principal.require(*SAVED_QUERY_ROLES)
        unit = await _unit(ctx)
        # Polled rather than pushed: alerts are raised by the worker, often in another process.
        since: tuple[float, str] = (time.time(), "")
        while True:
            found = await asyncio.to_thread(
                alert_store.alerts_since, ctx.driver, ctx.settings.neo4j_database, ctx.principal, unit, since
            )
            for alert, shown in zip(found, await shown_alerts(ctx, found), strict=True):
                since = (alert.created_at, alert.id)
                if saved_query_id is None or alert.query_id == str(saved_query_id):
                    ctx.returned(str(shown.id))
                    yield shown
            await asyncio.sleep(ctx.settings.alerts_poll_s)

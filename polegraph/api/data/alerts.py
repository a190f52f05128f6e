"""Alerts as GraphQL shows them: status, history, and the match read under the viewer's principal.

An alert's match was found under its saved query's owner's principal; each viewer sees it only as
far as the viewer may read it (``match`` is null otherwise), and every ID shown is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from polegraph.api.context import RequestContext
from polegraph.api.data.connections import PageInfo
from polegraph.api.data.loaders import load_nodes
from polegraph.api.data.nodes import Node, as_node
from polegraph.api.ids import BadGlobalId, from_global_id
from polegraph.graph.read import NodeKey
from polegraph.queries import alerts as alert_store


@strawberry.enum(description="Where an alert stands.")
class AlertStatus(Enum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    CONFIRMED = "CONFIRMED"
    DISMISSED = "DISMISSED"


@strawberry.type(description="One change to an alert: who, when, what.")
class AlertChange:
    at: datetime
    by: str
    action: str = strawberry.field(description="raised, status, assignee or note.")
    detail: JSON


def _changes(changes: list[alert_store.AlertChange]) -> list[AlertChange]:
    return [
        AlertChange(at=datetime.fromtimestamp(c.at, UTC), by=c.by, action=c.action, detail=JSON(c.detail))
        for c in changes
    ]


@strawberry.type(description="A new match of a saved query, to be worked to a decision.")
class Alert:
    id: strawberry.ID
    saved_query_id: strawberry.ID
    saved_query_name: str
    match: Node | None = strawberry.field(description="The matched record; null when you may not read it.")
    score: float
    status: AlertStatus
    assignee: str | None
    notes: list[AlertChange]
    history: list[AlertChange]
    created_at: datetime
    updated_at: datetime


async def shown_alerts(ctx: RequestContext, found: list[alert_store.Alert]) -> list[Alert]:
    """The alerts as GraphQL objects, each match read under the requester's principal."""
    keys: list[NodeKey | None] = []
    for alert in found:
        try:
            ref = from_global_id(alert.match_id)
            keys.append(NodeKey(ref.label, ref.uid))
        except BadGlobalId:
            keys.append(None)
    wanted = [k for k in keys if k is not None]
    nodes = iter(await load_nodes(ctx, wanted)) if wanted else iter(())
    shown = []
    for alert, key in zip(found, keys, strict=True):
        node = next(nodes) if key is not None else None
        shown.append(
            Alert(
                id=strawberry.ID(alert.id), saved_query_id=strawberry.ID(alert.query_id),
                saved_query_name=alert.query_name, match=as_node(ctx, node) if node is not None else None,
                score=alert.score, status=AlertStatus(alert.status), assignee=alert.assignee,
                notes=_changes(alert.notes), history=_changes(alert.history),
                created_at=datetime.fromtimestamp(alert.created_at, UTC),
                updated_at=datetime.fromtimestamp(alert.updated_at, UTC),
            )
        )  # fmt: skip
    return shown


@strawberry.type
class AlertEdge:
    cursor: str
    node: Alert


@strawberry.type
class AlertConnection:
    edges: list[AlertEdge]
    page_info: PageInfo


@strawberry.input(description="Which alerts to list.")
class AlertFilter:
    status: AlertStatus | None = None
    saved_query_id: strawberry.ID | None = None

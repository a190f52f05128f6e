"""Alerts: a new match of a saved query, worked by the intelligence unit to a decision.

An ``:Alert`` (linked ``(:SavedQuery)-[:RAISED]->(:Alert)``) holds the match's ID and score, its
status (OPEN → IN_PROGRESS → CONFIRMED or DISMISSED, in any order an analyst needs), its assignee,
its notes, and a history entry for every change: who, when, what. Alerts are seen by whoever may
see their saved query (``polegraph.queries.store.visible_predicate``); the match itself is shown
to each viewer only as far as the viewer may read it.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from neo4j import Driver, ManagedTransaction

from polegraph.errors import PolegraphError
from polegraph.queries.store import SAVED_QUERY_ROLES, SavedQuery, visible_predicate
from polegraph.security.policy import Principal

STATUSES = ("OPEN", "IN_PROGRESS", "CONFIRMED", "DISMISSED")


class AlertNotFound(PolegraphError):
    """No alert with that id that the requester may see."""

    code: ClassVar[str] = "NOT_FOUND"


@dataclass(frozen=True)
class AlertChange:
    """One entry of an alert's history."""

    at: float
    by: str
    action: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Alert:
    id: str
    query_id: str
    query_name: str
    match_id: str
    score: float
    status: str
    assignee: str | None
    notes: list[AlertChange]
    history: list[AlertChange]
    created_at: float
    updated_at: float


def _change(raw: str) -> AlertChange:
    entry = json.loads(raw)
    return AlertChange(at=entry["at"], by=entry["by"], action=entry["action"], detail=entry.get("detail", {}))


def _entry(at: float, by: str, action: str, **detail: Any) -> str:
    return json.dumps({"at": at, "by": by, "action": action, "detail": detail}, sort_keys=True)


def _alert(props: dict[str, Any], query_name: str) -> Alert:
    return Alert(
        id=props["id"], query_id=props["query_id"], query_name=query_name, match_id=props["match_id"],
        score=float(props["score"]), status=props["status"], assignee=props.get("assignee"),
        notes=[_change(n) for n in props.get("notes") or []],
        history=[_change(h) for h in props.get("history") or []],
        created_at=float(props["created_at"]), updated_at=float(props["updated_at"]),
    )  # fmt: skip


_RETURN = "RETURN properties(a) AS a, q.name AS name"


def raise_alerts(
    tx: ManagedTransaction, query: SavedQuery, matches: dict[str, float], now: float
) -> list[Alert]:
    """In the run's transaction: one OPEN alert per new match (raised by the query's owner's run)."""
    rows = [
        {"id": uuid.uuid4().hex, "match_id": match_id, "score": score,
         "history": [_entry(now, query.owner, "raised", score=score)]}
        for match_id, score in sorted(matches.items())
    ]  # fmt: skip
    result = tx.run(
        "MATCH (q:SavedQuery {id: $query_id}) UNWIND $rows AS row "
        "CREATE (q)-[:RAISED]->(a:Alert {id: row.id, query_id: q.id, match_id: row.match_id, "
        "score: row.score, status: 'OPEN', notes: [], history: row.history, created_at: $now, "
        f"updated_at: $now}}) {_RETURN}",
        query_id=query.id, rows=rows, now=now,
    )  # fmt: skip
    return [_alert(dict(r["a"]), r["name"]) for r in result]


def list_alerts(
    driver: Driver, database: str, principal: Principal, unit: str | None, *, first: int,
    after: tuple[float, str] | None = None, status: str | None = None, query_id: str | None = None,
) -> list[Alert]:  # fmt: skip
    """Up to ``first + 1`` alerts the principal may see, newest first, after a (created_at, id) key."""
    predicate, params = visible_predicate(principal, unit)
    records, _, _ = driver.execute_query(
        f"MATCH (q:SavedQuery)-[:RAISED]->(a:Alert) WHERE {predicate} "
        "AND ($status IS NULL OR a.status = $status) AND ($query_id IS NULL OR q.id = $query_id) "
        "AND ($after_at IS NULL OR a.created_at < $after_at "
        "OR (a.created_at = $after_at AND a.id < $after_id)) "
        f"{_RETURN} ORDER BY a.created_at DESC, a.id DESC LIMIT $limit",
        **params, status=status, query_id=query_id, after_at=after[0] if after else None,
        after_id=after[1] if after else None, limit=first + 1, database_=database,
    )  # fmt: skip
    return [_alert(dict(r["a"]), r["name"]) for r in records]


def alerts_since(
    driver: Driver, database: str, principal: Principal, unit: str | None, since: tuple[float, str]
) -> list[Alert]:
    """Alerts the principal may see raised after a (created_at, id) key, oldest first (a feed)."""
    predicate, params = visible_predicate(principal, unit)
    records, _, _ = driver.execute_query(
        f"MATCH (q:SavedQuery)-[:RAISED]->(a:Alert) WHERE {predicate} "
        "AND (a.created_at > $at OR (a.created_at = $at AND a.id > $id)) "
        f"{_RETURN} ORDER BY a.created_at, a.id LIMIT 100",
        **params, at=since[0], id=since[1], database_=database,
    )  # fmt: skip
    return [_alert(dict(r["a"]), r["name"]) for r in records]


def update_alert(
    driver: Driver, database: str, principal: Principal, unit: str | None, alert_id: str, *,
    status: str | None = None, assignee: str | None = None, note: str | None = None,
    now: float | None = None,
) -> Alert:  # fmt: skip
    """Change an alert's status, assignee or notes; each change is added to its history."""
    principal.require(*SAVED_QUERY_ROLES)
    if status is not None and status not in STATUSES:
        raise PolegraphError(f"status is one of {', '.join(STATUSES)}, not {status!r}")
    now = time.time() if now is None else now
    changes: list[str] = []
    if status is not None:
        changes.append(_entry(now, principal.user, "status", status=status))
    if assignee is not None:
        changes.append(_entry(now, principal.user, "assignee", assignee=assignee or None))
    notes = [_entry(now, principal.user, "note", text=note.strip())] if note and note.strip() else []
    predicate, params = visible_predicate(principal, unit)
    records, _, _ = driver.execute_query(
        f"MATCH (q:SavedQuery)-[:RAISED]->(a:Alert {{id: $id}}) WHERE {predicate} "
        "SET a.status = coalesce($status, a.status), "
        "a.assignee = CASE WHEN $assignee IS NULL THEN a.assignee WHEN $assignee = '' THEN null "
        "ELSE $assignee END, "
        "a.notes = a.notes + $notes, a.history = a.history + $changes + $notes, "
        "a.updated_at = CASE WHEN size($changes) + size($notes) > 0 THEN $now ELSE a.updated_at END "
        f"{_RETURN}",
        id=alert_id, status=status, assignee=assignee, notes=notes, changes=changes, now=now, **params,
        database_=database,
    )  # fmt: skip
    if not records:
        raise AlertNotFound(f"no alert {alert_id} that you may see")
    return _alert(dict(records[0]["a"]), records[0]["name"])

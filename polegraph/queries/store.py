"""Saved queries in Neo4j: ``:SavedQuery`` nodes, who may see them, and their run state.

A saved query keeps the operation text, its variables, its owner, unit and force, its sharing,
an optional cron schedule and an alert policy; and, from its runs, when it ran, when it runs next,
the match set of its last run and why it is suspended, if it is. It keeps no copy of its owner's
rights: a run takes them from the user directory (``polegraph.security.directory``).

Visibility (``visible_predicate``): a PRIVATE query is its owner's; a UNIT query is also seen by
the users of the same unit in the same force; a FORCE query by every user of the owner's force.
The alerts of a query are seen by whoever sees the query.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from neo4j import Driver, ManagedTransaction

from polegraph.errors import PolegraphError
from polegraph.queries.scheduler import next_run
from polegraph.security.policy import AccessDenied, Principal

SHARING = ("PRIVATE", "UNIT", "FORCE")
#: Who may create and run saved queries (and so own alerts).
SAVED_QUERY_ROLES = ("intelligence_unit", "analyst", "supervisor")


class SavedQueryNotFound(PolegraphError):
    """No saved query with that id that the requester may see (or none at all: the answer is the same)."""

    code: ClassVar[str] = "NOT_FOUND"


class SavedQueryInvalid(PolegraphError):
    """A saved query that cannot be stored as given."""

    code: ClassVar[str] = "BAD_USER_INPUT"


@dataclass(frozen=True)
class AlertPolicy:
    """Which part of a result is the match set, and which matches are worth an alert.

    ``match_path`` is a dotted path of response names from the root (``search.edges``); lists on
    the way are walked through. Several paths separated by ``|`` (``places|adults``) gather the
    matches of several root fields of one operation. Each object a path reaches is one match: its
    ``id_field`` (a dotted path within it, ``node.id``) is the match's ID, a node's global ID, and
    its ``score_field``, if any, the score compared with ``min_score`` (a match with no score field
    scores 1).
    """

    match_path: str
    id_field: str = "id"
    score_field: str | None = None
    min_score: float = 0.0

    def __post_init__(self) -> None:
        if not self.match_path or any(not part for path in self.paths for part in path):
            raise SavedQueryInvalid(
                f"not a match path: {self.match_path!r}", hint="e.g. 'search.edges' or 'places|adults'"
            )

    @property
    def paths(self) -> list[list[str]]:
        """The response names of each path ``match_path`` names."""
        return [path.split(".") for path in self.match_path.split("|")]

    def matches(self, data: Any) -> dict[str, float]:
        """The matches in a result's ``data``: match ID → score, those under ``min_score`` left out."""
        found: dict[str, float] = {}
        for item in (found for path in self.paths for found in _walk(data, path)):
            match_id = _get(item, self.id_field)
            if not isinstance(match_id, str):
                continue
            raw = _get(item, self.score_field) if self.score_field else 1.0
            score = float(raw) if isinstance(raw, int | float) else 0.0
            if score >= self.min_score:
                found[match_id] = max(score, found.get(match_id, score))
        return found


def _get(item: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(item, dict):
            return None
        item = item.get(part)
    return item


def _walk(value: Any, path: list[str]) -> list[Any]:
    if isinstance(value, list):
        return [found for item in value for found in _walk(item, path)]
    if not path:
        return [value]
    if not isinstance(value, dict):
        return []
    return _walk(value.get(path[0]), path[1:])


@dataclass
class SavedQuery:
    """One saved query and its run state."""

    id: str
    name: str
    operation: str
    variables: dict[str, Any]
    operation_name: str | None
    owner: str
    unit: str | None
    force: str
    sharing: str
    purpose: str
    schedule: str | None
    policy: AlertPolicy
    enabled: bool = True
    created_at: float = field(default_factory=time.time)
    next_run_at: float | None = None
    last_run_at: float | None = None
    last_matches: list[str] = field(default_factory=list)
    run_count: int = 0
    suspended_reason: str | None = None  # why the owner could not run it at its last run
    last_error: str | None = None

    @property
    def audit_purpose(self) -> str:
        """The purpose its runs are audited with."""
        return f"saved-query:{self.id} {self.purpose}"


def _props(query: SavedQuery) -> dict[str, Any]:
    return {
        "id": query.id, "name": query.name, "operation": query.operation,
        "variables": json.dumps(query.variables, sort_keys=True), "operation_name": query.operation_name,
        "owner": query.owner, "unit": query.unit, "force": query.force, "sharing": query.sharing,
        "purpose": query.purpose, "schedule": query.schedule, "match_path": query.policy.match_path,
        "id_field": query.policy.id_field, "score_field": query.policy.score_field,
        "min_score": query.policy.min_score, "enabled": query.enabled, "created_at": query.created_at,
        "next_run_at": query.next_run_at, "last_run_at": query.last_run_at,
        "last_matches": query.last_matches, "run_count": query.run_count,
        "suspended_reason": query.suspended_reason, "last_error": query.last_error,
    }  # fmt: skip


def saved_query_of(props: dict[str, Any]) -> SavedQuery:
    """A ``SavedQuery`` from its node's properties."""
    policy = AlertPolicy(
        match_path=props["match_path"], id_field=props.get("id_field") or "id",
        score_field=props.get("score_field"), min_score=float(props.get("min_score") or 0.0),
    )  # fmt: skip
    return SavedQuery(
        id=props["id"], name=props["name"], operation=props["operation"],
        variables=json.loads(props.get("variables") or "{}"), operation_name=props.get("operation_name"),
        owner=props["owner"], unit=props.get("unit"), force=props["force"], sharing=props["sharing"],
        purpose=props["purpose"], schedule=props.get("schedule"), policy=policy,
        enabled=bool(props.get("enabled", True)), created_at=float(props["created_at"]),
        next_run_at=props.get("next_run_at"), last_run_at=props.get("last_run_at"),
        last_matches=list(props.get("last_matches") or []), run_count=int(props.get("run_count") or 0),
        suspended_reason=props.get("suspended_reason"), last_error=props.get("last_error"),
    )  # fmt: skip


def visible_predicate(principal: Principal, unit: str | None, var: str = "q") -> tuple[str, dict[str, Any]]:
    """Cypher: the saved query ``var`` is one ``principal`` (of ``unit``) may see.

    ``var`` is one of this package's own variable names, never a request's.
    """
    predicate = (
        f"({var}.owner = $vq_user OR ({var}.force = $vq_force AND ({var}.sharing = 'FORCE' "
        f"OR ({var}.sharing = 'UNIT' AND $vq_unit IS NOT NULL AND {var}.unit = $vq_unit))))"
    )
    return predicate, {"vq_user": principal.user, "vq_force": principal.home_force, "vq_unit": unit}


def create_saved_query(
    driver: Driver, database: str, owner: Principal, owner_unit: str | None, *, name: str, operation: str,
    variables: dict[str, Any], operation_name: str | None, sharing: str, purpose: str,
    schedule: str | None, policy: AlertPolicy, unit: str | None = None, now: float | None = None,
) -> SavedQuery:  # fmt: skip
    """Store a saved query owned by ``owner`` (the operation is checked by the caller, the API)."""
    owner.require(*SAVED_QUERY_ROLES)
    if sharing not in SHARING:
        raise SavedQueryInvalid(f"sharing is one of {', '.join(SHARING)}, not {sharing!r}")
    unit = unit or owner_unit
    if sharing == "UNIT" and not unit:
        raise SavedQueryInvalid(
            "a query shared with a unit needs a unit", hint="give unit, or a token with a unit claim"
        )
    if not name.strip() or not purpose.strip():
        raise SavedQueryInvalid("a saved query needs a name and a purpose (its runs are audited with it)")
    now = time.time() if now is None else now
    query = SavedQuery(
        id=uuid.uuid4().hex, name=name.strip(), operation=operation, variables=variables,
        operation_name=operation_name, owner=owner.user, unit=unit, force=owner.home_force,
        sharing=sharing, purpose=purpose.strip(), schedule=schedule, policy=policy, created_at=now,
        next_run_at=next_run(schedule, now) if schedule else None,
    )  # fmt: skip
    driver.execute_query("CREATE (q:SavedQuery) SET q = $props", props=_props(query), database_=database)
    return query


def get_saved_query(driver: Driver, database: str, query_id: str) -> SavedQuery | None:
    """The saved query with this id, whoever may see it (for the runner; callers check visibility)."""
    records, _, _ = driver.execute_query(
        "MATCH (q:SavedQuery {id: $id}) RETURN properties(q) AS q", id=query_id, database_=database
    )
    return saved_query_of(dict(records[0]["q"])) if records else None


def visible_saved_query(
    driver: Driver, database: str, principal: Principal, unit: str | None, query_id: str
) -> SavedQuery:
    """The saved query if ``principal`` may see it; ``SavedQueryNotFound`` otherwise."""
    predicate, params = visible_predicate(principal, unit)
    records, _, _ = driver.execute_query(
        f"MATCH (q:SavedQuery {{id: $id}}) WHERE {predicate} RETURN properties(q) AS q",
        id=query_id, **params, database_=database,
    )  # fmt: skip
    if not records:
        raise SavedQueryNotFound(f"no saved query {query_id} that you may see")
    return saved_query_of(dict(records[0]["q"]))


def list_saved_queries(
    driver: Driver, database: str, principal: Principal, unit: str | None, first: int,
    after: tuple[float, str] | None,
) -> list[SavedQuery]:  # fmt: skip
    """Up to ``first + 1`` saved queries ``principal`` may see, newest first, after a (created_at, id) key."""
    predicate, params = visible_predicate(principal, unit)
    records, _, _ = driver.execute_query(
        f"MATCH (q:SavedQuery) WHERE {predicate} "
        "AND ($after_at IS NULL OR q.created_at < $after_at "
        "OR (q.created_at = $after_at AND q.id < $after_id)) "
        "RETURN properties(q) AS q ORDER BY q.created_at DESC, q.id DESC LIMIT $limit",
        **params, after_at=after[0] if after else None, after_id=after[1] if after else None,
        limit=first + 1, database_=database,
    )  # fmt: skip
    return [saved_query_of(dict(r["q"])) for r in records]


def set_enabled(
    driver: Driver, database: str, principal: Principal, unit: str | None, query_id: str, enabled: bool,
    now: float | None = None,
) -> SavedQuery:  # fmt: skip
    """Pause (no scheduled runs) or resume a saved query; its owner, or a supervisor of its force.

    Resuming schedules the next run from now: the runs missed while paused are not made up.
    """
    query = visible_saved_query(driver, database, principal, unit, query_id)
    if query.owner != principal.user and not (
        "supervisor" in principal.roles and query.force == principal.home_force
    ):
        raise AccessDenied(
            f"only {query.owner} or a supervisor of {query.force} may pause or resume this query"
        )
    now = time.time() if now is None else now
    following = next_run(query.schedule, now) if enabled and query.schedule else query.next_run_at
    records, _, _ = driver.execute_query(
        "MATCH (q:SavedQuery {id: $id}) SET q.enabled = $enabled, q.next_run_at = $next "
        "RETURN properties(q) AS q",
        id=query.id, enabled=enabled, next=following, database_=database,
    )  # fmt: skip
    return saved_query_of(dict(records[0]["q"]))


def set_suspended(driver: Driver, database: str, query: SavedQuery, reason: str, now: float) -> None:
    """Suspend a query with the reason its owner cannot run it; its next scheduled run tries again."""
    driver.execute_query(
        "MATCH (q:SavedQuery {id: $id}) SET q.suspended_reason = $reason, q.last_run_at = $now, "
        "q.next_run_at = $next",
        id=query.id, reason=reason, now=now, next=next_run(query.schedule, now) if query.schedule else None,
        database_=database,
    )  # fmt: skip


def record_failure(driver: Driver, database: str, query: SavedQuery, error: str, now: float) -> None:
    """A run that produced no result: the error is kept, the match set is not touched."""
    driver.execute_query(
        "MATCH (q:SavedQuery {id: $id}) "
        "SET q.last_error = $error, q.last_run_at = $now, q.next_run_at = $next",
        id=query.id, error=error, now=now, next=next_run(query.schedule, now) if query.schedule else None,
        database_=database,
    )  # fmt: skip


def lock_for_run(tx: ManagedTransaction, query_id: str) -> SavedQuery | None:
    """In a write transaction: take the query's write lock, then read it (concurrent runs queue here)."""
    record = tx.run(
        "MATCH (q:SavedQuery {id: $id}) SET q.run_lock = coalesce(q.run_lock, 0) + 1 "
        "RETURN properties(q) AS q",
        id=query_id,
    ).single()
    return saved_query_of(dict(record["q"])) if record else None


def finish_run(tx: ManagedTransaction, query: SavedQuery, matches: list[str], now: float) -> None:
    """In the run's transaction: the new match set and schedule, the suspension and error cleared."""
    tx.run(
        "MATCH (q:SavedQuery {id: $id}) SET q.last_matches = $matches, q.last_run_at = $now, "
        "q.next_run_at = $next, q.run_count = coalesce(q.run_count, 0) + 1, q.suspended_reason = null, "
        "q.last_error = null",
        id=query.id, matches=matches, now=now, next=next_run(query.schedule, now) if query.schedule else None,
    ).consume()  # fmt: skip

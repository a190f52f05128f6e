"""One run of a saved query: the owner's current principal, the operation, the diff, the alerts.

The operation is executed by an ``OperationRunner`` that the API passes in (the API's enforced
path: parse, validation, limits, the policy, the audit record), so this package needs nothing of
the API. A run:

1. takes the owner's current principal from the user directory; a disabled or stale owner, or one
   no longer allowed to run saved queries, suspends the query with the reason and runs nothing;
2. executes the operation as that principal, audited with the query's purpose;
3. in ONE write transaction, holding the query's lock: reads the last run's match set, raises an
   alert for each match not in it, stores this run's match set and the next run time.

A crash before step 3 commits leaves the last match set as it was, so the next run raises those
alerts; a crash after it leaves them raised and recorded. Either way, nothing is lost and nothing
is raised twice; and a run that finds nothing new raises nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from neo4j import Driver, ManagedTransaction

from polegraph.errors import PolegraphError
from polegraph.queries import alerts, store
from polegraph.queries.store import SAVED_QUERY_ROLES
from polegraph.security.directory import current_principal
from polegraph.security.policy import Principal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OperationResult:
    """What executing an operation gave: its data (None when it was refused) and error messages."""

    data: Mapping[str, Any] | None
    errors: list[str] = field(default_factory=list)


class OperationRunner(Protocol):
    """Executes a stored GraphQL operation as a principal, through the API's enforced path."""

    async def execute(
        self, principal: Principal, purpose: str, operation: str, variables: dict[str, Any],
        operation_name: str | None,
    ) -> OperationResult: ...  # fmt: skip


@dataclass(frozen=True)
class RunOutcome:
    """What one run did: ok (ran; ``new_alerts`` raised), suspended or failed (``reason``)."""

    query_id: str
    status: str
    matches: int = 0
    new_alerts: list[alerts.Alert] = field(default_factory=list)
    reason: str | None = None


class SavedQueryUnavailable(PolegraphError):
    """The saved query does not exist (any more)."""


async def run_saved_query(
    query_id: str, runner: OperationRunner, driver: Driver, database: str, max_age_s: float,
    now: float | None = None,
) -> RunOutcome:  # fmt: skip
    """Run one saved query as its owner now; see the module's description for what that does."""
    now = time.time() if now is None else now
    query = await asyncio.to_thread(store.get_saved_query, driver, database, query_id)
    if query is None:
        raise SavedQueryUnavailable(f"no saved query {query_id}")
    try:
        entry = await asyncio.to_thread(current_principal, driver, database, query.owner, max_age_s, now)
        entry.principal.require(*SAVED_QUERY_ROLES)
    except PolegraphError as exc:  # PrincipalUnavailable, AccessDenied: the owner cannot run it now
        reason = exc.message
        await asyncio.to_thread(store.set_suspended, driver, database, query, reason, now)
        log.warning("saved query %s suspended: %s", query.id, reason)
        return RunOutcome(query.id, "suspended", reason=reason)
    result = await runner.execute(
        entry.principal, query.audit_purpose, query.operation, query.variables, query.operation_name
    )
    if result.data is None or result.errors:
        # A partial result could drop matches that are still there, and their later return would
        # raise them again: only a complete result replaces the match set.
        error = "; ".join(result.errors) or "the operation returned no data"
        await asyncio.to_thread(store.record_failure, driver, database, query, error, now)
        log.warning("saved query %s failed: %s", query.id, error)
        return RunOutcome(query.id, "failed", reason=error)
    matches = query.policy.matches(result.data)
    raised = await asyncio.to_thread(_commit, driver, database, query.id, matches, now)
    log.info("saved query %s ran: %d matches, %d new alerts", query.id, len(matches), len(raised))
    return RunOutcome(query.id, "ok", matches=len(matches), new_alerts=raised)


def _commit(
    driver: Driver, database: str, query_id: str, matches: dict[str, float], now: float
) -> list[alerts.Alert]:
    """Step 3: the diff against the last match set, the alerts and the new match set, atomically."""

    def work(tx: ManagedTransaction) -> list[alerts.Alert]:
        locked = store.lock_for_run(tx, query_id)
        if locked is None:  # deleted while it ran
            return []
        last = set(locked.last_matches)
        new = {m: s for m, s in matches.items() if m not in last}
        # Raised at commit time, not the run's start: a subscriber reading alerts newer than the
        # moment it looked must not miss one whose run began before that.
        raised = alerts.raise_alerts(tx, locked, new, time.time()) if new else []
        store.finish_run(tx, locked, sorted(matches), now)
        return raised

    with driver.session(database=database) as session:
        return session.execute_write(work)

"""The user directory: each user's principal as of their latest verified token, and who is disabled.

Work done on a user's behalf when they are not there (a saved query run by the worker) must run
with their *current* permissions, not a copy taken when the work was set up. The identity provider
is the authority on those, and polegraph only sees them in the tokens it verifies; so the HTTP
layer records each user's claims (``DirectoryRecorder``), and a background run takes the latest
record (``current_principal``). That record is refused when:

- an administrator disabled the user (``polegraph users disable USER``), effective at once;
- it is older than ``saved_principal_max_age_s``: a user who has not used the API for that long
  may have left or changed post, and the directory cannot know.

Refusals name the reason, which the caller keeps (a saved query is suspended with it).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from neo4j import Driver

from polegraph.errors import PolegraphError
from polegraph.security.policy import Principal


class PrincipalUnavailable(PolegraphError):
    """No current principal may be used for this user (disabled, unknown or stale)."""

    code: ClassVar[str] = "FORBIDDEN"


@dataclass(frozen=True)
class DirectoryEntry:
    """One user's latest recorded principal, unit and state."""

    principal: Principal
    unit: str | None
    seen_at: float
    disabled: bool = False
    disabled_reason: str | None = None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def record_principal(
    driver: Driver, database: str, principal: Principal, unit: str | None, now: float | None = None
) -> None:
    """Record ``principal`` (from a verified token) as the user's current one; their state is kept."""
    driver.execute_query(
        "MERGE (u:DirectoryUser {user: $user}) "
        "ON CREATE SET u.disabled = false "
        "SET u.home_force = $home, u.readable_forces = $forces, u.clearance = $clearance, "
        "u.roles = $roles, u.restricted_hits = $restricted, u.unit = $unit, u.seen_at = $now",
        user=principal.user, home=principal.home_force, forces=sorted(principal.readable_forces),
        clearance=principal.clearance, roles=sorted(principal.roles), restricted=principal.restricted_hits,
        unit=unit, now=time.time() if now is None else now, database_=database,
    )  # fmt: skip


def _entry(props: dict[str, Any]) -> DirectoryEntry:
    principal = Principal(
        user=props["user"], home_force=props["home_force"],
        readable_forces=frozenset(props.get("readable_forces") or ()), clearance=props["clearance"],
        roles=frozenset(props.get("roles") or ()), restricted_hits=bool(props.get("restricted_hits", True)),
    )  # fmt: skip
    return DirectoryEntry(
        principal=principal, unit=props.get("unit"), seen_at=float(props["seen_at"]),
        disabled=bool(props.get("disabled")), disabled_reason=props.get("disabled_reason"),
    )  # fmt: skip


def lookup(driver: Driver, database: str, user: str) -> DirectoryEntry | None:
    """The user's record, or None when they never presented a token here."""
    records, _, _ = driver.execute_query(
        "MATCH (u:DirectoryUser {user: $user}) WHERE u.home_force IS NOT NULL RETURN properties(u) AS u",
        user=user, database_=database,
    )  # fmt: skip
    return _entry(dict(records[0]["u"])) if records else None


def current_principal(
    driver: Driver, database: str, user: str, max_age_s: float, now: float | None = None
) -> DirectoryEntry:
    """The user's principal to run their work with now; ``PrincipalUnavailable`` says why not."""
    entry = lookup(driver, database, user)
    if entry is None:
        raise PrincipalUnavailable(f"{user} has no recorded token", hint=f"{user} must sign in to the API")
    if entry.disabled:
        reason = f": {entry.disabled_reason}" if entry.disabled_reason else ""
        raise PrincipalUnavailable(f"{user} is disabled{reason}", hint=f"`polegraph users enable {user}`")
    age = (time.time() if now is None else now) - entry.seen_at
    if age > max_age_s:
        raise PrincipalUnavailable(
            f"{user}'s permissions were last confirmed at {_iso(entry.seen_at)}, "
            f"more than {max_age_s:.0f} s ago",
            hint=f"{user} must use the API again so that their current permissions are known",
        )
    return entry


def set_disabled(
    driver: Driver, database: str, user: str, disabled: bool, by: str, reason: str | None
) -> None:
    """Disable (or enable again) a user's background work; a user never seen is recorded disabled."""
    driver.execute_query(
        "MERGE (u:DirectoryUser {user: $user}) "
        "SET u.disabled = $disabled, u.disabled_reason = $reason, u.state_changed_by = $by, "
        "u.state_changed_at = $at",
        user=user, disabled=disabled, reason=reason if disabled else None, by=by,
        at=_iso(time.time()), database_=database,
    )  # fmt: skip


class DirectoryRecorder:
    """What the HTTP layer calls per request: writes a user's record only when it changed or aged.

    A user sends the same token many times a minute; writing the record each time would put a
    Neo4j write on every request's path, so an unchanged principal is written again only after
    ``refresh_s`` (which keeps ``seen_at`` within ``refresh_s`` of the truth).
    """

    def __init__(self, refresh_s: float) -> None:
        self._refresh_s = refresh_s
        self._lock = threading.Lock()
        self._written: dict[str, tuple[Principal, str | None, float]] = {}

    def due(self, principal: Principal, unit: str | None, now: float | None = None) -> bool:
        """Whether this principal must be written now (and, if so, it is noted as written)."""
        now = time.time() if now is None else now
        with self._lock:
            last = self._written.get(principal.user)
            if last is not None and last[:2] == (principal, unit) and now - last[2] < self._refresh_s:
                return False
            self._written[principal.user] = (principal, unit, now)
            return True

    def forget(self, user: str) -> None:
        """Write the user's next principal whatever it is (after a failed write)."""
        with self._lock:
            self._written.pop(user, None)

"""The API's side of the user directory: every verified token updates its user's record.

Saved queries run later as their owner's latest principal (``polegraph.security.directory``);
this is where "latest" comes from. The unit (for saved queries shared with a unit) is the token's
optional ``unit`` claim, as identity providers carry an organisational unit.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import jwt
from neo4j import Driver

from polegraph.config import Settings
from polegraph.security.directory import DirectoryRecorder, lookup, record_principal
from polegraph.security.policy import Principal

log = logging.getLogger(__name__)


def verified_claims(authorization: str | None) -> dict[str, Any]:
    """The claims of a bearer token the verifier has already accepted (empty when unreadable)."""
    token = (authorization or "").partition(" ")[2].strip()
    try:
        # The signature was verified (TokenVerifier.principal) before this is asked.
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims


def token_unit(authorization: str | None) -> str | None:
    """The ``unit`` claim of a verified bearer token."""
    unit = verified_claims(authorization).get("unit")
    return unit if isinstance(unit, str) and unit.strip() else None


async def observe(
    recorder: DirectoryRecorder, driver: Driver, settings: Settings, principal: Principal,
    authorization: str | None,
) -> None:  # fmt: skip
    """Record the principal of a verified token when it changed or its record aged."""
    unit = token_unit(authorization)
    if not recorder.due(principal, unit):
        return
    try:
        await asyncio.to_thread(record_principal, driver, settings.neo4j_database, principal, unit)
    except Exception:  # the request is answered anyway; the next one tries again
        recorder.forget(principal.user)
        log.exception("the user directory could not record %s", principal.user)


async def unit_of(driver: Driver, settings: Settings, principal: Principal) -> str | None:
    """The unit the directory holds for the principal's user (None when it has none)."""
    entry = await asyncio.to_thread(lookup, driver, settings.neo4j_database, principal.user)
    return entry.unit if entry is not None and entry.principal.home_force == principal.home_force else None

"""Opaque keyset cursors: where the next page starts, on which point in time, for which search.

A cursor holds the sort key of the last hit of a page (``[score, uid]``), the point in time the
pages are read from (so that scores, and therefore the order, do not change between pages) and a
digest of the search it belongs to: the text, the filters, the mode and the principal. A cursor
used with another search, or by another principal, is refused. A forged cursor gains nothing: the
access policy is applied to every page from the principal, never from the cursor.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from polegraph.search.filters import SearchError, SearchFilter
from polegraph.security.policy import Principal

VERSION = 1


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the next page starts."""

    search: str  # digest of the search the cursor belongs to
    pit: str  # point-in-time id
    score: float
    uid: str

    def after(self) -> list[Any]:
        return [self.score, self.uid]


def search_digest(principal: Principal, text: str, filters: SearchFilter, mode: str) -> str:
    """What identifies a search for its cursors."""
    who = [principal.user, principal.home_force, sorted(principal.readable_forces), principal.clearance]
    blob = json.dumps([VERSION, who, text, filters.key(), mode], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def encode_cursor(cursor: Cursor) -> str:
    payload = json.dumps(
        [VERSION, cursor.search, cursor.pit, cursor.score, cursor.uid], separators=(",", ":")
    )
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _read(token: str) -> Cursor | None:
    padded = token + "=" * (-len(token) % 4)
    try:
        version, search, pit, score, uid = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if version != VERSION:
            return None
        return Cursor(str(search), str(pit), float(score), str(uid))
    except (ValueError, TypeError, binascii.Error):
        return None


def decode_cursor(token: str, digest: str) -> Cursor:
    """The cursor in ``token``, checked against the search it is used with."""
    cursor = _read(token)
    if cursor is None:
        raise SearchError("the page cursor is not one this service issued", hint="start the search again")
    if cursor.search != digest:
        raise SearchError(
            "the page cursor belongs to another search",
            hint="use a cursor only with the query, filters and user that produced it",
        )
    return cursor


def cursor_pit(token: str) -> str | None:
    """The point in time a cursor reads from, or None when the token is not a cursor."""
    cursor = _read(token)
    return cursor.pit if cursor else None

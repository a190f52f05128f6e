"""Relay connections: page info and keyset cursors that name nothing out of scope.

A cursor holds the sort key of the last item of a page (values of a node the requester was just
shown) and a digest of the query and the requester it belongs to; a cursor used with another
query, or by another principal, is refused. The access policy is applied to every page from the
principal, never from the cursor, so a forged cursor gains nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

import strawberry

from polegraph.errors import PolegraphError
from polegraph.security.policy import Principal

MAX_FIRST = 100
_VERSION = 1
_MAX_CURSOR = 1024


class CursorError(PolegraphError):
    """A page cursor this query did not issue, or a page size out of bounds."""

    code: ClassVar[str] = "BAD_USER_INPUT"


@strawberry.type(description="Where a page stands in its connection.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
    has_previous_page: bool = False
    start_cursor: str | None = None


class _Edge(Protocol):
    @property
    def cursor(self) -> str: ...


def page_info(edges: Sequence[_Edge], more: bool) -> PageInfo:
    """Where a page of ``edges`` stands: ``more`` when the read found an item beyond it."""
    return PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None)


def check_first(first: int) -> int:
    if not 1 <= first <= MAX_FIRST:
        raise CursorError(f"first is 1 to {MAX_FIRST}, not {first}", hint="page with after")
    return first


def query_digest(principal: Principal, kind: str, *args: Any) -> str:
    """What identifies a paged query for its cursors: the requester, the field and its arguments."""
    who = [principal.user, principal.home_force, sorted(principal.readable_forces), principal.clearance]
    blob = json.dumps([_VERSION, who, kind, args], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def encode_cursor(digest: str, key: list[Any]) -> str:
    raw = json.dumps([_VERSION, digest, *key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, digest: str, types: tuple[type, ...]) -> list[Any]:
    """The key in ``token``, checked against the query it is used with and the key's types."""
    if len(token) > _MAX_CURSOR:
        raise CursorError("the page cursor is not one this service issued")
    try:
        version, owner, *key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise CursorError("the page cursor is not one this service issued") from None
    if (
        version != _VERSION
        or len(key) != len(types)
        or not all(type(v) is t for v, t in zip(key, types, strict=True))
    ):
        raise CursorError("the page cursor is not one this service issued")
    if owner != digest:
        raise CursorError(
            "the page cursor belongs to another query",
            hint="use a cursor only with the field, arguments and user that produced it",
        )
    return list(key)

"""Opaque global IDs for the GraphQL ``Node`` interface.

A global ID names one node: its primary POLE label and its ``uid``. It is base64url text so that
clients treat it as opaque; decoding checks the label against the ontology, so an ID made up by a
client can name nothing outside the schema. A proposed link (``POSSIBLE_SAME_AS``) has an ID of
the same form under its relationship type, which no node ID can be taken for, nor it for one.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from polegraph.errors import PolegraphError
from polegraph.schema import load_ontology


class BadGlobalId(PolegraphError):
    """A global ID that is not one this API issued."""


@dataclass(frozen=True)
class NodeRef:
    """The label and uid a global ID stands for."""

    label: str
    uid: str


_MAX_LEN = 1024
LINK = "POSSIBLE_SAME_AS"


def _labels() -> frozenset[str]:
    return frozenset(e.name for e in load_ontology().entities.values() if not e.abstract)


def to_global_id(label: str, uid: str) -> str:
    """The opaque ID of node ``uid`` with label ``label``."""
    raw = f"{label}|{uid}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(global_id: str, what: str) -> NodeRef:
    if not global_id or len(global_id) > _MAX_LEN:
        raise BadGlobalId(f"not a {what} ID")
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadGlobalId(f"not a {what} ID") from None
    label, sep, uid = raw.partition("|")
    if not sep or not uid:
        raise BadGlobalId(f"not a {what} ID")
    return NodeRef(label, uid)


def from_global_id(global_id: str) -> NodeRef:
    """The node a global ID names; ``BadGlobalId`` when it is not a well-formed ID of a known label."""
    ref = _decode(global_id, "node")
    if ref.label not in _labels():
        raise BadGlobalId("not a node ID")
    return ref


def to_link_id(uid: str) -> str:
    """The opaque ID of the proposed link ``uid``."""
    return to_global_id(LINK, uid)


def from_link_id(global_id: str) -> str:
    """The uid of the link a link ID names; ``BadGlobalId`` for any other ID."""
    ref = _decode(global_id, "link")
    if ref.label != LINK:
        raise BadGlobalId("not a link ID")
    return ref.uid

"""Opaque global IDs for the GraphQL ``Node`` interface.

A global ID names one node: its primary POLE label and its ``uid``. It is base64url text so that
clients treat it as opaque; decoding checks the label against the ontology, so an ID made up by a
client can name nothing outside the schema.
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


def _labels() -> frozenset[str]:
    return frozenset(e.name for e in load_ontology().entities.values() if not e.abstract)


def to_global_id(label: str, uid: str) -> str:
    """The opaque ID of node ``uid`` with label ``label``."""
    raw = f"{label}|{uid}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def from_global_id(global_id: str) -> NodeRef:
    """The node a global ID names; ``BadGlobalId`` when it is not a well-formed ID of a known label."""
    if not global_id or len(global_id) > _MAX_LEN:
        raise BadGlobalId("not a node ID")
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadGlobalId("not a node ID") from None
    label, sep, uid = raw.partition("|")
    if not sep or not uid or label not in _labels():
        raise BadGlobalId("not a node ID")
    return NodeRef(label, uid)

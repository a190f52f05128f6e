"""Short descriptions of nodes for analytical results: primary label and a caption to show."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from neo4j import Driver

from polegraph.graph.readable import readable
from polegraph.schema import load_ontology
from polegraph.security.policy import Principal

# Shown before any key property: how people and events are named to an analyst.
_NAMES = ("full_name", "name", "reference", "urn", "read_id", "custody_number")


@dataclass(frozen=True, slots=True)
class NodeSummary:
    """A node as an analytical result names it."""

    uid: str
    label: str
    caption: str


@functools.cache
def _vocabulary() -> tuple[list[str], list[str]]:
    """The concrete labels, and the properties a caption is taken from, in order of preference."""
    onto = load_ontology()
    concrete = [e.name for e in onto.concrete()]
    keys = [p.name for e in onto.concrete() for p in e.key_properties]
    return concrete, list(dict.fromkeys([*_NAMES, *keys]))


def describe(
    driver: Driver, database: str, principal: Principal, uids: Iterable[str]
) -> dict[str, NodeSummary]:
    """The readable nodes among ``uids``; a node the principal may not read is left out."""
    wanted = sorted(set(uids))
    if not wanted:
        return {}
    concrete, caption_keys = _vocabulary()
    allowed, params = readable(principal, "n")
    records, _, _ = driver.execute_query(
        "UNWIND $uids AS uid MATCH (n:Entity {uid: uid}) "
        f"WHERE {allowed} "
        "RETURN n.uid AS uid, [l IN labels(n) WHERE l IN $concrete][0] AS label, "
        "[k IN $keys WHERE n[k] IS NOT NULL | toString(n[k])][0] AS caption",
        {**params, "uids": wanted, "concrete": concrete, "keys": caption_keys},
        database_=database,
        routing_="r",
    )
    return {
        r["uid"]: NodeSummary(r["uid"], r["label"] or "Entity", r["caption"] or r["uid"]) for r in records
    }

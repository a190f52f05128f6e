"""What a principal may read, decided here from the stored labels, independently of the policy module.

The tests compare what the API returns with this oracle, so a fault in ``cypher_predicate`` itself
would show, not only a read that forgot to call it.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from polegraph.api.ids import from_global_id
from polegraph.security.policy import Principal
from tests.conftest import Engines

ORDER = ["OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET"]


def may_read(principal: Principal, labels: Mapping[str, Any]) -> bool:
    """The rules of DESIGN.md: force shared, classification within clearance, handling C home only.

    A node as stored has ``access``, one ``FORCE|CLASS|HANDLING`` per record behind it (none: not
    readable): it is readable when one of those records is. Labels as shown (no ``access``) are judged
    as they stand.
    """
    if "access" in labels:
        return any(_may_read(principal, _token_labels(token)) for token in labels["access"] or [])
    return _may_read(principal, labels)


def _token_labels(token: str) -> dict[str, str]:
    force, classification, code = token.split("|")
    return {"force": force, "classification": classification, "handling_code": code}


def _may_read(principal: Principal, labels: Mapping[str, Any]) -> bool:
    force = labels.get("force")
    classification = labels.get("classification") or "OFFICIAL-SENSITIVE"
    if force not in principal.readable_forces:
        return False
    if ORDER.index(classification) > ORDER.index(principal.clearance):
        return False
    return labels.get("handling_code") != "C" or force == principal.home_force


def stored_nodes(engines: Engines) -> dict[str, dict[str, Any]]:
    """Every node's uid and security labels, read directly (the test's own view of the graph)."""
    records, _, _ = engines.driver.execute_query(
        "MATCH (n) WHERE n.uid IS NOT NULL RETURN n.uid AS uid, labels(n) AS labels, "
        "n {.force, .classification, .handling_code, .access} AS security",
        database_=engines.settings.neo4j_database,
    )
    return {r["uid"]: {**r["security"], "labels": r["labels"]} for r in records}


def readable_uids(engines: Engines, principal: Principal) -> set[str]:
    return {uid for uid, labels in stored_nodes(engines).items() if may_read(principal, labels)}


def graph_size(engines: Engines) -> tuple[int, int]:
    """Nodes and relationships in the graph: a refused request changes neither."""
    records, _, _ = engines.driver.execute_query(
        "MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS n, count(r) AS r",
        database_=engines.settings.neo4j_database,
    )
    return int(records[0]["n"]), int(records[0]["r"])


def _decoded(text: str) -> str:
    """``text`` with every base64url token in it decoded as well (cursors and IDs are such tokens)."""
    out = [text]
    for token in re.findall(r"[A-Za-z0-9_-]{16,}", text):
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            continue
        out.append(_decoded(raw))
    return "\n".join(out)


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _dicts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _dicts(item)


def assert_in_scope(engines: Engines, principal: Principal, data: Any, returned_ids: list[str]) -> None:
    """Nothing in ``data`` (nodes, relationships, cursors, IDs) names what ``principal`` may not read."""
    stored = stored_nodes(engines)
    text = _decoded(json.dumps(data))
    for uid, labels in stored.items():
        if not may_read(principal, labels):
            assert uid not in text, f"{principal.user} was shown {uid}"
    for item in _dicts(data):
        if "classification" in item and "force" in item:  # a node or a relationship with its labels
            assert may_read(principal, {**item, "handling_code": item.get("handlingCode")}), item
    readable = {uid for uid, labels in stored.items() if may_read(principal, labels)}
    for global_id in returned_ids:
        assert from_global_id(global_id).uid in readable

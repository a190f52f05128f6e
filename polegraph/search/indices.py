"""Index lifecycle: versioned indices behind aliases, so a mapping change is a reindex, not downtime.

Each logical index (``entities``, ``source_records``, ``audit``) is reached through the alias
``<prefix>-<logical>``; the concrete index behind it is ``<prefix>-<logical>-<digest>``, where the
digest is taken from the generated settings and mappings. A new mapping therefore gets a new index;
the alias moves to it at once when the old one is empty, and otherwise after ``polegraph reindex``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch

from polegraph.config import Settings


@dataclass(frozen=True)
class IndexState:
    logical: str
    alias: str
    concrete: str
    state: str  # created | exists | created, old index kept until reindex


def body_digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:10]


def concrete_name(settings: Settings, logical: str, body: dict[str, Any]) -> str:
    return f"{settings.index_name(logical)}-{body_digest(body)}"


def alias_targets(client: Elasticsearch, alias: str) -> list[str]:
    if not client.indices.exists_alias(name=alias):
        return []
    return sorted(client.indices.get_alias(name=alias).body.keys())


def ensure_index(client: Elasticsearch, settings: Settings, logical: str, body: dict[str, Any]) -> IndexState:
    """Create the index for ``body`` if missing and point the alias at it when that loses nothing."""
    alias = settings.index_name(logical)
    concrete = concrete_name(settings, logical, body)
    if not client.indices.exists(index=concrete):
        client.indices.create(index=concrete, **body)
        state = "created"
    else:
        state = "exists"
    current = alias_targets(client, alias)
    if current == [concrete]:
        return IndexState(logical, alias, concrete, state)
    old_docs = sum(client.count(index=name)["count"] for name in current)
    if old_docs:
        return IndexState(logical, alias, concrete, f"{state}; {current} kept until reindex")
    actions: list[dict[str, Any]] = [{"remove": {"index": n, "alias": alias}} for n in current]
    actions.append({"add": {"index": concrete, "alias": alias, "is_write_index": True}})
    client.indices.update_aliases(actions=actions)
    for name in current:
        client.indices.delete(index=name)
    return IndexState(logical, alias, concrete, state)


def drop_indices(client: Elasticsearch, settings: Settings) -> list[str]:
    """Delete every index under the prefix (tests and `polegraph reset`); returns their names."""
    names = sorted(client.indices.get(index=f"{settings.index_prefix}-*").body.keys())
    for name in names:
        client.indices.delete(index=name)
    return names

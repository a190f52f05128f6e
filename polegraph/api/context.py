"""What every GraphQL resolver receives as ``info.context``.

The context is made once per request by the HTTP layer, after the token is verified and the
purpose read; a resolver never sees a request without a principal. Resolvers record the global
IDs they return in ``returned_ids`` so that the audit record can list them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from elasticsearch import Elasticsearch
from neo4j import Driver

from polegraph.config import Settings
from polegraph.security.policy import Principal


@dataclass
class RequestContext:
    """One request's principal, purpose and engines, and what it returned."""

    principal: Principal
    purpose: str
    settings: Settings
    driver: Driver
    es: Elasticsearch
    request_id: str
    returned_ids: list[str] = field(default_factory=list)
    # Per-request DataLoaders, by name, created lazily by the resolvers that use them.
    loaders: dict[str, Any] = field(default_factory=dict)

    def returned(self, *global_ids: str) -> None:
        """Note IDs that leave in the response (for the audit record)."""
        self.returned_ids.extend(global_ids)

"""What the tests of the API's HTTP and security shell share: settings, tokens, a client.

Every client runs the real app (``create_app``) against the test stack's engines, with an
HS256 secret, and an audit file of the test's own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import strawberry
from elasticsearch import Elasticsearch
from pydantic import SecretStr
from starlette.testclient import TestClient

from polegraph.api.app import create_app
from polegraph.api.auth import mint_token
from polegraph.api.schema import build_schema
from polegraph.config import Settings
from polegraph.schema import es_indices, load_ontology
from polegraph.schema.elasticsearch import AUDIT
from polegraph.search.indices import ensure_index

SECRET = "polegraph-test-secret-0123456789abcdef-0123456789"
PURPOSE = {"X-Purpose": "OP TRIDENT 24/1187"}
GRAPHQL_RESPONSE = "application/graphql-response+json"


def shell_settings(stack: Settings, tmp_path: Path, **overrides: Any) -> Settings:
    """The test stack's settings with a token secret and an audit file under ``tmp_path``."""
    update: dict[str, Any] = {
        "jwt_secret": SecretStr(SECRET),
        "audit_file": tmp_path / "audit.jsonl",
        "audit_fsync": False,
        **overrides,
    }
    return stack.model_copy(update=update)


def ensure_audit_index(es: Elasticsearch, settings: Settings) -> None:
    ensure_index(es, settings, AUDIT, es_indices(load_ontology(), settings.embedding_dims)[AUDIT])


def token(
    settings: Settings,
    user: str = "a.investigator",
    force: str = "GMP",
    roles: tuple[str, ...] = ("investigator",),
    clearance: str = "OFFICIAL-SENSITIVE",
    **kwargs: Any,
) -> str:
    return mint_token(settings, user=user, home_force=force, clearance=clearance, roles=roles, **kwargs)


def bearer(settings: Settings, **kwargs: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(settings, **kwargs)}"}


@contextmanager
def shell_client(settings: Settings, *query_types: type) -> Iterator[TestClient]:
    """The real app with the shell's fields (and ``query_types``), engines opened and closed."""
    schema = build_schema(*query_types, settings=settings)
    with TestClient(create_app(settings, schema)) as client:
        yield client


def audit_records(settings: Settings) -> list[dict[str, Any]]:
    path = settings.audit_path
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@strawberry.type
class Chain:
    """A recursive test type: as deep and as wide as a query asks."""

    depth: int

    @strawberry.field
    def value(self) -> int:
        return self.depth

    @strawberry.field
    def next(self) -> Chain:
        return Chain(depth=self.depth + 1)

    @strawberry.field
    def items(self, first: int = 10) -> list[Chain]:
        return [Chain(depth=self.depth + 1) for _ in range(first)]


@strawberry.type
class ChainQuery:
    """Test data fields: as deep and wide as a query asks, with the arguments the cost counts."""

    @strawberry.field
    def chain(self, first: int = 10) -> Chain:
        return Chain(depth=0)

    @strawberry.field
    def many(self, ids: list[str]) -> list[Chain]:
        return [Chain(depth=0) for _ in ids]

    @strawberry.field
    def around(self, hops: int = 1, first: int = 10) -> list[Chain]:
        return [Chain(depth=hops) for _ in range(first)]

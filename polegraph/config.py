"""One settings object, read once from ``POLEGRAPH_*`` environment variables."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _default_state_dir() -> Path:
    # Elasticsearch runs as an unprivileged user when polegraph runs as root, and that user
    # cannot traverse /root: root's default therefore lives under /var/lib.
    if os.geteuid() == 0:
        return Path("/var/lib/polegraph")
    return Path.home() / ".local" / "share" / "polegraph"


def _default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "polegraph"


class Settings(BaseSettings):
    """Every setting polegraph reads; each field is ``POLEGRAPH_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="POLEGRAPH_", frozen=True, extra="ignore")

    # Engines. The defaults reach the local stack started by `polegraph stack up`.
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")
    neo4j_database: str = "neo4j"
    neo4j_tx_timeout_s: float = 30.0
    es_hosts: Annotated[list[str], NoDecode] = Field(default=["http://127.0.0.1:9200"])
    es_username: str = ""
    es_password: SecretStr = SecretStr("")
    es_api_key: SecretStr = SecretStr("")
    es_ca_certs: Path | None = None
    es_request_timeout_s: float = 30.0
    # Every index and alias name starts with this prefix, so that several deployments (or test
    # runs) can share one cluster without seeing each other's indices.
    index_prefix: str = "polegraph"

    # The local stack (development, tests, single-machine deployments).
    state_dir: Path = Field(default_factory=_default_state_dir)
    # Downloaded jars and distributions; several state directories (the test stack's) share them.
    artifacts_dir: Path | None = None
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    neo4j_heap: str = "1g"
    neo4j_pagecache: str = "512m"
    es_heap: str = "1g"
    stack_user: str = "polegraph"
    stack_timeout_s: float = 180.0
    java_home: Path | None = None
    es_java_home: Path | None = None

    # Models.
    embedding_model_dir: Path | None = None
    embedding_device: str | None = None
    embedding_batch_size: int = 64
    embedding_dims: int = 384
    # A MarianMT model directory (transformers save_pretrained); unset: no translation.
    translation_model_dir: Path | None = None

    # The API. "development" turns GraphiQL on and is the only place HS256 tokens belong.
    environment: Literal["development", "production"] = "production"
    # GraphiQL on GET /graphql for browsers; unset: on in development only.
    graphiql: bool | None = None
    # Bearer tokens: RS256 against a JWKS file or a PEM public key (production), or HS256 with a
    # shared secret (development; `polegraph token` mints with it).
    jwt_jwks_file: Path | None = None
    jwt_public_key_file: Path | None = None
    jwt_secret: SecretStr = SecretStr("")
    jwt_issuer: str = ""
    jwt_audience: str = ""
    jwt_leeway_s: float = 30.0
    jwt_default_ttl_s: int = 8 * 3600
    # Limits on one GraphQL request, checked before it runs.
    api_max_body_bytes: int = 128 * 1024
    api_max_tokens: int = 2000
    api_max_depth: int = 10
    api_max_aliases: int = 20
    api_max_page_size: int = 100
    api_max_query_cost: int = 20_000
    # Each user's cost budget: this many cost points per window, refilled continuously.
    api_cost_budget: int = 200_000
    api_cost_window_s: float = 60.0
    # The audit log's JSONL file (default: <state dir>/audit/audit.jsonl); fsync each record.
    audit_file: Path | None = None
    audit_fsync: bool = True
    # Saved queries run as their owner's latest recorded principal (polegraph.security.directory):
    # a record older than this (the owner has not used the API since) suspends the query.
    saved_principal_max_age_s: float = 7 * 24 * 3600
    # The HTTP layer refreshes a user's record at most this often while the claims do not change.
    directory_refresh_s: float = 300.0
    # `polegraph worker`: seconds between passes over the due saved queries.
    worker_interval_s: float = 30.0
    # The alerts subscription: seconds between looks for new alerts (the worker may be elsewhere).
    alerts_poll_s: float = 2.0

    @field_validator("es_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [h.strip() for h in value.split(",") if h.strip()]
        return value

    @field_validator("index_prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        if not value or value != value.lower() or any(c in value for c in ' "*\\<|,>/?#:'):
            raise ValueError(
                f'index prefix {value!r} must be lower-case with no spaces or any of " * \\ < | , > / ? # :'
            )
        return value

    @property
    def neo4j_address(self) -> tuple[str, int]:
        """Host and Bolt port of the first Neo4j address (where the local stack listens)."""
        parts = urlsplit(self.neo4j_uri)
        return parts.hostname or "127.0.0.1", parts.port or 7687

    @property
    def es_address(self) -> tuple[str, int]:
        """Host and HTTP port of the first Elasticsearch host (where the local stack listens)."""
        parts = urlsplit(self.es_hosts[0])
        return parts.hostname or "127.0.0.1", parts.port or 9200

    @property
    def artifacts(self) -> Path:
        return self.artifacts_dir or self.state_dir / "artifacts"

    @property
    def graphiql_enabled(self) -> bool:
        """Whether GET /graphql serves GraphiQL to browsers."""
        return self.environment == "development" if self.graphiql is None else self.graphiql

    @property
    def audit_path(self) -> Path:
        return self.audit_file or self.state_dir / "audit" / "audit.jsonl"

    def index_name(self, logical: str) -> str:
        """The alias under which a logical index (``entities``, ``audit`` …) is reached."""
        return f"{self.index_prefix}-{logical}"


@functools.cache
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return Settings()

"""The package's exceptions: each says what was wrong, where, and what to do about it."""

from __future__ import annotations


class PolegraphError(Exception):
    """Base of every error polegraph raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ConfigError(PolegraphError):
    """A setting is missing or wrong."""


class StackError(PolegraphError):
    """The local Neo4j or Elasticsearch could not be installed, started or stopped."""


class EngineUnavailable(PolegraphError):
    """Neo4j or Elasticsearch did not answer."""


class SchemaError(PolegraphError):
    """The ontology or a migration is inconsistent."""

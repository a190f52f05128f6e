"""Settings come from POLEGRAPH_* variables, with clear errors for bad values."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from polegraph.config import Settings


def test_hosts_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLEGRAPH_ES_HOSTS", "http://es1:9200, http://es2:9200")
    monkeypatch.setenv("POLEGRAPH_NEO4J_URI", "neo4j://core1:7687")
    settings = Settings()
    assert settings.es_hosts == ["http://es1:9200", "http://es2:9200"]
    assert settings.neo4j_address == ("core1", 7687)
    assert settings.es_address == ("es1", 9200)


def test_defaults_reach_the_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("POLEGRAPH_ES_HOSTS", "POLEGRAPH_NEO4J_URI", "POLEGRAPH_INDEX_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.neo4j_uri == "bolt://127.0.0.1:7687"
    assert settings.es_hosts == ["http://127.0.0.1:9200"]
    assert settings.index_name("entities") == "polegraph-entities"
    assert settings.artifacts == settings.state_dir / "artifacts"


def test_bad_index_prefix_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLEGRAPH_INDEX_PREFIX", "Force A")
    with pytest.raises(ValidationError, match="index prefix"):
        Settings()


def test_secrets_are_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLEGRAPH_NEO4J_PASSWORD", "s3cret-value")
    assert "s3cret-value" not in repr(Settings())

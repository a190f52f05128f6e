"""``polegraph search`` on the command line: a page as a principal, restricted counts, cursors, JSON."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from polegraph.config import get_settings
from polegraph.search.cli import search_app
from tests.conftest import Engines


@pytest.fixture
def on_corpus(corpus: Engines, monkeypatch: pytest.MonkeyPatch) -> Engines:
    s = corpus.settings
    for name, value in {
        "POLEGRAPH_NEO4J_URI": s.neo4j_uri, "POLEGRAPH_ES_HOSTS": ",".join(s.es_hosts),
        "POLEGRAPH_INDEX_PREFIX": s.index_prefix, "POLEGRAPH_STATE_DIR": str(s.state_dir),
        "COLUMNS": "200",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return corpus


@pytest.mark.usefixtures("on_corpus")
def test_search_prints_the_page_the_reasons_and_the_restricted_counts() -> None:
    try:
        result = CliRunner().invoke(
            search_app, ["Mohammed Khan 1987", "--as-user", "g.officer", "--force", "GMP"]
        )
        assert result.exit_code == 0, result.output
        assert "KHAN, MUHAMMAD" in result.output
        assert "name variant of MOHAMMED (MUHAMMAD)" in result.output
        assert "WYP holds 3 matching record(s) you may not read" in result.output
        paged = CliRunner().invoke(
            search_app, ["Khan", "--as-user", "w.officer", "--force", "WYP", "--first", "1", "--json"]
        )
        assert paged.exit_code == 0, paged.output
        page = json.loads(paged.output)
        assert len(page["hits"]) == 1
        after = CliRunner().invoke(
            search_app,
            [
                "Khan",
                "--as-user",
                "w.officer",
                "--force",
                "WYP",
                "--first",
                "1",
                "--json",
                "--after",
                page["next_cursor"],
            ],
        )
        assert json.loads(after.output)["hits"][0]["uid"] != page["hits"][0]["uid"]
        bad = CliRunner().invoke(
            search_app, ["Khan", "--as-user", "x", "--force", "WYP", "--clearance", "COSMIC"]
        )
        assert bad.exit_code == 1
        assert "unknown clearance" in bad.output
    finally:
        get_settings.cache_clear()

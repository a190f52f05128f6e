"""`polegraph reindex` rebuilds the index from the graph; `polegraph check` finds differences;
`polegraph load` on the command line prints its summary and loads what it says."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import tests.ingest.test_pipeline as pipeline  # registers the test-subscribers loader
from polegraph.cli import app
from polegraph.config import get_settings
from polegraph.ingest import load_file
from polegraph.reindex import check, reindex
from polegraph.search.indices import alias_targets
from tests.conftest import Engines


def test_check_finds_a_missing_document_and_reindex_repairs_it(engines: Engines, tmp_path: Path) -> None:
    path = pipeline._write(tmp_path, ["S1,Amir Khan,07911 123456", "S2,Jo Bloggs,07911 123999"])
    load_file(engines.settings, engines.driver, engines.es, "test-subscribers", path, force="GMP")
    assert check(engines.settings, engines.driver, engines.es) == []
    alias = engines.settings.index_name("entities")
    engines.es.delete(index=alias, id="phone:+447911123999", refresh=True)
    (difference,) = check(engines.settings, engines.driver, engines.es)
    assert (difference.label, difference.graph, difference.index) == ("Phone", 2, 1)
    old = alias_targets(engines.es, alias)
    counts = reindex(engines.settings, engines.driver, engines.es)
    assert counts == {"Person": 2, "Phone": 2, "SourceRecord": 2}
    assert check(engines.settings, engines.driver, engines.es) == []
    new = alias_targets(engines.es, alias)
    assert new != old
    assert not engines.es.indices.exists(index=old[0])


def test_load_command_prints_the_summary(
    engines: Engines, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = engines.settings
    for name, value in {
        "POLEGRAPH_NEO4J_URI": s.neo4j_uri, "POLEGRAPH_ES_HOSTS": ",".join(s.es_hosts),
        "POLEGRAPH_INDEX_PREFIX": s.index_prefix, "POLEGRAPH_STATE_DIR": str(s.state_dir),
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    path = pipeline._write(tmp_path, ["S1,Amir Khan,07911 123456", ",Nobody,07911 000000"])
    try:
        result = CliRunner().invoke(
            app, ["load", "test-subscribers", str(path), "--force", "WYP", "--classification", "SECRET"]
        )
        assert result.exit_code == 0, result.output
        assert "quarantined records" in result.output
        records, _, _ = engines.driver.execute_query(
            "MATCH (p:Person) RETURN p.force AS f, p.classification AS c"
        )
        assert [(r["f"], r["c"]) for r in records] == [("WYP", "SECRET")]
        bad = CliRunner().invoke(app, ["load", "no-such-format", str(path), "--force", "WYP"])
        assert bad.exit_code == 1
        assert "no loader for the format 'no-such-format'" in bad.output
        check_result = CliRunner().invoke(app, ["check"])
        assert check_result.exit_code == 0, check_result.output
        assert "graph and index agree" in check_result.output
    finally:
        get_settings.cache_clear()

"""The ``language``, ``extract`` and ``embed`` commands end to end, and the index rebuilt from the graph
afterwards holding what they wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from polegraph.config import Settings, get_settings
from polegraph.nlp import embed, language
from polegraph.nlp.cli import app
from polegraph.nlp.embed import SentenceEncoder
from polegraph.nlp.language import LanguageIdentifier
from polegraph.reindex import check, reindex
from tests.conftest import Engines
from tests.nlp.conftest import load_intel, write_intel

REPORTS = [
    ("WY-INT-31", "KOWALSKI sprzedaje narkotyki pod szkołą, dzwońcie na 07700 900 321."),
    ("WY-INT-32", "Subject seen in a red van YX63 ABC at the car wash on Roundhay Road."),
]


def _value(output: str, row: str) -> str:
    """The value of one row of a command's two-column summary table."""
    line = next(line for line in output.splitlines() if f" {row} " in line)
    return line.split("│")[-2].strip()


def test_commands_then_reindex(
    engines: Engines,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sentence_encoder: SentenceEncoder,
    identifier: LanguageIdentifier,
) -> None:
    s = engines.settings
    for name, value in {
        "POLEGRAPH_NEO4J_URI": s.neo4j_uri, "POLEGRAPH_ES_HOSTS": ",".join(s.es_hosts),
        "POLEGRAPH_INDEX_PREFIX": s.index_prefix, "POLEGRAPH_STATE_DIR": str(tmp_path / "state"),
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    # The models the tests already hold, instead of loading them again.
    monkeypatch.setattr(embed, "load_encoder", lambda settings: sentence_encoder)
    monkeypatch.setattr(language, "default_identifier", lambda: identifier)
    load_intel(engines, write_intel(tmp_path / "intel.csv", REPORTS))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        result = runner.invoke(app, ["language"])
        assert result.exit_code == 0, result.output
        assert _value(result.output, "language: pl") == "1"
        assert _value(result.output, "translator") == "none configured"

        result = runner.invoke(app, ["extract", "--label", "IntelReport"])
        assert result.exit_code == 0, result.output
        assert _value(result.output, "found: PHONE") == "1"
        assert _value(result.output, "objects created from text") == "2"  # the phone and the van

        result = runner.invoke(app, ["embed"])
        assert result.exit_code == 0, result.output
        assert _value(result.output, "texts encoded") == "2"
        again = runner.invoke(app, ["embed"])
        assert _value(again.output, "texts encoded") == "0"
        assert _value(again.output, "unchanged") == "2"
        assert (tmp_path / "state" / "nlp" / "embeddings.sqlite").is_file()

        bad = runner.invoke(app, ["embed", "--label", "Person"])
        assert bad.exit_code == 1
        assert "not a text-bearing node type" in bad.output
    finally:
        get_settings.cache_clear()

    # The graph is the source of truth: an index rebuilt from it has the vectors and languages.
    assert check(s, engines.driver, engines.es) == []
    reindex(s, engines.driver, engines.es)
    doc = engines.es.get(index=s.index_name("entities"), id="intelreport:WYP:INTEL:WY-INT-31")["_source"]
    assert doc["lang"] == "pl"
    assert len(doc["embedding"]) == Settings().embedding_dims

"""A load plan (manifest.json) loads many files in order; a bad plan names what is wrong."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from polegraph.cli import app
from polegraph.config import get_settings
from polegraph.errors import PolegraphError
from polegraph.loadplan import load_plan, read_plan
from tests.conftest import Engines

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# The project's shared data sits beside the clone (../shared/data); POLEGRAPH_SHARED_DATA moves it.
SHARED = Path(
    os.environ.get("POLEGRAPH_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")
)
SAMPLE = SHARED / "police_uk" / "2026-02-west-yorkshire-street.SAMPLE_first31rows.csv"


def _plan(tmp_path: Path) -> Path:
    shutil.copy(SAMPLE, tmp_path / "street.csv")
    shutil.copy(FIXTURES / "custody" / "custody_records.csv", tmp_path / "custody.csv")
    manifest = {
        "files": [
            {"path": "street.csv", "format": "police-uk-street", "force": "WYP"},
            {"path": "custody.csv", "format": "custody", "force": "WYP", "system": "NICHE",
             "classification": "OFFICIAL-SENSITIVE", "options": {"timezone": "Europe/London"}},
        ]
    }  # fmt: skip
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_a_plan_loads_every_file_with_its_labels(engines: Engines, tmp_path: Path) -> None:
    plan = read_plan(_plan(tmp_path))
    assert [p.format for p in plan] == ["police-uk-street", "custody"]
    assert plan[1].options.extra == {"timezone": "Europe/London"}
    summaries = load_plan(engines.settings, engines.driver, engines.es, plan)
    for summary in summaries:
        assert summary.read == summary.loaded + summary.quarantined
        assert summary.loaded > 0
    records, _, _ = engines.driver.execute_query(
        "MATCH (c:Custody) RETURN DISTINCT c.classification AS cls, c.force AS force"
    )
    assert [(r["cls"], r["force"]) for r in records] == [("OFFICIAL-SENSITIVE", "WYP")]
    again = load_plan(engines.settings, engines.driver, engines.es, plan)
    assert all(s.already_loaded for s in again)


def test_the_command_prints_one_row_per_file(
    engines: Engines, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = engines.settings
    for name, value in {
        "POLEGRAPH_NEO4J_URI": s.neo4j_uri, "POLEGRAPH_ES_HOSTS": ",".join(s.es_hosts),
        "POLEGRAPH_INDEX_PREFIX": s.index_prefix, "POLEGRAPH_STATE_DIR": str(s.state_dir),
        "COLUMNS": "200",  # the summary table unwrapped
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["load-plan", str(_plan(tmp_path))])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "street.csv" in result.output
    assert "custody.csv" in result.output
    assert "2 files" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read the load plan"),
        ('{"files": {}}', "a list under 'files'"),
        ('{"files": [{"path": "a.csv", "format": "crime"}]}', "files[0] lacks 'force'"),
    ],
)
def test_a_bad_plan_says_what_is_wrong(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "manifest.json").write_text(content)
    with pytest.raises(PolegraphError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_plan(tmp_path)

"""``polegraph link`` against the real engines: a full run, then an incremental one."""

from __future__ import annotations

import re
from dataclasses import astuple
from pathlib import Path

import pytest
from typer.testing import CliRunner

from polegraph.cli import app
from polegraph.config import get_settings
from tests.conftest import Engines
from tests.linking.conftest import BACKGROUND, Nominal, load_custody


def test_link_command_runs_a_job_and_prints_its_figures(
    engines: Engines, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = engines.settings
    for name, value in {
        "POLEGRAPH_NEO4J_URI": s.neo4j_uri, "POLEGRAPH_ES_HOSTS": ",".join(s.es_hosts),
        "POLEGRAPH_INDEX_PREFIX": s.index_prefix, "POLEGRAPH_STATE_DIR": str(s.state_dir),
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    load_custody(engines, tmp_path, "GMP", BACKGROUND)
    load_custody(engines, tmp_path, "WYP", [Nominal("WY/C/7", *astuple(BACKGROUND[3])[1:])])
    get_settings.cache_clear()
    try:
        full = CliRunner().invoke(app, ["link", "--forces", "gmp,wyp"])
        assert full.exit_code == 0, full.output
        assert re.search(r"links accepted\s+│ 1 ", full.output)
        assert re.search(rf"persons\s+│ {len(BACKGROUND) + 1} ", full.output)
        incremental = CliRunner().invoke(app, ["link", "--incremental"])
        assert incremental.exit_code == 0, incremental.output
        assert re.search(r"pairs compared\s+│ 0 ", incremental.output)
        records, _, _ = engines.driver.execute_query(
            "MATCH (j:LinkJob) RETURN j.forces AS f ORDER BY j.started_at"
        )
        assert [r["f"] for r in records] == [["GMP", "WYP"], []]
    finally:
        get_settings.cache_clear()

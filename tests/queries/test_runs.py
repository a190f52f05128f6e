"""Runs outside a request: the scheduler, a crash mid-commit, ``run-saved --due`` and the worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from neo4j import ManagedTransaction
from typer.testing import CliRunner

from polegraph.api.data import MUTATIONS, QUERIES, SUBSCRIPTIONS, TYPES
from polegraph.api.limits import Limits
from polegraph.api.runner import check_operation
from polegraph.api.schema import build_schema
from polegraph.cli import app
from polegraph.config import Settings, get_settings
from polegraph.queries import alerts, store
from polegraph.queries.defaults import DEFAULTS
from polegraph.queries.scheduler import BadSchedule, check_schedule, due_queries, next_run
from polegraph.queries.store import AlertPolicy, SavedQueryInvalid
from polegraph.security.directory import record_principal
from polegraph.security.policy import Principal
from tests.api.shell_support import SECRET
from tests.conftest import Engines
from tests.queries.support import WATCH, khan, load_khans, saved_settings

OWNER = Principal("iu.gmp", "GMP", frozenset(), "OFFICIAL-SENSITIVE", frozenset({"intelligence_unit"}))
POLICY = AlertPolicy(match_path="search.edges", id_field="node.id", score_field="score")


def test_the_alert_policy_reads_matches_through_lists_and_drops_low_scores() -> None:
    data = {"search": {"edges": [
        {"score": 9.0, "node": {"id": "a"}}, {"score": 2.0, "node": {"id": "b"}},
        {"score": 7.0, "node": {"id": "a"}}, {"score": 5.0, "node": None}, {"node": {"id": "c"}},
    ]}}  # fmt: skip
    assert POLICY.matches(data) == {"a": 9.0, "b": 2.0, "c": 0.0}
    assert AlertPolicy("search.edges", "node.id", "score", min_score=5).matches(data) == {"a": 9.0}
    assert AlertPolicy("search.edges.node").matches(data) == {"a": 1.0, "b": 1.0, "c": 1.0}
    assert AlertPolicy("nothing.here").matches(data) == {}


def test_an_alert_policy_of_several_paths_gathers_the_matches_of_each() -> None:
    data = {
        "places": [{"found": {"id": "p"}, "episodes": 4}],
        "adults": [{"found": {"id": "a"}, "episodes": 3}],
    }
    assert AlertPolicy("places|adults", "found.id", "episodes").matches(data) == {"p": 4.0, "a": 3.0}
    assert AlertPolicy("places|nothing").matches(data) == {}  # their IDs are under found.id, not id
    with pytest.raises(SavedQueryInvalid):
        AlertPolicy("places||adults")


def test_schedules_are_cron_in_utc() -> None:
    assert check_schedule("*/15 * * * *") == "*/15 * * * *"
    with pytest.raises(BadSchedule):
        check_schedule("every hour")
    assert next_run("0 * * * *", 3600.0) == 7200.0
    assert next_run("30 2 * * *", 0.0) == 2 * 3600 + 30 * 60


def _saved(engines: Engines, schedule: str | None, now: float) -> store.SavedQuery:
    return store.create_saved_query(
        engines.driver, engines.settings.neo4j_database, OWNER, "GMP-IU", name="watch", operation=WATCH,
        variables={"q": "KHAN"}, operation_name=None, sharing="UNIT", purpose="OP TRIDENT", schedule=schedule,
        policy=POLICY, now=now,
    )  # fmt: skip


def test_due_queries_are_the_scheduled_ones_whose_time_came(engines: Engines) -> None:
    now = time.time()
    hourly = _saved(engines, "0 * * * *", now - 7200)
    _saved(engines, "0 * * * *", now)  # next run within the hour
    _saved(engines, None, now - 7200)  # run by hand only
    assert due_queries(engines.driver, engines.settings.neo4j_database, now) == [hourly.id]


def test_a_crash_before_the_commit_raises_nothing_and_loses_nothing(engines: Engines) -> None:
    query = _saved(engines, None, time.time())
    db = engines.settings.neo4j_database

    def crashing(tx: ManagedTransaction) -> None:
        locked = store.lock_for_run(tx, query.id)
        assert locked is not None
        alerts.raise_alerts(tx, locked, {"m1": 1.0, "m2": 1.0}, time.time())
        store.finish_run(tx, locked, ["m1", "m2"], time.time())
        raise RuntimeError("the worker died here")

    with engines.driver.session(database=db) as session, pytest.raises(RuntimeError):
        session.execute_write(crashing)
    after = store.get_saved_query(engines.driver, db, query.id)
    assert after is not None
    assert (after.last_matches, after.run_count) == ([], 0)
    assert alerts.list_alerts(engines.driver, db, OWNER, "GMP-IU", first=10) == []


def _cli_env(settings: Settings) -> dict[str, str]:
    return {
        "POLEGRAPH_NEO4J_URI": settings.neo4j_uri, "POLEGRAPH_ES_HOSTS": ",".join(settings.es_hosts),
        "POLEGRAPH_INDEX_PREFIX": settings.index_prefix, "POLEGRAPH_STATE_DIR": str(settings.state_dir),
        "POLEGRAPH_AUDIT_FILE": str(settings.audit_path), "POLEGRAPH_AUDIT_FSYNC": "false",
        "POLEGRAPH_JWT_SECRET": SECRET, "COLUMNS": "200",
    }  # fmt: skip


def test_run_saved_due_runs_each_due_query_once_as_its_owner(
    engines: Engines, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = saved_settings(engines, tmp_path)
    load_khans(engines, tmp_path, "GMP", khan("GM/C/1", "Imran", "1987-03-04"))
    record_principal(engines.driver, settings.neo4j_database, OWNER, "GMP-IU")
    query = _saved(engines, "*/5 * * * *", time.time() - 600)
    for name, value in _cli_env(settings).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(app, ["run-saved", "--due"])
        assert first.exit_code == 0, first.output
        assert f"{query.id} │ ok     │ 1       │ 1" in first.output
        again = CliRunner().invoke(app, ["run-saved", "--due"])  # not due again until its next time
        assert query.id not in again.output
        by_hand = CliRunner().invoke(app, ["run-saved", query.id])
        assert f"{query.id} │ ok     │ 1       │ 0" in by_hand.output
        defaults = CliRunner().invoke(app, ["saved", "install-defaults", "--owner", "iu.gmp"])
        assert defaults.exit_code == 0, defaults.output
        assert defaults.output.count("0 * * * *") == 3
        disabled = CliRunner().invoke(app, ["users", "disable", "iu.gmp", "--reason", "on leave"])
        assert disabled.exit_code == 0, disabled.output
        suspended = CliRunner().invoke(app, ["run-saved", query.id])
        assert suspended.exit_code == 1
        assert "iu.gmp is disabled: on leave" in suspended.output
    finally:
        get_settings.cache_clear()


def test_the_worker_runs_due_queries_and_stops_on_sigterm(engines: Engines, tmp_path: Path) -> None:
    settings = saved_settings(engines, tmp_path)
    load_khans(engines, tmp_path, "GMP", khan("GM/C/1", "Imran", "1987-03-04"))
    record_principal(engines.driver, settings.neo4j_database, OWNER, "GMP-IU")
    query = _saved(engines, "*/5 * * * *", time.time() - 600)
    env = {**os.environ, **_cli_env(settings), "PYTHONPATH": str(Path.cwd())}
    worker = subprocess.Popen(
        [sys.executable, "-m", "polegraph.cli", "worker", "--interval", "0.2"], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert worker.stdout is not None
        for line in worker.stdout:
            lines.append(line)
            if "pass done" in line:
                break
        worker.send_signal(signal.SIGTERM)
        rest, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    log = "".join(lines) + rest
    assert worker.returncode == 0, log
    assert f"saved query {query.id}: ok, 1 matches, 1 new alerts" in log
    assert "worker stopped after 1 runs" in log
    assert len(alerts.list_alerts(engines.driver, settings.neo4j_database, OWNER, "GMP-IU", first=10)) == 1


def test_the_defaults_pass_the_checks_a_saved_query_must_pass(settings: Settings) -> None:
    schema = build_schema(
        *QUERIES, types=TYPES, mutations=MUTATIONS, subscriptions=SUBSCRIPTIONS, settings=settings
    )
    for default in DEFAULTS:
        check_operation(schema, Limits.from_settings(settings), default.operation, None, {})
        assert all(path[0] in default.operation for path in default.policy.paths)

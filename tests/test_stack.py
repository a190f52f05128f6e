"""The local stack: status reports versions, `up` is idempotent, `down` leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

from polegraph.config import Settings
from polegraph.stack import elasticsearch as es_engine
from polegraph.stack import neo4j as neo4j_engine
from polegraph.stack import stack_down, stack_status, stack_up
from polegraph.stack.neo4j import pom_versions
from polegraph.stack.process import pid_alive


def test_status_shows_both_engines_healthy_with_versions(stack: Settings) -> None:
    neo, es = stack_status(stack)
    versions = pom_versions()
    assert neo.healthy
    assert neo.version == f"{versions['neo4j']} community"
    assert es.healthy
    assert es.version == versions["elasticsearch"]
    assert es.health in ("green", "yellow")


def test_up_is_idempotent(stack: Settings) -> None:
    before = [s.pid for s in stack_status(stack)]
    after = [s.pid for s in stack_up(stack)]
    assert before == after
    assert all(pid is not None for pid in after)


def test_down_leaves_no_engine_process_then_up_again(stack: Settings) -> None:
    pids = [s.pid for s in stack_status(stack)]
    assert sorted(stack_down(stack)) == ["elasticsearch", "neo4j"]
    assert not any(pid_alive(pid) for pid in pids if pid is not None)
    assert not any(s.healthy for s in stack_status(stack))
    assert stack_down(stack) == []
    assert all(s.healthy for s in stack_up(stack))


def test_state_lives_under_the_state_directory(stack: Settings) -> None:
    n4 = neo4j_engine.paths(stack)
    es = es_engine.paths(stack)
    for path in (n4.home, n4.conf, es.data, es.logs, es.config):
        assert Path(path).is_relative_to(stack.state_dir)
    for path in (n4.lib, n4.plugins, es.dist):
        assert Path(path).is_relative_to(stack.artifacts)
    assert (n4.plugins / f"apoc-core-{pom_versions()['apoc']}.jar").is_file()

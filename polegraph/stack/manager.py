"""``polegraph stack up | down | status``: both engines together, with health waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from polegraph.config import Settings
from polegraph.errors import EngineUnavailable, StackError
from polegraph.graph.driver import open_driver, server_version
from polegraph.search.client import cluster_info, open_client
from polegraph.stack import elasticsearch as es_engine
from polegraph.stack import neo4j as neo4j_engine
from polegraph.stack import process


@dataclass(frozen=True)
class EngineStatus:
    """What ``stack status`` prints for one engine."""

    engine: str
    address: str
    healthy: bool
    version: str
    health: str
    pid: int | None
    log: Path | None


def side_stack(base: Settings, name: str, bolt_port: int, http_port: int) -> Settings:
    """Settings of a second local stack (tests, benchmarks) beside a deployment's own.

    Its state lives under ``<state dir>/<name>``, it shares the downloaded artifacts, and its
    engines listen on their own ports, so it never touches the deployment's data.
    """
    return base.model_copy(
        update={
            "state_dir": base.state_dir / name,
            "artifacts_dir": base.artifacts,
            "neo4j_uri": f"bolt://127.0.0.1:{bolt_port}",
            "es_hosts": [f"http://127.0.0.1:{http_port}"],
            "index_prefix": f"polegraph-{name}",
        }
    )


def neo4j_status(settings: Settings) -> EngineStatus:
    p = neo4j_engine.paths(settings)
    pid = process.live_pid(p.pid_file)
    version, health, healthy = "-", "unreachable", False
    driver = open_driver(settings)
    try:
        version = server_version(driver, settings.neo4j_database)
        health, healthy = "online", True
    except EngineUnavailable as exc:
        health = f"unreachable: {str(exc).splitlines()[0][:120]}"
    finally:
        driver.close()
    return EngineStatus("neo4j", settings.neo4j_uri, healthy, version, health, pid, p.debug_log)


def es_status(settings: Settings) -> EngineStatus:
    p = es_engine.paths(settings)
    pid = process.live_pid(p.pid_file)
    version, health, healthy = "-", "unreachable", False
    client = open_client(settings)
    try:
        version, health = cluster_info(client)
        healthy = health in ("green", "yellow")
    except EngineUnavailable as exc:
        health = f"unreachable: {str(exc).splitlines()[0][:120]}"
    finally:
        client.close()
    address = ",".join(settings.es_hosts)
    return EngineStatus("elasticsearch", address, healthy, version, health, pid, p.server_log)


def stack_status(settings: Settings) -> list[EngineStatus]:
    return [neo4j_status(settings), es_status(settings)]


def _wait(
    what: str,
    check: Callable[[], EngineStatus],
    pid_alive: Callable[[], bool],
    deadline: float,
    logs: list[Path],
) -> EngineStatus:
    while True:
        status = check()
        if status.healthy:
            return status
        if not pid_alive():
            raise StackError(
                f"{what} exited during start-up:\n{process.tail(logs[0], 15)}",
                hint="see " + " and ".join(str(log) for log in logs),
            )
        if time.monotonic() > deadline:
            raise StackError(
                f"{what} did not become healthy in time ({status.health})",
                hint="see "
                + " and ".join(str(log) for log in logs)
                + "; POLEGRAPH_STACK_TIMEOUT_S gives it longer",
            )
        time.sleep(0.5)


def stack_up(settings: Settings, progress: Callable[[str], None] = lambda _: None) -> list[EngineStatus]:
    """Install (first time) and start both engines; wait until Bolt answers and ES is green/yellow.

    Idempotent: engines already running are left as they are.
    """
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    n4 = neo4j_engine.paths(settings)
    es = es_engine.paths(settings)
    progress("neo4j: resolving jars and starting")
    neo4j_engine.start(settings)  # detached: it starts while Elasticsearch is being started
    progress("elasticsearch: resolving the distribution and starting")
    es_engine.start(settings)
    deadline = time.monotonic() + settings.stack_timeout_s
    progress("waiting for Bolt and cluster health")
    neo = _wait(
        "Neo4j", lambda: neo4j_status(settings),
        lambda: process.live_pid(n4.pid_file) is not None, deadline, [n4.out_log, n4.debug_log],
    )  # fmt: skip
    search = _wait(
        "Elasticsearch", lambda: es_status(settings),
        lambda: process.live_pid(es.pid_file) is not None, deadline, [es.server_log, es.out_log],
    )  # fmt: skip
    return [neo, search]


def stack_down(settings: Settings) -> list[str]:
    """Stop both engines polegraph started; returns the names of those that were running."""
    stopped = []
    if neo4j_engine.stop(settings):
        stopped.append("neo4j")
    if es_engine.stop(settings):
        stopped.append("elasticsearch")
    return stopped

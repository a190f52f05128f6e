"""Running saved queries outside a request: ``polegraph worker`` and ``polegraph run-saved``.

The worker is a long-running loop: every ``worker_interval_s`` it runs the queries that are due
(``polegraph.queries.scheduler``), one at a time, each as its owner through the API's schema
(``polegraph.api.runner``), and logs what each run did. SIGTERM or SIGINT stop it between two
queries: the query running then finishes (its alerts and match set are committed together), so a
stop loses nothing. ``run-saved --due`` is one such pass, for cron; ``run-saved ID`` runs one query.
Several workers may run at once: a query's run holds its lock while it commits, so two runs of it
never raise the same alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass

from elasticsearch import Elasticsearch
from neo4j import Driver

from polegraph.api.data import MUTATIONS, QUERIES, SUBSCRIPTIONS, TYPES
from polegraph.api.runner import ApiOperationRunner
from polegraph.api.schema import build_schema
from polegraph.config import Settings
from polegraph.errors import PolegraphError
from polegraph.graph.driver import open_driver
from polegraph.queries.runner import RunOutcome, run_saved_query
from polegraph.queries.scheduler import due_queries
from polegraph.schema.elasticsearch import AUDIT
from polegraph.search.client import open_client
from polegraph.security.audit import AuditLog, IndexCopier

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What runs need: the engines, the audit log and the runner over the served schema."""

    settings: Settings
    driver: Driver
    es: Elasticsearch
    runner: ApiOperationRunner


@contextlib.contextmanager
def runtime(settings: Settings) -> Iterator[Runtime]:
    """The engines, audit log and runner, opened for a command and closed after it."""
    driver, es = open_driver(settings), open_client(settings)
    copier = IndexCopier(es, settings.index_name(AUDIT))
    try:
        schema = build_schema(
            *QUERIES, types=TYPES, mutations=MUTATIONS, subscriptions=SUBSCRIPTIONS, settings=settings
        )
        runner = ApiOperationRunner(schema, settings, driver, es, AuditLog(settings, es, copier=copier))
        yield Runtime(settings, driver, es, runner)
    finally:
        copier.close()
        driver.close()
        es.close()


async def run_one(rt: Runtime, query_id: str) -> RunOutcome:
    """Run one saved query as its owner."""
    return await run_saved_query(
        query_id, rt.runner, rt.driver, rt.settings.neo4j_database, rt.settings.saved_principal_max_age_s
    )


async def run_due(rt: Runtime, stop: asyncio.Event | None = None) -> list[RunOutcome]:
    """One pass: every query due now, oldest first; a failure of one does not stop the others."""
    due = await asyncio.to_thread(due_queries, rt.driver, rt.settings.neo4j_database, time.time())
    outcomes: list[RunOutcome] = []
    for query_id in due:
        if stop is not None and stop.is_set():
            break
        try:
            outcome = await run_one(rt, query_id)
        except PolegraphError as exc:
            log.error("saved query %s: %s", query_id, exc.message)
            continue
        except Exception:  # an engine hiccup on one query must not stop the others (or the worker)
            log.exception("saved query %s failed", query_id)
            continue
        log.info(
            "saved query %s: %s, %d matches, %d new alerts%s", query_id, outcome.status, outcome.matches,
            len(outcome.new_alerts), f" ({outcome.reason})" if outcome.reason else "",
        )  # fmt: skip
        outcomes.append(outcome)
    return outcomes


async def work(rt: Runtime, interval_s: float) -> int:
    """Run due queries every ``interval_s`` until SIGTERM or SIGINT; the number of runs made."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runs = 0
    log.info("worker started: due saved queries every %.0f s", interval_s)
    try:
        while not stop.is_set():
            try:
                outcomes = await run_due(rt, stop)
            except Exception:  # the engines are away: say so, and try again at the next pass
                log.exception("the pass could not list the due saved queries")
                outcomes = []
            runs += len(outcomes)
            log.info(
                "pass done: %d run, %d new alerts", len(outcomes), sum(len(o.new_alerts) for o in outcomes)
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    log.info("worker stopped after %d runs", runs)
    return runs

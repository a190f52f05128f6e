"""``polegraph worker``, ``polegraph run-saved``, ``polegraph saved …`` and ``polegraph users …``."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from polegraph.config import get_settings
from polegraph.errors import PolegraphError

console = Console()
saved_app = typer.Typer(
    help="Saved queries: the defaults an intelligence unit starts with.", no_args_is_help=True
)
users_app = typer.Typer(help="The user directory saved queries run their owners' permissions from.",
                        no_args_is_help=True)  # fmt: skip


def _fail(exc: PolegraphError) -> typer.Exit:
    console.print(f"[bold red]error:[/] {exc.message}")
    if exc.hint:
        console.print(f"[yellow]hint:[/] {exc.hint}")
    return typer.Exit(code=1)


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def worker_command(
    interval: Annotated[
        float | None, typer.Option(help="seconds between passes (default: POLEGRAPH_WORKER_INTERVAL_S)")
    ] = None,
) -> None:
    """Run due saved queries until stopped (SIGTERM or Ctrl-C stop it between two queries)."""
    from polegraph.api.worker import runtime, work

    _logging()
    settings = get_settings()
    try:
        with runtime(settings) as rt:
            asyncio.run(work(rt, settings.worker_interval_s if interval is None else interval))
    except PolegraphError as exc:
        raise _fail(exc) from exc


def run_saved_command(
    query_id: Annotated[str | None, typer.Argument(help="the saved query to run now")] = None,
    due: Annotated[
        bool, typer.Option("--due", help="run every query that is due (one pass, for cron)")
    ] = False,
) -> None:
    """Run one saved query now, or (--due) one pass over the due ones; as each query's owner."""
    from polegraph.api.worker import run_due, run_one, runtime

    if due == (query_id is not None):
        raise _fail(PolegraphError("give a saved query's id or --due (one of them)"))
    _logging()
    try:
        with runtime(get_settings()) as rt:
            outcomes = asyncio.run(run_due(rt)) if due else [asyncio.run(run_one(rt, str(query_id)))]
    except PolegraphError as exc:
        raise _fail(exc) from exc
    table = Table("saved query", "status", "matches", "new alerts", "reason")
    for o in outcomes:
        table.add_row(o.query_id, o.status, str(o.matches), str(len(o.new_alerts)), o.reason or "")
    console.print(table)
    if any(o.status != "ok" for o in outcomes):
        raise typer.Exit(code=1)


@saved_app.command("install-defaults")
def install_defaults_command(
    owner: Annotated[str, typer.Option(help="the user who owns them (must have used the API)")],
    unit: Annotated[
        str | None, typer.Option(help="the unit they are shared with (default: the owner's)")
    ] = None,
    schedule: Annotated[str, typer.Option(help="cron schedule, UTC")] = "0 * * * *",
) -> None:
    """Install the three saved queries an intelligence unit starts with, shared with its unit."""
    from polegraph.graph.driver import open_driver
    from polegraph.queries.defaults import install_defaults
    from polegraph.security.directory import lookup

    settings = get_settings()
    driver = open_driver(settings)
    try:
        entry = lookup(driver, settings.neo4j_database, owner)
        if entry is None:
            raise PolegraphError(
                f"{owner} is not in the user directory", hint=f"{owner} must use the API once"
            )
        installed = install_defaults(
            driver, settings.neo4j_database, entry.principal, unit or entry.unit, schedule=schedule
        )
    except PolegraphError as exc:
        raise _fail(exc) from exc
    finally:
        driver.close()
    table = Table("saved query", "name", "schedule", "next run")
    for q in installed:
        table.add_row(q.id, q.name, q.schedule or "", str(q.next_run_at))
    console.print(table)


def _set_state(user: str, disabled: bool, reason: str | None, by: str) -> None:
    from polegraph.graph.driver import open_driver
    from polegraph.security.directory import set_disabled

    settings = get_settings()
    driver = open_driver(settings)
    try:
        set_disabled(driver, settings.neo4j_database, user, disabled, by, reason)
    finally:
        driver.close()


@users_app.command("disable")
def disable_command(
    user: Annotated[str, typer.Argument(help="the user (their token's sub)")],
    reason: Annotated[str, typer.Option(help="why; shown on their suspended saved queries")] = "disabled",
    by: Annotated[str, typer.Option(help="the administrator doing it")] = "admin",
) -> None:
    """Disable a user's background work now: their saved queries are suspended at their next run."""
    _set_state(user, True, reason, by)
    console.print(f"{user} disabled")


@users_app.command("enable")
def enable_command(
    user: Annotated[str, typer.Argument(help="the user (their token's sub)")],
    by: Annotated[str, typer.Option(help="the administrator doing it")] = "admin",
) -> None:
    """Enable a user again; their suspended saved queries resume at their next scheduled run."""
    _set_state(user, False, None, by)
    console.print(f"{user} enabled")

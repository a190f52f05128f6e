"""``polegraph search "…" --as-user … --force …``: one page of a search, as a principal, in a terminal.

Meant for investigators' support staff and for checking the index by hand before the API exists:
the principal is stated on the command line, so the command is as trustworthy as the shell it runs
in. The page is printed as a table (or JSON with ``--json``); ``--after`` takes the cursor printed
under it. Mount on the main app with ``app.command("search")(search_command)``; ``search_app`` runs it
alone.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from polegraph.config import get_settings
from polegraph.errors import PolegraphError
from polegraph.search.client import open_client
from polegraph.search.filters import SearchFilter
from polegraph.search.hybrid import Encoder
from polegraph.search.query import search
from polegraph.search.results import SearchResult
from polegraph.security.policy import Principal

search_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
console = Console()
err_console = Console(stderr=True)

Many = Annotated[list[str] | None, typer.Option()]


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise PolegraphError(f"{value!r} is not a date", hint="write dates as YYYY-MM-DD") from exc


def _table(result: SearchResult) -> Table:
    table = Table("#", "score", "type", "force", "record", "why", show_lines=False)
    for rank, hit in enumerate(result.hits, start=1):
        table.add_row(
            str(rank), f"{hit.score:.3f}", hit.label, hit.force, hit.title, "; ".join(hit.explanations)
        )
    return table


def _as_json(result: SearchResult) -> dict[str, Any]:
    return {
        "total": result.total,
        "total_exact": result.total_exact,
        "mode": result.mode,
        "hits": [asdict(hit) for hit in result.hits],
        "facets": result.facets,
        "restricted": result.restricted,
        "next_cursor": result.next_cursor,
        "notes": list(result.notes),
    }


def search_command(
    text: Annotated[str, typer.Argument(help="what the investigator has: names, numbers, marks, words")],
    as_user: Annotated[str, typer.Option("--as-user", help="the user searching (for the record)")],
    force: Annotated[str, typer.Option("--force", help="the user's home force, e.g. WYP")],
    clearance: Annotated[str, typer.Option(help="OFFICIAL, OFFICIAL-SENSITIVE, SECRET")] = "OFFICIAL",
    readable_force: Many = None,
    role: Many = None,
    first: Annotated[int, typer.Option(help="hits on the page, 1 to 100")] = 20,
    after: Annotated[str | None, typer.Option(help="the cursor printed under the previous page")] = None,
    label: Many = None,
    in_force: Many = None,
    system: Many = None,
    since: Annotated[str | None, typer.Option(help="events overlapping from this date (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="events overlapping up to this date (YYYY-MM-DD)")] = None,
    semantic: Annotated[bool, typer.Option(help="rank by meaning too (loads the embedding model)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Search every system for TEXT as the given principal; print one page with the reasons for each hit."""
    settings = get_settings()
    try:
        principal = Principal(
            as_user, force, frozenset(readable_force or ()), clearance, frozenset(role or ("investigator",))
        )
        filters = SearchFilter(
            labels=tuple(label or ()), forces=tuple(in_force or ()), source_systems=tuple(system or ()),
            period_from=_date(since), period_to=_date(until),
        )  # fmt: skip
        encoder: Encoder | None = None
        if semantic:
            from polegraph.nlp.model import load_embedding_model

            encoder = load_embedding_model(settings)
        es = open_client(settings)
        try:
            result = search(
                es, settings, principal, text, filters=filters, first=first, after=after, encoder=encoder
            )
        finally:
            es.close()
    except PolegraphError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}")
        if exc.hint:
            err_console.print(f"[yellow]hint:[/] {exc.hint}")
        raise typer.Exit(code=1) from exc
    if as_json:
        console.print_json(json.dumps(_as_json(result), default=str))
        return
    console.print(_table(result))
    exact = "" if result.total_exact else "at least "
    console.print(f"{exact}{result.total} record(s) you may read; {result.mode} ranking")
    for force_code, count in result.restricted.items():
        held = f"{force_code} holds {count} matching record(s) you may not read"
        console.print(f"[yellow]{held}[/]: contact its intelligence unit")
    for note in result.notes:
        console.print(f"[dim]{note}[/]")
    if result.next_cursor:
        console.print(f"next page: --after {result.next_cursor}")


search_app.command()(search_command)

"""``polegraph …``: the command line of a force's engineer and analyst."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from polegraph.config import get_settings
from polegraph.errors import PolegraphError

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    name="polegraph",
    help="Cross-system intelligence search over a POLE graph (Neo4j) and index (Elasticsearch).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stack_app = typer.Typer(
    help="The local Neo4j and Elasticsearch (from Maven Central, no Docker needed).",
    no_args_is_help=True,
)
app.add_typer(stack_app, name="stack")


def _fail(exc: PolegraphError) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {exc.message}")
    if exc.hint:
        err_console.print(f"[yellow]hint:[/] {exc.hint}")
    return typer.Exit(code=1)


def _status_table(statuses: list[object]) -> Table:
    from polegraph.stack import EngineStatus

    table = Table("engine", "address", "version", "health", "pid", "log")
    for s in statuses:
        assert isinstance(s, EngineStatus)
        colour = "green" if s.healthy else "red"
        table.add_row(
            s.engine, s.address, s.version, f"[{colour}]{s.health}[/]",
            str(s.pid or "-"), str(s.log or "-"),
        )  # fmt: skip
    return table


@stack_app.command("up")
def stack_up_cmd() -> None:
    """Install (first time) and start Neo4j and Elasticsearch; wait until both are healthy."""
    from polegraph.stack import stack_up

    settings = get_settings()
    started = time.monotonic()
    try:
        with console.status("starting the stack") as status:
            statuses = stack_up(settings, progress=lambda msg: status.update(msg))
    except PolegraphError as exc:
        raise _fail(exc) from exc
    console.print(_status_table(list(statuses)))
    console.print(f"stack up in {time.monotonic() - started:.1f}s; state in {settings.state_dir}")


@stack_app.command("down")
def stack_down_cmd() -> None:
    """Stop the engines that `stack up` started; no engine process is left behind."""
    from polegraph.stack import stack_down

    try:
        stopped = stack_down(get_settings())
    except PolegraphError as exc:
        raise _fail(exc) from exc
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@stack_app.command("status")
def stack_status_cmd() -> None:
    """Show each engine's version, address and health; exit 1 if one is unhealthy."""
    from polegraph.stack import stack_status

    statuses = stack_status(get_settings())
    console.print(_status_table(list(statuses)))
    if not all(s.healthy for s in statuses):
        raise typer.Exit(code=1)


@app.command("init")
def init_cmd(
    prefix: Annotated[str | None, typer.Option(help="index prefix (default: POLEGRAPH_INDEX_PREFIX)")] = None,
) -> None:
    """Create the Neo4j constraints and indexes and the Elasticsearch indices. Idempotent."""
    from polegraph.migrations import migrate

    settings = get_settings()
    if prefix:
        settings = settings.model_copy(update={"index_prefix": prefix})
    try:
        report = migrate(settings)
    except PolegraphError as exc:
        raise _fail(exc) from exc
    table = Table("engine", "object", "state")
    for engine, name, state in report:
        table.add_row(engine, name, state)
    console.print(table)


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
) -> None:
    """Serve the API (uvicorn): /healthz, /readyz and the endpoints built on them."""
    import uvicorn

    uvicorn.run(
        "polegraph.api.app:create_app", factory=True, host=host, port=port, workers=workers,
        proxy_headers=True, log_level="info",
    )  # fmt: skip


@app.command("version")
def version_cmd() -> None:
    """Print polegraph's version."""
    from importlib.metadata import version

    console.print(version("polegraph"))


def main() -> None:
    """Entry point of the ``polegraph`` console script."""
    app()

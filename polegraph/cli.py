"""``polegraph …``: the command line of a force's engineer and analyst."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from polegraph.config import get_settings
from polegraph.errors import PolegraphError

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch
    from neo4j import Driver

    from polegraph.ingest import LoadSummary

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


def _mount() -> None:
    """Commands that live beside their subpackages: search, link, embed/extract/language, demo,
    and the saved queries' worker, run-saved, saved and users.
    """
    from polegraph.api.cli import run_saved_command, saved_app, users_app, worker_command
    from polegraph.linking.cli import link_command
    from polegraph.nlp.cli import app as nlp_app
    from polegraph.scenario.cli import demo_app
    from polegraph.search.cli import search_command

    app.command("search")(search_command)
    app.command("link")(link_command)
    app.registered_commands.extend(nlp_app.registered_commands)
    app.add_typer(demo_app, name="demo", help="The synthetic multi-force scenario for demos and benchmarks.")
    app.command("worker")(worker_command)
    app.command("run-saved")(run_saved_command)
    app.add_typer(saved_app, name="saved")
    app.add_typer(users_app, name="users")


_mount()


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


@contextlib.contextmanager
def _engines() -> Iterator[tuple[Driver, Elasticsearch]]:
    """Both engines' clients for one command, closed when it ends."""
    from polegraph.graph.driver import open_driver
    from polegraph.search.client import open_client

    settings = get_settings()
    driver, es = open_driver(settings), open_client(settings)
    try:
        yield driver, es
    finally:
        driver.close()
        es.close()


@app.command("load")
def load_cmd(
    fmt: Annotated[
        str, typer.Argument(metavar="FORMAT", help="source format; `polegraph formats` lists them")
    ],
    path: Annotated[Path, typer.Argument(help="the file (or folder, for XRY exports) to load")],
    force: Annotated[str, typer.Option("--force", help="code of the force that owns the records, e.g. GMP")],
    system: Annotated[str | None, typer.Option(help="source system name (default: the format's)")] = None,
    classification: Annotated[
        str, typer.Option(help="OFFICIAL, OFFICIAL-SENSITIVE, SECRET or TOP SECRET")
    ] = "OFFICIAL",
    caveat: Annotated[str | None, typer.Option(help="caveat on the classification")] = None,
    handling_code: Annotated[str | None, typer.Option(help="3x5x2 handling code: P or C")] = None,
    handling_conditions: Annotated[
        str | None, typer.Option(help="the conditions, with handling code C")
    ] = None,
    mapping: Annotated[Path | None, typer.Option(help="YAML mapping (format `mapping`)")] = None,
    cell_sites: Annotated[Path | None, typer.Option(help="cell-site list (format `cdr`)")] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", help="format-specific KEY=VALUE, repeatable (e.g. timezone=Europe/London)"),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help="records per transaction (default: adapted to the engines' pace)")
    ] = None,
) -> None:
    """Load a file into the graph and the index: journalled, resumable, bad rows quarantined."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from polegraph.ingest import load_file
    from polegraph.loaders.base import LoaderOptions

    if classification not in ("OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET"):
        raise _fail(PolegraphError(f"unknown classification {classification!r}"))
    if handling_code not in (None, "P", "C"):
        raise _fail(PolegraphError(f"handling code must be P or C, not {handling_code!r}"))
    extra: dict[str, str] = {}
    for item in option or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise _fail(PolegraphError(f"--option takes KEY=VALUE, not {item!r}"))
        extra[key.strip()] = value.strip()
    settings = get_settings()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed:,} records"),
               TimeElapsedColumn())  # fmt: skip
    try:
        with _engines() as (driver, es), Progress(*columns, console=err_console, transient=True) as bar:
            task = bar.add_task(f"loading {path.name} ({fmt})", total=None)
            summary = load_file(
                settings, driver, es, fmt, path, force=force, system=system,
                classification=classification, caveat=caveat, handling_code=handling_code,
                handling_conditions=handling_conditions,
                options=LoaderOptions(mapping=mapping, cell_sites=cell_sites, extra=extra),
                batch_size=batch_size,
                progress=lambda n: bar.advance(task, n),
            )  # fmt: skip
    except PolegraphError as exc:
        raise _fail(exc) from exc
    console.print(_summary_table([summary]))
    _summary_notes(summary)


def _summary_table(summaries: list[LoadSummary]) -> Table:
    table = Table("file", "format", "read", "loaded", "quarantined", "already loaded", "nodes", "edges", "s")
    for s in summaries:
        table.add_row(
            Path(s.path).name, s.format, f"{s.read:,}", f"{s.loaded:,}", f"{s.quarantined:,}",
            f"{s.skipped:,}", f"{s.nodes:,}", f"{s.edges:,}", f"{s.seconds:.1f}",
        )  # fmt: skip
    return table


def _summary_notes(summary: LoadSummary, *, quarantine: bool = True) -> None:
    if summary.edges_dropped:
        console.print(
            f"[yellow]{summary.edges_dropped:,} relationships not written:[/] a node they join is not in "
            "the graph (load the file that creates it first, then this one again)"
        )
    if summary.resumed:
        console.print("resumed an interrupted load from its last checkpoint")
    if quarantine and summary.quarantine_file:
        console.print(f"[yellow]quarantined records:[/] {summary.quarantine_file}")


@app.command("load-plan")
def load_plan_cmd(
    location: Annotated[Path, typer.Argument(help="a manifest.json, or the folder that holds one")],
    batch_size: Annotated[
        int | None, typer.Option(help="records per transaction (default: adapted to the engines' pace)")
    ] = None,
) -> None:
    """Load every file a manifest lists, in order (formats, forces and labels from the manifest)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from polegraph.loadplan import load_plan, read_plan

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed:,} records"),
               TimeElapsedColumn())  # fmt: skip
    try:
        plan = read_plan(location)
        with _engines() as (driver, es), Progress(*columns, console=err_console, transient=True) as bar:
            task = bar.add_task("loading", total=None)
            summaries = load_plan(
                get_settings(), driver, es, plan, batch_size=batch_size,
                on_file=lambda f: bar.update(task, description=f"{f.path.name} ({f.format}, {f.force})"),
                progress=lambda n: bar.advance(task, n),
            )  # fmt: skip
    except PolegraphError as exc:
        raise _fail(exc) from exc
    console.print(_summary_table(summaries))
    for summary in summaries:
        _summary_notes(summary, quarantine=False)
    total = sum(s.read for s in summaries)
    quarantined = [s for s in summaries if s.quarantine_file]
    console.print(f"{len(summaries)} files, {total:,} records read")
    if quarantined:
        folder = quarantined[0].quarantine_file.parent if quarantined[0].quarantine_file else ""
        count = sum(s.quarantined for s in quarantined)
        console.print(f"[yellow]{count:,} quarantined records[/] from {len(quarantined)} files, in {folder}")


@app.command("formats")
def formats_cmd() -> None:
    """List the source formats `polegraph load` reads."""
    import polegraph.loaders.formats  # noqa: F401 — registers every loader
    from polegraph.loaders.base import LOADERS

    table = Table("format", "default system", "reads")
    for name, spec in sorted(LOADERS.items()):
        if not name.startswith("test-"):
            table.add_row(name, spec.system, spec.description)
    console.print(table)


@app.command("reindex")
def reindex_cmd() -> None:
    """Rebuild the search index from the graph, then switch to it atomically."""
    from polegraph.reindex import reindex

    try:
        with _engines() as (driver, es), console.status("reindexing") as status:
            counts = reindex(
                get_settings(), driver, es,
                progress=lambda label, n: status.update(f"reindexing {label}"),
            )  # fmt: skip
    except PolegraphError as exc:
        raise _fail(exc) from exc
    table = Table("label", "documents")
    for label, n in sorted(counts.items()):
        table.add_row(label, f"{n:,}")
    console.print(table)


@app.command("check")
def check_cmd() -> None:
    """Report every difference between the graph and the index; exit 1 if there is one."""
    from polegraph.reindex import check

    with _engines() as (driver, es):
        differences = check(get_settings(), driver, es)
    if not differences:
        console.print("graph and index agree")
        return
    table = Table("label", "nodes in graph", "documents in index")
    for d in differences:
        table.add_row(d.label, f"{d.graph:,}", f"{d.index:,}")
    console.print(table)
    console.print("run `polegraph reindex` to rebuild the index from the graph")
    raise typer.Exit(code=1)


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
) -> None:
    """Serve the API (uvicorn): /graphql (GraphiQL in development), /metrics, /healthz, /readyz."""
    import uvicorn

    uvicorn.run(
        "polegraph.api.app:create_app", factory=True, host=host, port=port, workers=workers,
        proxy_headers=True, log_level="info",
    )  # fmt: skip


@app.command("token")
def token_cmd(
    user: Annotated[str, typer.Option(help="the user the token names (its sub claim)")],
    force: Annotated[str, typer.Option(help="the user's home force, e.g. GMP")],
    clearance: Annotated[
        str, typer.Option(help="OFFICIAL, OFFICIAL-SENSITIVE, SECRET or TOP SECRET")
    ] = "OFFICIAL-SENSITIVE",
    roles: Annotated[
        str,
        typer.Option(
            help="comma-separated: investigator, analyst, intelligence_unit, supervisor, auditor, admin"
        ),
    ] = "investigator",
    forces: Annotated[
        str, typer.Option(help="comma-separated forces the user may also read (sharing agreements)")
    ] = "",
    ttl: Annotated[
        int | None, typer.Option(help="seconds until it expires (default: POLEGRAPH_JWT_DEFAULT_TTL_S)")
    ] = None,
    unit: Annotated[
        str | None, typer.Option(help="the user's unit (saved queries shared with a unit reach it)")
    ] = None,
) -> None:
    """Mint a development token signed with the configured HS256 secret (POLEGRAPH_JWT_SECRET)."""
    from polegraph.api.auth import mint_token

    def split(value: str) -> list[str]:
        return [v.strip() for v in value.split(",") if v.strip()]

    try:
        token = mint_token(
            get_settings(), user=user, home_force=force, clearance=clearance, roles=split(roles),
            readable_forces=split(forces), ttl_s=ttl, unit=unit,
        )  # fmt: skip
    except PolegraphError as exc:
        raise _fail(exc) from exc
    # Plain print: the token goes to a pipe or a header, and rich would wrap it.
    print(token)


audit_app = typer.Typer(help="The hash-chained audit log of API requests.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify_cmd(
    path: Annotated[Path | None, typer.Argument(help="the JSONL file (default: the configured one)")] = None,
    index: Annotated[
        bool, typer.Option("--index", help="also compare the file's end with the Elasticsearch copy")
    ] = False,
) -> None:
    """Check the audit chain: every hash, link and sequence number; exit 1 at the first broken record."""
    from polegraph.security.audit import compare_with_index, verify_chain

    target = path or get_settings().audit_path
    if not target.exists():
        raise _fail(
            PolegraphError(f"no audit log at {target}", hint="pass the file, or set POLEGRAPH_AUDIT_FILE")
        )
    result = verify_chain(target)
    if result.ok and index:
        from polegraph.search.client import open_client

        es = open_client(get_settings())
        try:
            difference = compare_with_index(es, get_settings(), target)
        finally:
            es.close()
        if difference:
            console.print(f"[bold red]{target}: {result.records:,} records chained, but {difference}[/]")
            raise typer.Exit(code=1)
    if result.ok:
        console.print(f"{target}: {result.records:,} records, chain intact")
        return
    console.print(
        f"[bold red]{target}: broken at line {result.broken_line}[/] "
        f"(after {result.records:,} good records): {result.reason}"
    )
    raise typer.Exit(code=1)


@app.command("version")
def version_cmd() -> None:
    """Print polegraph's version."""
    from importlib.metadata import version

    console.print(version("polegraph"))


def main() -> None:
    """Entry point of the ``polegraph`` console script."""
    app()


if __name__ == "__main__":
    main()

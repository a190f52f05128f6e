"""``polegraph link``: run a linking job over the graph, with a progress bar and its figures."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from polegraph.config import get_settings
from polegraph.errors import PolegraphError

console = Console()


def link_command(
    forces: Annotated[str, typer.Option(help="comma-separated force codes to link (default: all)")] = "",
    incremental: Annotated[
        bool, typer.Option("--incremental", help="link only persons not yet linked, against everyone")
    ] = False,
) -> None:
    """Find the same person across forces and systems: POSSIBLE_SAME_AS links, nothing merged.

    Running it again after an interruption resumes the unfinished job with the same options.
    """
    from polegraph.graph.driver import open_driver
    from polegraph.linking.jobs import run_link_job

    settings = get_settings()
    driver = open_driver(settings)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console) as bar:
            tasks: dict[str, TaskID] = {}

            def report(stage: str, done: int, total: int | None) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            job = run_link_job(
                settings, driver, forces=forces.split(","), incremental=incremental, progress=report
            )
    except PolegraphError as exc:
        console.print(f"[bold red]error:[/] {exc.message}")
        if exc.hint:
            console.print(f"[yellow]hint:[/] {exc.hint}")
        raise typer.Exit(code=1) from exc
    finally:
        driver.close()
    table = Table("job", job.job_id, title="incremental link" if incremental else "link")
    for name, value in (
        ("persons", f"{job.persons:,}"), ("new persons", f"{job.new_persons:,}"),
        ("pairs compared", f"{job.pairs_compared:,}"), ("links accepted", f"{job.links_accepted:,}"),
        ("links for review", f"{job.links_review:,}"), ("model", job.model_version or "-"),
        ("trained on this data", "yes" if job.trained else "no (prior or saved model)"),
        ("seconds", f"{job.duration_s:.1f}"),
    ):  # fmt: skip
        table.add_row(name, value)
    console.print(table)

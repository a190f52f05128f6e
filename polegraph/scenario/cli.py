"""``polegraph demo …``: generate the synthetic scenario the demo, benchmarks and quality tests load."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from polegraph.errors import PolegraphError
from polegraph.scenario.forces import FORCES

console = Console()
err_console = Console(stderr=True)

demo_app = typer.Typer(no_args_is_help=True)


@demo_app.callback()
def demo() -> None:
    """The synthetic scenario: forces' exports of one invented population, with a planted network."""
    # A callback keeps ``demo`` a group of commands, also while it has only one.


@demo_app.command("generate")
def generate_cmd(
    out: Annotated[Path, typer.Option("--out", help="folder to write (new, empty, or an earlier scenario)")],
    forces: Annotated[
        int,
        typer.Option(min=1, max=len(FORCES), help=f"forces ({', '.join(f.code for f in FORCES)}, in order)"),
    ] = 3,
    people: Annotated[
        int, typer.Option(min=100, help="population size (about 1.9 records per person)")
    ] = 2000,
    seed: Annotated[int, typer.Option(help="the same seed gives the same files, byte for byte")] = 7,
) -> None:
    """Write the scenario's files, ground truth, manifest.json and load.sh into OUT."""
    from polegraph.scenario.generate import generate

    started = time.monotonic()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=err_console, transient=True) as bar:
            task = bar.add_task("generating", total=None)

            def advance(file: str, n: int, total: int) -> None:
                bar.update(task, advance=n, total=total, description=f"writing {file}")

            manifest = generate(out, forces=forces, people=people, seed=seed, progress=advance)
    except (PolegraphError, ValueError) as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=1) from exc
    seconds = time.monotonic() - started
    table = Table(Column("file", overflow="fold"), "format", "force", "records", "to quarantine",
                  title=f"scenario in {out}")  # fmt: skip
    for entry in manifest.files:
        table.add_row(
            entry.path, entry.format, entry.force, f"{entry.records:,}", str(entry.expected_quarantined)
        )
    console.print(table)
    by_format = Table("format", "records")
    for fmt, count in manifest.records_by_format().items():
        by_format.add_row(fmt, f"{count:,}")
    by_format.add_row("[bold]all[/]", f"[bold]{manifest.records:,}[/]")
    console.print(by_format)
    rate = manifest.records / seconds if seconds else 0.0
    console.print(
        f"{len(manifest.files)} files, {manifest.records:,} records in {seconds:.1f}s "
        f"({rate:,.0f} records/s); load them with {out / 'load.sh'}"
    )

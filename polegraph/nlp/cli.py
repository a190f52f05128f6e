"""``polegraph embed | extract | language``: the NLP steps over text-bearing records, as commands.

Run them in the order ``language`` (so that translations exist), ``extract``, ``embed``. Each step
does only what is new or changed since its last run; ``--redo`` does everything again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from polegraph.config import Settings, get_settings
from polegraph.errors import PolegraphError

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch
    from neo4j import Driver

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    help="Free text of crimes, intelligence reports and messages: languages, mentions, embeddings.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

LabelOption = Annotated[
    list[str] | None,
    typer.Option("--label", help="only this text-bearing type (Crime, IntelReport, Message); repeatable"),
]
RedoOption = Annotated[
    bool, typer.Option("--redo", help="process every record, not only new or changed ones")
]
PageOption = Annotated[int, typer.Option(help="records read from Neo4j per page")]


def _fail(exc: PolegraphError) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {exc.message}")
    if exc.hint:
        err_console.print(f"[yellow]hint:[/] {exc.hint}")
    return typer.Exit(code=1)


@contextlib.contextmanager
def _engines(settings: Settings) -> Iterator[tuple[Driver, Elasticsearch]]:
    from polegraph.graph.driver import open_driver
    from polegraph.search.client import open_client

    driver, es = open_driver(settings), open_client(settings)
    try:
        yield driver, es
    finally:
        driver.close()
        es.close()


@contextlib.contextmanager
def _progress(description: str, total: int) -> Iterator[Callable[[int], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


def _labels(labels: list[str] | None) -> list[str]:
    from polegraph.nlp.narrative import checked_label, narrative_types

    return [checked_label(label) for label in labels] if labels else list(narrative_types())


def _table(rows: dict[str, object]) -> Table:
    table = Table("", "")
    for key, value in rows.items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    return table


@app.command("embed")
def embed_cmd(label: LabelOption = None, redo: RedoOption = False, page_size: PageOption = 1000) -> None:
    """Embed texts that have no embedding, or a stale one (cached by content: no text is encoded twice)."""
    from polegraph.nlp.cache import EmbeddingCache, cache_path
    from polegraph.nlp.embed import embed_pending, load_encoder
    from polegraph.nlp.narrative import count_nodes

    settings = get_settings()
    try:
        labels = _labels(label)
        with console.status("loading the embedding model"):
            encoder = load_encoder(settings)
        with (
            _engines(settings) as (driver, es),
            EmbeddingCache(cache_path(settings), settings.embedding_dims) as cache,
            _progress("embedding", count_nodes(driver, settings.neo4j_database, labels)) as advance,
        ):
            s = embed_pending(settings, driver, es, encoder, cache=cache, labels=labels, redo=redo,
                              page_size=page_size, progress=advance)  # fmt: skip
    except PolegraphError as exc:
        raise _fail(exc) from exc
    console.print(_table({
        "records read": s.seen, "unchanged": s.unchanged, "embedded": s.embedded, "cleared": s.cleared,
        "texts encoded": s.encoded, "texts from cache": s.cached, "documents updated": s.documents,
        "model": encoder.name, "device": str(encoder.model.device),
        "seconds": f"{s.seconds:.1f}",
        "records/s": f"{s.seen / s.seconds:,.0f}" if s.seconds else "-",
    }))  # fmt: skip


@app.command("extract")
def extract_cmd(label: LabelOption = None, redo: RedoOption = False, page_size: PageOption = 500) -> None:
    """Link records to the phones, vehicles, postcodes, e-mails, handsets, accounts and people they name."""
    from polegraph.nlp.extract import build_pipeline, extract_pending, statistical_model
    from polegraph.nlp.gazetteer import Gazetteer
    from polegraph.nlp.narrative import count_nodes

    settings = get_settings()
    try:
        labels = _labels(label)
        with _engines(settings) as (driver, es):
            with console.status("reading the names of people in the graph"):
                gazetteer = Gazetteer.from_graph(driver, settings.neo4j_database)
                statistical = statistical_model()
                nlp = build_pipeline(gazetteer, statistical=statistical)
            with _progress("extracting", count_nodes(driver, settings.neo4j_database, labels)) as advance:
                s = extract_pending(settings, driver, es, nlp=nlp, labels=labels, redo=redo,
                                    page_size=page_size, progress=advance)  # fmt: skip
    except PolegraphError as exc:
        raise _fail(exc) from exc
    console.print(_table({
        "records read": s.seen, "unchanged": s.unchanged, "extracted": s.extracted,
        "mentions written": s.mentions, "stale mentions removed": s.removed,
        "objects created from text": s.created, "names in gazetteer": len(gazetteer),
        "statistical model": "yes" if statistical is not None else "none installed",
        **{f"found: {kind}": n for kind, n in sorted(s.by_kind.items())}, "seconds": f"{s.seconds:.1f}",
    }))  # fmt: skip


@app.command("language")
def language_cmd(
    label: LabelOption = None,
    redo: RedoOption = False,
    page_size: PageOption = 500,
    translate: Annotated[
        bool, typer.Option(help="translate into English with POLEGRAPH_TRANSLATION_MODEL_DIR when it is set")
    ] = True,
) -> None:
    """Identify the language of texts (stored as `lang`) and translate those not in English."""
    from polegraph.nlp.language import identify_pending
    from polegraph.nlp.narrative import count_nodes
    from polegraph.nlp.translate import load_translator

    settings = get_settings()
    try:
        labels = _labels(label)
        translator = load_translator(settings) if translate else None
        with (
            _engines(settings) as (driver, es),
            _progress(
                "identifying languages", count_nodes(driver, settings.neo4j_database, labels)
            ) as advance,
        ):
            s = identify_pending(settings, driver, es, translator=translator, labels=labels, redo=redo,
                                 page_size=page_size, progress=advance)  # fmt: skip
    except PolegraphError as exc:
        raise _fail(exc) from exc
    console.print(_table({
        "records read": s.seen, "unchanged": s.unchanged, "identified": s.identified,
        "undetermined": s.undetermined, "translated": s.translated,
        "translator": translator.name if translator else "none configured",
        **{f"language: {lang}": n for lang, n in sorted((s.by_language or {}).items())},
        "seconds": f"{s.seconds:.1f}",
    }))  # fmt: skip

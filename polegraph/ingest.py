"""``polegraph load``: a file through its loader into Neo4j and Elasticsearch, journalled and resumable.

A load is identified by its file's content, format, force and labels, so loading the same file
twice finds the finished journal and changes nothing. Each batch is one Neo4j transaction, then a
``_bulk`` of the documents of the nodes it changed, then a checkpoint in the journal: a batch is
checkpointed only when both engines have it. The three steps overlap: while batch n is indexed and
checkpointed, batch n+1 is written to Neo4j and batch n+2 is parsed (the driver and the ES client
wait on sockets without the GIL); each step takes a batch only when it has finished the one before, so
checkpoints stay in order.

Each batch's transaction also records how far the graph has got (``graph_done``). A load killed
anywhere resumes after its last checkpoint, re-doing the batches the graph may hold but the index
may not (writes are idempotent); those re-done batches index every node they touch, changed or not.
Bad records go to a quarantine file (JSON lines: file, line, field, reason, raw) and the load goes on.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from neo4j import Driver, ManagedTransaction
from neo4j.exceptions import ClientError

from polegraph.batching import BatchSize
from polegraph.config import Settings
from polegraph.errors import PolegraphError
from polegraph.graph.writer import WriteResult, write_bundles
from polegraph.loaders.base import LoaderOptions, get_loader
from polegraph.loaders.check import bundle_problems
from polegraph.loaders.records import Bundle, LoadContext, Quarantined
from polegraph.search.indexer import index_nodes

# The server ended a transaction that ran past its timeout (db.transaction.timeout).
# Force and system codes, as source keys and access tokens hold them.
_CODE = re.compile(r"[A-Za-z0-9_.-]+")
TX_TIMED_OUT = "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration"


class LoaderBug(PolegraphError):
    """A loader produced a record the ontology does not allow (a defect, not bad input)."""


class LoadInterrupted(PolegraphError):
    """Raised by ``stop_after_batches`` to stand in for a crash in tests."""


@dataclass(frozen=True)
class LoadSummary:
    """What a load did; ``read == loaded + quarantined + skipped``."""

    load_id: str
    format: str
    path: str
    read: int
    loaded: int
    quarantined: int
    skipped: int
    nodes: int
    edges: int
    edges_dropped: int
    batches: int
    seconds: float
    quarantine_file: Path | None
    resumed: bool
    already_loaded: bool


def file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def load_id_for(fmt: str, ctx_key: dict[str, Any], digest: str) -> str:
    blob = json.dumps({"format": fmt, "context": ctx_key, "file": digest}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def _journal(driver: Driver, database: str, load_id: str) -> dict[str, Any] | None:
    records, _, _ = driver.execute_query(
        "MATCH (j:LoadJournal {load_id: $id}) RETURN properties(j) AS j", id=load_id, database_=database
    )
    return dict(records[0]["j"]) if records else None


def _checkpoint(driver: Driver, database: str, load_id: str, state: dict[str, Any]) -> None:
    driver.execute_query(
        "MERGE (j:LoadJournal {load_id: $id}) SET j += $state, j.updated_at = datetime()",
        id=load_id, state=state, database_=database,
    )  # fmt: skip


def _truncate_lines(path: Path, keep: int) -> None:
    """Drop quarantine lines written after the last checkpoint (they will be written again)."""
    if not path.exists():
        return
    with path.open("r", encoding="utf-8") as handle:
        lines = [line for _, line in zip(range(keep), handle, strict=False)]
    path.write_text("".join(lines), encoding="utf-8")


class _Run:
    """The state of one load while it runs, as a pipeline of three threads: this one reads and parses
    batch n+2 while the graph thread writes batch n+1 to Neo4j and the index thread indexes batch n
    and checkpoints it. Each later stage takes a batch only when the one before it is done, so
    checkpoints stay in order and at most three batches are held. The drivers wait on sockets without
    the GIL: parsing the next batch costs the write nothing."""

    def __init__(
        self,
        settings: Settings,
        driver: Driver,
        es: Elasticsearch,
        ctx: LoadContext,
        quarantine_file: Path,
        batch: BatchSize,
    ) -> None:
        self.settings, self.driver, self.es, self.ctx = settings, driver, es, ctx
        self.quarantine_file = quarantine_file
        self.db = settings.neo4j_database
        self.bundles: list[Bundle] = []
        self.quarantined: list[Quarantined] = []
        # records_done, loaded, quarantined and batches move here as batches are handed over; nodes,
        # edges and edges_dropped in the graph thread as they are written.
        self.counts = {
            "records_done": 0,
            "loaded": 0,
            "quarantined": 0,
            "nodes": 0,
            "edges": 0,
            "edges_dropped": 0,
            "batches": 0,
        }
        # Records the graph may hold beyond the last checkpoint (an interrupted run's): re-done
        # batches up to there index every node they touch.
        self.redo_until = 0
        self.batch = batch
        self._graph = ThreadPoolExecutor(max_workers=1, thread_name_prefix="polegraph-graph")
        self._graph_pending: Future[None] | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="polegraph-index")
        self._pending: Future[None] | None = None

    def flush(self) -> None:
        """Hand the collected batch to the graph thread (once it has finished the one before)."""
        bundles, quarantined = self.bundles, self.quarantined
        self.bundles, self.quarantined = [], []
        start = self.counts["records_done"]
        position = start + len(bundles) + len(quarantined)
        self.counts["records_done"] = position
        self.counts["loaded"] += len(bundles)
        self.counts["quarantined"] += len(quarantined)
        self.counts["batches"] += 1
        handed = {key: self.counts[key] for key in ("records_done", "loaded", "quarantined", "batches")}
        self._wait_graph()
        self._graph_pending = self._graph.submit(
            self._write_and_hand_on, bundles, quarantined, start, position, handed
        )

    def _write_and_hand_on(
        self,
        bundles: list[Bundle],
        quarantined: list[Quarantined],
        start: int,
        position: int,
        handed: dict[str, int],
    ) -> None:
        """(Graph thread) write one batch, then hand its documents to the index thread."""
        result = None
        if bundles:
            began = time.monotonic()
            result = self._write(bundles, start < self.redo_until, position)
            self.batch.observe(len(bundles) + len(quarantined), time.monotonic() - began)
            self.counts["nodes"] += result.nodes
            self.counts["edges"] += result.edges
            self.counts["edges_dropped"] += result.edges_dropped
        counts = {**self.counts, **handed}
        self._wait_index()
        self._pending = self._worker.submit(self._index, result, quarantined, counts)

    def _write(self, bundles: list[Bundle], all_documents: bool, position: int) -> WriteResult:
        """One transaction, marking ``position`` in the journal; halves, written apart, if it timed out."""

        def mark(tx: ManagedTransaction) -> None:
            tx.run(
                "MATCH (j:LoadJournal {load_id: $id}) SET j.graph_done = $position",
                id=self.ctx.load_id, position=position,
            ).consume()  # fmt: skip

        try:
            return write_bundles(
                self.driver, self.db, bundles, self.ctx, all_documents=all_documents, also=mark
            )
        except ClientError as exc:
            if exc.code != TX_TIMED_OUT or len(bundles) < 2:
                raise
        # Rolled back whole: write the halves in order (each an ordinary, idempotent transaction).
        self.batch.timed_out()
        half = len(bundles) // 2
        first = self._write(bundles[:half], all_documents, position - len(bundles) + half)
        second = self._write(bundles[half:], all_documents, position)
        return WriteResult(
            nodes=first.nodes + second.nodes, edges=first.edges + second.edges,
            edges_dropped=first.edges_dropped + second.edges_dropped,
            nodes_by_label={
                label: first.nodes_by_label.get(label, []) + second.nodes_by_label.get(label, [])
                for label in first.nodes_by_label.keys() | second.nodes_by_label.keys()
            },
        )  # fmt: skip

    def _wait_graph(self) -> None:
        pending, self._graph_pending = self._graph_pending, None
        if pending is not None:
            pending.result()

    def _wait_index(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def wait(self) -> None:
        """Until every batch handed over is written, indexed and checkpointed (an error raised here)."""
        self._wait_graph()
        self._wait_index()

    def close(self) -> None:
        """Stop the threads; a batch they still hold is finished first (or fails), never dropped half-way."""
        self._graph.shutdown(wait=True)
        self._worker.shutdown(wait=True)

    def _index(
        self, result: WriteResult | None, quarantined: list[Quarantined], counts: dict[str, int]
    ) -> None:
        if result is not None:
            index_nodes(
                self.es, result.nodes_by_label, entities_index=self.settings.index_name("entities"),
                sources_index=self.settings.index_name("source_records"),
            )  # fmt: skip
        if quarantined:
            self.quarantine_file.parent.mkdir(parents=True, exist_ok=True)
            with self.quarantine_file.open("a", encoding="utf-8") as out:
                for q in quarantined:
                    entry = {
                        "file": q.file,
                        "line": q.line,
                        "field": q.field,
                        "reason": q.reason,
                        "raw": q.raw,
                    }
                    out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        _checkpoint(self.driver, self.db, self.ctx.load_id, {**counts, "status": "running"})


def _consume(
    items: Iterator[Bundle | Quarantined],
    run: _Run,
    resume_from: int,
    progress: Callable[[int], None] | None,
    stop_after_batches: int | None,
) -> None:
    """Feed the loader's output into batches, skipping what an interrupted run already wrote."""
    for seen, item in enumerate(items, start=1):
        if seen <= resume_from:
            continue
        if isinstance(item, Quarantined):
            run.quarantined.append(item)
        else:
            problems = bundle_problems(item)
            if problems:
                raise LoaderBug(f"the {run.ctx.source_file} loader produced an invalid record: {problems[0]}")
            run.bundles.append(item)
        if len(run.bundles) + len(run.quarantined) >= run.batch.size:
            flushed = len(run.bundles) + len(run.quarantined)
            run.flush()
            if progress:
                progress(flushed)
            if stop_after_batches is not None and run.counts["batches"] >= stop_after_batches:
                run.wait()
                raise LoadInterrupted(f"load {run.ctx.load_id} stopped after {stop_after_batches} batch(es)")


def load_file(
    settings: Settings,
    driver: Driver,
    es: Elasticsearch,
    fmt: str,
    path: Path,
    *,
    force: str,
    system: str | None = None,
    classification: str = "OFFICIAL",
    caveat: str | None = None,
    handling_code: str | None = None,
    handling_conditions: str | None = None,
    options: LoaderOptions | None = None,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    stop_after_batches: int | None = None,
) -> LoadSummary:
    """Load ``path`` with the loader of ``fmt``; see the module docstring for the guarantees.

    ``batch_size`` fixes the records per transaction; None adapts it (``polegraph.batching``).
    """
    started = time.monotonic()
    spec = get_loader(fmt)
    path = Path(path)
    if not path.exists():
        raise PolegraphError(f"{path} does not exist")
    options = options or LoaderOptions()
    system = system or spec.system
    for what, code in (("force", force), ("system", system)):
        # Source keys are ``src:FORCE:SYSTEM:RECORD_ID``: a colon (or a space) in a code would blur them.
        if not _CODE.fullmatch(code or ""):
            raise PolegraphError(f"{what} code {code!r}: use letters, digits, '_', '.' or '-' only")
    labels_key = {
        "force": force, "system": system, "classification": classification, "caveat": caveat,
        "handling_code": handling_code, "handling_conditions": handling_conditions,
        "mapping": file_digest(options.mapping) if options.mapping else None,
        "cell_sites": file_digest(options.cell_sites) if options.cell_sites else None,
        "extra": dict(sorted(options.extra.items())),
    }  # fmt: skip
    digest = file_digest(path) if path.is_file() else hashlib.sha256(str(path).encode()).hexdigest()
    load_id = load_id_for(fmt, labels_key, digest)
    ctx = LoadContext(
        force=force, system=system, load_id=load_id, source_file=str(path), classification=classification,
        caveat=caveat, handling_code=handling_code, handling_conditions=handling_conditions,
    )  # fmt: skip
    quarantine_file = settings.state_dir / "quarantine" / f"{load_id}.jsonl"
    db = settings.neo4j_database
    journal = _journal(driver, db, load_id)
    if journal and journal.get("status") == "complete":
        done = int(journal["records_done"])
        return LoadSummary(
            load_id, fmt, str(path), read=done, loaded=0, quarantined=0, skipped=done, nodes=0, edges=0,
            edges_dropped=0, batches=0, seconds=time.monotonic() - started,
            quarantine_file=quarantine_file if quarantine_file.exists() else None,
            resumed=False, already_loaded=True,
        )  # fmt: skip
    batch = BatchSize.of(batch_size, target_s=settings.neo4j_tx_timeout_s / 3)
    run = _Run(settings, driver, es, ctx, quarantine_file, batch)
    resume_from = 0
    if journal:
        resume_from = int(journal.get("records_done", 0))
        for key in run.counts:
            run.counts[key] = int(journal.get(key, 0))
        run.redo_until = int(journal.get("graph_done", 0))
        _truncate_lines(quarantine_file, run.counts["quarantined"])
    else:
        quarantine_file.unlink(missing_ok=True)
        _checkpoint(driver, db, load_id, {
            "status": "running", "format": fmt, "path": str(path), "file_sha256": digest,
            "force": force, "system": system, "classification": classification, **run.counts,
        })  # fmt: skip
    try:
        try:
            _consume(spec.read(path, ctx, options), run, resume_from, progress, stop_after_batches)
            pending = len(run.bundles) + len(run.quarantined)
            if pending or not run.counts["batches"]:
                run.flush()
                if progress:
                    progress(pending)
            run.wait()
        finally:
            run.close()
    except LoadInterrupted:
        raise
    except PolegraphError as exc:
        # A file that breaks part-way (a truncated ZIP, XML cut short) fails the load; what was
        # checkpointed stays, and running the command again resumes there.
        stored = _journal(driver, db, load_id) or {}
        checkpointed = {key: stored.get(key, value) for key, value in run.counts.items()}
        _checkpoint(driver, db, load_id, {**checkpointed, "status": "failed", "error": str(exc)[:2000]})
        raise
    es.indices.refresh(index=[settings.index_name("entities"), settings.index_name("source_records")])
    _checkpoint(driver, db, load_id, {**run.counts, "status": "complete"})
    c = run.counts
    return LoadSummary(
        load_id, fmt, str(path), read=c["records_done"],
        loaded=c["loaded"], quarantined=c["quarantined"], skipped=0, nodes=c["nodes"], edges=c["edges"],
        edges_dropped=c["edges_dropped"], batches=c["batches"], seconds=time.monotonic() - started,
        quarantine_file=quarantine_file if c["quarantined"] else None,
        resumed=resume_from > 0, already_loaded=False,
    )  # fmt: skip

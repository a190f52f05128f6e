"""Text-bearing records (the ontology's ``Narrative`` types), read from Neo4j in keyset pages.

Which types carry text, and in which properties, is read from the ontology: every concrete type
that extends ``Narrative``, and its own ``text`` properties (``Crime.mo_text``, ``IntelReport.text``,
``Message.body``). The NLP steps (language, mentions, embeddings) page through these nodes by uid,
hold one page at a time, and keep in each node a hash of the text they last processed, so that a
second run does nothing for a text that has not changed.
"""

from __future__ import annotations

import functools
import hashlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from elasticsearch import Elasticsearch, helpers
from neo4j import Driver, ManagedTransaction

from polegraph.config import Settings
from polegraph.errors import SchemaError
from polegraph.schema import load_ontology
from polegraph.search.indexer import IndexingError, index_nodes

NARRATIVE = "Narrative"
#: The abstract type whose properties are a record's security labels.
LABELLED = "Labelled"
#: Properties where a step keeps the hash of the text it last processed, all declared by the
#: ontology's ``Narrative``; only ``embedding_hash`` is indexed, the other two are bookkeeping.
EMBEDDING_HASH = "embedding_hash"
MENTIONS_HASH = "mentions_hash"
LANG_HASH = "lang_hash"
_STATE = frozenset({EMBEDDING_HASH, MENTIONS_HASH, LANG_HASH})
_PROVENANCE = ("source_keys", "load_ids")
_NARRATIVE_FIELDS = ("lang", "text_translated", EMBEDDING_HASH)
#: Concurrent ``_bulk`` streams of index updates per page.
UPDATE_STREAMS = 2

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class NarrativeNode:
    """One text-bearing node as the NLP steps see it."""

    label: str
    uid: str
    texts: dict[str, str]  # text property -> its text, non-empty ones only, in ontology order
    lang: str | None = None
    translated: str | None = None
    state: dict[str, str] = field(default_factory=dict)  # the steps' hashes
    labels: dict[str, Any] = field(default_factory=dict)  # security labels (force, classification...)
    source_keys: list[str] = field(default_factory=list)
    load_ids: list[str] = field(default_factory=list)

    @property
    def original(self) -> str:
        """The record's text: its text properties, one paragraph each."""
        return "\n\n".join(self.texts.values())


@functools.cache
def narrative_types() -> dict[str, tuple[str, ...]]:
    """Concrete text-bearing types and their own text properties, e.g. ``{"Crime": ("mo_text",)}``."""
    onto = load_ontology()
    found: dict[str, tuple[str, ...]] = {}
    for entity in onto.concrete():
        if not entity.is_a(NARRATIVE):
            continue
        props = tuple(
            p.name for p in entity.own_properties if p.type == "text" and p.searchable and p.index_as is None
        )
        if props:
            found[entity.name] = props
    return found


@functools.cache
def label_properties() -> tuple[str, ...]:
    """The security-label properties every node and edge carries (force, classification, handling...)."""
    return tuple(load_ontology().entity(LABELLED).properties)


def checked_label(label: str) -> str:
    """``label`` when it is a text-bearing type of the ontology; it then may go into a query string."""
    if label not in narrative_types():
        known = ", ".join(narrative_types())
        raise SchemaError(f"{label!r} is not a text-bearing node type (known: {known})")
    return label


def content_hash(*parts: str) -> str:
    """A short, stable hash of text parts (the separator keeps ``("ab", "c")`` apart from ``("a", "bc")``)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def _read_keys(label: str) -> tuple[list[str], list[str]]:
    """(properties read, properties of which one must be set for the node to be worth reading)."""
    props = [
        *narrative_types()[label],
        *_NARRATIVE_FIELDS,
        *label_properties(),
        *_PROVENANCE,
        *sorted(_STATE),
    ]
    # Nodes with no text that no step has seen (most open-data crimes) are not worth sending.
    return list(dict.fromkeys(props)), [*narrative_types()[label], *sorted(_STATE)]


def _read_query(label: str) -> str:
    # Properties are read by name from parameters (n[k]): no warning for a key not yet in the
    # database. The uid uniqueness constraint's index serves both the range predicate and the order.
    return (
        f"MATCH (n:`{checked_label(label)}`) "
        "WHERE n.uid > $after AND any(k IN $relevant WHERE n[k] IS NOT NULL) "
        "RETURN n.uid AS uid, [k IN $keys | n[k]] AS v ORDER BY n.uid LIMIT $limit"
    )


def _node(label: str, uid: str, props: Mapping[str, Any]) -> NarrativeNode:
    texts = {name: props[name] for name in narrative_types()[label] if isinstance(props.get(name), str)}
    return NarrativeNode(
        label=label,
        uid=uid,
        texts={k: v for k, v in texts.items() if v.strip()},
        lang=props.get("lang"),
        translated=props.get("text_translated") or None,
        state={k: props[k] for k in _STATE if isinstance(props.get(k), str)},
        labels={k: props[k] for k in label_properties() if props.get(k) is not None},
        source_keys=list(props.get("source_keys") or []),
        load_ids=list(props.get("load_ids") or []),
    )


def read_pages(driver: Driver, database: str, label: str, page_size: int) -> Iterator[list[NarrativeNode]]:
    """Every node of ``label`` in pages of ``page_size``, by uid (one page in memory at a time)."""
    query = _read_query(label)
    keys, relevant = _read_keys(label)
    after = ""
    while True:
        records, _, _ = driver.execute_query(
            query,
            after=after,
            limit=page_size,
            keys=keys,
            relevant=relevant,
            database_=database,
            routing_="r",
        )
        if not records:
            return
        yield [_node(label, r["uid"], dict(zip(keys, r["v"], strict=True))) for r in records]
        after = records[-1]["uid"]


def count_nodes(driver: Driver, database: str, labels: Iterable[str]) -> int:
    """How many nodes ``read_pages`` will give for the labels (a progress bar's total)."""
    total = 0
    for label in labels:
        _, relevant = _read_keys(label)
        records, _, _ = driver.execute_query(
            f"MATCH (n:`{checked_label(label)}`) WHERE any(k IN $relevant WHERE n[k] IS NOT NULL) "
            "RETURN count(n) AS c",
            relevant=relevant, database_=database, routing_="r",
        )  # fmt: skip
        total += int(records[0]["c"])
    return total


def prefetch(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """``items``, with up to ``depth`` of them fetched ahead in a thread (reads overlap the work)."""
    done = object()
    slots: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def fill() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            slots.put(exc)

    worker = threading.Thread(target=fill, name="polegraph-nlp-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


class WriteBehind:
    """Runs one write at a time in a thread while the caller prepares the next (bounded: one in flight)."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def submit(self, write: Callable[[], None]) -> None:
        """Wait for the previous write (re-raising its error), then start ``write``."""
        self.wait()

        def run() -> None:
            try:
                write()
            except BaseException as exc:  # noqa: BLE001 - re-raised by wait() in the caller's thread
                self._error = exc

        self._thread = threading.Thread(target=run, name="polegraph-nlp-write", daemon=True)
        self._thread.start()

    def drain(self) -> None:
        """Wait for the write in flight, dropping its error (the caller is already failing)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._error = None

    def wait(self) -> None:
        """Wait for the write in flight; re-raise what it raised."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error


PageHandler = Callable[[str, list["NarrativeNode"]], Callable[[], None] | None]


def each_page(
    settings: Settings,
    driver: Driver,
    es: Elasticsearch,
    labels: Sequence[str] | None,
    page_size: int,
    handle: PageHandler,
    progress: Callable[[int], None] | None = None,
) -> None:
    """The loop every NLP step runs: pages of text-bearing nodes read ahead, written behind.

    ``handle(label, page)`` does the step's work on one page and returns the write to run (or
    None); the write runs in a thread while the next page is read and handled. A failure waits
    for the write in flight and propagates. The entity index is refreshed at the end.
    """
    writer = WriteBehind()
    try:
        for label in labels or list(narrative_types()):
            for page in prefetch(
                read_pages(driver, settings.neo4j_database, checked_label(label), page_size)
            ):
                write = handle(label, page)
                if write is not None:
                    writer.submit(write)
                if progress is not None:
                    progress(len(page))
        writer.wait()
    except BaseException:
        writer.drain()
        raise
    es.indices.refresh(index=settings.index_name("entities"))


def _partial_updates(
    es: Elasticsearch, index: str, label: str, docs: Sequence[tuple[str, dict[str, Any]]]
) -> tuple[int, list[str]]:
    """Partial ``_bulk`` updates (``doc``, no scripts); returns (updated, ids of missing documents)."""
    stamp = datetime.now(UTC).isoformat()
    actions = (
        {"_op_type": "update", "_index": index, "_id": uid, "doc": {**doc, "updated_at": stamp}}
        for uid, doc in docs
    )
    ok, errors = helpers.bulk(
        es.options(request_timeout=120), actions, chunk_size=250, max_retries=5, initial_backoff=1,
        raise_on_error=False,
    )  # fmt: skip
    missing: list[str] = []
    refused: list[Any] = []
    for error in errors if isinstance(errors, list) else []:
        update = error.get("update", {})
        if update.get("status") == 404:
            missing.append(str(update.get("_id")))
        else:
            refused.append(error)
    if refused:
        raise IndexingError(
            f"Elasticsearch refused {len(refused)} update(s) of {label} documents; "
            f"first: {str(refused[0])[:500]}",
            hint="the index mapping may be out of date: run `polegraph init`, then `polegraph reindex`",
        )
    return ok, missing


def write_page(
    settings: Settings,
    driver: Driver,
    es: Elasticsearch,
    label: str,
    graph_write: Callable[[ManagedTransaction], None],
    docs: Sequence[tuple[str, dict[str, Any]]],
) -> int:
    """One page to both engines at once; returns how many index documents were updated.

    ``graph_write`` runs in a Neo4j write transaction while the documents get partial updates, in
    ``UPDATE_STREAMS`` concurrent ``_bulk`` streams: both engines index vectors (HNSW), which costs
    more than the request. A node whose document is missing (loaded while the index was being
    rebuilt, say) gets its whole document built from the graph once the graph write is done, so the
    index never lacks what the graph holds.
    """
    index = settings.index_name("entities")
    streams = [docs[n::UPDATE_STREAMS] for n in range(UPDATE_STREAMS)]
    with ThreadPoolExecutor(max_workers=UPDATE_STREAMS, thread_name_prefix="polegraph-nlp-es") as pool:
        updates = [pool.submit(_partial_updates, es, index, label, part) for part in streams if part]
        with driver.session(database=settings.neo4j_database) as session:
            session.execute_write(graph_write)
        results = [update.result() for update in updates]
    missing = [uid for _, gone in results for uid in gone]
    if missing:
        records, _, _ = driver.execute_query(
            f"MATCH (n:`{checked_label(label)}`) WHERE n.uid IN $uids RETURN properties(n) AS p",
            uids=missing, database_=settings.neo4j_database, routing_="r",
        )  # fmt: skip
        index_nodes(es, {label: [dict(r["p"]) for r in records]}, entities_index=index, sources_index=index)
    return sum(ok for ok, _ in results) + len(missing)

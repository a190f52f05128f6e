"""Fixtures of the search tests: the real embedding model, and the corpus loaded once per session.

The corpus is loaded into emptied engines (``tests.conftest.empty``, what the ``engines`` fixture
does) through ``polegraph.ingest.load_file``; its narratives are embedded by ``polegraph embed``
(``polegraph.nlp.embed.embed_pending``) with the real model, which writes the vectors to the graph
and the index. The search tests only read, so they share it. The model (transformers,
sentence-transformers, the weights) is loaded in a background thread from the moment the corpus is
loaded, while the lexical tests run: those imports are most of the suite's set-up time, and only the
kNN tests wait for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import torch  # noqa: F401 - in the main thread, before the model's thread starts: see MODEL_IMPORTS
from elasticsearch import Elasticsearch
from neo4j import Driver

from polegraph.config import Settings
from polegraph.ingest import load_file
from polegraph.nlp.cache import EmbeddingCache
from polegraph.nlp.embed import EmbedSummary, SentenceEncoder, embed_pending, model_name
from polegraph.nlp.model import load_embedding_model
from polegraph.search.hybrid import Encoder
from tests.conftest import Engines, empty
from tests.search.corpus import write_files

# Imports of the model under way (transformers, sentence-transformers, the weights) in a thread.
# Torch itself is imported above, in the main thread: imported in a thread under pytest's warnings
# capture, it now and then reports overriding one of its own kernels (a UserWarning, an error here).
MODEL_IMPORTS: list[Future[Any]] = []


@pytest.fixture(scope="package", autouse=True)
def _model_imported_before_leaving() -> Iterator[None]:
    """No import is left running into other packages' tests."""
    yield
    wait(MODEL_IMPORTS)


@pytest.fixture(scope="session")
def model_loading(settings: Settings) -> Future[Any]:
    """The real sentence-transformers model, loading in the background."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
    future = pool.submit(load_embedding_model, settings)
    pool.shutdown(wait=False)
    MODEL_IMPORTS.append(future)
    return future


@pytest.fixture(scope="session")
def encoder(model_loading: Future[Any]) -> Encoder:
    """The real model, loaded once: what ``search`` embeds a query with."""
    model: Encoder = model_loading.result()
    return model


@dataclass
class Corpus(Engines):
    """The engines holding the corpus, and the ids of the loads that wrote it."""

    load_ids: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def corpus(
    stack: Settings,
    neo4j_driver: Driver,
    es_client: Elasticsearch,
    model_loading: Future[Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Corpus:
    """Both engines holding the corpus of ``tests/search/corpus.py`` (the model goes on loading)."""
    engines = Corpus(stack, neo4j_driver, es_client)
    load_corpus(engines, tmp_path_factory.mktemp("corpus"))
    return engines


def load_corpus(engines: Corpus, folder: Path) -> None:
    """Empty the engines and load the corpus (its files written to ``folder``) into them."""
    empty(engines)
    engines.load_ids.clear()
    for fmt, path, force in write_files(folder):
        summary = load_file(engines.settings, engines.driver, engines.es, fmt, path, force=force)
        assert summary.quarantined == 0, summary
        engines.load_ids.append(summary.load_id)


def embed_narratives(engines: Engines, model: Any, cache_folder: Path) -> EmbedSummary:
    """``polegraph embed`` on what the engines hold, with the real model and a cache in ``cache_folder``."""
    s = engines.settings
    encoder = SentenceEncoder(model, model_name(s), s.embedding_batch_size)
    with EmbeddingCache(cache_folder / "embeddings.sqlite", s.embedding_dims) as cache:
        return embed_pending(s, engines.driver, engines.es, encoder, cache=cache)


@pytest.fixture(scope="session")
def embedded(corpus: Corpus, model_loading: Future[Any], tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """The corpus with its narratives embedded by ``polegraph embed`` (graph and index) and the real model."""
    summary = embed_narratives(corpus, model_loading.result(), tmp_path_factory.mktemp("nlp"))
    assert summary.embedded >= 13
    return corpus

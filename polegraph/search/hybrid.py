"""Meaning beside words: the query's embedding, kNN request bodies and reciprocal rank fusion.

The local Elasticsearch has no licence for its ``rrf`` retriever, so the lexical and the kNN
rankings are fetched side by side (one ``_msearch``) and fused here. Every kNN request carries the
access policy inside ``knn.filter``: a filter applied after the nearest neighbours were chosen
would both leak (through counts and timing) and lose recall.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from polegraph.search.filters import SearchError

# The rank at which a record's vote has halved. Cormack et al. chose 60 for fusing many runs a
# thousand deep, where agreement between runs is the signal. Here two rankings of ``WINDOW`` are
# fused, and at 60 their heads hardly count: the first of the words, which the meaning ranks under
# its cosine floor, scores 1/61, under any of the ~50 records that both rankings place near rank 40
# (2/100), and fell to 48th. At 10 a record must be in the first ten or so of both rankings to pass
# the first of either, so what either ranking is sure of stays on the first page.
RRF_K = 10
WINDOW = 100  # how many hits of each ranking are fused (and so how deep hybrid pages go)
MIN_SIMILARITY = 0.3  # cosine under which a neighbour is not counted as a match of the query
NUM_CANDIDATES = 300


class Encoder(Protocol):
    """Anything that embeds sentences like sentence-transformers' ``SentenceTransformer.encode``."""

    def encode(self, sentences: list[str], /) -> Any: ...


def query_vector(encoder: Encoder, text: str, dims: int) -> list[float]:
    """The embedding of ``text`` as a list of floats, checked against the index's dimensions."""
    encoded = encoder.encode([text])
    vector = [float(x) for x in encoded[0]]
    if len(vector) != dims:
        raise SearchError(
            f"the encoder gives {len(vector)}-dimensional vectors; the index holds {dims}",
            hint="pass the model the index was built with (POLEGRAPH_EMBEDDING_DIMS)",
        )
    return vector


def knn_body(
    vector: list[float],
    filters: list[dict[str, Any]],
    *,
    k: int,
    similarity: float | None,
    size: int | None = None,
) -> dict[str, Any]:
    """A kNN search on ``embedding``; ``filters`` (the policy first) go inside ``knn.filter``."""
    if not filters:
        raise SearchError("a kNN search without the access policy filter is never sent")
    knn: dict[str, Any] = {
        "field": "embedding",
        "query_vector": vector,
        "k": k,
        "num_candidates": max(NUM_CANDIDATES, k),
        "filter": filters,
    }
    if similarity is not None:
        knn["similarity"] = similarity
    return {"knn": knn, "size": k if size is None else size}


def cosine(score: float) -> float:
    """The cosine similarity behind a kNN ``_score`` (Elasticsearch reports ``(1 + cos) / 2``)."""
    return 2.0 * score - 1.0


@dataclass(frozen=True, slots=True)
class Fused:
    """One record in the fused ranking."""

    uid: str
    score: float
    lexical: Mapping[str, Any] | None  # the lexical hit, when the record was in that ranking
    semantic: Mapping[str, Any] | None  # the kNN hit, when it was in that one


def fuse(lexical: Sequence[Mapping[str, Any]], semantic: Sequence[Mapping[str, Any]]) -> list[Fused]:
    """Reciprocal rank fusion of two rankings of hits, best first, ties broken by uid."""
    scores: dict[str, float] = {}
    first: dict[str, Mapping[str, Any]] = {}
    second: dict[str, Mapping[str, Any]] = {}
    for ranking, seen in ((lexical, first), (semantic, second)):
        for rank, hit in enumerate(ranking, start=1):
            uid = str(hit["_id"])
            scores[uid] = scores.get(uid, 0.0) + 1.0 / (RRF_K + rank)
            seen[uid] = hit
    fused = [Fused(uid, round(score, 9), first.get(uid), second.get(uid)) for uid, score in scores.items()]
    return sorted(fused, key=lambda f: (-f.score, f.uid))

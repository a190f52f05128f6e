"""More like this: the records nearest in meaning to one record, by the record's own embedding.

The record is read under the access policy like any other: a record the principal may not read
cannot seed a search, and the error says the same whether it does not exist or is not readable.
"""

from __future__ import annotations

import time
from typing import Any

from elasticsearch import Elasticsearch

from polegraph.config import Settings
from polegraph.search.explain import hit_title
from polegraph.search.filters import SearchError, SearchFilter, filter_clauses, read_facets
from polegraph.search.hybrid import MIN_SIMILARITY, WINDOW, cosine, knn_body
from polegraph.search.query import MAX_PAGE, by_force, run_searches
from polegraph.search.results import SOURCE_EXCLUDES, SearchResult, build_hit, restricted_counts
from polegraph.security.policy import Principal, es_filter, es_restricted_filter, readable_tokens


def _seed_vector(
    es: Elasticsearch, index: str, principal: Principal, uid: str
) -> tuple[list[float] | None, str]:
    query = {"bool": {"filter": [{"term": {"uid": uid}}, es_filter(principal)]}}
    found = es.search(index=index, query=query, size=1, source_excludes=["source_keys", "load_ids"])
    hits = found["hits"]["hits"]
    if not hits:
        raise SearchError(f"no record {uid!r} that you may read", hint="search for the record first")
    source = hits[0]["_source"]
    vector = source.get("embedding")
    title = hit_title(source)
    return ([float(x) for x in vector] if vector else None), title


def more_like_this(
    es: Elasticsearch,
    settings: Settings,
    principal: Principal,
    uid: str,
    *,
    filters: SearchFilter | None = None,
    first: int = 20,
    min_similarity: float = MIN_SIMILARITY,
) -> SearchResult:
    """The ``first`` readable records nearest in meaning to record ``uid`` (itself left out).

    Hits are the nearest neighbours whatever their similarity; restricted hits count only records at
    least ``min_similarity`` alike, since every record has some nearest neighbour.
    """
    started = time.perf_counter()
    filters = filters or SearchFilter()
    if not 1 <= first <= MAX_PAGE:
        raise SearchError(f"a page holds 1 to {MAX_PAGE} hits, not {first}")
    index = settings.index_name("entities")
    vector, title = _seed_vector(es, index, principal, uid)
    if vector is None:
        return SearchResult((), 0, True, {}, {}, None, "similar", notes=(f"{uid} has no embedding",))
    not_itself: dict[str, Any] = {"bool": {"must_not": {"term": {"uid": uid}}}}
    user = filter_clauses(filters, principal)
    nearest = knn_body(vector, [es_filter(principal), not_itself, *user], k=first, similarity=None)
    nearest |= {"_source": {"excludes": SOURCE_EXCLUDES}}
    searches = [(nearest, False)]
    restricted = es_restricted_filter(principal)
    if restricted is not None:
        unreadable = [restricted, *filter_clauses(filters, principal, restricted=True)]
        hidden = knn_body(vector, unreadable, k=WINDOW, similarity=min_similarity, size=0)
        searches.append((hidden | {"aggs": by_force(principal)}, False))
    responses = run_searches(es, index, searches)
    reason = f"similar in meaning to {title}"
    readable = readable_tokens(principal)
    hits = []
    for raw in responses[0]["hits"]["hits"]:
        alike = cosine(float(raw["_score"]))
        hits.append(
            build_hit(raw, None, alike, reasons=(f"{reason} (cosine {alike:.2f})",), readable=readable)
        )
    counts = restricted_counts(responses[1].get("aggregations")) if restricted is not None else {}
    return SearchResult(
        hits=tuple(hits),
        total=len(hits),
        total_exact=False,
        facets=read_facets({}),
        restricted=counts,
        next_cursor=None,
        mode="similar",
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )

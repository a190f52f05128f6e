"""The search: one function from what an investigator typed to a ranked, explained, policy-filtered page.

``search`` parses the text (``parse.py``), plans named clauses (``clauses.py``) and sends one
``_msearch`` holding:

1. the ranked query: the access policy in its ``filter``, the investigator's filters as a
   ``post_filter`` (so facets can count around them), facets, highlights, ``search_after``;
2. the restricted-hit count: the same match under ``es_restricted_filter`` (records within the
   principal's clearance that it may not read), aggregated by owning force, ``size: 0`` — the
   records themselves never leave Elasticsearch;
3. with an encoder: the kNN ranking (policy inside ``knn.filter``) and its restricted count.

Pages are keyset pages on ``[_score, uid]``. The first page is read without a point in time; when
there is a next page one is opened and carried by the cursor, so later pages see the index exactly
as it was and no record is repeated or skipped when new records arrive.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field, replace
from typing import Any

from elasticsearch import ApiError, Elasticsearch

from polegraph.config import Settings
from polegraph.search.clauses import QueryPlan, plan_query
from polegraph.search.cursor import Cursor, cursor_pit, decode_cursor, encode_cursor, search_digest
from polegraph.search.filters import (
    SearchError,
    SearchFilter,
    facet_aggregations,
    filter_clauses,
    post_filter,
    read_facets,
)
from polegraph.search.hybrid import (
    MIN_SIMILARITY,
    WINDOW,
    Encoder,
    Fused,
    cosine,
    fuse,
    knn_body,
    query_vector,
)
from polegraph.search.parse import ParsedQuery, parse_query
from polegraph.search.results import (
    HIGHLIGHT,
    SOURCE_EXCLUDES,
    Hit,
    SearchResult,
    build_hit,
    restricted_counts,
)
from polegraph.security.policy import (
    Principal,
    es_cleared_forces,
    es_filter,
    es_restricted_filter,
    readable_tokens,
)

MAX_PAGE = 100
PIT_KEEP_ALIVE = "5m"
SORT = [{"_score": "desc"}, {"uid": "asc"}]


def by_force(principal: Principal) -> dict[str, Any]:
    """Restricted hits counted by the forces of their records within clearance (``restricted_counts``)."""
    return {
        "by_force": {
            "terms": {"field": "access_forces", "size": 500, "include": es_cleared_forces(principal)}
        }
    }


def _check_page(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise SearchError(f"a page holds 1 to {MAX_PAGE} hits, not {first}", hint="page with the cursor")


def _ranked_body(plan: QueryPlan, principal: Principal, filters: SearchFilter, size: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": plan.scoring_query([es_filter(principal)]),
        "size": size,
        "sort": SORT,
        "track_total_hits": True,
        "_source": {"excludes": SOURCE_EXCLUDES},
        "highlight": HIGHLIGHT,
        "aggs": facet_aggregations(filters, principal),
    }
    narrowed = post_filter(filters, principal)
    if narrowed is not None:
        body["post_filter"] = narrowed
    return body


def _restricted_body(
    plan: QueryPlan, restricted: dict[str, Any], filters: SearchFilter, principal: Principal
) -> dict[str, Any]:
    narrowed = filter_clauses(filters, principal, restricted=True)
    query = {"bool": {"filter": [plan.match_clause(), restricted, *narrowed]}}
    aggs = by_force(principal)
    return {"query": query, "size": 0, "track_total_hits": True, "aggs": aggs}


def _on_pit(body: dict[str, Any], pit: str | None) -> dict[str, Any]:
    return {**body, "pit": {"id": pit, "keep_alive": PIT_KEEP_ALIVE}} if pit else body


def msearch_lines(index: str, searches: list[tuple[dict[str, Any], bool]]) -> list[dict[str, Any]]:
    """The ``_msearch`` body of (search body, on a point in time) pairs."""
    lines: list[dict[str, Any]] = []
    for body, on_pit in searches:
        lines += [{} if on_pit else {"index": index}, body]
    return lines


def run_searches(
    es: Elasticsearch, index: str, searches: list[tuple[dict[str, Any], bool]]
) -> list[dict[str, Any]]:
    """One ``_msearch``; each entry is (body, on a point in time). Errors become ``SearchError``."""
    try:
        responses = es.msearch(searches=msearch_lines(index, searches))["responses"]
    except ApiError as exc:
        raise SearchError(f"Elasticsearch refused the search: {exc.message}") from exc
    for response in responses:
        error = response.get("error")
        if error:
            if response.get("status") == 404 or "search_context_missing" in str(error):
                raise SearchError("these results have expired", hint="run the search again")
            raise SearchError(f"Elasticsearch could not run the search: {str(error)[:300]}")
    return [dict(r) for r in responses]


def open_pit(es: Elasticsearch, index: str) -> str:
    return str(es.open_point_in_time(index=index, keep_alive=PIT_KEEP_ALIVE)["id"])


def close_pit(es: Elasticsearch, pit: str | None) -> None:
    if pit:
        with contextlib.suppress(ApiError):  # it expires by itself
            es.close_point_in_time(id=pit)


@dataclass
class PreparedSearch:
    """One search ready to send: its ``_msearch`` entries and what reading the answers needs."""

    index: str
    parsed: ParsedQuery
    plan: QueryPlan
    mode: str  # lexical | hybrid
    digest: str
    first: int
    cursor: Cursor | None
    readable: frozenset[str]  # the principal's access tokens (labels shown on hits)
    searches: list[tuple[dict[str, Any], bool]] = field(default_factory=list)
    roles: dict[str, int] = field(default_factory=dict)  # ranked, restricted, knn, knn_restricted

    def add(self, role: str, body: dict[str, Any], on_pit: bool = False) -> None:
        self.roles[role] = len(self.searches)
        self.searches.append((body, on_pit))

    @property
    def lines(self) -> list[dict[str, Any]]:
        return msearch_lines(self.index, self.searches)


def prepare_search(
    settings: Settings,
    principal: Principal,
    text: str,
    *,
    filters: SearchFilter | None = None,
    first: int = 20,
    after: str | None = None,
    encoder: Encoder | None = None,
    min_similarity: float = MIN_SIMILARITY,
) -> PreparedSearch:
    """The requests of ``search`` (see there), built but not sent."""
    filters = filters or SearchFilter()
    _check_page(first)
    parsed = parse_query(text)
    plan = plan_query(parsed)
    hybrid = encoder is not None and bool(parsed.words)
    mode = "hybrid" if hybrid else "lexical"
    digest = search_digest(principal, text, filters, mode)
    cursor = decode_cursor(after, digest) if after else None
    prepared = PreparedSearch(
        settings.index_name("entities"), parsed, plan, mode, digest, first, cursor, readable_tokens(principal)
    )
    pit = cursor.pit if cursor else None
    restricted = es_restricted_filter(principal)

    ranked = _ranked_body(plan, principal, filters, WINDOW if hybrid else first + 1)
    if cursor and not hybrid:
        ranked["search_after"] = cursor.after()
    prepared.add("ranked", _on_pit(ranked, pit), pit is not None)
    if restricted is not None:
        prepared.add("restricted", _restricted_body(plan, restricted, filters, principal))
    if encoder is not None and hybrid:
        vector = query_vector(encoder, parsed.free_text, settings.embedding_dims)
        allowed = [es_filter(principal), *filter_clauses(filters, principal)]
        knn = knn_body(vector, allowed, k=WINDOW, similarity=min_similarity)
        prepared.add("knn", _on_pit(knn | {"_source": {"excludes": SOURCE_EXCLUDES}}, pit), pit is not None)
        if restricted is not None:
            unreadable = [restricted, *filter_clauses(filters, principal, restricted=True)]
            hidden = knn_body(vector, unreadable, k=WINDOW, similarity=min_similarity, size=0)
            prepared.add("knn_restricted", hidden | {"aggs": by_force(principal)})
    return prepared


def release_cursor(es: Elasticsearch, after: str) -> None:
    """Close the point in time behind a cursor whose later pages will not be read (it expires anyway)."""
    close_pit(es, cursor_pit(after))


def search(
    es: Elasticsearch,
    settings: Settings,
    principal: Principal,
    text: str,
    *,
    filters: SearchFilter | None = None,
    first: int = 20,
    after: str | None = None,
    encoder: Encoder | None = None,
    min_similarity: float = MIN_SIMILARITY,
) -> SearchResult:
    """Records matching ``text`` that ``principal`` may read, best first, ``first`` at a time.

    ``after`` is the ``next_cursor`` of the previous page. With an ``encoder`` the ranking is hybrid:
    BM25 and the kNN neighbours of the text's embedding (cosine at least ``min_similarity``) fused by
    reciprocal rank; hybrid pages reach the top ``WINDOW`` of each ranking.
    """
    started = time.perf_counter()
    prepared = prepare_search(
        settings, principal, text, filters=filters, first=first, after=after, encoder=encoder,
        min_similarity=min_similarity,
    )  # fmt: skip
    responses = run_searches(es, prepared.index, prepared.searches)
    result = read_answers(es, prepared, responses)
    return replace(result, elapsed_ms=(time.perf_counter() - started) * 1000)


def read_answers(
    es: Elasticsearch, prepared: PreparedSearch, responses: list[dict[str, Any]]
) -> SearchResult:
    """The page a prepared search's answers make; opens or closes the point in time pages run on."""
    roles, plan, cursor, first = prepared.roles, prepared.plan, prepared.cursor, prepared.first
    main = responses[roles["ranked"]]
    hidden_counts = [
        responses[roles[r]].get("aggregations") for r in ("restricted", "knn_restricted") if r in roles
    ]
    pit = str(main.get("pit_id") or cursor.pit) if cursor else None

    total_info = main["hits"]["total"]
    total, exact = int(total_info["value"]), total_info["relation"] == "eq"
    notes: list[str] = []
    if "knn" in roles:
        semantic = responses[roles["knn"]]["hits"]["hits"]
        fused = fuse(main["hits"]["hits"], semantic)
        hits, more, last = _hybrid_page(plan, fused, first, cursor, prepared.readable)
        if total > WINDOW or len(semantic) >= WINDOW:
            notes.append(
                f"hybrid ranking covers the best {WINDOW} of each ranking: narrow the search to see more"
            )
        exact = exact and total <= WINDOW and len(semantic) < WINDOW
        total += sum(1 for f in fused if f.lexical is None)
    else:
        raw_hits = main["hits"]["hits"]
        more = len(raw_hits) > first
        page = raw_hits[:first]
        hits = [build_hit(h, plan, float(h["sort"][0]), readable=prepared.readable) for h in page]
        last = (float(page[-1]["sort"][0]), str(page[-1]["sort"][1])) if page else None

    next_cursor = None
    if more and last is not None:
        pit = pit or open_pit(es, prepared.index)
        next_cursor = encode_cursor(Cursor(prepared.digest, pit, last[0], last[1]))
    else:
        close_pit(es, pit)
    return SearchResult(
        hits=tuple(hits),
        total=total,
        total_exact=exact,
        facets=read_facets(main.get("aggregations", {})),
        restricted=restricted_counts(*hidden_counts),
        next_cursor=next_cursor,
        mode=prepared.mode,
        parsed=prepared.parsed,
        notes=tuple(notes),
    )


def _hybrid_page(
    plan: QueryPlan, fused: list[Fused], first: int, cursor: Cursor | None, readable: frozenset[str]
) -> tuple[list[Hit], bool, tuple[float, str] | None]:
    """One page of the fused ranking: its hits, whether more follow, and its last key."""
    if cursor is not None:
        fused = [f for f in fused if (-f.score, f.uid) > (-cursor.score, cursor.uid)]
    page = fused[:first]
    last = (page[-1].score, page[-1].uid) if page else None
    return [_fused_hit(plan, f, readable) for f in page], len(fused) > first, last


def _fused_hit(plan: QueryPlan, fused: Fused, readable: frozenset[str]) -> Hit:
    similarity = cosine(float(fused.semantic["_score"])) if fused.semantic is not None else None
    if fused.lexical is not None:
        return build_hit(fused.lexical, plan, fused.score, similarity=similarity, readable=readable)
    assert fused.semantic is not None
    return build_hit(fused.semantic, plan, fused.score, matched=[], similarity=similarity, readable=readable)

"""The ``search`` field: ``polegraph.search`` as a connection with facets, reasons and restricted hits.

The search module builds the requests (access policy in the query, restricted-hit counts beside
it); the API's filter input is added to each of them as one more filter clause, so facets, totals
and restricted counts all count within it. Hits are shown as graph nodes read under the same
principal; the search's own cursor is wrapped in one bound to the filter as well.
"""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry

from polegraph.api.context import RequestContext
from polegraph.api.data.connections import PageInfo, check_first, decode_cursor, encode_cursor, query_digest
from polegraph.api.data.inputs import FilterInput, to_filter
from polegraph.api.data.loaders import load_nodes
from polegraph.api.data.nodes import Node, as_node
from polegraph.api.filters import Filter, FilterError, es_query, filter_json
from polegraph.graph.read import NodeKey
from polegraph.search.cursor import Cursor
from polegraph.search.cursor import decode_cursor as decode_search_cursor
from polegraph.search.cursor import encode_cursor as encode_search_cursor
from polegraph.search.query import prepare_search, read_answers, run_searches
from polegraph.search.results import SearchResult
from polegraph.security.policy import readable_tokens

MAX_QUERY = 500


@strawberry.type(description="Where a hit's text matched, with the matching words in <em>.")
class Highlight:
    field: str
    fragments: list[str]


@strawberry.type
class SearchEdge:
    cursor: str | None = strawberry.field(
        description="Resumes the search after this hit; null on the last page (nothing follows)."
    )
    node: Node
    score: float
    explanations: list[str] = strawberry.field(description="Why the record matched, one reason a line.")
    highlights: list[Highlight]
    source_systems: list[str]


@strawberry.type
class FacetValue:
    value: str
    count: int


@strawberry.type(description="Counts of the readable matches by one facet (label, force, source_system).")
class Facet:
    name: str
    values: list[FacetValue]


@strawberry.type(description="Matching records a force holds that the requester may not read: a count only.")
class RestrictedHits:
    force: str
    count: int
    message: str


@strawberry.type
class SearchConnection:
    edges: list[SearchEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Readable matches (a lower bound unless totalExact).")
    total_exact: bool
    facets: list[Facet]
    restricted: list[RestrictedHits]
    restricted_total: int
    notes: list[str]


def _with_filter(body: dict[str, Any], clause: dict[str, Any]) -> dict[str, Any]:
    return {**body, "query": {"bool": {"must": [body["query"]], "filter": [clause]}}}


def _run(
    ctx: RequestContext, text: str, flt: Filter | None, first: int, after: str | None
) -> tuple[SearchResult, list[str | None]]:
    """One page of the search, and the search's own cursor after each of its hits."""
    prepared = prepare_search(ctx.settings, ctx.principal, text, first=first, after=after)
    if flt is not None:
        clause = es_query(flt, readable_tokens(ctx.principal))
        prepared.searches = [(_with_filter(body, clause), on_pit) for body, on_pit in prepared.searches]
    result = read_answers(ctx.es, prepared, run_searches(ctx.es, prepared.index, prepared.searches))
    if result.next_cursor is None:
        return result, [None] * len(result.hits)
    # Every hit's position on the same point in time as the page's own cursor.
    pit = decode_search_cursor(result.next_cursor, prepared.digest).pit
    after_each: list[str | None] = [
        encode_search_cursor(Cursor(prepared.digest, pit, h.score, h.uid)) for h in result.hits
    ]
    return result, after_each


async def search(
    info: strawberry.Info[RequestContext, None],
    query: str,
    filter: FilterInput | None = None,
    first: int = 20,
    after: str | None = None,
) -> SearchConnection:
    """Records matching what an investigator typed (names, numbers, registrations, text), best first."""
    ctx = info.context
    check_first(first)
    if not query.strip() or len(query) > MAX_QUERY:
        raise FilterError(f"a search is 1 to {MAX_QUERY} characters")
    flt = to_filter(filter)
    digest = query_digest(ctx.principal, "search", query, filter_json(flt) if flt else None)
    inner = str(decode_cursor(after, digest, (str,))[0]) if after else None
    result, inner_cursors = await asyncio.to_thread(_run, ctx, query, flt, first, inner)
    nodes = await load_nodes(ctx, [NodeKey(hit.label, hit.uid) for hit in result.hits])
    edges = [
        SearchEdge(
            cursor=encode_cursor(digest, [cursor]) if cursor else None,
            node=as_node(ctx, node),
            score=hit.score,
            explanations=list(hit.explanations),
            highlights=[Highlight(field=f, fragments=list(v)) for f, v in hit.highlights.items()],
            source_systems=list(hit.source_systems),
        )
        for hit, node, cursor in zip(result.hits, nodes, inner_cursors, strict=True)
        if node is not None
    ]
    end = encode_cursor(digest, [result.next_cursor]) if result.next_cursor else None
    return SearchConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=end is not None, end_cursor=end),
        total_count=result.total,
        total_exact=result.total_exact,
        facets=[
            Facet(name=name, values=[FacetValue(value=v, count=c) for v, c in values.items()])
            for name, values in result.facets.items()
        ],
        restricted=[
            RestrictedHits(
                force=force,
                count=count,
                message=f"{force} holds {count} matching record(s) you may not read: "
                "contact its intelligence unit",
            )
            for force, count in result.restricted.items()
        ],
        restricted_total=result.restricted_total,
        notes=list(result.notes),
    )

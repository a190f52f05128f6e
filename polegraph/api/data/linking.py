"""The linking fields: ``linkSuggestions``, ``linkJobs``, ``decideLink`` and ``Person.resolvedPerson``.

They are the GraphQL face of ``polegraph.linking``, which applies the access policy and the roles
(a link exists for a principal only when it may read the link and both its persons; only analysts,
intelligence units and supervisors see or decide links). What the engine returns is shown here
under the same principal again: the persons are read through the request's loaders, so a person
the requester may not read is never shown, and every ID shown is noted for the audit record.
Cursors are bound to the requester and the arguments (``connections.py``), so one cursor tells
another requester nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
from enum import Enum
from typing import Any, ClassVar

import strawberry
from strawberry.scalars import JSON

from polegraph.api.context import RequestContext
from polegraph.api.data.connections import (
    PageInfo,
    check_first,
    decode_cursor,
    encode_cursor,
    page_info,
    query_digest,
)
from polegraph.api.data.loaders import load_nodes, load_sources
from polegraph.api.data.nodes import Node, as_node, described
from polegraph.api.ids import from_link_id, to_link_id
from polegraph.errors import PolegraphError
from polegraph.graph.read import NodeKey
from polegraph.linking import decisions
from polegraph.linking.decisions import Link, LinkFilter, LinkNotFound, link_cursor
from polegraph.linking.jobs import LinkJob, link_jobs

Info = strawberry.Info[RequestContext, None]


class LinkNotFoundError(PolegraphError):
    """No link with that ID that the requester may read (or none at all: the answer is the same)."""

    code: ClassVar[str] = "NOT_FOUND"


@strawberry.enum(description="An analyst's decision on a proposed link.")
class LinkDecision(Enum):
    SAME = "SAME"
    DIFFERENT = "DIFFERENT"
    UNSURE = "UNSURE"


@strawberry.enum(description="ACCEPTED links join a resolved person; REVIEW links wait for an analyst.")
class LinkBand(Enum):
    ACCEPTED = "ACCEPTED"
    REVIEW = "REVIEW"


@strawberry.input(description="Which link suggestions to list.")
class LinkSuggestionFilter:
    band: LinkBand | None = strawberry.field(
        default=LinkBand.REVIEW, description="REVIEW (the default), ACCEPTED, or null for both."
    )
    undecided_only: bool = True
    job_id: str | None = None
    min_probability: float = 0.0


@strawberry.type(description="One comparison of the two records: what agreed or disagreed, and by how much.")
class LinkComparison:
    name: str = strawberry.field(description="forename, surname, dob, phone, postcode ...")
    level: str
    agrees: bool
    weight: float = strawberry.field(description="Its contribution to the match weight (log2 odds).")
    values: JSON = strawberry.field(description="The compared values of each record, one pair a column.")


@strawberry.type(description="A proposed link: two person records the linking job thinks are one person.")
class LinkSuggestion:
    id: strawberry.ID
    person_a: Node = strawberry.field(description="One Person record.")
    person_b: Node = strawberry.field(description="The other Person record.")
    probability: float
    match_weight: float
    band: LinkBand
    explanation: list[LinkComparison]
    job_id: str
    model_version: str | None
    decision: LinkDecision | None
    decided_by: str | None
    reason: str | None


@strawberry.type
class LinkSuggestionEdge:
    cursor: str
    node: LinkSuggestion


@strawberry.type(description="A page of link suggestions, most probable first.")
class LinkSuggestionConnection:
    edges: list[LinkSuggestionEdge]
    page_info: PageInfo


@strawberry.type(description="A linking job: where it got to and what it found.")
class LinkJobInfo:
    job_id: str
    forces: list[str] = strawberry.field(description="The forces it linked; empty for all.")
    incremental: bool
    status: str = strawberry.field(description="RUNNING, COMPLETE or FAILED.")
    stage: str
    started_at: str
    finished_at: str | None
    persons: int
    new_persons: int
    pairs_compared: int
    links_accepted: int
    links_review: int
    model_version: str | None
    duration_s: float

    @classmethod
    def of(cls, job: LinkJob) -> LinkJobInfo:
        return cls(**{f.name: getattr(job, f.name) for f in dataclasses.fields(cls)})


@strawberry.type
class LinkJobEdge:
    cursor: str
    node: LinkJobInfo


@strawberry.type(description="A page of linking jobs, newest first.")
class LinkJobConnection:
    edges: list[LinkJobEdge]
    page_info: PageInfo


@strawberry.type(
    description="A resolved person: the person records joined by accepted and confirmed links, "
    "as far as the requester may read them."
)
class ResolvedPerson:
    persons: list[Node] = strawberry.field(description="Its Person records, this one included.")
    source_records: list[Node] = strawberry.field(description="The source records of its persons.")
    link_ids: list[strawberry.ID] = strawberry.field(description="The links that join them.")


def _comparisons(explanation: dict[str, Any]) -> list[LinkComparison]:
    return [
        LinkComparison(
            name=name, level=str(c.get("level")), agrees=bool(c.get("agrees")),
            weight=float(c.get("weight") or 0.0), values=JSON(c.get("values") or []),
        )
        for name, c in explanation.items()
    ]  # fmt: skip


async def _suggestions(ctx: RequestContext, links: list[Link]) -> list[LinkSuggestion | None]:
    """The GraphQL form of ``links``; None for a link one of whose persons cannot be read now."""
    found = await load_nodes(
        ctx, [NodeKey("Person", uid) for link in links for uid in (link.person_a, link.person_b)]
    )
    shown: list[LinkSuggestion | None] = []
    for link, a, b in zip(links, found[::2], found[1::2], strict=True):
        if a is None or b is None:
            shown.append(None)
            continue
        link_id = to_link_id(link.link_id)
        ctx.returned(link_id)
        shown.append(
            LinkSuggestion(
                id=strawberry.ID(link_id), person_a=as_node(ctx, a), person_b=as_node(ctx, b),
                probability=link.probability, match_weight=link.match_weight, band=LinkBand(link.band),
                explanation=_comparisons(link.explanation), job_id=link.job_id,
                model_version=link.model_version,
                decision=LinkDecision(link.decision) if link.decision else None,
                decided_by=link.decided_by, reason=link.reason,
            )
        )  # fmt: skip
    return shown


async def link_suggestions(
    info: Info, filter: LinkSuggestionFilter | None = None, first: int = 20, after: str | None = None
) -> LinkSuggestionConnection:
    """Proposed links for analysts to review, most probable first (analysts and intelligence units)."""
    ctx = info.context
    check_first(first)
    given = filter or LinkSuggestionFilter()
    wanted = LinkFilter(
        band=given.band.value if given.band else None, undecided_only=given.undecided_only,
        job_id=given.job_id, min_probability=given.min_probability,
    )  # fmt: skip
    digest = query_digest(ctx.principal, "linkSuggestions", dataclasses.asdict(wanted))
    inner = str(decode_cursor(after, digest, (str,))[0]) if after else None
    page = await asyncio.to_thread(
        decisions.link_suggestions, ctx.principal, ctx.driver, ctx.settings.neo4j_database,
        wanted, first, inner,
    )  # fmt: skip
    shown = await _suggestions(ctx, page.links)
    edges = [
        LinkSuggestionEdge(cursor=encode_cursor(digest, [link_cursor(link)]), node=node)
        for link, node in zip(page.links, shown, strict=True)
        if node is not None
    ]
    end = encode_cursor(digest, [page.end_cursor]) if page.end_cursor else None
    return LinkSuggestionConnection(
        edges=edges, page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=end)
    )


async def link_jobs_field(info: Info, first: int = 20, after: str | None = None) -> LinkJobConnection:
    """Linking jobs, newest first, with their status and figures."""
    ctx = info.context
    check_first(first)
    digest = query_digest(ctx.principal, "linkJobs")
    key = decode_cursor(after, digest, (str, str)) if after else None
    jobs = await asyncio.to_thread(
        link_jobs, ctx.principal, ctx.driver, ctx.settings.neo4j_database, first + 1,
        (str(key[0]), str(key[1])) if key else None,
    )  # fmt: skip
    edges = [
        LinkJobEdge(cursor=encode_cursor(digest, [job.started_at, job.job_id]), node=LinkJobInfo.of(job))
        for job in jobs[:first]
    ]
    return LinkJobConnection(
        edges=edges,
        page_info=page_info(edges, len(jobs) > first),
    )


async def resolved_person(root: Node, info: Info) -> ResolvedPerson:
    """The resolved person this record belongs to: its linked records and their source records."""
    ctx = info.context
    found = await asyncio.to_thread(
        decisions.resolved_person, ctx.principal, ctx.driver, ctx.settings.neo4j_database, root.graph.uid
    )
    persons = await load_nodes(ctx, [NodeKey("Person", uid) for uid in found.persons])
    sources = await load_sources(ctx, found.source_keys)
    link_ids = [to_link_id(uid) for uid in found.links]
    ctx.returned(*link_ids)
    return ResolvedPerson(
        persons=[as_node(ctx, p) for p in persons if p is not None],
        source_records=[as_node(ctx, s) for s in sources],
        link_ids=[strawberry.ID(i) for i in link_ids],
    )


@strawberry.type
class LinkingQuery:
    link_suggestions: LinkSuggestionConnection = strawberry.field(
        resolver=link_suggestions, description=link_suggestions.__doc__
    )
    link_jobs: LinkJobConnection = strawberry.field(
        resolver=link_jobs_field, description=link_jobs_field.__doc__
    )


@strawberry.type
class LinkingMutation:
    @described("Decide a proposed link: SAME joins the persons, DIFFERENT splits them for good.")
    async def decide_link(
        self, info: Info, id: strawberry.ID, decision: LinkDecision, reason: str
    ) -> LinkSuggestion:
        ctx = info.context
        uid = from_link_id(id)
        try:
            link = await asyncio.to_thread(
                decisions.decide_link, ctx.principal, ctx.driver, ctx.settings.neo4j_database,
                uid, decision.value, reason,
            )  # fmt: skip
        except LinkNotFound:
            raise LinkNotFoundError(f"no link {id} that you may read") from None
        (shown,) = await _suggestions(ctx, [link])
        if shown is None:
            raise LinkNotFoundError(f"no link {id} that you may read")
        return shown

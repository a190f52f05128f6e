"""What an investigator narrows a search to (entity types, forces, systems, dates, grading) and facets.

Filters are applied as a ``post_filter``, so each facet can count what the other filters leave:
the "force" facet shows every force the other filters allow, not only the one already chosen. The
access policy is never a post filter: it is in the query itself, under every aggregation.

Forces and systems are those of the records the principal may read behind a node, never the labels
of its owner or the systems of other forces' records (a phone shared by many forces would otherwise
tell a reader that another force's intelligence system holds it): the force filter and facet test
the node's readable ``access`` tokens, the system filter and facet its ``system_access`` tags under
readable tokens. A system facet counts, for each system, the most nodes one readable record
labelling holds it under: a lower bound when records of several forces put one node in one system.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from polegraph.errors import PolegraphError
from polegraph.schema import load_ontology
from polegraph.security.policy import (
    TOKEN_SEP,
    Principal,
    es_readable_tag_pattern,
    es_system_tags,
    force_tokens,
)

Clause = dict[str, Any]

FACETS: Mapping[str, str] = {"label": "labels", "force": "access", "source_system": "system_access"}
"""Facet name -> index field; the facet on ``label`` counts abstract labels (Event, Object) too."""
FACET_SIZE = 50


class SearchError(PolegraphError):
    """A search that cannot be run as asked (a bad filter, a page too large, an expired cursor)."""


@dataclass(frozen=True)
class SearchFilter:
    """Narrowing of a search; empty fields do not filter. Values are exact codes as stored."""

    labels: tuple[str, ...] = ()  # entity types: Person, Crime, Event, Object ...
    forces: tuple[str, ...] = ()
    source_systems: tuple[str, ...] = ()
    period_from: dt.date | dt.datetime | None = None  # events whose period overlaps the range
    period_to: dt.date | dt.datetime | None = None
    crime_types: tuple[str, ...] = ()  # as recorded, compared without regard to case
    source_evaluations: tuple[str, ...] = ()  # 3x5x2 source evaluation: 1, 2, 3
    intelligence_assessments: tuple[str, ...] = ()  # 3x5x2 intelligence assessment: A-E

    def __post_init__(self) -> None:
        ontology = load_ontology()
        unknown = [label for label in self.labels if not ontology.is_label(label)]
        if unknown:
            raise SearchError(
                f"unknown entity type(s) {', '.join(map(repr, unknown))}",
                hint="use the labels of the POLE ontology: Person, Crime, Phone, Vehicle, Event ...",
            )
        if self.period_from and self.period_to and _iso(self.period_from) > _iso(self.period_to):
            raise SearchError("the period ends before it starts")

    def key(self) -> list[Any]:
        """A JSON-able form that identifies the filter (cursors are bound to it)."""
        return [
            sorted(self.labels), sorted(self.forces), sorted(self.source_systems),
            _iso(self.period_from) if self.period_from else None,
            _iso(self.period_to) if self.period_to else None,
            sorted(self.crime_types), sorted(self.source_evaluations), sorted(self.intelligence_assessments),
        ]  # fmt: skip


def _iso(value: dt.date | dt.datetime) -> str:
    return value.isoformat()


def filter_clauses(
    filters: SearchFilter, principal: Principal, *, skip: str | None = None, restricted: bool = False
) -> list[Clause]:
    """The ES filter clauses of ``filters`` for ``principal``; ``skip`` leaves out one facet's own filter.

    ``restricted``: clauses for counting documents the principal may not read, whose forces are
    those of their records within clearance (``access_forces``), as the counts are given by force. A
    system filter matches no such document: their systems are not the principal's to know.
    """
    clauses: list[Clause] = []
    if filters.labels and skip != "label":
        clauses.append({"terms": {FACETS["label"]: sorted(filters.labels)}})
    if filters.forces and skip != "force":
        if restricted:
            cleared = [
                f"{f}{TOKEN_SEP}{c}" for f in sorted(filters.forces) for c in principal.classifications
            ]
            clauses.append({"terms": {"access_forces": cleared}})
        else:
            clauses.append({"terms": {FACETS["force"]: force_tokens(principal, filters.forces)}})
    if filters.source_systems and skip != "source_system":
        clauses.append(
            {"terms": {FACETS["source_system"]: es_system_tags(principal, filters.source_systems)}}
        )
    if filters.period_from or filters.period_to:
        bounds = {"relation": "intersects"}
        if filters.period_from:
            bounds["gte"] = _iso(filters.period_from)
        if filters.period_to:
            bounds["lte"] = _iso(filters.period_to)
        clauses.append({"range": {"period": bounds}})
    if filters.crime_types:
        clauses.append(_any_term_ignoring_case("crime_type", filters.crime_types))
    if filters.source_evaluations:
        clauses.append({"terms": {"source_evaluation": sorted(filters.source_evaluations)}})
    if filters.intelligence_assessments:
        upper = sorted({v.upper() for v in filters.intelligence_assessments})
        clauses.append({"terms": {"intelligence_assessment": upper}})
    return clauses


def _any_term_ignoring_case(field_name: str, values: tuple[str, ...]) -> Clause:
    terms = [{"term": {field_name: {"value": v, "case_insensitive": True}}} for v in sorted(values)]
    return {"bool": {"should": terms, "minimum_should_match": 1}}


def post_filter(filters: SearchFilter, principal: Principal) -> Clause | None:
    clauses = filter_clauses(filters, principal)
    return {"bool": {"filter": clauses}} if clauses else None


def _facet_aggregation(facet: str, principal: Principal) -> dict[str, Any]:
    if facet == "force":
        # One bucket per readable force: a node of two readable records of a force counts once.
        tokens = {force: force_tokens(principal, [force]) for force in sorted(principal.readable_forces)}
        return {"filters": {"filters": {force: {"terms": {"access": t}} for force, t in tokens.items()}}}
    if facet == "source_system":
        # A system comes once per readable labelling of its records: room for a few each.
        include = es_readable_tag_pattern(principal)
        return {"terms": {"field": FACETS[facet], "size": FACET_SIZE * 4, "include": include}}
    return {"terms": {"field": FACETS[facet], "size": FACET_SIZE}}


def facet_aggregations(filters: SearchFilter, principal: Principal) -> dict[str, Any]:
    """One aggregation per facet, each under the filters of the other facets."""
    aggs: dict[str, Any] = {}
    for facet in FACETS:
        values = _facet_aggregation(facet, principal)
        others = filter_clauses(filters, principal, skip=facet)
        if others:
            aggs[facet] = {"filter": {"bool": {"filter": others}}, "aggs": {"values": values}}
        else:
            aggs[facet] = values
    return aggs


def read_facets(aggregations: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Facet name -> value -> count, from the response of ``facet_aggregations``.

    Systems come tagged with a readable record's token (``TOKEN|SYSTEM``): each system keeps the
    largest count of its tags (see the module docstring).
    """
    facets: dict[str, dict[str, int]] = {}
    for facet in FACETS:
        agg = aggregations.get(facet, {})
        buckets = agg.get("values", agg).get("buckets", [])
        if isinstance(buckets, Mapping):  # a ``filters`` aggregation: buckets by name
            counts = {str(k): int(b["doc_count"]) for k, b in buckets.items() if b["doc_count"]}
        elif facet == "source_system":
            counts = {}
            for bucket in buckets:
                system = str(bucket["key"]).rsplit(TOKEN_SEP, 1)[1]
                counts[system] = max(counts.get(system, 0), int(bucket["doc_count"]))
        else:
            counts = {str(b["key"]): int(b["doc_count"]) for b in buckets}
        facets[facet] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_SIZE])
    return facets

"""What an investigator narrows a search to (entity types, forces, systems, dates, grading) and facets.

Filters are applied as a ``post_filter``, so each facet can count what the other filters leave:
the "force" facet shows every force the other filters allow, not only the one already chosen. The
access policy is never a post filter: it is in the query itself, under every aggregation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from polegraph.errors import PolegraphError
from polegraph.schema import load_ontology

Clause = dict[str, Any]

FACETS: Mapping[str, str] = {"label": "labels", "force": "force", "source_system": "source_systems"}
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


def filter_clauses(filters: SearchFilter, *, skip: str | None = None) -> list[Clause]:
    """The ES filter clauses of ``filters``; ``skip`` leaves out one facet's own filter."""
    clauses: list[Clause] = []
    for facet, values in (
        ("label", filters.labels), ("force", filters.forces), ("source_system", filters.source_systems),
    ):  # fmt: skip
        if values and facet != skip:
            clauses.append({"terms": {FACETS[facet]: sorted(values)}})
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


def post_filter(filters: SearchFilter) -> Clause | None:
    clauses = filter_clauses(filters)
    return {"bool": {"filter": clauses}} if clauses else None


def facet_aggregations(filters: SearchFilter) -> dict[str, Any]:
    """One aggregation per facet, each under the filters of the other facets."""
    aggs: dict[str, Any] = {}
    for facet, field_name in FACETS.items():
        terms = {"terms": {"field": field_name, "size": FACET_SIZE}}
        others = filter_clauses(filters, skip=facet)
        if others:
            aggs[facet] = {"filter": {"bool": {"filter": others}}, "aggs": {"values": terms}}
        else:
            aggs[facet] = terms
    return aggs


def read_facets(aggregations: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Facet name -> value -> count, from the response of ``facet_aggregations``."""
    facets: dict[str, dict[str, int]] = {}
    for facet in FACETS:
        agg = aggregations.get(facet, {})
        buckets = agg.get("values", agg).get("buckets", [])
        facets[facet] = {str(b["key"]): int(b["doc_count"]) for b in buckets}
    return facets

"""What a search returns: hits with their reasons, facets, restricted-hit counts and the next cursor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from polegraph.schema import load_ontology
from polegraph.schema.elasticsearch import search_field
from polegraph.search.clauses import QueryPlan
from polegraph.search.explain import as_list, explain, hit_title
from polegraph.search.parse import ParsedQuery
from polegraph.security.policy import TOKEN_SEP, readable_systems, shown_labels

# Fields of the index document that are machinery, not the record: never handed out (the access
# tokens name the records of other forces behind a shared node).
HIDDEN_FIELDS = (
    "embedding", "embedding_hash", "name_keys", "source_keys", "load_ids", "updated_at",
    "access", "access_class", "access_forces", "system_access", "prop_access",
)  # fmt: skip
# What a search asks Elasticsearch for: all but the vector and the provenance lists.
SOURCE_EXCLUDES = ["embedding", "embedding_hash", "source_keys", "load_ids", "updated_at"]
HIGHLIGHT: Mapping[str, Any] = {
    "encoder": "html",  # the record's text is escaped; only the <em> tags are markup
    "pre_tags": ["<em>"],
    "post_tags": ["</em>"],
    "fragment_size": 160,
    "number_of_fragments": 3,
    "fields": {
        name: {}
        for name in ("text", "text_translated", "address", "name", "identifiers", "phones", "vrms", "emails")
    },
}


@dataclass(frozen=True, slots=True)
class Hit:
    """One record the principal may read, with why it matched."""

    uid: str
    label: str
    force: str
    title: str
    score: float  # the ranking score: BM25 (lexical), reciprocal rank fusion (hybrid), cosine (similar)
    explanations: tuple[str, ...]
    highlights: Mapping[str, tuple[str, ...]]
    source_systems: tuple[str, ...]
    record: Mapping[str, Any]  # the record's indexed fields (security labels included)


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of a search."""

    hits: tuple[Hit, ...]
    total: int  # records the principal may read that match (a lower bound when not ``total_exact``)
    total_exact: bool
    facets: Mapping[str, Mapping[str, int]]  # facet -> value -> count: label, force, source_system
    restricted: Mapping[str, int]  # owning force -> matching records the principal may not read
    next_cursor: str | None
    mode: str  # lexical | hybrid | similar
    parsed: ParsedQuery | None = None
    elapsed_ms: float = 0.0
    notes: tuple[str, ...] = field(default=())

    @property
    def restricted_total(self) -> int:
        return sum(self.restricted.values())


def _unreadable_fields(source: Mapping[str, Any], readable: frozenset[str]) -> set[str]:
    """Index fields of single values a record the principal may not read gave (``prop_access``)."""
    onto = load_ontology()
    label = str(source.get("label", ""))
    if not onto.is_label(label):
        return set()
    entity = onto.entity(label)
    fields: set[str] = set()
    for entry in as_list(source.get("prop_access")):
        name, _, token = str(entry).partition(TOKEN_SEP)
        spec = entity.get(name)
        if token in readable or spec is None:
            continue
        fields.add(search_field(spec) or name)
        if name in (entity.geo or ()):
            fields.add("location")
        if name in (entity.period or ()):
            fields.add("period")
    return fields


def build_hit(
    raw: Mapping[str, Any],
    plan: QueryPlan | None,
    score: float,
    *,
    matched: list[str] | None = None,
    similarity: float | None = None,
    reasons: tuple[str, ...] = (),
    readable: frozenset[str],
) -> Hit:
    """A ``Hit`` from an Elasticsearch hit (``_source``, ``highlight``, ``matched_queries``).

    ``readable`` is the principal's set of access tokens: a shared node shows the labels of a record
    the principal may read (``shown_labels``), the systems of the records it may read, and no
    single value another record gave that it may not read (``prop_access``).
    """
    source = dict(raw.get("_source", {}))
    unreadable = _unreadable_fields(source, readable)
    source = {k: v for k, v in source.items() if k not in unreadable}
    access = [str(t) for t in as_list(source.get("access")) if t in readable]
    source = shown_labels(source, access)
    highlight = {k: tuple(v) for k, v in raw.get("highlight", {}).items()}
    lines = reasons
    if plan is not None:
        names = matched if matched is not None else list(raw.get("matched_queries", []))
        lines = explain(plan, names, source, highlight, similarity) + reasons
    elif similarity is not None:
        lines = (f"similar in meaning (cosine {similarity:.2f})", *reasons)
    record = {k: v for k, v in source.items() if k not in HIDDEN_FIELDS}
    return Hit(
        uid=str(source.get("uid", raw.get("_id"))),
        label=str(source.get("label", "")),
        force=str(source.get("force", "")),
        title=hit_title(source),
        score=float(score),
        explanations=lines,
        highlights=highlight,
        source_systems=tuple(readable_systems(as_list(source.get("system_access")), readable)),
        record=record,
    )


def restricted_counts(*aggregations: Mapping[str, Any] | None) -> dict[str, int]:
    """Per-force counts from one or more ``by_force`` aggregations, the largest for each force.

    A bucket is a force and the lowest classification of its records behind a document
    (``FORCE|CLASS``, one per force in a document): a force's count is the sum of its buckets.
    Lexical and semantic matches are counted separately and may overlap, so the larger of the two is
    taken: a lower bound of the records held, never more than there are.
    """
    counts: dict[str, int] = {}
    for aggs in aggregations:
        found: dict[str, int] = {}
        for bucket in (aggs or {}).get("by_force", {}).get("buckets", []):
            force = str(bucket["key"]).split(TOKEN_SEP, 1)[0]
            found[force] = found.get(force, 0) + int(bucket["doc_count"])
        for force, count in found.items():
            counts[force] = max(counts.get(force, 0), count)
    return dict(sorted(counts.items()))

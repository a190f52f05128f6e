"""Bulk indexing of entity and source-record documents (``_bulk``, retried on transient errors)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from elasticsearch import Elasticsearch, helpers

from polegraph.errors import PolegraphError
from polegraph.schema import load_ontology
from polegraph.search.documents import entity_document, source_document


class IndexingError(PolegraphError):
    """Elasticsearch refused documents (a mapping conflict, a bad value)."""


@cache
def _property_order(label: str) -> dict[str, int]:
    return {name: i for i, name in enumerate(load_ontology().entity(label).properties)}


def _in_ontology_order(label: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` in the ontology's order: a document's lists (name keys, identifiers) then come out
    the same whichever way the node was read (the order of a Neo4j map is no property of the node)."""
    order = _property_order(label)
    return dict(sorted(props.items(), key=lambda item: order.get(item[0], len(order))))


def bulk_index(client: Elasticsearch, index: str, docs: Iterable[tuple[str, dict[str, Any]]]) -> int:
    """Index ``(id, document)`` pairs; returns how many. Any refused document is an error."""
    actions = ({"_index": index, "_id": doc_id, "_source": doc} for doc_id, doc in docs)
    ok, errors = helpers.bulk(
        client.options(request_timeout=120), actions, chunk_size=2000, max_retries=5, initial_backoff=1,
        raise_on_error=False,
    )  # fmt: skip
    if errors:
        assert isinstance(errors, list)
        first = errors[0]
        raise IndexingError(
            f"Elasticsearch refused {len(errors)} document(s); first: {str(first)[:500]}",
            hint="the index mapping may be out of date: run `polegraph init`",
        )
    return ok


def index_nodes(
    client: Elasticsearch,
    nodes_by_label: Mapping[str, list[dict[str, Any]]],
    *,
    entities_index: str,
    sources_index: str,
) -> int:
    """Index nodes read back from the graph: SourceRecords to ``source_records``, the rest to ``entities``."""
    entities: list[tuple[str, dict[str, Any]]] = []
    sources: list[tuple[str, dict[str, Any]]] = []
    for label, nodes in nodes_by_label.items():
        for props in nodes:
            if label == "SourceRecord":
                sources.append((props["uid"], source_document(props)))
            else:
                doc = entity_document(label, _in_ontology_order(label, props))
                entities.append((props["uid"], {"uid": props["uid"], **doc}))
    count = 0
    if entities:
        count += bulk_index(client, entities_index, entities)
    if sources:
        count += bulk_index(client, sources_index, sources)
    return count

"""``polegraph reindex`` and ``polegraph check``: the index rebuilt from, and compared with, the graph.

Reindexing fills a fresh concrete index from Neo4j (keyset pages by uid), then moves the alias to it
in one atomic step and drops the old one: searches never see a half-built index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from elasticsearch import Elasticsearch
from neo4j import Driver

from polegraph.config import Settings
from polegraph.schema import es_indices, load_ontology
from polegraph.search.indexer import index_nodes
from polegraph.search.indices import alias_targets

PAGE = 2000


def _labels() -> list[str]:
    """Concrete node types that are indexed (entities and source records)."""
    return sorted(e.name for e in load_ontology().concrete())


def _pages(driver: Driver, database: str, label: str) -> Iterator[list[dict[str, Any]]]:
    after = ""
    query = f"MATCH (n:`{label}`) WHERE n.uid > $after RETURN properties(n) AS p ORDER BY n.uid LIMIT $n"
    while True:
        records, _, _ = driver.execute_query(query, after=after, n=PAGE, database_=database, routing_="r")
        if not records:
            return
        page = [dict(r["p"]) for r in records]
        yield page
        after = page[-1]["uid"]


def reindex(
    settings: Settings, driver: Driver, es: Elasticsearch, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Rebuild ``entities`` and ``source_records`` from the graph; returns documents per label."""
    bodies = es_indices(load_ontology(), settings.embedding_dims)
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    targets = {}
    for logical in ("entities", "source_records"):
        alias = settings.index_name(logical)
        name = f"{alias}-r{stamp}"
        es.indices.create(index=name, **bodies[logical])
        targets[logical] = (alias, name, alias_targets(es, alias))
    counts: dict[str, int] = {}
    for label in _labels():
        for page in _pages(driver, settings.neo4j_database, label):
            index_nodes(
                es, {label: page}, entities_index=targets["entities"][1],
                sources_index=targets["source_records"][1],
            )  # fmt: skip
            counts[label] = counts.get(label, 0) + len(page)
            if progress:
                progress(label, len(page))
    actions: list[dict[str, Any]] = []
    for alias, name, old in targets.values():
        es.indices.refresh(index=name)
        actions += [{"remove": {"index": o, "alias": alias}} for o in old]
        actions.append({"add": {"index": name, "alias": alias, "is_write_index": True}})
    es.indices.update_aliases(actions=actions)
    for _, _, old in targets.values():
        for name in old:
            es.indices.delete(index=name)
    return counts


@dataclass(frozen=True)
class Difference:
    label: str
    graph: int
    index: int


def check(settings: Settings, driver: Driver, es: Elasticsearch) -> list[Difference]:
    """Labels whose node count in the graph differs from their document count in the index."""
    es.indices.refresh(index=[settings.index_name("entities"), settings.index_name("source_records")])
    result = es.search(
        index=settings.index_name("entities"), size=0,
        aggs={"by_label": {"terms": {"field": "label", "size": 1000}}},
    )  # fmt: skip
    in_index = {b["key"]: b["doc_count"] for b in result["aggregations"]["by_label"]["buckets"]}
    in_index["SourceRecord"] = es.count(index=settings.index_name("source_records"))["count"]
    differences = []
    for label in _labels():
        records, _, _ = driver.execute_query(
            f"MATCH (n:`{label}`) RETURN count(n) AS n", database_=settings.neo4j_database, routing_="r"
        )
        graph = int(records[0]["n"])
        if graph != in_index.get(label, 0):
            differences.append(Difference(label, graph, in_index.get(label, 0)))
    return differences

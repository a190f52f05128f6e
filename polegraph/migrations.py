"""``polegraph init``: every migration of both engines, from ``polegraph/schema/``, and the access
tokens of a graph written before nodes and edges carried them (``graph/backfill.py``)."""

from __future__ import annotations

from polegraph.config import Settings
from polegraph.graph.backfill import backfill_access
from polegraph.graph.driver import open_driver
from polegraph.graph.migrations import apply_schema
from polegraph.schema import es_indices, load_ontology
from polegraph.search.client import open_client
from polegraph.search.indices import ensure_index


def migrate(settings: Settings) -> list[tuple[str, str, str]]:
    """Apply the Neo4j schema and create the ES indices; returns (engine, object, state) rows."""
    rows: list[tuple[str, str, str]] = []
    driver = open_driver(settings)
    try:
        applied = apply_schema(driver, settings.neo4j_database, settings.embedding_dims)
        rows += [("neo4j", name, state) for name, state in applied]
        filled = backfill_access(driver, settings.neo4j_database)
        state = "exists"  # nothing lacks them, as every state of an idempotent migration reads
        if filled.nodes or filled.edges:
            state = f"created on {filled.nodes} nodes, {filled.edges} edges: run polegraph reindex"
        rows.append(("neo4j", "access tokens", state))
    finally:
        driver.close()
    client = open_client(settings)
    try:
        for logical, body in es_indices(load_ontology(), settings.embedding_dims).items():
            st = ensure_index(client, settings, logical, body)
            rows.append(("elasticsearch", f"{st.alias} -> {st.concrete}", st.state))
    finally:
        client.close()
    return rows

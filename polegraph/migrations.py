"""``polegraph init``: every migration of both engines, from ``polegraph/schema/``."""

from __future__ import annotations

from polegraph.config import Settings
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

"""Fixtures against the real engines.

The tests run their own Neo4j and Elasticsearch (ports 7688 and 9201, state under
``<state_dir>/test``), started on first use and left running for the next run, so that a test
never touches a deployment's data on the same machine. When they cannot be started the tests fail
with the engine's own error; they never skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from elasticsearch import Elasticsearch
from neo4j import Driver

from polegraph.config import Settings
from polegraph.graph.driver import open_driver
from polegraph.graph.migrations import apply_schema
from polegraph.schema import es_indices, load_ontology
from polegraph.search.client import open_client
from polegraph.search.indices import drop_indices, ensure_index
from polegraph.stack import side_stack, stack_status, stack_up


def make_test_settings() -> Settings:
    """Settings of the test stack; POLEGRAPH_TEST_* variables override its addresses."""
    settings = side_stack(Settings(), "test", 7688, 9201)
    return settings.model_copy(
        update={
            "neo4j_uri": os.environ.get("POLEGRAPH_TEST_NEO4J_URI", settings.neo4j_uri),
            "es_hosts": os.environ.get("POLEGRAPH_TEST_ES_HOSTS", settings.es_hosts[0]).split(","),
        }
    )


@dataclass
class Engines:
    """What a test needs to talk to both engines."""

    settings: Settings
    driver: Driver
    es: Elasticsearch


@pytest.fixture(scope="session")
def settings() -> Settings:
    return make_test_settings()


@pytest.fixture(scope="session")
def stack(settings: Settings) -> Settings:
    """The test stack, started if it is not running."""
    if not all(s.healthy for s in stack_status(settings)):
        stack_up(settings)
    return settings


@pytest.fixture(scope="session")
def neo4j_driver(stack: Settings) -> Iterator[Driver]:
    driver = open_driver(stack)
    apply_schema(driver, stack.neo4j_database, stack.embedding_dims)
    yield driver
    driver.close()


@pytest.fixture(scope="session")
def es_client(stack: Settings) -> Iterator[Elasticsearch]:
    client = open_client(stack)
    yield client
    client.close()


def wipe_graph(driver: Driver, database: str) -> None:
    with driver.session(database=database) as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def empty(engines: Engines) -> None:
    """No node in the graph, fresh indices under the test prefix."""
    wipe_graph(engines.driver, engines.settings.neo4j_database)
    drop_indices(engines.es, engines.settings)
    for logical, body in es_indices(load_ontology(), engines.settings.embedding_dims).items():
        ensure_index(engines.es, engines.settings, logical, body)


@pytest.fixture
def engines(stack: Settings, neo4j_driver: Driver, es_client: Elasticsearch) -> Engines:
    """Both engines, emptied."""
    both = Engines(stack, neo4j_driver, es_client)
    empty(both)
    return both

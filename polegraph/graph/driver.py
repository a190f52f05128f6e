"""The Neo4j driver's lifecycle: one driver per process (or per app lifespan), reads routed as reads."""

from __future__ import annotations

from neo4j import Driver, GraphDatabase, NotificationDisabledCategory

from polegraph.config import Settings
from polegraph.errors import EngineUnavailable


def open_driver(settings: Settings) -> Driver:
    """A driver for ``settings.neo4j_uri`` (``bolt://`` single server, ``neo4j://`` cluster routing)."""
    password = settings.neo4j_password.get_secret_value()
    auth = (settings.neo4j_user, password) if password else None
    return GraphDatabase.driver(
        settings.neo4j_uri,
        auth=auth,
        max_connection_pool_size=50,
        connection_acquisition_timeout=settings.neo4j_tx_timeout_s,
        user_agent="polegraph",
        # Reads name optional properties (call_type, handling conditions…) that a given database
        # may never have held; the server's "unknown property key" notice for each is noise.
        notifications_disabled_categories=[NotificationDisabledCategory.UNRECOGNIZED],
    )


def server_version(driver: Driver, database: str) -> str:
    """The Neo4j version and edition the driver talks to, e.g. ``5.26.19 community``."""
    # An auto-commit query, not execute_query: a health check must not retry for half a minute.
    try:
        with driver.session(database=database, default_access_mode="READ") as session:
            record = session.run(
                "CALL dbms.components() YIELD versions, edition RETURN versions[0] AS v, edition AS e"
            ).single(strict=True)
    except Exception as exc:
        raise EngineUnavailable(f"Neo4j did not answer: {exc}") from exc
    return f"{record['v']} {record['e']}"

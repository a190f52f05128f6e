"""Neo4j migrations: the constraints and indexes generated from the ontology, applied idempotently."""

from __future__ import annotations

from neo4j import Driver

from polegraph.schema import load_ontology, neo4j_statements

# Operational nodes outside the POLE ontology: the load journal, linking jobs and link decisions;
# saved queries, their alerts and the user directory (polegraph.queries, polegraph.security.directory).
OPERATIONAL_STATEMENTS = [
    "CREATE CONSTRAINT load_journal_id_unique IF NOT EXISTS FOR (j:LoadJournal) REQUIRE j.load_id IS UNIQUE",
    "CREATE CONSTRAINT link_job_id_unique IF NOT EXISTS FOR (j:LinkJob) REQUIRE j.job_id IS UNIQUE",
    "CREATE INDEX link_decision_link_idx IF NOT EXISTS FOR (d:LinkDecision) ON (d.link_id)",
    "CREATE CONSTRAINT saved_query_id_unique IF NOT EXISTS FOR (q:SavedQuery) REQUIRE q.id IS UNIQUE",
    "CREATE INDEX saved_query_next_run_idx IF NOT EXISTS FOR (q:SavedQuery) ON (q.next_run_at)",
    "CREATE CONSTRAINT alert_id_unique IF NOT EXISTS FOR (a:Alert) REQUIRE a.id IS UNIQUE",
    "CREATE INDEX alert_created_idx IF NOT EXISTS FOR (a:Alert) ON (a.created_at)",
    "CREATE CONSTRAINT directory_user_unique IF NOT EXISTS FOR (u:DirectoryUser) REQUIRE u.user IS UNIQUE",
]


def schema_names(driver: Driver, database: str) -> set[str]:
    """Names of the constraints and indexes that exist now."""
    names: set[str] = set()
    for show in ("SHOW CONSTRAINTS YIELD name", "SHOW INDEXES YIELD name"):
        records, _, _ = driver.execute_query(show, database_=database)
        names.update(r["name"] for r in records)
    return names


def apply_schema(driver: Driver, database: str, embedding_dims: int = 384) -> list[tuple[str, str]]:
    """Run every generated statement (each ``IF NOT EXISTS``); returns (name, created|exists)."""
    before = schema_names(driver, database)
    for statement in [
        *neo4j_statements(load_ontology(), embedding_dims=embedding_dims),
        *OPERATIONAL_STATEMENTS,
    ]:
        driver.execute_query(statement, database_=database)
    # Vector and fulltext indexes populate in the background; later writes must not race them.
    driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
    after = schema_names(driver, database)
    return [(name, "exists" if name in before else "created") for name in sorted(after)]

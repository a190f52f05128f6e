"""One idempotent migration: access tokens for a graph written before nodes and edges carried them.

The access policy reads ``access`` (``polegraph.security.policy``); a node or edge without it is
unreadable, so a graph loaded before then must be given it once. The records behind each node are
known: a node links to every SourceRecord that asserts it (``FROM_SOURCE``) and an edge lists their
keys (``source_keys``); each SourceRecord holds its record's labels. So a shared node gets the tokens
of all its records, its owner's (its own labels) first, as the writer would have written them. Its
raw values cannot be told apart by record any more: a node of one token keeps them under it, and a
node of several shows them to nobody (``raw_access`` empty: any guess could show one force another's
raw form) until its records are loaded again.

Links between persons (``POSSIBLE_SAME_AS``, ``SAME_AS``, ``NOT_SAME_AS``) carry the labels the
linker derived from both ends: they get that one token, as the linker writes it.

Only POLE nodes, SourceRecords and labelled edges are given tokens (a load journal's force is no
security label), and only those that lack ``access``, in transactions of ``BATCH`` rows: running it
again changes nothing. The index documents are built from the nodes, so ``polegraph reindex`` follows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from neo4j import Driver

from polegraph.security.policy import HANDLING_CODES, UNLABELLED_AS

BATCH = 10_000
LINK_TYPES = ("POSSIBLE_SAME_AS", "SAME_AS", "NOT_SAME_AS")


def _token(var: str) -> str:
    # As ``policy.access_token``: an unlabelled classification reads as UNLABELLED_AS, no code as P.
    return (
        f"{var}.force + '|' + coalesce({var}.classification, '{UNLABELLED_AS}') + '|' "
        f"+ coalesce({var}.handling_code, '{HANDLING_CODES[0]}')"
    )


def _distinct(tokens: str) -> str:
    """``tokens`` without repeats, in order (the owner's first)."""
    return f"reduce(acc = [], t IN {tokens} | CASE WHEN t IN acc THEN acc ELSE acc + t END)"


_NODES = (
    "MATCH (n) WHERE (n:Entity OR n:SourceRecord) AND n.access IS NULL AND n.force IS NOT NULL "
    "CALL (n) { "
    f"WITH n, [{_token('n')}] + COLLECT {{ MATCH (n)-[:FROM_SOURCE]->(s:SourceRecord) "
    f"WHERE s.force IS NOT NULL RETURN {_token('s')} }} AS found "
    f"WITH n, {_distinct('found')} AS tokens "
    "SET n.access = tokens, "
    "n.raw_access = CASE WHEN n.raw_values IS NULL THEN n.raw_access "
    "WHEN size(tokens) > 1 THEN [] ELSE [x IN n.raw_values | tokens[0] + '|' + x] END "
    f"}} IN TRANSACTIONS OF {BATCH} ROWS "
    "RETURN count(n) AS n"
)

# The systems behind a node, each tagged with its record's token (``system_access``, as the writer
# keeps them): read from the node's SourceRecords, for nodes written before the tags existed.
_SYSTEMS = (
    "MATCH (n:Entity) WHERE n.system_access IS NULL AND n.access IS NOT NULL "
    "CALL (n) { "
    "WITH n, COLLECT { MATCH (n)-[:FROM_SOURCE]->(s:SourceRecord) "
    f"WHERE s.force IS NOT NULL AND s.system IS NOT NULL RETURN DISTINCT {_token('s')} + '|' + s.system "
    "} AS tags SET n.system_access = tags "
    f"}} IN TRANSACTIONS OF {BATCH} ROWS "
    "RETURN count(n) AS n"
)

_EDGES = (
    "MATCH ()-[e]->() WHERE e.access IS NULL AND e.force IS NOT NULL "
    "CALL (e) { "
    f"WITH e, [{_token('e')}] + CASE WHEN type(e) IN $links THEN [] ELSE COLLECT {{ "
    "UNWIND coalesce(e.source_keys, []) AS key MATCH (s:SourceRecord {uid: key}) "
    f"WHERE s.force IS NOT NULL RETURN {_token('s')} }} END AS tokens "
    f"SET e.access = {_distinct('tokens')} "
    f"}} IN TRANSACTIONS OF {BATCH} ROWS "
    "RETURN count(e) AS n"
)


@dataclass(frozen=True)
class Backfilled:
    nodes: int
    edges: int


def backfill_access(driver: Driver, database: str) -> Backfilled:
    """Give ``access`` (and ``raw_access``) to every labelled node and edge that lacks it, and
    ``system_access`` to every node that lacks it."""
    counts = []
    for query in (_NODES, _EDGES, _SYSTEMS):
        # CALL { } IN TRANSACTIONS commits as it goes: it must run in an auto-commit transaction.
        with driver.session(database=database) as session:
            record = session.run(query, links=list(LINK_TYPES)).single(strict=True)
            counts.append(int(record["n"]))
    return Backfilled(*counts[:2])

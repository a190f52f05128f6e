"""The linker's reads and writes in Neo4j: persons in pages, links with their security labels.

A linking job is a batch process run by the force's engineer, not a request: it reads every
nominal of the forces it links. What it writes carries security labels derived from both ends,
and every read of links for a person (``decisions.py``) goes through the access policy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

from neo4j import Driver

from polegraph.linking.features import PersonRecord
from polegraph.security.policy import CLASSIFICATIONS, UNLABELLED_AS, access_token

PAGE = 5000

ACCEPTED, REVIEW = "ACCEPTED", "REVIEW"

_PERSONS = """
MATCH (p:Person)
WHERE p.uid > $after AND ($forces IS NULL OR p.force IN $forces)
WITH p ORDER BY p.uid LIMIT $page
RETURN p.uid AS uid, coalesce(p.source_keys[0], p.uid) AS source_key, p.force AS force,
       p.full_name AS full_name, p.forenames AS forenames, p.surname AS surname, p.dob AS dob,
       p.sex AS sex, p.pnc_id AS pnc_id, p.cro AS cro, p.nino AS nino,
       p.link_job_id IS NULL AS new,
       [(p)-[:HAS_PHONE]->(x:Phone) | x.e164] AS phones,
       [(p)-[:HAS_EMAIL]->(x:Email) | x.email] AS emails,
       [(p)-[:LIVES_AT|ASSOCIATED_WITH]->(x:Location) WHERE x.postcode IS NOT NULL | x.postcode] AS postcodes,
       {classification: p.classification, caveat: p.caveat, handling_code: p.handling_code,
        handling_conditions: p.handling_conditions} AS labels
"""


def read_persons(
    driver: Driver, database: str, forces: Sequence[str] | None
) -> Iterator[tuple[PersonRecord, dict[str, Any]]]:
    """Every Person of ``forces`` (all when None) in uid order, a page at a time, with its labels."""
    after = ""
    while True:
        records, _, _ = driver.execute_query(
            _PERSONS, after=after, forces=list(forces) if forces else None, page=PAGE,
            database_=database, routing_="r",
        )  # fmt: skip
        if not records:
            return
        for record in records:
            row = dict(record)
            labels = row.pop("labels")
            yield PersonRecord(**row), labels
        after = records[-1]["uid"]


def _rank(labels: dict[str, Any]) -> tuple[int, int]:
    classification = labels.get("classification") or UNLABELLED_AS
    return (1 if labels.get("handling_code") == "C" else 0, CLASSIFICATIONS.index(classification))


def link_labels(
    force_a: str, labels_a: dict[str, Any], force_b: str, labels_b: dict[str, Any]
) -> dict[str, Any]:
    """Security labels of a link between two nominals: the more restrictive of each label.

    The highest classification, handling code C when either end has it (with both ends'
    conditions), and as owning force the force of the more restrictive end, so that the one policy
    predicate applied to the link is never looser than the predicate applied to its ends. Its
    ``access`` is the one token of those labels (a link is one assertion, the linker's).
    """
    ranked = sorted([(force_a, labels_a), (force_b, labels_b)], key=lambda end: _rank(end[1]), reverse=True)
    force = ranked[0][0]
    classification = max(
        (labels.get("classification") or UNLABELLED_AS for _, labels in ranked), key=CLASSIFICATIONS.index
    )
    codes = {labels.get("handling_code") for _, labels in ranked}
    conditions = [str(c) for _, labels in ranked if (c := labels.get("handling_conditions"))]
    caveats = [str(c) for _, labels in ranked if (c := labels.get("caveat"))]
    handling_code = next((code for code in ("C", "P") if code in codes), None)
    return {
        "force": force,
        "forces": sorted({force_a, force_b}),
        "classification": classification,
        "caveat": caveats[0] if caveats else None,
        "handling_code": handling_code,
        "handling_conditions": " / ".join(dict.fromkeys(conditions)) or None,
        "access": [access_token(force, classification, handling_code)],
    }


def link_uid(uid_a: str, uid_b: str) -> str:
    """The stable id of the link between two nominals, whichever job proposes it."""
    a, b = sorted((uid_a, uid_b))
    return "link:" + hashlib.sha256(f"{a}\x1f{b}".encode()).hexdigest()[:24]


# A pair an analyst decided DIFFERENT is never proposed again; a decision on a pair is kept when
# a later job re-scores it. `resolved` marks the links that join a resolved person.
_WRITE_LINKS = """
UNWIND $rows AS r
MATCH (a:Person {uid: r.a}) MATCH (b:Person {uid: r.b})
WHERE NOT (a)-[:NOT_SAME_AS]-(b)
MERGE (a)-[e:POSSIBLE_SAME_AS {uid: r.uid}]->(b)
SET e += r.labels, e.probability = r.probability, e.match_weight = r.match_weight,
    e.explanation = r.explanation, e.band = r.band, e.job_id = $job_id, e.model_version = $model_version,
    e.source_keys = coalesce(a.source_keys, []) + coalesce(b.source_keys, []),
    e.created_at = coalesce(e.created_at, datetime()), e.updated_at = datetime(),
    e.resolved = coalesce(e.decision, '') = 'SAME' OR (r.band = 'ACCEPTED' AND e.decision IS NULL)
RETURN count(e) AS written
"""


def write_links(
    driver: Driver, database: str, rows: list[dict[str, Any]], job_id: str, model_version: str
) -> int:
    """Write one batch of scored pairs: a, b, probability, match_weight, band, explanation, labels."""
    for row in rows:
        row["uid"] = link_uid(row["a"], row["b"])
        if not isinstance(row["explanation"], str):
            row["explanation"] = json.dumps(row["explanation"], sort_keys=True)
    records, _, _ = driver.execute_query(
        _WRITE_LINKS, rows=rows, job_id=job_id, model_version=model_version, database_=database
    )
    return int(records[0]["written"])


def mark_linked(driver: Driver, database: str, uids: list[str], job_id: str) -> None:
    """Record that these persons have been compared, so an incremental run treats them as known."""
    driver.execute_query(
        "UNWIND $uids AS uid MATCH (p:Person {uid: uid}) SET p.link_job_id = $job",
        uids=uids, job=job_id, database_=database,
    )  # fmt: skip


def drop_stale_links(driver: Driver, database: str, job_id: str, forces: Sequence[str] | None) -> int:
    """After a full run: undecided links between its persons that this run no longer proposes."""
    records, _, _ = driver.execute_query(
        "MATCH (a:Person)-[e:POSSIBLE_SAME_AS]->(b:Person) "
        "WHERE e.job_id <> $job AND e.decision IS NULL "
        "AND ($forces IS NULL OR (a.force IN $forces AND b.force IN $forces)) "
        "DELETE e RETURN count(*) AS n",
        job=job_id, forces=list(forces) if forces else None, database_=database,
    )  # fmt: skip
    return int(records[0]["n"])


def resolved_links(driver: Driver, database: str, forces: Sequence[str] | None) -> list[tuple[str, str]]:
    """The pairs of persons (of ``forces``; all when None or empty) that links join as resolved."""
    records, _, _ = driver.execute_query(
        "MATCH (a:Person)-[e:POSSIBLE_SAME_AS]->(b:Person) WHERE e.resolved "
        "AND ($forces IS NULL OR (a.force IN $forces AND b.force IN $forces)) RETURN a.uid AS a, b.uid AS b",
        forces=list(forces) if forces else None, database_=database, routing_="r",
    )  # fmt: skip
    return [(str(r["a"]), str(r["b"])) for r in records]


def decided_pairs(driver: Driver, database: str) -> dict[str, list[tuple[str, str]]]:
    """Analysts' decisions as labelled pairs: SAME and DIFFERENT, for training and filtering."""
    records, _, _ = driver.execute_query(
        "MATCH (a:Person)-[e:SAME_AS|NOT_SAME_AS]->(b:Person) RETURN type(e) AS t, a.uid AS a, b.uid AS b",
        database_=database, routing_="r",
    )  # fmt: skip
    pairs: dict[str, list[tuple[str, str]]] = {"SAME": [], "DIFFERENT": []}
    for record in records:
        key = "SAME" if record["t"] == "SAME_AS" else "DIFFERENT"
        a, b = sorted((record["a"], record["b"]))
        pairs[key].append((a, b))
    return pairs

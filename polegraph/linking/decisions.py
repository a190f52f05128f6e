"""What analysts see and decide: link suggestions, decisions, resolved persons.

Every function takes the principal. A link exists for a principal only when it may read the link
(its labels are the stricter of its two ends) and both persons it joins; the others are not
counted, listed or decidable. Decisions are kept as ``LinkDecision`` nodes (who, when, why,
what), never overwritten; the current one is on the link and as a ``SAME_AS`` or ``NOT_SAME_AS``
edge, which later jobs read: a pair decided DIFFERENT is never proposed again, SAME pairs train
the model.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Literal

from neo4j import Driver, ManagedTransaction

from polegraph.errors import PolegraphError
from polegraph.security.policy import Principal, cypher_predicate

Decision = Literal["SAME", "DIFFERENT", "UNSURE"]
DECISIONS = ("SAME", "DIFFERENT", "UNSURE")
DECIDE_ROLES = ("analyst", "intelligence_unit", "supervisor")
MAX_PAGE = 200


class LinkNotFound(PolegraphError):
    """No link with that id that this principal may read."""


class PersonNotFound(PolegraphError):
    """No person with that uid that this principal may read."""


@dataclass(frozen=True)
class Link:
    """A proposed link as an analyst sees it."""

    link_id: str
    person_a: str
    person_b: str
    force_a: str
    force_b: str
    probability: float
    match_weight: float
    band: str
    explanation: dict[str, Any]
    job_id: str
    model_version: str | None
    decision: str | None
    decided_by: str | None
    reason: str | None


@dataclass(frozen=True)
class LinkFilter:
    """Which suggestions: a band (ACCEPTED, REVIEW or both), undecided only, one job, a minimum."""

    band: str | None = "REVIEW"
    undecided_only: bool = True
    job_id: str | None = None
    min_probability: float = 0.0


@dataclass(frozen=True)
class LinkPage:
    """One page of suggestions, best first, and the cursor of its last item."""

    links: list[Link]
    end_cursor: str | None
    has_next_page: bool


def _readable(principal: Principal) -> tuple[str, dict[str, Any]]:
    """The link ``e`` and both its ends ``a`` and ``b`` readable by the principal."""
    parts = [cypher_predicate(principal, var) for var in ("a", "b", "e")]
    return " AND ".join(p for p, _ in parts), parts[0][1]


_LINK_FIELDS = (
    "e.uid AS link_id, a.uid AS person_a, b.uid AS person_b, a.force AS force_a, b.force AS force_b, "
    "e.probability AS probability, e.match_weight AS match_weight, e.band AS band, "
    "e.explanation AS explanation, e.job_id AS job_id, e.model_version AS model_version, "
    "e.decision AS decision, e.decided_by AS decided_by, e.reason AS reason"
)


def _link(record: Any) -> Link:
    row = dict(record)
    row["explanation"] = json.loads(row["explanation"]) if row["explanation"] else {}
    return Link(**row)


def link_cursor(link: Link) -> str:
    """The ``after`` that resumes the suggestions just after ``link``."""
    return base64.urlsafe_b64encode(json.dumps([link.probability, link.link_id]).encode()).decode()


def _after(cursor: str | None) -> tuple[float, str]:
    if cursor is None:
        return 2.0, ""
    try:
        probability, link_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return float(probability), str(link_id)
    except (ValueError, TypeError) as exc:
        raise PolegraphError("not a link cursor", hint="pass the end_cursor of the previous page") from exc


def link_suggestions(
    principal: Principal, driver: Driver, database: str, filter: LinkFilter = LinkFilter(),
    first: int = 50, after: str | None = None,
) -> LinkPage:  # fmt: skip
    """Links for review, highest probability first, in keyset pages (``after`` a page's end cursor)."""
    principal.require(*DECIDE_ROLES)
    if not 1 <= first <= MAX_PAGE:
        raise PolegraphError(f"first must be 1 to {MAX_PAGE}, not {first}")
    readable, params = _readable(principal)
    probability, link_id = _after(after)
    records, _, _ = driver.execute_query(
        f"MATCH (a:Person)-[e:POSSIBLE_SAME_AS]->(b:Person) WHERE {readable} "
        "AND ($band IS NULL OR e.band = $band) AND (NOT $undecided OR e.decision IS NULL) "
        "AND ($job IS NULL OR e.job_id = $job) AND e.probability >= $min "
        "AND (e.probability < $p OR (e.probability = $p AND e.uid > $id)) "
        f"RETURN {_LINK_FIELDS} ORDER BY e.probability DESC, e.uid LIMIT $limit",
        params, band=filter.band, undecided=filter.undecided_only, job=filter.job_id,
        min=filter.min_probability, p=probability, id=link_id, limit=first + 1,
        database_=database, routing_="r",
    )  # fmt: skip
    links = [_link(r) for r in records[:first]]
    return LinkPage(links, link_cursor(links[-1]) if links else None, len(records) > first)


_DECIDE = """
MATCH (a:Person)-[e:POSSIBLE_SAME_AS {uid: $link}]->(b:Person) WHERE {readable}
OPTIONAL MATCH (a)-[old:SAME_AS|NOT_SAME_AS]-(b)
DELETE old
WITH a, b, e
SET e.decision = $decision, e.decided_by = $user, e.decided_at = datetime(), e.reason = $reason,
    e.resolved = $decision = 'SAME' OR ($decision = 'UNSURE' AND e.band = 'ACCEPTED')
CREATE (d:LinkDecision {link_id: e.uid, person_a: a.uid, person_b: b.uid, decision: $decision,
        decided_by: $user, decided_at: datetime(), reason: $reason, job_id: e.job_id,
        probability: e.probability, force: e.force, classification: e.classification,
        handling_code: e.handling_code, access: e.access})
WITH a, b, e
CALL (a, b, e) {
  WITH a, b, e WHERE $decision = 'SAME'
  CREATE (a)-[s:SAME_AS]->(b)
  SET s = properties(e), s.uid = e.uid
}
CALL (a, b, e) {
  WITH a, b, e WHERE $decision = 'DIFFERENT'
  CREATE (a)-[n:NOT_SAME_AS]->(b)
  SET n.uid = e.uid, n.job_id = e.job_id, n.decided_by = $user, n.decided_at = datetime(),
      n.reason = $reason, n.force = e.force, n.forces = e.forces, n.classification = e.classification,
      n.caveat = e.caveat, n.handling_code = e.handling_code, n.handling_conditions = e.handling_conditions,
      n.access = e.access
}
RETURN {fields}
"""


def decide_link(
    principal: Principal, driver: Driver, database: str, link_id: str, decision: str, reason: str
) -> Link:
    """Record an analyst's decision on a link: SAME joins, DIFFERENT splits (and is never proposed
    again), UNSURE leaves the link as the model scored it. Kept with who, when and why.
    """
    principal.require(*DECIDE_ROLES)
    if decision not in DECISIONS:
        raise PolegraphError(f"unknown decision {decision!r}; one of {', '.join(DECISIONS)}")
    if not reason.strip():
        raise PolegraphError("a decision needs a reason", hint="say why, for whoever reviews it next")
    readable, params = _readable(principal)
    query = _DECIDE.replace("{readable}", readable).replace("{fields}", _LINK_FIELDS)

    def work(tx: ManagedTransaction) -> list[Any]:
        result = tx.run(query, params, link=link_id, decision=decision, user=principal.user, reason=reason)
        return list(result)

    with driver.session(database=database) as session:
        records = session.execute_write(work)
    if not records:
        raise LinkNotFound(f"no link {link_id!r} that {principal.user} may read")
    return _link(records[0])


@dataclass(frozen=True)
class ResolvedPerson:
    """A connected component of accepted and confirmed links: its nominals and source records."""

    persons: list[str]
    source_keys: list[str]
    links: list[str]


def resolved_person(
    principal: Principal, driver: Driver, database: str, person_uid: str, limit: int = 500
) -> ResolvedPerson:
    """Everyone the person is resolved to, walking only links and persons the principal may read."""
    person, params = cypher_predicate(principal, "p")
    start, _, _ = driver.execute_query(
        f"MATCH (p:Person {{uid: $uid}}) WHERE {person} RETURN p.uid AS uid",
        params, uid=person_uid, database_=database, routing_="r",
    )  # fmt: skip
    if not start:
        raise PersonNotFound(f"no person {person_uid!r} that {principal.user} may read")
    readable, params = _readable(principal)
    members, frontier = {person_uid}, [person_uid]
    links: set[str] = set()
    while frontier and len(members) < limit:
        records, _, _ = driver.execute_query(
            "UNWIND $frontier AS uid MATCH (a:Person {uid: uid})-[e:POSSIBLE_SAME_AS|SAME_AS]-(b:Person) "
            f"WHERE e.resolved AND {readable} RETURN DISTINCT b.uid AS b, e.uid AS link",
            params, frontier=frontier, database_=database, routing_="r",
        )  # fmt: skip
        links.update(r["link"] for r in records)
        frontier = sorted({r["b"] for r in records} - members)
        members.update(frontier)
    records, _, _ = driver.execute_query(
        "UNWIND $uids AS uid MATCH (p:Person {uid: uid}) UNWIND coalesce(p.source_keys, []) AS key "
        "RETURN collect(DISTINCT key) AS keys",
        uids=sorted(members), database_=database, routing_="r",
    )  # fmt: skip
    return ResolvedPerson(sorted(members), sorted(records[0]["keys"]), sorted(links))

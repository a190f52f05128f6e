"""Who may read what: a principal, and the one policy that turns it into query filters.

Every read path in ``graph/`` and ``search/`` takes a ``Principal`` and applies ``cypher_predicate``
or ``es_filter``; there is no unfiltered read path for the API. The rules:

- **Force**: a record is readable by its owning force and by the forces that share with it
  (``readable_forces``, from the token; sharing agreements).
- **Classification**: OFFICIAL < OFFICIAL-SENSITIVE < SECRET < TOP SECRET; a record is readable up
  to the principal's clearance. A record with no classification is treated as OFFICIAL-SENSITIVE
  (a missing label must not make data more visible).
- **Handling code C** (sharing only under stated conditions): readable by the owning force only;
  other forces learn at most that it exists, as a restricted hit.
- **Restricted hits**: a record the principal could read by clearance but not by force or handling
  shows only as a count per owning force ("contact its intelligence unit"), and only when the
  principal's policy allows it. A record above the principal's clearance is never counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from polegraph.errors import PolegraphError

CLASSIFICATIONS = ("OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET")
UNLABELLED_AS = "OFFICIAL-SENSITIVE"
ROLES = frozenset({"investigator", "analyst", "intelligence_unit", "supervisor", "auditor", "admin"})
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


class AccessDenied(PolegraphError):
    """The principal may not do this at all (a role is missing)."""


@dataclass(frozen=True)
class Principal:
    """The person behind a request, from a verified token."""

    user: str
    home_force: str
    readable_forces: frozenset[str] = field(default_factory=frozenset)
    clearance: str = "OFFICIAL"
    roles: frozenset[str] = field(default_factory=frozenset)
    restricted_hits: bool = True

    def __post_init__(self) -> None:
        if not self.user or not self.home_force:
            raise PolegraphError("a principal needs a user and a home force")
        if self.clearance not in CLASSIFICATIONS:
            raise PolegraphError(f"unknown clearance {self.clearance!r}; one of {', '.join(CLASSIFICATIONS)}")
        unknown = set(self.roles) - ROLES
        if unknown:
            raise PolegraphError(f"unknown role(s) {', '.join(sorted(unknown))}")
        # The home force is always readable, whatever the token lists.
        object.__setattr__(self, "readable_forces", frozenset(self.readable_forces) | {self.home_force})

    @property
    def classifications(self) -> list[str]:
        """The classifications this principal's clearance covers."""
        return list(CLASSIFICATIONS[: CLASSIFICATIONS.index(self.clearance) + 1])

    def require(self, *roles: str) -> None:
        """Refuse unless the principal has one of ``roles``."""
        if not self.roles & set(roles):
            raise AccessDenied(f"{self.user} lacks the role needed: one of {', '.join(roles)}")


def _cleared(principal: Principal, var: str) -> str:
    unlabelled = "true" if UNLABELLED_AS in principal.classifications else "false"
    return f"(({var}.classification IS NULL AND {unlabelled}) OR {var}.classification IN $pf_classes)"


def cypher_predicate(principal: Principal, var: str = "n") -> tuple[str, dict[str, Any]]:
    """A Cypher boolean expression on node or relationship ``var``, and its parameters.

    ``var`` must be a plain identifier; it is checked, never taken from a request.
    """
    if not _IDENTIFIER.match(var):
        raise PolegraphError(f"not a Cypher variable: {var!r}")
    predicate = (
        f"({var}.force IN $pf_forces AND {_cleared(principal, var)} "
        f"AND (coalesce({var}.handling_code, 'P') <> 'C' OR {var}.force = $pf_home))"
    )
    return predicate, _params(principal)


def _params(principal: Principal) -> dict[str, Any]:
    return {
        "pf_forces": sorted(principal.readable_forces),
        "pf_classes": principal.classifications,
        "pf_home": principal.home_force,
    }


def _es_cleared(principal: Principal) -> dict[str, Any]:
    should: list[dict[str, Any]] = [{"terms": {"classification": principal.classifications}}]
    if UNLABELLED_AS in principal.classifications:
        should.append({"bool": {"must_not": {"exists": {"field": "classification"}}}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


def es_filter(principal: Principal) -> dict[str, Any]:
    """The Elasticsearch filter clause for documents this principal may read (kNN included)."""
    return {
        "bool": {
            "filter": [{"terms": {"force": sorted(principal.readable_forces)}}, _es_cleared(principal)],
            "should": [
                {"bool": {"must_not": {"term": {"handling_code": "C"}}}},
                {"term": {"force": principal.home_force}},
            ],
            "minimum_should_match": 1,
        }
    }


def es_restricted_filter(principal: Principal) -> dict[str, Any] | None:
    """Documents within the principal's clearance that it may not read: counted, never shown."""
    if not principal.restricted_hits:
        return None
    return {"bool": {"filter": [_es_cleared(principal)], "must_not": [es_filter(principal)]}}

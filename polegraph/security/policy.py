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
  shows only as a count per force holding it ("contact its intelligence unit"), and only when the
  principal's policy allows it. A record above the principal's clearance is never counted.

**Access tokens.** A node keyed by its value (a phone, an address) is asserted by records of many
forces under different labels, and so is an edge several records assert. Each node and edge carries
``access``: one token ``FORCE|CLASSIFICATION|HANDLING`` per distinct combination of labels among the
records behind it (``access_token``). The rules above become a set of tokens the principal may read
(``readable_tokens``: readable forces x cleared classifications x P, and the home force's C too), and
a node or edge is readable when one of its tokens is in that set. A node or edge with no ``access``
is unreadable: a missing label must not make data more visible.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from polegraph.errors import PolegraphError

CLASSIFICATIONS = ("OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET")
UNLABELLED_AS = "OFFICIAL-SENSITIVE"
HANDLING_CODES = ("P", "C")
# Labels that hold only for the record they came from: not shown with another record's token.
RECORD_LABELS = ("caveat", "descriptors", "handling_conditions", "handling_instructions")
TOKEN_SEP = "|"  # noqa: S105 (an access token is a label, not a secret)
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


def access_token(force: str, classification: str | None, handling_code: str | None) -> str:
    """The access token of one record's labels; no classification reads as ``UNLABELLED_AS``, no
    handling code as P (as the rules above have it)."""
    if not force or TOKEN_SEP in force:
        raise PolegraphError(f"not a force code for an access token: {force!r}")
    classification = classification or UNLABELLED_AS
    if classification not in CLASSIFICATIONS:
        raise PolegraphError(
            f"unknown classification {classification!r}; one of {', '.join(CLASSIFICATIONS)}"
        )
    return TOKEN_SEP.join((force, classification, handling_code or "P"))


def labels_token(labels: Mapping[str, Any]) -> str:
    """The access token of a record's labels (``force``, ``classification``, ``handling_code``)."""
    return access_token(
        str(labels.get("force") or ""), labels.get("classification"), labels.get("handling_code")
    )


def token_parts(token: str) -> tuple[str, str, str]:
    """(force, classification, handling code) of an access token."""
    force, classification, code = token.split(TOKEN_SEP)
    return force, classification, code


@functools.lru_cache(maxsize=4096)
def readable_tokens(principal: Principal) -> frozenset[str]:
    """Every access token the principal may read: readable forces x cleared classes under P, and the
    home force's records under C too."""
    classes = principal.classifications
    tokens = {access_token(force, c, "P") for force in principal.readable_forces for c in classes}
    tokens.update(access_token(principal.home_force, c, "C") for c in classes)
    return frozenset(tokens)


def shown_labels(props: Mapping[str, Any], readable: Sequence[str]) -> dict[str, Any]:
    """``props`` with the security labels of a record the principal may read.

    A shared node shows its owner's labels (the record that created it) when the principal may read
    that record; otherwise those of the first readable record in ``readable`` (its readable tokens),
    without the owner's caveat, descriptors and conditions, which would speak of the other record.
    """
    if not readable or not props.get("force"):
        return dict(props)
    try:
        owner = labels_token(props)
    except PolegraphError:
        owner = ""
    if owner in readable:
        return dict(props)
    force, classification, code = token_parts(readable[0])
    shown = {k: v for k, v in props.items() if k not in RECORD_LABELS}
    shown |= {"force": force, "classification": classification, "handling_code": code}
    return shown


def cypher_predicate(principal: Principal, var: str = "n") -> tuple[str, dict[str, Any]]:
    """A Cypher boolean expression on node or relationship ``var``, and its parameters.

    ``var`` must be a plain identifier; it is checked, never taken from a request. The expression is
    a filter on the node or edge a pattern has found (by its uid, a relationship from it): it does
    not stop Neo4j seeking by the indexes the pattern names.
    """
    if not _IDENTIFIER.match(var):
        raise PolegraphError(f"not a Cypher variable: {var!r}")
    return f"any(t IN {var}.access WHERE t IN $pf_access)", _params(principal)


def _params(principal: Principal) -> dict[str, Any]:
    return {"pf_access": sorted(readable_tokens(principal))}


def es_filter(principal: Principal) -> dict[str, Any]:
    """The Elasticsearch filter clause for documents this principal may read (kNN included)."""
    return {"terms": {"access": sorted(readable_tokens(principal))}}


def access_forces(tokens: Sequence[str]) -> list[str]:
    """``FORCE|CLASS`` for each force among ``tokens``, with the lowest classification of its tokens.

    A document lists them (``access_forces``) so that restricted hits are counted per force exactly:
    each document once for each force with a record behind it within the principal's clearance
    (``es_cleared_forces``), and never for a force whose only record there is above it.
    """
    lowest: dict[str, int] = {}
    for token in tokens:
        force, classification, _ = token_parts(token)
        rank = CLASSIFICATIONS.index(classification)
        lowest[force] = min(rank, lowest.get(force, rank))
    return [f"{force}{TOKEN_SEP}{CLASSIFICATIONS[rank]}" for force, rank in sorted(lowest.items())]


def es_cleared_forces(principal: Principal) -> str:
    """A Lucene regular expression of the ``access_forces`` within the principal's clearance."""
    return ".*\\|(" + "|".join(principal.classifications) + ")"


def es_restricted_filter(principal: Principal) -> dict[str, Any] | None:
    """Documents within the principal's clearance that it may not read: counted, never shown.

    "Within clearance" is a record behind the document of a cleared classification (``access_class``
    holds the classes of its tokens), so no list of every force is needed.
    """
    if not principal.restricted_hits:
        return None
    return {
        "bool": {
            "filter": [{"terms": {"access_class": principal.classifications}}],
            "must_not": [es_filter(principal)],
        }
    }


def system_tag(token: str, system: str) -> str:
    """``TOKEN|SYSTEM``: the system of one record behind a node, tagged with that record's token."""
    return f"{token}{TOKEN_SEP}{system}"


def readable_systems(tags: Sequence[str], readable: frozenset[str] | Sequence[str]) -> list[str]:
    """The systems among ``system_access`` tags whose record's token is readable, sorted."""
    systems = set()
    for tag in tags:
        token, _, system = str(tag).rpartition(TOKEN_SEP)
        if token in readable:
            systems.add(system)
    return sorted(systems)


def es_system_tags(principal: Principal, systems: Sequence[str]) -> list[str]:
    """The ``system_access`` tags that name one of ``systems`` under a token the principal may read:
    a filter on them never matches a system known only from a record it may not read."""
    return sorted(system_tag(t, s) for t in readable_tokens(principal) for s in set(systems))


def es_readable_tag_pattern(principal: Principal) -> str:
    """A Lucene regular expression of the ``system_access`` tags under tokens the principal may read."""
    tokens = "|".join(re.sub(r"([^A-Za-z0-9_])", r"\\\1", t) for t in sorted(readable_tokens(principal)))
    return f"({tokens})\\{TOKEN_SEP}.*"


def force_tokens(principal: Principal, forces: Sequence[str]) -> list[str]:
    """The tokens the principal may read of records of ``forces``: a node is of a force, to this
    principal, when a record of that force it may read asserts it (never by its owner's labels)."""
    wanted = set(forces)
    return sorted(t for t in readable_tokens(principal) if token_parts(t)[0] in wanted)

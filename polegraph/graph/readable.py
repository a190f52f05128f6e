"""The access policy applied to several variables of one Cypher pattern at once."""

from __future__ import annotations

from typing import Any

from polegraph.security.policy import Principal, cypher_predicate


def readable(principal: Principal, *variables: str) -> tuple[str, dict[str, Any]]:
    """One predicate requiring every node and relationship in ``variables`` to be readable.

    The policy's parameters are the same for every variable, so one set serves the whole pattern.
    """
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for var in variables:
        clause, params = cypher_predicate(principal, var)
        clauses.append(clause)
    return " AND ".join(clauses), params

"""Resolved persons that hold together: accepted links that would join contradicting records.

A resolved person is a connected component of accepted links, so one wrong link joins two people
and all their records (two JOHN SMITHs born in 1985, chained through a record with the year
only). As in constrained agglomerative clustering, links are added strongest first, and a link is
held back for review when the two groups it would join hold firm facts that contradict each
other: full dates of birth that are neither equal nor day/month swaps of each other (a partial or
1 January date is no firm fact), different PNC IDs, CRO or NI numbers, or two records an analyst
decided are different people.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from polegraph.linking.model import ScoredPair

_IDENTIFIERS = (("pnc_id", "PNC IDs"), ("cro", "CRO numbers"), ("nino", "NI numbers"))


@dataclass
class _Group:
    """One growing resolved person: its records and the firm facts they hold."""

    members: list[str]
    dobs: dict[str, str | None] = field(default_factory=dict)  # full date -> its day/month swap
    ids: dict[str, set[str]] = field(default_factory=dict)
    apart: set[str] = field(default_factory=set)  # records decided to be someone else

    @classmethod
    def of(cls, uid: str, row: Mapping[str, Any], apart: set[str]) -> _Group:
        group = cls([uid], apart=set(apart))
        if row.get("dob") and not row.get("dob_partial") and not row.get("dob_jan1"):
            group.dobs[row["dob"]] = row.get("dob_swapped")
        for column, _ in _IDENTIFIERS:
            if row.get(column):
                group.ids[column] = {row[column]}
        return group

    def absorb(self, other: _Group) -> None:
        self.members += other.members
        self.dobs.update(other.dobs)
        for column, values in other.ids.items():
            self.ids.setdefault(column, set()).update(values)
        self.apart |= other.apart


def _contradiction(a: _Group, b: _Group) -> str | None:
    if a.apart.intersection(b.members) or b.apart.intersection(a.members):
        return "would join records an analyst decided are different people"
    for column, label in _IDENTIFIERS:
        if a.ids.get(column) and b.ids.get(column) and a.ids[column].isdisjoint(b.ids[column]):
            return f"would join records with different {label}"
    for date, swapped in a.dobs.items():
        if any(date != other and swapped != other for other in b.dobs):
            return "would join records with different dates of birth"
    return None


def held_back(
    accepted: Sequence[ScoredPair],
    rows: Mapping[str, Mapping[str, Any]],
    different: Iterable[tuple[str, str]] = (),
    joined: Iterable[tuple[str, str]] = (),
) -> dict[tuple[str, str], str]:
    """The accepted pairs to hold back for review, each with why; ``rows`` are the feature rows by
    uid, ``different`` the pairs analysts decided are different people, and ``joined`` the pairs
    that already join resolved persons and stay (analysts' SAME decisions; for an incremental job,
    the links earlier jobs resolved): a new link is checked against the whole person it would join.
    """
    apart: dict[str, set[str]] = {}
    for one, other in different:
        apart.setdefault(one, set()).add(other)
        apart.setdefault(other, set()).add(one)
    group_of: dict[str, _Group] = {}

    def group(uid: str) -> _Group:
        if uid not in group_of:
            group_of[uid] = _Group.of(uid, rows[uid], apart.get(uid, set()))
        return group_of[uid]

    def join(left: _Group, right: _Group) -> None:
        big, small = (left, right) if len(left.members) >= len(right.members) else (right, left)
        big.absorb(small)
        for uid in small.members:
            group_of[uid] = big

    for one, other in joined:
        if one in rows and other in rows and group(one) is not group(other):
            join(group(one), group(other))
    held: dict[tuple[str, str], str] = {}
    for pair in sorted(accepted, key=lambda p: (-p.probability, p.uid_a, p.uid_b)):
        left, right = group(pair.uid_a), group(pair.uid_b)
        if left is right:
            continue
        reason = _contradiction(left, right)
        if reason:
            held[(pair.uid_a, pair.uid_b)] = reason
            continue
        join(left, right)
    return held

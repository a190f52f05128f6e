"""How big each force's files are, and how the network's records are slotted in among them.

Sizes follow the population: per force, about half an occurrence per resident, fewer intelligence
and custody records, a few missing-person episodes, most ANPR reads. About 1.9 source records per
person in all, so ``people=540_000`` gives a million records.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# Records per resident of a force, and the floor for small scenarios.
RATES = {
    "crime": (0.5, 20),
    "intel": (0.12, 12),
    "custody": (0.15, 10),
    "missing": (0.06, 10),
    "anpr": (0.8, 30),
    "police-uk-street": (0.2, 10),
}


@dataclass(frozen=True)
class ForcePlan:
    """How many background records each system of one force writes."""

    residents: int
    counts: dict[str, int]


def force_plan(residents: int) -> ForcePlan:
    """The background sizes of a force with ``residents`` people."""
    return ForcePlan(
        residents, {kind: max(floor, round(rate * residents)) for kind, (rate, floor) in RATES.items()}
    )


def cdr_events(people: int) -> int:
    """Events per CDR target: enough to bury the network's calls, bounded like a real request."""
    return max(150, min(5000, people // 20))


def planned_background(forces: int, people: int) -> int:
    """Background records of every force (the network and the handsets add a few hundred)."""
    total = 0
    for f in range(forces):
        residents = len(range(f, people, forces))
        total += sum(force_plan(residents).counts.values())
    return total + 2 * cdr_events(people)


def interleave(
    background: Iterator[T], planted: list[T], background_count: int, rng: random.Random
) -> Iterator[T]:
    """The background records with the planted ones at random (seeded) places among them."""
    total = background_count + len(planted)
    slots = set(rng.sample(range(total), len(planted)))
    planted_iter = iter(planted)
    for position in range(total):
        yield next(planted_iter) if position in slots else next(background)

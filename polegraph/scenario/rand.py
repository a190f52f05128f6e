"""Deterministic randomness for the scenario: the same seed gives the same files, byte for byte.

Every part of the scenario draws from its own stream, named by the seed and a path of labels
(``stream(seed, "person", 42)``), so that adding a record type, or generating fewer of one kind,
never shifts what another part draws. Python's ``random.Random`` seeded with a string hashes it
with SHA-512, which is stable across platforms and Python versions.

Identifiers that must never collide between two people (phone numbers, registrations, IMEIs)
are not drawn at random: ``Permutation`` maps distinct inputs to distinct values of a range, so
"person 42's car" is a function of 42 that no other person shares, and nothing has to be kept
in memory to prevent clashes.
"""

from __future__ import annotations

import hashlib
import math
import random
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


def stream(seed: int, *labels: object) -> random.Random:
    """An independent random stream for one part of the scenario."""
    # Not for secrets: a reproducible scenario is the point.
    return random.Random("|".join(str(x) for x in (seed, *labels)))  # noqa: S311


def fractions(seed: int, *labels: object) -> tuple[float, float, float, float]:
    """Four numbers in [0, 1) named by the seed and labels: cheaper than a stream for a few draws."""
    digest = hashlib.blake2b("|".join(str(x) for x in (seed, *labels)).encode(), digest_size=32).digest()
    a, b, c, d = (int.from_bytes(digest[i : i + 8], "big") / 2**64 for i in range(0, 32, 8))
    return a, b, c, d


def chance(rng: random.Random, probability: float) -> bool:
    """True with ``probability``."""
    return rng.random() < probability


def weighted(rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    """One option, drawn in proportion to its weight."""
    total = sum(w for _, w in options)
    point = rng.random() * total
    for value, weight in options:
        point -= weight
        if point < 0:
            return value
    return options[-1][0]


class Weighted(Generic[T]):
    """Options with weights, drawn in proportion to them (cumulative weights kept: a draw is a bisect)."""

    def __init__(self, options: Sequence[tuple[T, float]]) -> None:
        if not options:
            raise ValueError("nothing to choose from")
        self.values = [value for value, _ in options]
        self._cumulative = list(accumulate(weight for _, weight in options))

    def pick(self, rng: random.Random) -> T:
        return self.at(rng.random())

    def at(self, fraction: float) -> T:
        """The option a number in [0, 1) falls on."""
        return self.values[bisect_right(self._cumulative, fraction * self._cumulative[-1])]


class Permutation:
    """A bijection of ``range(size)`` onto itself, chosen by the seed: x -> (a*x + b) mod size."""

    def __init__(self, seed: int, label: str, size: int) -> None:
        if size < 1:
            raise ValueError("a permutation needs a non-empty range")
        rng = stream(seed, "permutation", label)
        self.size = size
        multiplier = rng.randrange(1, size) if size > 1 else 1
        while math.gcd(multiplier, size) != 1:  # coprime to size, or two inputs would meet
            multiplier = multiplier % (size - 1) + 1
        self.multiplier = multiplier
        self.offset = rng.randrange(size)

    def __call__(self, x: int) -> int:
        if not 0 <= x < self.size:
            raise ValueError(f"{x} is outside the permutation's range of {self.size}")
        return (self.multiplier * x + self.offset) % self.size


def digits_in_base(value: int, bases: Sequence[int]) -> list[int]:
    """``value`` written in a mixed radix (most significant first); it must fit."""
    out: list[int] = []
    for base in reversed(bases):
        value, digit = divmod(value, base)
        out.append(digit)
    if value:
        raise ValueError("value too large for the radix")
    return out[::-1]

"""The property-type contract (clean, compare, specificity, keys) and the registry of types."""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from polegraph.errors import PolegraphError


@dataclass(frozen=True, slots=True)
class Cleaned:
    """One value as received and as normalised.

    ``valid`` is False when the value breaks its type's rules; ``normalised`` is then the
    best-effort form (or None when nothing usable is left) and ``reason`` says what is wrong.
    ``flags`` mark values that are usable but deserve care (a drama-range phone number,
    a 01/01 date of birth that may be a default).
    """

    raw: str
    normalised: str | None
    valid: bool
    reason: str | None = None
    flags: tuple[str, ...] = ()


class UnknownPropertyType(PolegraphError, KeyError):
    """A property type was asked for by a name no type has."""


_MEMO_SIZE = 100_000


class PropertyType(ABC):
    """One kind of value (phone, VRM, name...): how to clean it, compare it and key it.

    Subclasses implement ``_clean`` on the stripped, non-empty text; ``clean`` never raises
    and never drops a value, so a loader can keep every record and flag the bad identifiers.
    ``compare`` and ``specificity`` take normalised values (``Cleaned.normalised``).
    """

    name: ClassVar[str]
    label: ClassVar[str]

    def clean(self, raw: str) -> Cleaned:
        """Normalise and validate ``raw``; invalid values come back flagged, never raised."""
        # Loaders meet the same values again and again (a target phone in every CDR row), and
        # cleaning a phone costs tens of microseconds: results are memoised per type, bounded.
        cached = self._memo.get(raw)
        if cached is not None:
            return cached
        text = raw.strip()
        result = Cleaned(raw, None, False, "empty") if not text else self._clean(raw, text)
        if len(self._memo) >= _MEMO_SIZE:
            self._memo.clear()
        self._memo[raw] = result
        return result

    @functools.cached_property
    def _memo(self) -> dict[str, Cleaned]:
        return {}

    @abstractmethod
    def _clean(self, raw: str, text: str) -> Cleaned:
        """Clean ``text`` (``raw`` stripped, not empty); ``raw`` goes into the result as given."""

    def normalise(self, raw: str) -> str | None:
        """The normalised form of ``raw`` (valid or not), or None when nothing usable is left."""
        return self.clean(raw).normalised

    def compare(self, a: str, b: str) -> float:
        """Similarity of two normalised values in [0, 1]; 1 means the same value."""
        return 1.0 if a == b else 0.0

    def specificity(self, normalised: str) -> float:
        """How much a match on this value says, in [0, 1] (a full IMEI: 1; a year of birth: low)."""
        return 1.0

    def keys(self, normalised: str) -> dict[str, list[str]]:
        """Search and blocking keys of a normalised value, by kind of key."""
        return {self.name: [normalised]}

    def __repr__(self) -> str:
        return f"<PropertyType {self.name}>"


TYPES: dict[str, PropertyType] = {}
"""Every registered property type by name; filled when ``polegraph.types`` is imported."""

_T = TypeVar("_T", bound=PropertyType)


def register(prop_type: _T) -> _T:
    """Add ``prop_type`` to ``TYPES`` under its name and return it."""
    if prop_type.name in TYPES:
        raise ValueError(f"property type {prop_type.name!r} is registered twice")
    TYPES[prop_type.name] = prop_type
    return prop_type


def get_type(name: str) -> PropertyType:
    """The property type called ``name`` (as used in the schema YAML)."""
    try:
        return TYPES[name]
    except KeyError:
        known = ", ".join(sorted(TYPES))
        raise UnknownPropertyType(
            f"no property type is called {name!r}", hint=f"known types: {known}"
        ) from None

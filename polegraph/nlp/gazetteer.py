"""A gazetteer of the people already in the graph: folded names and aliases -> Person uids.

Names are folded by ``polegraph.types`` (ASCII, no punctuation, one case), so "Łukasz O'Neill" in a
report meets "LUKASZ ONEILL" in a custody record. Each nominal contributes its full name, its
forenames and surname both ways round ("Kyle Brown", "Brown Kyle"), its first forename and surname,
and its aliases. A single word is kept only when it has three letters or more and is not one of
the commonest names: "JAY" the street name stays, "Ali" and "Smith" go (and in text, a single word
must be written with a capital to match). A name held by more than ``max_persons`` nominals says
too little about who is meant, and is not matched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from neo4j import Driver

from polegraph.types.name import COMMON_NAMES
from polegraph.types.text import fold

GAZETTEER_VERSION = "polegraph-gazetteer/1"
DEFAULT_PAGE = 5000
MAX_PERSONS = 10
_MIN_SINGLE = 3

_NAME_PROPERTIES = ("full_name", "forenames", "surname", "aliases")
# Properties read by name from a parameter (p[k]): no warning for one no node has yet.
_QUERY = (
    "MATCH (p:Person) WHERE p.uid > $after "
    "RETURN p.uid AS uid, [k IN $keys | p[k]] AS v ORDER BY p.uid LIMIT $limit"
)


def name_key(text: str) -> str:
    """The gazetteer's key of a name: folded words, lower-case, single spaces."""
    return fold(text).lower()


def person_names(props: dict[str, Any]) -> Iterator[str]:
    """The names a nominal may be written as, from its full name, forenames, surname and aliases."""
    full, forenames, surname = (str(props.get(k) or "") for k in ("full_name", "forenames", "surname"))
    if full:
        yield full
    if forenames and surname:
        yield f"{forenames} {surname}"
        yield f"{surname} {forenames}"
        first = forenames.split()[0]
        if first != forenames:
            yield f"{first} {surname}"
    aliases = props.get("aliases") or []
    yield from (str(a) for a in (aliases if isinstance(aliases, list) else [aliases]))


def admissible(key: str) -> bool:
    """Whether a folded name is distinctive enough to look for in free text."""
    words = key.split()
    if len(words) >= 2:
        return True
    return len(words) == 1 and len(key) >= _MIN_SINGLE and key.upper() not in COMMON_NAMES


@dataclass
class Gazetteer:
    """Name keys -> the uids of the nominals with that name."""

    max_persons: int = MAX_PERSONS
    persons: dict[str, set[str]] = field(default_factory=dict)

    def add(self, name: str, uid: str) -> None:
        key = name_key(name)
        if admissible(key):
            self.persons.setdefault(key, set()).add(uid)

    def add_person(self, uid: str, props: dict[str, Any]) -> None:
        for name in person_names(props):
            self.add(name, uid)

    def lookup(self, name: str) -> tuple[str, ...]:
        """The uids of the nominals a name may mean; empty when none, or too many to tell."""
        found = self.persons.get(name_key(name), set())
        return tuple(sorted(found)) if len(found) <= self.max_persons else ()

    def matchable(self) -> Iterable[str]:
        """The name keys worth matching (those that do not name too many nominals)."""
        return (key for key, uids in self.persons.items() if len(uids) <= self.max_persons)

    def __len__(self) -> int:
        return len(self.persons)

    @classmethod
    def from_graph(
        cls, driver: Driver, database: str, *, page_size: int = DEFAULT_PAGE, max_persons: int = MAX_PERSONS
    ) -> Gazetteer:
        """The names of every Person node, read in keyset pages."""
        gazetteer = cls(max_persons=max_persons)
        after = ""
        while True:
            records, _, _ = driver.execute_query(
                _QUERY,
                after=after,
                limit=page_size,
                keys=list(_NAME_PROPERTIES),
                database_=database,
                routing_="r",
            )
            if not records:
                return gazetteer
            for record in records:
                gazetteer.add_person(record["uid"], dict(zip(_NAME_PROPERTIES, record["v"], strict=True)))
            after = records[-1]["uid"]

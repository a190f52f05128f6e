"""How one record writes a person's name and date of birth: the errors and habits of real systems.

Variants come from polegraph's own name variant groups (``types/data/name_variants.csv``): a
nickname or transliteration written here is one the search and the linker are expected to match,
so a miss is theirs to fix, not an impossible ask. Each distortion is named (``nickname``,
``typo``, ``dob_swapped``...) so that quality measures can be broken down by kind.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import cache, lru_cache

from polegraph.scenario.rand import weighted
from polegraph.types.reference import data_lines
from polegraph.types.text import fold
from polegraph.types.variants import VARIANTS_FILE

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_NEIGHBOURS = {
    "a": "s",
    "e": "r",
    "i": "o",
    "o": "i",
    "u": "y",
    "n": "m",
    "m": "n",
    "s": "a",
    "r": "t",
    "t": "r",
    "h": "j",
    "l": "k",
    "d": "f",
    "k": "l",
    "y": "u",
    "c": "v",
    "b": "v",
}


@dataclass(frozen=True, slots=True)
class WrittenName:
    """A name as one record wrote it, in the shapes layouts need, and what was done to it."""

    forenames: str
    surname: str
    distortions: tuple[str, ...]

    def surname_first(self) -> str:
        """``KHAN, Mohammed`` (the order police systems print)."""
        return f"{self.surname.upper()}, {self.forenames}" if self.forenames else self.surname.upper()

    def natural(self) -> str:
        """``Mohammed Khan``."""
        return f"{self.forenames} {self.surname}".strip()


@cache
def _variant_members() -> dict[str, tuple[str, ...]]:
    """Each folded name -> the other spellings in its variant groups (as the file writes them)."""
    members: dict[str, list[str]] = {}
    for line in data_lines(VARIANTS_FILE):
        group = [cell.strip() for cell in line.split(",")[1:] if cell.strip()]
        for name in group:
            members.setdefault(fold(name), []).extend(n for n in group if fold(n) != fold(name))
    return {k: tuple(dict.fromkeys(v)) for k, v in members.items()}


@lru_cache(maxsize=4096)
def variants_of(name: str) -> tuple[str, ...]:
    """Other spellings, nicknames and transliterations of ``name`` that the search must match."""
    return _variant_members().get(fold(name), ())


def typo(name: str, rng: random.Random) -> str:
    """``name`` with one keying error: two letters swapped, one dropped, doubled or mistyped."""
    if len(name) < 4:
        return name
    i = rng.randrange(1, len(name) - 1)  # first letters are rarely wrong: they are read twice
    kind = rng.randrange(4)
    if kind == 0 and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind == 1:
        return name[:i] + name[i + 1 :]
    if kind == 2:
        return name[:i] + name[i] + name[i:]
    swap = _NEIGHBOURS.get(name[i].lower(), "e")
    return name[:i] + (swap.upper() if name[i].isupper() else swap) + name[i + 1 :]


def write_name(
    forenames: tuple[str, ...], surname: str, rng: random.Random, *, care: float = 1.0
) -> WrittenName:
    """The name as one record writes it; ``care`` < 1 makes distortions likelier (a hurried entry)."""
    first, middle = forenames[0], list(forenames[1:])
    done: list[str] = []
    p = 1.0 / care
    if middle and rng.random() < 0.08 * p:  # known by the middle name
        first, middle = middle[0], [first, *middle[1:]]
        done.append("middle_name_first")
    if middle and rng.random() < 0.3:
        middle = []
        done.append("middle_name_dropped")
    options = variants_of(first)
    if options and rng.random() < 0.15 * p:
        first = rng.choice(options)
        done.append("forename_variant")
    elif rng.random() < 0.05 * p:
        first = typo(first, rng)
        done.append("forename_typo")
    surname_options = variants_of(surname)
    if surname_options and rng.random() < 0.1 * p:
        surname = rng.choice(surname_options)
        done.append("surname_variant")
    elif rng.random() < 0.06 * p:
        surname = typo(surname, rng)
        done.append("surname_typo")
    return WrittenName(" ".join([first, *middle]), surname, tuple(done))


def swapped_order(name: WrittenName) -> str:
    """Surname then forenames with no comma (``KHAN Mohammed``): a parser takes the last word as surname."""
    return f"{name.surname.upper()} {name.forenames}"


def write_dob(dob: dt.date | None, rng: random.Random, *, care: float = 1.0) -> tuple[str, tuple[str, ...]]:
    """A date of birth as a record writes it, and the distortions: swapped, default, year only, missing."""
    if dob is None:
        return "", ("dob_missing",)
    p = 1.0 / care
    kind = weighted(
        rng,
        (
            ("exact", 1.0),
            ("swapped", 0.06 * p),
            ("default", 0.04 * p),
            ("year", 0.03 * p),
            ("missing", 0.1 * p),
            ("invalid", 0.01 * p),
        ),
    )
    day, month = dob.day, dob.month
    done: tuple[str, ...] = ()
    if kind == "swapped" and dob.day <= 12 and dob.day != dob.month:
        day, month, done = dob.month, dob.day, ("dob_swapped",)
    elif kind == "default":
        day, month, done = 1, 1, ("dob_default_0101",)
    elif kind == "year":
        return str(dob.year), ("dob_year_only",)
    elif kind == "missing":
        return "", ("dob_missing",)
    elif kind == "invalid":
        # A day the month does not have (30/02, 31/04): a loader keeps the record, not the date.
        short = rng.choice((2, 4, 6, 9, 11))
        return f"{30 if short == 2 else 31}/{short:02d}/{dob.year}", ("dob_invalid",)
    return date_text(dob.year, month, day, rng), done


def date_text(year: int, month: int, day: int, rng: random.Random) -> str:
    """A date in one of the forms UK systems print: 14/07/1986, 1986-07-14, 14-JUL-1986, 14.07.1986."""
    form = rng.randrange(10)
    if form < 5:
        return f"{day:02d}/{month:02d}/{year}"
    if form < 8:
        return f"{year}-{month:02d}-{day:02d}"
    if form < 9:
        return f"{day:02d}-{_MONTHS[month - 1]}-{year}"
    return f"{day:02d}.{month:02d}.{year}"

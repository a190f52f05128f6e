"""Splitting a written name into forenames and surname: ``KHAN, Mohammed Imran``, ``Imran KHAN``."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from polegraph.types.text import fold, strip_joining_marks

TITLES = frozenset(
    {"MR", "MRS", "MS", "MISS", "MX", "DR", "SIR", "DAME", "LORD", "LADY", "REV", "REVD", "PROF"}
)
SUFFIXES = frozenset({"JR", "JNR", "JUNIOR", "SR", "SNR", "SENIOR", "II", "III", "IV"})
# Short words that belong to the name after them ("bin Salem", "van der Berg", "ul Haq") and
# mean little alone.
PARTICLES = frozenset(
    {"BIN", "BINT", "BINTI", "IBN", "AL", "EL", "ABU", "ABOU", "UL", "UD"}
    | {"VAN", "VON", "DE", "DA", "DI", "DU", "DEL", "DELLA", "DER", "DEN", "LA", "LE", "ST"}
    | {"MAC", "MC", "O"}
)
# "Servant of": written apart or together ("Abdul Rahman", "Abdulrahman"), one name either way.
ABD_PREFIXES = frozenset({"ABDUL", "ABDEL", "ABDAL", "ABD", "ABDOUL"})
SURNAME_PREFIXES = PARTICLES | ABD_PREFIXES

_CURLY_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_NICKNAME = re.compile(r'"([^"]*)"|\(([^()]*)\)')
_AKA = re.compile(r"\b(?:a\.?k\.?a\.?|alias)\b|/", re.IGNORECASE)
# A word: letters or digits of any script, hyphens only inside it.
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A name split into its parts, each part folded (upper-case ASCII, hyphens kept)."""

    forenames: tuple[str, ...]
    surname: str
    nicknames: tuple[str, ...] = ()

    @property
    def surname_words(self) -> tuple[str, ...]:
        """The surname's words (``BIN SALEM`` has two)."""
        return tuple(self.surname.split()) if self.surname else ()

    def normalised(self) -> str:
        """``SURNAME, FORENAMES "NICKNAME"``; parsing this again gives the same parts."""
        text = self.surname
        if self.forenames:
            text += ", " + " ".join(self.forenames)
        for nickname in self.nicknames:
            text += f' "{nickname}"'
        return text.strip()

    def is_empty(self) -> bool:
        """True when no part of a name was found."""
        return not self.surname and not self.forenames and not self.nicknames


@dataclass(frozen=True, slots=True)
class _Word:
    folded: str
    capitals: bool  # written all in capitals, which UK records use to mark the surname


def _words(text: str) -> list[_Word]:
    words = []
    for match in _WORD.finditer(text):
        raw = match.group(0)
        parts = [fold(part).replace(" ", "") for part in raw.split("-")]
        folded = "-".join(part for part in parts if part)
        if folded:
            letters = [ch for ch in raw if ch.isalpha()]
            capitals = len(letters) >= 2 and all(ch.isupper() for ch in letters)
            words.append(_Word(folded, capitals))
    return words


def _name_span(words: list[str]) -> tuple[int, int]:
    """Where the name lies once leading titles and trailing suffixes are left out (never empty)."""
    start = 0
    while start < len(words) - 1 and words[start] in TITLES:
        start += 1
    end = len(words)
    while end > start + 1 and words[end - 1] in SUFFIXES:
        end -= 1
    return start, end


def _strip_titles(words: list[str]) -> list[str]:
    start, end = _name_span(words)
    return words[start:end]


def _capitals_block(words: list[_Word]) -> tuple[int, int] | None:
    """The one run of all-capital words in a name otherwise written in mixed case."""
    marked = [i for i, word in enumerate(words) if word.capitals]
    mixed = [w for w in words if not w.capitals and any(ch.isalpha() for ch in w.folded[1:])]
    if not marked or not mixed or marked != list(range(marked[0], marked[-1] + 1)):
        return None
    return marked[0], marked[-1] + 1


def _split_surname_last(words: list[str]) -> tuple[list[str], list[str]]:
    start = len(words) - 1
    while start > 1 and words[start - 1] in SURNAME_PREFIXES:
        start -= 1
    return words[:start], words[start:]


def parse_name(text: str) -> ParsedName:
    """Split a written name into forenames and surname; never raises.

    A comma means surname first (``KHAN, Mohammed Imran``); otherwise a run of words in
    capitals among mixed-case ones is the surname (``Mohammed Imran KHAN``), and failing
    that the last word with any particles before it (``Ahmed bin Salem``). Titles and
    suffixes go; quoted or bracketed parts and anything after "aka" are nicknames.
    """
    text = strip_joining_marks(unicodedata.normalize("NFC", text).translate(_CURLY_QUOTES))
    nicknames: list[str] = []
    for match in _NICKNAME.finditer(text):
        quoted, bracketed = match.groups()
        inner = bracketed if quoted is None else quoted
        nicknames.append(" ".join(w.folded for w in _words(inner)))
    text = _NICKNAME.sub(" ", text)
    name_part, *aliases = _AKA.split(text)
    nicknames.extend(" ".join(w.folded for w in _words(alias)) for alias in aliases)
    nicknames = [n for n in dict.fromkeys(nicknames) if n]

    if "," in name_part:
        surname_text, _, forename_text = name_part.partition(",")
        surname = _strip_titles([w.folded for w in _words(surname_text)])
        forenames = _strip_titles([w.folded for w in _words(forename_text)])
        if surname and forenames:
            return ParsedName(tuple(forenames), " ".join(surname), tuple(nicknames))
        # "SMITH," or ", John": a comma with nothing on one side says nothing about order.
    return _parse_words(_words(name_part), tuple(nicknames))


def _parse_words(words: list[_Word], nicknames: tuple[str, ...]) -> ParsedName:
    start, end = _name_span([w.folded for w in words])
    words = words[start:end]
    kept = [w.folded for w in words]
    block = _capitals_block(words)
    if block is not None and block != (0, len(words)):
        first, last = block
        forenames, surname = kept[:first] + kept[last:], kept[first:last]
    elif len(kept) <= 1:
        forenames, surname = [], kept
    else:
        forenames, surname = _split_surname_last(kept)
    # Tidy each part as the comma form will be tidied, so that the normalised form parses back
    # to the same parts ("0 II 0" must not keep a suffix that ends its forenames).
    forenames = _strip_titles(forenames) if surname else forenames
    surname = _strip_titles(surname)
    return ParsedName(tuple(forenames), " ".join(surname), nicknames)

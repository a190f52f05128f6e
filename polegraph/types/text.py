"""Text folding shared by the types: one definition of "the same letters" for names and addresses."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters that NFKD does not decompose into a base letter plus a combining mark, so plain
# "strip the accents" would silently drop them (Łukasz would become "UKASZ").
_SPECIAL_LETTERS = {
    "ß": "ss",
    "ẞ": "SS",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "TH",
    "\u0131": "i",  # dotless i (Turkish)
    "ħ": "h",
    "Ħ": "H",
}
_SPECIAL_TABLE = str.maketrans(_SPECIAL_LETTERS)

# Cyrillic and Greek letters, romanised letter by letter (close to BGN/PCGN) so that a contact
# saved as "Дмитрий" in a handset meets "Dmitriy" in a custody record. Other scripts (Arabic,
# Chinese) have no useful letter-by-letter romanisation and are left out of folded text.
# Each script: its capital letters, then their romanisations in the same order ("-": none).
_CYRILLIC_LETTERS = "АБВГҐДЕЁЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯЂЈЉЊЋЏЃЌЅ"
_CYRILLIC_ROMAN = (
    "A B V G G D E E YE ZH Z I I YI Y K L M N O P R S T U F KH TS CH SH SHCH - Y - E YU YA"
    " DJ J LJ NJ C DZ GJ KJ DZ"
)
_GREEK_LETTERS = "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ"
_GREEK_ROMAN = "A V G D E Z I TH I K L M N X O P R S T Y F CH PS O"
_CYRILLIC = dict(zip(_CYRILLIC_LETTERS, _CYRILLIC_ROMAN.split(), strict=True))
_GREEK = dict(zip(_GREEK_LETTERS, _GREEK_ROMAN.split(), strict=True))
_ROMAN_TABLE = str.maketrans(
    {
        letter: roman.replace("-", "")
        for upper, roman in (_CYRILLIC | _GREEK).items()
        for letter, roman in ((upper, roman.capitalize()), (upper.lower(), roman.lower()))
    }
    | {"ς": "s"}
)

# Apostrophes and similar marks join the letters either side (O'Neill -> ONEILL, D'Souza -> DSOUZA)
# instead of splitting the word, which is how the same name is keyed by every system.
_JOINING_MARKS = re.compile("['`\u00b4\u02bb\u02bc\u2018\u2019\u2032]")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
_WHITESPACE = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def ascii_fold(text: str) -> str:
    """Transliterate to ASCII: accents dropped, special letters spelt out (Łódź -> Lodz)."""
    text = ascii_digits(unicodedata.normalize("NFKC", text).translate(_SPECIAL_TABLE))
    # Romanise before decomposing (Й is one letter, not И with a breve) and again after
    # (accented Greek vowels only match the table once their accents are split off).
    decomposed = unicodedata.normalize("NFKD", text.translate(_ROMAN_TABLE)).translate(_ROMAN_TABLE)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def ascii_digits(text: str) -> str:
    """Decimal digits of any script as ASCII digits (Arabic-Indic numerals in extractions)."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def strip_joining_marks(text: str) -> str:
    """Remove apostrophes and their look-alikes, joining the letters either side."""
    return _JOINING_MARKS.sub("", text)


def fold(text: str) -> str:
    """Upper-case ASCII letters and digits separated by single spaces; punctuation removed."""
    text = strip_joining_marks(ascii_fold(text)).upper()
    return _NOT_ALNUM.sub(" ", text).strip()


def fold_tokens(text: str) -> list[str]:
    """The folded words of ``text``."""
    folded = fold(text)
    return folded.split(" ") if folded else []


def squash_spaces(text: str) -> str:
    """Collapse runs of whitespace to one space and trim the ends."""
    return _WHITESPACE.sub(" ", text).strip()


def alnum_upper(text: str) -> str:
    """Upper-case ASCII letters and digits only, with nothing between them (for identifiers)."""
    return _NOT_ALNUM.sub("", ascii_fold(text).upper())


def dampen(low: float, high: float, value: float) -> float:
    """Scale ``value`` into [0, 1]: 0 at or below ``low``, 1 at or above ``high``, linear between."""
    if value <= low:
        return 0.0
    if value >= high:
        return 1.0
    return (value - low) / (high - low)

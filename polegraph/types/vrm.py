"""UK vehicle registration marks (VRMs): formats since 1903 and an ANPR-misread key."""

from __future__ import annotations

import re
from typing import Literal

from rapidfuzz.distance import Levenshtein

from polegraph.types.base import Cleaned, PropertyType, register
from polegraph.types.text import alnum_upper

VrmFormat = Literal["current", "prefix", "suffix", "dateless"]

# Checked in this order: a mark that fits more than one pattern is read as the newest.
_FORMATS: tuple[tuple[VrmFormat, re.Pattern[str]], ...] = (
    # 2001 on: area letters, age identifier (02-09, 10-99), three random letters (no I, Q).
    ("current", re.compile(r"[A-HK-PRSVWY][A-HJ-PR-Y](0[2-9]|[1-9][0-9])[A-HJ-PR-Z]{3}")),
    # 1983-2001: year letter first (no I, O, Q, U, Z), 1-999, three letters.
    ("prefix", re.compile(r"[A-HJ-NPR-TV-Y][1-9][0-9]{0,2}[A-HJ-PR-Y]{3}")),
    # 1963-1983: three letters, 1-999, year letter last.
    ("suffix", re.compile(r"[A-HJ-PR-Y]{3}[1-9][0-9]{0,2}[A-HJ-NPR-TV-Y]")),
    # Before 1963, cherished transfers and Northern Ireland: 1-3 letters and 1-9999, either way.
    ("dateless", re.compile(r"[A-Z]{1,3}[1-9][0-9]{0,3}|[1-9][0-9]{0,3}[A-Z]{1,3}")),
)

# Characters ANPR cameras (and people copying from them) confuse. Each class becomes one symbol
# so that "AB12 CDE" read as "A812 CDE" or "AB12 C0E" still meets the true mark.
ANPR_CONFUSABLE: tuple[str, ...] = ("0ODQ", "1I", "5S", "8B", "2Z")
_ANPR_TABLE = str.maketrans({ch: group[0] for group in ANPR_CONFUSABLE for ch in group})

_MAX_LENGTH = 7


def vrm_format(normalised: str) -> VrmFormat | None:
    """Which UK format a normalised mark has, or None when it has none."""
    if len(normalised) > _MAX_LENGTH:
        return None
    for fmt, pattern in _FORMATS:
        if pattern.fullmatch(normalised):
            return fmt
    return None


def anpr_key(normalised: str) -> str:
    """The mark with every ANPR-confusable character replaced by its class's symbol."""
    return normalised.translate(_ANPR_TABLE)


class VrmType(PropertyType):
    """A vehicle registration mark, upper-case without spaces (``AB12CDE``)."""

    name = "vrm"
    label = "Vehicle registration mark"

    def _clean(self, raw: str, text: str) -> Cleaned:
        mark = alnum_upper(text)
        if not mark:
            return Cleaned(raw, None, False, "no letters or digits")
        if len(mark) > _MAX_LENGTH:
            return Cleaned(raw, mark, False, f"longer than {_MAX_LENGTH} characters")
        fmt = vrm_format(mark)
        if fmt is None:
            return Cleaned(raw, mark, False, "not a UK registration format (foreign or misread)")
        return Cleaned(raw, mark, True, None, (fmt,))

    def compare(self, a: str, b: str) -> float:
        """1 for the same mark; 0.9 for one confusable misread; lower for other differences."""
        if a == b:
            return 1.0
        ka, kb = anpr_key(a), anpr_key(b)
        if ka == kb:
            misreads = sum(1 for x, y in zip(a, b, strict=True) if x != y)
            return max(0.75, 0.95 - 0.05 * misreads)
        similarity = Levenshtein.normalized_similarity(ka, kb)
        return 0.7 * similarity if similarity >= 0.5 else 0.0

    def specificity(self, normalised: str) -> float:
        """A mark in a UK format names one vehicle at a time; anything else is less certain."""
        return 1.0 if vrm_format(normalised) else 0.6

    def keys(self, normalised: str) -> dict[str, list[str]]:
        """The mark and its ANPR-confusion key."""
        return {"vrm": [normalised], "vrm_anpr": [anpr_key(normalised)]}


VRM = register(VrmType())

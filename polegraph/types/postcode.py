"""UK postcodes (``M1 1AE``) with area, district and sector accessors for blocking."""

from __future__ import annotations

import re

from polegraph.types.base import Cleaned, PropertyType, register
from polegraph.types.reference import data_words
from polegraph.types.text import alnum_upper, ascii_fold

POSTCODE_AREAS: frozenset[str] = data_words("postcode_areas.txt")
"""The postcode areas of the UK and the Crown dependencies (``M``, ``SW``, ``BT``...)."""

_SHAPE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})")
_OUTWARD = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")
# The letters Royal Mail allows in each position (its published format rules).
_STRICT_OUTWARD = re.compile(
    r"[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]"
)
_STRICT_INWARD = re.compile(r"[0-9][ABD-HJLNP-UW-Z]{2}")
_IN_TEXT = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})\b")

# Repairs for hand-typed or OCR'd postcodes: the inward code is always digit-letter-letter and
# the area is always letters, so a character of the wrong kind there can only be a slip.
_TO_DIGIT = str.maketrans("OISZB", "01528")
_TO_LETTER = str.maketrans("01528", "OISZB")


def _format(outward: str, inward: str) -> str:
    return f"{outward} {inward}"


def _repair(compact: str) -> str | None:
    if not 5 <= len(compact) <= 7:
        return None
    inward = compact[-3].translate(_TO_DIGIT) + compact[-2:].translate(_TO_LETTER)
    outward = compact[:-3]
    letters = 2 if len(outward) >= 3 and not outward[1].isdigit() else 1
    outward = outward[:letters].translate(_TO_LETTER) + outward[letters:]
    repaired = outward + inward
    match = _SHAPE.fullmatch(repaired)
    if match and _fault(match.group(1), match.group(2)) is None:
        return _format(match.group(1), match.group(2))
    return None


def _fault(outward: str, inward: str) -> str | None:
    """What is wrong with a postcode of the right shape, or None when nothing is."""
    if postcode_area(outward) not in POSTCODE_AREAS:
        return "unknown postcode area"
    if not (_STRICT_OUTWARD.fullmatch(outward) and _STRICT_INWARD.fullmatch(inward)):
        return "letters not used in postcodes in that place"
    return None


def postcode_area(normalised: str) -> str:
    """The area: the leading letters (``M`` of ``M1 1AE``, ``SW`` of ``SW1A 1AA``)."""
    area = ""
    for ch in normalised:
        if not ch.isalpha():
            break
        area += ch
    return area


def postcode_district(normalised: str) -> str:
    """The district: the outward code (``M1``)."""
    return normalised.split(" ", 1)[0]


def postcode_sector(normalised: str) -> str | None:
    """The sector: outward code and the inward digit (``M1 1``); None for an outward code only."""
    outward, _, inward = normalised.partition(" ")
    return f"{outward} {inward[0]}" if inward else None


def extract_postcode(text: str) -> tuple[str | None, str]:
    """The last full postcode written in ``text`` (normalised) and the text without it.

    The last, because addresses end with their postcode; cleaning the remainder plus the
    postcode again then finds the same one.
    """
    upper = ascii_fold(text).upper()
    for match in reversed(list(_IN_TEXT.finditer(upper))):
        if postcode_area(match.group(1)) in POSTCODE_AREAS:
            rest = upper[: match.start()] + " " + upper[match.end() :]
            return _format(match.group(1), match.group(2)), rest
    return None, upper


class PostcodeType(PropertyType):
    """A UK postcode, upper-case with one space before the inward code."""

    name = "postcode"
    label = "Postcode"

    def _clean(self, raw: str, text: str) -> Cleaned:
        compact = alnum_upper(text)
        if not compact:
            return Cleaned(raw, None, False, "no letters or digits")
        if compact == "GIR0AA":  # Girobank's historic code, still in use
            return Cleaned(raw, "GIR 0AA", True)
        match = _SHAPE.fullmatch(compact)
        if match is None:
            if _OUTWARD.fullmatch(compact):
                valid_area = postcode_area(compact) in POSTCODE_AREAS
                reason = "outward code only" if valid_area else "unknown postcode area"
                return Cleaned(raw, compact, False, reason, ("partial",))
            repaired = _repair(compact)
            if repaired is not None:
                return Cleaned(raw, repaired, True, None, ("repaired",))
            return Cleaned(raw, compact, False, "not a UK postcode")
        outward, inward = match.group(1), match.group(2)
        fault = _fault(outward, inward)
        return Cleaned(raw, _format(outward, inward), fault is None, fault)

    def compare(self, a: str, b: str) -> float:
        """1 for the same postcode, then by shared sector, district and area."""
        if a == b:
            return 1.0
        sector_a = postcode_sector(a)
        if sector_a is not None and sector_a == postcode_sector(b):
            return 0.7
        if postcode_district(a) == postcode_district(b):
            return 0.5
        if postcode_area(a) and postcode_area(a) == postcode_area(b):
            return 0.2
        return 0.0

    def specificity(self, normalised: str) -> float:
        """A full postcode is a street or part of one; an outward code is a whole district."""
        return 0.7 if " " in normalised else 0.2

    def keys(self, normalised: str) -> dict[str, list[str]]:
        """The postcode and its sector, district and area, for blocking and filtering."""
        keys: dict[str, list[str]] = {}
        sector = postcode_sector(normalised)
        if sector is not None:
            keys["postcode"] = [normalised]
            keys["postcode_sector"] = [sector]
        keys["postcode_district"] = [postcode_district(normalised)]
        area = postcode_area(normalised)
        if area:
            keys["postcode_area"] = [area]
        return keys


POSTCODE = register(PostcodeType())

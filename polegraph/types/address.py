"""Postal addresses as a normalised key (``FLAT 2 12 HIGH STREET MANCHESTER M1 1AE``) and UPRNs."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from polegraph.types.base import Cleaned, PropertyType, register
from polegraph.types.postcode import POSTCODE, extract_postcode
from polegraph.types.text import ascii_digits

# One spelling per word, so that "12 High St." and "12, High Street" give the same key.
ABBREVIATIONS: dict[str, str] = {
    "RD": "ROAD",
    "AVE": "AVENUE",
    "AV": "AVENUE",
    "LN": "LANE",
    "CL": "CLOSE",
    "CT": "COURT",
    "CRT": "COURT",
    "CRES": "CRESCENT",
    "CRESC": "CRESCENT",
    "GDNS": "GARDENS",
    "GRN": "GREEN",
    "GRO": "GROVE",
    "GR": "GROVE",
    "PL": "PLACE",
    "SQ": "SQUARE",
    "TER": "TERRACE",
    "TERR": "TERRACE",
    "TCE": "TERRACE",
    "PDE": "PARADE",
    "HSE": "HOUSE",
    "HO": "HOUSE",
    "BLDG": "BUILDING",
    "BLDGS": "BUILDINGS",
    "STN": "STATION",
    "PK": "PARK",
    "HTS": "HEIGHTS",
    "MT": "MOUNT",
    "WY": "WAY",
    "WK": "WALK",
    "EST": "ESTATE",
    "CTR": "CENTRE",
    "CNTR": "CENTRE",
    "CENTER": "CENTRE",
    "UPR": "UPPER",
    "LWR": "LOWER",
    "GT": "GREAT",
    "NTH": "NORTH",
    "STH": "SOUTH",
    "FLR": "FLOOR",
    "GRD": "GROUND",
    "BSMT": "BASEMENT",
    "APARTMENT": "FLAT",
    "APT": "FLAT",
    "FLT": "FLAT",
}
# "St" and "Dr" depend on where they stand: after a word they are Street and Drive ("High St",
# "Park Dr"); at the start of a comma-separated part or after a number they are Saint and
# Doctor ("12 St Johns Road", "High Road, St Albans"). Both are always written out, so that
# cleaning a cleaned address, which has lost its commas, decides nothing again.
_AFTER_NAME = {"ST": ("STREET", "SAINT"), "DR": ("DRIVE", "DOCTOR")}

_TOKEN = re.compile(r"[A-Z0-9]+(?:[/-][A-Z0-9]+)*")


def _normalise_tokens(text: str) -> list[str]:
    out: list[str] = []
    for part in text.split(","):
        start = len(out)
        for token in _TOKEN.findall(part):
            if token in _AFTER_NAME:
                after_name, before_name = _AFTER_NAME[token]
                follows_word = len(out) > start and out[-1].isalpha()
                out.append(after_name if follows_word else before_name)
            else:
                out.append(ABBREVIATIONS.get(token, token))
    return out


def split_address_key(normalised: str) -> tuple[str, str | None]:
    """The part of an address key before its postcode, and the postcode (None when none)."""
    postcode, rest = extract_postcode(normalised)
    return " ".join(_TOKEN.findall(rest)), postcode


def house_numbers(normalised: str) -> frozenset[str]:
    """The tokens of an address (without its postcode) that hold digits: house and flat numbers."""
    street, _ = split_address_key(normalised)
    return frozenset(t for t in street.split() if any(ch.isdigit() for ch in t))


class AddressType(PropertyType):
    """A free-text address, normalised to a comparable key with its postcode last."""

    name = "address"
    label = "Address"

    def _clean(self, raw: str, text: str) -> Cleaned:
        postcode, rest = extract_postcode(ascii_digits(text))
        tokens = _normalise_tokens(rest)
        if postcode:
            tokens.append(postcode)
        if not tokens:
            return Cleaned(raw, None, False, "no letters or digits")
        flags = () if postcode else ("no_postcode",)
        return Cleaned(raw, " ".join(tokens), True, None, flags)

    def compare(self, a: str, b: str) -> float:
        """Word-order-tolerant similarity, capped when postcodes or house numbers disagree."""
        if a == b:
            return 1.0
        street_a, postcode_a = split_address_key(a)
        street_b, postcode_b = split_address_key(b)
        similarity = fuzz.token_sort_ratio(street_a, street_b) / 100.0
        numbers_a, numbers_b = house_numbers(a), house_numbers(b)
        if numbers_a and numbers_b and numbers_a.isdisjoint(numbers_b):
            similarity *= 0.5
        if postcode_a and postcode_b:
            if postcode_a != postcode_b:
                return round(min(similarity, 0.3), 6)
            return round(0.3 + 0.7 * similarity, 6)
        return round(similarity, 6)

    def specificity(self, normalised: str) -> float:
        """A numbered address with a postcode names one building; a street name alone does not."""
        _, postcode = split_address_key(normalised)
        numbered = bool(house_numbers(normalised))
        return (0.5 if postcode else 0.2) + (0.5 if numbered else 0.1)

    def keys(self, normalised: str) -> dict[str, list[str]]:
        """The address key, and its postcode's keys when it has one."""
        keys = {"address": [normalised]}
        _, postcode = split_address_key(normalised)
        if postcode:
            keys.update(POSTCODE.keys(postcode))
        return keys


class UprnType(PropertyType):
    """A Unique Property Reference Number: up to 12 digits, kept without leading zeros."""

    name = "uprn"
    label = "UPRN"

    def _clean(self, raw: str, text: str) -> Cleaned:
        compact = ascii_digits(text).replace(" ", "")
        if compact.endswith(".0") and compact[:-2].isdigit():  # spreadsheets make UPRNs floats
            compact = compact[:-2]
        if not compact.isdigit() or not compact.isascii():
            return Cleaned(raw, compact, False, "a UPRN is digits only")
        normalised = compact.lstrip("0") or "0"
        if normalised == "0" or len(normalised) > 12:
            return Cleaned(raw, normalised, False, "a UPRN is 1 to 12 digits, not zero")
        return Cleaned(raw, normalised, True)


ADDRESS = register(AddressType())
UPRN = register(UprnType())

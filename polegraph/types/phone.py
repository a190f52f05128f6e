"""Phone numbers in E.164 (``+447911123456``), parsed with ``phonenumbers``, UK by default."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat

from polegraph.types.base import Cleaned, PropertyType, register
from polegraph.types.text import ascii_digits, dampen

DEFAULT_REGION = "GB"

# Ofcom reserves these UK ranges for drama and examples (national significant number prefix,
# then the length of the whole NSN). They are "possible" but not "valid" to phonenumbers, yet
# training data, exercises and fiction use them, so they are accepted and flagged.
_DRAMA_PREFIXES: tuple[str, ...] = (
    "7700900",  # 07700 900000-900999, mobile
    "1632960",  # 01632 960000-960999, geographic, no real area
    "2079460",  # 020 7946 0000-0999, London
    "1134960",  # 0113 496 0000-0999, Leeds
    "1144960",
    "1154960",
    "1164960",
    "1174960",
    "1184960",
    "1214960",
    "1314960",
    "1414960",
    "1514960",
    "1614960",  # 0161 496 0000-0999, Manchester
    "1914980",  # 0191 498 0000-0999, Tyneside
    "2890180",  # 028 9018 0000-0999, Belfast
    "2920180",  # 029 2018 0000-0999, Cardiff
    "8081570",  # 0808 157 0000-0999, freephone
    "9098790",  # 0909 879 0000-0999, premium rate
    "3069990",  # 03069 990000-990999, non-geographic
)

_DIGITS = re.compile(r"[0-9]")
_FLOAT_TAIL = re.compile(r"(?<=[0-9])\.0+\s*$")  # spreadsheets turn number columns into floats
_NOT_DIGIT = re.compile(r"[^0-9]")


def _parse(text: str, region: str) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException:
        return None


def _e164(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def is_drama_number(e164: str) -> bool:
    """True for the UK numbers Ofcom keeps for drama and examples (07700 900xxx and others)."""
    return e164.startswith("+44") and len(e164) == 13 and e164[3:].startswith(_DRAMA_PREFIXES)


class PhoneType(PropertyType):
    """A telephone number, normalised to E.164."""

    name = "phone"
    label = "Phone number"

    def __init__(self, region: str = DEFAULT_REGION) -> None:
        self.region = region

    def _clean(self, raw: str, text: str) -> Cleaned:
        cleaned = self._clean_once(raw, text)
        # phonenumbers does not always reproduce its own output for numbers padded with
        # zeros ("00000000000"); a normal form must, so parse again until nothing changes.
        for _ in range(3):
            if cleaned.normalised is None or cleaned.normalised == text:
                break
            text = cleaned.normalised
            cleaned = self._clean_once(raw, text)
        return cleaned

    def _clean_once(self, raw: str, text: str) -> Cleaned:
        text = _FLOAT_TAIL.sub("", ascii_digits(text))
        digits = "".join(_DIGITS.findall(text))
        if not digits:
            return Cleaned(raw, None, False, "no digits")
        plus = "+" if text.lstrip().startswith("+") else ""
        # Parse the digits alone when the text does not parse, so that cleaning the digits
        # kept from a failed parse gives the same result.
        number = _parse(text, self.region)
        if number is None:
            number = _parse(plus + digits, self.region)
        if number is None:
            return Cleaned(raw, plus + digits, False, "not recognised as a phone number")
        e164 = _e164(number)
        if is_drama_number(e164):
            return Cleaned(raw, e164, True, None, ("drama_range",))
        if phonenumbers.is_valid_number(number):
            return Cleaned(raw, e164, True)
        if phonenumbers.is_possible_number(number):
            return Cleaned(raw, e164, False, "possible but not an allocated number range")
        # Short codes (999, 101) and truncated numbers: E.164 would invent a country code,
        # so keep the digits as written.
        return Cleaned(raw, plus + digits, False, "wrong length for a phone number")

    def compare(self, a: str, b: str) -> float:
        """1 for the same number; 0.7 when the last nine digits agree (parsed in the wrong region)."""
        if a == b:
            return 1.0
        da, db = _NOT_DIGIT.sub("", a), _NOT_DIGIT.sub("", b)
        if min(len(da), len(db)) >= 9 and da[-9:] == db[-9:]:
            return 0.7
        return 0.0

    def specificity(self, normalised: str) -> float:
        """Full numbers identify a line; short codes and fragments say little."""
        return dampen(5, 10, len(_NOT_DIGIT.sub("", normalised)))

    def keys(self, normalised: str) -> dict[str, list[str]]:
        """E.164, the national form an investigator types, and the last six digits."""
        keys: dict[str, list[str]] = {"phone": [normalised]}
        number = _parse(normalised, self.region) if normalised.startswith("+") else None
        if number is not None:
            national = str(number.national_number)
            if number.country_code == 44:
                national = "0" + national
            keys["phone_national"] = [national]
        digits = _NOT_DIGIT.sub("", normalised)
        if len(digits) >= 6:
            keys["phone_suffix"] = [digits[-6:]]
        return keys


def phone_variants(query: str, region: str = DEFAULT_REGION) -> list[str]:
    """E.164 readings of what an investigator typed, most likely first; empty when none.

    ``07911 123456``, ``7911123456``, ``447911123456`` and ``0044 7911 123456`` all give
    ``+447911123456``; ``353871234567`` (a foreign number without its ``+``) gives the
    Irish reading as well as any UK one.
    """
    text = ascii_digits(query.strip())
    digits = "".join(_DIGITS.findall(text))
    if len(digits) < 6:
        return []
    readings: list[str] = []
    candidates = [text]
    if not text.startswith("+") and not digits.startswith("0"):
        candidates.append("+" + digits)
    for candidate in candidates:
        number = _parse(candidate, region)
        if number is None or not phonenumbers.is_possible_number(number):
            continue
        e164 = _e164(number)
        plausible = phonenumbers.is_valid_number(number) or is_drama_number(e164)
        if plausible and e164 not in readings:
            readings.append(e164)
    if not readings:
        number = _parse(text, region)
        if number is not None and phonenumbers.is_possible_number(number):
            readings.append(_e164(number))
    return readings


def find_phones(text: str, region: str = DEFAULT_REGION) -> list[str]:
    """E.164 forms of every phone number written in free text ("call 07911 123456 or ...")."""
    found: list[str] = []
    for match in phonenumbers.PhoneNumberMatcher(ascii_digits(text), region):
        e164 = _e164(match.number)
        if e164 not in found:
            found.append(e164)
    return found


PHONE = register(PhoneType())

"""Handset IMEIs: 15 digits with a Luhn check digit (``python-stdnum``)."""

from __future__ import annotations

import re

from stdnum import luhn

from polegraph.types.base import Cleaned, PropertyType, register
from polegraph.types.text import ascii_digits

_NOT_DIGIT = re.compile(r"[^0-9]")
_SEPARATORS = re.compile(r"[\s\-./]")
_LABEL = re.compile(r"^\s*IMEI(?:SV)?\s*(?:NO\.?|NUMBER)?\s*[:#=]?", re.IGNORECASE)


def imei_body(normalised: str) -> str:
    """The 14 digits that identify the handset (TAC and serial), without the check digit."""
    return normalised[:14]


def imei_tac(normalised: str) -> str:
    """The type allocation code: the first 8 digits, naming the make and model."""
    return normalised[:8]


def _with_check_digit(body: str) -> str:
    return body + str(luhn.calc_check_digit(body))


class ImeiType(PropertyType):
    """An IMEI, normalised to 15 digits with a correct check digit where one can be known."""

    name = "imei"
    label = "IMEI"

    def _clean(self, raw: str, text: str) -> Cleaned:
        compact = _SEPARATORS.sub("", _LABEL.sub("", ascii_digits(text)))
        digits = _NOT_DIGIT.sub("", compact)
        if not digits:
            return Cleaned(raw, None, False, "no digits")
        cleaned = self._clean_digits(raw, digits)
        if digits != compact:
            return Cleaned(raw, cleaned.normalised, False, "letters or symbols in an IMEI")
        return cleaned

    def _clean_digits(self, raw: str, digits: str) -> Cleaned:
        if len(digits) == 15:
            if luhn.is_valid(digits):
                return Cleaned(raw, digits, True)
            if digits.endswith("0"):
                # Network signalling and call data records carry the IMEI's 14 identifying
                # digits plus a spare 0 in place of the check digit; the handset is the same one
                # an extraction reports with its true check digit, so both key to that form.
                fixed = _with_check_digit(digits[:14])
                return Cleaned(raw, fixed, True, None, ("spare_digit",))
            return Cleaned(raw, digits, False, "Luhn check digit is wrong")
        if len(digits) == 14:
            return Cleaned(raw, _with_check_digit(digits), True, None, ("check_digit_added",))
        if len(digits) == 16:
            # IMEISV: 14 identifying digits and a 2-digit software version, no check digit.
            return Cleaned(raw, _with_check_digit(digits[:14]), True, None, ("imeisv",))
        return Cleaned(raw, digits, False, f"{len(digits)} digits, an IMEI has 15")

    def compare(self, a: str, b: str) -> float:
        """1 when the 14 identifying digits agree (check digits aside), else 0."""
        if len(a) >= 14 and imei_body(a) == imei_body(b):
            return 1.0
        return 1.0 if a == b else 0.0

    def specificity(self, normalised: str) -> float:
        """A full IMEI names one handset; a fragment names none."""
        return 1.0 if len(normalised) == 15 else 0.3

    def keys(self, normalised: str) -> dict[str, list[str]]:
        """The IMEI and its type allocation code (make and model)."""
        keys = {"imei": [normalised]}
        if len(normalised) >= 8:
            keys["imei_tac"] = [imei_tac(normalised)]
        return keys


IMEI = register(ImeiType())

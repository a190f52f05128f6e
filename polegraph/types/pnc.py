"""Police National Computer IDs and Criminal Records Office numbers, with their check letters.

Both use the 23-letter alphabet ``ZABCDEFGHJKLMNPQRTUVWXY`` (no I, O or S) indexed by a
number mod 23:

* PNC ID ``YYYY/NNNNNNNA`` (or ``YY/NNNNNNNA``): the two-digit year followed by the serial
  zero-padded to 7 digits. ``2008/0056560Z``: 080056560 mod 23 = 0 -> Z.
* CRO ``NNNNNN/YYA``: the two-digit year followed by the serial zero-padded to 6 digits.
  ``265416/21G``: 21265416 mod 23 = 7 -> G.
* CRO ``SF YY/NNNNNA`` (scanned fingerprint series): the year followed by the serial
  zero-padded to 5 digits. ``SF94/5431U``: 9405431 mod 23 = 17 -> U.

These readings were checked against published example numbers (see the tests): every PNC ID
example agrees; for SF numbers, padding the serial to 5 digits agrees with 14 of 15 examples
where taking the serial as written agrees with 10, so the padded reading is the one used.
"""

from __future__ import annotations

import datetime as dt
import re

from polegraph.types.base import Cleaned, PropertyType, register
from polegraph.types.text import ascii_fold

CHECK_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"

_PNC_SLASHED = re.compile(r"(\d{2}|\d{4})/(\d{1,7})([A-Z])")
_PNC_LONG = re.compile(r"(\d{4})(\d{7})([A-Z])")
_PNC_SHORT = re.compile(r"(\d{2})(\d{1,7})([A-Z])")
_CRO_STANDARD = re.compile(r"(\d{1,6})/(\d{2})([A-Z])")
_CRO_SF = re.compile(r"SF(\d{2})/(\d{1,6})([A-Z])")
_NOISE = re.compile(r"[^A-Z0-9/]")
_LABEL = re.compile(r"^(?:PNC|CRO)(?:ID|NO|NUMBER)?")


def check_letter(number: str) -> str:
    """The check letter for the digits ``number`` (year and serial, already padded)."""
    return CHECK_ALPHABET[int(number) % 23]


def _compact(text: str) -> str:
    # "PNC ID: 08/56560Z" and "CRO No 265416/21G" are common in free-text fields.
    return _LABEL.sub("", _NOISE.sub("", ascii_fold(text).upper()))


def _full_year(two_digits: str, today: dt.date | None = None) -> str:
    # PNC years are when the record was created: never in the future, so a two-digit year
    # after this year's belongs to the last century.
    this_year = (today or dt.date.today()).year
    year = 2000 + int(two_digits)
    return str(year if year <= this_year else year - 100)


def pnc_check_letter(year: str, serial: str) -> str:
    """The PNC ID check letter for a year (2 or 4 digits) and serial."""
    return check_letter(year[-2:] + serial.zfill(7))


class PncIdType(PropertyType):
    """A PNC ID, normalised to the long form ``YYYY/NNNNNNNA``."""

    name = "pnc_id"
    label = "PNC ID"

    def _clean(self, raw: str, text: str) -> Cleaned:
        compact = _compact(text)
        match = (
            _PNC_SLASHED.fullmatch(compact) or _PNC_LONG.fullmatch(compact) or _PNC_SHORT.fullmatch(compact)
        )
        if match is None:
            return Cleaned(raw, compact or None, False, "not a PNC ID (YY/NNNNNNNA)")
        year, serial, letter = match.groups()
        if len(year) == 2:
            year = _full_year(year)
        normalised = f"{year}/{serial.zfill(7)}{letter}"
        expected = pnc_check_letter(year, serial)
        if letter != expected:
            return Cleaned(raw, normalised, False, f"check letter should be {expected}")
        return Cleaned(raw, normalised, True)

    def compare(self, a: str, b: str) -> float:
        """1 for the same ID, also when one was written with a two-digit year."""
        if a == b or (len(a) == len(b) == 13 and a[2:] == b[2:]):
            return 1.0
        return 0.0

    def keys(self, normalised: str) -> dict[str, list[str]]:
        """The long form and the short ``YY/NNNNNNNA`` form people type."""
        keys = {"pnc_id": [normalised]}
        if len(normalised) == 13:
            keys["pnc_id_short"] = [normalised[2:]]
        return keys


class CroType(PropertyType):
    """A CRO number: ``NNNNNN/YYA`` or the fingerprint series ``SFYY/NNNNNA``."""

    name = "cro"
    label = "CRO number"

    def _clean(self, raw: str, text: str) -> Cleaned:
        compact = _compact(text)
        if match := _CRO_SF.fullmatch(compact):
            year, serial, letter = match.groups()
            serial = str(int(serial)).zfill(5)
            normalised = f"SF{year}/{serial}{letter}"
            expected = check_letter(year + serial)
        elif match := _CRO_STANDARD.fullmatch(compact):
            serial, year, letter = match.groups()
            serial = serial.zfill(6)
            normalised = f"{serial}/{year}{letter}"
            expected = check_letter(year + serial)
        else:
            return Cleaned(raw, compact or None, False, "not a CRO number (NNNNNN/YYA)")
        if letter != expected:
            return Cleaned(raw, normalised, False, f"check letter should be {expected}")
        return Cleaned(raw, normalised, True)


PNC_ID = register(PncIdType())
CRO = register(CroType())

"""National Insurance numbers: ``AB123456C``, prefix rules from HMRC, suffix A-D."""

from __future__ import annotations

import re

from polegraph.types.base import Cleaned, PropertyType, register
from polegraph.types.text import alnum_upper

_SHAPE = re.compile(r"([A-Z]{2})(\d{6})([A-Z]?)")
_BAD_FIRST = frozenset("DFIQUV")
_BAD_SECOND = frozenset("DFIOQUV")
# Never issued: BG, GB, NK, KN, TN (used for temporary numbers), NT and ZZ.
_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_SUFFIXES = frozenset("ABCD")


def nino_key(normalised: str) -> str:
    """The prefix and digits, without the suffix letter, which many records leave off."""
    return normalised[:8]


class NinoType(PropertyType):
    """A National Insurance number, upper-case without spaces (``QQ123456C``)."""

    name = "nino"
    label = "National Insurance number"

    def _clean(self, raw: str, text: str) -> Cleaned:
        compact = alnum_upper(text)
        match = _SHAPE.fullmatch(compact)
        if match is None:
            return Cleaned(raw, compact or None, False, "not two letters, six digits, a letter")
        prefix, _, suffix = match.groups()
        reason = None
        if prefix in _BAD_PREFIXES:
            reason = f"prefix {prefix} is never issued"
        elif prefix[0] in _BAD_FIRST or prefix[1] in _BAD_SECOND:
            reason = f"prefix {prefix} uses a letter not allowed there"
        elif suffix and suffix not in _SUFFIXES:
            reason = f"suffix {suffix} is not A, B, C or D"
        flags = () if suffix else ("no_suffix",)
        return Cleaned(raw, compact, reason is None, reason, flags)

    def compare(self, a: str, b: str) -> float:
        """1 for the same number; the suffix letter is ignored."""
        return 1.0 if a == b or (len(a) >= 8 and nino_key(a) == nino_key(b)) else 0.0

    def keys(self, normalised: str) -> dict[str, list[str]]:
        """The number and the number without its suffix."""
        return {"nino": [normalised], "nino_key": [nino_key(normalised)]}


NINO = register(NinoType())

"""Phonetic codes for folded name tokens: Metaphone and NYSIIS from ``jellyfish``.

Double Metaphone would be the better choice for names of many origins, but no maintained
Python package provides it, so two single codes are used side by side: two names "sound
alike" here when either code agrees. Codes are prefixed (``M:``, ``N:``) in search keys so
that a Metaphone code never meets a NYSIIS code.
"""

from __future__ import annotations

from functools import lru_cache

import jellyfish

METAPHONE_PREFIX = "M:"
NYSIIS_PREFIX = "N:"


@lru_cache(maxsize=65536)
def phonetic_codes(token: str) -> tuple[str, str]:
    """The (Metaphone, NYSIIS) codes of a folded token; empty strings for non-letters."""
    letters = "".join(ch for ch in token if "A" <= ch <= "Z")
    if len(letters) < 2:
        return "", ""
    return jellyfish.metaphone(letters).upper(), jellyfish.nysiis(letters).upper()


def phonetic_keys(token: str) -> list[str]:
    """The prefixed phonetic search keys of a folded token."""
    metaphone, nysiis = phonetic_codes(token)
    keys = []
    if metaphone:
        keys.append(METAPHONE_PREFIX + metaphone)
    if nysiis:
        keys.append(NYSIIS_PREFIX + nysiis)
    return keys


def sound_alike(a: str, b: str) -> int:
    """How many of the two phonetic codes two folded tokens share (0, 1 or 2)."""
    ma, na = phonetic_codes(a)
    mb, nb = phonetic_codes(b)
    return int(bool(ma) and ma == mb) + int(bool(na) and na == nb)

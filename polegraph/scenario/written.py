"""Identifiers and times as different systems and officers write them.

The same phone number appears as ``07700 900123``, ``+44 7700 900123``, ``0044 7700 900123``,
``447700900123``, or with its leading zero lost to a spreadsheet; a postcode with or without its
space; a registration with or without one. The loaders must bring each back to one value.
"""

from __future__ import annotations

import datetime as dt
import random

from polegraph.scenario.rand import weighted

# Area codes whose subscriber number is split 3+4 after a two-digit code (020 7946 0123).
_TWO_DIGIT_AREAS = ("20", "23", "24", "28", "29")


def _national_groups(national: str) -> tuple[str, str]:
    """The national number (no leading 0) split where people put the space."""
    if national.startswith("7"):
        return national[:4], national[4:]
    if national[:2] in _TWO_DIGIT_AREAS:
        return national[:2], f"{national[2:6]} {national[6:]}"
    if national[1] == "1" or national[2] == "1":  # 0113, 0161, 0121...: 3 + 3 + 4
        return national[:3], f"{national[3:6]} {national[6:]}"
    return national[:4], national[4:]


def phone_text(e164: str, rng: random.Random) -> str:
    """``e164`` (a UK number) in one of the ways records write phone numbers."""
    national = e164[3:]
    area, rest = _national_groups(national)
    form = weighted(
        rng,
        (
            ("national", 5.0),
            ("national_compact", 3.0),
            ("international", 2.0),
            ("international_0", 1.0),
            ("double_zero", 1.0),
            ("digits_44", 1.0),
            ("e164", 1.0),
            ("dashes", 0.5),
            ("lost_zero", 0.3),
        ),
    )
    if form == "national":
        return f"0{area} {rest}"
    if form == "national_compact":
        return f"0{national}"
    if form == "international":
        return f"+44 {area} {rest}"
    if form == "international_0":
        return f"+44 (0){area} {rest}"
    if form == "double_zero":
        return f"0044 {area} {rest}"
    if form == "digits_44":
        return f"44{national}"
    if form == "dashes":
        return f"0{area}-{rest.replace(' ', '-')}"
    if form == "lost_zero":
        return national
    return e164


def other_phone_format(e164: str, stored: str) -> str:
    """A way of writing ``e164`` that differs from ``stored`` (for identifier queries)."""
    national = e164[3:]
    area, rest = _national_groups(national)
    for candidate in (f"0044 {area} {rest}", f"+44 (0){area} {rest}", f"0{national}", f"44{national}"):
        if candidate != stored:
            return candidate
    return e164


def postcode_text(postcode: str, rng: random.Random) -> str:
    """``OL11 1AB`` as written: with its space, without it, or in lower case."""
    form = rng.randrange(10)
    if form < 6:
        return postcode
    if form < 9:
        return postcode.replace(" ", "")
    return postcode.lower()


def vrm_text(vrm: str, rng: random.Random) -> str:
    """A registration as an officer writes it: ``AB12 CDE``, ``AB12CDE`` or ``ab12 cde``."""
    spaced = f"{vrm[:4]} {vrm[4:]}" if len(vrm) == 7 else vrm
    form = rng.randrange(10)
    if form < 6:
        return spaced
    if form < 9:
        return vrm
    return spaced.lower()


def local_time_text(when: dt.datetime, rng: random.Random, *, iso_share: float = 0.3) -> str:
    """A UK local time as police systems export it: ``03/03/2024 08:15`` or ``2024-03-03T08:15:00``."""
    if rng.random() < iso_share:
        return when.strftime("%Y-%m-%dT%H:%M:%S")
    return when.strftime("%d/%m/%Y %H:%M")

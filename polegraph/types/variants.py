"""Name variant groups (data/name_variants.csv) and rule-based variants (Mc/Mac, -ska/-ski)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from rapidfuzz import process
from rapidfuzz.distance import OSA

from polegraph.types.reference import data_lines
from polegraph.types.text import fold

VARIANTS_FILE = "name_variants.csv"

# Slavonic surnames take a feminine ending: a sister recorded as KOWALSKA, a brother as
# KOWALSKI. Each pair is (feminine ending, masculine ending), checked in order.
_GENDERED_ENDINGS: tuple[tuple[str, str], ...] = (
    ("SKA", "SKI"),
    ("CKA", "CKI"),
    ("OVA", "OV"),
    ("EVA", "EV"),
    ("INA", "IN"),
)
_MIN_GENDERED_LENGTH = 6
_MIN_NEAR_LENGTH = 4


def _fold_member(text: str) -> str:
    # "Abu Bakr" and "Abubakr" are one name: members are keyed with their spaces removed.
    return fold(text).replace(" ", "")


@lru_cache(maxsize=1)
def variant_index() -> Mapping[str, frozenset[str]]:
    """Every folded name in the variants file, with the keys of the groups it belongs to."""
    index: dict[str, set[str]] = {}
    for line in data_lines(VARIANTS_FILE):
        cells = [_fold_member(cell) for cell in line.split(",")]
        key = cells[0]
        for member in cells:
            if member:
                index.setdefault(member, set()).add(key)
    return MappingProxyType({name: frozenset(keys) for name, keys in index.items()})


@lru_cache(maxsize=1)
def _known_names() -> tuple[str, ...]:
    return tuple(sorted(variant_index()))


@lru_cache(maxsize=4096)
def near_variant_names(token: str) -> tuple[str, ...]:
    """Names of the variants file one keying error from ``token``, when ``token`` is in none itself.

    A typed RBECCA is no name the file knows, but one letter from REBECCA, whose group holds BEX and
    BECKY: a misspelling is read as the names it is nearest, so that its variants are found too.
    A known name is never re-read (JAMES is not a misspelt JAMIE), and short tokens are left to the
    spelling match (one letter from a three-letter name is too many names).
    """
    if len(token) < _MIN_NEAR_LENGTH or token in variant_index():
        return ()
    found = process.extract(token, _known_names(), scorer=OSA.distance, score_cutoff=1, limit=None)
    return tuple(sorted(name for name, _, _ in found))


def variant_groups(token: str) -> frozenset[str]:
    """The keys of the variant groups a folded name token belongs to (empty when none)."""
    return variant_index().get(token, frozenset())


def mac_form(token: str) -> str:
    """McDonald and MacDonald are one surname: the Mc form is keyed as Mac."""
    if token.startswith("MC") and len(token) > 3:
        return "MAC" + token[2:]
    return token


def masculine_forms(token: str) -> list[str]:
    """The masculine forms of a feminine Slavonic surname (KOWALSKA -> KOWALSKI)."""
    if len(token) < _MIN_GENDERED_LENGTH:
        return []
    for feminine, masculine in _GENDERED_ENDINGS:
        if token.endswith(feminine):
            stem = token[: -len(feminine)]
            forms = [stem + masculine]
            if feminine == "OVA":  # Czech and Slovak: NOVAKOVA is the wife or daughter of NOVAK
                forms.append(stem)
            return forms
    return []


def token_variant_keys(token: str, *, surname: bool = False) -> list[str]:
    """Variant keys of one folded token: its groups, or the token itself when it has none."""
    keys = sorted(variant_groups(token)) or [token]
    mac = mac_form(token)
    if mac != token:
        keys.append(mac)
    if surname:
        keys.extend(masculine_forms(token))
    return keys


def share_variant(a: str, b: str) -> bool:
    """True when two folded tokens are in one variant group or are Mc/Mac forms of one name."""
    if mac_form(a) == mac_form(b):
        return True
    return not variant_groups(a).isdisjoint(variant_groups(b))

"""What the linker compares of a nominal: the columns Splink sees, computed by ``polegraph/types``.

Comparison happens in SQL (so that the DuckDB and Spark backends run the same model), and SQL
cannot call the Python that knows names and dates. So the keys are computed here, once per
person: variant-group keys (Mohammed/Muhammad/Mohd, William/Bill), phonetic codes, folded
tokens, the day/month-swapped birth date, postcode sector and district, and the variant keys of
the names a misspelt token is one keying error from (RBECCA -> REBECCA's group, so BECKY). The
comparisons in ``model.py`` only test these for equality, overlap or string distance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from polegraph.types.date import PartialDate
from polegraph.types.name import NameToken, name_tokens
from polegraph.types.name_parse import SURNAME_PREFIXES, parse_name
from polegraph.types.phonetic import phonetic_codes
from polegraph.types.postcode import postcode_district, postcode_sector
from polegraph.types.variants import near_variant_names, token_variant_keys


@dataclass
class PersonRecord:
    """One Person node as the linker reads it: its own properties and what it is connected to."""

    uid: str
    source_key: str
    force: str
    full_name: str | None = None
    forenames: str | None = None
    surname: str | None = None
    dob: str | None = None
    sex: str | None = None
    pnc_id: str | None = None
    cro: str | None = None
    nino: str | None = None
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    postcodes: list[str] = field(default_factory=list)
    new: bool = True


def _canonical(token: NameToken) -> str:
    # The first variant-group key: two spellings in one group get the same key.
    return token_variant_keys(token.text, surname=token.surname)[0]


def _near_keys(token: str, *, surname: bool = False) -> list[str]:
    """The token's own variant keys and, for a token no group knows, those of the names one keying
    error away: a misspelt variant (MOHAAMMED for MOHD) still meets its group.
    """
    keys = set(token_variant_keys(token, surname=surname))
    for near in near_variant_names(token):
        keys.update(token_variant_keys(near, surname=surname))
    return sorted(keys)


def _name_text(person: PersonRecord) -> str:
    if person.forenames or person.surname:
        # "SURNAME, FORENAMES" keeps the parts apart for the name parser.
        return f"{person.surname or ''}, {person.forenames or ''}".strip(", ")
    return person.full_name or ""


def _surname_keys(text: str, surname: str) -> list[str]:
    """Variant keys of the surname as one word and of each of its words but a prefix: a parser
    reads "Ibrahim Abdul Mirza" as IBRAHIM ABDUL-MIRZA where "MIRZA, Ibrahim Abdul" has MIRZA, and
    SMITH-JONES is also recorded as JONES.
    """
    keys = set(token_variant_keys(surname, surname=True))
    words = parse_name(text).surname.replace("-", " ").split()
    if len(words) > 1:
        for word in words:
            if word not in SURNAME_PREFIXES and len(word) > 1:
                keys.update(token_variant_keys(word, surname=True))
    return sorted(keys)


def _name_columns(person: PersonRecord) -> dict[str, Any]:
    text = _name_text(person)
    tokens = name_tokens(text) if text else ()
    forenames = [t for t in tokens if not t.surname]
    surnames = [t for t in tokens if t.surname]
    if not surnames and len(forenames) > 1:  # a name with no known parts: the last word is the surname
        surnames, forenames = [NameToken(forenames[-1].text, True)], forenames[:-1]
    full_forenames = [t for t in forenames if len(t.text) > 1]
    first = full_forenames[0] if full_forenames else None
    surname = "".join(t.text for t in surnames) or None
    surname_token = NameToken(surname, True) if surname else None
    return {
        "name_fp": " ".join(sorted(t.text for t in tokens)) or None,
        "forename_v": _canonical(first) if first else None,
        "forename_folded": first.text if first else None,
        "forename_ph": phonetic_codes(first.text)[0] if first else None,
        "forename_keys": token_variant_keys(first.text) if first else None,
        "forename_near": _near_keys(first.text) if first else None,
        "forename_initial": forenames[0].text[0] if forenames else None,
        "forename_vs": sorted({_canonical(t) for t in full_forenames}) or None,
        "surname_v": _canonical(surname_token) if surname_token else None,
        "surname_keys": _surname_keys(text, surname) if surname else None,
        "surname_near": _near_keys(surname, surname=True) if surname else None,
        "surname_folded": surname,
        "surname_initial": surname[0] if surname else None,
        "surname_ph": phonetic_codes(surname)[0] if surname else None,
    }


def _dob_columns(dob: str | None) -> dict[str, Any]:
    date = PartialDate.from_iso(dob) if dob else None
    if date is None:
        return dict.fromkeys(("dob", "dob_swapped", "dob_year", "dob_md", "dob_partial", "dob_jan1"))
    swapped = date.swapped()
    return {
        "dob": date.iso(),
        "dob_swapped": swapped.iso() if swapped else None,
        "dob_year": date.year,
        "dob_md": date.iso()[5:] if date.is_full else None,
        "dob_partial": not date.is_full,
        "dob_jan1": date.is_default_day_month,
    }


def _postcode_columns(postcodes: list[str]) -> dict[str, Any]:
    full = sorted(set(postcodes))
    sectors = sorted({s for p in full if (s := postcode_sector(p))})
    districts = sorted({postcode_district(p) for p in full})
    return {"postcodes": full or None, "sectors": sectors or None, "districts": districts or None}


def feature_row(person: PersonRecord) -> dict[str, Any]:
    """The row of one person in the table Splink links (one column per key it compares)."""
    return {
        "unique_id": person.uid,
        "source_key": person.source_key,
        "force": person.force,
        "is_new": person.new,
        **_name_columns(person),
        **_dob_columns(person.dob),
        "sex": person.sex if person.sex not in (None, "UNKNOWN") else None,
        "pnc_id": person.pnc_id,
        "cro": person.cro,
        "nino": person.nino,
        "phones": sorted(set(person.phones)) or None,
        "emails": sorted(set(person.emails)) or None,
        **_postcode_columns(person.postcodes),
    }


FEATURE_COLUMNS = tuple(feature_row(PersonRecord("u", "s", "F")))
"""The columns of the linking table, in order."""
LIST_COLUMNS = frozenset(
    {"forename_keys", "forename_near", "forename_vs", "surname_keys", "surname_near",
     "phones", "emails", "postcodes", "sectors", "districts"}
)  # fmt: skip
"""The columns that hold lists (compared by overlap, exploded for blocking)."""

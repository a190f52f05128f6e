"""Why a hit matched, in a few short lines an investigator can check against the record.

Built from the hit's ``matched_queries`` (the named clauses of ``clauses.py``) and, where it helps,
the hit's own values: "name variant of MOHAMMED (MUHAMMAD)", "phone +447911123456 matched in any
format", "DOB with day/month swapped (1999-02-11)". For each name token and each date only the
strongest reason is given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rapidfuzz.distance import Levenshtein

from polegraph.search.clauses import Named, QueryPlan
from polegraph.types.phonetic import sound_alike
from polegraph.types.variants import share_variant

_NAME_ORDER = (
    "name_exact",
    "name_variant",
    "name_phonetic",
    "name_fuzzy",
    "name_near_variant",
    "name_initial",
)
_DOB_ORDER = (
    "dob_exact",
    "dob_swapped",
    "dob_default",
    "dob_month",
    "dob_year",
    "dob_partial",
    "dob_same_year",
    "dob_near_year",
)
_IDENTIFIER_TEXT = {
    "email": "e-mail {value} (case ignored)",
    "imei": "IMEI {value}",
    "pnc_id": "PNC ID {value}",
    "cro": "CRO number {value}",
    "nino": "National Insurance number {value}",
    "reference": "reference {raw}",
    "postcode_sector": "postcode sector {value}",
    "postcode_district": "postcode district {value}",
}
_NAME_TEXT = {
    "name_variant": "name variant of",
    "name_phonetic": "name sounds like",
    "name_fuzzy": "name spelt like",
    "name_near_variant": "misspelt name, variant of",
    "name_initial": "initial",
}
_EM = re.compile(r"<em>(.*?)</em>")
_TEXT_FIELDS = ("text", "text_translated", "address")


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def hit_title(source: Mapping[str, Any]) -> str:
    """A short label for a hit: the name, the identifier or the address it stands for."""
    names = [str(n) for n in as_list(source.get("name"))]
    if names:
        # The normalised full name ("KHAN, MOHAMMED") rather than an alias or a name part.
        return next((n for n in names if ", " in n), max(names, key=len))
    for key in ("vrms", "phones", "emails", "identifiers", "address"):
        values = as_list(source.get(key))
        if values:
            return str(values[0])
    postcodes = as_list(source.get("postcodes", {}).get("full"))
    if postcodes:
        return str(postcodes[0])
    return str(source.get("label", "record"))


def _doc_token(kind: str, token: str, folded: Sequence[str]) -> str | None:
    """The record's name token that a query token met by ``kind``."""
    candidates = [t for t in folded if t != token]
    if kind == "name_variant":
        found = [t for t in candidates if share_variant(t, token)]
    elif kind == "name_near_variant":  # the value is the names the typed token is one letter from
        found = [t for t in candidates if any(share_variant(t, near) for near in token.split("/"))]
    elif kind == "name_phonetic":
        found = [t for t in candidates if sound_alike(t, token)]
    elif kind == "name_fuzzy":
        by_distance = sorted((Levenshtein.distance(t, token), t) for t in candidates)
        found = [t for distance, t in by_distance if distance <= 2]
    elif kind == "name_initial":
        found = [t for t in folded if t.startswith(token) and len(t) > 1]
    else:
        found = []
    return found[0] if found else None


def _name_lines(named: list[Named], source: Mapping[str, Any]) -> list[str]:
    folded = [str(t) for t in as_list(source.get("name_keys", {}).get("folded"))]
    lines: list[str] = []
    by_name: dict[str, dict[int, list[Named]]] = {}
    for clause in named:
        by_name.setdefault(clause.name, {}).setdefault(clause.token or 0, []).append(clause)
    full = {c.name for c in named if c.kind == "name_full"}
    for name, tokens in by_name.items():
        exact: list[str] = []
        others: list[str] = []
        for _, clauses in sorted(tokens.items()):
            ranked = sorted(
                (c for c in clauses if c.kind in _NAME_ORDER), key=lambda c: _NAME_ORDER.index(c.kind)
            )
            if not ranked:
                continue
            best = ranked[0]
            if best.kind == "name_exact":
                exact.append(best.value)
                continue
            found = _doc_token(best.kind, best.value, folded)
            others.append(f"{_NAME_TEXT[best.kind]} {best.value}" + (f" ({found})" if found else ""))
        initials = [c.value for c in named if c.kind == "name_initials" and c.name == name]
        if initials:
            lines.append(f"initials {initials[0]}")
        if name in full:
            lines.append(f"full name {' '.join(exact) or name.upper()} in any order")
        elif exact:
            lines.append(f"name {' '.join(exact)}")
        lines += others
    return lines


def _dob_line(clause: Named, source: Mapping[str, Any]) -> str:
    recorded = ", ".join(str(v) for v in as_list(source.get("dob", {}).get("iso")))
    kind, value = clause.kind, clause.value
    if kind == "dob_exact":
        return f"DOB {value}"
    if kind == "dob_swapped":
        return f"DOB with day/month swapped ({recorded or value})"
    if kind == "dob_default":
        return f"DOB recorded as {value}, often a placeholder for an unknown date"
    if kind == "dob_month":
        return f"born in {value}"
    if kind == "dob_year":
        return f"born in {value}"
    if kind == "dob_partial":
        return f"DOB recorded only as {recorded or value}"
    if kind == "dob_same_year":
        return f"born in {value}, DOB recorded as {recorded}" if recorded else f"born in {value}"
    return f"born within a year of {value} ({recorded})" if recorded else f"born within a year of {value}"


def _identifier_line(clause: Named, source: Mapping[str, Any]) -> str | None:
    kind, value, raw = clause.kind, clause.value, clause.raw
    typed = (
        f" (typed {raw})" if raw and raw.replace(" ", "").upper() != value.replace(" ", "").upper() else ""
    )
    if kind == "phone":
        return f"phone {value} matched in any format{typed}"
    if kind == "vrm":
        return f"vehicle registration {value}"
    if kind in ("vrm_anpr", "vrm_partial"):
        vrms = [str(v) for v in as_list(source.get("vrms")) + as_list(source.get("identifiers"))]
        shown = next((v for v in vrms if v.startswith(value[:2]) or len(v) == len(value)), None)
        if kind == "vrm_partial":
            return f"registration starting {value}" + (f" ({shown})" if shown else "")
        return f"registration {shown or ''} could be an ANPR misread of {value}".replace("  ", " ")
    if kind == "postcode":
        return f"postcode {value}{typed}"
    if kind == "mention":
        return f"text mentions {value}"
    template = _IDENTIFIER_TEXT.get(kind)
    return template.format(value=value, raw=raw) if template else None


def _highlighted(highlight: Mapping[str, Sequence[str]]) -> list[str]:
    words: list[str] = []
    for field_name in _TEXT_FIELDS:
        for fragment in highlight.get(field_name, ()):
            for word in _EM.findall(fragment):
                if word.lower() not in words:
                    words.append(word.lower())
    return words


def explain(
    plan: QueryPlan,
    matched: Iterable[str],
    source: Mapping[str, Any],
    highlight: Mapping[str, Sequence[str]],
    similarity: float | None = None,
) -> tuple[str, ...]:
    """The reasons a hit matched, strongest kind first; ``similarity`` is its cosine to the query."""
    named = [plan.clauses[name] for name in matched if name in plan.clauses]
    kinds = {c.kind for c in named}
    lines: list[str] = []
    for clause in named:
        if clause.kind == "vrm_anpr" and "vrm" in kinds:
            continue
        line = _identifier_line(clause, source)
        if line and line not in lines:
            lines.append(line)
    lines += _name_lines([c for c in named if c.name], source)
    by_date: dict[str, list[Named]] = {}
    for clause in named:
        if clause.kind in _DOB_ORDER:
            by_date.setdefault(clause.raw, []).append(clause)
    for clauses in by_date.values():
        lines.append(_dob_line(min(clauses, key=lambda c: _DOB_ORDER.index(c.kind)), source))
    if "text" in kinds or "text_phrase" in kinds:
        words = _highlighted(highlight)
        phrase = "text_phrase" in kinds
        lines.append(
            ("text has the phrase" if phrase else "text mentions")
            + (f": {', '.join(words)}" if words else "")
        )
    described = [c.value for c in named if c.kind == "describe"]
    if described:
        lines.append(f"described as {', '.join(described)}")
    if similarity is not None:
        lines.append(f"similar in meaning to the query (cosine {similarity:.2f})")
    dates = [c.value for c in named if c.kind == "event_date"]
    if dates:
        lines.append(f"took place within {dates[0]}")
    return tuple(lines)

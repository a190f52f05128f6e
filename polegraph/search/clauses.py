"""The Elasticsearch clauses of a parsed query, each named so that a hit can say why it matched.

Clause names are generated (``c0``, ``c1`` …) and looked up in ``QueryPlan.clauses``; nothing the
investigator typed becomes a key of the query DSL, only values. What a record must match (``match``):
any identifier, any name, the free text. What only ranks (``boost``): dates of birth and event dates
when anything else was typed, so "Mohammed Khan 1987" does not return everyone born in 1987.

Identifier clauses have constant scores that outweigh names and text: the same phone number is
better evidence than any name. Name tokens score by BM25 over keyword keys, so a rare surname counts
for more than KHAN or SMITH.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from polegraph.search.parse import ParsedQuery, Part, PartKind
from polegraph.types import PHONE, name_keys
from polegraph.types.date import PartialDate
from polegraph.types.name import name_tokens
from polegraph.types.phonetic import phonetic_keys
from polegraph.types.variants import near_variant_names, token_variant_keys

Clause = dict[str, Any]

# Constant scores: an identifier outweighs a full name, which outweighs a date or a word.
WEIGHTS: Mapping[str, float] = {
    "identifier": 20.0, "reference": 15.0, "vrm_anpr": 12.0, "postcode": 8.0, "vrm_partial": 6.0,
    "postcode_sector": 4.0, "postcode_district": 3.0, "name_full": 6.0, "name_initials": 3.0,
    "dob_exact": 6.0, "dob_swapped": 4.0,
    "dob_year": 4.0, "dob_month": 4.0, "dob_partial": 3.0, "dob_default": 2.0, "dob_same_year": 1.0,
    "dob_near_year": 1.0,
    "event_date": 2.0, "describe": 3.0, "name_exact": 3.0, "name_variant": 2.0, "name_phonetic": 1.0,
    "name_fuzzy": 1.0, "name_near_variant": 1.0, "name_initial": 1.0, "text": 1.0, "text_phrase": 2.0,
    "mention": 8.0, "own_node": 5.0,
}  # fmt: skip
# Beside a name, a date of birth that agrees multiplies a record's score: it tells one person from
# the others of that name better than any difference of spelling between their records does (a
# typed KHAN against a recorded KAHN costs less than a different date of birth). Additive, the
# date weighed no more than the full name in any order, and namesakes outranked the person's own
# records. The best agreeing form counts; the named clauses still add a little and explain.
DOB_FACTORS: Mapping[str, float] = {
    "dob_exact": 2.0, "dob_swapped": 1.6, "dob_year": 1.5, "dob_month": 1.5, "dob_partial": 1.3,
    "dob_same_year": 1.2, "dob_default": 1.1, "dob_near_year": 1.1,
}  # fmt: skip
# A record that holds no date of birth is not contradicted by the one typed, unlike a namesake born
# in another year: among a million records a common name has a hundred namesakes, and the records of
# the person sought that lack a DOB (or hold one with a wrong month) must not sink among them.
NO_DOB: tuple[Clause, float] = ({"bool": {"must_not": [{"exists": {"field": "dob.year"}}]}}, 1.1)
# The node an identifier names, by the field that holds its key: ranked above the records that merely
# hold the same value (an address in the postcode, an account named by the phone number).
OWN_NODES: Mapping[PartKind, tuple[str, str]] = {
    PartKind.PHONE: ("Phone", "phones"), PartKind.VRM: ("Vehicle", "vrms"),
    PartKind.EMAIL: ("Email", "emails"), PartKind.POSTCODE: ("Postcode", "postcodes.full"),
    PartKind.IMEI: ("Device", "identifiers"),
}  # fmt: skip
DESCRIPTIVE_FIELDS = ("colour", "make", "model")
TEXT_FIELDS = ("text", "text_translated", "address^1.5")


@dataclass(frozen=True, slots=True)
class Named:
    """What one named clause tests: its kind, the value searched and the part of the query behind it."""

    kind: str
    value: str
    raw: str = ""
    token: int | None = None  # name clauses: the position of the token in the name
    name: str = ""  # name clauses: the name as typed


@dataclass
class QueryPlan:
    """The clauses of one query: ``match`` must hold, ``boost`` only ranks."""

    parsed: ParsedQuery
    match: list[Clause] = field(default_factory=list)
    boost: list[Clause] = field(default_factory=list)
    clauses: dict[str, Named] = field(default_factory=dict)
    factors: list[tuple[Clause, float]] = field(default_factory=list)  # (filter, score multiplier)

    def name(self, named: Named) -> str:
        key = f"c{len(self.clauses)}"
        self.clauses[key] = named
        return key

    def constant(self, named: Named, query: Clause, weight: str) -> Clause:
        return {"constant_score": {"filter": query, "boost": WEIGHTS[weight], "_name": self.name(named)}}

    def match_clause(self) -> Clause:
        """What a record must match: any of the primary clauses (everything, for an empty query)."""
        if not self.match:
            return {"match_all": {}}
        return {"bool": {"should": self.match, "minimum_should_match": 1}}

    def scoring_query(self, filters: list[Clause]) -> Clause:
        """The ranked query; ``filters`` (the access policy first) stay the outer ``bool``'s filter."""
        if not self.factors:
            return {"bool": {"must": [self.match_clause()], "should": self.boost, "filter": filters}}
        functions = [{"filter": f, "weight": weight} for f, weight in self.factors]
        scored = {"bool": {"must": [self.match_clause()], "should": self.boost}}
        # A record no factor's filter matches keeps its score (its function score is 1).
        multiplied = {"function_score": {
            "query": scored, "functions": functions, "score_mode": "max", "boost_mode": "multiply",
        }}  # fmt: skip
        return {"bool": {"must": [multiplied], "filter": filters}}


def _any(*queries: Clause) -> Clause:
    return queries[0] if len(queries) == 1 else {"bool": {"should": list(queries), "minimum_should_match": 1}}


def _terms(field_name: str, values: list[str] | tuple[str, ...]) -> Clause:
    return {"terms": {field_name: list(dict.fromkeys(values))}}


def _identifier_clauses(plan: QueryPlan, part: Part) -> list[Clause]:
    named = Named(part.kind.value, part.value, part.raw)
    values = [part.value, *part.variants]
    kind = part.kind
    if kind is PartKind.PHONE:
        return [
            plan.constant(named, _any(_terms("phones", values), _terms("identifiers", values)), "identifier")
        ]
    if kind is PartKind.EMAIL:
        return [
            plan.constant(named, _any(_terms("emails", values), _terms("identifiers", values)), "identifier")
        ]
    if kind is PartKind.VRM:
        same = _any(_terms("vrms", [part.value]), _terms("identifiers", [part.value]))
        exact = plan.constant(named, same, "identifier")
        misread = Named("vrm_anpr", part.value, part.raw)
        return [exact, plan.constant(misread, _terms("identifier_keys", list(part.variants)), "vrm_anpr")]
    if kind is PartKind.VRM_PARTIAL:
        prefixes = _any({"prefix": {"vrms": part.value}}, {"prefix": {"identifier_keys": part.variants[0]}})
        return [plan.constant(named, prefixes, "vrm_partial")]
    if kind is PartKind.POSTCODE:
        return [plan.constant(named, _terms("postcodes.full", [part.value]), "postcode")]
    if kind is PartKind.POSTCODE_SECTOR:
        return [plan.constant(named, _terms("postcodes.sector", [part.value]), "postcode_sector")]
    if kind is PartKind.POSTCODE_DISTRICT:
        return [plan.constant(named, _terms("postcodes.district", [part.value]), "postcode_district")]
    if kind is PartKind.IMEI:
        # The 14 identifying digits: call data carries a spare 0 where extractions have the check digit.
        body = {"prefix": {"imei": part.value[:14]}}
        return [plan.constant(named, _any(_terms("identifiers", [part.value]), body), "identifier")]
    if kind is PartKind.NINO:
        # Many records leave the suffix letter off.
        suffixless = {"prefix": {"nino": part.value[:8]}}
        return [plan.constant(named, _any(_terms("identifiers", [part.value]), suffixless), "identifier")]
    if kind is PartKind.REFERENCE:
        query = {"term": {"identifiers": {"value": part.value, "case_insensitive": True}}}
        return [plan.constant(named, query, "reference")]
    return [plan.constant(named, _terms("identifiers", values), "identifier")]  # PNC ID, CRO


def _token_name(plan: QueryPlan, kind: str, name: str, position: int, text: str) -> str:
    return plan.name(Named(kind, text, raw=name, token=position, name=name))


def _own_node_clause(part: Part) -> Clause | None:
    """A boost (unnamed: not a reason, only an order) for the node that the identifier itself is."""
    if part.kind not in OWN_NODES:
        return None
    label, field_name = OWN_NODES[part.kind]
    own = {"bool": {"filter": [{"term": {"label": label}}, {"term": {field_name: part.value}}]}}
    return {"constant_score": {"filter": own, "boost": WEIGHTS["own_node"]}}


def _written_forms(part: Part) -> list[str]:
    """How an identifier is written in narrative text, as phrases for the standard analyzer."""
    kind, value = part.kind, part.value
    if kind is PartKind.PHONE:
        forms = [value]
        try:
            number = phonenumbers.parse(value)
        except phonenumbers.NumberParseException:
            return forms
        forms += PHONE.keys(value).get("phone_national", [])
        for style in (phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL):
            forms.append(phonenumbers.format_number(number, style))
        return list(dict.fromkeys(forms))
    if kind is PartKind.VRM:
        return [value, f"{value[:4]} {value[4:]}"] if len(value) == 7 else [value]
    if kind is PartKind.POSTCODE:
        return [value, value.replace(" ", "")]
    if kind in (
        PartKind.EMAIL,
        PartKind.PNC_ID,
        PartKind.CRO,
        PartKind.NINO,
        PartKind.IMEI,
        PartKind.REFERENCE,
    ):
        return [value]
    return []


def _mention_clause(plan: QueryPlan, part: Part) -> Clause | None:
    forms = _written_forms(part)
    if not forms:
        return None
    phrases = [{"match_phrase": {f: form}} for form in forms for f in ("text", "text_translated")]
    return plan.constant(Named("mention", part.value, part.raw), _any(*phrases), "mention")


def _name_clauses(plan: QueryPlan, index: int, name: str) -> Clause | None:
    tokens = name_tokens(name)
    if not tokens:
        return None
    per_token: list[Clause] = []
    for position, token in enumerate(tokens):
        text = token.text
        if len(text) == 1:
            initial = _token_name(plan, "name_initial", name, position, text)
            per_token.append({"prefix": {"name_keys.folded": {"value": text, "_name": initial}}})
            continue
        exact = _token_name(plan, "name_exact", name, position, text)
        options: list[Clause] = [
            {"term": {"name_keys.folded": {"value": text, "boost": WEIGHTS["name_exact"], "_name": exact}}}
        ]
        # Always asked, even when the token is its group's own key: MUHAMMAD is keyed MOHAMMED.
        variants = token_variant_keys(text, surname=token.surname)
        variant = _token_name(plan, "name_variant", name, position, text)
        options.append(
            {"terms": {"name_keys.variant": variants, "boost": WEIGHTS["name_variant"], "_name": variant}}
        )
        # A misspelt name (RBECCA) also finds the variants of the name it is nearest (BEX, BECKY).
        near = near_variant_names(text)
        if near:
            near_keys = sorted({k for n in near for k in token_variant_keys(n, surname=token.surname)})
            misread = plan.name(
                Named("name_near_variant", "/".join(near), raw=name, token=position, name=name)
            )
            options.append({"terms": {
                "name_keys.variant": near_keys, "boost": WEIGHTS["name_near_variant"], "_name": misread,
            }})  # fmt: skip
        sounds = phonetic_keys(text)
        if sounds:
            sound = _token_name(plan, "name_phonetic", name, position, text)
            options.append(
                {"terms": {"name_keys.phonetic": sounds, "boost": WEIGHTS["name_phonetic"], "_name": sound}}
            )
        if len(text) >= 3:  # JAE for JADE: the other tokens of the name must match as well
            fuzzy = _token_name(plan, "name_fuzzy", name, position, text)
            options.append({"fuzzy": {"name": {
                "value": text.lower(), "fuzziness": "AUTO", "prefix_length": 1, "max_expansions": 50,
                "boost": WEIGHTS["name_fuzzy"], "_name": fuzzy,
            }}})  # fmt: skip
        per_token.append({"dis_max": {"queries": options}})
    # Every token must match, except one of three or more: a missing middle name still finds them.
    tokens_match = {"bool": {"should": per_token, "minimum_should_match": "2<-1"}}
    keys = name_keys(name)
    whole = []
    if keys["fingerprint"] and len(tokens) > 1:
        named = Named("name_full", keys["fingerprint"][0], raw=name, name=name)
        whole.append(plan.constant(named, _terms("name_keys.fingerprint", keys["fingerprint"]), "name_full"))
    # "M Khan": the initial with the surname ("M KHAN") is one key, so M must be a forename of a KHAN.
    initials = [k for k in keys["initials"] if " " in k and len(k.split(" ", 1)[0]) == 1]
    if initials and any(len(t.text) == 1 for t in tokens):
        named = Named("name_initials", ", ".join(initials), raw=name, name=name)
        whole.append(plan.constant(named, _terms("name_keys.initials", initials), "name_initials"))
    return {"bool": {"must": [tokens_match], "should": whole}}


def _month_end(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"


def _date_clauses(plan: QueryPlan, part: Part) -> tuple[list[Clause], list[tuple[Clause, float]]]:
    """The named clauses of a date, and the date-of-birth filters with their score multipliers."""
    date = PartialDate.from_iso(part.value)
    if date is None:
        return [], []
    year = f"{date.year:04d}"
    clauses: list[Clause] = []
    factors: list[tuple[Clause, float]] = []

    def add(kind: str, query: Clause, value: str = part.value) -> None:
        clauses.append(plan.constant(Named(kind, value, part.raw), query, kind))
        if kind in DOB_FACTORS:
            factors.append((query, DOB_FACTORS[kind]))

    if date.month is None:
        add("dob_year", {"term": {"dob.year": date.year}})
        add("dob_near_year", {"range": {"dob.year": {"gte": date.year - 1, "lte": date.year + 1}}})
        start, end = f"{year}-01-01", f"{year}-12-31"
    elif date.day is None:
        add("dob_month", {"term": {"dob.year_month": part.value}})
        add("dob_partial", {"term": {"dob.iso": year}}, year)
        start, end = f"{part.value}-01", _month_end(date.year, date.month)
    else:
        add("dob_exact", {"term": {"dob.iso": part.value}})
        add("dob_swapped", {"term": {"dob.swapped": part.value}})
        add("dob_partial", _terms("dob.iso", [year, part.value[:7]]))
        # The year agrees, the day or month does not (a slip of the keyboard, a wrong month).
        add("dob_same_year", {"term": {"dob.year": date.year}}, year)
        if not date.is_default_day_month:
            add("dob_default", {"term": {"dob.iso": f"{year}-01-01"}}, f"{year}-01-01")
        start = end = part.value
    window = {"range": {"period": {"gte": start, "lte": end, "relation": "intersects"}}}
    add("event_date", window, f"{start}/{end}" if start != end else start)
    return clauses, factors


def _text_clauses(plan: QueryPlan, parsed: ParsedQuery) -> list[Clause]:
    words = " ".join(parsed.words)
    clauses: list[Clause] = [{"multi_match": {
        "query": words, "fields": list(TEXT_FIELDS), "type": "best_fields", "tie_breaker": 0.3,
        "boost": WEIGHTS["text"], "_name": plan.name(Named("text", words)),
    }}]  # fmt: skip
    if len(parsed.words) >= 2:
        clauses.append({"match_phrase": {"text": {
            "query": parsed.free_text, "slop": 3, "boost": WEIGHTS["text_phrase"],
            "_name": plan.name(Named("text_phrase", parsed.free_text)),
        }}})  # fmt: skip
    for word in parsed.words:
        if len(word) >= 3 and word.isalpha():
            query = _any(
                *({"term": {f: {"value": word, "case_insensitive": True}}} for f in DESCRIPTIVE_FIELDS)
            )
            clauses.append(plan.constant(Named("describe", word), query, "describe"))
    return clauses


def plan_query(parsed: ParsedQuery) -> QueryPlan:
    """The named clauses of ``parsed``: what must match and what only ranks."""
    plan = QueryPlan(parsed)
    for part in parsed.identifiers:
        plan.match.extend(_identifier_clauses(plan, part))
        mention = _mention_clause(plan, part)
        if mention is not None:
            plan.match.append(mention)
        own = _own_node_clause(part)
        if own is not None:
            plan.boost.append(own)
    for index, name in enumerate(parsed.names):
        clause = _name_clauses(plan, index, name)
        if clause is not None:
            plan.match.append(clause)
    if parsed.words:
        plan.match.extend(_text_clauses(plan, parsed))
    dated = [_date_clauses(plan, part) for part in parsed.dates]
    dates = [c for clauses, _ in dated for c in clauses]
    # Dates alone are the search ("19/05/1987"); beside anything else they only rank.
    if plan.match:
        plan.boost.extend(dates)
        plan.factors.extend(f for _, factors in dated for f in factors)
        if any(factors for _, factors in dated):
            plan.factors.append(NO_DOB)
    else:
        plan.match.extend(dates)
    return plan

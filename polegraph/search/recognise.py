"""Recognisers: what a run of query tokens can be read as (a phone, a mark, a postcode, a date...).

Each recogniser takes a run of whitespace-separated tokens and yields the readings it finds, every
value normalised by ``polegraph.types`` (the code that normalised the records). ``parse.py`` tries
them on ever shorter runs from each token.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from polegraph.types import CRO, DATE, EMAIL, IMEI, NINO, PNC_ID, POSTCODE, VRM, anpr_key, phone_variants
from polegraph.types.postcode import POSTCODE_AREAS
from polegraph.types.text import ascii_fold
from polegraph.types.vrm import ANPR_CONFUSABLE, vrm_format


class PartKind(StrEnum):
    """What a run of query tokens was read as."""

    PHONE = "phone"
    VRM = "vrm"
    VRM_PARTIAL = "vrm_partial"
    POSTCODE = "postcode"
    POSTCODE_SECTOR = "postcode_sector"
    POSTCODE_DISTRICT = "postcode_district"
    EMAIL = "email"
    IMEI = "imei"
    PNC_ID = "pnc_id"
    CRO = "cro"
    NINO = "nino"
    REFERENCE = "reference"
    DATE = "date"


@dataclass(frozen=True, slots=True)
class Part:
    """One reading of a span of the query: ``text[start:end] == raw``; ``value`` is normalised."""

    kind: PartKind
    raw: str
    value: str
    start: int
    end: int
    variants: tuple[str, ...] = ()  # other normalised readings (phones), the ANPR key of a VRM
    valid: bool = True  # False: the value breaks its type's rules (a wrong check letter) yet is searched


_EDGE_PUNCT = ",;:!?\"'()[]{}<>"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PNC = re.compile(r"\d{2}(?:\d{2})?/\d{1,7}[A-Z]|\d{11}[A-Z]")
_CRO = re.compile(r"\d{1,6}/\d{2}[A-Z]|SF\d{2}/\d{1,6}[A-Z]")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    r"\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{2}|\d{4})"
    r"|\d{4}-\d{1,2}-\d{1,2}|\d{4}-\d{2}|\d{1,2}/\d{4}"
    rf"|(?:\d{{1,2}}(?:st|nd|rd|th)?,? )?{_MONTH},? \d{{4}}"
    rf"|{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}"
)
_YEAR = re.compile(r"(?:18|19|20)\d{2}")
_NINO = re.compile(r"[A-Z]{2}\d{6}[A-D]?")
_PHONE_TOKEN = re.compile(r"[+(]?[0-9][0-9().\-]*")
_DIGITS_ONLY = re.compile(r"[0-9]+")
_IMEI_GROUPS = {(15,), (14,), (16,), (2, 6, 6, 1), (8, 6, 1), (8, 7), (6, 2, 6, 1)}
_OUTWARD = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")
_SECTOR = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?) ([0-9])")
_VRM_PARTIAL = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z]{0,2}")
# A mark written in two halves: "AB12 CDE", "A123 BCD", "ABC 123D" (misread characters included).
_VRM_HALVES = (re.compile(r"[A-Z0-9]{2,4}"), re.compile(r"[A-Z0-9]{3}"))
_REFERENCE = re.compile(r"[A-Z0-9][A-Z0-9/\-_.:]{2,}[A-Z0-9]", re.IGNORECASE)
_CONFUSABLE = {ch: group for group in ANPR_CONFUSABLE for ch in group}
_MAX_DECONFUSE = 4096


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def core(self) -> str:
        return self.text.strip(_EDGE_PUNCT)


@dataclass(frozen=True, slots=True)
class Run:
    tokens: tuple[Token, ...]
    text: str  # the span as typed
    joined: str  # the tokens' cores joined by single spaces
    start: int
    end: int

    def part(self, kind: PartKind, value: str, variants: tuple[str, ...] = (), valid: bool = True) -> Part:
        return Part(kind, self.text, value, self.start, self.end, variants, valid)


def make_run(text: str, tokens: tuple[Token, ...]) -> Run:
    # Trailing punctuation of the last token ("07911 123456,") is not part of the span.
    last = tokens[-1]
    end = last.end - (len(last.text) - len(last.text.rstrip(_EDGE_PUNCT))) if last.core else last.end
    first = tokens[0]
    start = (
        first.start + (len(first.text) - len(first.text.lstrip(_EDGE_PUNCT))) if first.core else first.start
    )
    joined = " ".join(t.core for t in tokens)
    return Run(tokens, text[start:end] if start < end else text[first.start : last.end], joined, start, end)


def _email(run: Run) -> Iterator[Part]:
    if len(run.tokens) == 1 and _EMAIL.fullmatch(run.joined):
        cleaned = EMAIL.clean(run.joined)
        if cleaned.valid and cleaned.normalised:
            yield run.part(PartKind.EMAIL, cleaned.normalised)


def _pnc_cro(run: Run) -> Iterator[Part]:
    compact = run.joined.upper().replace(" ", "")
    if len(run.tokens) > 2 or ("/" not in compact and len(compact) != 12):
        return
    readings = []
    if _PNC.fullmatch(compact):
        readings.append((PartKind.PNC_ID, PNC_ID.clean(compact)))
    if _CRO.fullmatch(compact):
        readings.append((PartKind.CRO, CRO.clean(compact)))
    for kind, cleaned in sorted(readings, key=lambda r: not r[1].valid):
        if cleaned.normalised:
            yield run.part(kind, cleaned.normalised, valid=cleaned.valid)


def _date(run: Run) -> Iterator[Part]:
    text = ascii_fold(run.joined).lower()
    if len(run.tokens) > 4:
        return
    if _YEAR.fullmatch(text):
        if not 1900 <= int(text) <= dt.date.today().year:
            return
    elif not _DATE.fullmatch(text):
        return
    cleaned = DATE.clean(text)
    if cleaned.valid and cleaned.normalised:
        yield run.part(PartKind.DATE, cleaned.normalised)


def _nino(run: Run) -> Iterator[Part]:
    if len(run.tokens) > 5 or not all(t.core.isalnum() for t in run.tokens):
        return
    compact = run.joined.upper().replace(" ", "")
    if _NINO.fullmatch(compact):
        cleaned = NINO.clean(compact)
        if cleaned.valid and cleaned.normalised:
            yield run.part(PartKind.NINO, cleaned.normalised)


def _imei(run: Run) -> Iterator[Part]:
    # Printed on handsets and in extraction reports as 35-209900-176148-1: dashes part groups too.
    cores = [group for t in run.tokens for group in t.core.split("-")]
    if not all(_DIGITS_ONLY.fullmatch(c) for c in cores) or tuple(len(c) for c in cores) not in _IMEI_GROUPS:
        return
    cleaned = IMEI.clean("".join(cores))
    if cleaned.valid and cleaned.normalised:
        yield run.part(PartKind.IMEI, cleaned.normalised)


def _phone(run: Run) -> Iterator[Part]:
    if not all(_PHONE_TOKEN.fullmatch(t.text.rstrip(",;")) for t in run.tokens):
        return
    digits = sum(ch.isdigit() for ch in run.joined)
    first = run.tokens[0].text
    # A number an investigator types starts with 0, + or a bracket, or is one long run of digits;
    # anything else is more likely a year or a reference next to other numbers.
    if not 9 <= digits <= 15 or not (first[0] in "0+(" or (len(run.tokens) == 1 and digits >= 10)):
        return
    readings = phone_variants(" ".join(t.text.rstrip(",;") for t in run.tokens))
    if readings:
        yield run.part(PartKind.PHONE, readings[0], tuple(readings[1:]))


def _postcode(run: Run) -> Iterator[Part]:
    if len(run.tokens) > 2 or not all(t.core.isalnum() for t in run.tokens):
        return
    upper = run.joined.upper()
    if len(run.tokens) == 1 and _OUTWARD.fullmatch(upper):
        if _area(upper) in POSTCODE_AREAS:
            yield run.part(PartKind.POSTCODE_DISTRICT, upper)
        return
    if sector := _SECTOR.fullmatch(upper):
        if _area(sector.group(1)) in POSTCODE_AREAS:
            yield run.part(PartKind.POSTCODE_SECTOR, upper)
        return
    cleaned = POSTCODE.clean(upper)
    if cleaned.valid and cleaned.normalised and "repaired" not in cleaned.flags:
        yield run.part(PartKind.POSTCODE, cleaned.normalised)


def _area(outward: str) -> str:
    return "".join(itertools.takewhile(str.isalpha, outward))


def _readable_as_vrm(mark: str) -> bool:
    """True when the mark, or a reading of it with ANPR-confusable characters swapped, has a UK format."""
    if vrm_format(mark):
        return True
    choices = [_CONFUSABLE.get(ch, ch) for ch in mark]
    for count, candidate in enumerate(itertools.product(*choices)):
        if count >= _MAX_DECONFUSE:
            return False
        if vrm_format("".join(candidate)):
            return True
    return False


def _vrm(run: Run) -> Iterator[Part]:
    cores = [t.core.upper() for t in run.tokens]
    if len(cores) > 2 or not all(c.isascii() and c.isalnum() for c in cores):
        return
    if len(cores) == 2 and not (_VRM_HALVES[0].fullmatch(cores[0]) and _VRM_HALVES[1].fullmatch(cores[1])):
        return
    mark = "".join(cores)
    if not 4 <= len(mark) <= 7 or mark.isdigit() or mark.isalpha():
        return
    if len(cores) == 2 and cores[0].isalpha() == cores[1].isalpha():
        return  # "Jo 1987" is a name and a year; a split mark has one mixed half
    if _readable_as_vrm(mark):
        yield run.part(PartKind.VRM, mark, (anpr_key(mark),), VRM.clean(mark).valid)
    # "YX65" is most likely the start of a current mark, even where it could be a whole old one.
    if len(cores) == 1 and _VRM_PARTIAL.fullmatch(mark):
        yield run.part(PartKind.VRM_PARTIAL, mark, (anpr_key(mark),))


# Tried in this order on every run; all readings of the longest run that has any are kept.
RECOGNISERS: tuple[Callable[[Run], Iterator[Part]], ...] = (
    _email, _pnc_cro, _date, _nino, _imei, _phone, _postcode, _vrm,
)  # fmt: skip


def reference(token: Token) -> Part | None:
    core = token.core
    if len(core) >= 4 and any(ch.isdigit() for ch in core) and _REFERENCE.fullmatch(core):
        start = token.start + token.text.index(core)
        return Part(PartKind.REFERENCE, core, core, start, start + len(core))
    return None

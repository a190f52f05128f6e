"""Rules that find UK identifiers in free text, with exact character offsets and normalised values.

Each finder recognises candidates by shape, then hands them to the property type that owns the
identifier (``polegraph.types``): a phone is kept when ``PHONE`` cleans it to a valid or drama-range
number, a VRM when ``VRM`` gives it a UK format, a postcode when ``POSTCODE`` accepts its area and
letters, an IMEI when its Luhn digit checks out (or it is labelled "IMEI"). Overlapping finds are
settled by specificity: an IMEI beats the phone number hiding in its digits, an e-mail address the
handle in it. Nothing here touches spaCy or the engines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from phonenumbers import Leniency, PhoneNumberMatcher

from polegraph.loaders.ufdr_models import account_handle
from polegraph.types import DATE, EMAIL, IMEI, PHONE, POSTCODE, VRM, vrm_format
from polegraph.types.text import ascii_digits

RULESET = "polegraph-rules/1"

PHONE_KIND, EMAIL_KIND, IMEI_KIND, VRM_KIND = "PHONE", "EMAIL", "IMEI", "VRM"
POSTCODE_KIND, HANDLE_KIND, DATE_KIND = "POSTCODE", "HANDLE", "DATE"
#: Earlier kinds win where finds overlap.
PRIORITY = (IMEI_KIND, EMAIL_KIND, PHONE_KIND, DATE_KIND, POSTCODE_KIND, VRM_KIND, HANDLE_KIND)

# How people name platforms before a handle ("snapchat: kuba_99", "SC - kuba_99", "insta = x").
PLATFORMS = {
    "snapchat": "SNAPCHAT", "snap": "SNAPCHAT", "sc": "SNAPCHAT",
    "instagram": "INSTAGRAM", "insta": "INSTAGRAM", "ig": "INSTAGRAM",
    "tiktok": "TIKTOK", "telegram": "TELEGRAM", "twitter": "TWITTER",
    "facebook": "FACEBOOK", "fb": "FACEBOOK", "whatsapp": "WHATSAPP", "signal": "SIGNAL", "kik": "KIK",
    "discord": "DISCORD", "threads": "THREADS",
}  # fmt: skip
_HANDLE_CHARS = r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]{0,28}[A-Za-z0-9_])?"
_PLATFORM_HANDLE = re.compile(
    rf"\b({'|'.join(sorted(PLATFORMS, key=len, reverse=True))})\b(?:\s+(?:name|handle|user(?:name)?|id))?"
    rf"\s*(?:[:=]|\s-)\s*@?({_HANDLE_CHARS})",
    re.IGNORECASE,
)
_AT_HANDLE = re.compile(rf"(?<![\w@.])@({_HANDLE_CHARS})")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]+)+")
_IMEI_LABELLED = re.compile(r"\bIMEI(?:SV)?\b[^0-9\n]{0,12}(\d(?:[ \-]?\d){13,15})(?!\d)", re.IGNORECASE)
_IMEI_BARE = re.compile(r"(?<![\d\-])(\d{15}|\d{2}[ \-]\d{6}[ \-]\d{6}[ \-]\d)(?![\d\-])")
# Current marks in any case ("ab12 cde" in a message); older formats only in capitals, where they
# cannot be ordinary words.
_VRM_CURRENT = re.compile(r"\b([A-Za-z]{2}[0-9]{2}) ?([A-Za-z]{3})\b")
_VRM_OLDER = re.compile(r"\b([A-Z][0-9]{1,3}) ?([A-Z]{3})\b|\b([A-Z]{3}) ?([0-9]{1,3}[A-Z])\b")
_POSTCODE = re.compile(r"\b([A-Za-z]{1,2}[0-9][A-Za-z0-9]?) ?([0-9][A-Za-z]{2})\b")
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_DATE = re.compile(
    r"\b(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})[a-z]*\.?,?\s+\d{{4}})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Found:
    """An identifier in a text: ``text[start:end] == surface``; ``value`` is its normalised form."""

    kind: str
    start: int
    end: int
    surface: str
    value: str
    platform: str | None = None  # for handles named with their platform


def _phones(text: str) -> Iterator[Found]:
    # Possible, not valid, numbers: the drama ranges (07700 900xxx) are not valid, yet they are real
    # to the people who write them; PHONE decides what is kept.
    for match in PhoneNumberMatcher(ascii_digits(text), "GB", leniency=Leniency.POSSIBLE):
        surface = text[match.start : match.end]
        cleaned = PHONE.clean(surface)
        if cleaned.normalised and (cleaned.valid or "drama_range" in cleaned.flags):
            yield Found(PHONE_KIND, match.start, match.end, surface, cleaned.normalised)


def _emails(text: str) -> Iterator[Found]:
    for match in _EMAIL.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in ".-":
            end -= 1
        cleaned = EMAIL.clean(text[start:end])
        if cleaned.valid and cleaned.normalised:
            yield Found(EMAIL_KIND, start, end, text[start:end], cleaned.normalised)


def _imeis(text: str) -> Iterator[Found]:
    for pattern, labelled in ((_IMEI_LABELLED, True), (_IMEI_BARE, False)):
        for match in pattern.finditer(text):
            start, end = match.span(1)
            cleaned = IMEI.clean(text[start:end])
            # Unlabelled, fifteen digits are an IMEI only when the check digit says so.
            if cleaned.normalised and (cleaned.valid if labelled else cleaned.valid and not cleaned.flags):
                yield Found(IMEI_KIND, start, end, text[start:end], cleaned.normalised)


def _vrms(text: str) -> Iterator[Found]:
    for pattern in (_VRM_CURRENT, _VRM_OLDER):
        for match in pattern.finditer(text):
            cleaned = VRM.clean(match.group(0))
            if cleaned.valid and cleaned.normalised and vrm_format(cleaned.normalised) != "dateless":
                yield Found(VRM_KIND, match.start(), match.end(), match.group(0), cleaned.normalised)


def _postcodes(text: str) -> Iterator[Found]:
    for match in _POSTCODE.finditer(text):
        surface = match.group(0)
        if surface.islower() and " " not in surface:
            continue  # "b12ab" in a chat is more likely anything else
        cleaned = POSTCODE.clean(surface)
        if cleaned.valid and cleaned.normalised and " " in cleaned.normalised and not cleaned.flags:
            yield Found(POSTCODE_KIND, match.start(), match.end(), surface, cleaned.normalised)


def _handles(text: str) -> Iterator[Found]:
    for match in _PLATFORM_HANDLE.finditer(text):
        start, end = match.span(2)
        platform = PLATFORMS[match.group(1).lower()]
        yield Found(HANDLE_KIND, start, end, text[start:end], account_handle(text[start:end]), platform)
    for match in _AT_HANDLE.finditer(text):
        start, end = match.span()
        yield Found(HANDLE_KIND, start, end, text[start:end], account_handle(match.group(1)))


def _dates(text: str) -> Iterator[Found]:
    for match in _DATE.finditer(text):
        cleaned = DATE.clean(match.group(0))
        if cleaned.valid and cleaned.normalised:
            yield Found(DATE_KIND, match.start(), match.end(), match.group(0), cleaned.normalised)


FINDERS: dict[str, Callable[[str], Iterator[Found]]] = {
    PHONE_KIND: _phones,
    EMAIL_KIND: _emails,
    IMEI_KIND: _imeis,
    VRM_KIND: _vrms,
    POSTCODE_KIND: _postcodes,
    HANDLE_KIND: _handles,
    DATE_KIND: _dates,
}


def resolve_overlaps(found: list[Found], priority: tuple[str, ...] = PRIORITY) -> list[Found]:
    """Keep, of overlapping finds, the one of the earlier kind (then the longer); sorted by offset."""
    rank = {kind: n for n, kind in enumerate(priority)}
    kept: list[Found] = []
    taken: list[tuple[int, int]] = []
    for item in sorted(found, key=lambda f: (rank.get(f.kind, len(rank)), f.start - f.end, f.start)):
        if all(item.end <= s or item.start >= e for s, e in taken):
            kept.append(item)
            taken.append((item.start, item.end))
    return sorted(kept, key=lambda f: (f.start, f.end))


def find_identifiers(text: str) -> list[Found]:
    """Every phone, e-mail, IMEI, VRM, postcode, handle and date written in ``text``, without overlaps."""
    found = [item for finder in FINDERS.values() for item in finder(text)]
    return resolve_overlaps(found)

"""Intelligence reports (CSV, one report per row), graded 3x5x2 or legacy 5x5x5.

The grading is stored with its scheme and raw codes and never translated: 3x5x2 fills
``source_evaluation`` (1-3) and ``intelligence_assessment`` (A-E), with the handling code (P/C) and
its conditions as the report's labels; 5x5x5 fills ``legacy_source_grade`` (A-E),
``legacy_intelligence_grade`` (1-5) and ``legacy_handling_code`` (1-5). Codes come in separate
columns or one ``Grading`` cell (``1/A/P``, ``B2 4``, ``3x5x2: 2BC``). A report whose grading or
classification cannot be read goes to quarantine: its dissemination would be a guess.

A report's own classification, descriptors and handling override the load's for everything it
asserts (``Bundle.labels``); a 5x5x5 report sets ``handling_code`` and ``handling_conditions`` to None
there, since it has no P/C code and the load's must not be applied to it. Subjects are numbered column groups
(``Subject 1 Name``, ``Subject 1 Role``, ``Associate 2 DOB``...) joined by ``SUBJECT_OF {role}``
edges, which carry the grading as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from polegraph.loaders.base import LoaderOptions, register
from polegraph.loaders.fields import Fields, code, csv_rows, flag, numbered, pick, pick_list, row_payload
from polegraph.loaders.nominals import BundleBuilder, add_location, add_object, add_person
from polegraph.loaders.records import Bundle, LoadContext, Quarantined, SourceRecord, source_uid
from polegraph.types import when

COLUMNS: dict[str, tuple[str, ...]] = {
    "urn": ("urn", "reference", "intel_ref", "intelligence_ref", "report_ref", "report_number", "log_no"),
    "recorded_at": ("recorded_at", "date_recorded", "recorded", "date_submitted", "submitted", "created"),
    "occurred_from": ("intel_date", "date_of_intelligence", "intelligence_date", "occurred_from"),
    "occurred_to": ("intel_date_to", "occurred_to", "valid_to"),
    "officer": ("officer", "submitting_officer", "submitted_by", "author", "collar_number", "officer_id"),
    "source_type": ("source_type", "source_category", "source"),
    "scheme": ("grading_scheme", "scheme", "grading_system"),
    "grading": ("grading", "grade", "nim_grading", "evaluation"),
    "source_evaluation": ("source_evaluation", "source_grade", "source_eval", "source_reliability"),
    "intelligence_assessment": (
        "intelligence_assessment", "intelligence_grade", "intel_assessment", "intelligence_evaluation",
        "information_assessment",
    ),
    "handling_code": ("handling_code", "handling", "handling_grade", "dissemination_code"),
    "handling_conditions": ("handling_conditions", "conditions", "sharing_conditions"),
    "classification": ("classification", "protective_marking", "gsc", "security_classification"),
    "descriptors": ("descriptors", "descriptor", "handling_descriptors"),
    "text": ("sanitised_text", "text", "intelligence_text", "report_text", "intelligence", "content"),
    "sanitised": ("sanitised", "sanitized", "is_sanitised"),
    "phones": ("phones", "phone", "phone_numbers"),
    "vehicles": ("vrms", "vrm", "vehicles", "vehicle"),
    "address": ("address", "location", "location_address"),
    "postcode": ("postcode", "location_postcode"),
}  # fmt: skip
_SUBJECT_GROUPS = ("subject", "nominal", "associate", "victim")
SUBJECT_ROLES = {
    **dict.fromkeys(("SUBJECT", "MAIN SUBJECT", "SUSPECT", "NOMINAL"), "SUBJECT"),
    **dict.fromkeys(("ASSOCIATE", "ASSOCIATED", "ASSOCIATE OF SUBJECT", "ASSOC"), "ASSOCIATE"),
    **dict.fromkeys(("VICTIM", "POTENTIAL VICTIM", "AT RISK", "VULNERABLE"), "VICTIM"),
}
SOURCE_TYPES = {
    **dict.fromkeys(("CHIS", "COVERT HUMAN INTELLIGENCE SOURCE", "INFORMANT", "SOURCE"), "CHIS"),
    **dict.fromkeys(("OFFICER", "POLICE OFFICER", "POLICE", "STAFF", "OFFICER OBSERVATION"), "OFFICER"),
    **dict.fromkeys(("PUBLIC", "MEMBER OF PUBLIC", "MOP", "CRIMESTOPPERS", "ANONYMOUS"), "PUBLIC"),
    **dict.fromkeys(("PARTNER", "PARTNER AGENCY", "LOCAL AUTHORITY", "SOCIAL CARE", "NHS"), "PARTNER_AGENCY"),
    **dict.fromkeys(("TECHNICAL", "TECH", "DIGITAL", "ANPR"), "TECHNICAL"),
    **dict.fromkeys(("OPEN SOURCE", "OSINT", "SOCIAL MEDIA", "INTERNET"), "OPEN_SOURCE"),
    "OTHER": "OTHER",
}  # fmt: skip
CLASSIFICATIONS = {
    "OFFICIAL": "OFFICIAL",
    "OFFICIAL SENSITIVE": "OFFICIAL-SENSITIVE",
    "SECRET": "SECRET",
    "TOP SECRET": "TOP SECRET",
}
_SCHEMES = {"3X5X2": "3x5x2", "352": "3x5x2", "NIM 3X5X2": "3x5x2", "5X5X5": "5x5x5", "555": "5x5x5"}
_SCHEME_IN_TEXT = re.compile(r"\b([35])\s*x\s*5\s*x\s*([25])\b", re.IGNORECASE)
_CODE_TOKEN = re.compile(r"[0-9]|[A-Za-z]")
# Valid codes per scheme: (source, intelligence, handling).
_VALID = {"3x5x2": ("123", "ABCDE", "PC"), "5x5x5": ("ABCDE", "12345", "12345")}
LOCAL_TIME = ZoneInfo("Europe/London")


class GradingError(ValueError):
    """A grading or label that cannot be read; the report goes to quarantine."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column


def _scheme_of(explicit: str, source: str, intelligence: str, handling: str) -> str | None:
    """The scheme as stated, or as told by the first code given (3x5x2 sources are digits)."""
    if explicit:
        match = _SCHEME_IN_TEXT.search(explicit)
        scheme = {"32": "3x5x2", "55": "5x5x5"}.get(match[1] + match[2]) if match else None
        if scheme is None:
            raise GradingError("grading_scheme", f"grading scheme {explicit!r} is neither 3x5x2 nor 5x5x5")
        return scheme
    for value, digit_means in ((source, "3x5x2"), (intelligence, "5x5x5"), (handling, "5x5x5")):
        if value:
            return digit_means if value[0].isdigit() else ("5x5x5" if digit_means == "3x5x2" else "3x5x2")
    return None


def _codes(fields: Fields) -> tuple[str, str, str, str]:
    """(scheme as stated, source, intelligence, handling) from their columns or one grading cell."""

    def column(name: str) -> str:
        return pick(fields, *COLUMNS[name]).upper()

    explicit = column("scheme")
    codes = (column("source_evaluation"), column("intelligence_assessment"), column("handling_code"))
    combined = column("grading")
    if not combined or any(codes):
        return (explicit, *codes)
    if match := _SCHEME_IN_TEXT.search(combined):
        explicit = explicit or match[0]
        combined = combined.replace(match[0], " ")
    tokens = _CODE_TOKEN.findall(combined)
    if len(tokens) not in (2, 3):
        raise GradingError("grading", f"grading {combined.strip()!r} is not source, intelligence[, handling]")
    source, intelligence, handling = (*tokens, "")[:3]
    return explicit, source, intelligence, handling


def grading(fields: Fields) -> tuple[dict[str, str], dict[str, Any]]:
    """(Graded props, labels) of a report; raises GradingError for a code its scheme lacks."""
    explicit, source, intelligence, handling = _codes(fields)
    scheme = _scheme_of(explicit, source, intelligence, handling)
    if scheme is None:
        return {}, {}
    checks = zip(
        ("source_evaluation", "intelligence_assessment", "handling_code"), _VALID[scheme], strict=True
    )
    for (column, valid), value in zip(checks, (source, intelligence, handling), strict=True):
        if value and (len(value) != 1 or value not in valid):
            raise GradingError(column, f"{value!r} is not a {scheme} code (one of {', '.join(valid)})")
    if scheme == "5x5x5":
        # Legacy handling codes 1-5 are not P/C: the record has no 3x5x2 handling label at all.
        props = {"legacy_source_grade": source, "legacy_intelligence_grade": intelligence}
        props["legacy_handling_code"] = handling
        labels: dict[str, Any] = {"handling_code": None, "handling_conditions": None}
    else:
        props = {"source_evaluation": source, "intelligence_assessment": intelligence}
        conditions = pick(fields, *COLUMNS["handling_conditions"]) or None
        labels = {"handling_code": handling, "handling_conditions": conditions} if handling else {}
    return {"grading_scheme": scheme, **{k: v for k, v in props.items() if v}}, labels


def _labels(fields: Fields) -> dict[str, Any]:
    written = pick(fields, *COLUMNS["classification"])
    labels: dict[str, Any] = {}
    if written:
        classification = code(written, CLASSIFICATIONS)
        if classification is None:
            raise GradingError("classification", f"{written!r} is not a Government Security Classification")
        labels["classification"] = classification
    descriptors = [d.upper() for d in pick_list(fields, *COLUMNS["descriptors"])]
    if descriptors:
        labels["descriptors"] = descriptors
    return labels


def report_bundle(source: SourceRecord, fields: Fields) -> Bundle:
    """The IntelReport, its subjects and the phones, vehicles and places it names."""
    graded, labels = grading(fields)
    labels |= _labels(fields)
    b = BundleBuilder(source)

    def column(name: str) -> str:
        return pick(fields, *COLUMNS[name])

    occurred_from = when(column("occurred_from"), LOCAL_TIME)
    # Text from a "sanitised text" column is sanitised unless a flag column says otherwise.
    sanitised = flag(column("sanitised"))
    if sanitised is None and pick(fields, "sanitised_text"):
        sanitised = True
    report = b.node(
        "IntelReport",
        source_uid("IntelReport", source),
        {
            "urn": source.record_id,
            "recorded_at": when(column("recorded_at"), LOCAL_TIME),
            "occurred_from": occurred_from,
            "occurred_to": when(column("occurred_to"), LOCAL_TIME) or occurred_from,
            "officer": column("officer"),
            "source_type": code(column("source_type"), SOURCE_TYPES)
            or ("OTHER" if column("source_type") else None),
            "text": column("text"),
            "sanitised": sanitised,
            **graded,
        },
    )
    for prefix, n, group in numbered(fields, _SUBJECT_GROUPS):
        role_raw = pick(group, "role") or prefix
        person = add_person(b, group, f"{prefix}{n}")
        if person is not None:
            role = code(role_raw, SUBJECT_ROLES) or "OTHER"
            b.edge("SUBJECT_OF", person, report, {"role": role, **graded})
    for label, raws in (
        ("Phone", pick_list(fields, *COLUMNS["phones"])),
        ("Vehicle", pick_list(fields, *COLUMNS["vehicles"])),
    ):
        for raw in raws:
            if (node := add_object(b, label, raw)) is not None:
                b.edge("SUBJECT_OF", node, report, {"role": "SUBJECT", **graded})
    place = add_location(b, column("address"), column("postcode"))
    if place is not None:
        b.edge("SUBJECT_OF", place, report, {"role": "LOCATION", **graded})
    return b.bundle(labels)


@register(
    "intel", "Intelligence reports (CSV): 3x5x2 or 5x5x5 grading, subjects in numbered columns", "INTEL"
)
def read(path: Path, ctx: LoadContext, options: LoaderOptions) -> Iterator[Bundle | Quarantined]:
    """Stream the reports of an intelligence export; unreadable gradings go to quarantine."""
    for row in csv_rows(path, COLUMNS["urn"], "an intelligence report export"):
        if row.error:
            yield Quarantined(str(path), row.line, None, row.error, row.raw)
            continue
        urn = pick(row.values, *COLUMNS["urn"])
        if not urn:
            yield Quarantined(str(path), row.line, "urn", "no report URN", row.raw)
            continue
        source = SourceRecord(ctx.system, ctx.force, urn, row.line, row_payload(row))
        try:
            yield report_bundle(source, row.values)
        except GradingError as error:
            yield Quarantined(str(path), row.line, error.column, str(error), row.raw)

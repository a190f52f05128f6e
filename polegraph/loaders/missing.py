"""Missing-person episodes (CSV, one episode per row): who, last seen, risk, where found.

Repeat episodes and where a child is found are exploitation signals, so the places are nodes: the
MissingEpisode joins the location the person went missing from, was last seen and was found at by
``OCCURRED_AT {role: MISSING_FROM | LAST_SEEN | FOUND}``, and the person joins the episode by
``INVOLVED_IN {role: MISSING_PERSON}``. Risk factors are kept as written; CSE and CCE are also
flags, set from their own columns or from the factors.

Who the child was found with is the other signal: each person named in the found-with columns is a
nominal of the record (``found_with``, ``found_with2``…) joined to the episode by ``INVOLVED_IN
{role: FOUND_WITH}``, with their date of birth, phone and vehicle as for any nominal. Several
people in one column (``KHAN, Imran; AHMED, Bilal``) are several nominals; the DOB, phone and VRM
columns then name no one of them in particular, so they stay in the source record's payload only.
"Alone", "unknown male" and the like name no one: no nominal, unless a phone or vehicle was given.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from polegraph.loaders.base import LoaderOptions, register
from polegraph.loaders.fields import Fields, code, csv_rows, flag, integer, pick, pick_list, row_payload
from polegraph.loaders.nominals import BundleBuilder, add_location, add_person
from polegraph.loaders.records import Bundle, LoadContext, Quarantined, SourceRecord, source_uid
from polegraph.types import when
from polegraph.types.text import fold

COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": (
        "reference", "missing_ref", "missing_reference", "mfh_ref", "misper_ref", "missing_person_ref",
        "report_number", "case_ref", "occurrence_ref",
    ),
    "episode_number": ("episode_number", "episode", "episode_no", "occasion", "episode_count"),
    "reported_at": (
        "reported_missing", "reported_at", "date_reported", "reported_missing_at", "missing_since",
    ),
    "last_seen_at": ("last_seen_at", "last_seen", "date_last_seen", "last_seen_time", "last_seen_datetime"),
    "last_seen_place": ("last_seen_place", "last_seen_location", "last_seen_address", "place_last_seen"),
    "last_seen_postcode": ("last_seen_postcode",),
    "missing_from": ("missing_from", "missing_from_type", "location_type"),
    "missing_from_address": ("missing_from_address", "missing_from_place", "missing_from_location"),
    "missing_from_postcode": ("missing_from_postcode",),
    "risk_level": ("risk_level", "risk", "risk_grading", "risk_assessment"),
    "risk_factors": ("risk_factors", "risk_factor", "vulnerabilities", "risks"),
    "cse_flag": ("cse_flag", "cse", "cse_risk"),
    "cce_flag": ("cce_flag", "cce", "cce_risk"),
    "looked_after_child": (
        "looked_after_child", "lac", "looked_after", "child_looked_after", "cla", "in_care",
    ),
    "found_at": (
        "found_at", "date_found", "found_time", "found", "returned_at", "date_returned", "traced_at",
    ),
    "found_place": ("found_place", "found_location", "found_address", "location_found", "where_found"),
    "found_postcode": ("found_postcode",),
    "found_with": (
        "found_with", "found_with_name", "found_in_company_of", "in_company_of", "found_with_person",
        "found_with_names",
    ),
    "found_with_surname": ("found_with_surname",),
    "found_with_forenames": ("found_with_forenames", "found_with_forename", "found_with_first_name"),
    "found_with_dob": ("found_with_dob", "found_with_date_of_birth", "in_company_of_dob"),
    "found_with_age": ("found_with_age",),
    "found_with_sex": ("found_with_sex", "found_with_gender"),
    "found_with_phone": ("found_with_phone", "found_with_mobile", "found_with_tel", "in_company_of_phone"),
    "found_with_vrm": ("found_with_vrm", "found_with_vehicle", "found_with_registration", "found_in_vehicle"),
    "found_with_address": ("found_with_address",),
    "found_with_postcode": ("found_with_postcode",),
}  # fmt: skip
#: The found-with columns as the nominal fields ``add_person`` reads.
_FOUND_WITH_FIELDS = {
    "found_with_surname": "surname", "found_with_forenames": "forenames", "found_with_dob": "dob",
    "found_with_age": "age", "found_with_sex": "sex", "found_with_phone": "phone", "found_with_vrm": "vrm",
    "found_with_address": "address", "found_with_postcode": "postcode",
}  # fmt: skip
#: What a found-with column holds when the child was found with no one.
_NOBODY = frozenset(
    {"ALONE", "NO ONE", "NOONE", "NOBODY", "ON OWN", "ON THEIR OWN", "ON HER OWN", "ON HIS OWN"}
)
RISK_LEVELS = {
    **dict.fromkeys(("NO APPARENT RISK", "NAR", "NO RISK", "NONE"), "NO_APPARENT_RISK"),
    **dict.fromkeys(("LOW", "L", "LOW RISK"), "LOW"),
    **dict.fromkeys(("MEDIUM", "MED", "M", "MEDIUM RISK"), "MEDIUM"),
    **dict.fromkeys(("HIGH", "H", "HIGH RISK"), "HIGH"),
    "ABSENT": "ABSENT",
}
_PLACE_COLUMNS = ("last_seen_place", "last_seen_postcode", "missing_from_address", "missing_from_postcode",
                  "found_place", "found_postcode")  # fmt: skip
# Columns about the episode's places: kept out of the Person's fields (which read the home address).
_NOT_PERSON = frozenset(
    c for key in (*_PLACE_COLUMNS, "found_with", *_FOUND_WITH_FIELDS) for c in COLUMNS[key]
)
LOCAL_TIME = ZoneInfo("Europe/London")


def _exploitation(fields: Fields, factors: list[str]) -> dict[str, bool]:
    words = {fold(f) for f in factors}
    found: dict[str, bool] = {}
    for prop, names in (
        ("cse_flag", ("CSE", "CHILD SEXUAL EXPLOITATION")),
        ("cce_flag", ("CCE", "CHILD CRIMINAL EXPLOITATION")),
    ):
        value = flag(pick(fields, *COLUMNS[prop]))
        if value is not None or words & set(names):
            found[prop] = bool(value) or bool(words & set(names))
    return found


def _found_with(fields: Fields) -> list[Fields]:
    """The nominal fields of each person the child was found with (see the module docstring)."""
    names = [n for n in pick_list(fields, *COLUMNS["found_with"]) if fold(n) not in _NOBODY]
    details = {field: pick(fields, *COLUMNS[column]) for column, field in _FOUND_WITH_FIELDS.items()}
    if len(names) > 1:
        return [{"name": name} for name in names]
    return [{"name": names[0] if names else "", **details}]


def episode_bundle(source: SourceRecord, fields: Fields) -> Bundle:
    """The MissingEpisode, the missing person and the places of the episode."""
    b = BundleBuilder(source)

    def column(name: str) -> str:
        return pick(fields, *COLUMNS[name])

    last_seen_at = when(column("last_seen_at"), LOCAL_TIME)
    found_at = when(column("found_at"), LOCAL_TIME)
    factors = pick_list(fields, *COLUMNS["risk_factors"])
    episode = b.node(
        "MissingEpisode",
        source_uid("MissingEpisode", source),
        {
            "reference": column("reference"),
            "episode_number": integer(column("episode_number")),
            "missing_from": column("missing_from"),
            "last_seen_at": last_seen_at,
            "last_seen_place": column("last_seen_place"),
            "risk_level": code(column("risk_level"), RISK_LEVELS),
            "risk_factors": factors,
            **_exploitation(fields, factors),
            "looked_after_child": flag(column("looked_after_child")),
            "found_at": found_at,
            "found_place": column("found_place"),
            # From reported missing (or last seen) to found; an open episode has no end yet.
            "occurred_from": when(column("reported_at"), LOCAL_TIME) or last_seen_at,
            "occurred_to": found_at,
        },
    )
    person = add_person(b, {k: v for k, v in fields.items() if k not in _NOT_PERSON}, "missing")
    if person is not None:
        b.edge("INVOLVED_IN", person, episode, {"role": "MISSING_PERSON"})
    for n, found_with in enumerate(_found_with(fields), 1):
        adult = add_person(b, found_with, "found_with" if n == 1 else f"found_with{n}")
        if adult is not None:
            b.edge("INVOLVED_IN", adult, episode, {"role": "FOUND_WITH"})
    home, home_postcode = pick(fields, "home_address", "address"), pick(fields, "home_postcode", "postcode")
    for role, place, postcode in (
        ("MISSING_FROM", "missing_from_address", "missing_from_postcode"),
        ("LAST_SEEN", "last_seen_place", "last_seen_postcode"),
        ("FOUND", "found_place", "found_postcode"),
    ):
        # Missing from home (or the care placement they live at): the home postcode applies, so
        # both name one Address node.
        same_as_home = fold(column(place)) == fold(home)
        location = add_location(b, column(place), column(postcode) or (home_postcode if same_as_home else ""))
        if location is not None:
            b.edge("OCCURRED_AT", episode, location, {"role": role})
    return b.bundle()


@register("missing", "Missing-person episodes (CSV): last seen, risk, found, episode number", "MISSING")
def read(path: Path, ctx: LoadContext, options: LoaderOptions) -> Iterator[Bundle | Quarantined]:
    """Stream the episodes of a missing-person export; rows without a reference go to quarantine."""
    for row in csv_rows(path, COLUMNS["reference"], "a missing-person export"):
        if row.error:
            yield Quarantined(str(path), row.line, None, row.error, row.raw)
            continue
        reference = pick(row.values, *COLUMNS["reference"])
        if not reference:
            yield Quarantined(str(path), row.line, "reference", "no missing-person reference", row.raw)
            continue
        # Some systems number episodes under one reference per person: the pair names the episode.
        episode = integer(pick(row.values, *COLUMNS["episode_number"]))
        record_id = f"{reference}#{episode}" if episode is not None else reference
        source = SourceRecord(ctx.system, ctx.force, record_id, row.line, row_payload(row))
        yield episode_bundle(source, row.values)

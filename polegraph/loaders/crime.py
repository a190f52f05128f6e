"""Crime and occurrence exports (Niche, Athena, Connect): CSV or JSON lines, one occurrence per record.

**CSV**: one row per occurrence; nominals in numbered column groups, ``Nominal 1 Role``,
``Nominal 1 Surname``, ``Nominal 1 DOB``... (or role-named groups: ``Victim 1 Name``,
``Suspect 2 PNC ID``); vehicles as ``Vehicle 1 VRM``/``Make``/``Role``; phones as ``Phone 1`` and
``Phone 1 Role``. **JSON lines**: one occurrence object per line with ``nominals`` (objects with a
``role``), ``vehicles`` and ``phones`` arrays; nested objects (``location``) are flattened. The format
is told by the first character of the file. Roles sit on ``INVOLVED_IN {role, role_raw}`` edges;
the scene is an ``OCCURRED_AT {role: SCENE}`` location.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from polegraph.loaders.base import LoaderOptions, register
from polegraph.loaders.csvio import FormatError, header_key, sniff_binary
from polegraph.loaders.fields import (
    Fields,
    code,
    coordinates,
    csv_rows,
    flag,
    numbered,
    pick,
    pick_list,
    row_payload,
    text,
)
from polegraph.loaders.nominals import BundleBuilder, add_location, add_object, add_person, add_vehicle
from polegraph.loaders.records import Bundle, LoadContext, Quarantined, SourceRecord, source_uid
from polegraph.types import when
from polegraph.types.text import fold

# Column aliases of each occurrence field (after csvio.header_key), most usual first.
COLUMNS: dict[str, tuple[str, ...]] = {
    "crime_type": ("crime_type", "offence", "offence_description", "offence_type", "classification"),
    "offence_code": (
        "offence_code", "ho_offence_code", "ho_code", "ho_class", "home_office_code", "cjs_code",
        "cjs_offence",
    ),
    "reported_at": ("reported_at", "reported", "date_reported", "reported_date", "date_time_reported"),
    "committed_from": (
        "committed_from", "committed_at", "date_committed", "offence_date", "date_from", "occurred_from",
        "first_committed", "start_date",
    ),
    "committed_to": ("committed_to", "date_to", "occurred_to", "last_committed", "end_date"),
    "status": ("status", "crime_status", "occurrence_status"),
    "outcome": ("outcome_code", "outcome", "ho_outcome", "outcome_type", "last_outcome"),
    "location_description": ("location_description", "location", "scene", "place"),
    "address": ("address", "scene_address", "location_address", "offence_address", "crime_address"),
    "postcode": ("postcode", "location_postcode", "scene_postcode"),
    "uprn": ("uprn", "location_uprn", "scene_uprn"),
    "latitude": ("latitude", "lat", "location_latitude", "location_lat"),
    "longitude": ("longitude", "lon", "long", "lng", "location_longitude", "location_lon"),
    "lsoa_code": ("lsoa_code", "lsoa"),
    "mo_text": ("mo_text", "mo", "modus_operandi", "circumstances", "summary", "narrative"),
}  # fmt: skip
REFERENCE = (
    "reference", "urn", "occurrence_ref", "occurrence_reference", "occurrence_number", "crime_reference",
    "crime_ref", "crime_number", "crime_no", "incident_number", "crime_id", "occurrence_id",
)  # fmt: skip
_NOMINAL_GROUPS = (
    "nominal", "nom", "person", "victim", "suspect", "witness", "offender", "reporting_person",
    "informant", "arrested",
)  # fmt: skip
# Roles as police systems write them (folded) -> INVOLVED_IN roles.
NOMINAL_ROLES = {
    **dict.fromkeys(("VICTIM", "V", "INJURED PARTY", "IP", "AGGRIEVED", "COMPLAINANT"), "VICTIM"),
    **dict.fromkeys(("SUSPECT", "S", "NAMED SUSPECT", "SUSPECTED OFFENDER", "PERSON OF INTEREST"), "SUSPECT"),
    **dict.fromkeys(("OFFENDER", "ACCUSED", "DEFENDANT", "CHARGED"), "OFFENDER"),
    **dict.fromkeys(("ARRESTED", "ARRESTED PERSON", "ARRESTEE", "ARREST"), "ARRESTED"),
    **dict.fromkeys(("WITNESS", "W", "WIT", "EYE WITNESS"), "WITNESS"),
    # Under the Home Office Counting Rules the "informant" is whoever reported the crime.
    **dict.fromkeys(("REPORTING PERSON", "RP", "REPORTEE", "INFORMANT", "CALLER"), "REPORTING_PERSON"),
    **dict.fromkeys(("SUBJECT", "OTHER", "INVOLVED", "INVOLVED PARTY"), "OTHER"),
}
OBJECT_ROLES = {
    **dict.fromkeys(
        ("USED", "USED IN CRIME", "SUSPECT VEHICLE", "OFFENDER VEHICLE", "USED BY OFFENDER"), "USED"
    ),
    **dict.fromkeys(("STOLEN", "TAKEN", "PROPERTY STOLEN"), "STOLEN"),
    **dict.fromkeys(("DAMAGED", "VICTIM VEHICLE DAMAGED"), "DAMAGED"),
    **dict.fromkeys(("SEIZED", "RECOVERED"), "SEIZED"),
}
_FLAG_WORDS = {
    **dict.fromkeys(("CSE", "CHILD SEXUAL EXPLOITATION"), "cse_flag"),
    **dict.fromkeys(("CCE", "CHILD CRIMINAL EXPLOITATION"), "cce_flag"),
    **dict.fromkeys(("DA", "DV", "DOMESTIC", "DOMESTIC ABUSE", "DOMESTIC VIOLENCE"), "domestic_abuse_flag"),
    **dict.fromkeys(("CL", "COUNTY LINES", "COUNTY LINE"), "county_lines_flag"),
}
_FLAG_COLUMNS = {
    "cse_flag": ("cse_flag", "cse", "flag_cse", "child_sexual_exploitation"),
    "cce_flag": ("cce_flag", "cce", "flag_cce", "child_criminal_exploitation"),
    "domestic_abuse_flag": ("domestic_abuse_flag", "da_flag", "da", "domestic_abuse", "domestic", "dv"),
    "county_lines_flag": ("county_lines_flag", "county_lines", "cl_flag", "flag_county_lines"),
}


def keyed(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON object with keys normalised like CSV headers, so one alias list serves both.

    A nested object's fields also appear as ``<key>_<field>`` and, where free, as ``<field>``
    (``location.postcode`` is ``location_postcode`` and ``postcode``); a nested address is also
    its parts joined into one line.
    """
    flat: dict[str, Any] = {}
    nested: dict[str, Any] = {}
    for raw_key, value in obj.items():
        key = header_key(str(raw_key))
        if isinstance(value, Mapping):
            parts = {header_key(str(k)): v for k, v in value.items()}
            nested |= {k: v for k, v in parts.items() if not isinstance(v, (Mapping, list))}
            flat |= {f"{key}_{k}": v for k, v in parts.items()}
            if "address" in key:
                value = ", ".join(t for t in map(text, parts.values()) if t)
        flat.setdefault(key, value)
    return nested | flat


def _flags(fields: Fields) -> dict[str, bool]:
    found: dict[str, bool] = {}
    for word in pick_list(fields, "flags", "markers", "qualifiers", "crime_flags"):
        if (prop := _FLAG_WORDS.get(fold(word))) is not None:
            found[prop] = True
    for prop, columns in _FLAG_COLUMNS.items():
        value = flag(pick(fields, *columns))
        if value is not None:
            found.setdefault(prop, value)
    return found


def _role(raw: str, table: Mapping[str, str], default: str) -> dict[str, str]:
    return {"role": code(raw, table) or default, "role_raw": raw}


def _nominals(fields: Fields) -> Iterator[tuple[str, str, Fields]]:
    """(uid part, role as written, fields) of each nominal, from a JSON array or numbered columns."""
    listed = fields.get("nominals") or fields.get("persons") or fields.get("people")
    if isinstance(listed, list):
        for i, item in enumerate(listed, 1):
            if isinstance(item, Mapping):
                nominal = keyed(item)
                own_id = pick(nominal, "nominal_id", "nominal_ref", "person_id", "id")
                yield (
                    (f"nominal:{own_id}" if own_id else f"n{i}"),
                    pick(nominal, "role", "involvement"),
                    nominal,
                )
        return
    for prefix, n, group in numbered(fields, _NOMINAL_GROUPS):
        role = pick(group, "role", "involvement") or (
            "" if prefix in ("nominal", "nom", "person") else prefix
        )
        yield f"{prefix}{n}", role.replace("_", " "), group


def _objects(fields: Fields, array: str, column: str, value_keys: tuple[str, ...]) -> Iterator[Fields]:
    """Vehicles or phones of the occurrence, however the export lists them.

    A JSON array (of objects or values), one cell holding a ``;``-separated list (``Phones``), or
    numbered columns (``Phone 1``, ``Vehicle 1 VRM``).
    """
    listed = fields.get(array)
    if isinstance(listed, list):
        for item in listed:
            yield keyed(item) if isinstance(item, Mapping) else {value_keys[0]: text(item)}
        return
    for raw in pick_list(fields, array):
        yield {value_keys[0]: raw}
    for _, _, group in numbered(fields, (column,)):
        yield {value_keys[0]: group.get("value", ""), **group}


def occurrence_bundle(source: SourceRecord, fields: Fields, zone: ZoneInfo) -> Bundle:
    """The Crime node of one occurrence, its scene, nominals, vehicles and phones."""
    b = BundleBuilder(source)

    def column(name: str) -> str:
        return pick(fields, *COLUMNS[name])

    committed_from = when(column("committed_from"), zone)
    geo = coordinates(column("latitude"), column("longitude"))
    crime = b.node(
        "Crime",
        source_uid("Crime", source),
        {
            "reference": source.record_id,
            "crime_type": column("crime_type"),
            "offence_code": column("offence_code"),
            "reported_at": when(column("reported_at"), zone),
            "occurred_from": committed_from,
            # A crime with one time is a point event: the range's ends are equal.
            "occurred_to": when(column("committed_to"), zone) or committed_from,
            "status": column("status"),
            "outcome": column("outcome"),
            "location_description": column("location_description"),
            "lsoa_code": column("lsoa_code"),
            "mo_text": column("mo_text"),
            **_flags(fields),
            **geo,
        },
    )
    scene = add_location(b, column("address"), column("postcode"), column("uprn"), geo)
    if scene is not None:
        b.edge("OCCURRED_AT", crime, scene, {"role": "SCENE"})
    for part, role, nominal in _nominals(fields):
        person = add_person(b, nominal, part)
        if person is not None:
            b.edge("INVOLVED_IN", person, crime, _role(role, NOMINAL_ROLES, "OTHER"))
    for vehicle_fields in _objects(fields, "vehicles", "vehicle", ("vrm", "registration", "value")):
        vehicle = add_vehicle(b, pick(vehicle_fields, "vrm", "registration", "value"), vehicle_fields)
        if vehicle is not None:
            role = pick(vehicle_fields, "role", "involvement")
            b.edge("INVOLVED_IN", vehicle, crime, _role(role, OBJECT_ROLES, "OTHER"))
    for phone_fields in _objects(fields, "phones", "phone", ("number", "phone", "value")):
        phone = add_object(b, "Phone", pick(phone_fields, "number", "phone", "value"))
        if phone is not None:
            role = pick(phone_fields, "role", "involvement")
            b.edge("INVOLVED_IN", phone, crime, _role(role, OBJECT_ROLES, "OTHER"))
    return b.bundle()


def _record(
    ctx: LoadContext, path: Path, line: int, fields: Fields, payload: dict[str, Any], raw: str
) -> Bundle | Quarantined:
    reference = pick(fields, *REFERENCE)
    if not reference:
        return Quarantined(str(path), line, "reference", "no occurrence reference", raw)
    source = SourceRecord(ctx.system, ctx.force, reference, line, payload)
    return occurrence_bundle(source, fields, LOCAL_TIME)


def json_lines(path: Path, what: str) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(line, object or None when the line is not a JSON object, raw text), streamed."""
    sniff_binary(path, what)
    with path.open("rb") as handle:
        for number, data in enumerate(handle, 1):
            data = data.removeprefix(codecs.BOM_UTF8) if number == 1 else data
            try:
                raw = data.decode("utf-8")
            except UnicodeDecodeError:
                raw = data.decode("cp1252", errors="replace")  # old exports mix Windows-1252 in
            if raw.strip():
                try:
                    obj = json.loads(raw)
                except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
                    obj = None
                yield number, obj if isinstance(obj, dict) else None, raw.rstrip("\r\n")


def _first_char(path: Path) -> bytes:
    if not path.is_file():
        raise FormatError(f"{path} does not exist or is not a file")
    with path.open("rb") as handle:
        return handle.read(4096).removeprefix(codecs.BOM_UTF8).lstrip()[:1]


LOCAL_TIME = ZoneInfo("Europe/London")  # police systems record UK local time


@register("crime", "Crime/occurrence exports (Niche, Athena, Connect): CSV or JSON lines", "CRIME")
def read(path: Path, ctx: LoadContext, options: LoaderOptions) -> Iterator[Bundle | Quarantined]:
    """Stream the occurrences of a crime export; rows without a reference go to quarantine."""
    what = "a crime export (CSV or JSON lines)"
    first = _first_char(path)
    if first == b"[":
        raise FormatError(
            f"{path} is one JSON array", hint="export one occurrence object per line (JSON lines)"
        )
    if first != b"{":
        for row in csv_rows(path, REFERENCE, what):
            if row.error:
                yield Quarantined(str(path), row.line, None, row.error, row.raw)
                continue
            yield _record(ctx, path, row.line, row.values, row_payload(row), row.raw)
        return
    first_line = True
    for line, obj, raw in json_lines(path, what):
        if obj is None and first_line:
            raise FormatError(f"{path}:{line} is not a JSON object, so the file is not JSON lines")
        first_line = False
        if obj is None:
            yield Quarantined(str(path), line, None, "not a JSON object", raw)
            continue
        yield _record(ctx, path, line, keyed(obj), obj, raw)

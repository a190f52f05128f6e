"""Custody records (CSV, one detention per row): the detained person, the arrest, offences, devices seized.

The person's identifiers (PNC ID, CRO, NINO), names and aliases, DOB, sex and both ethnicities
(self-defined and officer-defined IC code, separate fields, absent when not recorded so that
missing values can be counted) sit on the Person, who joins the Custody event by
``INVOLVED_IN {role: DETAINED}``. Handsets seized join it by ``INVOLVED_IN {role: SEIZED}`` (a bad
IMEI gives a Device with ``valid: false``); the arrest place and the custody suite join it by
``OCCURRED_AT {role: ARREST | CUSTODY_SUITE}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from polegraph.loaders.base import LoaderOptions, register
from polegraph.loaders.fields import Fields, csv_rows, pick, pick_list, row_payload
from polegraph.loaders.nominals import BundleBuilder, add_location, add_object, add_person
from polegraph.loaders.records import Bundle, LoadContext, Quarantined, SourceRecord, source_uid, value_uid
from polegraph.types import when
from polegraph.types.text import fold

COLUMNS: dict[str, tuple[str, ...]] = {
    "custody_number": (
        "custody_number", "custody_no", "custody_ref", "custody_reference", "custody_record",
        "custody_record_number", "custody_id",
    ),
    "arrest_summons_number": ("arrest_summons_number", "asn", "arrest_summons_no", "arrest_summons_ref"),
    "arrested_at": (
        "arrested_at", "arrest_date_time", "arrest_time", "arrest_datetime", "date_of_arrest", "arrest_date",
    ),
    "arrest_place": (
        "arrest_place", "arrest_location", "place_of_arrest", "location_of_arrest", "arrest_address",
    ),
    "arrest_postcode": ("arrest_postcode", "arrest_location_postcode"),
    "detained_from": (
        "booked_in", "arrival_time", "arrived_at", "detention_authorised", "custody_start", "time_in",
    ),
    "detained_to": ("released_at", "released", "release_time", "time_out", "custody_end", "departure_time"),
    "custody_suite": ("custody_suite", "suite", "custody_station", "station"),
    "offences": (
        "offences", "offence", "charges", "arrest_offences", "reason_for_arrest", "offence_description",
    ),
    "devices": (
        "devices_seized", "seized_imei", "seized_imeis", "imeis_seized", "seized_devices", "imei", "imeis",
    ),
    "disposal": ("disposal", "disposal_type", "outcome", "result"),
    "circumstances": ("circumstances", "arrest_circumstances", "grounds", "grounds_for_arrest"),
}  # fmt: skip
# Columns about the detention, not the person: kept out of the Person's fields.
_NOT_PERSON = frozenset(c for key in ("devices", "arrest_place", "arrest_postcode") for c in COLUMNS[key])
LOCAL_TIME = ZoneInfo("Europe/London")


def custody_bundle(source: SourceRecord, fields: Fields) -> Bundle:
    """The Custody event, the detained person, the arrest place, the suite and seized devices."""
    b = BundleBuilder(source)

    def column(name: str) -> str:
        return pick(fields, *COLUMNS[name])

    arrested_at = when(column("arrested_at"), LOCAL_TIME)
    detained_from = when(column("detained_from"), LOCAL_TIME) or arrested_at
    custody = b.node(
        "Custody",
        source_uid("Custody", source),
        {
            "custody_number": column("custody_number"),
            "arrest_summons_number": column("arrest_summons_number").upper(),
            "arrested_at": arrested_at,
            "arrest_place": column("arrest_place"),
            "occurred_from": detained_from,
            "occurred_to": when(column("detained_to"), LOCAL_TIME) or detained_from,
            "offences": pick_list(fields, *COLUMNS["offences"]),
            "disposal": column("disposal"),
            "circumstances": column("circumstances"),
        },
    )
    person = add_person(b, {k: v for k, v in fields.items() if k not in _NOT_PERSON}, "detained")
    if person is not None:
        b.edge("INVOLVED_IN", person, custody, {"role": "DETAINED"})
    arrest = add_location(b, column("arrest_place"), column("arrest_postcode"))
    if arrest is not None:
        b.edge("OCCURRED_AT", custody, arrest, {"role": "ARREST"})
    suite = column("custody_suite")
    if fold(suite):
        key = f"custody_suite:{fold(suite)}"
        place = b.node(
            "Place", value_uid("Place", key), {"place_key": key, "name": suite, "place_type": "CUSTODY_SUITE"}
        )
        b.edge("OCCURRED_AT", custody, place, {"role": "CUSTODY_SUITE"})
    for raw in pick_list(fields, *COLUMNS["devices"]):
        if (device := add_object(b, "Device", raw)) is not None:
            b.edge("INVOLVED_IN", device, custody, {"role": "SEIZED"})
    return b.bundle()


@register("custody", "Custody records (CSV): detained person, arrest, offences, devices seized", "CUSTODY")
def read(path: Path, ctx: LoadContext, options: LoaderOptions) -> Iterator[Bundle | Quarantined]:
    """Stream the custody records of an export; rows with no custody or arrest/summons number: quarantine."""
    keys = COLUMNS["custody_number"] + COLUMNS["arrest_summons_number"]
    for row in csv_rows(path, keys, "a custody export"):
        if row.error:
            yield Quarantined(str(path), row.line, None, row.error, row.raw)
            continue
        record_id = pick(row.values, *keys)
        if not record_id:
            yield Quarantined(
                str(path), row.line, "custody_number", "no custody or arrest/summons number", row.raw
            )
            continue
        source = SourceRecord(ctx.system, ctx.force, record_id, row.line, row_payload(row))
        yield custody_bundle(source, row.values)

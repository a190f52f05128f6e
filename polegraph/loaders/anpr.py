"""ANPR reads (CSV, one read per row, times in UTC): the read, the vehicle, the camera site.

The registration as the camera read it is normalised into ``vrm_as_read`` and keys a Vehicle
(``valid: false`` when it fits no UK format: a foreign plate or a misread); the index adds the
ANPR-confusion key (0/O/D/Q, 1/I, 5/S, 8/B, 2/Z) so that misreads still meet the true mark. The
vehicle joins the AnprRead by ``INVOLVED_IN {role: READ}``, the read joins its camera site, a Place
keyed ``camera:<site id>``, by ``READ_AT``. A read with no registration or no readable time is
quarantined: it places nothing anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

from polegraph.loaders.base import LoaderOptions, register
from polegraph.loaders.fields import Fields, coordinates, csv_rows, flag, integer, pick, row_payload
from polegraph.loaders.nominals import BundleBuilder, add_object
from polegraph.loaders.records import Bundle, LoadContext, Quarantined, SourceRecord, source_uid, value_uid
from polegraph.types import VRM, when
from polegraph.types.text import alnum_upper

COLUMNS: dict[str, tuple[str, ...]] = {
    "read_id": ("read_id", "id", "anpr_id", "read_ref", "read_uid", "capture_id", "event_id"),
    "vrm": ("vrm", "vrm_read", "vrm_as_read", "plate", "plate_read", "registration", "number_plate"),
    "time": (
        "read_time", "read_time_utc", "time", "timestamp", "datetime", "date_time", "read_datetime",
        "captured_at", "capture_time", "observed_at", "utc_time", "time_utc",
    ),
    "camera_id": ("camera_id", "camera", "camera_ref", "device_id"),
    "site_id": ("site_id", "site", "site_ref", "site_code", "location_id"),
    "site_name": ("site_name", "location", "camera_location", "site_description", "location_name"),
    "latitude": ("latitude", "lat", "camera_latitude", "site_latitude"),
    "longitude": ("longitude", "lon", "long", "lng", "camera_longitude", "site_longitude"),
    "direction": ("direction", "travel_direction", "heading", "dir"),
    "lane": ("lane", "lane_number", "lane_no"),
    "confidence": ("confidence", "read_confidence", "score", "ocr_confidence"),
    "hit": ("hit", "is_hit", "hotlist_hit", "alarm", "alert"),
    "hit_list": ("hit_list", "list", "hotlist", "hotlist_name", "list_name", "alert_list"),
}  # fmt: skip


def _confidence(raw: str) -> float | None:
    """Confidence in [0, 1]; cameras that report a percentage (``87`` or ``87%``) are scaled."""
    try:
        value = float(raw.rstrip("% "))
    except ValueError:
        return None
    if 1 < value <= 100:
        value /= 100
    return value if 0 <= value <= 1 else None


def read_bundle(source: SourceRecord, fields: Fields, time: str) -> Bundle:
    """The AnprRead, the vehicle read and the camera site."""
    b = BundleBuilder(source)

    def column(name: str) -> str:
        return pick(fields, *COLUMNS[name])

    geo = coordinates(column("latitude"), column("longitude"))
    camera, site = column("camera_id"), column("site_id")
    read = b.node(
        "AnprRead",
        source_uid("AnprRead", source),
        {
            "read_id": source.record_id,
            "vrm_as_read": VRM.normalise(column("vrm")),
            "occurred_from": time,
            "occurred_to": time,
            "camera_id": camera,
            "travel_direction": column("direction"),
            "lane": integer(column("lane")),
            "confidence": _confidence(column("confidence")),
            "hit": flag(column("hit")),
            "hit_list": column("hit_list"),
            **geo,
        },
    )
    vehicle = add_object(b, "Vehicle", column("vrm"))
    if vehicle is not None:
        b.edge("INVOLVED_IN", vehicle, read, {"role": "READ"})
    site_key = alnum_upper(site or camera)
    if site_key:
        key = f"camera:{site_key}"
        props = {"place_key": key, "site_id": site or camera, "name": column("site_name"), **geo}
        place = b.node("Place", value_uid("Place", key), {**props, "place_type": "CAMERA_SITE"})
        b.edge("READ_AT", read, place)
    return b.bundle()


def _derived_id(fields: Fields) -> str:
    # Exports without read ids: the same read always gets the same id, so reloads stay idempotent.
    parts = [pick(fields, *COLUMNS[c]) for c in ("camera_id", "site_id", "time", "vrm", "lane")]
    return "derived:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


@register("anpr", "ANPR reads (CSV, UTC): VRM as read, camera site, direction, lane, hit and list", "ANPR")
def read(path: Path, ctx: LoadContext, options: LoaderOptions) -> Iterator[Bundle | Quarantined]:
    """Stream the reads of an ANPR export; reads without a registration or a time go to quarantine."""
    for row in csv_rows(path, COLUMNS["vrm"], "an ANPR read export"):
        if row.error:
            yield Quarantined(str(path), row.line, None, row.error, row.raw)
            continue
        if VRM.normalise(pick(row.values, *COLUMNS["vrm"])) is None:
            yield Quarantined(str(path), row.line, "vrm", "no registration read", row.raw)
            continue
        time = when(pick(row.values, *COLUMNS["time"]), dt.UTC, to_utc=True)
        if time is None:
            yield Quarantined(str(path), row.line, "read_time", "no readable date and time", row.raw)
            continue
        record_id = pick(row.values, *COLUMNS["read_id"]) or _derived_id(row.values)
        source = SourceRecord(ctx.system, ctx.force, record_id, row.line, row_payload(row))
        yield read_bundle(source, row.values, time)

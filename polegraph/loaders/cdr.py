"""Call data records from an operator (CSV), with the operator's cell-site list.

One row is one event on the target's line: a voice call, an SMS, a data session. It becomes a Call
(keyed by its source record) joined by ``CALLED {role}`` to the Phones of the A, B and C numbers
(keyed by E.164, so the same number in an extraction is the same node), to the handset's Device,
and by ``OCCURRED_AT {CELL_FIRST|CELL_LAST}`` to cell-site Places. A cell named by a call is loaded
once, as its own record from the cell-site list (the site's address stays in that record).

Times must carry a zone (in the value or a time-zone column): a naive time goes to quarantine
unless the load names one in ``LoaderOptions.extra["timezone"]`` (e.g. ``Europe/London``; see
``event_time``). Other options: ``target`` (the target MSISDN when no column gives it) and
``network`` (prefixes bare cell ids that are not full CGIs). Exact duplicate rows are quarantined
as such, so that a call is never counted twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polegraph.loaders.base import LoaderOptions, register
from polegraph.loaders.csvio import CsvRow, FormatError, read_csv
from polegraph.loaders.fields import coordinates, integer
from polegraph.loaders.nominals import BundleBuilder, add_object
from polegraph.loaders.records import (
    Bundle,
    LoadContext,
    Node,
    Quarantined,
    SourceRecord,
    source_uid,
    value_uid,
)
from polegraph.loaders.ufdr_models import duration_seconds, option_zone
from polegraph.types import PHONE, POSTCODE, TimeError, event_time, fold


def words(text: str) -> frozenset[str]:
    """A vocabulary written as one string of space-separated words."""
    return frozenset(text.split())


# Column aliases by field, most usual first (keys as ``csvio.header_key`` writes them).
COLUMNS: dict[str, tuple[str, ...]] = {
    "record_id": ("record_id", "cdr_id", "event_id", "call_id", "record_reference", "sequence_number"),
    "target": ("target_msisdn", "target", "target_number", "msisdn", "subject_msisdn"),
    "a_number": ("a_number", "a_party", "a_party_number", "calling_number", "calling_party", "a_msisdn",
                 "originating_number", "from_number", "caller", "anum", "from"),
    "b_number": ("b_number", "b_party", "b_party_number", "called_number", "called_party", "b_msisdn",
                 "dialled_number", "dialed_number", "destination_number", "to_number", "callee", "bnum",
                 "to"),
    "c_number": ("c_number", "c_party", "forwarded_to", "diverted_to", "redirected_number", "c_msisdn"),
    "other_party": ("other_party", "other_number", "other_party_number", "correspondent", "remote_number"),
    "event_type": ("event_type", "call_type", "record_type", "service", "service_type", "usage_type",
                   "traffic_type", "event", "type"),
    "direction": ("direction", "call_direction", "in_out", "mo_mt"),
    "start": ("start_time", "start_date_time", "start_datetime", "call_start", "event_time", "timestamp",
              "date_time", "datetime", "call_date_time", "seizure_time", "event_start", "start"),
    "date": ("date", "call_date", "start_date", "event_date"),
    "time": ("time", "call_time"),
    "zone": ("timezone", "time_zone", "tz", "utc_offset", "gmt_offset"),
    "duration": ("duration", "duration_seconds", "duration_s", "duration_secs", "duration_sec",
                 "call_duration", "billed_duration", "seconds", "length"),
    "imsi": ("imsi", "target_imsi", "a_imsi", "subscriber_imsi"),
    "imei": ("imei", "target_imei", "a_imei", "handset_imei", "imeisv", "imei_sv"),
    "first_cell": ("first_cell_id", "first_cell", "start_cell", "start_cell_id", "cell_id_start", "first_cgi",
                   "start_cgi", "first_ecgi", "originating_cell", "serving_cell", "cell_id", "cgi", "ecgi",
                   "cell"),
    "last_cell": ("last_cell_id", "last_cell", "end_cell", "end_cell_id", "cell_id_end", "last_cgi",
                  "end_cgi", "last_ecgi", "terminating_cell"),
}  # fmt: skip
CELL_COLUMNS: dict[str, tuple[str, ...]] = {
    "cell": ("cell_id", "cgi", "ecgi", "cell", "cellid", "cell_identity", "cell_global_id", "ci"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng", "long"),
    "azimuth": ("azimuth", "bearing", "sector_azimuth", "orientation", "azimuth_deg"),
    "name": ("site_name", "name", "cell_name", "site"),
    "address": ("address", "site_address", "location", "full_address"),
    "postcode": ("postcode", "post_code"),
}

_OUT = words("MO MOC OUT OUTGOING OUTBOUND ORIGINATING ORIG DIALLED DIALED SENT SMSMO MOSMS")
_IN = words("MT MTC IN INCOMING INBOUND TERMINATING TERM RECEIVED SMSMT MTSMS")
_FORWARD = words("FWD FORWARD FORWARDED DIVERT DIVERTED REDIRECTED CF CFU")
# Checked in order: the first kind with a word in the event type wins ("video call" is VIDEO).
_KINDS = (
    ("VOICEMAIL", words("VOICEMAIL VM VMS")),
    ("VIDEO", words("VIDEO VT")),
    ("MMS", words("MMS")),
    ("SMS", words("SMS TEXT SMSMO SMSMT MOSMS MTSMS")),
    ("DATA", words("DATA GPRS INTERNET PDP PSDATA")),
    ("VOICE", words("VOICE CALL MOC MTC TELEPHONY SPEECH")),
)


_CLOCK_ONLY = re.compile(r"\s*\d{1,2}:\d{2}")


def _columns(header: list[str], aliases: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Each field's column: the first alias present in the header."""
    found: dict[str, str] = {}
    for name, options in aliases.items():
        column = next((alias for alias in options if alias in header), None)
        if column is not None:
            found[name] = column
    return found


def cell_key(raw: str, network: str = "") -> str:
    """A cell id as both the CDR and the cell list write it: ``234/15/1234/5678`` → ``234-15-1234-5678``.

    A bare cell id (not a full CGI) is unique only within one network, so ``network`` prefixes it.
    """
    key = "-".join(part for part in fold(raw).split(" ") if part)
    if network and key and key.count("-") < 3:
        return f"{fold(network).replace(' ', '-')}:{key}"
    return key


@dataclass(frozen=True, slots=True)
class CellSite:
    """One row of the cell-site list: its Place properties and the row as received."""

    key: str
    line: int
    values: dict[str, str]
    props: dict[str, Any]


def _cell_site(row: CsvRow, cols: dict[str, str], network: str) -> CellSite | None:
    values = {field: row.values.get(col, "") for field, col in cols.items()}
    key = cell_key(values["cell"], network)
    if not key:
        return None
    azimuth = integer(values.get("azimuth", ""))
    postcode = POSTCODE.clean(values.get("postcode", ""))
    props: dict[str, Any] = {
        "place_key": f"cell:{key}",
        "site_id": key,
        "place_type": "CELL_SITE",
        "name": values.get("name") or values.get("address") or None,
        "azimuth": azimuth if azimuth is not None and 0 <= azimuth <= 360 else None,
        "postcode": postcode.normalised if postcode.valid else None,
        **coordinates(values.get("latitude", ""), values.get("longitude", "")),
    }
    payload = dict(row.values)
    if row.extra:
        payload["_extra_cells"] = " | ".join(row.extra)
    return CellSite(key, row.line, payload, {k: v for k, v in props.items() if v is not None})


def read_cell_sites(path: Path, network: str = "") -> tuple[dict[str, CellSite], list[Quarantined]]:
    """The cell-site list by cell key, and its rows that could not be used."""
    sites: dict[str, CellSite] = {}
    bad: list[Quarantined] = []
    cols: dict[str, str] | None = None
    for row in _rows(path, "a cell-site list"):
        if cols is None:
            cols = _columns(list(row.values), CELL_COLUMNS)
            if "cell" not in cols:
                accepted = ", ".join(CELL_COLUMNS["cell"])
                raise FormatError(
                    f"{path}: the cell-site list has no cell id column", hint=f"one of {accepted}"
                )
        site = None if row.error else _cell_site(row, cols, network)
        if site is None:
            bad.append(Quarantined(str(path), row.line, cols["cell"], row.error or "no cell id", row.raw))
        elif site.key in sites and sites[site.key].values != site.values:
            reason = f"cell {site.key} is listed again (first at line {sites[site.key].line}), differently"
            bad.append(Quarantined(str(path), row.line, cols["cell"], reason, row.raw))
        else:
            sites.setdefault(site.key, site)
    return sites, bad


def _rows(path: Path, what: str) -> Iterator[CsvRow]:
    # csvio lets the csv module's own error out (a lone carriage return inside a row): name the file.
    try:
        yield from read_csv(path, what=what)
    except csv.Error as exc:
        raise FormatError(f"{path}: not readable as {what}: {exc}") from None


def _direction(event_type: str, direction: str) -> str | None:
    words = set(fold(f"{direction} {event_type}").split())
    for value, vocabulary in (("FORWARDED", _FORWARD), ("OUTGOING", _OUT), ("INCOMING", _IN)):
        if words & vocabulary:
            return value
    return None


def _call_type(event_type: str) -> str:
    words = set(fold(event_type).split())
    return next((kind for kind, vocabulary in _KINDS if words & vocabulary), "OTHER" if words else "VOICE")


class _CdrReader:
    """Turns rows into bundles; remembers the cells already sent and the rows already seen."""

    def __init__(self, path: Path, ctx: LoadContext, options: LoaderOptions) -> None:
        self.path, self.ctx = path, ctx
        self.zone = option_zone(options)
        self.network = options.extra.get("network", "")
        self.target_option = options.extra.get("target", "")
        self.sites: dict[str, CellSite] = {}
        self.site_problems: list[Quarantined] = []
        if options.cell_sites is not None:
            self.sites, self.site_problems = read_cell_sites(options.cell_sites, self.network)
        self.cell_file = str(options.cell_sites or "")
        self.cells_sent: set[str] = set()
        self.seen: dict[str, int] = {}
        self.cols: dict[str, str] = {}

    def header(self, row: CsvRow) -> None:
        self.cols = _columns(list(row.values), COLUMNS)
        if not {"start", "date", "time"} & self.cols.keys():
            raise FormatError(
                f"{self.path}: no start time column in this call data",
                hint="expected one of " + ", ".join(COLUMNS["start"] + COLUMNS["date"] + COLUMNS["time"]),
            )
        if not {"a_number", "b_number", "other_party", "target"} & self.cols.keys():
            raise FormatError(
                f"{self.path}: no A, B, other-party or target number column in this call data",
                hint="expected e.g. " + ", ".join(COLUMNS["a_number"][:4] + COLUMNS["b_number"][:4]),
            )

    def value(self, row: CsvRow, name: str) -> str:
        column = self.cols.get(name)
        return row.values.get(column, "").strip() if column else ""

    def cell_bundle(self, key: str) -> Bundle | None:
        site = self.sites.get(key)
        if site is None or key in self.cells_sent:
            return None
        self.cells_sent.add(key)
        payload = {**site.values, "_cell_site_file": self.cell_file}
        source = SourceRecord(self.ctx.system, self.ctx.force, f"cellsite:{key}", site.line, payload)
        return Bundle(source, (Node("Place", value_uid("Place", f"cell:{key}"), site.props),))

    def place(self, b: BundleBuilder, key: str) -> Node:
        props = self.sites[key].props if key in self.sites else {
            "place_key": f"cell:{key}", "site_id": key, "place_type": "CELL_SITE",
        }  # fmt: skip
        return b.node("Place", value_uid("Place", f"cell:{key}"), props)

    def row(self, row: CsvRow) -> Iterator[Bundle | Quarantined]:
        if row.error:
            yield Quarantined(str(self.path), row.line, None, row.error, row.raw)
            return
        v = {name: self.value(row, name) for name in COLUMNS}
        clock = v["start"] or v["time"]
        # A date column goes with a time-only start or time column; otherwise the start says it all.
        start_text = f"{v['date']} {clock}" if v["date"] and _CLOCK_ONLY.match(clock) else clock
        field = self.cols.get("start") or self.cols.get("date") or self.cols.get("time")
        try:
            start = event_time(start_text, zone=v["zone"], default_zone=self.zone)
        except TimeError as exc:
            yield Quarantined(str(self.path), row.line, field, str(exc), row.raw)
            return
        target_key = PHONE.normalise(v["target"] or self.target_option) or "unknown"
        digest = hashlib.sha256("\x1f".join(f"{k}={row.values[k]}" for k in sorted(row.values)).encode())
        record_id = f"{target_key}:{start:%Y%m%dT%H%M%SZ}:{digest.hexdigest()[:12]}"
        if record_id in self.seen:
            reason = f"exact duplicate of line {self.seen[record_id]}"
            yield Quarantined(str(self.path), row.line, None, reason, row.raw)
            return
        self.seen[record_id] = row.line
        cells = [cell_key(v[name], self.network) for name in ("first_cell", "last_cell")]
        for key in dict.fromkeys(k for k in cells if k):
            if (cell := self.cell_bundle(key)) is not None:
                yield cell
        payload: dict[str, Any] = dict(row.values)
        if row.extra:
            payload["_extra_cells"] = " | ".join(row.extra)
        if row.decoded_with_replacement:
            payload["_decoded_as"] = "cp1252"
        source = SourceRecord(self.ctx.system, self.ctx.force, record_id, row.line, payload)
        yield self.call(source, v, start, cells) or Quarantined(
            str(self.path), row.line, self.cols.get("a_number"), "no phone number on the row", row.raw
        )

    def call(self, source: SourceRecord, v: dict[str, str], start: Any, cells: list[str]) -> Bundle | None:
        direction = _direction(v["event_type"], v["direction"])
        a, b_num, c = v["a_number"], v["b_number"], v["c_number"]
        target = v["target"] or self.target_option
        if v["other_party"] and not (a or b_num):  # "target, other party, direction" layouts
            a, b_num = (v["other_party"], target) if direction == "INCOMING" else (target, v["other_party"])
        b = BundleBuilder(source)
        target_node = add_object(b, "Phone", target) if target else None
        if direction is None and target_node is not None:
            # Which end the target is tells the direction when no column says it.
            ends = {
                PHONE.normalise(a) if a else None: "OUTGOING",
                PHONE.normalise(b_num) if b_num else None: "INCOMING",
            }
            direction = ends.get(target_node.props["e164"])
        if target_node is not None and not a and direction != "INCOMING":
            a = target  # a data session or an outgoing event names only the other end
        if target_node is not None and not b_num and direction == "INCOMING":
            b_num = target
        duration = duration_seconds(v["duration"])
        imei = add_object(b, "Device", v["imei"]) if v["imei"] else None
        props = {
            "call_type": _call_type(v["event_type"]),
            "direction": direction or "UNKNOWN",
            "duration_seconds": duration,
            "occurred_from": start,
            "occurred_to": start + dt.timedelta(seconds=duration or 0),
            "imsi": v["imsi"] or None,
            "imei": imei.props["imei"] if imei else None,
            "first_cell_id": cells[0] or None,
            "last_cell_id": cells[1] or None,
        }
        call = b.node("Call", source_uid("Call", source), props)
        linked = False
        for role, raw in (("CALLER", a), ("CALLEE", b_num), ("DIVERTED_TO", c)):
            phone = add_object(b, "Phone", raw) if raw else None
            if phone is not None:
                b.edge("CALLED", phone, call, {"role": role})
                linked = True
        if not linked:
            return None
        if target_node is not None and v["imsi"]:
            b.node("Phone", target_node.uid, {"imsi": v["imsi"]})
        if imei is not None:
            b.edge("INVOLVED_IN", imei, call, {"role": "USED"})
            if target_node is not None:
                b.edge("USES_DEVICE", target_node, imei)
        for role, key in (("CELL_FIRST", cells[0]), ("CELL_LAST", cells[1])):
            if key:
                b.edge("OCCURRED_AT", call, self.place(b, key), {"role": role})
        return b.bundle()


@register("cdr", "call data records from an operator (CSV), with --cell-sites", "CDR")
def read(path: Path, ctx: LoadContext, options: LoaderOptions) -> Iterator[Bundle | Quarantined]:
    """Stream the bundles of one operator's call data (see the module docstring)."""
    reader = _CdrReader(path, ctx, options)
    yield from reader.site_problems
    for row in _rows(path, "call data records"):
        if not reader.cols:
            reader.header(row)
        yield from reader.row(row)

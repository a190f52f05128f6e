"""Call data records from two operators, in their two layouts, each with its cell-site list.

Operator A writes A and B numbers, UTC times with an offset, first and last cell; operator B
writes the target, the other party and a direction, with a local date, time and zone column. The
CDR loader keys each event by a hash of its row, computed here the same way so that the ground
truth names the record the graph will hold. Planted bad records: an event time with no zone, and
an exact duplicate row (operators do send those).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from zoneinfo import ZoneInfo

from polegraph.loaders.csvio import header_key
from polegraph.scenario.forces import Site
from polegraph.scenario.output import CsvExport, FileStats
from polegraph.scenario.records import CallEvent
from polegraph.scenario.truth import Ledger, Mention

_LONDON = ZoneInfo("Europe/London")
_OPERATOR_A = (
    "Target MSISDN",
    "Event Type",
    "A Number",
    "B Number",
    "C Number",
    "Start Time",
    "Duration",
    "IMSI",
    "IMEI",
    "First Cell ID",
    "Last Cell ID",
)
_OPERATOR_B = (
    "MSISDN",
    "Other Party",
    "Direction",
    "Call Type",
    "Date",
    "Time",
    "Time Zone",
    "Duration (s)",
    "Cell ID",
)
_CELLS = ("Cell ID", "Site Name", "Site Address", "Postcode", "Latitude", "Longitude", "Azimuth")
_B_TYPES = {
    "MOC": ("Outgoing", "Voice"),
    "MTC": ("Incoming", "Voice"),
    "SMS-MO": ("Outgoing", "SMS"),
    "SMS-MT": ("Incoming", "SMS"),
    "DATA": ("Outgoing", "Data"),
}


def write_cell_sites(root: Path, relpath: str, sites: list[Site]) -> Path:
    """The operator's cell-site list (not a load of its own: an option of the CDR load)."""
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(_CELLS) + "\n")
        for s in sites:
            out.write(
                f"{s.site_id},{s.name},{s.town} town centre,,{s.latitude:.5f},{s.longitude:.5f},{s.azimuth}\n"
            )
    return path


class CdrExport:
    """One target's call data from one operator (``layout`` "A" or "B")."""

    def __init__(
        self,
        root: Path,
        relpath: str,
        force: str,
        layout: str,
        target: str,
        imsi: str,
        imei: str,
        ledger: Ledger,
    ) -> None:
        self.layout, self.target, self.imsi, self.imei = layout, target, imsi, imei
        header = _OPERATOR_A if layout == "A" else _OPERATOR_B
        self.csv = CsvExport(root, relpath, header, fmt="cdr", force=force, system="CDR", ledger=ledger)
        self.keys = [header_key(h) for h in header]
        self.cells_sent: set[str] = set()
        self.last: dict[str, str] | None = None

    def _values(self, e: CallEvent) -> dict[str, str]:
        if self.layout == "A":
            return {
                "Target MSISDN": self.target[1:],
                "Event Type": e.kind,
                "A Number": e.a_number[1:],
                "B Number": e.b_number[1:],
                "Start Time": e.start.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                "Duration": f"{e.duration // 60:02d}:{e.duration % 60:02d}"
                if e.kind in ("MOC", "MTC")
                else "0",
                "IMSI": self.imsi,
                "IMEI": self.imei,
                "First Cell ID": e.first_cell.site_id,
                "Last Cell ID": e.last_cell.site_id if e.last_cell else "",
            }
        direction, kind = _B_TYPES[e.kind]
        other = e.b_number if direction == "Outgoing" else e.a_number
        local = e.start.astimezone(_LONDON)
        return {
            "MSISDN": "0" + self.target[3:],
            "Other Party": "0" + other[3:],
            "Direction": direction,
            "Call Type": kind,
            "Date": local.strftime("%d/%m/%Y"),
            "Time": local.strftime("%H:%M:%S"),
            "Time Zone": "Europe/London",
            "Duration (s)": str(e.duration),
            "Cell ID": e.first_cell.site_id,
        }

    def write(self, e: CallEvent) -> None:
        values = self._values(e)
        line = self.csv.row(values)
        ends = (e.first_cell, e.last_cell) if self.layout == "A" else (e.first_cell,)
        cells = [c.site_id for c in ends if c is not None]
        new_cells = [c for c in dict.fromkeys(cells) if c not in self.cells_sent]
        self.cells_sent.update(new_cells)
        record_id = self.record_id(values, e)
        mentions = [Mention(h.person_id, None, "PARTY") for h in e.parties]
        ids = [("phone", e.a_number), ("phone", e.b_number)]
        # The loader yields each cell site once, as its own record, before the first call that names it.
        self.csv.note(
            line,
            record_id,
            mentions=mentions,
            identifiers=ids,
            planted=e.planted,
            bundles=1 + len(new_cells),
            extra={"kind": e.kind, "start": e.start.isoformat()},
        )
        self.last = values

    def record_id(self, values: dict[str, str], e: CallEvent) -> str:
        """The id the CDR loader gives this row: target, UTC start and a hash of the row's cells."""
        row = {header_key(k): v.strip() for k, v in values.items()}
        cells = {k: row.get(k, "") for k in self.keys}
        digest = hashlib.sha256("\x1f".join(f"{k}={cells[k]}" for k in sorted(cells)).encode()).hexdigest()
        return f"{self.target}:{e.start:%Y%m%dT%H%M%SZ}:{digest[:12]}"

    def write_bad(self) -> None:
        """Plant an event with no time zone, then an exact duplicate of the last event."""
        if self.layout == "A":
            naive = {
                "Target MSISDN": self.target[1:],
                "Event Type": "MOC",
                "A Number": self.target[1:],
                "B Number": "447700900999",
                "Start Time": "2024-03-02 21:14:05",
                "Duration": "00:41",
            }
        else:
            naive = {
                "MSISDN": "0" + self.target[3:],
                "Other Party": "07700900999",
                "Direction": "Outgoing",
                "Call Type": "Voice",
                "Date": "02/03/2024",
                "Time": "21:14:05",
                "Duration (s)": "41",
            }
        line = self.csv.row(naive)
        self.csv.note(line, "", quarantined="a time with no time zone")
        if self.last is not None:
            line = self.csv.row(self.last)
            self.csv.note(line, "", quarantined="exact duplicate of an earlier row")

    def close(self) -> FileStats:
        self.csv.close()
        return self.csv.stats

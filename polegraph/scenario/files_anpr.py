"""ANPR read exports (UTC) and data.police.uk street-level crime files.

An ANPR read names a vehicle, not a person; its truth is the true registration, what the camera
read (a misread of 0/O, 1/I, 5/S, 8/B or 2/Z some of the time) and the registered keeper. Planted
bad records: a read with no registration and one with an impossible time. The street file is the
open-data download of each force, anonymised to a month and a snap point; a row with no crime
type is planted for quarantine.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

from polegraph.loaders.csvio import header_key
from polegraph.loaders.police_uk import STREET_COLUMNS
from polegraph.scenario.forces import Force
from polegraph.scenario.output import CsvExport, FileStats
from polegraph.scenario.rand import stream
from polegraph.scenario.records import AnprRead, StreetCrime
from polegraph.scenario.truth import Ledger, Mention

_ANPR = (
    "Read ID",
    "VRM",
    "Read Time (UTC)",
    "Camera ID",
    "Site ID",
    "Site Name",
    "Latitude",
    "Longitude",
    "Direction",
    "Lane",
    "Confidence",
    "Hit",
    "Hit List",
)


class AnprExport:
    """One force's ANPR reads."""

    def __init__(self, root: Path, seed: int, force: Force, ledger: Ledger) -> None:
        self.force = force
        self.rng = stream(seed, "anpr-file", force.code)
        self.csv = CsvExport(
            root,
            f"{force.code}/anpr_reads.csv",
            _ANPR,
            fmt="anpr",
            force=force.code,
            system="ANPR",
            ledger=ledger,
        )
        self.count = 0

    def write(self, read: AnprRead) -> None:
        self.count += 1
        read_id = f"{self.force.code}-R{self.count:09d}"
        # Cameras export ISO times in UTC; older ones a UK-style date with the zone spelt out.
        when = read.time.strftime(
            "%Y-%m-%dT%H:%M:%SZ" if self.rng.random() < 0.8 else "%d/%m/%Y %H:%M:%S UTC"
        )
        line = self.csv.row(
            {
                "Read ID": read_id,
                "VRM": read.read_as,
                "Read Time (UTC)": when,
                "Camera ID": f"CAM-{read.site.site_id}",
                "Site ID": read.site.site_id,
                "Site Name": read.site.name,
                "Latitude": f"{read.site.latitude:.5f}",
                "Longitude": f"{read.site.longitude:.5f}",
                "Direction": read.direction,
                "Lane": str(read.lane),
                "Confidence": f"{read.confidence:.2f}",
                "Hit": "Y" if read.hit_list else "N",
                "Hit List": read.hit_list,
            }
        )
        mentions = [Mention(read.keeper.person_id, None, "KEEPER")] if read.keeper else []
        extra = {
            "vrm": read.vrm,
            "vrm_read": read.read_as,
            "misread": read.vrm != read.read_as,
            "camera": read.site.site_id,
            "time": read.time.isoformat(),
        }
        self.csv.note(
            line,
            read_id,
            mentions=mentions,
            identifiers=[("vrm", read.vrm)],
            planted=read.planted,
            extra=extra,
        )

    def write_bad(self, rng: random.Random) -> None:
        """Plant a read with no registration and one whose time cannot be read."""
        for vrm, when, reason in (
            ("", "2024-02-03T10:11:12Z", "no registration read"),
            ("YX19 KLM", "31/02/2024 25:61", "no readable date and time"),
        ):
            self.count += 1
            read_id = f"{self.force.code}-R{self.count:09d}"
            line = self.csv.row(
                {"Read ID": read_id, "VRM": vrm, "Read Time (UTC)": when, "Site ID": "UNKNOWN"}
            )
            self.csv.note(line, read_id, quarantined=reason)

    def close(self) -> FileStats:
        self.csv.close()
        return self.csv.stats


class StreetExport:
    """One force's data.police.uk street-level crime download."""

    def __init__(self, root: Path, force: Force, ledger: Ledger) -> None:
        self.force = force
        self._asb_seen: dict[str, int] = {}
        self.csv = CsvExport(
            root,
            f"{force.code}/police_uk_street.csv",
            STREET_COLUMNS,
            fmt="police-uk-street",
            force=force.code,
            system="POLICE_UK",
            ledger=ledger,
        )

    def write(self, crime: StreetCrime) -> None:
        values = {
            "Crime ID": crime.crime_id,
            "Month": crime.month,
            "Reported by": self.force.name,
            "Falls within": self.force.name,
            "Longitude": f"{crime.longitude:.6f}",
            "Latitude": f"{crime.latitude:.6f}",
            "Location": crime.location,
            "LSOA code": crime.lsoa_code,
            "LSOA name": crime.lsoa_name,
            "Crime type": crime.crime_type,
            "Last outcome category": crime.outcome,
        }
        line = self.csv.row(values)
        self.csv.note(line, crime.crime_id or self._content_id(values))

    def _content_id(self, values: dict[str, str]) -> str:
        """The id the loader gives a row without a Crime ID (anti-social behaviour): a hash of its columns.

        Written out here so that the ground truth names the record as the graph will; the scenario
        test checks it against the loader.
        """
        text = "\x1f".join(f"{header_key(name)}={values.get(name, '')}" for name in sorted(STREET_COLUMNS))
        digest = hashlib.sha256(text.encode()).hexdigest()[:32]
        count = self._asb_seen[digest] = self._asb_seen.get(digest, 0) + 1
        return digest if count == 1 else f"{digest}-{count}"

    def write_bad(self, rng: random.Random) -> None:
        """Plant a row with no crime type."""
        line = self.csv.row(
            {"Crime ID": "", "Month": "2024-03", "Reported by": self.force.name, "Crime type": ""}
        )
        self.csv.note(line, "", quarantined="the crime type is empty")

    def close(self) -> FileStats:
        self.csv.close()
        return self.csv.stats

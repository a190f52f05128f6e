"""Writing one export file as it goes: rows out, physical line numbers and counts kept.

``ExportFile`` is what every layout writes through. It knows the file's force, system and format,
hands each record's truth to the ledger with the line the loader will report for it, and counts
what the loader is expected to yield (``expected_read``) and quarantine.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from polegraph.scenario.nominal import Named, Rendered
from polegraph.scenario.records import Planted
from polegraph.scenario.truth import Ledger, Mention, person_uid


@dataclass
class FileStats:
    """What was written to one file and what its loader should make of it."""

    records: int = 0  # source records written (rows, lines, models)
    expected_read: int = 0  # items the loader yields (bundles and quarantined)
    quarantined: list[dict[str, Any]] = field(default_factory=list)  # {line, reason}


class ExportFile:
    """One output file of one force's system, with its ledger entry per record."""

    def __init__(
        self, root: Path, relpath: str, *, fmt: str, force: str, system: str, ledger: Ledger
    ) -> None:
        self.root, self.relpath = root, relpath
        self.fmt, self.force, self.system, self.ledger = fmt, force, system, ledger
        self.path = root / relpath
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.stats = FileStats()

    def note(
        self,
        line: int,
        record_id: str,
        *,
        mentions: Iterable[Mention] = (),
        identifiers: Iterable[tuple[str, str]] = (),
        planted: Planted | None = None,
        text: str = "",
        quarantined: str = "",
        bundles: int = 1,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """Record one written record: its truth, and how many items its loader will yield for it."""
        self.stats.records += 1
        self.stats.expected_read += 1 if quarantined else bundles
        if quarantined:
            self.stats.quarantined.append({"line": line, "reason": quarantined})
        return self.ledger.record(
            file=self.relpath,
            line=line,
            fmt=self.fmt,
            force=self.force,
            system=self.system,
            record_id=record_id,
            mentions=mentions,
            identifiers=identifiers,
            planted=planted,
            quarantined=quarantined,
            text=text,
            extra=extra,
        )


class CsvExport(ExportFile):
    """A CSV export: header first, then one row per record; lines counted as the loader counts them."""

    def __init__(
        self,
        root: Path,
        relpath: str,
        header: Sequence[str],
        *,
        fmt: str,
        force: str,
        system: str,
        ledger: Ledger,
        crlf: bool = False,
    ) -> None:
        super().__init__(root, relpath, fmt=fmt, force=force, system=system, ledger=ledger)
        self.header = list(header)
        self._index = {name: i for i, name in enumerate(self.header)}
        self._terminator = "\r\n" if crlf else "\n"
        self._handle: IO[str] = self.path.open("w", encoding="utf-8", newline="")
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator=self._terminator)
        self.line = 0
        self._emit(self.header)

    def _emit(self, cells: Sequence[str]) -> int:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(cells)
        text = self._buffer.getvalue()
        start = self.line + 1
        self.line += text.count("\n")  # a quoted cell with a line break spans lines
        self._handle.write(text)
        return start

    def row(self, values: dict[str, str]) -> int:
        """Write a row given by column name (missing columns empty); returns its first line."""
        cells = [""] * len(self.header)
        for name, value in values.items():
            cells[self._index[name]] = value
        return self._emit(cells)

    def close(self) -> None:
        self._handle.close()


def nominal_facts(
    export: ExportFile,
    record_id: str,
    part: str,
    named: Named,
    rendered: Rendered | None,
    *,
    described_node: bool = True,
) -> tuple[Mention | None, list[tuple[str, str]]]:
    """The truth of one written nominal (the Person node the loader makes) and the identifiers written.

    ``rendered`` None is a person described, not named ("Unknown male, 30s"): the loader makes a
    Person of them only when the layout writes something else about them (``described_node``).
    """
    if named.human is None:
        return None, []
    uid = person_uid(export.force, export.system, record_id, part)
    if rendered is None:
        uid_or_none = uid if described_node else None
        return Mention(
            named.human.person_id, uid_or_none, named.role, ("unidentified",), identified=False
        ), []
    ids: list[tuple[str, str]] = []
    if rendered.phone_e164:
        ids.append(("phone", rendered.phone_e164))
    if rendered.vrm and named.human.vehicle:
        ids.append(("vrm", named.human.vehicle.vrm))
    if rendered.postcode:
        ids.append(("postcode", named.human.home.postcode))
    if rendered.pnc_id and named.human.pnc_id:
        ids.append(("pnc_id", named.human.pnc_id))
    return Mention(named.human.person_id, uid, named.role, rendered.distortions), ids

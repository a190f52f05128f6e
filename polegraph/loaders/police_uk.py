"""data.police.uk CSV downloads (Open Government Licence): street-level crime and stop and search.

Street-level crime: one Crime per row. ``Crime ID`` is empty for anti-social behaviour, so such a
row is identified by a hash of its content; identical rows in one file are distinct incidents
(several ASB reports at one snap point in one month look the same) and get ``-2``, ``-3``… after
the hash. A row that repeats a Crime ID is the same crime and merges. ``Month`` (``YYYY-MM``) is
the period the crime falls in: ``occurred_from`` its first moment, ``occurred_to`` its last.

Stop and search: one StopSearch per row, identified by its content in the same way.

Locations are anonymised "snap points" (``On or near Park Street`` at a fixed lat/lon): each
becomes a Place keyed by its coordinates, so that the crimes and searches at one snap point meet.
The wording stays on the event (``location_description``) and in the source record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from polegraph.loaders.base import LoaderOptions, register
from polegraph.loaders.csvio import CsvFile, CsvRow, FormatError, header_key
from polegraph.loaders.mapping_values import clean_value, parse_datetime
from polegraph.loaders.records import (
    Bundle,
    Edge,
    LoadContext,
    Node,
    Quarantined,
    SourceRecord,
    source_uid,
    value_uid,
)
from polegraph.schema import load_ontology
from polegraph.types import DATE

SYSTEM = "POLICE_UK"

STREET_COLUMNS = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location", "LSOA code",
    "LSOA name", "Crime type", "Last outcome category", "Context",
)  # fmt: skip
SEARCH_COLUMNS = (
    "Type", "Date", "Part of a policing operation", "Policing operation", "Latitude", "Longitude", "Gender",
    "Age range", "Self-defined ethnicity", "Officer-defined ethnicity", "Legislation", "Object of search",
    "Outcome", "Outcome linked to object of search", "Removal of more than just outer clothing",
)  # fmt: skip

# Event property <- column, for the columns that are copied as they are (cleaned by their type).
_CRIME_PROPS = {
    "reference": "Crime ID", "crime_type": "Crime type", "outcome": "Last outcome category",
    "location_description": "Location", "lsoa_code": "LSOA code", "mo_text": "Context",
}  # fmt: skip
_SEARCH_PROPS = {
    "part_of_operation": "Part of a policing operation", "operation_name": "Policing operation",
    "subject_gender": "Gender", "subject_age_range": "Age range",
    "self_defined_ethnicity": "Self-defined ethnicity",
    "officer_defined_ethnicity": "Officer-defined ethnicity",
    "legislation": "Legislation", "object_of_search": "Object of search", "outcome": "Outcome",
    "outcome_linked_to_object": "Outcome linked to object of search",
    "outer_clothing_removed": "Removal of more than just outer clothing",
}  # fmt: skip
_SEARCH_TYPES = {
    "PERSON_SEARCH": "PERSON", "VEHICLE_SEARCH": "VEHICLE", "PERSON_AND_VEHICLE_SEARCH": "PERSON_AND_VEHICLE",
}  # fmt: skip


Convert = Callable[["_Reader", CsvRow], Bundle]


class _Reject(Exception):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column, self.reason = column, reason


class _Reader:
    """One open data.police.uk file: its columns found by name, rows turned into bundles."""

    def __init__(
        self, table: CsvFile, ctx: LoadContext, columns: tuple[str, ...], required: tuple[str, ...]
    ) -> None:
        self.table, self.ctx, self.onto = table, ctx, load_ontology()
        self.index = {name: table.find(name) for name in columns}
        missing = [name for name in required if self.index[name] is None]
        if missing:
            raise FormatError(
                f"{table.path}: the header lacks the column(s) {', '.join(missing)}",
                hint=f"the header read was: {', '.join(table.header)}; is this a data.police.uk file?",
            )
        self.seen: dict[str, int] = {}  # content hashes so far: the one thing that grows with the file

    def get(self, row: CsvRow, name: str) -> str:
        return row.cell(self.index.get(name))

    def content_id(self, row: CsvRow) -> str:
        """A hash of the row's known columns (order and extra columns do not matter), numbered on repeats."""
        text = "\x1f".join(f"{header_key(name)}={self.get(row, name)}" for name in sorted(self.index))
        digest = hashlib.sha256(text.encode()).hexdigest()[:32]
        count = self.seen[digest] = self.seen.get(digest, 0) + 1
        return digest if count == 1 else f"{digest}-{count}"

    def props(self, label: str, row: CsvRow, columns: Mapping[str, str]) -> dict[str, Any]:
        """Cleaned values of ``columns``; a value that fails its type is left to the source record."""
        entity = self.onto.entity(label)
        props: dict[str, Any] = {}
        for name, column in columns.items():
            spec = entity.properties[name]
            translate = _SEARCH_TYPES if name == "search_type" else None
            result = clean_value(spec, self.get(row, column), translate=translate)
            if result.value is not None and result.valid:
                props[name] = result.value
        return props

    def place(self, row: CsvRow) -> dict[str, float] | None:
        """Latitude and longitude when both are usable numbers on the map, else None."""
        geo: dict[str, float] = {}
        place = self.onto.entity("Place")
        for name, column, limit in (("latitude", "Latitude", 90.0), ("longitude", "Longitude", 180.0)):
            result = clean_value(place.properties[name], self.get(row, column))
            if result.value is None or not -limit <= result.value <= limit:
                return None
            geo[name] = float(result.value)
        return geo

    def bundle(self, source: SourceRecord, event: Node, geo: dict[str, float] | None, role: str) -> Bundle:
        if geo is None:
            return Bundle(source, (event,))
        key = f"police_uk:{geo['latitude']:.6f},{geo['longitude']:.6f}"
        place = Node("Place", value_uid("Place", key), {"place_key": key, **geo})
        edge = Edge("OCCURRED_AT", event.label, event.uid, "Place", place.uid, {"role": role}, role)
        return Bundle(source, (Node(event.label, event.uid, {**event.props, **geo}), place), (edge,))

    def rows(self, convert: Convert) -> Iterator[Bundle | Quarantined]:
        where = self.ctx.source_file or str(self.table.path)
        for row in self.table:
            if row.error:
                yield Quarantined(where, row.line, None, row.error, row.raw)
                continue
            try:
                yield convert(self, row)
            except _Reject as reject:
                index = self.index.get(reject.column)  # the column as the file spells it
                column = reject.column if index is None else self.table.header[index]
                yield Quarantined(where, row.line, column, reject.reason, row.raw)


def _month(raw: str) -> tuple[str, str]:
    """The first and last moment of the month ``raw`` names (``2026-02``, ``02/2026``, ``Feb 2026``…)."""
    cleaned = DATE.clean(raw)
    if not cleaned.valid or cleaned.normalised is None or len(cleaned.normalised) < 7:
        raise _Reject("Month", f"{raw.strip()!r} is not a month: {cleaned.reason or 'no month given'}")
    month = cleaned.normalised[:7]
    start, end = parse_datetime(month), parse_datetime(month, period_end=True)
    return str(start.value), str(end.value)


def _street_row(reader: _Reader, row: CsvRow) -> Bundle:
    crime_type = reader.get(row, "Crime type")
    if not crime_type:
        raise _Reject("Crime type", "the crime type is empty")
    occurred_from, occurred_to = _month(reader.get(row, "Month"))
    record_id = reader.get(row, "Crime ID") or reader.content_id(row)
    source = SourceRecord(reader.ctx.system, reader.ctx.force, record_id, row.line, reader.table.payload(row))
    props = reader.props("Crime", row, _CRIME_PROPS)
    props.update(occurred_from=occurred_from, occurred_to=occurred_to)
    crime = Node("Crime", source_uid("Crime", source), props)
    return reader.bundle(source, crime, reader.place(row), "SCENE")


def _search_row(reader: _Reader, row: CsvRow) -> Bundle:
    raw_date = reader.get(row, "Date")
    when = parse_datetime(raw_date)
    if when.value is None:
        raise _Reject("Date", f"{raw_date!r} is not a date and time: {when.reason}")
    source = SourceRecord(
        reader.ctx.system, reader.ctx.force, reader.content_id(row), row.line, reader.table.payload(row)
    )
    props = reader.props("StopSearch", row, {"search_type": "Type", **_SEARCH_PROPS})
    props.update(occurred_from=when.value, occurred_to=when.value)
    search = Node("StopSearch", source_uid("StopSearch", source), props)
    return reader.bundle(source, search, reader.place(row), "SEARCH")


def _read(
    path: Path,
    ctx: LoadContext,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    convert: Convert,
    what: str,
) -> Iterator[Bundle | Quarantined]:
    with CsvFile(path, what) as table:
        if table.header:  # an empty file has nothing to load
            yield from _Reader(table, ctx, columns, required).rows(convert)


@register("police-uk-street", "data.police.uk street-level crime CSV", SYSTEM)
def read_street(path: Path, ctx: LoadContext, options: LoaderOptions) -> Iterator[Bundle | Quarantined]:
    """Street-level crime: ``Crime ID, Month, …, Crime type, Last outcome category, Context``."""
    what = "a data.police.uk street-level crime CSV"
    return _read(path, ctx, STREET_COLUMNS, ("Month", "Crime type"), _street_row, what)


@register("police-uk-stop-search", "data.police.uk stop and search CSV", SYSTEM)
def read_stop_search(path: Path, ctx: LoadContext, options: LoaderOptions) -> Iterator[Bundle | Quarantined]:
    """Stop and search: ``Type, Date, Part of a policing operation, …, Removal of … outer clothing``."""
    return _read(path, ctx, SEARCH_COLUMNS, ("Date",), _search_row, "a data.police.uk stop and search CSV")

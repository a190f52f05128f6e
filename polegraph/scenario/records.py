"""What happened, before any system writes it down: one plain record per event.

The background and the planted network produce these; a layout (``files_*``) turns each into a
row of one force's export, giving it its reference and its spelling. Keeping the event apart from
its layout lets one incident be written by different systems in their own ways.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from polegraph.scenario.addresses import Address
from polegraph.scenario.forces import Site
from polegraph.scenario.identifiers import Vehicle
from polegraph.scenario.nominal import Named
from polegraph.scenario.population import Human


@dataclass(frozen=True, slots=True)
class Planted:
    """Marks a record as part of the planted network; ``text_id`` names a planted intelligence text."""

    text_id: str = ""
    queries: tuple[str, ...] = ()  # what an investigator would type to find this record
    about: tuple[str, ...] = ()  # person ids the text refers to (in its words, not only its columns)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A crime or occurrence."""

    crime_type: str
    offence_code: str
    reported: dt.datetime
    committed_from: dt.datetime
    committed_to: dt.datetime | None
    status: str
    outcome: str
    scene: Address | None
    scene_description: str
    mo: str
    nominals: tuple[Named, ...]
    flags: tuple[str, ...] = ()
    vehicles: tuple[tuple[Vehicle, str], ...] = ()  # (vehicle, role as written)
    phones: tuple[tuple[str, str], ...] = ()  # (E.164, role as written)
    planted: Planted | None = None


@dataclass(frozen=True, slots=True)
class Grading:
    """A 3x5x2 grading (or a legacy 5x5x5 one) with its handling conditions."""

    scheme: str
    source: str
    intelligence: str
    handling: str
    conditions: str = ""


@dataclass(frozen=True, slots=True)
class IntelReport:
    """An intelligence report: graded, classified, sanitised text, subjects."""

    recorded: dt.datetime
    occurred: dt.datetime | None
    officer: str
    source_type: str
    grading: Grading
    classification: str
    text: str
    subjects: tuple[Named, ...] = ()
    phones: tuple[str, ...] = ()  # E.164 numbers in the phones column
    vrms: tuple[str, ...] = ()
    location: Address | None = None
    about: tuple[Human, ...] = ()  # everyone the text refers to
    planted: Planted | None = None


@dataclass(frozen=True, slots=True)
class Detention:
    """A custody record: arrest, detention, offences, devices seized."""

    detained: Named
    arrested_at: dt.datetime
    arrest_place: Address
    booked_in: dt.datetime
    released: dt.datetime | None
    suite: str
    offences: tuple[str, ...]
    devices: tuple[str, ...]  # IMEIs seized
    disposal: str
    planted: Planted | None = None


@dataclass(frozen=True, slots=True)
class Episode:
    """A missing-person episode: last seen, risk, where found."""

    missing: Named
    episode: int
    reported: dt.datetime
    last_seen_at: dt.datetime
    last_seen_place: str
    missing_from: str  # Home, Care placement...
    missing_from_address: Address
    risk_level: str
    risk_factors: tuple[str, ...]
    looked_after: bool
    found_at: dt.datetime | None
    found_place: Address | str | None
    planted: Planted | None = None
    found_with: Named | None = None  # the adult the child was found with


@dataclass(frozen=True, slots=True)
class AnprRead:
    """One camera read; ``read_as`` may be a misread of ``vrm``."""

    vrm: str
    read_as: str
    time: dt.datetime  # UTC
    site: Site
    direction: str
    lane: int
    confidence: float
    keeper: Human | None = None
    hit_list: str = ""
    planted: Planted | None = None


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One event of a call data record: a voice call, an SMS or a data session on the target's line."""

    start: dt.datetime  # UTC
    kind: str  # MOC, MTC, SMS-MO, SMS-MT, DATA
    a_number: str
    b_number: str
    duration: int
    first_cell: Site
    last_cell: Site | None
    parties: tuple[Human, ...] = field(default=())
    planted: Planted | None = None


@dataclass(frozen=True, slots=True)
class StreetCrime:
    """A data.police.uk street-level crime (anonymised: a month and a snap point)."""

    crime_id: str  # empty for anti-social behaviour
    month: str
    latitude: float
    longitude: float
    location: str
    lsoa_code: str
    lsoa_name: str
    crime_type: str
    outcome: str

"""The forces of the scenario, their towns, custody suites, ANPR camera sites and cell sites.

Force codes, town names and postcode districts are real, so that postcodes parse and an analyst
recognises the geography (the planted network works along the M62 and M65 between Greater
Manchester, West Yorkshire and Lancashire). Streets, houses and premises are generated; camera and
cell sites are placed near each town's centre.
"""

from __future__ import annotations

from dataclasses import dataclass

from polegraph.scenario.rand import stream


@dataclass(frozen=True, slots=True)
class Town:
    """A town of a force: its postcode districts and centre."""

    name: str
    districts: tuple[str, ...]
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Force:
    """A police force: code (as the loaders' ``--force``), name, towns."""

    code: str
    name: str
    towns: tuple[Town, ...]

    @property
    def prefix(self) -> str:
        """The two letters a force's references start with."""
        return self.code[:2]


@dataclass(frozen=True, slots=True)
class Site:
    """An ANPR camera site or a cell site: id, name, where it is and which town it serves."""

    site_id: str
    name: str
    town: str
    latitude: float
    longitude: float
    azimuth: int = 0


FORCES: tuple[Force, ...] = (
    Force(
        "GMP",
        "Greater Manchester Police",
        (
            Town("Rochdale", ("OL11", "OL12", "OL16"), 53.6153, -2.1559),
            Town("Oldham", ("OL1", "OL4", "OL8", "OL9"), 53.5409, -2.1114),
            Town("Manchester", ("M8", "M13", "M14", "M16"), 53.4808, -2.2426),
            Town("Bolton", ("BL1", "BL2", "BL3"), 53.5785, -2.4299),
        ),
    ),
    Force(
        "WYP",
        "West Yorkshire Police",
        (
            Town("Bradford", ("BD3", "BD5", "BD7", "BD8"), 53.7960, -1.7594),
            Town("Leeds", ("LS8", "LS9", "LS11", "LS12"), 53.8008, -1.5491),
            Town("Huddersfield", ("HD1", "HD2", "HD5"), 53.6458, -1.7850),
            Town("Dewsbury", ("WF12", "WF13"), 53.6910, -1.6330),
        ),
    ),
    Force(
        "LAN",
        "Lancashire Constabulary",
        (
            Town("Blackburn", ("BB1", "BB2"), 53.7480, -2.4820),
            Town("Burnley", ("BB10", "BB11", "BB12"), 53.7893, -2.2405),
            Town("Preston", ("PR1", "PR2"), 53.7632, -2.7031),
            Town("Blackpool", ("FY1", "FY4"), 53.8175, -3.0357),
        ),
    ),
    Force(
        "MPS",
        "Metropolitan Police Service",
        (
            Town("Whitechapel", ("E1", "E3"), 51.5150, -0.0600),
            Town("East Ham", ("E6", "E7", "E13"), 51.5350, 0.0500),
            Town("Tottenham", ("N15", "N17"), 51.5880, -0.0720),
            Town("Peckham", ("SE5", "SE15"), 51.4740, -0.0700),
        ),
    ),
    Force(
        "WMP",
        "West Midlands Police",
        (
            Town("Birmingham", ("B8", "B10", "B11", "B12"), 52.4862, -1.8904),
            Town("Wolverhampton", ("WV1", "WV2", "WV10"), 52.5862, -2.1288),
            Town("Coventry", ("CV1", "CV2", "CV6"), 52.4068, -1.5197),
            Town("Walsall", ("WS1", "WS2"), 52.5860, -1.9829),
        ),
    ),
    Force(
        "SYP",
        "South Yorkshire Police",
        (
            Town("Rotherham", ("S60", "S61", "S65"), 53.4326, -1.3635),
            Town("Sheffield", ("S2", "S4", "S9"), 53.3811, -1.4701),
            Town("Doncaster", ("DN1", "DN4"), 53.5228, -1.1285),
            Town("Barnsley", ("S70", "S71"), 53.5526, -1.4797),
        ),
    ),
    Force(
        "MER",
        "Merseyside Police",
        (
            Town("Liverpool", ("L4", "L6", "L8"), 53.4084, -2.9916),
            Town("Birkenhead", ("CH41", "CH42"), 53.3934, -3.0148),
            Town("St Helens", ("WA9", "WA10"), 53.4539, -2.7375),
        ),
    ),
    Force(
        "NTP",
        "Northumbria Police",
        (
            Town("Newcastle", ("NE4", "NE6"), 54.9783, -1.6178),
            Town("Sunderland", ("SR1", "SR4"), 54.9069, -1.3838),
            Town("South Shields", ("NE33", "NE34"), 54.9986, -1.4323),
        ),
    ),
    Force(
        "TVP",
        "Thames Valley Police",
        (
            Town("Oxford", ("OX1", "OX4"), 51.7520, -1.2577),
            Town("Reading", ("RG1", "RG30"), 51.4543, -0.9781),
            Town("Slough", ("SL1", "SL2"), 51.5105, -0.5950),
        ),
    ),
    Force(
        "ASP",
        "Avon and Somerset Police",
        (
            Town("Bristol", ("BS2", "BS5", "BS13"), 51.4545, -2.5879),
            Town("Bath", ("BA1", "BA2"), 51.3811, -2.3590),
            Town("Weston-super-Mare", ("BS23",), 51.3460, -2.9770),
        ),
    ),
)

# Roads a camera watches, named the way site lists name them.
_CAMERA_ROADS = (
    "A{n} {town} Road j/w Station Road",
    "A{n} inbound nr retail park",
    "A{n} Ring Road j/w Market Street",
    "A{n} outbound nr {town} Interchange",
)
# Motorway cameras on the route the planted network drives between its towns.
MOTORWAY_SITES: tuple[tuple[str, str, float, float], ...] = (
    ("M62-J20-EB", "M62 J20 eastbound (Rochdale)", 53.6092, -2.1256),
    ("M62-J22-EB", "M62 J22 eastbound (Saddleworth Moor)", 53.6317, -1.9766),
    ("M62-J24-EB", "M62 J24 eastbound (Ainley Top)", 53.6723, -1.8365),
    ("M606-J1-NB", "M606 northbound (Bradford)", 53.7600, -1.7423),
    ("M65-J6-WB", "M65 J6 westbound (Blackburn)", 53.7676, -2.4282),
)


def select_forces(count: int) -> tuple[Force, ...]:
    """The first ``count`` forces of the catalogue (the network needs the first three together)."""
    if not 1 <= count <= len(FORCES):
        raise ValueError(f"the scenario has 1 to {len(FORCES)} forces, not {count}")
    return FORCES[:count]


def camera_sites(seed: int, force: Force) -> tuple[Site, ...]:
    """Three ANPR cameras per town, plus the force's motorway cameras on the network's route."""
    rng = stream(seed, "cameras", force.code)
    sites: list[Site] = []
    for town in force.towns:
        for n in range(1, 4):
            road = rng.choice(_CAMERA_ROADS).format(n=rng.randrange(56, 681), town=town.name)
            site_id = f"{force.code}-{town.name[:4].upper().replace(' ', '')}-{n:02d}"
            lat = round(town.latitude + rng.uniform(-0.02, 0.02), 5)
            lon = round(town.longitude + rng.uniform(-0.03, 0.03), 5)
            sites.append(Site(site_id, road, town.name, lat, lon))
    return tuple(sites) + motorway_sites(force)


def motorway_sites(force: Force) -> tuple[Site, ...]:
    """The motorway cameras a force runs (by where they are, not by seed: the convoy needs them)."""
    owner = {"M62-J20-EB": "GMP", "M62-J22-EB": "GMP", "M62-J24-EB": "WYP", "M606-J1-NB": "WYP"}
    return tuple(
        Site(site_id, name, "", lat, lon)
        for site_id, name, lat, lon in MOTORWAY_SITES
        if owner.get(site_id, "LAN") == force.code
    )


def cell_sites(seed: int, force: Force) -> tuple[Site, ...]:
    """Three-sector cell sites, two masts per town, as an operator's cell-site list has them."""
    rng = stream(seed, "cells", force.code)
    cells: list[Site] = []
    for t, town in enumerate(force.towns):
        lac = 1000 + 100 * FORCES.index(force) + t
        for mast in range(2):
            lat = round(town.latitude + rng.uniform(-0.015, 0.015), 5)
            lon = round(town.longitude + rng.uniform(-0.02, 0.02), 5)
            name = f"{town.name.upper()} {rng.choice(('MILL', 'HOUSE', 'ROOF', 'TOWER', 'DEPOT'))} {mast + 1}"
            for sector, azimuth in enumerate((0, 120, 240), 1):
                cell_id = f"234-15-{lac}-{30000 + mast * 10 + sector}"
                cells.append(Site(cell_id, name, town.name, lat, lon, azimuth))
    return tuple(cells)

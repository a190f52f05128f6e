"""``generate``: write a whole synthetic scenario, its ground truth, manifest and load script.

Files are written one after another, record by record: memory holds the network (a few hundred
records), the watched people's hits and small caches, never a file. The same seed and sizes give
byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, TypeVar

from polegraph.errors import PolegraphError
from polegraph.scenario import background, background_intel
from polegraph.scenario.crime_layouts import LAYOUTS as CRIME_LAYOUTS
from polegraph.scenario.crime_layouts import SYSTEMS as CRIME_SYSTEMS
from polegraph.scenario.files_anpr import AnprExport, StreetExport
from polegraph.scenario.files_cdr import CdrExport, write_cell_sites
from polegraph.scenario.files_crime import CrimeExport
from polegraph.scenario.files_custody import CustodyExport, MissingExport
from polegraph.scenario.files_intel import LAYOUTS as INTEL_LAYOUTS
from polegraph.scenario.files_intel import IntelExport
from polegraph.scenario.files_ufdr import UfdrExport
from polegraph.scenario.forces import camera_sites, cell_sites, select_forces
from polegraph.scenario.identifiers import Identifiers
from polegraph.scenario.manifest import LOAD_SCRIPT, MANIFEST, FileEntry, ScenarioManifest
from polegraph.scenario.network import Network, build_network
from polegraph.scenario.network_comms import call_data, extractions
from polegraph.scenario.network_events import NetworkRecords, network_records
from polegraph.scenario.network_intel import planted_intel
from polegraph.scenario.output import FileStats
from polegraph.scenario.plan import force_plan, interleave, planned_background
from polegraph.scenario.population import Population
from polegraph.scenario.queries import (
    identifier_queries,
    name_queries,
    watched_identifiers,
    watched_population,
)
from polegraph.scenario.rand import stream
from polegraph.scenario.truth import Ledger
from polegraph.scenario.truth_files import ground_truth, write_humans

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)
# Labels of each kind of file at load time (the intel rows carry their own, overriding these).
SENSITIVE = "OFFICIAL-SENSITIVE"
LABELS: dict[str, dict[str, Any]] = {
    "crime": {"classification": "OFFICIAL"},
    "intel": {"classification": SENSITIVE, "handling_code": "P"},
    "custody": {"classification": SENSITIVE},
    "missing": {"classification": SENSITIVE},
    "anpr": {"classification": SENSITIVE},
    "police-uk-street": {"classification": "OFFICIAL"},
    "cdr": {
        "classification": SENSITIVE,
        "handling_code": "C",
        "handling_conditions": "Communications data: not to be disclosed outside the investigation team",
    },
    "ufdr": {
        "classification": SENSITIVE,
        "handling_code": "C",
        "handling_conditions": "Digital forensic material: investigation team only",
    },
}
_PROGRESS_EVERY = 500


# Told of each batch of records written: the file, how many more records, the planned total.
Progress = Callable[[str, int, int], None]


class _Run:
    """The state of one generation: where files go, the ledger, the manifest entries so far."""

    def __init__(self, out: Path, seed: int, ledger: Ledger, total: int, progress: Progress | None) -> None:
        self.out, self.seed, self.ledger, self.total, self.progress = out, seed, ledger, total, progress
        self.entries: list[FileEntry] = []

    def stream_into(
        self,
        relpath: str,
        items: Iterator[T],
        write: Callable[[T], None],
        bad: Callable[[], None],
        bad_after: int = 5,
    ) -> None:
        """Write every item, planting the bad records after the first ``bad_after``."""
        pending = 0
        for n, item in enumerate(items):
            if n == bad_after:
                bad()
            write(item)
            pending += 1
            if pending == _PROGRESS_EVERY and self.progress:
                self.progress(relpath, pending, self.total)
                pending = 0
        if self.progress and pending:
            self.progress(relpath, pending, self.total)

    def done(self, relpath: str, fmt: str, force: str, system: str, stats: FileStats, **options: str) -> None:
        path = self.out / relpath
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        self.entries.append(
            FileEntry(
                path=relpath,
                format=fmt,
                force=force,
                system=system,
                **LABELS[fmt],
                options=options,
                records=stats.records,
                expected_read=stats.expected_read,
                expected_quarantined=len(stats.quarantined),
                quarantined=tuple(stats.quarantined),
                sha256=digest,
            )
        )


def _prepare(out: Path) -> None:
    """An empty folder, or one holding an earlier scenario (replaced); never someone's other files."""
    if out.exists() and any(out.iterdir()):
        if not (out / MANIFEST).is_file():
            raise PolegraphError(
                f"{out} is not empty and holds no scenario", hint="choose a new or empty folder"
            )
        for child in out.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    out.mkdir(parents=True, exist_ok=True)


class _Export(Protocol[T_contra]):
    """A writer of one file in a real format (crime, custody, missing, intelligence, ANPR, open data)."""

    def write(self, item: T_contra, /) -> None: ...

    def write_bad(self, rng: random.Random, /) -> None: ...

    def close(self) -> FileStats: ...


def _export(
    run: _Run,
    relpath: str,
    items: Iterator[T],
    export: _Export[T],
    rng: random.Random,
    fmt: str,
    force: str,
    system: str,
) -> None:
    """Stream ``items`` into one export (with its planted bad records) and add it to the manifest."""
    run.stream_into(relpath, items, export.write, lambda: export.write_bad(rng))
    run.done(relpath, fmt, force, system, export.close())


def _force_files(run: _Run, pop: Population, net: NetworkRecords, force_index: int) -> None:
    """Every file of one force: crime, custody, missing, intelligence, ANPR, open data."""
    force = pop.forces[force_index]
    code, seed, ledger = force.code, run.seed, run.ledger
    counts = force_plan(pop.local_count(force_index)).counts
    rng = stream(seed, "force-files", code)
    layout = CRIME_LAYOUTS[force_index % len(CRIME_LAYOUTS)]
    crime = CrimeExport(run.out, seed, force, layout, ledger)
    occurrences = background.occurrences(pop, force_index, counts["crime"])
    planted = interleave(occurrences, net.crime.get(code, []), counts["crime"], rng)
    _export(run, crime.export.relpath, planted, crime, rng, "crime", code, CRIME_SYSTEMS[layout])
    custody = CustodyExport(run.out, seed, force, force_index % 2, ledger)
    detentions = background.detentions(pop, force_index, counts["custody"])
    planted_d = interleave(detentions, net.custody.get(code, []), counts["custody"], rng)
    _export(run, custody.csv.relpath, planted_d, custody, rng, "custody", code, "CUSTODY")
    missing = MissingExport(run.out, seed, force, ledger)
    episodes = background_intel.episodes(pop, force_index, counts["missing"])
    planted_e = interleave(episodes, net.missing.get(code, []), counts["missing"], rng)
    _export(run, missing.csv.relpath, planted_e, missing, rng, "missing", code, "MISSING")
    intel = IntelExport(run.out, seed, force, INTEL_LAYOUTS[force_index % 2], ledger)
    reports = background_intel.intel_reports(pop, force_index, counts["intel"])
    planted_r = interleave(reports, net.intel.get(code, []), counts["intel"], rng)
    _export(run, intel.csv.relpath, planted_r, intel, rng, "intel", code, "INTEL")
    anpr = AnprExport(run.out, seed, force, ledger)
    reads = background_intel.anpr_reads(pop, pop.ids, force_index, counts["anpr"], camera_sites(seed, force))
    planted_a = interleave(reads, net.anpr.get(code, []), counts["anpr"], rng)
    _export(run, anpr.csv.relpath, planted_a, anpr, rng, "anpr", code, "ANPR")
    street = StreetExport(run.out, force, ledger)
    crimes = background.street_crimes(pop, force_index, counts["police-uk-street"])
    _export(run, street.csv.relpath, crimes, street, rng, "police-uk-street", code, "POLICE_UK")


def _comms_files(run: _Run, pop: Population, network: Network) -> None:
    """Call data on two network phones (with cell-site lists) and the two seized handsets."""
    f0, f1 = network.forces[0], network.forces[1]
    home = [s for s in cell_sites(run.seed, f0) if s.town == network.towns[0].name]
    away = [s for s in cell_sites(run.seed, f1) if s.town == network.towns[1].name] if f1 is not f0 else []
    for n, target in enumerate(call_data(network, pop, run.seed, (home, away))):
        operator = "operator_a" if target.layout == "A" else "operator_b"
        cells = f"{f0.code}/cdr/cell_sites_{operator}.csv"
        write_cell_sites(run.out, cells, home + away)
        relpath = f"{f0.code}/cdr/{operator}_{target.target[1:]}.csv"
        cdr = CdrExport(
            run.out, relpath, f0.code, target.layout, target.target, target.imsi, target.imei, run.ledger
        )
        run.stream_into(relpath, iter(target.events), cdr.write, cdr.write_bad, bad_after=3 + n)
        run.done(relpath, "cdr", f0.code, "CDR", cdr.close(), cell_sites=cells)
    for extraction in extractions(network, pop, run.seed):
        force = extraction.owner.force
        relpath = f"{force}/ufdr/{extraction.label}_handset.ufdr"
        stats = UfdrExport(run.out, run.seed, relpath, force, run.ledger).write(extraction)
        if run.progress:
            run.progress(relpath, stats.records, run.total)
        run.done(relpath, "ufdr", force, "UFDR", stats)


def generate(
    out_dir: Path, *, forces: int, people: int, seed: int, progress: Progress | None = None
) -> ScenarioManifest:
    """Write a scenario of ``people`` people in the first ``forces`` forces into ``out_dir``."""
    chosen = select_forces(forces)
    _prepare(out_dir)
    ids = Identifiers(seed, people)
    pop = Population(seed, chosen, people, ids)
    net = build_network(seed, chosen, ids)
    records = network_records(net, seed)
    planted_intel(net, records, stream(seed, "network-intel"))
    watched = [*net.members, *watched_population(pop)]
    namesakes = write_humans(out_dir / "truth" / "humans.jsonl", pop, net)
    strangers = [pop.human(int(pid[1:])) for names in namesakes.values() for pid in names[:10]]
    watched_ids = {h.person_id for h in watched + strangers}
    ledger = Ledger(out_dir / "truth" / "records.jsonl", watched_ids, watched_identifiers(watched, net))
    total = planned_background(forces, people) + sum(
        len(x)
        for group in (records.crime, records.intel, records.custody, records.missing, records.anpr)
        for x in group.values()
    )
    run = _Run(out_dir, seed, ledger, total, progress)
    for force_index in range(len(chosen)):
        _force_files(run, pop, records, force_index)
    _comms_files(run, pop, net)
    ledger.close()
    rng = stream(seed, "queries")
    truth = ground_truth(
        seed,
        chosen,
        people,
        net,
        records,
        ledger,
        namesakes,
        name_queries(watched + strangers, ledger, namesakes, rng),
        identifier_queries(ledger, rng),
    )
    (out_dir / "ground_truth.json").write_text(
        json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    order = {fmt: i for i, fmt in enumerate(LABELS)}
    files = tuple(sorted(run.entries, key=lambda e: (order[e.format], e.force, e.path)))
    manifest = ScenarioManifest(
        seed,
        tuple(f.code for f in chosen),
        people,
        files,
        {
            "ground_truth": "ground_truth.json",
            "records": "truth/records.jsonl",
            "humans": "truth/humans.jsonl",
        },
    )
    (out_dir / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    script = out_dir / LOAD_SCRIPT
    script.write_text(manifest.load_script(), encoding="utf-8")
    script.chmod(0o755)
    return manifest

"""Every generated file is read by its own loader exactly as the manifest says."""

from __future__ import annotations

import json

from polegraph.loadplan import read_plan
from polegraph.scenario import ScenarioManifest
from tests.scenario.conftest import FORCES, Scenario

FORMATS = {"crime", "intel", "custody", "missing", "anpr", "police-uk-street", "cdr", "ufdr"}


def test_every_system_of_every_force_has_a_file(scenario: Scenario) -> None:
    files = scenario.manifest.files
    per_force = {f.force for f in files if f.format == "crime"}
    assert len(per_force) == FORCES
    assert {f.format for f in files} == FORMATS
    for force in per_force:
        assert {f.format for f in files if f.force == force} >= FORMATS - {"cdr", "ufdr"}
    assert {f.system for f in files if f.format == "crime"} == {"NICHE", "ATHENA", "CONNECT"}


def test_each_loader_reads_exactly_what_the_manifest_expects(scenario: Scenario) -> None:
    wrong = []
    for entry in scenario.manifest.files:
        parsed = scenario.parsed[entry.path]
        expected_lines = sorted(q["line"] for q in entry.quarantined)
        if parsed.read != entry.expected_read or sorted(parsed.quarantined_lines) != expected_lines:
            wrong.append(
                f"{entry.path}: read {parsed.read} quarantined at {sorted(parsed.quarantined_lines)}"
            )
        if parsed.problems:
            wrong.append(f"{entry.path}: {parsed.problems[0]}")
    assert not wrong


def test_every_file_plants_bad_records_and_nothing_else_is_quarantined(scenario: Scenario) -> None:
    for entry in scenario.manifest.files:
        assert entry.expected_quarantined >= 1, entry.path
        assert entry.expected_quarantined == len(entry.quarantined)
        assert entry.expected_loaded == entry.expected_read - entry.expected_quarantined
        assert len(scenario.parsed[entry.path].source_keys) >= entry.records - entry.expected_quarantined - 1


def test_manifest_reads_back_and_names_each_file_with_its_digest(scenario: Scenario) -> None:
    again = ScenarioManifest.load(scenario.root)
    assert again == scenario.manifest
    body = json.loads((scenario.root / "manifest.json").read_text(encoding="utf-8"))
    assert body["records"] == scenario.manifest.records == sum(body["records_by_format"].values())
    for entry in again.files:
        assert (scenario.root / entry.path).is_file()
        assert len(entry.sha256) == 64


def test_the_manifest_is_a_load_plan(scenario: Scenario) -> None:
    plan = read_plan(scenario.root)
    assert [p.path for p in plan] == [scenario.root / f.path for f in scenario.manifest.files]
    for planned, entry in zip(plan, scenario.manifest.files, strict=True):
        assert (planned.format, planned.force, planned.system) == (entry.format, entry.force, entry.system)
        assert (planned.classification, planned.handling_code) == (entry.classification, entry.handling_code)
        if entry.format == "cdr":
            assert planned.options.cell_sites == scenario.root / entry.options["cell_sites"]
            assert planned.options.cell_sites.is_file()


def test_load_script_loads_every_file_in_manifest_order(scenario: Scenario) -> None:
    script = (scenario.root / "load.sh").read_text(encoding="utf-8")
    commands = [line for line in script.splitlines() if line.startswith('"$POLEGRAPH" load ')]
    assert len(commands) == len(scenario.manifest.files)
    for line, entry in zip(commands, scenario.manifest.files, strict=True):
        assert f"load {entry.format} {entry.path} --force {entry.force} --system {entry.system}" in line
    cdr = [line for line in commands if " load cdr " in line]
    assert cdr
    assert all("--cell-sites" in line and "--handling-code C" in line for line in cdr)
    assert (scenario.root / "load.sh").stat().st_mode & 0o111

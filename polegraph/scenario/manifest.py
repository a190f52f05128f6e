"""The scenario's manifest (``manifest.json``) and its load script (``load.sh``).

Each file entry says how to load the file (format, force, system, classification and handling,
loader options such as the CDR cell-site list) and what the loader must make of it: the items it
will yield (``expected_read``: bundles and quarantined records) and which lines it must
quarantine, so that a test can check ``read == loaded + quarantined`` exactly.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
LOAD_SCRIPT = "load.sh"


@dataclass(frozen=True)
class FileEntry:
    """One generated file and how to load it."""

    path: str  # relative to the scenario folder
    format: str
    force: str
    system: str
    classification: str = "OFFICIAL"
    caveat: str | None = None
    handling_code: str | None = None
    handling_conditions: str | None = None
    options: dict[str, str] = field(default_factory=dict)  # cell_sites: a path relative to the folder
    records: int = 0  # source records written
    expected_read: int = 0  # items the loader yields: bundles and quarantined records
    expected_quarantined: int = 0
    quarantined: tuple[dict[str, Any], ...] = ()  # {line, reason} of each record meant for quarantine
    sha256: str = ""

    @property
    def expected_loaded(self) -> int:
        return self.expected_read - self.expected_quarantined

    def load_command(self) -> list[str]:
        """The ``polegraph load`` arguments for this file."""
        args = [
            "load",
            self.format,
            self.path,
            "--force",
            self.force,
            "--system",
            self.system,
            "--classification",
            self.classification,
        ]
        for option, value in (
            ("--caveat", self.caveat),
            ("--handling-code", self.handling_code),
            ("--handling-conditions", self.handling_conditions),
            ("--cell-sites", self.options.get("cell_sites")),
        ):
            if value:
                args += [option, value]
        return args


@dataclass(frozen=True)
class ScenarioManifest:
    """What ``generate`` wrote: the files in load order, with the scenario's parameters."""

    seed: int
    forces: tuple[str, ...]
    people: int
    files: tuple[FileEntry, ...]
    truth: dict[str, str]

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    def records_by_format(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for f in self.files:
            counts[f.format] = counts.get(f.format, 0) + f.records
        return counts

    def to_json(self) -> str:
        body = asdict(self)
        body["records"] = self.records
        body["records_by_format"] = self.records_by_format()
        return json.dumps(body, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def load(cls, folder: Path) -> ScenarioManifest:
        """Read ``manifest.json`` of a generated scenario."""
        body = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = tuple(FileEntry(**{**f, "quarantined": tuple(f["quarantined"])}) for f in body["files"])
        return cls(body["seed"], tuple(body["forces"]), body["people"], files, body["truth"])

    def load_script(self) -> str:
        """``load.sh``: every ``polegraph load`` command, in order, run from the scenario folder."""
        lines = [
            "#!/usr/bin/env bash",
            f"# Loads the synthetic scenario (seed {self.seed}, forces {' '.join(self.forces)}, "
            f"{self.people} people):",
            f"# {len(self.files)} files, {self.records} records. Written by `polegraph demo generate`.",
            "# Set POLEGRAPH to the command to use (default: polegraph on PATH). `polegraph load-plan` on",
            "# this folder does the same from manifest.json.",
            "set -euo pipefail",
            'cd "$(dirname "${BASH_SOURCE[0]}")"',
            "POLEGRAPH=${POLEGRAPH:-polegraph}",
        ]
        for entry in self.files:
            lines.append('"$POLEGRAPH" ' + " ".join(shlex.quote(a) for a in entry.load_command()))
        return "\n".join(lines) + "\n"

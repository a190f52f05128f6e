"""The synthetic scenario: forces' exports of one invented population, with a planted network.

No real force export can be shipped, so the demo, the benchmarks and the quality measures run on
files generated here: crime, intelligence, custody, missing-person, ANPR and open-data files per
force, call data and phone extractions, in the layouts the loaders read, with the same people
recorded differently across forces and systems, and an exploitation network hidden among them.
``generate`` writes the files with their ground truth (``ground_truth.json``, ``truth/*.jsonl``),
a manifest and ``load.sh``. See ``polegraph demo generate --help``.
"""

from polegraph.scenario.generate import generate
from polegraph.scenario.manifest import FileEntry, ScenarioManifest

__all__ = ["FileEntry", "ScenarioManifest", "generate"]

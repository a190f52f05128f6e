"""A small scenario generated once per session, and what its loaders make of every file."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from polegraph.loaders.base import LoaderOptions, get_loader
from polegraph.loaders.check import bundle_problems
from polegraph.loaders.records import LoadContext, Quarantined
from polegraph.scenario import ScenarioManifest, generate
from polegraph.scenario.manifest import FileEntry

FORCES, PEOPLE, SEED = 3, 900, 2024


@dataclass
class Parsed:
    """Everything the loaders yielded for one file, reduced to what the tests check."""

    read: int = 0
    quarantined_lines: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    source_keys: set[str] = field(default_factory=set)
    nodes: dict[str, dict[str, object]] = field(default_factory=dict)  # uid -> props
    edges: list[tuple[str, str, str, dict[str, object]]] = field(
        default_factory=list
    )  # (type, start, end, props)


def options_for(root: Path, entry: FileEntry) -> LoaderOptions:
    """The loader options a manifest entry names (paths made absolute)."""
    cells = entry.options.get("cell_sites")
    return LoaderOptions(cell_sites=root / cells if cells else None)


def parse(root: Path, entry: FileEntry) -> Parsed:
    """Run the registered loader of ``entry`` over its file, as ``polegraph load`` would."""
    ctx = LoadContext(force=entry.force, system=entry.system, load_id="test", source_file=entry.path)
    parsed = Parsed()
    for item in get_loader(entry.format).read(root / entry.path, ctx, options_for(root, entry)):
        parsed.read += 1
        if isinstance(item, Quarantined):
            parsed.quarantined_lines.append(item.line)
            continue
        parsed.problems += bundle_problems(item)
        parsed.source_keys.add(item.source.key)
        for node in item.nodes:
            parsed.nodes.setdefault(node.uid, {"label": node.label}).update(node.props)
        parsed.edges += [(e.type, e.start_uid, e.end_uid, e.props) for e in item.edges]
    return parsed


@dataclass
class Scenario:
    """A generated scenario and its parsed files."""

    root: Path
    manifest: ScenarioManifest
    parsed: dict[str, Parsed]

    def all_nodes(self) -> dict[str, dict[str, object]]:
        nodes: dict[str, dict[str, object]] = {}
        for parsed in self.parsed.values():
            for uid, props in parsed.nodes.items():
                nodes.setdefault(uid, {}).update(props)
        return nodes

    def forces_by_node(self) -> dict[str, set[str]]:
        """Each node uid and the forces whose files assert it."""
        forces: dict[str, set[str]] = defaultdict(set)
        for entry in self.manifest.files:
            for uid in self.parsed[entry.path].nodes:
                forces[uid].add(entry.force)
        return forces


@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    root = tmp_path_factory.mktemp("scenario")
    manifest = generate(root, forces=FORCES, people=PEOPLE, seed=SEED)
    return Scenario(root, manifest, {entry.path: parse(root, entry) for entry in manifest.files})

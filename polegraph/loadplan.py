"""A load plan: many files, each with its format, force and labels, loaded in order.

A force bringing a dozen exports, or ``polegraph demo generate``, writes ``manifest.json``::

    {"files": [{"path": "gmp/crime.csv", "format": "crime", "force": "GMP", "system": "NICHE",
                "classification": "OFFICIAL", "handling_code": null, "handling_conditions": null,
                "caveat": null, "options": {"cell_sites": "gmp/cells.csv", "timezone": "UTC"}}, …]}

Paths are relative to the manifest's folder; ``options`` holds ``mapping`` and ``cell_sites``
(paths) and any loader option (``--option`` on the command line). Each file is an ordinary
journalled load, so re-running a plan loads only what is new or was interrupted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from neo4j import Driver

from polegraph.config import Settings
from polegraph.errors import PolegraphError
from polegraph.ingest import LoadSummary, load_file
from polegraph.loaders.base import LoaderOptions

_PATH_OPTIONS = ("mapping", "cell_sites")


@dataclass(frozen=True)
class PlannedFile:
    """One entry of a plan, paths resolved."""

    path: Path
    format: str
    force: str
    system: str | None
    classification: str
    caveat: str | None
    handling_code: str | None
    handling_conditions: str | None
    options: LoaderOptions


def read_plan(location: Path) -> list[PlannedFile]:
    """The entries of ``location`` (a manifest.json, or a folder holding one), checked."""
    manifest = location / "manifest.json" if location.is_dir() else location
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PolegraphError(f"cannot read the load plan {manifest}: {exc}") from exc
    entries = data.get("files") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise PolegraphError(f"{manifest}: a load plan is an object with a list under 'files'")
    return [_entry(manifest, i, e) for i, e in enumerate(entries)]


def _entry(manifest: Path, index: int, entry: Any) -> PlannedFile:
    where = f"{manifest}: files[{index}]"
    if not isinstance(entry, dict):
        raise PolegraphError(f"{where} is not an object")
    for key in ("path", "format", "force"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise PolegraphError(f"{where} lacks '{key}'")
    base = manifest.parent
    options = {str(k): str(v) for k, v in (entry.get("options") or {}).items() if v is not None}
    paths = {k: base / options.pop(k) for k in _PATH_OPTIONS if k in options}
    loader_options = LoaderOptions(
        mapping=paths.get("mapping"), cell_sites=paths.get("cell_sites"), extra=options
    )
    return PlannedFile(
        path=base / entry["path"], format=entry["format"], force=entry["force"], system=entry.get("system"),
        classification=entry.get("classification") or "OFFICIAL", caveat=entry.get("caveat"),
        handling_code=entry.get("handling_code"), handling_conditions=entry.get("handling_conditions"),
        options=loader_options,
    )  # fmt: skip


def load_plan(
    settings: Settings,
    driver: Driver,
    es: Elasticsearch,
    plan: list[PlannedFile],
    *,
    batch_size: int | None = None,
    on_file: Callable[[PlannedFile], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[LoadSummary]:
    """Load every file of ``plan`` in order; returns one summary per file."""
    summaries = []
    for item in plan:
        if on_file:
            on_file(item)
        summaries.append(
            load_file(
                settings,
                driver,
                es,
                item.format,
                item.path,
                force=item.force,
                system=item.system,
                classification=item.classification,
                caveat=item.caveat,
                handling_code=item.handling_code,
                handling_conditions=item.handling_conditions,
                options=item.options,
                batch_size=batch_size,
                progress=progress,
            )
        )
    return summaries

"""Write (or check) the generated schema files: `python -m polegraph.schema.generate [--check]`.

The files under `polegraph/schema/generated/` are committed so that a reviewer sees what a YAML
change does to Neo4j and Elasticsearch; `--check` (run by the tests and CI) fails when they drift.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

from polegraph.schema.elasticsearch import AUDIT, ENTITIES, SOURCE_RECORDS, es_indices
from polegraph.schema.model import Ontology
from polegraph.schema.neo4j import neo4j_statements, render_cypher
from polegraph.schema.ontology import load_ontology

#: Where the generated files live in the source tree (shipped as package data).
GENERATED_DIR = Path(__file__).with_name("generated")


def render(ontology: Ontology) -> dict[str, str]:
    """The generated files' contents by file name."""
    indices = es_indices(ontology)
    return {
        "neo4j.cypher": render_cypher(neo4j_statements(ontology)),
        "es_entities.json": _json(indices[ENTITIES]),
        "es_source_records.json": _json(indices[SOURCE_RECORDS]),
        "es_audit.json": _json(indices[AUDIT]),
    }


def drift(ontology: Ontology, folder: Path = GENERATED_DIR) -> list[str]:
    """Unified diffs (committed -> expected) of the files that differ; empty when up to date."""
    diffs: list[str] = []
    for name, expected in render(ontology).items():
        path = folder / name
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != expected:
            lines = difflib.unified_diff(
                current.splitlines(keepends=True),
                expected.splitlines(keepends=True),
                fromfile=f"{name} (committed)",
                tofile=f"{name} (from the YAML)",
            )
            diffs.append("".join(lines))
    return diffs


def write(ontology: Ontology, folder: Path = GENERATED_DIR) -> list[Path]:
    """Write every generated file into `folder`; returns the paths that changed."""
    folder.mkdir(parents=True, exist_ok=True)
    changed: list[Path] = []
    for name, content in render(ontology).items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m polegraph.schema.generate", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 with a diff if files drift")
    parser.add_argument("--output", type=Path, default=GENERATED_DIR, help="folder to write/check")
    args = parser.parse_args(argv)
    ontology = load_ontology()
    if args.check:
        diffs = drift(ontology, args.output)
        for diff in diffs:
            sys.stdout.write(diff)
        if diffs:
            print(
                f"\n{len(diffs)} generated file(s) out of date: run python -m polegraph.schema.generate",
                file=sys.stderr,
            )
            return 1
        return 0
    for path in write(ontology, args.output):
        print(f"wrote {path}")
    return 0


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())

"""Fixtures for the ontology tests: a small valid ontology written to a temporary folder."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from polegraph.schema import Ontology, load_ontology

#: The smallest ontology that passes validation; tests break one thing at a time.
BASE_YAML = """\
entities:
  Thing:
    abstract: true
    properties:
      force: {type: string, required: true, searchable: true}
  Node:
    abstract: true
    label: true
    extends: [Thing]
    identity: source
    properties:
      uid: {type: string, required: true, searchable: true, indexed: true}
  Person:
    extends: [Node]
    properties:
      full_name: {type: name, searchable: true, matchable: true}
  Phone:
    extends: [Node]
    identity: value
    properties:
      e164: {type: phone, key: true, searchable: true}
"""

RELATIONSHIPS_YAML = """\
relationships:
  HAS_PHONE:
    from: [Person]
    to: [Phone]
    properties:
      usage: {type: enum, values: [HOME, WORK]}
"""

WriteOntology = Callable[..., Path]


@pytest.fixture(scope="session")
def ontology() -> Ontology:
    """The ontology shipped with polegraph."""
    return load_ontology()


@pytest.fixture
def write_ontology(tmp_path: Path) -> WriteOntology:
    """Write the small valid ontology plus `files` (stem=YAML, dedented) and return the folder.

    `base` and `relationships` replace the default files of those names; "" leaves one empty.
    """

    def write(**files: str) -> Path:
        folder = tmp_path / "ontology"
        folder.mkdir(exist_ok=True)
        for stem, text in {"base": BASE_YAML, "relationships": RELATIONSHIPS_YAML, **files}.items():
            (folder / f"{stem}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
        return folder

    return write

"""What loaders produce: plain data, no engine I/O. A writer sends it to Neo4j and Elasticsearch.

One source record (a row, a report, a call, a message) becomes one ``Bundle``: the raw record as
received, and the nodes and edges it asserts. The writer adds the security labels and provenance
of the load (force, classification, handling, source key, load id) to every node and edge, and
links each node to its ``SourceRecord``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class LoadContext:
    """Who sent a file and under which labels; the same for every record of one load."""

    force: str
    system: str
    load_id: str
    source_file: str
    classification: str = "OFFICIAL"
    caveat: str | None = None
    descriptors: tuple[str, ...] = ()
    handling_code: str | None = None
    handling_conditions: str | None = None

    def labels(self) -> dict[str, Any]:
        """The security labels as node/edge properties (None values left out)."""
        props: dict[str, Any] = {
            "force": self.force,
            "classification": self.classification,
            "caveat": self.caveat,
            "descriptors": list(self.descriptors) or None,
            "handling_code": self.handling_code,
            "handling_conditions": self.handling_conditions,
        }
        return {k: v for k, v in props.items() if v is not None}


@dataclass(frozen=True, slots=True)
class Node:
    """A node asserted by a source record. ``props`` hold normalised values; raw ones stay in the source."""

    label: str
    uid: str
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Edge:
    """An edge between two nodes (by label and uid). ``key`` makes re-loads idempotent."""

    type: str
    start_label: str
    start_uid: str
    end_label: str
    end_uid: str
    props: dict[str, Any] = field(default_factory=dict)
    discriminator: str = ""

    @property
    def key(self) -> str:
        return f"{self.type}|{self.start_uid}|{self.end_uid}|{self.discriminator}"


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """The record exactly as received (every field, known to the model or not)."""

    system: str
    force: str
    record_id: str
    line: int
    payload: dict[str, Any]

    @property
    def key(self) -> str:
        return f"src:{self.force}:{self.system}:{self.record_id}"

    @property
    def hash(self) -> str:
        blob = json.dumps(self.payload, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Bundle:
    """Everything one source record asserts.

    ``labels`` overrides the load's security labels for this record (an intelligence report
    graded SECRET in a file loaded as OFFICIAL): keys as in ``LoadContext.labels()``.
    """

    source: SourceRecord
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = ()
    labels: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record that could not be loaded, with where and why; it goes to the quarantine file."""

    file: str
    line: int
    field: str | None
    reason: str
    raw: str

    def describe(self) -> str:
        where = f"{self.file}:{self.line}" + (f" field {self.field!r}" if self.field else "")
        return f"{where}: {self.reason}"


def value_uid(label: str, normalised: str) -> str:
    """The uid of an object or location, keyed by its normalised value so records meet on it."""
    return f"{label.lower()}:{normalised}"


def source_uid(label: str, source: SourceRecord, part: str = "") -> str:
    """The uid of a person or event, keyed by the source record that asserted it."""
    suffix = f":{part}" if part else ""
    return f"{label.lower()}:{source.force}:{source.system}:{source.record_id}{suffix}"

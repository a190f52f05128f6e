"""The ground truth: for every generated record, the real humans behind it and what was written.

``truth/records.jsonl`` gets one line per source record as it is written (constant memory): its
file, line, source key (``src:<force>:<system>:<record id>``, as the loaders key it), whether it is
meant to be quarantined, and each human it names, with the uid of the Person node the loader makes
for them and the distortions applied. Two Person uids with one ``person_id`` are the same human:
``same_human_pairs`` reads the pairs back for a linker's evaluation.

For the query sets, the ledger also collects, while records stream past, every record naming a
*watched* person or identifier (a bounded set chosen before generation).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from polegraph.loaders.records import SourceRecord, source_uid
from polegraph.scenario.records import Planted


def source_key(force: str, system: str, record_id: str) -> str:
    """The key the loaders give a source record (``SourceRecord.key``)."""
    return SourceRecord(system, force, record_id, 0, {}).key


def person_uid(force: str, system: str, record_id: str, part: str = "") -> str:
    """The uid of the Person node a loader makes for one nominal of a record (``source_uid``)."""
    return source_uid("Person", SourceRecord(system, force, record_id, 0, {}), part)


@dataclass(frozen=True, slots=True)
class Mention:
    """One human named by a record: who they really are, as which Person node, in which role."""

    person_id: str
    person_uid: str | None  # None where the loader makes no Person (a CDR party, an ANPR keeper)
    role: str
    distortions: tuple[str, ...] = ()
    identified: bool = True  # False: the record describes them without a name ("unknown male")


@dataclass
class PlantedHit:
    """A planted intelligence text and the record that carries it."""

    text_id: str
    source_key: str
    text: str
    queries: tuple[str, ...]
    about: tuple[str, ...]


class Ledger:
    """Writes ``truth/records.jsonl`` and collects the records of watched people and identifiers."""

    def __init__(self, path: Path, watched_people: set[str], watched_ids: set[tuple[str, str]]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._out: IO[str] = path.open("w", encoding="utf-8", newline="\n")
        self.watched_people, self.watched_ids = watched_people, watched_ids
        self.person_uids: dict[str, list[str]] = defaultdict(list)
        self.person_records: dict[str, list[str]] = defaultdict(list)
        self.id_records: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.planted: list[PlantedHit] = []
        self.records = 0

    def record(
        self,
        *,
        file: str,
        line: int,
        fmt: str,
        force: str,
        system: str,
        record_id: str,
        mentions: Iterable[Mention] = (),
        identifiers: Iterable[tuple[str, str]] = (),
        planted: Planted | None = None,
        quarantined: str = "",
        text: str = "",
        extra: dict[str, Any] | None = None,
    ) -> str:
        """Write one record's truth; returns its source key. ``quarantined`` is the reason, if meant to be."""
        key = "" if quarantined else source_key(force, system, record_id)
        mentions = list(mentions)
        ids = sorted(set(identifiers))
        entry: dict[str, Any] = {
            "file": file,
            "line": line,
            "format": fmt,
            "source_key": key or None,
            "record_id": record_id or None,
            "humans": [
                {
                    "person_id": m.person_id,
                    "person_uid": m.person_uid,
                    "role": m.role,
                    "distortions": list(m.distortions),
                    "identified": m.identified,
                }
                for m in mentions
            ],
            "identifiers": [list(i) for i in ids],
        }
        if planted is not None:
            entry["planted"] = planted.text_id or "network"
        if quarantined:
            entry["expected_quarantined"] = quarantined
        if extra:
            entry.update(extra)
        self._out.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.records += 1
        if quarantined:
            return key
        for m in mentions:
            if m.person_id in self.watched_people:
                self.person_records[m.person_id].append(key)
                if m.person_uid and m.identified:
                    self.person_uids[m.person_id].append(m.person_uid)
        for ident in ids:
            if ident in self.watched_ids:
                self.id_records[ident].append(key)
        if planted is not None and planted.text_id:
            self.planted.append(PlantedHit(planted.text_id, key, text, planted.queries, planted.about))
        return key

    def close(self) -> None:
        self._out.close()


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """The entries of a ``truth/records.jsonl``, streamed."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def same_human_pairs(path: Path) -> Iterator[tuple[str, str]]:
    """Every pair of Person uids (sorted within the pair) that are one human, from ``records.jsonl``.

    Holds one list of uids per human, so memory grows with the mentions (fine for evaluation sizes).
    """
    by_human: dict[str, list[str]] = defaultdict(list)
    for entry in read_records(path):
        if entry.get("expected_quarantined"):
            continue
        for human in entry["humans"]:
            if human["person_uid"] and human["identified"]:
                by_human[human["person_id"]].append(human["person_uid"])
    for uids in by_human.values():
        unique = sorted(set(uids))
        for i, a in enumerate(unique):
            for b in unique[i + 1 :]:
                yield a, b

"""Call records written as operator CSV and loaded through the ``cdr`` loader, for the analyses."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polegraph.graph.writer import write_bundles
from polegraph.loaders.base import LoaderOptions, get_loader
from polegraph.loaders.records import Bundle, LoadContext
from polegraph.security.policy import Principal
from tests.conftest import Engines

HEADER = ["Target MSISDN", "A Number", "B Number", "Event Type", "Start Time", "Duration", "First Cell ID"]


@dataclass(frozen=True)
class CallRow:
    """One call or text of a test CDR; numbers in any format the loader reads."""

    a: str
    b: str
    at: dt.datetime
    seconds: int = 60
    kind: str = "MOC"
    target: str = ""  # the line the operator's data is for; it gives the direction
    cell: str = ""  # the target's cell


def write_cdr(path: Path, rows: Iterable[CallRow]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for row in rows:
            writer.writerow([row.target, row.a, row.b, row.kind, row.at.isoformat(), row.seconds, row.cell])
    return path


def load_to_graph(
    engines: Engines,
    fmt: str,
    path: Path,
    force: str,
    *,
    options: LoaderOptions | None = None,
    batch: int = 2000,
    **labels: Any,
) -> int:
    """Parse ``path`` with the loader of ``fmt`` and write its bundles to Neo4j; the records written.

    The analyses read Neo4j only, so the search index is left out: writing it would only slow the
    tests down. Quarantined rows are counted out, as ``polegraph load`` does.
    """
    ctx = LoadContext(
        force=force,
        system=get_loader(fmt).system,
        load_id=f"test:{path.name}",
        source_file=path.name,
        **labels,
    )
    bundles = [
        b for b in get_loader(fmt).read(path, ctx, options or LoaderOptions()) if isinstance(b, Bundle)
    ]
    for start in range(0, len(bundles), batch):
        write_bundles(engines.driver, engines.settings.neo4j_database, bundles[start : start + batch], ctx)
    return len(bundles)


def analyst(force: str, *, readable: Iterable[str] = (), clearance: str = "OFFICIAL-SENSITIVE") -> Principal:
    return Principal(
        user=f"analyst.{force.lower()}", home_force=force, readable_forces=frozenset(readable),
        clearance=clearance, roles=frozenset({"analyst"}),
    )  # fmt: skip


def number(i: int, block: int = 900) -> str:
    """The i-th number of a block of Ofcom's drama range, as an operator writes it (447700900000 + i)."""
    return f"447700{block}{i:03d}"


def phone_uid(i: int, block: int = 900) -> str:
    return f"phone:+{number(i, block)}"


def matrix_calls(path: Path, start: dt.datetime, numbers: dict[str, str], block: int = 900) -> list[CallRow]:
    """One call per count of a square call-count matrix (row calls column), a minute apart.

    ``numbers`` is filled with each label's phone number in order of first appearance.
    """
    with path.open(encoding="utf-8-sig") as matrix:
        rows = list(csv.reader(matrix))
    labels = rows[0][1:]
    for label in labels:
        numbers.setdefault(label, number(len(numbers), block))
    calls: list[CallRow] = []
    for row in rows[1:]:
        for label, cell in zip(labels, row[1:], strict=True):
            for _ in range(int(float(cell or 0)) if label != row[0] else 0):
                calls.append(
                    CallRow(numbers[row[0]], numbers[label], start + dt.timedelta(minutes=len(calls)))
                )
    return calls

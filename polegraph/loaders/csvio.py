"""Reading police CSV exports as they really arrive.

Windows line endings, a UTF-8 byte-order mark, Windows-1252 bytes in a UTF-8 file, header names in
any case and spacing, missing and extra columns, empty files. Rows come back with the physical line
number where they start, so a quarantine entry can name the file and line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from polegraph.errors import PolegraphError

_HEADER_CLEAN = re.compile(r"[^a-z0-9]+")


class FormatError(PolegraphError):
    """The file is not of the format the loader reads (stops the load, with one clear message)."""


def header_key(name: str) -> str:
    """``"Crime ID"``, ``"crime_id"``, ``" CRIME-ID "`` → ``crime_id``."""
    return _HEADER_CLEAN.sub("_", name.strip().lower()).strip("_")


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One row: values by normalised header key, the raw cells, and where it came from."""

    line: int
    values: dict[str, str]
    raw: str
    extra: tuple[str, ...]  # cells beyond the header (kept in the source record)
    decoded_with_replacement: bool
    error: str | None = None  # the row could not be parsed at all (it goes to quarantine)


def _decode_line(raw: bytes) -> tuple[str, bool]:
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        # Exports from older systems mix Windows-1252 into UTF-8 files: keep the characters.
        return raw.decode("cp1252", errors="replace"), True


def _lines(path: Path) -> Iterator[tuple[str, bool]]:
    with path.open("rb") as handle:
        first = True
        for raw in handle:
            if first and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            first = False
            yield _decode_line(raw)


def sniff_binary(path: Path, what: str) -> None:
    """Refuse a ZIP, UFDR or other binary where text was expected, before reading it."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"PK\x03\x04"):
        raise FormatError(f"{path} is a ZIP archive (a UFDR?), not {what}", hint="choose the right format")
    if b"\x00" in head:
        raise FormatError(f"{path} is a binary file, not {what}")


def read_csv(path: Path, required: set[str] | None = None, what: str = "a CSV export") -> Iterator[CsvRow]:
    """Stream rows of ``path`` in constant memory; headers normalised with ``header_key``.

    ``required`` header keys missing from the header stop the load with a FormatError naming them.
    """
    if not path.is_file():
        raise FormatError(f"{path} does not exist or is not a file")
    sniff_binary(path, what)
    lines = _lines(path)
    line_no = 0
    header: list[str] | None = None
    pending = ""
    start_line = 0
    replaced = False
    for text, lossy in lines:
        line_no += 1
        if not pending:
            start_line = line_no
        pending += text
        replaced = replaced or lossy
        # A quoted cell may span lines: read on until the quotes balance.
        if pending.count('"') % 2 == 1:
            continue
        record = pending
        pending = ""
        if not record.strip():
            replaced = False
            continue
        try:
            cells = next(csv.reader(io.StringIO(record)))
        except csv.Error as exc:
            # A stray carriage return inside a cell, say: this row goes to quarantine, not the load.
            if header is None:
                raise FormatError(f"{path}:{start_line}: the header cannot be read ({exc})") from exc
            yield CsvRow(start_line, {}, record.rstrip("\r\n"), (), replaced, f"unreadable row: {exc}")
            replaced = False
            continue
        if header is None:
            header = [header_key(c) for c in cells]
            missing = (required or set()) - set(header)
            if missing:
                raise FormatError(
                    f"{path}: the header lacks the column(s) {', '.join(sorted(missing))}",
                    hint=f"the header read was: {', '.join(cells)}",
                )
            replaced = False
            continue
        values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        extra = tuple(cells[len(header) :])
        yield CsvRow(start_line, values, record.rstrip("\r\n"), extra, replaced)
        replaced = False
    if pending.strip():
        yield CsvRow(start_line, {}, pending.rstrip("\r\n"), (), replaced, "unterminated quoted cell")

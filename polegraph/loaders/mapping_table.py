"""A CSV file as a table: header names exactly as written, cells by position, physical line numbers.

The mapping loader needs what ``csvio.read_csv`` folds away. neo4j-admin headers hold ``:ID`` and
``id`` as two columns that ``header_key`` makes one, and a force engineer writes ``latitude:double``
in a mapping because that is what the file says. Reading is as tolerant as ``read_csv`` (BOM,
Windows line endings, Windows-1252 bytes, quoted cells over several lines, blank lines) and one
broken record never stops the file: it comes back as a row with an ``error`` and the load goes on.
Memory is bounded by the longest record, never by the file.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from polegraph.loaders.csvio import FormatError, header_key

# A record that keeps growing past this is an unterminated quote, not data: report and resync.
MAX_RECORD_CHARS = 1 << 20

# States of the quote scanner: where the last character of the text seen so far left us.
_FIELD_START, _UNQUOTED, _QUOTED, _QUOTE_IN_QUOTED = range(4)


@dataclass(frozen=True, slots=True)
class TableRow:
    """One record: its cells in header order (extra cells after them), raw text, start line."""

    line: int
    cells: tuple[str, ...]
    raw: str
    error: str | None = None  # the record could not be split into cells; it goes to quarantine


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Older systems mix Windows-1252 into UTF-8 exports: keep the characters, per line.
        return raw.decode("cp1252", errors="replace")


def _scan(text: str, state: int) -> int:
    """Advance the quote state over ``text``: only a quote that opens a cell starts a quoted cell."""
    if state in (_FIELD_START, _UNQUOTED) and '"' not in text:
        return _FIELD_START if text.endswith("\n") else _UNQUOTED
    for ch in text:
        if state == _QUOTED:
            state = _QUOTE_IN_QUOTED if ch == '"' else _QUOTED
        elif state == _QUOTE_IN_QUOTED:
            # '""' is an escaped quote; anything else closes the cell.
            state = _QUOTED if ch == '"' else (_FIELD_START if ch in ",\r\n" else _UNQUOTED)
        elif ch in ",\n":
            state = _FIELD_START
        elif state == _FIELD_START and ch == '"':
            state = _QUOTED
        elif ch != "\r":
            state = _UNQUOTED
    return state


def _split(record: str) -> tuple[tuple[str, ...], str | None]:
    try:
        return tuple(next(csv.reader(io.StringIO(record)), [])), None
    except csv.Error as exc:  # a stray carriage return, an oversized cell
        return (), f"cannot split the record into cells: {exc}"


def _records(handle: BinaryIO) -> Iterator[TableRow]:
    """Every non-blank record of the file, with the line it starts on."""
    line_no = start = 0
    pending: list[str] = []
    size = 0
    state = _FIELD_START
    for raw in handle:
        line_no += 1
        if line_no == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        text = _decode(raw)
        if not pending:
            start, state = line_no, _FIELD_START
        pending.append(text)
        size += len(text)
        state = _scan(text, state)
        if state == _QUOTED and size <= MAX_RECORD_CHARS:
            continue
        record = "".join(pending).rstrip("\r\n")
        pending, size = [], 0
        if state == _QUOTED:
            yield TableRow(start, (), record[:1000], f"a quoted cell runs past {MAX_RECORD_CHARS} characters")
        elif record.strip():
            cells, error = _split(record)
            yield TableRow(start, cells, record, error)
    if pending and "".join(pending).strip():
        yield TableRow(start, (), "".join(pending).rstrip("\r\n"), "unterminated quoted cell at end of file")


class Table:
    """An open CSV file: ``header`` is read on opening, iterate once for the rows."""

    def __init__(self, path: Path, what: str = "a CSV export") -> None:
        if not path.is_file():
            raise FormatError(f"{path} does not exist or is not a file")
        self.path = path
        self._handle: BinaryIO = path.open("rb")
        try:
            head = self._handle.read(4096)
            if head.startswith(b"PK\x03\x04"):
                raise FormatError(
                    f"{path} is a ZIP archive (a UFDR?), not {what}", hint="choose the right format"
                )
            if b"\x00" in head:
                raise FormatError(f"{path} is a binary file, not {what}")
            self._handle.seek(0)
            self._rows = _records(self._handle)
            self.header: tuple[str, ...] = ()
            self.header_line = 0
            first = next(self._rows, None)
            if first is not None:
                if first.error:
                    raise FormatError(f"{path}:{first.line}: the header cannot be read ({first.error})")
                self.header = tuple(cell.strip() for cell in first.cells)
                self.header_line = first.line
        except BaseException:
            self._handle.close()
            raise

    def __iter__(self) -> Iterator[TableRow]:
        return self._rows

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> Table:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def find(self, name: str) -> int | None:
        """Position of column ``name``: exact spelling first, else the one column with its header key."""
        if name in self.header:
            return self.header.index(name)
        key = header_key(name)
        found = [i for i, column in enumerate(self.header) if header_key(column) == key]
        return found[0] if len(found) == 1 else None

    def payload(self, row: TableRow) -> dict[str, str | list[str]]:
        """Every cell of ``row`` by its column name, extra cells under ``_extra``: nothing is lost."""
        payload: dict[str, str | list[str]] = {}
        for i, name in enumerate(self.header):
            key, n = name, 2
            while key in payload:  # two columns with one name keep both values
                key, n = f"{name} ({n})", n + 1
            payload[key] = row.cells[i] if i < len(row.cells) else ""
        if len(row.cells) > len(self.header):
            payload["_extra"] = list(row.cells[len(self.header) :])
        return payload


def cell(row: TableRow, index: int | None) -> str:
    """The stripped cell at ``index`` ('' for a missing column or a short row)."""
    if index is None or index >= len(row.cells):
        return ""
    return row.cells[index].strip()

"""Reading police CSV exports as they really arrive: the one CSV reader of every loader.

Windows line endings, a UTF-8 byte-order mark, Windows-1252 bytes in a UTF-8 file, header names in
any case and spacing, missing and extra columns, empty files. Rows come back with the physical line
number where they start, so a quarantine entry can name the file and line.

Quotes are read as Excel and lenient RFC 4180 readers read them: only a quote at the start of a cell
opens a quoted cell (``5" screen`` is text), and a quoted cell may run over several lines (MO text
does). One still open after ``MAX_RECORD_CHARS`` characters or ``MAX_RECORD_LINES`` lines, or at the
end of the file, is an unterminated quote, not data: its first line comes back as an error row and
reading resumes on the next line. A line over ``MAX_LINE_BYTES`` is an error row too. Memory is
bounded by those limits, never by the file.

Every loader reads its CSV here: ``read_csv`` streams rows keyed by ``header_key``; ``CsvFile`` also
gives the header as written and cells by position, for columns whose names normalise alike.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from polegraph.errors import PolegraphError

MAX_RECORD_CHARS = 1 << 20  # a quoted cell open longer than this is a runaway quote
MAX_RECORD_LINES = 10_000  # ... and so is one open over more lines (blank lines cost memory too)
MAX_LINE_BYTES = 1 << 20  # a physical line is read up to this; the rest of it is skipped
_RAW_KEPT = 1000  # of a record cut short, the quarantine keeps this much text

_HEADER_CLEAN = re.compile(r"[^a-z0-9]+")


class FormatError(PolegraphError):
    """The file is not of the format the loader reads (stops the load, with one clear message)."""


def header_key(name: str) -> str:
    """``"Crime ID"``, ``"crime_id"``, ``" CRIME-ID "`` → ``crime_id``."""
    return _HEADER_CLEAN.sub("_", name.strip().lower()).strip("_")


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One row: values by normalised header key, the cells as written, the raw text, where it came from.

    Two columns whose names normalise alike (``:ID`` and ``id``) share one key in ``values``, the
    later column's value winning; ``cells`` holds both, by position (``CsvFile.header`` names them).
    An error row has every header key with an empty value, and no cells.
    """

    line: int
    values: dict[str, str]
    raw: str
    extra: tuple[str, ...]  # cells beyond the header (kept in the source record)
    decoded_with_replacement: bool
    error: str | None = None  # the row could not be parsed at all (it goes to quarantine)
    cells: tuple[str, ...] = ()  # every cell in file order, unstripped: the header's columns, then extra

    def cell(self, index: int | None) -> str:
        """The stripped cell at ``index`` ('' for no column or a short row)."""
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index].strip()


# One record: the line it starts on, its text, whether it was decoded as Windows-1252, and why it
# could not be read (None when it could). A plain tuple: records are made once per line.
_Record = tuple[int, str, bool, str | None]


def _still_quoted(text: str, quoted: bool) -> bool:
    """Whether a quoted cell is open at the end of ``text``; ``quoted``: one was open at its start.

    Only a quote that starts a cell opens one; inside it ``""`` is a quote and any other quote closes
    it (text after the closing quote is kept by the csv module, as Excel keeps it).
    """
    pos = 0
    if not quoted:
        if text.startswith('"'):
            quoted, pos = True, 1
        elif '"' not in text:
            return False
    while True:
        if quoted:
            close = text.find('"', pos)
            if close < 0:
                return True
            if text.startswith('"', close + 1):
                pos = close + 2
            else:
                quoted, pos = False, close + 1
        else:
            opening = text.find(',"', pos)
            if opening < 0:
                return False
            quoted, pos = True, opening + 2


class _Lines:
    """The physical lines of a binary file, decoded one by one, with the offset of the next one."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.offset = 0  # where the next line starts
        self.number = 0  # the number of the line read last

    def seek(self, offset: int, number: int) -> None:
        self.handle.seek(offset)
        self.offset, self.number = offset, number

    def read(self) -> tuple[str, bool, bool] | None:
        """(text, decoded as Windows-1252, cut short at MAX_LINE_BYTES) of the next line; None at the end."""
        raw = self.handle.readline(MAX_LINE_BYTES)
        if not raw:
            return None
        self.number += 1
        cut = len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n")
        if self.offset == 0 and raw.startswith(codecs.BOM_UTF8):
            self.offset = len(codecs.BOM_UTF8)
            raw = raw[len(codecs.BOM_UTF8) :]
        self.offset += len(raw)
        if cut:  # only the start of it is kept, for the quarantine, cut where a character starts
            keep = 4 * _RAW_KEPT
            while raw[keep] & 0xC0 == 0x80:
                keep -= 1
            rest = raw = raw[:keep]
            while rest and not rest.endswith(b"\n"):
                rest = self.handle.readline(1 << 16)
                self.offset += len(rest)
        try:
            return raw.decode("utf-8"), False, cut
        except UnicodeDecodeError:
            # Exports from older systems mix Windows-1252 into UTF-8 files: keep the characters.
            return raw.decode("cp1252", errors="replace"), True, cut


def _records(handle: BinaryIO) -> Iterator[_Record]:
    """Every non-blank record of the file, with the line it starts on (see the module docstring)."""
    lines = _Lines(handle)
    settled = 0  # a runaway quote starting before this offset was read past once already
    while True:
        start = lines.offset
        first = lines.read()
        if first is None:
            return
        text, lossy, cut = first
        line = lines.number
        if cut:
            yield line, text[:_RAW_KEPT], lossy, f"a line runs past {MAX_LINE_BYTES} bytes"
            continue
        if '"' not in text or not _still_quoted(text, False):  # the usual record: one line
            if text and not text.isspace():
                yield line, text, lossy, None
            continue
        after_first, first_lossy = lines.offset, lossy
        parts, size, error = [text], len(text), None
        while error is None:
            if size > MAX_RECORD_CHARS:
                error = f"a quoted cell runs past {MAX_RECORD_CHARS} characters"
            elif len(parts) >= MAX_RECORD_LINES:
                error = f"a quoted cell runs past {MAX_RECORD_LINES} lines"
            elif (more := lines.read()) is None:
                error = "unterminated quoted cell at end of file"
            elif more[2]:
                error = f"a quoted cell runs into a line over {MAX_LINE_BYTES} bytes"
            else:
                parts.append(more[0])
                size += len(more[0])
                lossy = lossy or more[1]
                if not _still_quoted(more[0], True):
                    break
        if error is None:
            yield line, "".join(parts), lossy, None
        elif start >= settled:
            # Only the first line is surely broken: quarantine it, read the lines after it again.
            settled = lines.offset
            lines.seek(after_first, line)
            yield line, text, first_lossy, error
        else:
            # A second runaway over lines read ahead once already: reading them a third time could
            # go on for every line (quadratic time), so the whole stretch goes to quarantine.
            yield line, "".join(parts)[:_RAW_KEPT], lossy, error


class _Cells:
    """Splits records into cells with one csv reader per file (a reader per record costs more).

    The reader is handed one whole record at a time, line breaks inside quoted cells included.
    """

    def __init__(self) -> None:
        self._text: str | None = None
        self._reader = csv.reader(self)

    def __iter__(self) -> _Cells:
        return self

    def __next__(self) -> str:
        text, self._text = self._text, None
        if text is None:
            raise StopIteration
        return text

    def split(self, text: str) -> tuple[tuple[str, ...], str | None]:
        """The cells of one record, or why the csv module could not read it."""
        self._text = text
        try:
            return tuple(next(self._reader, ())), None
        except csv.Error as exc:  # a stray carriage return inside a cell, a cell over the csv field limit
            self._text = None
            return (), str(exc)


def sniff_binary(path: Path, what: str) -> None:
    """Refuse a ZIP, UFDR or other binary where text was expected, before reading it."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"PK\x03\x04"):
        raise FormatError(f"{path} is a ZIP archive (a UFDR?), not {what}", hint="choose the right format")
    if b"\x00" in head:
        raise FormatError(f"{path} is a binary file, not {what}")


class CsvFile:
    """An open CSV export: ``header`` (names as written) is read on opening; iterate once for the rows.

    ``required`` header keys missing from the header stop the load with a FormatError naming them.
    """

    def __init__(self, path: Path, what: str = "a CSV export", required: set[str] | None = None) -> None:
        if not path.is_file():
            raise FormatError(f"{path} does not exist or is not a file")
        sniff_binary(path, what)
        self.path = path
        self.header: tuple[str, ...] = ()  # column names as written (stripped), in file order
        self.keys: tuple[str, ...] = ()  # the same, each by ``header_key``
        self.header_line = 0
        self._handle: BinaryIO = path.open("rb")
        try:
            self._records = _records(self._handle)
            self._cells = _Cells()
            first = next(self._records, None)
            if first is None:
                return  # an empty file: no header, no rows
            line, text, _, failed = first
            cells, error = ((), failed) if failed else self._cells.split(text)
            if error:
                raise FormatError(f"{path}:{line}: the header cannot be read ({error})")
            self.header = tuple(name.strip() for name in cells)
            self.keys = tuple(header_key(name) for name in cells)
            self.header_line = line
            missing = (required or set()) - set(self.keys)
            if missing:
                raise FormatError(
                    f"{path}: the header lacks the column(s) {', '.join(sorted(missing))}",
                    hint=f"the header read was: {', '.join(cells)}",
                )
        except BaseException:
            self._handle.close()
            raise

    def __iter__(self) -> Iterator[CsvRow]:
        width, split = len(self.keys), self._cells.split
        for line, text, lossy, failed in self._records:
            raw = text.rstrip("\r\n")
            cells, problem = ((), None) if failed else split(text)
            error = failed or (f"unreadable row: {problem}" if problem else None)
            if error:
                yield CsvRow(line, dict.fromkeys(self.keys, ""), raw, (), lossy, error)
                continue
            stripped = [cell.strip() for cell in cells[:width]]
            if len(stripped) < width:  # a short row: the missing columns are empty
                stripped += [""] * (width - len(stripped))
            yield CsvRow(
                line, dict(zip(self.keys, stripped, strict=True)), raw, cells[width:], lossy, None, cells
            )

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> CsvFile:
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
        found = [i for i, column in enumerate(self.keys) if column == key]
        return found[0] if len(found) == 1 else None

    def payload(self, row: CsvRow) -> dict[str, str | list[str]]:
        """Every cell of ``row`` by its column name as written, extra cells under ``_extra``: nothing lost."""
        payload: dict[str, str | list[str]] = {}
        for i, name in enumerate(self.header):
            key, n = name, 2
            while key in payload:  # two columns with one name keep both values
                key, n = f"{name} ({n})", n + 1
            payload[key] = row.cells[i] if i < len(row.cells) else ""
        if len(row.cells) > len(self.header):
            payload["_extra"] = list(row.cells[len(self.header) :])
        return payload


def read_csv(path: Path, required: set[str] | None = None, what: str = "a CSV export") -> Iterator[CsvRow]:
    """Stream rows of ``path`` in constant memory; headers normalised with ``header_key``.

    ``required`` header keys missing from the header stop the load with a FormatError naming them.
    """
    with CsvFile(path, what, required) as rows:
        yield from rows

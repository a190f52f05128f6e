"""The names the mapping loader's CSV reader had, kept for code that imports them: ``csvio`` reads
every loader's CSV now (``Table`` is ``CsvFile``, ``TableRow`` is ``CsvRow``)."""

from __future__ import annotations

from polegraph.loaders.csvio import MAX_RECORD_CHARS, CsvFile, CsvRow

Table = CsvFile
TableRow = CsvRow

__all__ = ["MAX_RECORD_CHARS", "Table", "TableRow"]

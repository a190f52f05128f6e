"""What every CSV export loader must survive, format by format: empty files, wrong files, random rows
under the real header (missing and extra columns), and random bytes."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.loaders.test_nominals import (
    CELLS,
    FIXTURES,
    fuzz_bytes,
    fuzz_rows,
    header_of,
    read_all,
    refuses_wrong_files,
)


class Export(NamedTuple):
    fmt: str
    fixture: Path
    fewer: int  # columns a random row may lack
    more: int  # columns a random row may add


EXPORTS = [
    Export("crime", FIXTURES / "crime" / "niche_occurrences.csv", 0, 2),
    Export("intel", FIXTURES / "intel" / "intel_reports.csv", 0, 1),
    Export("custody", FIXTURES / "custody" / "custody_records.csv", 3, 2),
    Export("missing", FIXTURES / "missing" / "missing_episodes.csv", 2, 1),
    Export("anpr", FIXTURES / "anpr" / "anpr_reads.csv", 2, 1),
]
_IDS = [e.fmt for e in EXPORTS]


@pytest.mark.parametrize("export", EXPORTS, ids=_IDS)
def test_empty_and_wrong_files(export: Export, tmp_path: Path) -> None:
    assert read_all(export.fmt, FIXTURES / export.fmt / "empty.csv") == []
    refuses_wrong_files(export.fmt, tmp_path)


@pytest.mark.parametrize("export", EXPORTS, ids=_IDS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_random_rows_are_bundles_or_quarantined(export: Export, data: st.DataObject) -> None:
    header = header_of(export.fixture)
    row = st.lists(CELLS, min_size=len(header) - export.fewer, max_size=len(header) + export.more)
    fuzz_rows(export.fmt, header, data.draw(st.lists(row, max_size=6)))


@pytest.mark.parametrize("export", EXPORTS, ids=_IDS)
@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=400))
def test_random_bytes_raise_only_format_errors(export: Export, data: bytes) -> None:
    fuzz_bytes(export.fmt, data)

"""The one CSV reader: headers as written, lenient quotes, runaway quotes cut off in bounded memory."""

from __future__ import annotations

import contextlib
import csv
import io
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polegraph.loaders.csvio import (
    MAX_LINE_BYTES,
    MAX_RECORD_CHARS,
    MAX_RECORD_LINES,
    CsvFile,
    CsvRow,
    FormatError,
    read_csv,
)
from tests.loaders.test_nominals import bundles_of, quarantined_of, read_all


def rows(tmp_path: Path, data: bytes) -> list[CsvRow]:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    return list(read_csv(path))


def shapes(got: list[CsvRow]) -> list[tuple[int, tuple[str, ...], str | None]]:
    return [(r.line, r.cells, r.error) for r in got]


# -- 1. headers that normalise alike stay distinct ------------------------------------------------------


def test_columns_whose_names_normalise_alike_are_all_kept(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(b":ID,id,name:string,:LABEL\np1,abc,Ann,Person\n")
    with CsvFile(path) as table:
        assert table.header == (":ID", "id", "name:string", ":LABEL")
        assert table.keys == ("id", "id", "name_string", "label")
        assert (table.find(":ID"), table.find("id"), table.find("ID")) == (0, 1, None)  # "ID" is ambiguous
        assert table.find("Name String") == 2
        (row,) = table
        assert row.cells == ("p1", "abc", "Ann", "Person")
        assert (row.cell(table.find(":ID")), row.cell(table.find("id"))) == ("p1", "abc")
        assert table.payload(row) == {":ID": "p1", "id": "abc", "name:string": "Ann", ":LABEL": "Person"}
    (row,) = read_csv(path)
    assert row.values == {"id": "abc", "name_string": "Ann", "label": "Person"}  # as before: the last wins


def test_repeated_column_names_keep_both_values_in_the_payload(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"Ref,Phone,Phone\n1,0711,0722,extra\n2\n")
    with CsvFile(path) as table:
        first, short = list(table)
        assert table.payload(first) == {"Ref": "1", "Phone": "0711", "Phone (2)": "0722", "_extra": ["extra"]}
        assert table.payload(short) == {"Ref": "2", "Phone": "", "Phone (2)": ""}
        assert (short.cell(1), short.cell(None), short.cell(9)) == ("", "", "")


# -- 2. a bare quote inside an unquoted cell is text ----------------------------------------------------


def test_a_bare_quote_in_an_unquoted_cell_is_text_and_swallows_nothing(tmp_path: Path) -> None:
    data = b'ref,item,note\n1,27" screen,ok\n2,O"Neill said "go,x\n3,plain,y\n4,"quoted, with comma",z\n'
    assert shapes(rows(tmp_path, data)) == [
        (2, ("1", '27" screen', "ok"), None),
        (3, ("2", 'O"Neill said "go', "x"), None),
        (4, ("3", "plain", "y"), None),
        (5, ("4", "quoted, with comma", "z"), None),
    ]


def test_quoted_cells_span_lines_and_rows_keep_the_line_they_start_on(tmp_path: Path) -> None:
    data = b'ref,mo\r\n1,"Entered via rear,\r\nsaid ""get out""\r\nthen left"\r\n'
    data += b'2,"after ""it"" closed" tail\r\n3,x\r\n'
    got = rows(tmp_path, data)
    assert shapes(got) == [
        (2, ("1", 'Entered via rear,\r\nsaid "get out"\r\nthen left'), None),
        (5, ("2", 'after "it" closed tail'), None),  # text after a closing quote is kept, as Excel does
        (6, ("3", "x"), None),
    ]
    assert got[0].raw == '1,"Entered via rear,\r\nsaid ""get out""\r\nthen left"'


# -- 3. an unterminated quote is cut off, quarantined, and reading resumes on the next line ---------------


def test_an_unterminated_quote_quarantines_its_line_and_the_next_lines_are_read(tmp_path: Path) -> None:
    got = rows(tmp_path, b'ref,mo,status\n1,"never closed,open\n2,fine,closed\n3,also fine,open\n')
    assert shapes(got) == [
        (2, (), "unterminated quoted cell at end of file"),
        (3, ("2", "fine", "closed"), None),
        (4, ("3", "also fine", "open"), None),
    ]
    assert got[0].raw == '1,"never closed,open'
    assert got[0].values == {"ref": "", "mo": "", "status": ""}  # every column, so loaders see the header


def test_a_quote_open_past_the_character_limit_is_cut_off(tmp_path: Path) -> None:
    body = b"".join(b"%d,%s\n" % (i, b"x" * 998) for i in range(MAX_RECORD_CHARS // 1000 + 50))
    got = rows(tmp_path, b'ref,mo\n1,"open\n' + body + b'2,"closed"\n')
    assert shapes(got[:2]) == [
        (2, (), f"a quoted cell runs past {MAX_RECORD_CHARS} characters"),
        (3, ("0", "x" * 998), None),
    ]
    assert len(got) == 1 + MAX_RECORD_CHARS // 1000 + 50 + 1  # every line after the broken one is a row
    assert all(r.error is None for r in got[1:])
    assert shapes(got[-1:]) == [(len(got) + 1, ("2", "closed"), None)]


def test_a_quote_open_past_the_line_limit_is_cut_off(tmp_path: Path) -> None:
    got = rows(tmp_path, b'ref,mo\n1,"open\n' + b"\n" * MAX_RECORD_LINES + b"2,after\n")
    assert shapes(got) == [
        (2, (), f"a quoted cell runs past {MAX_RECORD_LINES} lines"),
        (MAX_RECORD_LINES + 3, ("2", "after"), None),
    ]


def test_a_line_too_long_to_hold_is_quarantined_and_skipped(tmp_path: Path) -> None:
    long_line = b"1," + "é".encode() * MAX_LINE_BYTES + b"\n"
    got = rows(tmp_path, b"ref,mo\n" + long_line + b"2,after\n")
    assert shapes(got) == [(2, (), f"a line runs past {MAX_LINE_BYTES} bytes"), (3, ("2", "after"), None)]
    assert got[0].raw == "1," + "é" * 998  # the start of it, cut where a character starts
    assert not got[0].decoded_with_replacement
    got = rows(tmp_path, b'ref,mo\n1,"open\n' + long_line + b"2,after\n")
    assert shapes(got) == [
        (2, (), f"a quoted cell runs into a line over {MAX_LINE_BYTES} bytes"),
        (3, (), f"a line runs past {MAX_LINE_BYTES} bytes"),
        (4, ("2", "after"), None),
    ]


def test_lines_that_each_reopen_a_quote_are_not_read_again_and_again(tmp_path: Path) -> None:
    # x","y closes the cell opened above and opens another: from any line, the quote never closes.
    # Resuming on the line after each runaway would read the rest of the file once per line.
    lines = MAX_RECORD_CHARS // 500 + 100
    got = rows(tmp_path, b"a,b\n" + b'%s","y\n' % (b"x" * 500) * lines + b"2,ok\n")
    past = f"a quoted cell runs past {MAX_RECORD_CHARS} characters"
    unterminated = "unterminated quoted cell at end of file"
    assert [r.error for r in got] == [past, past, unterminated, unterminated]
    # A runaway starting on a line read ahead already is quarantined whole: reading goes on after it.
    assert (got[0].line, got[1].line, got[3].line - got[2].line) == (2, 3, 1)
    assert len(got[1].raw) == 1000
    assert got[2].line > MAX_RECORD_CHARS // 506


RUNAWAY_BODIES = {  # what follows the unterminated quote: about 16 MB each
    "long lines": (b"".join(b"%d,%s\n" % (i, b"m" * 1000) for i in range(16_000)), 16_000),
    "blank lines": ((b" " * 63 + b"\n") * (1 << 18), 0),
    "one line": (b"z" * (16 << 20), 1),  # no line break: quarantined too
}


@pytest.mark.parametrize("shape", sorted(RUNAWAY_BODIES))
def test_memory_stays_bounded_after_an_unterminated_quote(tmp_path: Path, shape: str) -> None:
    body, rows_after = RUNAWAY_BODIES[shape]
    path = tmp_path / "runaway.csv"
    path.write_bytes(b'ref,mo\n1,"never closed\n' + body)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        lines = [(row.line, row.error is None) for row in read_csv(path)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines[0] == (2, False)
    assert len(lines) == 1 + rows_after
    assert peak < size // 4, f"peak {peak} bytes reading a {size}-byte file"


# -- the behaviours every loader relies on --------------------------------------------------------------


def test_bom_crlf_windows_1252_extra_cells_short_rows_and_blank_lines(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbfCrime ID, Month \r\nA1,2026-02\r\n\r\n  \r\n" + "B2,Février\r\n".encode("cp1252")
    got = rows(tmp_path, data + b"C3\r\nD4,2026-03,extra, more \r\n")
    assert [(r.line, r.values, r.extra, r.decoded_with_replacement) for r in got] == [
        (2, {"crime_id": "A1", "month": "2026-02"}, (), False),
        (5, {"crime_id": "B2", "month": "Février"}, (), True),
        (6, {"crime_id": "C3", "month": ""}, (), False),
        (7, {"crime_id": "D4", "month": "2026-03"}, ("extra", " more "), False),
    ]
    assert [r.raw for r in got] == ["A1,2026-02", "B2,Février", "C3", "D4,2026-03,extra, more "]


def test_a_stray_carriage_return_is_one_unreadable_row(tmp_path: Path) -> None:
    got = rows(tmp_path, b"a,b\n1,x\ry\n2,ok\n")
    assert got[0].line == 2
    assert got[0].error is not None
    assert got[0].error.startswith("unreadable row: new-line character")
    assert shapes(got[1:]) == [(3, ("2", "ok"), None)]


@pytest.mark.parametrize("data", [b"", b"\n\r\n  \n", b"\xef\xbb\xbf"])
def test_empty_files_have_no_header_and_no_rows(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(data)
    with CsvFile(path, required={"ref"}) as table:
        assert (table.header, list(table)) == ((), [])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04rest", "is a ZIP archive"),
        (b"a,b\n\x00\x01", "is a binary file"),
        (b"a\rb,c\n1,2\n", "t.csv:1: the header cannot be read"),
        (b'"a,b\n1,2\n', "t.csv:1: the header cannot be read .unterminated quoted cell at end of file"),
        (b"ref,name\n1,x\n", "the header lacks the column.s. phone"),
    ],
)
def test_files_that_cannot_be_read_are_a_format_error(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    with pytest.raises(FormatError, match=message):
        list(read_csv(path, required={"ref", "phone"}))


def test_a_missing_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"missing\.csv does not exist or is not a file"):
        list(read_csv(tmp_path / "missing.csv"))
    with pytest.raises(FormatError, match="does not exist or is not a file"):
        CsvFile(tmp_path)


def test_a_broken_first_row_no_longer_hides_the_header_from_a_loader(tmp_path: Path) -> None:
    path = tmp_path / "occurrences.csv"
    path.write_text(
        'Occurrence Ref,Offence Description,MO\n13/1,Theft,"unterminated\n13/2,Burglary,Entered via rear\n',
        encoding="utf-8",
    )
    items = read_all("crime", path)
    assert [(q.line, q.reason) for q in quarantined_of(items)] == [
        (2, "unterminated quoted cell at end of file")
    ]
    assert [b.source.record_id for b in bundles_of(items)] == ["13/2"]


# -- any input ------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=800) | st.text('a,"\r\n \x85é', max_size=200).map(str.encode))
def test_random_bytes_are_rows_or_one_format_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.csv"
        path.write_bytes(data)
        with contextlib.suppress(FormatError):
            lines = [row.line for row in read_csv(path)]
            assert lines == sorted(set(lines))
            assert all(2 <= line <= data.count(b"\n") + 1 for line in lines)


CELL = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12) | st.sampled_from(
    ['"', '5" screen', '""', ",", "\n", "\r\n", '"quoted"', " lead", 'a\n"b"\nc']
)


@settings(max_examples=200, deadline=None)
@given(table=st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=1, max_size=8))
def test_whatever_the_csv_module_writes_is_read_back_cell_for_cell(table: list[list[str]]) -> None:
    lines = []
    for row in [["header"], *table]:
        written = io.StringIO()
        csv.writer(written).writerow(row)  # CRLF, as Excel writes
        if not written.getvalue().isspace():  # a blank line is not a record
            lines.append((row, written.getvalue()))
    starts = [1 + sum(text.count("\n") for _, text in lines[:i]) for i in range(len(lines))]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "written.csv"
        path.write_text("".join(text for _, text in lines), encoding="utf-8")
        got = list(read_csv(path))
    assert [(r.line, list(r.cells), r.error) for r in got] == [
        (start, row, None) for start, (row, _) in zip(starts[1:], lines[1:], strict=True)
    ]

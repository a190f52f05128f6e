"""Cells cleaned for their property (mapping_values) and CSV tables read as written (mapping_table)."""

from __future__ import annotations

from pathlib import Path

import pytest

from polegraph.loaders.csvio import FormatError
from polegraph.loaders.mapping_table import MAX_RECORD_CHARS, Table
from polegraph.loaders.mapping_values import clean_value, geo_problem, name_parts, parse_datetime
from polegraph.schema import PropertySpec, load_ontology


def prop(owner: str, name: str) -> PropertySpec:
    return load_ontology().property(owner, name)


@pytest.mark.parametrize(
    ("raw", "start", "end"),
    [
        ("2017-08", "2017-08-01T00:00:00+01:00", "2017-08-31T23:59:59.999999+01:00"),  # BST in August
        ("24/08/2017", "2017-08-24T00:00:00+01:00", "2017-08-24T23:59:59.999999+01:00"),
        ("04/02/2024 00:32", "2024-02-04T00:32:00+00:00", "2024-02-04T00:32:00+00:00"),
        ("2024-01-01T00:20:00+00:00", "2024-01-01T00:20:00+00:00", "2024-01-01T00:20:00+00:00"),
        ("2024-07-01T12:00:00Z", "2024-07-01T12:00:00+00:00", "2024-07-01T12:00:00+00:00"),
        ("1 Mar 2024 2:30pm", "2024-03-01T14:30:00+00:00", "2024-03-01T14:30:00+00:00"),
        (
            "2024-03-31 01:30:15.5 +0530",
            "2024-03-31T01:30:15.500000+05:30",
            "2024-03-31T01:30:15.500000+05:30",
        ),
        ("2016", "2016-01-01T00:00:00+00:00", "2016-12-31T23:59:59.999999+00:00"),
    ],
)
def test_datetimes_are_iso_strings_with_their_offset(raw: str, start: str, end: str) -> None:
    assert parse_datetime(raw).value == start
    assert parse_datetime(raw, period_end=True).value == end


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("31/02/2024 10:00", "February 2024 has no day 31"),
        ("2024-02-01 25:00", "no time 25:00"),
        ("2024-02-01 13:00 pm", "no hour 13 pm"),
        ("2024-02-01T10:00:00+23:00", "no time zone +23:00"),
        ("yesterday", "unrecognised words: yesterday"),
    ],
)
def test_impossible_datetimes_say_why(raw: str, reason: str) -> None:
    result = parse_datetime(raw)
    assert (result.value, result.valid, result.reason) == (None, False, reason)


def test_each_type_cleans_its_values() -> None:
    assert clean_value(prop("Phone", "e164"), "07911 123456").value == "+447911123456"
    assert clean_value(prop("Vehicle", "vrm"), "ab12 cde").value == "AB12CDE"
    assert clean_value(prop("Person", "dob"), "03/04/1990").value == "1990-04-03"
    assert clean_value(prop("Person", "age"), " 42 ").value == 42
    assert clean_value(prop("Person", "age"), "42.0").value == 42
    assert clean_value(prop("Person", "age"), "forty").reason == "'forty' is not a whole number"
    assert clean_value(prop("Crime", "latitude"), "53.48").value == 53.48
    assert clean_value(prop("Crime", "latitude"), "nan").valid is False
    assert clean_value(prop("Crime", "cse_flag"), "Yes").value is True
    assert clean_value(prop("Crime", "cse_flag"), "f").value is False
    assert clean_value(prop("Crime", "cse_flag"), "maybe").valid is False
    assert clean_value(prop("Crime", "crime_type"), "  Burglary ").value == "Burglary"
    assert clean_value(prop("Person", "nationality"), "gbr").value == "gbr"  # no country type yet
    assert clean_value(prop("Crime", "crime_type"), "   ").reason == "empty"


def test_enums_take_codes_translations_and_a_fallback() -> None:
    role = prop("INVOLVED_IN", "role")
    assert clean_value(role, "reporting person").value == "REPORTING_PERSON"
    assert clean_value(role, "S", translate={"S": "SUSPECT"}).value == "SUSPECT"
    assert clean_value(role, "boss").valid is False
    assert clean_value(role, "boss", otherwise="OTHER").value == "OTHER"
    # A translation to "" means "no value".
    assert clean_value(role, "KNOWS", translate={"KNOWS": ""}).reason == "empty"


def test_name_parts_are_read_together() -> None:
    assert name_parts("Khan", "Mohammed Imran") == {"surname": "KHAN", "forenames": "MOHAMMED IMRAN"}
    assert name_parts("", "Mohammed Imran") == {"forenames": "MOHAMMED IMRAN"}
    assert name_parts("O'Neill", "") == {"surname": "ONEILL"}
    assert name_parts(" ", "") == {}


def test_coordinates_off_the_map_are_refused() -> None:
    geo = ("latitude", "longitude")
    assert geo_problem("latitude", 91.0, geo) == "91.0 is outside -90..90"
    assert geo_problem("longitude", -179.0, geo) is None
    assert geo_problem("duration_seconds", 1e9, geo) is None


def rows(
    tmp_path: Path, data: bytes
) -> tuple[tuple[str, ...], list[tuple[int, tuple[str, ...], str | None]]]:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    with Table(path) as table:
        return table.header, [(r.line, r.cells, r.error) for r in table]


def test_tables_keep_headers_as_written_and_cells_by_position(tmp_path: Path) -> None:
    header, got = rows(
        tmp_path, b"\xef\xbb\xbf:ID,id,latitude:double\r\n1,abc,53.1\r\n\r\n2,def\r\n3,ghi,1,extra\r\n"
    )
    assert header == (":ID", "id", "latitude:double")  # BOM gone, ":ID" and "id" both kept
    assert got == [
        (2, ("1", "abc", "53.1"), None),
        (4, ("2", "def"), None),
        (5, ("3", "ghi", "1", "extra"), None),
    ]


def test_quoted_cells_span_lines_and_bare_quotes_do_not(tmp_path: Path) -> None:
    data = b'a,b\n1,"two\nlines, one cell"\n2,5" screen\n3,"say ""hi"""\n'
    _, got = rows(tmp_path, data)
    assert got == [
        (2, ("1", "two\nlines, one cell"), None),
        (4, ("2", '5" screen'), None),  # a quote inside an unquoted cell does not open a cell
        (5, ("3", 'say "hi"'), None),
    ]


def test_broken_records_come_back_as_errors_and_reading_goes_on(tmp_path: Path) -> None:
    _, got = rows(tmp_path, b'a,b\n1,x\ry\n2,ok\n3,"never closed\n')
    assert got[0][0] == 2
    assert got[0][2] is not None
    assert "new-line character" in got[0][2]
    assert got[1] == (3, ("2", "ok"), None)
    assert got[2] == (4, (), "unterminated quoted cell at end of file")


def test_a_runaway_quote_is_cut_off_and_reading_resyncs(tmp_path: Path) -> None:
    line = b"x" * 1000 + b"\n"
    data = b'a,b\n1,"open\n' + line * (MAX_RECORD_CHARS // 1000 + 2) + b"2,after\n"
    _, got = rows(tmp_path, data)
    assert got[0][2] == f"a quoted cell runs past {MAX_RECORD_CHARS} characters"
    assert got[-1][1] == ("2", "after")


def test_windows_1252_bytes_are_read_as_windows_1252(tmp_path: Path) -> None:
    _, got = rows(tmp_path, "a,b\n1,Café\n".encode() + "2,Renée £5\n".encode("cp1252"))
    assert [r[1] for r in got] == [("1", "Café"), ("2", "Renée £5")]


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"PK\x03\x04rest", "is a ZIP archive"), (b"a,b\n\x00\x01", "is a binary file")],
)
def test_binaries_are_refused(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        rows(tmp_path, data)
    with pytest.raises(FormatError, match="does not exist"):
        Table(tmp_path / "missing.csv")


def test_an_unreadable_header_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="the header cannot be read"):
        rows(tmp_path, b"a\rb,c\n1,2\n")

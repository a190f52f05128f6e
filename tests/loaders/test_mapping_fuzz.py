"""Random bytes and random rows never crash the mapping or data.police.uk loaders: a whole file is
refused with a FormatError, or each record comes back as a sound bundle or a quarantined row."""

from __future__ import annotations

import contextlib
import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polegraph.loaders.base import LoaderOptions, get_loader
from polegraph.loaders.check import bundle_problems
from polegraph.loaders.csvio import FormatError
from polegraph.loaders.mapping_values import clean_value, parse_datetime
from polegraph.loaders.police_uk import SEARCH_COLUMNS, STREET_COLUMNS
from polegraph.loaders.records import Bundle, LoadContext, Quarantined
from polegraph.schema import load_ontology

FIXTURES = Path(__file__).parent.parent / "fixtures"
NOMINALS = FIXTURES / "mapping" / "nominals.yaml"
NOMINAL_COLUMNS = (
    "Occurrence Ref", "Nominal Ref", "Role", "Surname", "Forenames", "DOB", "Sex", "Aliases", "Mobile",
    "Home Phone", "Home Address", "Home Postcode", "VRM",
)  # fmt: skip
FORMATS = {
    "mapping": NOMINAL_COLUMNS,
    "police-uk-street": STREET_COLUMNS,
    "police-uk-stop-search": SEARCH_COLUMNS,
}
FUZZ = settings(max_examples=150, deadline=None)
ROWS_FUZZ = settings(max_examples=80, deadline=None)  # each example writes and reads a whole file

# Cells shaped like what the columns hold (dates, numbers, codes, refs) as well as any text.
# NUL is left out: a NUL byte early in a file marks it binary, which the random-bytes test covers.
CELLS = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30),
    st.from_regex(r"[0-9]{1,4}[/ -][0-9]{1,2}[/ -][0-9]{2,4}( [0-9]{1,2}:[0-9]{2})?", fullmatch=True),
    st.from_regex(r"-?[0-9]{1,3}\.[0-9]{1,6}", fullmatch=True),
    st.sampled_from(
        ["", "OCC/1001/24", "S", "V", "Person search", "True", "False", "2026-02", "07911 123456"]
    ),
)


def load(fmt: str, data: bytes) -> list[Bundle | Quarantined]:
    """Read ``data`` as a file of format ``fmt`` (the nominal mapping reads beside its occurrences)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "nominals.csv"
        path.write_bytes(data)
        (Path(folder) / "occurrences.csv").write_bytes(
            (FIXTURES / "mapping" / "occurrences.csv").read_bytes()
        )
        spec = get_loader(fmt)
        ctx = LoadContext(force="WYP", system=spec.system, load_id="fuzz", source_file=str(path))
        items = list(spec.read(path, ctx, LoaderOptions(mapping=NOMINALS if fmt == "mapping" else None)))
    for item in items:
        assert isinstance(item, Bundle | Quarantined)
        if isinstance(item, Bundle):
            assert bundle_problems(item) == []
    return items


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@FUZZ
@given(data=st.binary(max_size=600))
def test_random_bytes_are_refused_or_read(fmt: str, data: bytes) -> None:
    with contextlib.suppress(FormatError):  # a file that is not this format at all: one error for it
        load(fmt, data)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@ROWS_FUZZ
@given(data=st.data())
def test_random_rows_under_a_good_header_each_load_or_are_quarantined(fmt: str, data: st.DataObject) -> None:
    header = FORMATS[fmt]
    rows = data.draw(st.lists(st.lists(CELLS, min_size=len(header), max_size=len(header)), max_size=8))
    text = io.StringIO()
    writer = csv.writer(text, lineterminator=data.draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    writer.writerows(rows)
    items = load(fmt, text.getvalue().encode(data.draw(st.sampled_from(["utf-8", "utf-8-sig"]))))
    assert len(items) == len(rows)  # one record per row, however odd its cells


PROPERTIES = [
    spec
    for owner in (*load_ontology().entities.values(), *load_ontology().relationships.values())
    for spec in owner.properties.values()
    if spec.owner == owner.name
]


@FUZZ
@given(spec=st.sampled_from(PROPERTIES), raw=st.text(max_size=40))
def test_any_cell_cleans_to_a_value_or_a_reason(spec: object, raw: str) -> None:
    from polegraph.schema import PropertySpec

    assert isinstance(spec, PropertySpec)
    result = clean_value(spec, raw, period_end=True)
    assert result.valid or result.reason
    if result.valid:
        assert result.value is not None


@FUZZ
@given(
    raw=st.text(max_size=40)
    | st.from_regex(
        r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4} [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?( ?[ap]m)?", fullmatch=True
    )
)
def test_any_text_is_a_datetime_or_says_why_not(raw: str) -> None:
    for end in (False, True):
        result = parse_datetime(raw, period_end=end)
        assert (result.value is not None) == result.valid

"""Intelligence report loader: gradings stored with their scheme and raw codes, per-report labels."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polegraph.loaders.intel import GradingError, grading
from polegraph.loaders.records import Bundle
from tests.loaders.test_nominals import (
    CELLS,
    FIXTURES,
    bundles_of,
    csv_record_count,
    edges,
    fuzz_rows,
    node,
    quarantined_of,
    read_all,
)

REPORTS = FIXTURES / "intel" / "intel_reports.csv"
COMBINED = FIXTURES / "intel" / "intel_combined_grading.csv"
_LEGACY_PROPS = {"legacy_source_grade", "legacy_intelligence_grade", "legacy_handling_code"}


def by_urn(path: Path) -> dict[str, Bundle]:
    return {b.source.record_id: b for b in bundles_of(read_all("intel", path))}


def test_every_report_is_a_bundle_or_quarantined_with_the_field_at_fault() -> None:
    items = read_all("intel", REPORTS)
    assert len(items) == csv_record_count(REPORTS) == 10
    assert len(bundles_of(items)) == 6
    assert [(q.line, q.field) for q in quarantined_of(items)] == [
        (7, "source_evaluation"),
        (8, "handling_code"),
        (9, "classification"),
        (10, "urn"),
    ]


def test_3x5x2_grading_is_stored_and_its_labels_override_the_load() -> None:
    reports = by_urn(REPORTS)
    chis = reports["WY-INT-24-004411"]
    report = node(chis, "IntelReport").props
    assert (report["grading_scheme"], report["source_evaluation"], report["intelligence_assessment"]) == (
        "3x5x2",
        "2",
        "B",
    )
    assert not _LEGACY_PROPS & report.keys()
    assert report["source_type"] == "CHIS"
    assert report["sanitised"] is True
    assert chis.labels == {
        "classification": "OFFICIAL-SENSITIVE",
        "handling_code": "P",
        "handling_conditions": None,
    }
    partner = reports["WY-INT-24-004412"]
    assert partner.labels == {
        "classification": "SECRET",
        "handling_code": "C",
        "handling_conditions": "Not to be shared outside the Children's Safeguarding Hub without DI approval",
    }


def test_5x5x5_grading_keeps_its_raw_codes_and_no_p_or_c_handling() -> None:
    legacy = by_urn(REPORTS)["WY-INT-24-004414"]
    report = node(legacy, "IntelReport").props
    assert report["grading_scheme"] == "5x5x5"
    assert {k: report[k] for k in _LEGACY_PROPS} == {
        "legacy_source_grade": "B",
        "legacy_intelligence_grade": "2",
        "legacy_handling_code": "4",
    }
    assert "source_evaluation" not in report
    assert "intelligence_assessment" not in report
    # The load's handling code must not be applied to a report that never had one.
    assert legacy.labels == {"classification": "OFFICIAL", "handling_code": None, "handling_conditions": None}
    told_by_codes = node(by_urn(REPORTS)["WY-INT-24-004415"], "IntelReport").props
    assert told_by_codes["grading_scheme"] == "5x5x5"


def test_subjects_and_what_the_report_names_carry_the_grading() -> None:
    report = by_urn(REPORTS)["WY-INT-24-004411"]
    subject_of = edges(report, "SUBJECT_OF")
    assert {(e.start_label, e.props["role"]) for e in subject_of} == {
        ("Person", "SUBJECT"),
        ("Vehicle", "SUBJECT"),
        ("Address", "LOCATION"),
    }
    for edge in subject_of:
        assert edge.props["grading_scheme"] == "3x5x2"
        assert edge.props["source_evaluation"] == "2"
    subject = node(report, "Person", "subject1")
    assert subject.props["dob"] == "1999-11-02"
    assert [e.end_uid for e in edges(report, "HAS_PHONE")] == ["phone:+447700900123"]
    associates = by_urn(REPORTS)["WY-INT-24-004413"]
    roles = {e.start_uid.split(":")[-1]: e.props["role"] for e in edges(associates, "SUBJECT_OF")}
    assert roles["subject1"] == "ASSOCIATE"
    assert roles["subject2"] == "SUBJECT"
    assert node(associates, "IntelReport").props.keys().isdisjoint({"grading_scheme", "source_evaluation"})
    assert associates.labels == {"classification": "OFFICIAL"}


def test_one_grading_cell() -> None:
    items = read_all("intel", COMBINED)
    reports = {b.source.record_id: b for b in bundles_of(items)}
    shop = reports["INT/24/77"]
    assert node(shop, "IntelReport").props["intelligence_assessment"] == "B"
    assert shop.labels == {
        "classification": "OFFICIAL",
        "handling_code": "C",
        "handling_conditions": "Share with Trading Standards only",
    }
    assert node(reports["INT/09/12"], "IntelReport").props["legacy_handling_code"] == "4"
    assert node(reports["INT/24/78"], "IntelReport").props["source_evaluation"] == "1"
    assert [(q.line, q.field) for q in quarantined_of(items)] == [(5, "source_evaluation")]


@pytest.mark.parametrize(
    ("fields", "column"),
    [
        ({"grading": "1"}, "grading"),
        ({"grading_scheme": "4x4", "source_evaluation": "1"}, "grading_scheme"),
        ({"source_evaluation": "1", "intelligence_assessment": "2"}, "intelligence_assessment"),
        ({"grading_scheme": "5x5x5", "source_evaluation": "F"}, "source_evaluation"),
        ({"source_evaluation": "B", "intelligence_assessment": "2", "handling_code": "P"}, "handling_code"),
    ],
)
def test_unreadable_gradings_name_their_column(fields: dict[str, str], column: str) -> None:
    with pytest.raises(GradingError) as caught:
        grading(fields)
    assert caught.value.column == column


def test_ungraded_reports_have_no_grading() -> None:
    assert grading({"text": "nothing graded"}) == ({}, {})


def test_a_duplicate_report_is_the_same_record() -> None:
    first, duplicate = (
        b for b in bundles_of(read_all("intel", REPORTS)) if b.source.record_id.endswith("4411")
    )
    assert first.source.hash == duplicate.source.hash
    assert first.nodes == duplicate.nodes


_GRADING_CELLS = st.sampled_from(
    ["", "1", "2", "3", "4", "A", "B", "E", "F", "P", "C", "X", "5x5x5", "3x5x2"]
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(CELLS.filter(str.strip), _GRADING_CELLS, _GRADING_CELLS, _GRADING_CELLS, _GRADING_CELLS)
    )
)
def test_random_gradings_are_stored_or_quarantined(rows: list[tuple[str, str, str, str, str]]) -> None:
    header = ["URN", "Grading Scheme", "Source Evaluation", "Intelligence Assessment", "Handling Code"]
    fuzz_rows("intel", header, [list(row) for row in rows])

"""Vehicle registration marks: formats, normalisation, ANPR misreads."""

from __future__ import annotations

import pytest

from polegraph.types import VRM, anpr_key, vrm_format


@pytest.mark.parametrize(
    ("raw", "normalised", "fmt"),
    [
        ("AB12 CDE", "AB12CDE", "current"),
        ("ab12cde", "AB12CDE", "current"),
        (" AB-12-CDE ", "AB12CDE", "current"),
        ("BD51 SMR", "BD51SMR", "current"),
        ("A123 BCD", "A123BCD", "prefix"),
        ("P7 ABC", "P7ABC", "prefix"),
        ("ABC 123D", "ABC123D", "suffix"),
        ("ABC 123", "ABC123", "dateless"),
        ("1234 AB", "1234AB", "dateless"),
        ("AIZ 1234", "AIZ1234", "dateless"),  # Northern Ireland
    ],
)
def test_uk_formats(raw: str, normalised: str, fmt: str) -> None:
    cleaned = VRM.clean(raw)
    assert (cleaned.normalised, cleaned.valid, cleaned.flags) == (normalised, True, (fmt,))
    assert vrm_format(normalised) == fmt


@pytest.mark.parametrize(
    "mark",
    [
        "AB01CDE",  # no 01 age identifier
        "IB12CDE",  # I is never an area letter
        "AB12CDI",  # I is never a random letter
        "QA12CDE",
    ],
)
def test_current_format_rules(mark: str) -> None:
    assert vrm_format(mark) != "current"


@pytest.mark.parametrize("raw", ["WX5 ZZZZ1", "12345678", "ABCDEFG"])
def test_foreign_or_misread_marks_are_kept_invalid(raw: str) -> None:
    cleaned = VRM.clean(raw)
    assert not cleaned.valid
    assert cleaned.normalised == raw.replace(" ", "")
    assert cleaned.reason


def test_anpr_key_merges_confusable_characters() -> None:
    assert anpr_key("AB12CDE") == anpr_key("A812CDE") == anpr_key("AB1ZCDE") == anpr_key("A8I2C0E")
    assert anpr_key("SO5") == anpr_key("5Q5")
    assert anpr_key("AB12CDE") != anpr_key("AB12CDF")


def test_one_confusable_misread_scores_high() -> None:
    assert VRM.compare("AB12CDE", "AB12CDE") == 1.0
    assert VRM.compare("AB12CDE", "A812CDE") == pytest.approx(0.9)
    assert VRM.compare("AB12CDE", "A8I2CDE") == pytest.approx(0.85)
    one_other = VRM.compare("AB12CDE", "AB12CDF")
    assert 0.5 < one_other < 0.85
    assert VRM.compare("AB12CDE", "XY99ZZZ") == 0.0


def test_keys() -> None:
    assert VRM.keys("AB12CDE") == {"vrm": ["AB12CDE"], "vrm_anpr": ["A812C0E"]}

"""Phone numbers: E.164, UK default, drama ranges, query variants."""

from __future__ import annotations

import pytest

from polegraph.types import PHONE, Cleaned, find_phones, is_drama_number, phone_variants


@pytest.mark.parametrize(
    "raw",
    [
        "07911 123456",
        "+44 (0)7911 123456",
        "0044 7911 123456",
        "447911123456",
        "+447911123456",
        "07911-123-456",
        "(07911) 123456",
        "tel:+447911123456",
        "\u0660\u0667\u0669\u0661\u0661\u0661\u0662\u0663\u0664\u0665\u0666",  # Arabic-Indic
    ],
)
def test_one_uk_mobile_written_many_ways(raw: str) -> None:
    cleaned = PHONE.clean(raw)
    assert cleaned.normalised == "+447911123456"
    assert cleaned.valid
    assert cleaned.raw == raw


@pytest.mark.parametrize("raw", ["07700 900123", "07700900999", "01632 960000", "020 7946 0123"])
def test_ofcom_drama_numbers_are_accepted_and_flagged(raw: str) -> None:
    cleaned = PHONE.clean(raw)
    assert cleaned.valid
    assert "drama_range" in cleaned.flags
    assert cleaned.normalised is not None
    assert is_drama_number(cleaned.normalised)


def test_foreign_numbers_keep_their_country() -> None:
    assert PHONE.normalise("+1 202 555 0143") == "+12025550143"
    assert PHONE.normalise("00353 87 123 4567") == "+353871234567"


def test_possible_but_unallocated_numbers_are_kept_invalid() -> None:
    cleaned = PHONE.clean("07911 12345")
    assert not cleaned.valid
    assert cleaned.normalised == "+44791112345"
    assert cleaned.reason


@pytest.mark.parametrize(("raw", "normalised"), [("999", "999"), ("101", "101"), ("+4499", "+4499")])
def test_short_numbers_keep_their_digits(raw: str, normalised: str) -> None:
    cleaned = PHONE.clean(raw)
    assert (cleaned.normalised, cleaned.valid) == (normalised, False)


def test_text_without_digits_has_no_number() -> None:
    assert PHONE.clean("unknown") == Cleaned("unknown", None, False, "no digits")


@pytest.mark.parametrize(
    "typed", ["07911 123456", "7911123456", "447911123456", "0044 7911 123456", "+44 7911 123456"]
)
def test_what_an_investigator_types_becomes_e164(typed: str) -> None:
    assert phone_variants(typed)[0] == "+447911123456"


def test_a_foreign_number_typed_without_its_plus() -> None:
    assert "+353871234567" in phone_variants("353871234567")


def test_fragments_give_no_variants() -> None:
    assert phone_variants("1234") == []
    assert phone_variants("") == []


def test_compare() -> None:
    assert PHONE.compare("+447911123456", "+447911123456") == 1.0
    assert PHONE.compare("+447911123456", "+447911123457") == 0.0
    # The same subscriber digits parsed in the wrong region.
    assert PHONE.compare("+447911123456", "+17911123456") == 0.7


def test_keys_hold_the_national_form_and_the_last_digits() -> None:
    keys = PHONE.keys("+447911123456")
    assert keys == {
        "phone": ["+447911123456"],
        "phone_national": ["07911123456"],
        "phone_suffix": ["123456"],
    }


def test_specificity_is_low_for_short_codes() -> None:
    assert PHONE.specificity("+447911123456") == 1.0
    assert PHONE.specificity("999") == 0.0


def test_spreadsheet_floats_lose_their_decimal_tail() -> None:
    assert PHONE.normalise("447911123456.0") == "+447911123456"


def test_find_phones_in_free_text() -> None:
    text = "Call him on 07911 123456 or +44 161 496 0000; not 12/03/2019."
    assert find_phones(text) == ["+447911123456", "+441614960000"]
    assert find_phones("07911 123456 / 07922 654321") == ["+447911123456", "+447922654321"]
    assert find_phones("no numbers here") == []

"""UK postcodes: normalisation, validation, blocking accessors, extraction from text."""

from __future__ import annotations

import pytest

from polegraph.types import (
    POSTCODE,
    extract_postcode,
    postcode_area,
    postcode_district,
    postcode_sector,
)
from polegraph.types.postcode import POSTCODE_AREAS


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("M1 1AE", "M1 1AE"),
        ("m11ae", "M1 1AE"),
        (" M1  1AE ", "M1 1AE"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("sw1a1aa", "SW1A 1AA"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("BT1 5GS", "BT1 5GS"),
        ("GIR 0AA", "GIR 0AA"),
    ],
)
def test_valid_postcodes(raw: str, normalised: str) -> None:
    cleaned = POSTCODE.clean(raw)
    assert (cleaned.normalised, cleaned.valid) == (normalised, True)


def test_accessors_for_blocking() -> None:
    assert postcode_area("M1 1AE") == "M"
    assert postcode_district("M1 1AE") == "M1"
    assert postcode_sector("M1 1AE") == "M1 1"
    assert postcode_area("SW1A 1AA") == "SW"
    assert postcode_district("SW1A 1AA") == "SW1A"
    assert postcode_sector("SW1A 1AA") == "SW1A 1"
    assert postcode_sector("M1") is None


def test_keys() -> None:
    assert POSTCODE.keys("M1 1AE") == {
        "postcode": ["M1 1AE"],
        "postcode_sector": ["M1 1"],
        "postcode_district": ["M1"],
        "postcode_area": ["M"],
    }


def test_letter_for_digit_slips_are_repaired_and_flagged() -> None:
    cleaned = POSTCODE.clean("M1 IAE")
    assert (cleaned.normalised, cleaned.valid, cleaned.flags) == ("M1 1AE", True, ("repaired",))
    assert POSTCODE.normalise("LS1 O5S") == "LS1 0SS"


def test_outward_code_alone_is_a_partial_postcode() -> None:
    cleaned = POSTCODE.clean("M1")
    assert (cleaned.normalised, cleaned.valid, cleaned.flags) == ("M1", False, ("partial",))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("QQ1 1AA", "unknown postcode area"),
        ("M1 1AC", "letters not used in postcodes in that place"),
        ("HELLO WORLD", "not a UK postcode"),
    ],
)
def test_invalid_postcodes_keep_a_reason(raw: str, reason: str) -> None:
    cleaned = POSTCODE.clean(raw)
    assert not cleaned.valid
    assert cleaned.reason == reason


def test_area_list_is_complete() -> None:
    assert len(POSTCODE_AREAS) == 124
    assert {"M", "SW", "BT", "ZE", "JE", "GY", "IM"} <= POSTCODE_AREAS


def test_compare_by_shared_geography() -> None:
    assert POSTCODE.compare("M1 1AE", "M1 1AE") == 1.0
    assert POSTCODE.compare("M1 1AE", "M1 1BB") == 0.7
    assert POSTCODE.compare("M1 1AE", "M1 2BB") == 0.5
    assert POSTCODE.compare("M1 1AE", "M2 1AE") == 0.2
    assert POSTCODE.compare("M1 1AE", "LS1 1AE") == 0.0


def test_extract_postcode_from_an_address() -> None:
    postcode, rest = extract_postcode("Flat 2, 12 High St, Manchester m1 1ae")
    assert postcode == "M1 1AE"
    assert "MANCHESTER" in rest
    assert "1AE" not in rest
    assert extract_postcode("12 High Street")[0] is None

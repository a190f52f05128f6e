"""Addresses and UPRNs."""

from __future__ import annotations

import pytest

from polegraph.types import ADDRESS, UPRN, house_numbers


@pytest.mark.parametrize(
    "raw",
    [
        "Flat 2, 12 High St, Manchester M1 1AE",
        "flat 2 12 high street manchester m11ae",
        "Apartment 2, 12 High Street, MANCHESTER, M1 1AE",
        "Apt. 2, 12 High St., Manchester,  M1 1AE",
    ],
)
def test_one_address_written_many_ways(raw: str) -> None:
    cleaned = ADDRESS.clean(raw)
    assert (cleaned.normalised, cleaned.valid) == ("FLAT 2 12 HIGH STREET MANCHESTER M1 1AE", True)


def test_saint_and_street() -> None:
    assert ADDRESS.normalise("12 St Johns Rd, St Albans") == "12 SAINT JOHNS ROAD SAINT ALBANS"
    assert ADDRESS.normalise("Church St") == "CHURCH STREET"
    assert ADDRESS.normalise("4 Park Dr") == "4 PARK DRIVE"


def test_addresses_without_postcode_are_flagged() -> None:
    cleaned = ADDRESS.clean("12 High Street")
    assert cleaned.valid
    assert cleaned.flags == ("no_postcode",)


def test_keys_include_the_postcode_blocks() -> None:
    keys = ADDRESS.keys("12 HIGH STREET MANCHESTER M1 1AE")
    assert keys["address"] == ["12 HIGH STREET MANCHESTER M1 1AE"]
    assert keys["postcode_sector"] == ["M1 1"]
    assert house_numbers("FLAT 2 12 HIGH STREET M1 1AE") == {"2", "12"}


def test_compare() -> None:
    same = "12 HIGH STREET MANCHESTER M1 1AE"
    assert ADDRESS.compare(same, same) == 1.0
    reordered = ADDRESS.compare(same, "12 HIGH STREET M1 1AE")
    assert reordered > 0.8
    other_number = ADDRESS.compare(same, "14 HIGH STREET MANCHESTER M1 1AE")
    assert other_number < reordered
    other_postcode = ADDRESS.compare(same, "12 HIGH STREET MANCHESTER M2 1AE")
    assert other_postcode <= 0.3


@pytest.mark.parametrize(
    ("raw", "normalised", "valid"),
    [
        ("100023336956", "100023336956", True),
        ("000100023336956", "100023336956", True),
        ("100023336956.0", "100023336956", True),
        ("10002333695X", "10002333695X", False),
        ("0", "0", False),
        ("1234567890123", "1234567890123", False),
    ],
)
def test_uprn(raw: str, normalised: str, valid: bool) -> None:
    cleaned = UPRN.clean(raw)
    assert (cleaned.normalised, cleaned.valid) == (normalised, valid)

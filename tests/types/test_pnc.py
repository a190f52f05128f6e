"""PNC IDs and CRO numbers: canonical forms and check letters.

The example numbers are published test data of a UK justice service; they pin down the
check-letter rules documented in ``polegraph.types.pnc``.
"""

from __future__ import annotations

import pytest

from polegraph.types import CRO, PNC_ID
from polegraph.types.pnc import CHECK_ALPHABET, check_letter, pnc_check_letter

PUBLISHED_PNC_IDS = [
    "20030011985X",
    "20120052494Q",
    "20230583843L",
    "2001/0171310W",
    "2011/0275516Q",
    "2008/0056560Z",
    "2003/0062845E",
    "1981/0154257C",
]


def test_alphabet_has_no_i_o_or_s() -> None:
    assert len(CHECK_ALPHABET) == 23
    assert not set("IOS") & set(CHECK_ALPHABET)


def test_worked_example() -> None:
    # 2008/0056560Z: "08" + "0056560" = 80056560, and 80056560 = 23 * 3480720, remainder 0.
    assert 80056560 % 23 == 0
    assert check_letter("080056560") == "Z"
    assert pnc_check_letter("2008", "56560") == "Z"
    assert pnc_check_letter("08", "0056560") == "Z"


@pytest.mark.parametrize("raw", PUBLISHED_PNC_IDS)
def test_published_pnc_ids_are_valid(raw: str) -> None:
    cleaned = PNC_ID.clean(raw)
    assert cleaned.valid, cleaned.reason
    assert cleaned.normalised is not None
    assert len(cleaned.normalised) == 13


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("2008/0056560Z", "2008/0056560Z"),
        ("08/56560Z", "2008/0056560Z"),
        ("08/0056560z", "2008/0056560Z"),
        ("20080056560Z", "2008/0056560Z"),
        ("79/163001B", "1979/0163001B"),
        ("79163001B", "1979/0163001B"),
        ("PNC 1979/0163001B", "1979/0163001B"),
    ],
)
def test_pnc_forms(raw: str, normalised: str) -> None:
    assert PNC_ID.clean(raw).normalised == normalised


@pytest.mark.parametrize("raw", ["20030011985Z", "20120052494O", "20230583843N", "2001/0171310S"])
def test_wrong_check_letters_are_kept_with_the_right_one_named(raw: str) -> None:
    cleaned = PNC_ID.clean(raw)
    assert not cleaned.valid
    assert cleaned.reason is not None
    assert cleaned.reason.startswith("check letter should be")


def test_pnc_keys_and_compare() -> None:
    assert PNC_ID.keys("2008/0056560Z") == {
        "pnc_id": ["2008/0056560Z"],
        "pnc_id_short": ["08/0056560Z"],
    }
    assert PNC_ID.compare("2008/0056560Z", "2008/0056560Z") == 1.0
    assert PNC_ID.compare("2008/0056560Z", "2003/0062845E") == 0.0


def test_garbage_is_not_a_pnc_id() -> None:
    cleaned = PNC_ID.clean("garbage")
    assert (cleaned.normalised, cleaned.valid) == ("GARBAGE", False)


PUBLISHED_CROS = [
    "265416/21G",
    "288242/01M",
    "14450/12J",
    "42400/52A",
    "6697/56U",
    "826/65W",
    "85227/65L",
    "100381/65H",
    "742031/07A",
    "160324/89V",
    "SF74/27111W",
    "SF85/34587Z",
    "SF83/4661E",
    "SF93/2294N",
    "SF94/5431U",
    "SF05/482703J",
    "SF83/50058Z",
]


@pytest.mark.parametrize("raw", PUBLISHED_CROS)
def test_published_cro_numbers_are_valid(raw: str) -> None:
    cleaned = CRO.clean(raw)
    assert cleaned.valid, cleaned.reason


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("65656/91H", "065656/91H"),
        ("065656/91H", "065656/91H"),
        ("SF 94/5431U", "SF94/05431U"),
        ("sf94/05431u", "SF94/05431U"),
    ],
)
def test_cro_serials_are_zero_padded(raw: str, normalised: str) -> None:
    assert CRO.clean(raw).normalised == normalised


def test_cro_with_a_wrong_check_letter() -> None:
    cleaned = CRO.clean("85227/65G")
    assert (cleaned.normalised, cleaned.valid) == ("085227/65G", False)
    assert cleaned.reason == "check letter should be L"

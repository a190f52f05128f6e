"""IMEIs, e-mail addresses and National Insurance numbers."""

from __future__ import annotations

import pytest

from polegraph.types import EMAIL, IMEI, NINO, imei_tac, mailbox_key

VALID_IMEI = "352099001761481"


@pytest.mark.parametrize(
    ("raw", "flags"),
    [
        ("352099001761481", ()),
        ("35-209900-176148-1", ()),
        ("35 209900 176148 1", ()),
        ("IMEI: 352099001761481", ()),
        ("35209900176148", ("check_digit_added",)),
        ("3520990017614812", ("imeisv",)),
        # Call data records carry a spare 0 where the check digit goes.
        ("352099001761480", ("spare_digit",)),
    ],
)
def test_imei_forms_of_one_handset(raw: str, flags: tuple[str, ...]) -> None:
    cleaned = IMEI.clean(raw)
    assert (cleaned.normalised, cleaned.valid, cleaned.flags) == (VALID_IMEI, True, flags)


def test_imei_with_a_wrong_check_digit_is_kept() -> None:
    cleaned = IMEI.clean("352099001761482")
    assert (cleaned.normalised, cleaned.valid) == ("352099001761482", False)
    assert cleaned.reason == "Luhn check digit is wrong"


def test_imei_of_the_wrong_length() -> None:
    cleaned = IMEI.clean("12345")
    assert (cleaned.normalised, cleaned.valid) == ("12345", False)


def test_imei_compare_ignores_the_check_digit() -> None:
    assert IMEI.compare(VALID_IMEI, "352099001761482") == 1.0
    assert IMEI.compare(VALID_IMEI, "352099001761499") == 0.0
    assert imei_tac(VALID_IMEI) == "35209900"


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("  Jane.Smith@Example.COM ", "jane.smith@example.com"),
        ("Jane Smith <jane@example.com>", "jane@example.com"),
        ("mailto:x@y.co.uk", "x@y.co.uk"),
        ("'bob@example.org';", "bob@example.org"),
    ],
)
def test_email_normalisation(raw: str, normalised: str) -> None:
    cleaned = EMAIL.clean(raw)
    assert (cleaned.normalised, cleaned.valid) == (normalised, True)


@pytest.mark.parametrize("raw", ["nope", "a@b", "two@@example.com", "x@-bad.com"])
def test_not_email_addresses(raw: str) -> None:
    cleaned = EMAIL.clean(raw)
    assert not cleaned.valid
    assert cleaned.normalised == raw.lower()


def test_mailbox_key_sees_through_gmail_aliases() -> None:
    assert mailbox_key("j.smith+ebay@googlemail.com") == "jsmith@gmail.com"
    assert mailbox_key("jsmith@gmail.com") == "jsmith@gmail.com"
    assert mailbox_key("j.smith+x@hotmail.co.uk") == "j.smith@hotmail.co.uk"
    assert mailbox_key("j.smith+x@example.com") == "j.smith+x@example.com"
    assert EMAIL.compare("j.smith@googlemail.com", "jsmith@gmail.com") == 0.95
    assert EMAIL.compare("jsmith1987@hotmail.com", "jsmith1987@yahoo.com") == 0.5
    assert EMAIL.compare("a@example.com", "b@example.com") == 0.0


@pytest.mark.parametrize(
    ("raw", "normalised", "flags"),
    [
        ("AB123456C", "AB123456C", ()),
        ("ab 12 34 56 c", "AB123456C", ()),
        ("JG103759A", "JG103759A", ()),
        ("AB123456", "AB123456", ("no_suffix",)),
    ],
)
def test_valid_ninos(raw: str, normalised: str, flags: tuple[str, ...]) -> None:
    cleaned = NINO.clean(raw)
    assert (cleaned.normalised, cleaned.valid, cleaned.flags) == (normalised, True, flags)


@pytest.mark.parametrize(
    "raw",
    [
        "BG123456A",  # never-issued prefixes
        "GB123456A",
        "KN123456A",
        "NK123456A",
        "NT123456A",
        "TN123456A",
        "ZZ123456A",
        "DA123456A",  # D is not a first letter
        "QQ123456C",  # nor is Q: HMRC's example prefix
        "AO123456A",  # O is not a second letter
        "AB123456E",  # suffix A-D only
    ],
)
def test_invalid_ninos(raw: str) -> None:
    cleaned = NINO.clean(raw)
    assert not cleaned.valid
    assert cleaned.normalised == raw
    assert cleaned.reason


def test_nino_shape_errors() -> None:
    cleaned = NINO.clean("A1234567")
    assert (cleaned.normalised, cleaned.valid) == ("A1234567", False)


def test_nino_compare_ignores_suffix() -> None:
    assert NINO.compare("AB123456C", "AB123456") == 1.0
    assert NINO.compare("AB123456C", "AB123457C") == 0.0

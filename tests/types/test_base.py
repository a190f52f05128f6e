"""The property-type contract and the registry."""

from __future__ import annotations

import dataclasses

import pytest

from polegraph.errors import PolegraphError
from polegraph.types import TYPES, Cleaned, PropertyType, UnknownPropertyType, get_type

EXPECTED_TYPES = {
    "address",
    "cro",
    "date",
    "email",
    "imei",
    "name",
    "nino",
    "phone",
    "pnc_id",
    "postcode",
    "uprn",
    "vrm",
}


def test_every_type_is_registered_under_its_name() -> None:
    assert set(TYPES) == EXPECTED_TYPES
    for name, prop_type in TYPES.items():
        assert prop_type.name == name
        assert get_type(name) is prop_type
        assert isinstance(prop_type, PropertyType)
        assert prop_type.label


def test_unknown_type_names_the_known_ones() -> None:
    with pytest.raises(UnknownPropertyType) as caught:
        get_type("telephone")
    assert isinstance(caught.value, PolegraphError)
    assert isinstance(caught.value, KeyError)
    assert "telephone" in str(caught.value)
    assert "phone" in (caught.value.hint or "")


@pytest.mark.parametrize("name", sorted(EXPECTED_TYPES))
@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_blank_values_are_invalid_not_errors(name: str, blank: str) -> None:
    cleaned = get_type(name).clean(blank)
    assert cleaned == Cleaned(blank, None, False, "empty")


def test_cleaned_is_immutable() -> None:
    cleaned = Cleaned("x", "X", True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cleaned.valid = False  # type: ignore[misc]


def test_normalise_is_clean_normalised() -> None:
    phone = get_type("phone")
    assert phone.normalise("07911 123456") == phone.clean("07911 123456").normalised

"""Folding text to comparable ASCII."""

from __future__ import annotations

import pytest

from polegraph.types import ascii_fold, fold
from polegraph.types.text import ascii_digits, dampen


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Łódź", "LODZ"),
        ("Straße", "STRASSE"),
        ("Søren Kierkegaard", "SOREN KIERKEGAARD"),
        ("O'Neill", "ONEILL"),
        ("O\u2019Neill", "ONEILL"),
        ("D'Souza", "DSOUZA"),
        ("Smith-Jones", "SMITH JONES"),
        ("  Zoë   Ångström ", "ZOE ANGSTROM"),
        ("İstanbul", "ISTANBUL"),
        ("Дмитрий Иванов", "DMITRIY IVANOV"),
        ("Олександр Шевченко", "OLEKSANDR SHEVCHENKO"),
        ("Γιώργος", "GIORGOS"),
        ("\u0645\u062d\u0645\u062f", ""),
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_ascii_fold_keeps_case_and_punctuation() -> None:
    assert ascii_fold("Renée O'Brien") == "Renee O'Brien"
    assert ascii_fold("Шевченко") == "Shevchenko"


def test_digits_of_any_script() -> None:
    assert ascii_digits("\u0660\u0661\u0662 \u06f3") == "012 3"
    assert ascii_digits("plain 123") == "plain 123"


def test_dampen() -> None:
    assert dampen(5, 10, 3) == 0.0
    assert dampen(5, 10, 7.5) == 0.5
    assert dampen(5, 10, 12) == 1.0

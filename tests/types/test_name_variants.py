"""The variant-group data file: well formed, and the groups DOMAIN.md names."""

from __future__ import annotations

import pytest

from polegraph.types.reference import data_lines, data_text
from polegraph.types.variants import (
    VARIANTS_FILE,
    mac_form,
    masculine_forms,
    share_variant,
    token_variant_keys,
    variant_groups,
    variant_index,
)


def test_file_is_ascii_and_every_line_is_a_group() -> None:
    assert data_text(VARIANTS_FILE).isascii()
    lines = data_lines(VARIANTS_FILE)
    assert len(lines) >= 300
    keys = [line.split(",")[0] for line in lines]
    assert len(keys) == len(set(keys)), "a group key is used twice"
    for line in lines:
        cells = line.split(",")
        assert len(cells) >= 2, line
        assert cells[0] == cells[0].upper(), line
        assert all(cell.strip() for cell in cells), line


@pytest.mark.parametrize(
    ("group", "members"),
    [
        ("MOHAMMED", "Mohammed Muhammad Mohamed Mohammad Muhammed Mohd"),
        ("HUSSAIN", "Hussain Hussein Husain"),
        ("CHAUDHRY", "Chaudhry Choudhury Chaudhary Chowdhury"),
        ("AHMED", "Ahmed Ahmad"),
        ("YUSUF", "Yusuf Yousef Youssef"),
        ("WILLIAM", "William Bill Will Billy Liam"),
        ("ROBERT", "Robert Bob Rob Bobby"),
        ("ELIZABETH", "Elizabeth Liz Beth Betty"),
        ("KATHERINE", "Katherine Catherine Kate Kathy"),
    ],
)
def test_domain_groups(group: str, members: str) -> None:
    for member in members.upper().split():
        assert group in variant_groups(member), member


def test_a_nickname_can_belong_to_several_names() -> None:
    assert {"CHRISTOPHER", "CHRISTINE", "CHRISTIAN"} <= variant_groups("CHRIS")
    assert share_variant("CHRIS", "CHRISTINA")
    assert not share_variant("CHRISTOPHER", "CHRISTINA")


def test_multi_word_members_are_keyed_joined() -> None:
    assert "ABUBAKAR" in variant_groups("ABUBAKR")
    assert "ABUBAKAR" in variant_groups("ABUBAKAR")
    assert "ABDIRAHMAN" in variant_groups("ABDULRAHMAN")


def test_rule_based_variants() -> None:
    assert mac_form("MCDONALD") == "MACDONALD"
    assert mac_form("MACDONALD") == "MACDONALD"
    assert mac_form("MC") == "MC"
    assert masculine_forms("KOWALSKA") == ["KOWALSKI"]
    assert masculine_forms("PETROVA") == ["PETROV", "PETR"]
    assert masculine_forms("EVA") == []
    assert token_variant_keys("ZBIGNIEW") == ["ZBIGNIEW"]
    assert token_variant_keys("NOWICKA", surname=True) == ["NOWICKA", "NOWICKI"]


def test_index_is_loaded_once() -> None:
    assert variant_index() is variant_index()

"""Resolved persons hold together: a link that would join contradicting records goes to review."""

from __future__ import annotations

from collections.abc import Sequence

from splink import DuckDBAPI

from polegraph.linking import model
from polegraph.linking.features import PersonRecord, feature_row
from polegraph.linking.jobs import Thresholds, bands
from tests.linking.test_model import BACKGROUND


def _banded(
    persons: list[PersonRecord],
    different: Sequence[tuple[str, str]] = (),
) -> dict[frozenset[str], tuple[model.ScoredPair, str]]:
    rows = [feature_row(p) for p in persons]
    linker = model.make_linker(DuckDBAPI(), rows, None, incremental=False)
    scored = model.predict(linker, Thresholds().review)
    by_uid = {row["unique_id"]: row for row in rows}
    return {
        frozenset((p.uid_a, p.uid_b)): (p, band) for p, band in bands(scored, by_uid, Thresholds(), different)
    }


# Two Kwame Mensahs of 1985 and a record with the year only that shares a phone with each.
ONE = PersonRecord(
    "a", "s1", "GMP", forenames="Kwame", surname="Mensah", dob="1985-05-12", phones=["+447700900301"]
)
YEAR_ONLY = PersonRecord(
    "b",
    "s2",
    "WYP",
    forenames="Kwame",
    surname="Mensah",
    dob="1985",
    phones=["+447700900301", "+447700900302"],
)
OTHER = PersonRecord(
    "c", "s3", "LAN", forenames="Kwame", surname="Mensah", dob="1985-11-23", phones=["+447700900302"]
)


def test_a_link_that_would_join_two_full_dates_of_birth_is_held_back_for_review() -> None:
    banded = _banded([ONE, YEAR_ONLY, OTHER, *BACKGROUND])
    links = [banded[frozenset("ab")], banded[frozenset("bc")]]
    assert all(pair.probability >= Thresholds().accept for pair, _ in links)
    assert sorted(band for _, band in links) == ["ACCEPTED", "REVIEW"]
    (held,) = [pair for pair, band in links if band == "REVIEW"]
    (kept,) = [pair for pair, band in links if band == "ACCEPTED"]
    assert held.probability <= kept.probability  # the stronger link is kept
    assert held.explanation["resolved_person"]["level"] == "would join records with different dates of birth"
    assert frozenset("ac") not in banded or banded[frozenset("ac")][1] != "ACCEPTED"


def test_swapped_or_default_dates_are_no_contradiction() -> None:
    swapped = PersonRecord("c", "s3", "LAN", forenames="Kwame", surname="Mensah", dob="1985-12-05",
                           phones=["+447700900302"])  # fmt: skip
    default = PersonRecord("d", "s4", "CTY", forenames="Kwame", surname="Mensah", dob="1985-01-01",
                           phones=["+447700900301"])  # fmt: skip
    banded = _banded([ONE, YEAR_ONLY, swapped, default, *BACKGROUND])
    accepted = {pair for pair, (_, band) in banded.items() if band == "ACCEPTED"}
    assert {frozenset("ab"), frozenset("bc"), frozenset("ad")} <= accepted
    assert all("resolved_person" not in pair.explanation for pair, _ in banded.values())


def test_records_decided_different_are_not_joined_through_a_third() -> None:
    same_day = PersonRecord("c", "s3", "LAN", forenames="Kwame", surname="Mensah", dob="1985-05-12",
                            phones=["+447700900302"])  # fmt: skip
    assert banded_band(_banded([ONE, YEAR_ONLY, same_day, *BACKGROUND]), "bc") == "ACCEPTED"
    banded = _banded([ONE, YEAR_ONLY, same_day, *BACKGROUND], different=[("a", "c")])
    assert sorted([banded_band(banded, "ab"), banded_band(banded, "bc")]) == ["ACCEPTED", "REVIEW"]
    assert {pair.explanation.get("resolved_person", {}).get("level") for pair, _ in banded.values()} >= {
        "would join records an analyst decided are different people"
    }


def banded_band(banded: dict[frozenset[str], tuple[model.ScoredPair, str]], pair: str) -> str:
    return banded[frozenset(pair)][1]


def test_a_new_link_is_checked_against_the_whole_resolved_person_it_would_join() -> None:
    # An incremental job scores only the new record's pairs: the link between ONE and YEAR_ONLY that
    # an earlier job resolved stays, and OTHER's link to YEAR_ONLY would join OTHER to ONE too.
    persons = [ONE, YEAR_ONLY, OTHER, *BACKGROUND]
    rows = [feature_row(p) for p in persons]
    linker = model.make_linker(DuckDBAPI(), rows, None, incremental=False)
    (new,) = [p for p in model.predict(linker, Thresholds().review) if {p.uid_a, p.uid_b} == {"b", "c"}]
    assert new.probability >= Thresholds().accept
    by_uid = {row["unique_id"]: row for row in rows}
    ((_, band_alone),) = bands([new], by_uid, Thresholds())
    assert band_alone == "ACCEPTED"  # on its own nothing contradicts it
    ((held, band),) = bands([new], by_uid, Thresholds(), joined=[("a", "b")])
    assert band == "REVIEW"
    assert held.explanation["resolved_person"]["level"] == "would join records with different dates of birth"

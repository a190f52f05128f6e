"""What a search finds and why: names through every kind of variation, identifiers from every format,
dates of birth, free text, filters and facets. Against the real engines, on the loaded corpus."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from polegraph.ingest import load_file
from polegraph.search.filters import SearchError, SearchFilter
from polegraph.search.query import search
from polegraph.search.results import SearchResult
from tests.conftest import Engines
from tests.search.corpus import (
    AMIR_KHAN,
    HUSSAIN,
    JOHNSTONE,
    KHAN_1987,
    KHAN_CRIME,
    ONEILL,
    SMITH,
    WY_INT_1,
    WYP_OFFICER,
)


def run(corpus: Engines, text: str, **kwargs: object) -> SearchResult:
    return search(corpus.es, corpus.settings, WYP_OFFICER, text, **kwargs)  # type: ignore[arg-type]


def uids(result: SearchResult) -> list[str]:
    return [h.uid for h in result.hits]


def reasons(result: SearchResult, uid: str) -> str:
    (hit,) = [h for h in result.hits if h.uid == uid]
    assert hit.explanations, f"{uid} has no explanation"
    return " | ".join(hit.explanations)


@pytest.mark.parametrize(
    ("query", "found", "why"),
    [
        (
            "Mohammed Khan",
            KHAN_CRIME,
            "name MOHAMMED KHAN",
        ),  # the record also has IMRAN: a missing middle name
        ("Muhammad Khan", KHAN_CRIME, "name variant of MUHAMMAD (MOHAMMED)"),  # transliteration
        ("Mohd Khan", KHAN_CRIME, "name variant of MOHD (MOHAMMED)"),
        ("KHAN, Mohammed", KHAN_CRIME, "name MOHAMMED KHAN"),  # surname first
        ("Khan Mohammed", KHAN_CRIME, "name"),  # swapped order, no comma
        ("Mohammed Imran Khan", KHAN_1987, "name variant of MOHAMMED (MUHAMMAD)"),  # the record lacks IMRAN
        ("Mohammed Imran Khan", KHAN_CRIME, "full name MOHAMMED IMRAN KHAN in any order"),
        ("Bill Smith", SMITH, "name variant of BILL (WILLIAM)"),  # nickname
        ("Willaim Smith", SMITH, "WILLIAM"),  # typo
        ("Katherine Johnston", JOHNSTONE, "JOHNSTONE"),  # a letter short
        ("Sean ONeill", ONEILL, "name SEAN ONEILL"),  # apostrophe left out
        # A misspelt nickname: BILLLY is no name, but one letter from BILLY, a variant of WILLIAM.
        ("Billly Smith", SMITH, "misspelt name, variant of BILLY (WILLIAM)"),
        ("Kaite Johnstone", JOHNSTONE, "misspelt name, variant of KATE/KATIE (KATHERINE)"),
        ("Ami Khan", AMIR_KHAN, "name spelt like AMI (AMIR)"),  # a three-letter typo of AMIR
        ("M Khan", KHAN_CRIME, "initials M KHAN | name KHAN | initial M (MOHAMMED)"),
        ("Immy Khan", None, None),  # no such alias: nothing is invented
    ],
)
def test_a_name_is_found_through_each_kind_of_variation(
    corpus: Engines, query: str, found: str | None, why: str | None
) -> None:
    result = run(corpus, query)
    if found is None:
        assert KHAN_CRIME not in uids(result)
        return
    assert found in uids(result)
    assert why is not None
    assert why in reasons(result, found)


def test_a_name_alone_never_matches_on_one_common_part(corpus: Engines) -> None:
    found = uids(run(corpus, "Mohammed Khan"))
    assert HUSSAIN not in found  # a Mohammed who is not a Khan
    assert AMIR_KHAN not in found  # a Khan who is not a Mohammed


@pytest.mark.parametrize(
    "query", ["07911 123456", "07911123456", "+44 7911 123456", "+44 (0)7911 123456", "0044 7911 123 456",
              "447911123456", "07911-123-456"],
)  # fmt: skip
def test_a_phone_is_found_from_every_format(corpus: Engines, query: str) -> None:
    result = run(corpus, query)
    assert uids(result)[0] == "phone:+447911123456"
    assert "phone +447911123456 matched in any format" in reasons(result, "phone:+447911123456")


@pytest.mark.parametrize(
    ("query", "found", "why"),
    [
        ("YX65 ABC", "vehicle:YX65ABC", "vehicle registration YX65ABC"),
        ("yx65abc", "vehicle:YX65ABC", "vehicle registration YX65ABC"),
        ("YX65A8C", "vehicle:YX65ABC", "registration YX65ABC could be an ANPR misread of YX65A8C"),
        ("YX6S ABC", "vehicle:YX65ABC", "could be an ANPR misread of YX6SABC"),
        ("YX65", "vehicle:YX65ABC", "registration starting YX65 (YX65ABC)"),
        ("OL161AA", "postcode:OL16 1AA", "postcode OL16 1AA"),
        ("ol16 1aa", "address:12 HIGH STREET ROCHDALE OL16 1AA", "postcode OL16 1AA"),
        ("OL16", "address:PREMIER INN ROCHDALE OL16 1AA", "postcode district OL16"),
        ("m.khan87@EXAMPLE.com", "email:m.khan87@example.com", "e-mail m.khan87@example.com"),
        ("08/56560Z", KHAN_CRIME, "PNC ID 2008/0056560Z"),
        ("jt456789d", KHAN_CRIME, "National Insurance number JT456789D"),
        ("JT 45 67 89", KHAN_CRIME, "National Insurance number JT456789"),  # no suffix letter
        ("wy-int-1", WY_INT_1, "reference wy-int-1"),
    ],
)
def test_an_identifier_is_found_from_every_format(corpus: Engines, query: str, found: str, why: str) -> None:
    result = run(corpus, query)
    assert found in uids(result)
    assert why in reasons(result, found)


def test_an_identifier_written_in_a_narrative_is_found(corpus: Engines) -> None:
    # WY-INT-2 names the phone and the car only in its text ("YX65 ABC", "07911 123456"): the nodes
    # come first, the report after them, in whatever format the query was typed.
    for query, node, value in (
        ("+44 7911 123456", "phone:+447911123456", "+447911123456"),
        ("yx65abc", "vehicle:YX65ABC", "YX65ABC"),
    ):
        result = run(corpus, query)
        assert uids(result)[0] == node
        assert "intelreport:WYP:INTEL:WY-INT-2" in uids(result)
        assert f"text mentions {value}" in reasons(result, "intelreport:WYP:INTEL:WY-INT-2")


def test_dates_of_birth_tolerate_swaps_and_partial_dates(corpus: Engines) -> None:
    full = run(corpus, "Mohammed Khan 19/05/1987")
    # The two records with that full DOB (a crime and an intelligence subject) come before the one
    # recorded with the year only.
    assert set(uids(full)[:2]) == {KHAN_CRIME, "person:WYP:INTEL:WY-INT-1:subject1"}
    assert uids(full)[2] == KHAN_1987
    assert "DOB 1987-05-19" in reasons(full, KHAN_CRIME)
    assert "DOB recorded only as 1987" in reasons(full, KHAN_1987)
    swapped = run(corpus, "William Smith 03/04/1990")  # recorded as 04/03/1990
    assert uids(swapped)[0] == SMITH
    assert "DOB with day/month swapped (1990-03-04)" in reasons(swapped, SMITH)
    year = run(corpus, "Khan 1990")
    assert uids(year)[0] == AMIR_KHAN
    assert "born in 1990" in reasons(year, AMIR_KHAN)
    # A date only ranks beside a name: the 1990 Smith is not a Khan.
    assert SMITH not in uids(year)
    # A date alone is the search.
    alone = run(corpus, "19/05/1987")
    assert KHAN_CRIME in uids(alone)
    assert SMITH not in uids(alone)


def test_a_typed_dob_ranks_an_agreeing_year_and_no_dob_above_namesakes_born_in_other_years(
    corpus: Engines, tmp_path: Path
) -> None:
    # Four records of one name: the DOB typed, the same year with another day and month, no DOB, and
    # a namesake born nineteen years earlier. Among a million records a common name has a hundred
    # such namesakes; the person's own records must stay above them.
    # References run the other way, so that equal scores (ordered by uid) would fail the test.
    rows = [("WY/25/2004", "18/03/2009"), ("WY/25/2003", "17/02/2009"), ("WY/25/2002", ""),
            ("WY/25/2001", "04/05/1990")]  # fmt: skip
    path = tmp_path / "holloway.csv"
    path.write_text(
        "Occurrence Ref,Offence Description,Committed From,MO,Nominal 1 Role,Nominal 1 Surname,"
        "Nominal 1 Forenames,Nominal 1 DOB\n"
        + "".join(
            f"{ref},Missing from care,2025-01-05T10:00:00,,Victim,HOLLOWAY,Rebecca,{dob}\n"
            for ref, dob in rows
        ),
        encoding="utf-8",
    )
    load_file(corpus.settings, corpus.driver, corpus.es, "crime", path, force="WYP")
    result = run(corpus, "Rebecca Holloway 18/03/2009")
    people = [uid for uid in uids(result) if uid.startswith("person:")]
    assert people == [f"person:WYP:CRIME:{ref}:nominal1" for ref, _ in rows]
    assert "born in 2009, DOB recorded as 2009-02-17" in reasons(
        result, "person:WYP:CRIME:WY/25/2003:nominal1"
    )
    # The namesake is still found (a wrong DOB may be the recording's mistake), only lower.
    assert "name REBECCA HOLLOWAY" in reasons(result, "person:WYP:CRIME:WY/25/2001:nominal1")


def test_free_text_is_ranked_and_highlighted(corpus: Engines) -> None:
    result = run(corpus, "girl taken to a hotel in Rochdale")
    assert uids(result)[:2] == ["crime:WYP:CRIME:WY/24/1001", WY_INT_1] or set(uids(result)[:2]) == {
        "crime:WYP:CRIME:WY/24/1001", WY_INT_1}  # fmt: skip
    top = result.hits[0]
    assert "text" in top.highlights
    assert "<em>" in top.highlights["text"][0]
    assert any(line.startswith("text") for line in top.explanations)
    # The SECRET report is above the officer's clearance; the WYP-only one (C) is readable at home.
    assert "intelreport:WYP:INTEL:WY-INT-3" not in uids(result)


def test_every_hit_is_explained_and_carries_its_security_labels(corpus: Engines) -> None:
    for query in ("Khan", "07911 123456", "Rochdale hotel", "YX65", "1987"):
        for hit in run(corpus, query, first=50).hits:
            assert hit.explanations, (query, hit.uid)
            assert hit.force == "WYP"
            assert hit.record["classification"] in ("OFFICIAL", "OFFICIAL-SENSITIVE")
            assert "embedding" not in hit.record
            assert "name_keys" not in hit.record


def test_filters_narrow_and_facets_count_around_them(corpus: Engines) -> None:
    everything = run(corpus, "Khan")
    assert everything.facets["label"]["Person"] >= 3
    assert everything.facets["label"]["IntelReport"] >= 1
    people = run(corpus, "Khan", filters=SearchFilter(labels=("Person",)))
    assert {h.label for h in people.hits} == {"Person"}
    # The label facet still shows the other types; the force facet counts what the filter leaves.
    assert people.facets["label"] == everything.facets["label"]
    assert people.facets["force"]["WYP"] == people.total
    intel = run(corpus, "Khan", filters=SearchFilter(labels=("IntelReport",), source_evaluations=("1",)))
    assert uids(intel) == ["intelreport:WYP:INTEL:WY-INT-2"]
    spring = SearchFilter(period_from=dt.date(2024, 3, 1), period_to=dt.date(2024, 3, 2))
    assert set(uids(run(corpus, "hotel Rochdale", filters=spring))) == {
        "crime:WYP:CRIME:WY/24/1001",
        WY_INT_1,
    }
    crime = SearchFilter(crime_types=("burglary DWELLING",))
    assert uids(run(corpus, "jewellery", filters=crime)) == ["crime:WYP:CRIME:WY/24/1003"]
    systems = run(corpus, "Khan", filters=SearchFilter(source_systems=("INTEL",)))
    assert systems.hits
    assert all("INTEL" in h.source_systems for h in systems.hits)


def test_bad_requests_are_refused_with_a_reason(corpus: Engines) -> None:
    with pytest.raises(SearchError, match="unknown entity type"):
        SearchFilter(labels=("Person) OR (1=1",))
    with pytest.raises(SearchError, match="1 to 100"):
        run(corpus, "Khan", first=101)
    with pytest.raises(SearchError, match="not one this service issued"):
        run(corpus, "Khan", after="not-a-cursor")
    # Query text is only ever a value: DSL-looking input is searched for, not executed.
    assert run(corpus, '{"match_all": {}} *:* _id:*').total == 0

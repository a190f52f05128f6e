"""The linker's features, security labels and model, without the graph (Splink on in-process DuckDB)."""

from __future__ import annotations

from splink import DuckDBAPI

from polegraph.linking import model
from polegraph.linking.features import PersonRecord, feature_row
from polegraph.linking.jobs import Thresholds
from polegraph.linking.store import link_labels, link_uid


def _person(uid: str, source: str, **props: object) -> PersonRecord:
    return PersonRecord(uid, source, "GMP", **props)  # type: ignore[arg-type]


def test_transliterations_nicknames_and_swapped_dates_meet_on_their_keys() -> None:
    a = feature_row(_person("a", "s1", forenames="Mohammed", surname="Khan", dob="1987-03-04"))
    b = feature_row(_person("b", "s2", forenames="Muhammad", surname="Khan", dob="1987-04-03"))
    assert (a["forename_v"], a["surname_v"]) == (b["forename_v"], b["surname_v"])
    assert a["dob_swapped"] == b["dob"]
    bill = feature_row(_person("c", "s3", full_name="Bill Jones"))
    william = feature_row(_person("d", "s4", forenames="William", surname="JONES"))
    assert set(bill["forename_keys"]) & set(william["forename_keys"])


def test_partial_and_default_dates_and_postcodes_give_their_parts() -> None:
    row = feature_row(_person("a", "s1", dob="1987", postcodes=["M13 9PL", "M13 9PL"], sex="UNKNOWN"))
    assert (row["dob_year"], row["dob_partial"], row["dob_md"], row["sex"]) == (1987, True, None, None)
    assert (row["postcodes"], row["sectors"], row["districts"]) == (["M13 9PL"], ["M13 9"], ["M13"])
    assert feature_row(_person("b", "s2", dob="1990-01-01"))["dob_jan1"] is True


def test_a_link_carries_the_stricter_labels_of_its_ends() -> None:
    gmp = {"classification": "OFFICIAL", "handling_code": "P"}
    wyp = {"classification": "SECRET", "handling_code": "C", "handling_conditions": "WYP only"}
    labels = link_labels("GMP", gmp, "WYP", wyp)
    assert labels["force"] == "WYP"
    assert (labels["classification"], labels["handling_code"]) == ("SECRET", "C")
    assert (labels["forces"], labels["handling_conditions"]) == (["GMP", "WYP"], "WYP only")
    # An unlabelled end counts as OFFICIAL-SENSITIVE: a missing label never loosens a link.
    assert link_labels("GMP", gmp, "LAN", {})["classification"] == "OFFICIAL-SENSITIVE"
    assert link_uid("x", "y") == link_uid("y", "x")


def _scored(persons: list[PersonRecord]) -> tuple[int, dict[frozenset[str], model.ScoredPair]]:
    db_api = DuckDBAPI()
    linker = model.make_linker(db_api, [feature_row(p) for p in persons], None, incremental=False)
    compared = model.block(db_api, linker)
    return compared, {frozenset((p.uid_a, p.uid_b)): p for p in model.predict(linker, 0.0)}


BACKGROUND = [
    _person(f"bg{i}", f"bg{i}", forenames=f, surname=s, dob=f"19{60 + i}-0{1 + i % 9}-1{i % 9}")
    for i, (f, s) in enumerate(
        [
            (f, s)
            for f in ("Oliver", "Amelia", "Jack", "Grace", "Isla")
            for s in ("Evans", "Reid", "Nowak", "Patel")
        ]
    )
]


def test_the_prior_model_accepts_agreement_beyond_the_name_and_never_the_name_alone() -> None:
    khan = _person(
        "a", "s1", forenames="Mohammed", surname="Khan", dob="1987-03-04", phones=["+447700900123"]
    )
    muhammad = _person(
        "b", "s2", forenames="Muhammad", surname="KHAN", dob="1987-03-04", phones=["+447700900123"]
    )
    smith = _person("c", "s3", forenames="John", surname="Smith", dob="1985-05-12")
    namesake = _person("d", "s4", forenames="John", surname="Smith", dob="1985-11-23")
    name_only = _person("e", "s5", forenames="John", surname="Smith")
    _, scored = _scored([khan, muhammad, smith, namesake, name_only, *BACKGROUND])
    thresholds = Thresholds()
    linked = scored[frozenset("ab")]
    assert linked.probability >= 0.99
    assert thresholds.band(linked) == "ACCEPTED"
    assert linked.explanation["forename"]["level"] == "same name or variant"
    assert linked.explanation["phone"]["agrees"] is True
    assert linked.explanation["dob"]["weight"] > 0
    assert thresholds.band(scored[frozenset("cd")]) != "ACCEPTED"
    assert scored[frozenset("cd")].explanation["dob"]["weight"] < 0  # another date in the same year
    assert thresholds.band(scored[frozenset("ce")]) != "ACCEPTED"
    assert not model.beyond_names(scored[frozenset("ce")].explanation)


def test_two_nominals_of_one_source_record_are_never_compared() -> None:
    first = _person("a", "same", forenames="Mohammed", surname="Khan", dob="1987-03-04")
    second = _person("b", "same", forenames="Mohammed", surname="Khan", dob="1987-03-04")
    compared, scored = _scored([first, second, *BACKGROUND])
    assert compared == 0
    assert scored == {}


def test_a_transliteration_missing_from_the_variant_list_meets_its_group_through_its_nearest_names() -> None:
    # HUSSEYN is in no variant group; one keying error from HUSSEIN, whose group holds HUSSAIN.
    mohammed = _person("a", "s1", forenames="Mohammed", surname="Hussain", dob="1990-07-21", sex="MALE")
    mouhammed = _person("b", "s2", forenames="Mouhammed", surname="Husseyn", dob="1990-07-21", sex="MALE")
    row = feature_row(mouhammed)
    assert row["surname_keys"] == ["HUSSEYN"]
    assert set(row["surname_near"]) & set(feature_row(mohammed)["surname_keys"])
    _, scored = _scored([mohammed, mouhammed, *BACKGROUND])
    linked = scored[frozenset("ab")]
    assert linked.explanation["surname"]["level"] == "a misspelt variant"
    assert linked.explanation["surname"]["weight"] > 0
    assert Thresholds().band(linked) == "ACCEPTED"


def test_swapped_birth_dates_are_compared_and_linked_when_the_surname_is_written_differently() -> None:
    # Neither pair shares a surname key or a full date: only the rule on forename, birth year and
    # the surname's first letter brings them together.
    mcdonald = _person("a", "s1", forenames="Sarah", surname="McDonald", dob="1985-03-07")
    macdonald = _person("b", "s2", forenames="Sarah", surname="MacDonald", dob="1985-07-03")
    kaminska = _person("c", "s3", forenames="Agnieszka", surname="Kaminska", dob="2000-02-06")
    misspelt = _person("d", "s4", forenames="Agnieszka", surname="Kaminka", dob="2000-06-02")
    compared, scored = _scored([mcdonald, macdonald, kaminska, misspelt, *BACKGROUND])
    assert compared == 2
    mac, typo = scored[frozenset("ab")], scored[frozenset("cd")]
    assert (mac.explanation["surname"]["level"], mac.explanation["dob"]["level"]) == (
        "variants of one name",
        "day and month swapped",
    )
    assert typo.explanation["surname"]["agrees"]
    assert typo.explanation["surname"]["weight"] > 0
    assert typo.explanation["dob"]["level"] == "day and month swapped"
    assert Thresholds().band(mac) == Thresholds().band(typo) == "ACCEPTED"


def test_a_surname_prefix_read_as_a_middle_name_by_one_record_still_meets_the_surname() -> None:
    # "Ibrahim Abdul Mirza" parses as surname ABDUL MIRZA; "MIRZA, Ibrahim Abdul" has MIRZA.
    natural = _person("a", "s1", full_name="IBRAHIM ABDUL MIRZA", dob="1952-09-11", phones=["+447700900555"])
    listed = _person("b", "s2", forenames="IBRAHIM ABDUL", surname="MIRZA", dob="1952-11-09")
    assert feature_row(natural)["surname_folded"] == "ABDULMIRZA"
    compared, scored = _scored([natural, listed, *BACKGROUND])
    assert compared == 1
    linked = scored[frozenset("ab")]
    assert linked.explanation["surname"]["level"] == "variants of one name"
    assert Thresholds().band(linked) == "ACCEPTED"

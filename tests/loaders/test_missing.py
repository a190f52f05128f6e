"""Missing-person loader: episodes, risk, looked-after children and the places they are found."""

from __future__ import annotations

from polegraph.loaders.records import Bundle
from tests.loaders.test_nominals import (
    FIXTURES,
    bundles_of,
    csv_record_count,
    edges,
    node,
    quarantined_of,
    read_all,
)

EPISODES = FIXTURES / "missing" / "missing_episodes.csv"


def by_id() -> dict[str, Bundle]:
    return {b.source.record_id: b for b in bundles_of(read_all("missing", EPISODES))}


def test_every_episode_is_a_bundle_or_quarantined() -> None:
    items = read_all("missing", EPISODES)
    assert len(items) == csv_record_count(EPISODES) == 7
    assert len(bundles_of(items)) == 6
    assert [(q.line, q.field) for q in quarantined_of(items)] == [(6, "reference")]
    assert sorted(by_id()) == [
        "MFH/24/0301#3",
        "MFH/24/0301#4",
        "MFH/24/0302#1",
        "MFH/24/0303",
        "MFH/24/0304#1",
    ]


def test_an_episode_with_risk_and_exploitation_flags() -> None:
    episode = by_id()["MFH/24/0301#3"]
    props = node(episode, "MissingEpisode").props
    assert props["episode_number"] == 3
    assert props["risk_level"] == "HIGH"
    assert props["risk_factors"] == ["CSE", "Older boyfriend", "Substance misuse"]
    assert props["cse_flag"] is True
    assert "cce_flag" not in props
    assert props["looked_after_child"] is True
    assert (props["last_seen_at"], props["occurred_from"], props["occurred_to"]) == (
        "2024-03-05T19:45:00+00:00",
        "2024-03-05T23:30:00+00:00",
        "2024-03-07T04:10:00+00:00",
    )
    assert node(episode, "Person", "missing").props["dob"] == "2009-08-12"
    assert sorted(e.props["role"] for e in edges(episode, "INVOLVED_IN")) == ["FOUND_WITH", "MISSING_PERSON"]


def test_places_of_the_episode() -> None:
    episode = by_id()["MFH/24/0301#3"]
    places = {e.props["role"]: e.end_uid for e in edges(episode, "OCCURRED_AT")}
    home = "address:OAK HOUSE CHILDREN S HOME 9 OAK ROAD LEEDS LS7 3PD"
    assert places == {
        "MISSING_FROM": home,  # the home postcode applies to "missing from" the same address
        "LAST_SEEN": "address:MCDONALD S BRIGGATE LEEDS",
        "FOUND": "address:FLAT 2 33 HYDE PARK ROAD LEEDS LS6 1AB",
    }
    (lives_at,) = edges(episode, "LIVES_AT")
    assert lives_at.end_uid == home


def test_where_a_child_is_found_meets_a_custody_record() -> None:
    found = {
        e.end_uid for b in by_id().values() for e in edges(b, "OCCURRED_AT") if e.props["role"] == "FOUND"
    }
    custody = bundles_of(read_all("custody", FIXTURES / "custody" / "custody_records.csv"))
    arrested = next(b for b in custody if b.source.record_id == "WY/C/24/010001")
    (home,) = edges(arrested, "LIVES_AT")
    assert home.end_uid in found


def test_risk_levels_flags_and_partial_dates() -> None:
    episodes = by_id()
    cce = node(episodes["MFH/24/0302#1"], "MissingEpisode").props
    assert (cce["risk_level"], cce["cce_flag"], cce["looked_after_child"]) == ("MEDIUM", True, False)
    low = node(episodes["MFH/24/0303"], "MissingEpisode").props
    assert low["risk_level"] == "NO_APPARENT_RISK"
    assert "episode_number" not in low
    assert node(episodes["MFH/24/0303"], "Person", ":missing").props["dob"] == "2011-02"  # 31/02/2011
    open_episode = node(episodes["MFH/24/0304#1"], "MissingEpisode").props
    assert open_episode["risk_level"] == "ABSENT"
    assert open_episode.keys().isdisjoint({"occurred_from", "occurred_to", "found_at"})  # "March 2024"


def test_repeat_episodes_are_separate_records() -> None:
    episodes = by_id()
    third, fourth = episodes["MFH/24/0301#3"], episodes["MFH/24/0301#4"]
    assert node(third, "MissingEpisode").uid != node(fourth, "MissingEpisode").uid
    assert (
        node(third, "Person", ":missing").uid != node(fourth, "Person", ":missing").uid
    )  # nominals are never merged here


def _found_with(bundle: Bundle) -> list[dict[str, object]]:
    """The props of each person the episode says the child was found with, by part."""
    adults = {e.start_uid for e in edges(bundle, "INVOLVED_IN") if e.props == {"role": "FOUND_WITH"}}
    return [n.props for n in bundle.nodes if n.uid in adults]


def test_the_adult_a_child_was_found_with_is_a_nominal_of_the_episode() -> None:
    episode = by_id()["MFH/24/0301#3"]
    (adult,) = _found_with(episode)
    assert adult == {
        "full_name": "JONES, BILLY",
        "forenames": "BILLY",
        "surname": "JONES",
        "dob": "1985-07-03",
    }
    found_with = node(episode, "Person", "found_with")
    assert {(e.type, e.end_uid) for e in episode.edges if e.start_uid == found_with.uid} == {
        ("INVOLVED_IN", node(episode, "MissingEpisode").uid),
        ("HAS_PHONE", "phone:+447700900123"),
        ("DRIVES", "vehicle:YX19ABC"),
    }
    # The child keeps their own details: none of the found-with columns leaks into them.
    assert node(episode, "Person", "missing").props["dob"] == "2009-08-12"
    assert not [
        e for e in edges(episode, "HAS_PHONE") if e.start_uid == node(episode, "Person", "missing").uid
    ]


def test_one_adult_written_two_ways_meets_on_phone_and_vehicle() -> None:
    later = by_id()["MFH/24/0301#4"]
    (adult,) = _found_with(later)
    assert (adult["forenames"], adult["aliases"], adult["dob"]) == ("WILLIAM", ["BILL"], "1985-03-07")
    assert {e.end_uid for e in later.edges if e.type in ("HAS_PHONE", "DRIVES")} == {
        "phone:+447700900123", "vehicle:YX19ABC",
    }  # fmt: skip


def test_several_adults_in_one_column_are_several_nominals_without_identifiers() -> None:
    episode = by_id()["MFH/24/0302#1"]
    assert sorted(str(p["full_name"]) for p in _found_with(episode)) == ["AHMED, BILAL", "KHAN, IMRAN"]
    # The DOB and phone columns name neither of the two: the payload keeps them, the nominals do not.
    assert all("dob" not in p for p in _found_with(episode))
    assert edges(episode, "HAS_PHONE") == []
    assert episode.source.payload["found_with_phone"] == "07700 900777"


def test_an_adult_described_not_named_is_kept_for_the_phone_given() -> None:
    episode = by_id()["MFH/24/0303"]
    assert _found_with(episode) == [{}]  # "Unknown male": no name, but the phone is theirs
    (phone,) = edges(episode, "HAS_PHONE")
    assert (phone.start_uid, phone.end_uid) == (
        node(episode, "Person", "found_with").uid,
        "phone:+447700900456",
    )
    assert _found_with(by_id()["MFH/24/0304#1"]) == []  # still missing: found with no one


def test_found_with_columns_under_other_names() -> None:
    episodes = {
        b.source.record_id: b
        for b in bundles_of(read_all("missing", FIXTURES / "missing" / "found_with_columns.csv"))
    }
    (split,) = _found_with(episodes["WY/MFH/24/0411#2"])  # surname and forename in their own columns
    assert (split["surname"], split["forenames"], split["dob"]) == ("HUSSAIN", "MOHAMMED", "1988-11-23")
    assert {e.end_uid for e in edges(episodes["WY/MFH/24/0411#2"], "DRIVES")} == {"vehicle:YX19ABC"}
    assert _found_with(episodes["WY/MFH/24/0412#1"]) == []  # "Alone"
    (company,) = _found_with(episodes["WY/MFH/24/0413#1"])  # "In Company Of"
    assert (company["full_name"], company["dob"]) == ("HUSSEIN, MUHAMMAD", "1988-11-23")

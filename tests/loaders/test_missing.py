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
    assert [e.props for e in edges(episode, "INVOLVED_IN")] == [{"role": "MISSING_PERSON"}]


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
    assert node(episodes["MFH/24/0303"], "Person").props["dob"] == "2011-02"  # 31/02/2011
    open_episode = node(episodes["MFH/24/0304#1"], "MissingEpisode").props
    assert open_episode["risk_level"] == "ABSENT"
    assert open_episode.keys().isdisjoint({"occurred_from", "occurred_to", "found_at"})  # "March 2024"


def test_repeat_episodes_are_separate_records() -> None:
    episodes = by_id()
    third, fourth = episodes["MFH/24/0301#3"], episodes["MFH/24/0301#4"]
    assert node(third, "MissingEpisode").uid != node(fourth, "MissingEpisode").uid
    assert node(third, "Person").uid != node(fourth, "Person").uid  # nominals are never merged here

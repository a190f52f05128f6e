"""Mentions against the real engines: a report linked to the phone it names (written differently from
the stored number), to a person by the gazetteer, and to objects nobody had recorded, with offsets
and the report's labels; re-runs, changed texts and the rules themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from polegraph.ingest import load_file
from polegraph.nlp.extract import build_pipeline, extract_pending, mentions_in
from polegraph.nlp.gazetteer import Gazetteer
from polegraph.nlp.rules import find_identifiers
from tests.conftest import Engines
from tests.nlp.conftest import count, load_intel, write_intel

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPORT = (
    "Kyle Brown was seen on 05/03/2024 calling +44 (0)7700 900 123 and gave out a new number, "
    "07700900555. He drives AB12 CDE; snapchat: kuba_99; IMEI 356938035643809."
)


def _mentions(engines: Engines, urn: str) -> dict[str, dict[str, Any]]:
    records, _, _ = engines.driver.execute_query(
        "MATCH (r:IntelReport {urn: $urn})-[e:MENTIONS]->(t) RETURN t.uid AS uid, labels(t) AS labels, "
        "properties(e) AS e",
        urn=urn, database_=engines.settings.neo4j_database,
    )  # fmt: skip
    return {r["uid"]: {**dict(r["e"]), "target_labels": r["labels"]} for r in records}


def test_report_linked_to_phone_person_and_new_objects(engines: Engines, tmp_path: Path) -> None:
    # The fixture holds Kyle BROWN as a subject, with his phone "07700 900123" and vehicle "AB12 CDE".
    load_file(engines.settings, engines.driver, engines.es, "intel", FIXTURES / "intel" / "intel_reports.csv",
              force="WYP")  # fmt: skip
    assert count(engines, "MATCH (p:Phone {uid: 'phone:+447700900123'}) RETURN count(p)") == 1
    load_intel(engines, write_intel(tmp_path / "nyp.csv", [("NY-INT-9", REPORT)], "SECRET"), force="NYP")

    summary = extract_pending(engines.settings, engines.driver, engines.es)
    assert summary.extracted >= 1
    mentions = _mentions(engines, "NY-INT-9")

    phone = mentions["phone:+447700900123"]
    surface = "+44 (0)7700 900 123"
    assert (phone["start"], phone["end"], phone["surface"]) == (REPORT.index(surface), REPORT.index(surface) +
                                                               len(surface), surface)  # fmt: skip
    assert (phone["property"], phone["method"], phone["force"], phone["classification"]) == (
        "text", "RULE", "NYP", "SECRET")  # fmt: skip
    assert phone["source_keys"] == ["src:NYP:INTEL:NY-INT-9"]
    assert phone["access"] == ["NYP|SECRET|P"]
    # The phone WYP recorded gains the report's token, and its raw form under it: NYP reads it
    # through its report, WYP's readers see only WYP's raw value.
    records, _, _ = engines.driver.execute_query(
        "MATCH (p:Phone {uid: 'phone:+447700900123'}) RETURN p.access AS access, p.raw_access AS raw",
        database_=engines.settings.neo4j_database,
    )  # fmt: skip
    assert records[0]["access"][0].startswith("WYP|")
    assert records[0]["access"][-1] == "NYP|SECRET|P"
    assert f"NYP|SECRET|P|{surface}" in records[0]["raw"]

    person_uid, person = next((uid, m) for uid, m in mentions.items() if "Person" in m["target_labels"])
    assert (person["start"], person["end"], person["surface"]) == (0, 10, "Kyle Brown")
    # The nominal of the fixture's report (the subject "Kyle BROWN").
    subject = (
        "MATCH (:Person {uid: $uid})-[:SUBJECT_OF]->(:IntelReport {urn: 'WY-INT-24-004411'}) RETURN count(*)"
    )
    assert count(engines, subject, uid=person_uid) == 1

    assert "vehicle:AB12CDE" in mentions
    # Objects nobody had recorded: created, with the report's labels and provenance.
    for uid in ("phone:+447700900555", "account:SNAPCHAT:kuba_99", "device:356938035643809"):
        assert uid in mentions
    records, _, _ = engines.driver.execute_query(
        "MATCH (p:Phone {uid: 'phone:+447700900555'})-[:FROM_SOURCE]->(s:SourceRecord) "
        "RETURN labels(p) AS l, p.force AS force, p.raw_values AS raw, s.uid AS source, p.access AS access",
        database_=engines.settings.neo4j_database,
    )  # fmt: skip
    assert sorted(records[0]["l"]) == ["Entity", "Object", "Phone"]
    assert (records[0]["force"], records[0]["raw"], records[0]["source"]) == (
        "NYP", ["07700900555"], "src:NYP:INTEL:NY-INT-9")  # fmt: skip
    assert records[0]["access"] == ["NYP|SECRET|P"]
    doc = engines.es.get(index=engines.settings.index_name("entities"), id="phone:+447700900555")["_source"]
    assert doc["phones"] == "+447700900555"
    # A date is found but names no entity: no edge.
    assert summary.by_kind["DATE"] >= 1
    assert len(mentions) == 6

    again = extract_pending(engines.settings, engines.driver, engines.es)
    assert (again.extracted, again.mentions) == (0, 0)


def test_changed_text_replaces_machine_mentions_only(engines: Engines, tmp_path: Path) -> None:
    load_intel(
        engines, write_intel(tmp_path / "v1.csv", [("WY-INT-7", "Call 07700 900111 or 07700 900222.")])
    )
    extract_pending(engines.settings, engines.driver, engines.es)
    assert set(_mentions(engines, "WY-INT-7")) == {"phone:+447700900111", "phone:+447700900222"}
    # An analyst's own mention survives re-extraction.
    engines.driver.execute_query(
        "MATCH (r:IntelReport {urn: 'WY-INT-7'}), (p:Phone {uid: 'phone:+447700900222'}) "
        "CREATE (r)-[:MENTIONS {uid: 'manual-1', method: 'MANUAL', property: 'text', start: 0, end: 4}]->(p)",
        database_=engines.settings.neo4j_database,
    )  # fmt: skip
    load_intel(engines, write_intel(tmp_path / "v2.csv", [("WY-INT-7", "Call 07700 900111 only.")]))
    summary = extract_pending(engines.settings, engines.driver, engines.es)
    assert (summary.extracted, summary.removed) == (1, 1)
    methods = sorted((uid, m["method"]) for uid, m in _mentions(engines, "WY-INT-7").items())
    assert methods == [("phone:+447700900111", "RULE"), ("phone:+447700900222", "MANUAL")]


def test_message_handle_links_existing_account(engines: Engines) -> None:
    load_file(
        engines.settings, engines.driver, engines.es, "ufdr", FIXTURES / "ufdr" / "sample.ufdr", force="WYP"
    )
    engines.driver.execute_query(
        "MATCH (m:Message) WITH m LIMIT 1 SET m.body = 'ask @kuba_99 where the flat is'",
        database_=engines.settings.neo4j_database,
    )
    extract_pending(engines.settings, engines.driver, engines.es, labels=["Message"])
    assert count(engines, "MATCH (:Message)-[e:MENTIONS]->(a:Account {uid: 'account:SNAPCHAT:kuba_99'}) "
                          "WHERE e.surface = '@kuba_99' RETURN count(e)") == 1  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ring 0044 7700 900789 now", [("PHONE", "+447700900789", "0044 7700 900789")]),
        ("IMEI: 35-693803-564380-9", [("IMEI", "356938035643809", "35-693803-564380-9")]),
        ("van ab12 cde parked, M1 1AE", [("VRM", "AB12CDE", "ab12 cde"), ("POSTCODE", "M1 1AE", "M1 1AE")]),
        ("mail K.Uncle@Example.com.", [("EMAIL", "k.uncle@example.com", "K.Uncle@Example.com")]),
        ("insta - the.real_jay", [("HANDLE", "the.real_jay", "the.real_jay")]),
        ("on 5th March 2024", [("DATE", "2024-03-05", "5th March 2024")]),
        ("digits 356938035643808 fail Luhn", []),
    ],
)
def test_rules(text: str, expected: list[tuple[str, str, str]]) -> None:
    found = find_identifiers(text)
    assert [(f.kind, f.value, f.surface) for f in found] == expected
    assert all(text[f.start : f.end] == f.surface for f in found)


def test_gazetteer_folds_names_and_ignores_common_single_words() -> None:
    gazetteer = Gazetteer()
    gazetteer.add_person("person:1", {"full_name": "Łukasz O'NEILL", "aliases": ["JAY", "Ali"]})
    nlp = build_pipeline(gazetteer)
    doc = nlp("Seen with lukasz oneill and JAY; jay walking; Ali was there.")
    found = [(m.surface, m.persons) for m in mentions_in(doc, "text")]
    assert found == [("lukasz oneill", ("person:1",)), ("JAY", ("person:1",))]
    assert [e.label_ for e in doc.ents] == ["PERSON", "PERSON"]


def test_a_phone_many_reports_mention_keeps_a_bounded_key_list_and_every_source_by_edge(
    engines: Engines, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cap is the writer's; lowered here so that a handful of reports shows it.
    monkeypatch.setattr("polegraph.graph.writer.SOURCE_KEYS_KEPT", 1)
    reports = [(f"WY-{n}", f"Subject rings 07700 900555 most nights ({n}).") for n in range(5)]
    load_intel(engines, write_intel(tmp_path / "wyp.csv", reports))
    load_intel(engines, write_intel(tmp_path / "nyp.csv", [("NY-1", "07700 900555 again.")]), force="NYP")
    extract_pending(engines.settings, engines.driver, engines.es)
    records, _, _ = engines.driver.execute_query(
        "MATCH (p:Phone {uid: 'phone:+447700900555'}) "
        "RETURN p.source_keys AS keys, COUNT { (p)-[:FROM_SOURCE]->(:SourceRecord) } AS sources",
        database_=engines.settings.neo4j_database,
    )
    (phone,) = records
    assert phone["sources"] == 6
    # Reports are read in uid order (NYP's first): the first key, then only the first key of each
    # further force and system.
    assert phone["keys"] == ["src:NYP:INTEL:NY-1", "src:WYP:INTEL:WY-0"]

"""Linking through the real app over HTTP: an analyst reviews suggestions, decides one and splits a
resolved person; another force's officers see no link, count or cursor and cannot decide; every
request, decisions included, is in the audit record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from polegraph.api.app import create_app
from polegraph.api.ids import BadGlobalId, from_global_id, from_link_id, to_global_id, to_link_id
from polegraph.linking.jobs import run_link_job
from polegraph.linking.store import link_uid
from polegraph.security.audit import verify_chain
from tests.api.shell_support import PURPOSE, audit_records, bearer, ensure_audit_index, shell_settings
from tests.conftest import Engines
from tests.linking.conftest import BACKGROUND, Nominal, load_custody

GMP_KHAN = Nominal("GM/C/1", "KHAN", "Mohammed Imran", "04/03/1987", phone="07700 900123",
                   address="12 Oak Street, Manchester", postcode="M13 9PL")  # fmt: skip
WYP_KHAN = Nominal("WY/C/1", "KHAN", "Muhammad", "1987-03-04", phone="+44 7700 900123",
                   address="7 Elm Road, Leeds", postcode="LS6 2AB")  # fmt: skip
CTY_COUSIN = Nominal("CT/C/1", "KHAN", "Mohd Imran", "1987-03-04", phone="07700900123", postcode="LS6 2AB")

SUGGESTIONS = """
query Suggestions($filter: LinkSuggestionFilter, $first: Int, $after: String) {
  linkSuggestions(filter: $filter, first: $first, after: $after) {
    edges { cursor node {
      id probability matchWeight band jobId modelVersion decision decidedBy reason
      personA { id ... on Person { fullName } } personB { id ... on Person { fullName } }
      explanation { name level agrees weight values }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""
DECIDE = """
mutation Decide($id: ID!, $decision: LinkDecision!, $reason: String!) {
  decideLink(id: $id, decision: $decision, reason: $reason) { id decision decidedBy reason }
}"""
RESOLVED = """
query Resolved($id: ID!) {
  node(id: $id) { ... on Person { resolvedPerson { persons { id } sourceRecords { id } linkIds } } }
}"""
JOBS = """
query Jobs($first: Int, $after: String) {
  linkJobs(first: $first, after: $after) {
    edges { node { jobId status linksAccepted pairsCompared } }
    pageInfo { hasNextPage endCursor }
  }
}"""
ANY_BAND = {"band": None, "undecidedOnly": False}


def _post(client: TestClient, headers: dict[str, str], query: str, variables: dict[str, Any]) -> Any:
    response = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _ask(client: TestClient, headers: dict[str, str], query: str, variables: dict[str, Any]) -> Any:
    body = _post(client, headers, query, variables)
    assert "errors" not in body, body
    return body["data"]


def _code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


def _persons(client: TestClient, headers: dict[str, str], uid: str) -> list[str]:
    node = _ask(client, headers, RESOLVED, {"id": to_global_id("Person", uid)})["node"]
    return sorted(p["id"] for p in node["resolvedPerson"]["persons"])


def _three_records(engines: Engines, tmp_path: Path) -> tuple[str, str, str]:
    """One man in custody in GMP and WYP, and his cousin in CTY: all three linked, accepted."""
    load_custody(engines, tmp_path, "LAN", BACKGROUND)
    (gmp,) = load_custody(engines, tmp_path, "GMP", [GMP_KHAN])
    (wyp,) = load_custody(engines, tmp_path, "WYP", [WYP_KHAN])
    (cty,) = load_custody(engines, tmp_path, "CTY", [CTY_COUSIN])
    run_link_job(engines.settings, engines.driver)
    return gmp, wyp, cty


def test_an_analyst_reviews_decides_and_splits_a_resolved_person_over_http(
    engines: Engines, tmp_path: Path
) -> None:
    gmp, wyp, cty = _three_records(engines, tmp_path)
    settings = shell_settings(engines.settings, tmp_path)
    ensure_audit_index(engines.es, settings)
    analyst = {**bearer(settings, user="g.analyst", force="GMP", roles=("analyst",),
                        readable_forces=("WYP", "CTY")), **PURPOSE}  # fmt: skip
    person = {uid: to_global_id("Person", uid) for uid in (gmp, wyp, cty)}
    with TestClient(create_app(settings)) as client:
        first = _ask(client, analyst, SUGGESTIONS, {"filter": ANY_BAND, "first": 2})["linkSuggestions"]
        rest = _ask(client, analyst, SUGGESTIONS, {"filter": ANY_BAND, "first": 2,
                                                   "after": first["pageInfo"]["endCursor"]})  # fmt: skip
        rest = rest["linkSuggestions"]
        assert (len(first["edges"]), first["pageInfo"]["hasNextPage"]) == (2, True)
        assert (len(rest["edges"]), rest["pageInfo"]["hasNextPage"]) == (1, False)
        links = [e["node"] for e in first["edges"] + rest["edges"]]
        assert [x["probability"] for x in links] == sorted((x["probability"] for x in links), reverse=True)
        pairs = {frozenset((x["personA"]["id"], x["personB"]["id"])): x for x in links}
        assert set(pairs) == {frozenset(p) for p in ((person[gmp], person[wyp]), (person[gmp], person[cty]),
                                                     (person[wyp], person[cty]))}  # fmt: skip
        khan = pairs[frozenset((person[gmp], person[wyp]))]
        assert khan["id"] == to_link_id(link_uid(gmp, wyp))
        assert (khan["band"], khan["decision"]) == ("ACCEPTED", None)
        assert khan["modelVersion"].startswith("polegraph-fs/1:")
        assert {"KHAN, MOHAMMED IMRAN", "KHAN, MUHAMMAD"} == {
            khan["personA"]["fullName"],
            khan["personB"]["fullName"],
        }
        phone = next(c for c in khan["explanation"] if c["level"] == "a phone in common")
        assert phone["agrees"] is True
        assert phone["weight"] > 0
        assert _persons(client, analyst, gmp) == sorted(person.values())
        (job,) = _ask(client, analyst, JOBS, {"first": 5})["linkJobs"]["edges"]
        assert (job["node"]["jobId"], job["node"]["status"], job["node"]["linksAccepted"]) == (
            khan["jobId"], "COMPLETE", 3,
        )  # fmt: skip

        # The CTY record is his cousin: undoing both its links splits the resolved person.
        cousin_links = [x["id"] for pair, x in pairs.items() if person[cty] in pair]
        cousin = {"decision": "DIFFERENT", "reason": "CTY record is his cousin"}
        for link_id in cousin_links:
            decided = _post(client, analyst, DECIDE, {"id": link_id, **cousin})
            assert decided["data"]["decideLink"] == {"id": link_id, "decidedBy": "g.analyst", **cousin}
            assert decided["extensions"] == {"cost": 5}  # the limits cost a mutation like a query
        undecided = _ask(client, analyst, SUGGESTIONS, {"filter": {"band": None}})["linkSuggestions"]
        assert [e["node"]["id"] for e in undecided["edges"]] == [khan["id"]]
        assert _persons(client, analyst, gmp) == sorted([person[gmp], person[wyp]])
        assert _persons(client, analyst, cty) == [person[cty]]

        # Over GET a mutation is refused before it runs.
        refused = client.get("/graphql", params={"query": DECIDE, "variables": '{"id": "x", "decision": '
                                                  '"SAME", "reason": "r"}'}, headers=analyst)  # fmt: skip
        assert refused.status_code == 405
        assert refused.headers["allow"] == "POST"

    records = audit_records(settings)
    decisions = [r for r in records if r.get("query") == DECIDE]
    assert [r["outcome"] for r in decisions] == ["ok", "ok", "refused"]
    for record, link_id in zip(decisions, cousin_links, strict=False):
        assert (record["user"], record["purpose"]) == ("g.analyst", PURPOSE["X-Purpose"])
        assert record["variables"] == {
            "id": link_id,
            "decision": "DIFFERENT",
            "reason": "CTY record is his cousin",
        }
        assert link_id in record["returned_ids"]
    assert verify_chain(settings.audit_path).ok


def test_another_forces_officers_see_no_link_count_or_cursor_and_cannot_decide(
    engines: Engines, tmp_path: Path
) -> None:
    gmp, wyp, _ = _three_records(engines, tmp_path)
    again = run_link_job(engines.settings, engines.driver)
    settings = shell_settings(engines.settings, tmp_path)
    ensure_audit_index(engines.es, settings)
    owner = {**bearer(settings, user="g.analyst", force="GMP", roles=("analyst",),
                      readable_forces=("WYP", "CTY")), **PURPOSE}  # fmt: skip
    lan_analyst = {**bearer(settings, user="l.analyst", force="LAN", roles=("analyst",)), **PURPOSE}
    lan_officer = {**bearer(settings, user="l.officer", force="LAN", roles=("investigator",)), **PURPOSE}
    gmp_officer = {**bearer(settings, user="g.officer", force="GMP", roles=("investigator",)), **PURPOSE}
    khan = to_link_id(link_uid(gmp, wyp))
    with TestClient(create_app(settings)) as client:
        page = _ask(client, owner, SUGGESTIONS, {"filter": ANY_BAND, "first": 1})["linkSuggestions"]
        cursor = page["pageInfo"]["endCursor"]

        newest = _ask(client, owner, JOBS, {"first": 1})["linkJobs"]
        older = _ask(client, owner, JOBS, {"first": 1, "after": newest["pageInfo"]["endCursor"]})["linkJobs"]
        assert [e["node"]["jobId"] for e in newest["edges"]] == [again.job_id]
        assert (newest["pageInfo"]["hasNextPage"], older["pageInfo"]["hasNextPage"]) == (True, False)
        assert [e["node"]["jobId"] for e in older["edges"]] != [again.job_id]
        assert older["edges"][0]["node"]["status"] == "COMPLETE"

        # An analyst of a force that shares nothing with them: no link, no page, no cursor.
        unseen = _ask(client, lan_analyst, SUGGESTIONS, {"filter": ANY_BAND})["linkSuggestions"]
        assert unseen == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}
        borrowed = _post(client, lan_analyst, SUGGESTIONS, {"filter": ANY_BAND, "after": cursor})
        assert _code(borrowed) == "BAD_USER_INPUT"
        assert borrowed["errors"][0]["message"] == "the page cursor belongs to another query"
        real = _post(client, lan_analyst, DECIDE, {"id": khan, "decision": "SAME", "reason": "same man"})
        made_up = to_link_id(link_uid("nobody-1", "nobody-2"))
        invented = _post(
            client, lan_analyst, DECIDE, {"id": made_up, "decision": "SAME", "reason": "same man"}
        )
        assert (_code(real), _code(invented)) == ("NOT_FOUND", "NOT_FOUND")
        assert real["errors"][0]["message"].replace(khan, "?") == invented["errors"][0]["message"].replace(
            made_up, "?"
        )
        # A decision states its purpose like any request.
        silent = client.post("/graphql", json={"query": DECIDE, "variables": {"id": khan, "decision": "SAME",
                             "reason": "same man"}}, headers=bearer(settings, user="g.analyst", force="GMP",
                             roles=("analyst",), readable_forces=("WYP", "CTY")))  # fmt: skip
        assert (silent.status_code, _code(silent.json())) == (400, "PURPOSE_REQUIRED")
        # Investigators review no links at all, of their own force or another.
        for officer in (lan_officer, gmp_officer):
            for query, variables in ((SUGGESTIONS, {"filter": ANY_BAND}), (JOBS, {})):
                listed = _post(client, officer, query, variables)
                assert (_code(listed), listed["data"]) == ("FORBIDDEN", None)
            decided = _post(client, officer, DECIDE, {"id": khan, "decision": "SAME", "reason": "same man"})
            assert (_code(decided), decided["data"]) == ("FORBIDDEN", None)
        # The resolved person shows only what its reader may read: GMP's officer reads no WYP record.
        assert _persons(client, gmp_officer, gmp) == [to_global_id("Person", gmp)]
        own = _ask(client, gmp_officer, RESOLVED, {"id": to_global_id("Person", gmp)})["node"]
        assert own["resolvedPerson"]["linkIds"] == []
        assert _ask(client, lan_analyst, RESOLVED, {"id": to_global_id("Person", gmp)})["node"] is None
        # Nothing of it was decided.
        after = _ask(client, owner, SUGGESTIONS, {"filter": ANY_BAND})["linkSuggestions"]["edges"]
        assert {e["node"]["id"]: e["node"]["decision"] for e in after}[khan] is None

    records = audit_records(settings)
    refused = [r for r in records if r.get("query") == DECIDE]
    assert [r["user"] for r in refused] == ["l.analyst", "l.analyst", "g.analyst", "l.officer", "g.officer"]
    assert all(r["outcome"] != "ok" and r["returned_ids"] == [] for r in refused)
    assert all(khan not in r["returned_ids"] for r in records if r["user"] != "g.analyst")
    assert verify_chain(settings.audit_path).ok


def test_a_link_id_and_a_node_id_cannot_be_taken_for_one_another() -> None:
    link = to_link_id(link_uid("person-a", "person-b"))
    assert from_link_id(link) == link_uid("person-a", "person-b")
    with pytest.raises(BadGlobalId, match="not a node ID"):
        from_global_id(link)
    for other in (to_global_id("Person", "person-a"), "", "!!", to_global_id("Nope", "x")):
        with pytest.raises(BadGlobalId, match="not a link ID"):
            from_link_id(other)

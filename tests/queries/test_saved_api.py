"""Saved queries and alerts through the real app: the issue's "a saved query raising an alert only
for the new match, under the owner's permissions", sharing, alert history and the audit trail."""

from __future__ import annotations

import time
from pathlib import Path

from polegraph.queries.scheduler import due_queries
from polegraph.security.audit import verify_chain
from polegraph.security.directory import set_disabled
from tests.api.shell_support import audit_records
from tests.conftest import Engines
from tests.queries.support import (
    ALERTS,
    CREATE,
    ENABLE,
    RUN,
    SAVED,
    UPDATE,
    ask,
    client_of,
    khan,
    load_khans,
    refused,
    saved_settings,
    unit_token,
    watch_input,
)


def test_only_new_matches_raise_alerts_under_the_owners_current_permissions(
    engines: Engines, tmp_path: Path
) -> None:
    settings = saved_settings(engines, tmp_path)
    (first,) = load_khans(engines, tmp_path, "GMP", khan("GM/C/1", "Imran", "1987-03-04"))
    (lancs,) = load_khans(engines, tmp_path, "LAN", khan("LA/C/1", "Tariq", "1990-01-02"))
    owner = unit_token(settings, "iu.gmp", "GMP", "GMP-IU", readable=("LAN",))
    with client_of(settings) as client:
        saved = ask(client, owner, CREATE, {"input": watch_input(sharing="UNIT")})["createSavedQuery"]
        assert (saved["owner"], saved["unit"], saved["force"]) == ("iu.gmp", "GMP-IU", "GMP")
        run = ask(client, owner, RUN, {"id": saved["id"]})["runSavedQuery"]
        assert run["status"] == "ok"
        assert sorted(a["match"]["id"] for a in run["newAlerts"]) == sorted([first, lancs])
        # Nothing new: nothing raised, however often it runs.
        again = ask(client, owner, RUN, {"id": saved["id"]})["runSavedQuery"]
        assert (again["status"], again["matchCount"], again["newAlerts"]) == ("ok", 2, [])

        # One new matching record: exactly one new alert, for it.
        (second,) = load_khans(engines, tmp_path, "GMP", khan("GM/C/2", "Asif", "1979-11-30"))
        new = ask(client, owner, RUN, {"id": saved["id"]})["runSavedQuery"]
        assert [a["match"]["id"] for a in new["newAlerts"]] == [second]

        # A record the owner may not read (another force's) raises nothing.
        load_khans(engines, tmp_path, "WYP", khan("WY/C/1", "Bilal", "1985-05-05"))
        assert ask(client, owner, RUN, {"id": saved["id"]})["runSavedQuery"]["newAlerts"] == []

        # The owner's rights are reduced (their latest token no longer reads LAN): the run sees less.
        reduced = unit_token(settings, "iu.gmp", "GMP", "GMP-IU")
        less = ask(client, reduced, RUN, {"id": saved["id"]})["runSavedQuery"]
        assert (less["status"], less["matchCount"], less["newAlerts"]) == ("ok", 2, [])

        # Disabled by an administrator: the query is suspended with the reason, and runs nothing.
        set_disabled(engines.driver, settings.neo4j_database, "iu.gmp", True, "admin.gmp", "left the unit")
        colleague = unit_token(settings, "iu2.gmp", "GMP", "GMP-IU")
        suspended = ask(client, colleague, RUN, {"id": saved["id"]})["runSavedQuery"]
        assert suspended["status"] == "suspended"
        assert suspended["reason"] == "iu.gmp is disabled: left the unit"
        assert suspended["savedQuery"]["suspendedReason"] == suspended["reason"]
        set_disabled(engines.driver, settings.neo4j_database, "iu.gmp", False, "admin.gmp", None)
        resumed = ask(client, colleague, RUN, {"id": saved["id"]})["runSavedQuery"]
        assert (resumed["status"], resumed["savedQuery"]["suspendedReason"]) == ("ok", None)

    # Every run is audited as the owner (never the colleague who pressed run), with the query's purpose.
    runs = [r for r in audit_records(settings) if r.get("client") == "polegraph saved-query runner"]
    assert len(runs) == 6  # the suspended run ran nothing, so it read nothing
    assert {r["user"] for r in runs} == {"iu.gmp"}
    assert {r["purpose"] for r in runs} == {f"saved-query:{saved['id']} OP TRIDENT 24/1187"}
    assert first in runs[0]["returned_ids"]
    assert lancs in runs[0]["returned_ids"]
    assert lancs not in runs[-1]["returned_ids"]
    assert runs[-1]["readable_forces"] == ["GMP"]
    assert verify_chain(settings.audit_path).ok


def test_a_stale_owner_suspends_the_query(engines: Engines, tmp_path: Path) -> None:
    settings = saved_settings(engines, tmp_path, saved_principal_max_age_s=1.0)
    load_khans(engines, tmp_path, "GMP", khan("GM/C/1", "Imran", "1987-03-04"))
    owner = unit_token(settings, "iu.gmp", "GMP", "GMP-IU")
    colleague = unit_token(settings, "iu2.gmp", "GMP", "GMP-IU")
    with client_of(settings) as client:
        saved = ask(client, owner, CREATE, {"input": watch_input(sharing="UNIT")})["createSavedQuery"]
        time.sleep(1.2)
        run = ask(client, colleague, RUN, {"id": saved["id"]})["runSavedQuery"]
    assert run["status"] == "suspended"
    assert "iu.gmp's permissions were last confirmed" in run["reason"]
    assert run["newAlerts"] == []


def test_sharing_decides_who_sees_and_runs_a_query_and_its_alerts(engines: Engines, tmp_path: Path) -> None:
    settings = saved_settings(engines, tmp_path)
    load_khans(engines, tmp_path, "GMP", khan("GM/C/1", "Imran", "1987-03-04"))
    owner = unit_token(settings, "iu.gmp", "GMP", "GMP-IU")
    same_unit = unit_token(settings, "iu2.gmp", "GMP", "GMP-IU")
    other_unit = unit_token(settings, "cid.gmp", "GMP", "GMP-CID", roles=("analyst",))
    other_force = unit_token(settings, "iu.wyp", "WYP", "GMP-IU", readable=("GMP",))
    investigator = unit_token(settings, "dc.gmp", "GMP", "GMP-IU", roles=("investigator",))
    with client_of(settings) as client:
        private = ask(client, owner, CREATE, {"input": watch_input("mine")})["createSavedQuery"]["id"]
        unit = ask(client, owner, CREATE, {"input": watch_input("unit", "UNIT")})["createSavedQuery"]["id"]
        force = ask(client, owner, CREATE, {"input": watch_input("force", "FORCE")})["createSavedQuery"]["id"]
        for query_id in (private, unit, force):
            ask(client, owner, RUN, {"id": query_id})

        def names(headers: dict[str, str]) -> set[str]:
            return {e["node"]["name"] for e in ask(client, headers, SAVED)["savedQueries"]["edges"]}

        def alerted(headers: dict[str, str]) -> set[str]:
            return {e["node"]["savedQueryId"] for e in ask(client, headers, ALERTS)["alerts"]["edges"]}

        assert names(owner) == {"mine", "unit", "force"}
        assert alerted(owner) == {private, unit, force}
        assert names(same_unit) == {"unit", "force"}
        assert alerted(same_unit) == {unit, force}
        assert names(other_unit) == {"force"}
        assert alerted(other_unit) == {force}
        assert names(other_force) == set()
        assert alerted(other_force) == set()
        # A query one may not see cannot be run either, and says no more than that it is not there.
        assert refused(client, other_unit, RUN, {"id": private}) == "NOT_FOUND"
        assert refused(client, other_force, RUN, {"id": force}) == "NOT_FOUND"
        # Saved queries are for intelligence units, analysts and supervisors.
        assert refused(client, investigator, CREATE, {"input": watch_input()}) == "FORBIDDEN"


def test_a_query_is_checked_when_it_is_saved(engines: Engines, tmp_path: Path) -> None:
    settings = saved_settings(engines, tmp_path)
    owner = unit_token(settings, "iu.gmp", "GMP", "GMP-IU")
    cases = {
        "query { search(query: ": "does not parse",
        "query { nothingHere { id } }": "not valid here",
        'mutation { updateAlert(id: "x", note: "n") { id } }': "one query operation",
        'query { search(query: "x", first: 5000) { edges { score } } }': "refused",
    }
    with client_of(settings) as client:
        for operation, why in cases.items():
            body = client.post(
                "/graphql", json={"query": CREATE, "variables": {"input": watch_input(operation=operation)}},
                headers=owner,
            ).json()  # fmt: skip
            assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
            assert why in body["errors"][0]["message"], body
        assert refused(client, owner, CREATE, {"input": watch_input(variables={"q": 7})}) == "BAD_USER_INPUT"
        assert (
            refused(client, owner, CREATE, {"input": watch_input(schedule="every hour")}) == "BAD_USER_INPUT"
        )
        # One shares with one's own unit (the token's claim), never into another.
        assert refused(client, owner, CREATE, {"input": watch_input(unit="WYP-IU")}) == "BAD_USER_INPUT"
        hourly = ask(client, owner, CREATE, {"input": watch_input(schedule="0 * * * *")})["createSavedQuery"]
        assert hourly["nextRunAt"].endswith(":00:00+00:00")


def test_update_alert_keeps_the_history(engines: Engines, tmp_path: Path) -> None:
    settings = saved_settings(engines, tmp_path)
    load_khans(engines, tmp_path, "GMP", khan("GM/C/1", "Imran", "1987-03-04"))
    owner = unit_token(settings, "iu.gmp", "GMP", "GMP-IU")
    colleague = unit_token(settings, "iu2.gmp", "GMP", "GMP-IU")
    with client_of(settings) as client:
        saved = ask(client, owner, CREATE, {"input": watch_input(sharing="UNIT")})["createSavedQuery"]
        (alert,) = ask(client, owner, RUN, {"id": saved["id"]})["runSavedQuery"]["newAlerts"]
        assert alert["status"] == "OPEN"
        ask(client, owner, UPDATE, {"id": alert["id"], "status": "IN_PROGRESS", "assignee": "iu2.gmp"})
        ask(client, colleague, UPDATE, {"id": alert["id"], "note": "same phone as OP TRIDENT nominal"})
        done = ask(client, colleague, UPDATE, {"id": alert["id"], "status": "CONFIRMED"})["updateAlert"]
        assert (done["status"], done["assignee"]) == ("CONFIRMED", "iu2.gmp")
        assert [(h["by"], h["action"]) for h in done["history"]] == [
            ("iu.gmp", "raised"), ("iu.gmp", "status"), ("iu.gmp", "assignee"), ("iu2.gmp", "note"),
            ("iu2.gmp", "status"),
        ]  # fmt: skip
        assert done["notes"] == [
            {"by": "iu2.gmp", "action": "note", "detail": {"text": "same phone as OP TRIDENT nominal"}}
        ]
        confirmed = ask(client, owner, ALERTS, {"filter": {"status": "CONFIRMED"}})["alerts"]["edges"]
        assert [e["node"]["id"] for e in confirmed] == [alert["id"]]
        assert ask(client, owner, ALERTS, {"filter": {"status": "OPEN"}})["alerts"]["edges"] == []
        outsider = unit_token(settings, "iu.wyp", "WYP", "WYP-IU")
        assert refused(client, outsider, UPDATE, {"id": alert["id"], "status": "DISMISSED"}) == "NOT_FOUND"


def test_a_query_is_paused_and_resumed_by_its_owner_or_a_supervisor(engines: Engines, tmp_path: Path) -> None:
    settings = saved_settings(engines, tmp_path)
    owner = unit_token(settings, "iu.gmp", "GMP", "GMP-IU")
    colleague = unit_token(settings, "iu2.gmp", "GMP", "GMP-IU")
    supervisor = unit_token(settings, "ds.gmp", "GMP", None, roles=("supervisor",))
    outsider = unit_token(settings, "iu.wyp", "WYP", "WYP-IU")
    db = engines.settings.neo4j_database
    with client_of(settings) as client:
        saved = ask(client, owner, CREATE, {"input": watch_input(sharing="FORCE", schedule="* * * * *")})
        query_id = saved["createSavedQuery"]["id"]
        later = time.time() + 120
        assert query_id in due_queries(engines.driver, db, later)
        paused = ask(client, owner, ENABLE, {"id": query_id, "enabled": False})["setSavedQueryEnabled"]
        assert paused["enabled"] is False
        assert query_id not in due_queries(engines.driver, db, later)  # no scheduled run while paused
        # A colleague who may see it may not switch it on; another force does not even see it.
        assert refused(client, colleague, ENABLE, {"id": query_id, "enabled": True}) == "FORBIDDEN"
        assert refused(client, outsider, ENABLE, {"id": query_id, "enabled": True}) == "NOT_FOUND"
        resumed = ask(client, supervisor, ENABLE, {"id": query_id, "enabled": True})["setSavedQueryEnabled"]
        assert resumed["enabled"] is True
        assert query_id in due_queries(engines.driver, db, later)

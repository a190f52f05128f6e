"""The three default saved queries find the scenario's planted exploitation network, as alerts."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from polegraph.api.ids import from_global_id, to_global_id
from polegraph.loaders.base import LoaderOptions
from polegraph.queries.defaults import DEFAULTS, install_defaults
from polegraph.scenario import generate
from polegraph.scenario.truth import read_records
from polegraph.security.directory import lookup
from tests.analytics.conftest import load_to_graph
from tests.conftest import Engines
from tests.queries.support import RUN, ask, client_of, saved_settings, unit_token
from tests.scenario.conftest import options_for

# What the network's phones, missing episodes and a handset extraction need: the rest of the
# scenario (crime, intelligence, ANPR, open data) is left out to keep the test quick.
FORMATS = {"missing", "cdr", "ufdr"}
_NICHE = ["Occurrence Ref", "HO Offence Code", "Offence Description", "Reported Date", "Committed From",
          "Status", "CSE", "Nominal 1 Role", "Nominal 1 Surname", "Nominal 1 Forenames", "Nominal 1 DOB",
          "Nominal 1 Phone"]  # fmt: skip


def _closed_case(path: Path, phone: str) -> Path:
    """A 2022 CSE case, filed with no further action, whose suspect gave the network leader's phone."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(_NICHE)
        writer.writerow(["GM/22/009001", "71/9", "Sexual activity with a child", "02/03/2022 10:00",
                         "01/03/2022 22:00", "NFA - evidential difficulties", "Y", "Suspect", "DOE", "John",
                         "1980-01-01", phone])  # fmt: skip
    return path


def test_each_default_finds_the_planted_network_once(engines: Engines, tmp_path: Path) -> None:
    settings = saved_settings(engines, tmp_path)
    root = tmp_path / "scenario"
    manifest = generate(root, forces=2, people=200, seed=17)
    for entry in manifest.files:
        if entry.format in FORMATS:
            load_to_graph(
                engines, entry.format, root / entry.path, entry.force, options=options_for(root, entry),
                classification=entry.classification, caveat=entry.caveat, handling_code=entry.handling_code,
                handling_conditions=entry.handling_conditions,
            )  # fmt: skip
    truth = json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))["network"]
    found_with = {  # Person uid of each found-with nominal -> the human it is
        h["person_uid"]: h["person_id"]
        for record in read_records(root / "truth" / "records.jsonl")
        for h in record["humans"]
        if h["role"] == "FOUND_WITH"
    }
    leader = truth["offenders"][0]["mobile"]
    load_to_graph(
        engines, "crime", _closed_case(tmp_path / "closed.csv", leader), "GMP", options=LoaderOptions()
    )

    owner = unit_token(settings, "iu.gmp", "GMP", "GMP-IU", readable=("WYP",))
    with client_of(settings) as client:
        ask(client, owner, "query { me { user } }")  # the directory now holds the owner
        entry = lookup(engines.driver, settings.neo4j_database, "iu.gmp")
        assert entry is not None
        installed = install_defaults(engines.driver, settings.neo4j_database, entry.principal, entry.unit)
        runs = {q.name: ask(client, owner, RUN, {"id": q.id})["runSavedQuery"] for q in installed}
        again = {q.name: ask(client, owner, RUN, {"id": q.id})["runSavedQuery"] for q in installed}

    closed, places, phones = (runs[d.name] for d in DEFAULTS)
    assert all(r["status"] == "ok" for r in runs.values())
    assert all(r["newAlerts"] == [] for r in again.values())  # nothing new the second time
    # (a) The leader's calls after the filed case: each newer call record is an alert.
    assert closed["matchCount"] >= 5
    assert {from_global_id(a["match"]["id"]).label for a in closed["newAlerts"]} == {"Call"}
    # (b) The flat, the house and the hotel where the children were found; and the men they were
    # found with, episode after episode: network offenders only, never a bystander found once.
    found = {
        to_global_id("Address", "address:" + f"{p['address']} {p['postcode']}".upper().replace(",", ""))
        for name, p in truth["places"].items()
        if name in ("flat", "house", "hotel")
    }
    alerted = {from_global_id(a["match"]["id"]) for a in places["newAlerts"]}
    assert found <= {a["match"]["id"] for a in places["newAlerts"]}
    assert all(a["score"] >= 3 for a in places["newAlerts"])
    adults = {found_with[key.uid] for key in alerted if key.label == "Person"}
    offenders = {o["person_id"] for o in truth["offenders"]}
    often = {
        adult
        for adult, n in Counter(a for v in truth["found_with"].values() for a in v if a).items()
        if n >= 6
    }
    assert often
    assert often <= adults <= offenders
    bystanders = set(found_with.values()) - offenders
    assert bystanders
    assert not bystanders & adults
    # (c) The network's shared work phone and the leader's phone, in contact with 7 children each.
    wanted = {to_global_id("Phone", f"phone:{n}") for n in (truth["shared_phones"]["work"], leader)}
    assert {a["match"]["id"] for a in phones["newAlerts"]} == wanted
    assert {a["score"] for a in phones["newAlerts"]} == {float(len(truth["victims"]))}

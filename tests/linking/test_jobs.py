"""Linking jobs against the real engines: links, bands, decisions, incremental runs, resolved persons."""

from __future__ import annotations

from dataclasses import astuple
from pathlib import Path

import pytest

from polegraph.linking.decisions import (
    LinkFilter,
    LinkNotFound,
    PersonNotFound,
    decide_link,
    link_suggestions,
    resolved_person,
)
from polegraph.linking.jobs import link_jobs, run_link_job
from polegraph.security.policy import AccessDenied, Principal
from tests.conftest import Engines
from tests.linking.conftest import BACKGROUND, Nominal, analyst, load_custody

GMP_KHAN = Nominal("GM/C/1", "KHAN", "Mohammed Imran", "04/03/1987", phone="07700 900123",
                   address="12 Oak Street, Manchester", postcode="M13 9PL")  # fmt: skip
WYP_KHAN = Nominal("WY/C/1", "KHAN", "Muhammad", "1987-03-04", phone="+44 7700 900123",
                   address="7 Elm Road, Leeds", postcode="LS6 2AB")  # fmt: skip


def _links(engines: Engines, uid: str) -> list[dict[str, object]]:
    records, _, _ = engines.driver.execute_query(
        "MATCH (:Person {uid: $uid})-[e:POSSIBLE_SAME_AS]-(o:Person) "
        "RETURN o.uid AS other, properties(e) AS e",
        uid=uid, database_=engines.settings.neo4j_database,
    )  # fmt: skip
    return [{"other": r["other"], **r["e"]} for r in records]


def _one_man_in_three_forces(engines: Engines, tmp_path: Path) -> tuple[str, str, str, Principal]:
    """GMP's, WYP's and CTY's records of one man, linked by a job into one resolved person, and an
    analyst who may read all three."""
    load_custody(engines, tmp_path, "LAN", BACKGROUND)
    (gmp,) = load_custody(engines, tmp_path, "GMP", [GMP_KHAN])
    (wyp,) = load_custody(engines, tmp_path, "WYP", [WYP_KHAN])
    cousin = Nominal("CT/C/1", "KHAN", "Mohd Imran", "1987-03-04", phone="07700900123", postcode="LS6 2AB")
    (cty,) = load_custody(engines, tmp_path, "CTY", [cousin])
    run_link_job(engines.settings, engines.driver)
    who = analyst("GMP", "WYP", "CTY")
    db = engines.settings.neo4j_database
    assert resolved_person(who, engines.driver, db, gmp).persons == sorted([gmp, wyp, cty])
    return gmp, wyp, cty, who


def test_a_transliterated_name_is_linked_across_forces_when_dob_and_phone_agree(
    engines: Engines, tmp_path: Path
) -> None:
    load_custody(engines, tmp_path, "LAN", BACKGROUND)
    (gmp,) = load_custody(engines, tmp_path, "GMP", [GMP_KHAN])
    (wyp,) = load_custody(engines, tmp_path, "WYP", [WYP_KHAN], classification="OFFICIAL-SENSITIVE")
    job = run_link_job(engines.settings, engines.driver)
    assert job.status == "COMPLETE"
    assert job.persons == len(BACKGROUND) + 2
    assert job.pairs_compared >= 1
    (link,) = _links(engines, gmp)
    assert link["other"] == wyp
    assert link["band"] == "ACCEPTED"
    assert link["resolved"] is True
    assert link["probability"] >= 0.99
    assert link["job_id"] == job.job_id
    assert str(link["model_version"]).startswith("polegraph-fs/1:")
    # The link is as restricted as its stricter end, and says why it was made.
    assert (link["force"], link["classification"], link["forces"]) == (
        "WYP",
        "OFFICIAL-SENSITIVE",
        ["GMP", "WYP"],
    )
    assert '"level": "same name or variant"' in str(link["explanation"])
    assert '"level": "a phone in common"' in str(link["explanation"])
    seen = resolved_person(analyst("GMP", "WYP"), engines.driver, engines.settings.neo4j_database, gmp)
    assert seen.persons == sorted([gmp, wyp])
    assert len(seen.source_keys) == 2
    (latest, *_) = link_jobs(analyst("GMP"), engines.driver, engines.settings.neo4j_database)
    assert (latest.job_id, latest.links_accepted, latest.pairs_compared) == (
        job.job_id,
        1,
        job.pairs_compared,
    )


def test_two_people_with_a_common_name_and_birth_year_are_kept_apart(
    engines: Engines, tmp_path: Path
) -> None:
    load_custody(engines, tmp_path, "LAN", BACKGROUND)
    john = Nominal("GM/C/2", "SMITH", "John", "12/05/1985", phone="07700 900201", postcode="M1 1AE")
    (one,) = load_custody(engines, tmp_path, "GMP", [john])
    namesake = Nominal("WY/C/2", "SMITH", "John", "23/11/1985", phone="07700 900202", postcode="LS1 5DL")
    (other,) = load_custody(engines, tmp_path, "WYP", [namesake])
    run_link_job(engines.settings, engines.driver)
    assert all(link["band"] != "ACCEPTED" for link in _links(engines, one))
    seen = resolved_person(analyst("GMP", "WYP"), engines.driver, engines.settings.neo4j_database, one)
    assert other not in seen.persons


def test_a_pair_decided_different_is_not_suggested_again(engines: Engines, tmp_path: Path) -> None:
    load_custody(engines, tmp_path, "LAN", BACKGROUND)
    (gmp,) = load_custody(engines, tmp_path, "GMP", [GMP_KHAN])
    (wyp,) = load_custody(engines, tmp_path, "WYP", [WYP_KHAN])
    run_link_job(engines.settings, engines.driver)
    (link,) = _links(engines, gmp)
    db, who = engines.settings.neo4j_database, analyst("GMP", "WYP")
    decided = decide_link(
        who, engines.driver, db, str(link["uid"]), "DIFFERENT", "father and son: different NI numbers"
    )
    assert (decided.decision, decided.decided_by) == ("DIFFERENT", who.user)
    second = run_link_job(engines.settings, engines.driver)
    assert second.job_id != link["job_id"]
    (kept,) = _links(engines, gmp)  # the decided link stays as it was, with its decision
    assert (kept["job_id"], kept["decision"], kept["resolved"]) == (link["job_id"], "DIFFERENT", False)
    page = link_suggestions(who, engines.driver, db, LinkFilter(band=None, undecided_only=True))
    assert all({s.person_a, s.person_b} != {gmp, wyp} for s in page.links)
    assert resolved_person(who, engines.driver, db, gmp).persons == [gmp]


def test_an_incremental_run_links_one_new_record(engines: Engines, tmp_path: Path) -> None:
    (known, *_) = load_custody(engines, tmp_path, "LAN", BACKGROUND)
    load_custody(engines, tmp_path, "CTY", [Nominal("CT/C/9", *astuple(BACKGROUND[0])[1:])])
    (gmp,) = load_custody(engines, tmp_path, "GMP", [GMP_KHAN])
    full = run_link_job(engines.settings, engines.driver)
    assert _links(engines, gmp) == []
    assert full.links_accepted == 1
    (wyp,) = load_custody(engines, tmp_path, "WYP", [WYP_KHAN])
    job = run_link_job(engines.settings, engines.driver, incremental=True)
    assert (job.incremental, job.new_persons, job.persons, job.model_version) == (
        True, 1, len(BACKGROUND) + 3, full.model_version,
    )  # fmt: skip
    assert job.pairs_compared == 1  # the new person against the one it blocks with, nothing else
    (link,) = _links(engines, gmp)
    assert (link["other"], link["band"], link["job_id"]) == (wyp, "ACCEPTED", job.job_id)
    (untouched,) = _links(engines, known)  # the full job's link, not re-scored
    assert untouched["job_id"] == full.job_id
    again = run_link_job(engines.settings, engines.driver, incremental=True)
    assert (again.new_persons, again.pairs_compared) == (0, 0)


def test_an_incremental_link_is_checked_against_the_resolved_person_it_would_join(
    engines: Engines, tmp_path: Path
) -> None:
    load_custody(engines, tmp_path, "LAN", BACKGROUND)
    load_custody(engines, tmp_path, "CTY", [Nominal("CT/C/9", *astuple(BACKGROUND[0])[1:])])
    (one,) = load_custody(engines, tmp_path, "GMP", [Nominal("GM/C/5", "MENSAH", "Kwame", "12/05/1985",
                                                            phone="07700 900301")])  # fmt: skip
    # A placeholder date of birth (1 January) is no firm fact: this record joins either man.
    placeholder_record = Nominal("WY/C/5", "MENSAH", "Kwame", "01/01/1985", phone="07700 900301")
    (placeholder,) = load_custody(engines, tmp_path, "WYP", [placeholder_record])
    run_link_job(engines.settings, engines.driver)
    who = analyst("GMP", "WYP", "SYP", "LAN", "CTY")
    db = engines.settings.neo4j_database
    assert resolved_person(who, engines.driver, db, one).persons == sorted([one, placeholder])
    (other,) = load_custody(engines, tmp_path, "SYP", [Nominal("SY/C/5", "MENSAH", "Kwame", "23/11/1985",
                                                              phone="07700 900301")])  # fmt: skip
    job = run_link_job(engines.settings, engines.driver, incremental=True)
    assert job.new_persons == 1
    links = _links(engines, other)
    assert {link["other"] for link in links} >= {placeholder}
    # Its link to the placeholder record alone contradicts nothing, but would join it to the man born
    # on 12 May: held back for review, and the resolved person stays as it was.
    assert all(link["band"] == "REVIEW" for link in links)
    (to_placeholder,) = [link for link in links if link["other"] == placeholder]
    assert "would join records with different dates of birth" in str(to_placeholder["explanation"])
    assert resolved_person(who, engines.driver, db, one).persons == sorted([one, placeholder])
    assert resolved_person(who, engines.driver, db, other).persons == [other]


def test_undoing_a_link_splits_the_resolved_person(engines: Engines, tmp_path: Path) -> None:
    gmp, wyp, cty, who = _one_man_in_three_forces(engines, tmp_path)
    db = engines.settings.neo4j_database
    first = link_suggestions(who, engines.driver, db, LinkFilter(band="ACCEPTED"), first=2)
    rest = link_suggestions(
        who, engines.driver, db, LinkFilter(band="ACCEPTED"), first=2, after=first.end_cursor
    )
    assert (len(first.links), first.has_next_page, len(rest.links), rest.has_next_page) == (2, True, 1, False)
    assert first.links[0].probability >= first.links[1].probability >= rest.links[0].probability
    for link in _links(engines, cty):
        decide_link(who, engines.driver, db, str(link["uid"]), "DIFFERENT", "CTY record is his cousin")
    assert resolved_person(who, engines.driver, db, gmp).persons == sorted([gmp, wyp])
    assert resolved_person(who, engines.driver, db, cty).persons == [cty]
    (link,) = [x for x in _links(engines, cty) if x["other"] == gmp]
    decide_link(who, engines.driver, db, str(link["uid"]), "SAME", "custody photo matches after all")
    assert resolved_person(who, engines.driver, db, gmp).persons == sorted([gmp, wyp, cty])


def test_a_principal_of_another_force_cannot_read_or_decide_links_it_cannot_read(
    engines: Engines, tmp_path: Path
) -> None:
    load_custody(engines, tmp_path, "LAN", BACKGROUND)
    (gmp,) = load_custody(engines, tmp_path, "GMP", [GMP_KHAN])
    (wyp,) = load_custody(engines, tmp_path, "WYP", [WYP_KHAN], handling_code="C")
    run_link_job(engines.settings, engines.driver)
    (link,) = _links(engines, gmp)
    assert link["handling_code"] == "C"
    assert link["force"] == "WYP"
    db, any_band = engines.settings.neo4j_database, LinkFilter(band=None, undecided_only=False)
    # GMP shares with WYP, but the WYP record is handling code C: WYP's eyes only.
    for outsider in (analyst("GMP", "WYP"), analyst("LAN")):
        assert link_suggestions(outsider, engines.driver, db, any_band).links == []
        with pytest.raises(LinkNotFound):
            decide_link(outsider, engines.driver, db, str(link["uid"]), "SAME", "looks like him")
    assert resolved_person(analyst("GMP", "WYP"), engines.driver, db, gmp).persons == [gmp]
    with pytest.raises(PersonNotFound):
        resolved_person(analyst("LAN"), engines.driver, db, gmp)
    owner = analyst("WYP", "GMP")
    (seen,) = link_suggestions(owner, engines.driver, db, any_band).links
    assert {seen.person_a, seen.person_b} == {gmp, wyp}
    with pytest.raises(AccessDenied):
        link_jobs(Principal("inv.gmp", "GMP", roles=frozenset({"investigator"})), engines.driver, db)


class Interrupted(Exception):
    """Stands for a crash (a killed process) once the first batch of links is written."""


def test_an_interrupted_job_resumes_from_its_checkpoint(engines: Engines, tmp_path: Path) -> None:
    load_custody(engines, tmp_path, "LAN", BACKGROUND)
    (gmp,) = load_custody(engines, tmp_path, "GMP", [GMP_KHAN])
    load_custody(engines, tmp_path, "WYP", [WYP_KHAN])

    def crash(stage: str, done: int, total: int | None) -> None:
        if stage == "write links":
            raise Interrupted

    with pytest.raises(Interrupted):
        run_link_job(engines.settings, engines.driver, progress=crash)
    db = engines.settings.neo4j_database
    (failed,) = link_jobs(analyst("GMP"), engines.driver, db)
    assert (failed.status, failed.stage, failed.batches_written) == ("FAILED", "scored", 1)
    stages: list[str] = []
    resumed = run_link_job(engines.settings, engines.driver, progress=lambda stage, *_: stages.append(stage))
    assert (resumed.job_id, resumed.status, resumed.links_accepted) == (failed.job_id, "COMPLETE", 1)
    assert stages == []  # nothing read, scored or written again
    assert len(_links(engines, gmp)) == 1
    assert [j.job_id for j in link_jobs(analyst("GMP"), engines.driver, db)] == [failed.job_id]


def test_records_decided_different_are_not_joined_again_through_a_third(
    engines: Engines, tmp_path: Path
) -> None:
    gmp, wyp, cty, who = _one_man_in_three_forces(engines, tmp_path)
    db = engines.settings.neo4j_database
    (direct,) = [x for x in _links(engines, cty) if x["other"] == gmp]
    decide_link(who, engines.driver, db, str(direct["uid"]), "DIFFERENT", "CTY record is his cousin")
    run_link_job(engines.settings, engines.driver)
    # WYP's record agrees with both, but accepting both links would join them again.
    through = {x["other"]: x for x in _links(engines, wyp)}
    assert sorted(link["band"] for link in through.values()) == ["ACCEPTED", "REVIEW"]
    (held,) = [link for link in through.values() if link["band"] == "REVIEW"]
    assert "would join records an analyst decided are different people" in str(held["explanation"])
    assert cty not in resolved_person(who, engines.driver, db, gmp).persons

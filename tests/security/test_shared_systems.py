"""The systems behind a shared node, and its source keys, under the access policy.

One phone, loaded through the real crime loader: first by a GMP intelligence system record under
handling code C, then by a WYP crime record, then by a LAN intelligence record at SECRET. WYP reads
the phone through its own record; it must not learn, from a hit, a facet, a system filter or a
graph read, that GMP's or LAN's intelligence systems hold it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from elasticsearch import Elasticsearch
from neo4j import Driver

from polegraph.config import Settings
from polegraph.graph.read import GraphDb, NodeKey, nodes_by_key
from polegraph.ingest import load_file
from polegraph.search.filters import SearchFilter
from polegraph.search.query import search
from polegraph.security.policy import Principal
from tests.conftest import Engines, empty
from tests.graph.scenario import CRIME_HEADER

GMP_INTEL = CRIME_HEADER + (
    'GI/1,Drug supply,2024-05-01T12:00:00,"1 Oak Road, Manchester",M2 1AA,Supply of class A,'
    "Suspect,HARRIS,Hal,,01/01/1981,07911 300001,,,,,,\n"
)
WYP_CRIME = CRIME_HEADER + (
    'WC/1,Theft,2024-05-03T12:00:00,"3 Elm Road, Leeds",LS1 1AA,Bag taken,'
    "Suspect,IRVING,Ian,,03/03/1983,+44 7911 300001,,,,,,\n"
)
LAN_INTEL = CRIME_HEADER + (
    'LI/1,Firearms,2024-05-04T12:00:00,"4 Ash Road, Preston",PR1 1AA,Firearm recovered,'
    "Suspect,KING,Ken,,05/05/1985,(07911) 300001,,,,,,\n"
)
# (file, text, force, system, classification, handling code), in load order.
FILES = (
    ("gmp_intel.csv", GMP_INTEL, "GMP", "GMPINTEL", "OFFICIAL", "C"),
    ("wyp_crime.csv", WYP_CRIME, "WYP", "WYPCRIME", "OFFICIAL", None),
    ("lan_intel.csv", LAN_INTEL, "LAN", "LANINTEL", "SECRET", None),
)
PHONE = "phone:+447911300001"
INVESTIGATOR = frozenset({"investigator"})
# Shares with GMP and LAN, cleared OFFICIAL: GMP's record is conditional, LAN's above clearance.
WYP = Principal("w.officer", "WYP", frozenset({"GMP", "LAN"}), "OFFICIAL", INVESTIGATOR)
GMP = Principal("g.officer", "GMP", frozenset({"WYP"}), "OFFICIAL", INVESTIGATOR)
# Cleared SECRET and shares with every force: only GMP's conditional record is not its own.
LAN = Principal("l.officer", "LAN", frozenset({"GMP", "WYP"}), "SECRET", INVESTIGATOR)


@dataclass
class Loaded(Engines):
    def db(self) -> GraphDb:
        return GraphDb(self.driver, self.settings.neo4j_database, 30.0)


@pytest.fixture(scope="module", name="loaded")
def loaded_fixture(
    stack: Settings, neo4j_driver: Driver, es_client: Elasticsearch, tmp_path_factory: pytest.TempPathFactory
) -> Loaded:
    engines = Loaded(stack, neo4j_driver, es_client)
    empty(engines)
    folder = tmp_path_factory.mktemp("systems")
    for name, text, force, system, classification, handling in FILES:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        summary = load_file(
            engines.settings, engines.driver, engines.es, "crime", path, force=force, system=system,
            classification=classification, handling_code=handling,
            handling_conditions="GMP only" if handling == "C" else None,
        )  # fmt: skip
        assert summary.quarantined == 0, summary
    engines.es.indices.refresh(index=engines.settings.index_name("entities"))
    return engines


def _phone_hit_systems(
    loaded: Loaded, principal: Principal, filters: SearchFilter | None = None
) -> list[str]:
    found = search(loaded.es, loaded.settings, principal, "07911 300001", filters=filters)
    return [system for hit in found.hits if hit.uid == PHONE for system in hit.source_systems]


def test_the_writer_tags_each_system_with_its_records_token(loaded: Loaded) -> None:
    records, _, _ = loaded.driver.execute_query(
        "MATCH (n:Phone {uid: $uid}) RETURN n.system_access AS tags", uid=PHONE,
        database_=loaded.settings.neo4j_database,
    )  # fmt: skip
    assert records[0]["tags"] == [
        "GMP|OFFICIAL|C|GMPINTEL", "WYP|OFFICIAL|P|WYPCRIME", "LAN|SECRET|P|LANINTEL",
    ]  # fmt: skip


def test_a_hit_shows_only_the_systems_of_records_the_reader_may_read(loaded: Loaded) -> None:
    assert _phone_hit_systems(loaded, WYP) == ["WYPCRIME"]
    assert _phone_hit_systems(loaded, GMP) == ["GMPINTEL", "WYPCRIME"]
    assert _phone_hit_systems(loaded, LAN) == ["LANINTEL", "WYPCRIME"]
    found = search(loaded.es, loaded.settings, WYP, "07911 300001")
    for hit in found.hits:
        assert "system_access" not in hit.record
        assert "source_systems" not in hit.record


def test_the_system_filter_cannot_probe_another_forces_system(loaded: Loaded) -> None:
    # WYP asks for the phone in GMP's and LAN's intelligence systems: no hit, no restricted count.
    for system in ("GMPINTEL", "LANINTEL"):
        probe = search(
            loaded.es, loaded.settings, WYP, "07911 300001", filters=SearchFilter(source_systems=(system,))
        )
        assert probe.hits == ()
        assert probe.total == 0
        assert probe.restricted == {}
    own = SearchFilter(source_systems=("WYPCRIME",))
    assert _phone_hit_systems(loaded, WYP, own) == ["WYPCRIME"]
    # GMP may ask for its own system.
    assert _phone_hit_systems(loaded, GMP, SearchFilter(source_systems=("GMPINTEL",))) == [
        "GMPINTEL",
        "WYPCRIME",
    ]


def test_facets_count_only_readable_records_systems_and_forces(loaded: Loaded) -> None:
    found = search(loaded.es, loaded.settings, WYP, "07911 300001")
    assert "GMPINTEL" not in found.facets["source_system"]
    assert "LANINTEL" not in found.facets["source_system"]
    assert found.facets["source_system"]["WYPCRIME"] >= 1
    # The phone is GMP's by its owner's labels, but to WYP it is WYP's only.
    phone_only = search(
        loaded.es, loaded.settings, WYP, "07911 300001", filters=SearchFilter(labels=("Phone",))
    )
    assert phone_only.facets["force"] == {"WYP": 1}
    assert (
        search(
            loaded.es,
            loaded.settings,
            WYP,
            "07911 300001",
            filters=SearchFilter(forces=("GMP",), labels=("Phone",)),
        ).total
        == 0
    )
    # LAN reads WYP's record and its own: the phone counts once for each force.
    lan = search(loaded.es, loaded.settings, LAN, "07911 300001", filters=SearchFilter(labels=("Phone",)))
    assert lan.facets["force"] == {"LAN": 1, "WYP": 1}
    assert lan.facets["source_system"] == {"LANINTEL": 1, "WYPCRIME": 1}


def test_graph_reads_show_only_readable_records_source_keys(loaded: Loaded) -> None:
    (wyp,) = nodes_by_key(loaded.db(), WYP, [NodeKey("Phone", PHONE)]).values()
    assert wyp.props["source_keys"] == ["src:WYP:WYPCRIME:WC/1"]
    assert "system_access" not in wyp.props
    (gmp,) = nodes_by_key(loaded.db(), GMP, [NodeKey("Phone", PHONE)]).values()
    assert gmp.props["source_keys"] == ["src:GMP:GMPINTEL:GI/1", "src:WYP:WYPCRIME:WC/1"]

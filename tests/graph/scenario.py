"""A small two-force network, loaded through the real loaders, that the read and API tests share.

West Yorkshire (WYP) and Greater Manchester (GMP) records meet on shared phones and a vehicle;
Lancashire (LAN) holds one record nobody else may read. The shapes the tests need:

- Brian (WYP) and Dan (GMP) are 4 hops apart through Carl, a GMP record shared only under
  conditions (handling code C) — and 6 hops apart through readable WYP and GMP records only;
- Alan's phone is also held by a LAN record (an unreadable neighbour for WYP and GMP);
- Eve's phone is also named in a SECRET GMP record (readable only with SECRET clearance);
- intelligence on Alan's phone: one report for all, one WYP shares only under conditions.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import strawberry
from elasticsearch import Elasticsearch
from graphql import GraphQLError
from neo4j import Driver

from polegraph.api.context import RequestContext
from polegraph.api.data import TYPES, DataQuery
from polegraph.api.ids import to_global_id
from polegraph.config import Settings
from polegraph.ingest import load_file
from polegraph.security.policy import Principal
from tests.conftest import Engines, empty
from tests.graph.oracle import graph_size

CRIME_HEADER = (
    "Occurrence Ref,Offence Description,Committed From,Address,Postcode,MO,"
    "Nominal 1 Role,Nominal 1 Surname,Nominal 1 Forenames,Nominal 1 Aliases,Nominal 1 DOB,Nominal 1 Phone,"
    "Nominal 1 VRM,Nominal 2 Role,Nominal 2 Surname,Nominal 2 Forenames,Nominal 2 DOB,Nominal 2 Phone\n"
)
WYP_CRIMES = CRIME_HEADER + (
    'WY/1,Burglary,2024-01-10T10:00:00,"1 Mill Lane, Leeds",LS1 1AA,Door forced at night,'
    "Suspect,ADAMS,Alan,Ace,01/02/1980,07911 100001,,Victim,BAKER,Brian,03/04/1985,07911 100002\n"
    'WY/2,Robbery,2024-03-05T22:00:00,"Kirkgate, Leeds",LS1 6BR,Phone taken at knifepoint,'
    "Suspect,ADAMS,Alan,,01/02/1980,07911 100001,AB12 CDE,,,,,\n"
)
GMP_CONDITIONAL = CRIME_HEADER + (
    'GM/1,Drug trafficking,2024-02-01T12:00:00,"Piccadilly, Manchester",M1 1AA,Supply of class A,'
    'Suspect,COOPER,Carl,,05/06/1990,"07911 100002;07911 100003",,,,,,\n'
)
GMP_CRIMES = CRIME_HEADER + (
    'GM/2,Assault,2024-02-15T23:00:00,"Oldham Street, Manchester",M4 1LE,Punched outside a bar,'
    "Suspect,DAVIES,Dan,,07/08/1988,07911 100003,AB12 CDE,Witness,EVANS,Eve,09/10/1992,07911 100004\n"
)
GMP_SECRET = CRIME_HEADER + (
    'GM/3,Possession of firearms,2024-02-20T09:00:00,"Deansgate, Manchester",M3 2BW,Firearm recovered,'
    "Suspect,GRANT,Gary,,11/12/1979,07911 100004,,,,,,\n"
)
LAN_CRIMES = CRIME_HEADER + (
    'LA/1,Theft,2024-01-15T08:00:00,"Fishergate, Preston",PR1 2NJ,Shoplifting,'
    "Suspect,FOX,Fred,,02/02/1982,07911 100001,,,,,,\n"
)
INTEL_HEADER = (
    "URN,Date Recorded,Date of Intelligence,Submitting Officer,Source Type,Grading Scheme,Source Evaluation,"
    "Intelligence Assessment,Handling Code,Handling Conditions,Classification,Sanitised Text,Subject 1 Name,"
    "Subject 1 DOB,Subject 1 Role,Phones,VRMs\n"
)
WYP_INTEL = INTEL_HEADER + (
    "WY-INT-9,12/01/2024,11/01/2024,PC 101,Officer,3x5x2,2,B,P,,OFFICIAL,"
    "ADAMS uses 07911 100001 to arrange burglaries.,Alan ADAMS,01/02/1980,Subject,07911 100001,\n"
    "WY-INT-10,13/01/2024,13/01/2024,DC 202,CHIS,3x5x2,1,A,C,Not to be shared outside WYP,OFFICIAL,"
    "The phone 07911 100001 is passed between ADAMS and others.,,,,07911 100001,\n"
)

# (format, file name, text, force, classification, handling code, conditions), in load order.
FILES = (
    ("crime", "wyp_crimes.csv", WYP_CRIMES, "WYP", "OFFICIAL", None, None),
    ("crime", "gmp_conditional.csv", GMP_CONDITIONAL, "GMP", "OFFICIAL", "C", "GMP serious crime only"),
    ("crime", "gmp_crimes.csv", GMP_CRIMES, "GMP", "OFFICIAL", None, None),
    ("crime", "gmp_secret.csv", GMP_SECRET, "GMP", "SECRET", None, None),
    ("crime", "lan_crimes.csv", LAN_CRIMES, "LAN", "OFFICIAL", None, None),
    ("intel", "wyp_intel.csv", WYP_INTEL, "WYP", "OFFICIAL", None, None),
)


def person(force: str, ref: str, n: int = 1) -> str:
    """The uid of nominal ``n`` of crime ``ref``."""
    return f"person:{force}:CRIME:{ref}:nominal{n}"


ALAN_1 = person("WYP", "WY/1")
BRIAN = person("WYP", "WY/1", 2)
ALAN_2 = person("WYP", "WY/2")
CARL = person("GMP", "GM/1")
DAN = person("GMP", "GM/2")
EVE = person("GMP", "GM/2", 2)
GARY = person("GMP", "GM/3")
FRED = person("LAN", "LA/1")

INVESTIGATOR = frozenset({"investigator"})
WYP_OFFICER = Principal("w.officer", "WYP", clearance="OFFICIAL", roles=INVESTIGATOR)
# Reads WYP's records under a sharing agreement; GMP's conditional records are its own.
GMP_OFFICER = Principal("g.officer", "GMP", frozenset({"WYP"}), clearance="OFFICIAL", roles=INVESTIGATOR)
# Reads GMP's records under a sharing agreement, but not those GMP shares only under conditions.
WYP_ANALYST = Principal(
    "w.analyst", "WYP", frozenset({"GMP"}), clearance="OFFICIAL", roles=frozenset({"analyst"})
)
GMP_SUPERVISOR = Principal("g.super", "GMP", clearance="SECRET", roles=frozenset({"supervisor"}))
LAN_OFFICER = Principal("l.officer", "LAN", clearance="OFFICIAL", roles=INVESTIGATOR)


@dataclass
class Network(Engines):
    """The engines holding the network."""


def _footprint(engines: Engines) -> tuple[int, int, int]:
    """Nodes, relationships and index documents: what a module that emptied the engines changes."""
    index = engines.settings.index_name("entities")
    documents = engines.es.count(index=index)["count"] if engines.es.indices.exists(index=index) else -1
    return (*graph_size(engines), int(documents))


# The footprint of the network as last loaded: a later module finding exactly it reuses the load
# (the tests only read), one finding anything else (another module's data) loads it afresh.
_LOADED: list[tuple[int, int, int]] = []


def load_network(settings: Settings, driver: Driver, es: Elasticsearch, folder: Path) -> Network:
    network = Network(settings, driver, es)
    if _LOADED and _footprint(network) == _LOADED[-1]:
        return network
    empty(network)
    for fmt, name, text, force, classification, handling, conditions in FILES:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        summary = load_file(
            settings, driver, es, fmt, path, force=force, classification=classification,
            handling_code=handling, handling_conditions=conditions,
        )  # fmt: skip
        assert summary.quarantined == 0, summary
        assert summary.edges_dropped == 0, summary
    es.indices.refresh(index=settings.index_name("entities"))
    _LOADED.append(_footprint(network))
    return network


@pytest.fixture(scope="module", name="network")
def network_fixture(
    stack: Settings, neo4j_driver: Driver, es_client: Elasticsearch, tmp_path_factory: pytest.TempPathFactory
) -> Network:
    """The network, loaded once per test module into emptied engines."""
    return load_network(stack, neo4j_driver, es_client, tmp_path_factory.mktemp("network"))


SCHEMA = strawberry.Schema(query=DataQuery, types=TYPES)


@dataclass
class Answer:
    """What a query returned, and what the request noted for its audit record."""

    data: dict[str, Any] | None
    errors: list[GraphQLError]
    context: RequestContext

    @property
    def messages(self) -> list[str]:
        return [e.message for e in self.errors]


def execute(
    engines: Engines, principal: Principal, query: str, variables: dict[str, Any] | None = None
) -> Answer:
    """Run ``query`` as ``principal`` on the data schema, with a fresh request context."""
    ctx = RequestContext(
        principal=principal, purpose="OP TEST", settings=engines.settings, driver=engines.driver,
        es=engines.es, request_id="test",
    )  # fmt: skip
    result = asyncio.run(SCHEMA.execute(query, variable_values=variables, context_value=ctx))
    return Answer(result.data, list(result.errors or []), ctx)


def gid(label: str, uid: str) -> str:
    return to_global_id(label, uid)

"""The access policy against the real engines: what each principal sees, in Cypher and in ES (kNN too)."""

from __future__ import annotations

import itertools

import pytest

from polegraph.errors import PolegraphError
from polegraph.search.query import by_force
from polegraph.search.results import restricted_counts
from polegraph.security.policy import (
    AccessDenied,
    Principal,
    access_forces,
    access_token,
    cypher_predicate,
    es_filter,
    es_restricted_filter,
    readable_tokens,
    shown_labels,
)
from tests.conftest import Engines

# (uid, force, classification, handling_code): one record each.
RECORDS = [
    ("gmp-official", "GMP", "OFFICIAL", "P"),
    ("gmp-sensitive", "GMP", "OFFICIAL-SENSITIVE", "P"),
    ("gmp-secret", "GMP", "SECRET", "P"),
    ("gmp-conditions", "GMP", "OFFICIAL", "C"),
    ("wyp-official", "WYP", "OFFICIAL", "P"),
    ("wyp-conditions", "WYP", "OFFICIAL", "C"),
    ("lan-official", "LAN", "OFFICIAL", None),
    ("gmp-unlabelled", "GMP", None, None),
]
# Nodes several records assert (a phone keyed by its number): uid -> each record's labels, owner first.
SHARED = {
    # GMP holds it under conditions, WYP on an ordinary record: each force reads it through its own.
    "shared-phone": [("GMP", "OFFICIAL", "C"), ("WYP", "OFFICIAL", "P")],
    # LAN under conditions, GMP at SECRET: only a GMP principal cleared SECRET reads it.
    "shared-secret": [("LAN", "OFFICIAL", "C"), ("GMP", "SECRET", "P")],
    # Owned by a SECRET GMP record, named by LAN under conditions too.
    "secret-owner": [("GMP", "SECRET", "P"), ("LAN", "OFFICIAL", "C")],
}

GMP_ANALYST = Principal("a.analyst", "GMP", frozenset({"WYP"}), "OFFICIAL-SENSITIVE", frozenset({"analyst"}))
WYP_OFFICER = Principal("w.officer", "WYP", frozenset(), "OFFICIAL", frozenset({"investigator"}))
GMP_SECRET = Principal("s.officer", "GMP", frozenset(), "SECRET", frozenset({"intelligence_unit"}))

EXPECTED = {
    GMP_ANALYST: {
        "gmp-official", "gmp-sensitive", "gmp-conditions", "wyp-official", "gmp-unlabelled", "shared-phone",
    },
    WYP_OFFICER: {"wyp-official", "wyp-conditions", "shared-phone"},
    GMP_SECRET: {
        "gmp-official", "gmp-sensitive", "gmp-secret", "gmp-conditions", "gmp-unlabelled", "shared-phone",
        "shared-secret", "secret-owner",
    },
}  # fmt: skip


def _seed(engines: Engines) -> str:
    index = f"{engines.settings.index_prefix}-policy"
    engines.es.indices.create(
        index=index,
        mappings={"properties": {
            "uid": {"type": "keyword"}, "force": {"type": "keyword"}, "classification": {"type": "keyword"},
            "handling_code": {"type": "keyword"}, "text": {"type": "text"}, "access": {"type": "keyword"},
            "access_class": {"type": "keyword"}, "access_forces": {"type": "keyword"},
            "embedding": {"type": "dense_vector", "dims": 3, "index": True, "similarity": "cosine"},
        }},
    )  # fmt: skip
    records = {uid: [(force, cls, code)] for uid, force, cls, code in RECORDS} | SHARED
    for uid, labels in records.items():
        (force, cls, code), tokens = labels[0], [access_token(*record) for record in labels]
        doc = {"uid": uid, "force": force, "text": "girl taken to a hotel", "embedding": [1.0, 0.1, 0.0]}
        # As the writer and the index documents have them: tokens, and the classes of the tokens.
        doc |= {
            "access": tokens, "access_class": sorted({t.split("|")[1] for t in tokens}),
            "access_forces": access_forces(tokens),
        }  # fmt: skip
        props: dict[str, object] = {"uid": uid, "force": force, "access": tokens}
        for key, value in (("classification", cls), ("handling_code", code)):
            if value is not None:
                doc[key] = value
                props[key] = value
        engines.es.index(index=index, id=uid, document=doc)
        engines.driver.execute_query("CREATE (n:PolicyProbe) SET n = $props", props=props)
    engines.es.indices.refresh(index=index)
    return index


@pytest.mark.parametrize("principal", list(EXPECTED), ids=lambda p: p.user)
def test_each_principal_sees_exactly_what_the_policy_allows(engines: Engines, principal: Principal) -> None:
    index = _seed(engines)
    predicate, params = cypher_predicate(principal, "n")
    records, _, _ = engines.driver.execute_query(
        f"MATCH (n:PolicyProbe) WHERE {predicate} RETURN n.uid AS uid", params
    )
    assert {r["uid"] for r in records} == EXPECTED[principal]
    query = {"bool": {"must": {"match": {"text": "hotel"}}, "filter": es_filter(principal)}}
    text = engines.es.search(index=index, query=query, size=50)
    assert {h["_source"]["uid"] for h in text["hits"]["hits"]} == EXPECTED[principal]
    knn = engines.es.search(
        index=index, size=50,
        knn={"field": "embedding", "query_vector": [1.0, 0.0, 0.0], "k": 50, "num_candidates": 100,
             "filter": es_filter(principal)},
    )  # fmt: skip
    assert {h["_source"]["uid"] for h in knn["hits"]["hits"]} == EXPECTED[principal]


def test_restricted_hits_count_only_what_clearance_covers(engines: Engines) -> None:
    index = _seed(engines)
    restricted = es_restricted_filter(WYP_OFFICER)
    assert restricted is not None
    result = engines.es.search(index=index, size=0, query=restricted, aggs=by_force(WYP_OFFICER))
    # GMP: official + conditions (not the sensitive, secret or unlabelled ones); LAN: official, and
    # the two nodes LAN holds under conditions beside a SECRET GMP record — counted as LAN's, never
    # as GMP's, even where GMP's SECRET record owns the node. The phone WYP holds itself is no
    # restricted hit: WYP reads it.
    assert restricted_counts(result["aggregations"]) == {"GMP": 2, "LAN": 3}
    quiet = Principal("q", "WYP", restricted_hits=False)
    assert es_restricted_filter(quiet) is None


def test_no_principal_is_built_from_bad_claims() -> None:
    with pytest.raises(PolegraphError, match="clearance"):
        Principal("x", "GMP", clearance="COSMIC")
    with pytest.raises(PolegraphError, match="role"):
        Principal("x", "GMP", roles=frozenset({"god"}))
    with pytest.raises(PolegraphError, match="user and a home force"):
        Principal("", "GMP")
    with pytest.raises(AccessDenied):
        WYP_OFFICER.require("auditor")
    for var in ("n) DETACH DELETE (m", "n`", "1n", ""):
        with pytest.raises(PolegraphError, match="not a Cypher variable"):
            cypher_predicate(WYP_OFFICER, var)


def test_the_home_force_is_always_readable() -> None:
    principal = Principal("h", "MPS", frozenset({"GMP"}))
    assert principal.readable_forces == {"MPS", "GMP"}
    assert list(itertools.islice(principal.classifications, 1)) == ["OFFICIAL"]


def test_tokens_encode_the_rules_of_the_labels() -> None:
    assert access_token("GMP", None, None) == "GMP|OFFICIAL-SENSITIVE|P"
    assert access_token("GMP", "SECRET", "C") == "GMP|SECRET|C"
    for force in ("", "G|MP"):
        with pytest.raises(PolegraphError, match="force code"):
            access_token(force, "OFFICIAL", "P")
    with pytest.raises(PolegraphError, match="classification"):
        access_token("GMP", "COSMIC", "P")
    # Readable forces x cleared classes under P; conditions for the home force only.
    assert readable_tokens(WYP_OFFICER) == {"WYP|OFFICIAL|P", "WYP|OFFICIAL|C"}
    assert "WYP|OFFICIAL-SENSITIVE|P" in readable_tokens(GMP_ANALYST)
    assert "WYP|OFFICIAL|C" not in readable_tokens(GMP_ANALYST)
    assert "GMP|SECRET|P" not in readable_tokens(GMP_ANALYST)


def test_a_shared_node_shows_the_labels_of_a_record_the_reader_may_read() -> None:
    owner = {
        "force": "GMP", "classification": "OFFICIAL", "handling_code": "C",
        "handling_conditions": "GMP serious crime only", "caveat": "LOCSEN", "e164": "+447911100002",
    }  # fmt: skip
    # GMP reads its own record: the owner's labels, conditions and all.
    assert shown_labels(owner, ["GMP|OFFICIAL|C", "WYP|OFFICIAL|P"]) == owner
    # WYP reads only its own record behind the node: its labels, nothing of GMP's conditions.
    assert shown_labels(owner, ["WYP|OFFICIAL|P"]) == {
        "force": "WYP", "classification": "OFFICIAL", "handling_code": "P", "e164": "+447911100002"
    }  # fmt: skip


def test_a_force_is_counted_by_the_lowest_class_of_its_records() -> None:
    tokens = ["GMP|SECRET|P", "LAN|OFFICIAL|C", "GMP|OFFICIAL-SENSITIVE|C", "LAN|SECRET|P"]
    assert access_forces(tokens) == ["GMP|OFFICIAL-SENSITIVE", "LAN|OFFICIAL"]

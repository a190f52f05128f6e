"""A principal of another force sees nothing it should not: hits, identifiers, facets, counts, cursors,
kNN and more-like-this. What it may not read shows only as a count per owning force."""

from __future__ import annotations

from typing import Any, cast

import pytest
from elasticsearch import Elasticsearch

from polegraph.search.filters import SearchError, SearchFilter
from polegraph.search.hybrid import Encoder
from polegraph.search.query import search
from polegraph.search.results import SearchResult
from polegraph.search.similar import more_like_this
from polegraph.security.policy import Principal, es_filter, es_restricted_filter
from tests.conftest import Engines
from tests.search.corpus import (
    GM_INT_1,
    GM_INT_2,
    GM_INT_3,
    GMP_OFFICER,
    WY_INT_1,
    WYP_ANALYST,
    WYP_OFFICER,
)

QUERIES = (
    "girl taken to a hotel in Rochdale", "07911 123456", "Mohammed Khan", "KHAN, Muhammad 1987", "YX65 ABC",
    "OL16 1AA", "19/05/1987", "Khan", "wy-int-1",
)  # fmt: skip


class Recorder:
    """The real client; every search body it sends is kept, so a test can check each one."""

    def __init__(self, es: Elasticsearch) -> None:
        self._es = es
        self.bodies: list[dict[str, Any]] = []

    def msearch(self, *, searches: list[dict[str, Any]], **kwargs: Any) -> Any:
        self.bodies += searches[1::2]
        return self._es.msearch(searches=searches, **kwargs)

    def search(self, **kwargs: Any) -> Any:
        self.bodies.append(kwargs)
        return self._es.search(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._es, name)


def assert_policy_in_every_request(bodies: list[dict[str, Any]], principal: Principal) -> None:
    """Each request filters by the principal's policy; one that counts unreadable records returns none."""
    allowed, hidden = es_filter(principal), es_restricted_filter(principal)
    assert bodies
    for body in bodies:
        filters = body["knn"]["filter"] if "knn" in body else body["query"]["bool"]["filter"]
        if allowed in filters:
            continue
        assert hidden is not None
        assert hidden in filters, body
        assert body["size"] == 0, "a restricted count must never return records"


def readable(hit_force: str, record: dict[str, Any], principal: Principal) -> bool:
    cleared = record.get("classification", "OFFICIAL-SENSITIVE") in principal.classifications
    shared = record.get("handling_code") != "C" or hit_force == principal.home_force
    return hit_force in principal.readable_forces and cleared and shared


def every_page(
    es: Any, corpus: Engines, principal: Principal, text: str, **kwargs: Any
) -> list[SearchResult]:
    pages = [search(es, corpus.settings, principal, text, first=3, **kwargs)]
    while pages[-1].next_cursor:
        pages.append(
            search(es, corpus.settings, principal, text, first=3, after=pages[-1].next_cursor, **kwargs)
        )
    return pages


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("principal", [GMP_OFFICER, WYP_OFFICER, WYP_ANALYST], ids=lambda p: p.user)
def test_hits_facets_counts_and_pages_hold_only_what_the_policy_allows(
    corpus: Engines, principal: Principal, text: str
) -> None:
    es = Recorder(corpus.es)
    pages = every_page(es, corpus, principal, text)
    hits = [h for page in pages for h in page.hits]
    assert all(readable(h.force, dict(h.record), principal) for h in hits)
    assert len({h.uid for h in hits}) == len(hits) == pages[0].total  # every page, no repeats, true count
    facets = pages[0].facets
    assert set(facets["force"]) <= principal.readable_forces
    assert sum(facets["force"].values()) == pages[0].total == facets["label"].get("Entity", 0)
    # Restricted counts: exactly what a principal of the owning force, at this clearance, would find.
    for force, count in pages[0].restricted.items():
        assert force not in principal.readable_forces or force != principal.home_force
        owner = Principal("owner", force, clearance=principal.clearance)
        only_theirs = SearchFilter(forces=(force,))
        held = search(corpus.es, corpus.settings, owner, text, filters=only_theirs, first=1).total
        shared = search(corpus.es, corpus.settings, principal, text, filters=only_theirs, first=1).total
        assert count == held - shared
    assert_policy_in_every_request(es.bodies, principal)


def test_another_force_learns_only_that_records_exist(corpus: Engines) -> None:
    phone = search(corpus.es, corpus.settings, GMP_OFFICER, "07911 123456")
    assert phone.hits == ()
    assert phone.total == 0
    assert phone.restricted == {"WYP": 1}
    assert phone.facets == {"label": {}, "force": {}, "source_system": {}}
    prose = search(corpus.es, corpus.settings, GMP_OFFICER, "girl taken to a hotel in Rochdale")
    assert {h.uid for h in prose.hits} <= {GM_INT_1, GM_INT_2}
    assert GM_INT_3 not in {h.uid for h in prose.hits}  # GMP's own, but SECRET: not even counted
    assert set(prose.restricted) == {"WYP"}
    # Under a sharing agreement GMP's open report is read; the one shared only under conditions is counted.
    shared = search(corpus.es, corpus.settings, WYP_ANALYST, "hotel")
    assert GM_INT_1 in {h.uid for h in shared.hits}
    assert GM_INT_2 not in {h.uid for h in shared.hits}
    assert shared.restricted == {"GMP": 1}
    # An empty query lists what the principal may read, and no more.
    everything = search(corpus.es, corpus.settings, GMP_OFFICER, "", first=100)
    assert everything.hits
    assert {h.force for h in everything.hits} == {"GMP"}
    assert GM_INT_3 not in {h.uid for h in everything.hits}
    quiet = Principal("q", "GMP", restricted_hits=False)
    assert search(corpus.es, corpus.settings, quiet, "07911 123456").restricted == {}


def test_a_cursor_serves_only_its_own_search_and_principal(corpus: Engines) -> None:
    first = search(corpus.es, corpus.settings, WYP_OFFICER, "Khan", first=1)
    assert first.next_cursor is not None
    with pytest.raises(SearchError, match="another search"):
        search(corpus.es, corpus.settings, GMP_OFFICER, "Khan", first=1, after=first.next_cursor)
    with pytest.raises(SearchError, match="another search"):
        search(corpus.es, corpus.settings, WYP_OFFICER, "Smith", first=1, after=first.next_cursor)
    narrowed = SearchFilter(labels=("Person",))
    with pytest.raises(SearchError, match="another search"):
        search(
            corpus.es,
            corpus.settings,
            WYP_OFFICER,
            "Khan",
            filters=narrowed,
            first=1,
            after=first.next_cursor,
        )


def test_knn_and_more_like_this_hold_the_policy(embedded: Engines, encoder: Encoder) -> None:
    es = Recorder(embedded.es)
    pages = every_page(es, embedded, GMP_OFFICER, "girl taken to a hotel in Rochdale", encoder=encoder)
    assert pages[0].mode == "hybrid"
    hits = [h for page in pages for h in page.hits]
    assert all(readable(h.force, dict(h.record), GMP_OFFICER) for h in hits)
    assert GM_INT_1 in {h.uid for h in hits}
    assert "WYP" in pages[0].restricted  # WYP's nearest reports exist, and are only counted
    similar = more_like_this(cast(Elasticsearch, es), embedded.settings, GMP_OFFICER, GM_INT_1)
    assert similar.hits
    assert all(readable(h.force, dict(h.record), GMP_OFFICER) for h in similar.hits)
    assert GM_INT_1 not in {h.uid for h in similar.hits}
    assert "WYP" in similar.restricted
    assert_policy_in_every_request(es.bodies, GMP_OFFICER)
    # A record the principal may not read cannot seed a search; the error does not say whether it exists.
    for uid in (WY_INT_1, GM_INT_3, "intelreport:GMP:INTEL:NO-SUCH"):
        with pytest.raises(SearchError, match=r"no record .* that you may read"):
            more_like_this(embedded.es, embedded.settings, GMP_OFFICER, uid)

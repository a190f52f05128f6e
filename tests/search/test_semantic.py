"""Hybrid ranking: BM25 and kNN fused by reciprocal rank, and more-like-this, with the real model."""

from __future__ import annotations

from typing import Any

import pytest

from polegraph.search.filters import SearchError
from polegraph.search.hybrid import RRF_K, Encoder, fuse
from polegraph.search.query import search
from polegraph.search.similar import more_like_this
from tests.conftest import Engines
from tests.search.corpus import GM_INT_1, WY_INT_1, WYP_OFFICER

ROCHDALE_CRIME = "crime:WYP:CRIME:WY/24/1001"


def test_meaning_finds_what_words_miss(embedded: Engines, encoder: Encoder) -> None:
    text = "youngster driven to a motel"  # no word in common with the reports
    assert search(embedded.es, embedded.settings, WYP_OFFICER, text).total == 0
    result = search(embedded.es, embedded.settings, WYP_OFFICER, text, encoder=encoder)
    assert result.mode == "hybrid"
    assert {h.uid for h in result.hits} >= {ROCHDALE_CRIME, WY_INT_1}
    for hit in result.hits:
        assert any(line.startswith("similar in meaning to the query (cosine 0.") for line in hit.explanations)
    # GMP's report says the same; this officer may not read GMP's records, so it is only counted.
    assert result.restricted == {"GMP": 1}
    assert GM_INT_1 not in {h.uid for h in result.hits}


def test_records_found_both_ways_rank_first(embedded: Engines, encoder: Encoder) -> None:
    result = search(
        embedded.es, embedded.settings, WYP_OFFICER, "teenager abused at a hotel", encoder=encoder
    )
    top = result.hits[0]
    assert top.uid in (ROCHDALE_CRIME, WY_INT_1)
    assert any(line.startswith("text mentions") for line in top.explanations)
    assert any(line.startswith("similar in meaning") for line in top.explanations)
    assert top.score == pytest.approx(2 / (RRF_K + 1), rel=0.05)


def test_reciprocal_rank_fusion() -> None:
    def hits(*uids: str) -> list[dict[str, Any]]:
        return [{"_id": uid} for uid in uids]

    fused = fuse(hits("a", "b", "c"), hits("c", "d", "a"))
    assert [f.uid for f in fused] == ["a", "c", "b", "d"]
    assert fused[0].score == pytest.approx(1 / (RRF_K + 1) + 1 / (RRF_K + 3))
    assert fused[2].lexical is not None
    assert fused[2].semantic is None
    # Equal scores are ordered by uid, so pages over the fused ranking are stable.
    assert [f.uid for f in fuse(hits("y", "x"), hits("x", "y"))] == ["x", "y"]


def test_the_first_of_either_ranking_stays_on_the_first_page() -> None:
    """The first lexical hit, under the kNN's cosine floor, against fifty records both rankings hold."""

    def hits(*uids: str) -> list[dict[str, Any]]:
        return [{"_id": uid} for uid in uids]

    both = [f"r{n:02d}" for n in range(50)]
    lexical = hits("words-first", *both)
    semantic = hits("meaning-first", *both[::-1])  # the two rankings disagree on their order
    order = [f.uid for f in fuse(lexical, semantic)]
    assert order.index("words-first") < 10
    assert order.index("meaning-first") < 10


def test_hybrid_pages_cover_the_fused_ranking_once(embedded: Engines, encoder: Encoder) -> None:
    whole = search(embedded.es, embedded.settings, WYP_OFFICER, "Khan", encoder=encoder, first=100)
    assert whole.total == len(whole.hits) >= 5
    seen = []
    after = None
    while True:
        page = search(
            embedded.es, embedded.settings, WYP_OFFICER, "Khan", encoder=encoder, first=2, after=after
        )
        seen += [h.uid for h in page.hits]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == [h.uid for h in whole.hits]


def test_more_like_this_uses_the_records_own_embedding(embedded: Engines) -> None:
    result = more_like_this(embedded.es, embedded.settings, WYP_OFFICER, WY_INT_1, first=5)
    assert result.mode == "similar"
    assert result.hits[0].uid == ROCHDALE_CRIME
    assert result.hits[0].score > 0.8
    assert WY_INT_1 not in {h.uid for h in result.hits}
    assert result.hits[0].explanations[0].startswith("similar in meaning to WY-INT-1 (cosine 0.")
    assert result.restricted == {"GMP": 1}
    # A record without an embedding has no neighbours by meaning.
    person = more_like_this(embedded.es, embedded.settings, WYP_OFFICER, "person:WYP:INTEL:WY-INT-1:subject1")
    assert person.hits == ()
    assert person.notes


class WrongModel:
    def encode(self, sentences: list[str], /) -> list[list[float]]:
        return [[0.1, 0.2, 0.3] for _ in sentences]


def test_an_encoder_of_the_wrong_size_is_refused(embedded: Engines) -> None:
    with pytest.raises(SearchError, match="3-dimensional"):
        search(embedded.es, embedded.settings, WYP_OFFICER, "girl at a hotel", encoder=WrongModel())

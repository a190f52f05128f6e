"""Embeddings against the real engines and the real model: vectors in both engines, nothing encoded
twice, and a paraphrase found by meaning with Neo4j's vector index and Elasticsearch's kNN."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from polegraph.nlp.cache import EmbeddingCache
from polegraph.nlp.embed import embed_pending, embedding_hash
from tests.conftest import Engines
from tests.nlp.conftest import CountingEncoder, count, load_intel, write_intel

REPORTS = [
    (
        "WY-INT-1",
        "A silver Ford Fiesta is used to move stolen goods from burglaries to a lock-up in Harehills.",
    ),
    (
        "WY-INT-2",
        "A 14 year old girl is collected from her care home late at night by an older man in a black Audi.",
    ),
    (
        "WY-INT-3",
        "Cannabis is grown in the loft of a terraced house; the electricity meter has been bypassed.",
    ),
    (
        "WY-INT-4",
        "Cannabis is grown in the loft of a terraced house; the electricity meter has been bypassed.",
    ),
    ("WY-INT-5", "Users report a new county line branded JAY selling heroin and crack around Dyer Street."),
]


def _cache(tmp_path: Path, engines: Engines) -> EmbeddingCache:
    return EmbeddingCache(tmp_path / "embeddings.sqlite", engines.settings.embedding_dims)


def test_embed_fills_both_engines_and_never_encodes_twice(
    engines: Engines, encoder: CountingEncoder, tmp_path: Path
) -> None:
    load_intel(engines, write_intel(tmp_path / "intel.csv", REPORTS))
    seen: list[int] = []
    with _cache(tmp_path, engines) as cache:
        first = embed_pending(engines.settings, engines.driver, engines.es, encoder, cache=cache,
                              progress=seen.append, page_size=2)  # fmt: skip
        # Five reports, four distinct texts: the repeated text is encoded once.
        assert (first.seen, first.embedded, first.encoded, first.cached) == (5, 5, 4, 0)
        assert len(encoder.texts) == 4
        assert sum(seen) == 5
        assert count(engines, "MATCH (n:IntelReport) WHERE size(n.embedding) = 384 RETURN count(n)") == 5
        records, _, _ = engines.driver.execute_query(
            "MATCH (n:IntelReport {urn: 'WY-INT-1'}) RETURN n.embedding AS v, n.embedding_hash AS h, "
            "n.embedding_model AS m", database_=engines.settings.neo4j_database,
        )  # fmt: skip
        stored = records[0]
        assert stored["h"] == embedding_hash(REPORTS[0][1], encoder.name)
        assert stored["m"] == "sentence-transformers/all-MiniLM-L6-v2"
        doc = engines.es.get(
            index=engines.settings.index_name("entities"), id="intelreport:WYP:INTEL:WY-INT-1"
        )
        assert doc["_source"]["embedding_hash"] == stored["h"]
        assert np.allclose(doc["_source"]["embedding"], stored["v"])
        # The rest of the document is untouched by the partial update.
        assert (doc["_source"]["text"], doc["_source"]["force"]) == (REPORTS[0][1], "WYP")

        encoder.texts.clear()
        second = embed_pending(engines.settings, engines.driver, engines.es, encoder, cache=cache)
        assert (second.seen, second.unchanged, second.embedded, second.encoded) == (5, 5, 0, 0)
        assert encoder.texts == []

        # A rebuilt graph: the embeddings are gone from the nodes, but the cache still has them.
        engines.driver.execute_query(
            "MATCH (n:IntelReport) REMOVE n.embedding, n.embedding_hash",
            database_=engines.settings.neo4j_database,
        )
        third = embed_pending(engines.settings, engines.driver, engines.es, encoder, cache=cache)
        assert (third.embedded, third.encoded, third.cached) == (5, 0, 4)
        assert encoder.texts == []


def test_changed_text_is_embedded_again(engines: Engines, encoder: CountingEncoder, tmp_path: Path) -> None:
    load_intel(engines, write_intel(tmp_path / "v1.csv", REPORTS[:2]))
    with _cache(tmp_path, engines) as cache:
        embed_pending(engines.settings, engines.driver, engines.es, encoder, cache=cache)
        changed = [(REPORTS[0][0], "The Fiesta was sold; BROWN now drives a white Transit van."), REPORTS[1]]
        load_intel(engines, write_intel(tmp_path / "v2.csv", changed))
        encoder.texts.clear()
        summary = embed_pending(engines.settings, engines.driver, engines.es, encoder, cache=cache)
    assert (summary.unchanged, summary.embedded, summary.encoded) == (1, 1, 1)
    assert encoder.texts == [changed[0][1]]


def test_paraphrase_found_by_meaning(engines: Engines, encoder: CountingEncoder, tmp_path: Path) -> None:
    load_intel(engines, write_intel(tmp_path / "intel.csv", REPORTS))
    with _cache(tmp_path, engines) as cache:
        embed_pending(engines.settings, engines.driver, engines.es, encoder, cache=cache)
    # A paraphrase: it shares no content word with the report it should find.
    query = encoder.encode(
        ["teenager fetched from a children's residential placement in the evening by an adult driver"]
    )[0]
    records, _, _ = engines.driver.execute_query(
        "CALL db.index.vector.queryNodes('intel_report_embedding_vector', 2, $v) YIELD node, score "
        "RETURN node.urn AS urn, score",
        v=query.tolist(), database_=engines.settings.neo4j_database,
    )  # fmt: skip
    assert records[0]["urn"] == "WY-INT-2"
    assert records[0]["score"] > records[1]["score"] + 0.1
    hits = engines.es.search(
        index=engines.settings.index_name("entities"),
        knn={"field": "embedding", "query_vector": query.tolist(), "k": 2, "num_candidates": 20},
        source_includes=["urn"],
    )["hits"]["hits"]
    assert hits[0]["_source"]["urn"] == "WY-INT-2"


def test_cache_persists_exact_vectors_and_keeps_the_newest(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    vectors = np.random.default_rng(3).normal(size=(5, 4)).astype(np.float32)
    with EmbeddingCache(path, dims=4, max_entries=3) as cache:
        for n, vector in enumerate(vectors):
            cache.put_many([(f"h{n}", vector)])
        assert len(cache) == 3
    with EmbeddingCache(path, dims=4) as reopened:
        found = reopened.get_many(["h0", "h1", "h2", "h3", "h4", "other"])
    assert sorted(found) == ["h2", "h3", "h4"]
    assert all(np.array_equal(found[f"h{n}"], vectors[n]) for n in (2, 3, 4))

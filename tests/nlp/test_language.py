"""Language identification and translation against the real engines: a Polish chat from a phone
extraction is told apart from English, and a tiny MarianMT model built here translates it, with the
original and the translation both stored and both searchable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from polegraph.ingest import load_file
from polegraph.nlp.cache import EmbeddingCache
from polegraph.nlp.embed import embed_pending
from polegraph.nlp.language import LanguageIdentifier, identify_pending
from polegraph.nlp.translate import MarianTranslator
from tests.conftest import Engines
from tests.nlp.conftest import CountingEncoder
from tests.nlp.marian import build_tiny_marian

UFDR = Path(__file__).resolve().parents[1] / "fixtures" / "ufdr" / "sample.ufdr"
POLISH = "Gdzie jesteś? Czekam pod szkołą."


@pytest.fixture(scope="module")
def translator(tmp_path_factory: pytest.TempPathFactory) -> MarianTranslator:
    folder = build_tiny_marian(tmp_path_factory.mktemp("marian") / "opus-mt-tiny-pl-en")
    return MarianTranslator(folder, device="cpu")


def _messages(engines: Engines) -> dict[str, dict[str, Any]]:
    records, _, _ = engines.driver.execute_query(
        "MATCH (m:Message) RETURN m.uid AS uid, m.body AS body, m.lang AS lang, m.text_translated AS en",
        database_=engines.settings.neo4j_database,
    )
    return {r["body"]: dict(r) for r in records if r["body"]}


def test_languages_of_messages(engines: Engines, identifier: LanguageIdentifier) -> None:
    load_file(engines.settings, engines.driver, engines.es, "ufdr", UFDR, force="WYP")
    summary = identify_pending(engines.settings, engines.driver, engines.es, identifier=identifier)
    messages = _messages(engines)
    assert messages[POLISH]["lang"] == "pl"
    assert messages["Nie mów nikomu, że się spotykamy."]["lang"] == "pl"
    assert messages["where r u? come to the flat after school"]["lang"] == "en"
    assert messages["ok"]["lang"] is None  # too short to tell
    assert summary.by_language is not None
    assert summary.by_language["pl"] == 4
    assert summary.translated == 0
    doc = engines.es.get(index=engines.settings.index_name("entities"), id=messages[POLISH]["uid"])["_source"]
    assert (doc["lang"], doc["text"]) == ("pl", POLISH)

    again = identify_pending(engines.settings, engines.driver, engines.es, identifier=identifier)
    assert again.unchanged == again.seen
    assert again.identified == 0


def test_identifier_declines_what_it_cannot_tell(identifier: LanguageIdentifier) -> None:
    assert identifier.identify_many(["Już idę, będę za 10 minut", "u free tonight?", "ok x", ""]) == [
        "pl", "en", None, None,
    ]  # fmt: skip


def test_translation_stored_indexed_and_embedded(
    engines: Engines,
    identifier: LanguageIdentifier,
    translator: MarianTranslator,
    encoder: CountingEncoder,
    tmp_path: Path,
) -> None:
    assert translator.languages == {"pl"}  # as the model's tokenizer says
    load_file(engines.settings, engines.driver, engines.es, "ufdr", UFDR, force="WYP")
    # Languages first, with no translator; then a translator, configured since, translates what it reads.
    identify_pending(engines.settings, engines.driver, engines.es, identifier=identifier, labels=["Message"])
    summary = identify_pending(
        engines.settings,
        engines.driver,
        engines.es,
        identifier=identifier,
        translator=translator,
        labels=["Message"],
    )
    assert summary.translated == summary.seen - summary.unchanged == 4
    messages = _messages(engines)
    polish = messages[POLISH]
    assert polish["en"]  # the tiny model's output means nothing, but it is there
    assert messages["where r u? come to the flat after school"]["en"] is None

    index = engines.settings.index_name("entities")
    doc = engines.es.get(index=index, id=polish["uid"])["_source"]
    assert (doc["text"], doc["text_translated"]) == (POLISH, polish["en"])
    # Both texts are searchable: the original by its words, the translation by its own.
    by_original = engines.es.search(index=index, query={"match": {"text": "szkołą"}})["hits"]["hits"]
    assert polish["uid"] in [h["_id"] for h in by_original]
    word = polish["en"].split()[0]
    by_translation = engines.es.search(index=index, query={"match": {"text_translated": word}})["hits"][
        "hits"
    ]
    assert polish["uid"] in [h["_id"] for h in by_translation]

    # A later run without the translator leaves the translations of unchanged texts alone.
    identify_pending(engines.settings, engines.driver, engines.es, identifier=identifier, labels=["Message"])
    assert _messages(engines)[POLISH]["en"] == polish["en"]

    # The embedding reads the translation with the original.
    with EmbeddingCache(tmp_path / "embeddings.sqlite", engines.settings.embedding_dims) as cache:
        embed_pending(engines.settings, engines.driver, engines.es, encoder, cache=cache, labels=["Message"])
    assert f"{polish['en']}\n\n{POLISH}" in encoder.texts

"""Language identification of text-bearing records, and their translation into English.

Languages are told by ``lingua-language-detector``, whose models ship inside its wheel (nothing is
downloaded). It chooses among the languages most often met in UK policing, and says nothing (no
``lang``) when a text is too short or too mixed to tell: "ok x" is no language. A record found to be
in another language is translated by the configured ``Translator`` when it reads that language;
the original stays in its property, the translation goes to ``text_translated``, and both are
indexed. A text is read again when it changes, or when a translator configured since can translate
it (``redo`` translates everything again, after a better model is installed, say). Run this before
``embed``, so that embeddings include the translation.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch
from neo4j import Driver, ManagedTransaction

from polegraph.config import Settings
from polegraph.nlp.narrative import (
    LANG_HASH,
    NarrativeNode,
    checked_label,
    content_hash,
    each_page,
    write_page,
)
from polegraph.nlp.translate import Translator

#: ISO 639-1 codes of the languages told apart: English, the languages of the largest groups of
#: non-English speakers in the UK census, and those of partners in European and Commonwealth work.
UK_LANGUAGES: tuple[str, ...] = (
    *("en", "cy", "ga"),  # English, Welsh, Irish
    *("pl", "ro", "lt", "lv", "bg", "sk", "cs", "hu", "ru", "uk", "sq", "el"),  # European
    *("pt", "es", "fr", "it", "de", "nl", "tr"),
    *("ur", "pa", "bn", "gu", "hi", "ta", "ar", "fa", "so", "sw", "yo", "zh", "vi", "tl"),  # elsewhere
)
# Below this distance between the best and second-best language, the detector declines to choose.
MIN_RELATIVE_DISTANCE = 0.2
DEFAULT_PAGE = 500
LANGUAGE_VERSION = "lingua-2/1"


class LanguageIdentifier:
    """Tells the language of texts as an ISO 639-1 code, or None when it cannot tell."""

    def __init__(
        self, languages: Sequence[str] = UK_LANGUAGES, min_distance: float = MIN_RELATIVE_DISTANCE
    ) -> None:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        chosen = [Language.from_iso_code_639_1(IsoCode639_1.from_str(code)) for code in languages]
        # Models load lazily, language by language, as texts call for them.
        self._detector = (
            LanguageDetectorBuilder.from_languages(*chosen)
            .with_minimum_relative_distance(min_distance)
            .build()
        )
        self.name = f"{LANGUAGE_VERSION}:{','.join(sorted(languages))}:{min_distance}"

    def identify(self, text: str) -> str | None:
        """The language of ``text``, or None."""
        return self.identify_many([text])[0]

    def identify_many(self, texts: Sequence[str]) -> list[str | None]:
        """The language of each text (detected in parallel threads), None where it cannot tell."""
        found = self._detector.detect_languages_in_parallel_of(list(texts))
        return [lang.iso_code_639_1.name.lower() if lang is not None else None for lang in found]


@functools.cache
def default_identifier() -> LanguageIdentifier:
    """One identifier per process (its language models are loaded as they are needed, then kept)."""
    return LanguageIdentifier()


@dataclass
class LanguageSummary:
    """What a run did; ``seen == unchanged + identified + undetermined``."""

    seen: int = 0
    unchanged: int = 0
    identified: int = 0  # nodes given a language
    undetermined: int = 0  # nodes whose language could not be told (or that have no text)
    translated: int = 0
    by_language: dict[str, int] | None = None
    documents: int = 0
    seconds: float = 0.0


def _state_hash(node: NarrativeNode, identifier: LanguageIdentifier) -> str:
    return content_hash("language", identifier.name, node.original)


def _needs_work(node: NarrativeNode, state: str, translator: Translator | None, redo: bool) -> bool:
    """New or changed text; or unchanged text that a translator configured since can now translate.

    A run without a translator leaves earlier translations of unchanged texts alone; a changed text
    loses its translation unless the translator makes a new one.
    """
    if not _worth(node):
        return False
    if redo or node.state.get(LANG_HASH) != state:
        return True
    return (
        translator is not None
        and node.translated is None
        and node.lang is not None
        and translator.supports(node.lang)
    )


def _translations(
    nodes: Sequence[NarrativeNode], langs: Sequence[str | None], translator: Translator | None
) -> dict[str, str]:
    """uid -> English text, for the nodes in a language the translator reads (one call per language)."""
    if translator is None:
        return {}
    by_lang: dict[str, list[NarrativeNode]] = {}
    for node, lang in zip(nodes, langs, strict=True):
        if lang is not None and translator.supports(lang):
            by_lang.setdefault(lang, []).append(node)
    out: dict[str, str] = {}
    for lang, group in by_lang.items():
        for node, text in zip(group, translator.translate([n.original for n in group], lang), strict=True):
            if text.strip():
                out[node.uid] = text.strip()
    return out


def _worth(node: NarrativeNode) -> bool:
    """False for a node with no text and nothing set by an earlier run: there is nothing to do."""
    return (
        bool(node.original) or node.lang is not None or node.translated is not None or LANG_HASH in node.state
    )


def _write_query(label: str) -> str:
    # Setting a property to null removes it: a text now in English loses its old translation.
    return (
        f"UNWIND $rows AS r MATCH (n:`{checked_label(label)}` {{uid: r.uid}}) "
        f"SET n.lang = r.lang, n.text_translated = r.translated, n.`{LANG_HASH}` = r.hash"
    )


def _write(settings: Settings, driver: Driver, es: Elasticsearch, label: str, rows: list[dict[str, Any]],
           summary: LanguageSummary) -> None:  # fmt: skip
    def graph_write(tx: ManagedTransaction) -> None:
        tx.run(_write_query(label), rows=rows).consume()

    docs = [(r["uid"], {"lang": r["lang"], "text_translated": r["translated"]}) for r in rows]
    summary.documents += write_page(settings, driver, es, label, graph_write, docs)


def identify_pending(
    settings: Settings,
    driver: Driver,
    es: Elasticsearch,
    *,
    identifier: LanguageIdentifier | None = None,
    translator: Translator | None = None,
    labels: Sequence[str] | None = None,
    redo: bool = False,
    page_size: int = DEFAULT_PAGE,
    progress: Callable[[int], None] | None = None,
) -> LanguageSummary:
    """Set ``lang`` (and ``text_translated``) on text-bearing nodes new or changed since the last run."""
    started = time.monotonic()
    identifier = identifier or default_identifier()
    summary = LanguageSummary(by_language={})
    assert summary.by_language is not None

    def handle(label: str, page: list[NarrativeNode]) -> Callable[[], None] | None:
        assert summary.by_language is not None
        summary.seen += len(page)
        todo = [(n, _state_hash(n, identifier)) for n in page]
        todo = [(n, h) for n, h in todo if _needs_work(n, h, translator, redo)]
        summary.unchanged += len(page) - len(todo)
        nodes = [n for n, _ in todo]
        langs = identifier.identify_many([n.original for n in nodes])
        english = _translations(nodes, langs, translator)
        rows = []
        for (node, state), lang in zip(todo, langs, strict=True):
            if lang is None or not node.original:
                summary.undetermined += 1
            else:
                summary.identified += 1
                summary.by_language[lang] = summary.by_language.get(lang, 0) + 1
            rows.append({"uid": node.uid, "lang": lang, "translated": english.get(node.uid), "hash": state})
        summary.translated += len(english)
        return functools.partial(_write, settings, driver, es, label, rows, summary) if rows else None

    each_page(settings, driver, es, labels, page_size, handle, progress)
    summary.seconds = time.monotonic() - started
    return summary

"""``polegraph extract``: entities named in free text, found by a spaCy pipeline and linked by ``MENTIONS``.

The pipeline starts from ``spacy.blank("en")`` (tokeniser only) and adds:

- ``polegraph_identifiers``: the rules of `polegraph.nlp.rules` (phones in any format, VRMs,
  postcodes, e-mail addresses, IMEIs, social handles, dates), as spans with exact offsets;
- ``polegraph_gazetteer``: a ``PhraseMatcher`` over token norms set to folded words, loaded with the
  names and aliases of the Person nodes already in the graph (`polegraph.nlp.gazetteer`);
- ``polegraph_ner``, only when a statistical model is installed (``en_core_web_sm``): its PERSON
  entities that the gazetteer knows, found however the tokens fall;
- ``polegraph_mentions``: overlaps settled (identifiers first, then longer spans), ``doc.ents`` set.

Found spans are in ``doc.spans["polegraph"]``, each with its ``Mention`` in ``span._.polegraph``. A run
reads the text-bearing nodes new or changed since the last extraction (the text's hash is kept on
the node) and writes their mentions (`polegraph.nlp.mentions`); ``redo`` reads them all again, which
is worth doing when many new people have been loaded.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import spacy
from elasticsearch import Elasticsearch
from neo4j import Driver
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from polegraph.config import Settings
from polegraph.nlp.gazetteer import GAZETTEER_VERSION, Gazetteer, name_key
from polegraph.nlp.mentions import PERSON_KIND, Mention, RecordMentions, write_mentions
from polegraph.nlp.narrative import (
    MENTIONS_HASH,
    NarrativeNode,
    content_hash,
    each_page,
)
from polegraph.nlp.rules import RULESET, find_identifiers
from polegraph.search.indexer import index_nodes

SPANS = "polegraph"
STATISTICAL_MODEL = "en_core_web_sm"
DEFAULT_PAGE = 500
# How sure a match is: identifiers are checked by their types; a multi-word name is fairly
# specific, a single-word alias much less so.
RULE_CONFIDENCE = 1.0
NAME_CONFIDENCE = 0.8
SINGLE_NAME_CONFIDENCE = 0.5
NER_CONFIDENCE = 0.9

if not Span.has_extension(SPANS):
    Span.set_extension(SPANS, default=None)


def _span(doc: Doc, start: int, end: int, label: str, mention: Mention) -> Span | None:
    span = doc.char_span(start, end, label=label, alignment_mode="expand")
    if span is not None:
        span._.set(SPANS, mention)
    return span


def _add_spans(doc: Doc, spans: Iterable[Span]) -> None:
    group = list(doc.spans[SPANS]) if SPANS in doc.spans else []
    doc.spans[SPANS] = group + list(spans)


class IdentifierRules:
    """Pipeline component: UK identifiers found by `polegraph.nlp.rules`."""

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for found in find_identifiers(doc.text):
            mention = Mention(
                "", found.start, found.end, found.surface, found.kind, found.value, "RULE", RULESET,
                RULE_CONFIDENCE, platform=found.platform,
            )  # fmt: skip
            span = _span(doc, found.start, found.end, found.kind, mention)
            if span is not None:
                spans.append(span)
        _add_spans(doc, spans)
        return doc


class GazetteerMatcher:
    """Pipeline component: names of people in the graph, matched on folded words."""

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self.matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        self.gazetteer = Gazetteer()

    def load(self, gazetteer: Gazetteer) -> None:
        """Match the names of ``gazetteer`` (replacing those loaded before)."""
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="NORM")
        self.gazetteer = gazetteer
        for key in gazetteer.matchable():
            pattern = self.nlp.make_doc(key)
            for token in pattern:
                token.norm_ = token.text
            self.matcher.add(key, [pattern])

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            token.norm_ = name_key(token.text)
        spans = []
        for match_id, start, end in self.matcher(doc):
            words = doc[start:end]
            # A single word must be written as a name ("Jay", "JAY"), not as a word ("jay").
            if len(words) == 1 and not words[0].text[:1].isupper():
                continue
            key = self.nlp.vocab.strings[match_id]
            persons = self.gazetteer.lookup(key)
            if not persons:
                continue
            confidence = NAME_CONFIDENCE if len(words) > 1 else SINGLE_NAME_CONFIDENCE
            mention = Mention(
                "", words.start_char, words.end_char, words.text, PERSON_KIND, key, "RULE", GAZETTEER_VERSION,
                confidence, persons=persons,
            )  # fmt: skip
            span = _span(doc, words.start_char, words.end_char, PERSON_KIND, mention)
            if span is not None:
                spans.append(span)
        _add_spans(doc, spans)
        return doc


class StatisticalPersons:
    """Pipeline component: PERSON entities of an installed statistical model that the gazetteer knows."""

    def __init__(self, model: Language, gazetteer: GazetteerMatcher) -> None:
        self.model, self.gazetteer = model, gazetteer
        self.name = f"{model.meta.get('name', STATISTICAL_MODEL)}/{model.meta.get('version', '')}"

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for ent in self.model(doc.text).ents:
            if ent.label_ != "PERSON":
                continue
            persons = self.gazetteer.gazetteer.lookup(ent.text)
            if persons:
                mention = Mention(
                    "", ent.start_char, ent.end_char, ent.text, PERSON_KIND, name_key(ent.text), "NER",
                    self.name, NER_CONFIDENCE, persons=persons,
                )  # fmt: skip
                span = _span(doc, ent.start_char, ent.end_char, PERSON_KIND, mention)
                if span is not None:
                    spans.append(span)
        _add_spans(doc, spans)
        return doc


def _settle(doc: Doc) -> Doc:
    """Keep one span where spans overlap: identifiers before names, statistical names before matched
    ones, then the longer; ``doc.ents`` becomes the kept spans."""
    spans = list(doc.spans[SPANS]) if SPANS in doc.spans else []

    def rank(span: Span) -> tuple[int, int]:
        mention: Mention = span._.get(SPANS)
        kind_rank = 1 if mention.kind == PERSON_KIND else 0
        return (kind_rank, 0 if mention.method == "NER" else 1)

    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (*rank(s), s.start - s.end, s.start)):
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    kept.sort(key=lambda s: s.start)
    doc.spans[SPANS] = kept
    doc.ents = filter_spans(kept)
    return doc


@Language.factory("polegraph_identifiers")
def _make_identifiers(nlp: Language, name: str) -> IdentifierRules:
    return IdentifierRules()


@Language.factory("polegraph_gazetteer")
def _make_gazetteer(nlp: Language, name: str) -> GazetteerMatcher:
    return GazetteerMatcher(nlp)


@Language.component("polegraph_mentions")
def _make_mentions(doc: Doc) -> Doc:
    return _settle(doc)


def statistical_model() -> Language | None:
    """The statistical English model when one is installed, else None (everything works without it)."""
    if not spacy.util.is_package(STATISTICAL_MODEL):
        return None
    return spacy.load(STATISTICAL_MODEL, exclude=["parser", "lemmatizer", "tagger", "attribute_ruler"])


def build_pipeline(gazetteer: Gazetteer | None = None, *, statistical: Language | None = None) -> Language:
    """The extraction pipeline; ``statistical`` adds a statistical model's PERSON entities."""
    nlp = spacy.blank("en")
    nlp.add_pipe("polegraph_identifiers")
    matcher = nlp.add_pipe("polegraph_gazetteer")
    assert isinstance(matcher, GazetteerMatcher)
    matcher.load(gazetteer or Gazetteer())
    if statistical is not None:
        nlp.add_pipe("polegraph_ner")
        ner = nlp.get_pipe("polegraph_ner")
        assert isinstance(ner, _NerSlot)
        ner.component = StatisticalPersons(statistical, matcher)
    nlp.add_pipe("polegraph_mentions")
    return nlp


class _NerSlot:
    """Holds the statistical component (a factory's config cannot carry a loaded model)."""

    def __init__(self) -> None:
        self.component: StatisticalPersons | None = None

    def __call__(self, doc: Doc) -> Doc:
        return self.component(doc) if self.component is not None else doc


@Language.factory("polegraph_ner")
def _make_ner(nlp: Language, name: str) -> _NerSlot:
    return _NerSlot()


def mentions_in(doc: Doc, prop: str) -> list[Mention]:
    """The mentions the pipeline found in ``doc``, as found in the text property ``prop``."""
    spans = doc.spans.get(SPANS, [])
    return [replace(span._.get(SPANS), property=prop) for span in spans]


def extraction_hash(node: NarrativeNode, pipeline_name: str) -> str:
    """The hash kept as ``mentions_hash``: of the texts and the rules that read them."""
    return content_hash("mentions", pipeline_name, *(f"{k}={v}" for k, v in node.texts.items()))


@dataclass
class ExtractSummary:
    """What a run did."""

    seen: int = 0
    unchanged: int = 0
    extracted: int = 0  # records whose text was read
    mentions: int = 0  # MENTIONS edges written
    removed: int = 0  # stale machine-made mentions removed
    created: int = 0  # objects nobody had recorded, created from text
    by_kind: dict[str, int] = field(default_factory=dict)
    documents: int = 0
    seconds: float = 0.0


def _find(
    nlp: Language, nodes: Sequence[NarrativeNode], pipeline_name: str, summary: ExtractSummary
) -> list[RecordMentions]:
    jobs = [(node, prop, text) for node in nodes for prop, text in node.texts.items()]
    found: dict[str, list[Mention]] = {node.uid: [] for node in nodes}
    for (node, prop, _), doc in zip(jobs, nlp.pipe(text for _, _, text in jobs), strict=True):
        for mention in mentions_in(doc, prop):
            found[node.uid].append(mention)
            summary.by_kind[mention.kind] = summary.by_kind.get(mention.kind, 0) + 1
    return [RecordMentions(n, extraction_hash(n, pipeline_name), tuple(found[n.uid])) for n in nodes]


def extract_pending(
    settings: Settings,
    driver: Driver,
    es: Elasticsearch,
    *,
    nlp: Language | None = None,
    labels: Sequence[str] | None = None,
    redo: bool = False,
    page_size: int = DEFAULT_PAGE,
    progress: Callable[[int], None] | None = None,
) -> ExtractSummary:
    """Write the mentions of text-bearing nodes new or changed since the last run (all of them with ``redo``).

    ``nlp`` defaults to `build_pipeline` with the gazetteer read from the graph now, and the
    statistical model when one is installed.
    """
    started = time.monotonic()
    db = settings.neo4j_database
    if nlp is None:
        nlp = build_pipeline(Gazetteer.from_graph(driver, db), statistical=statistical_model())
    pipeline_name = f"{RULESET}+{GAZETTEER_VERSION}+{'+'.join(nlp.pipe_names)}"
    summary = ExtractSummary()

    def write(found: list[RecordMentions]) -> None:
        counts = write_mentions(driver, db, found)
        summary.mentions += counts.mentions
        summary.removed += counts.removed
        summary.created += counts.created
        if counts.objects:
            summary.documents += index_nodes(
                es, counts.objects, entities_index=settings.index_name("entities"),
                sources_index=settings.index_name("source_records"),
            )  # fmt: skip

    def handle(label: str, page: list[NarrativeNode]) -> Callable[[], None] | None:
        summary.seen += len(page)
        todo = [
            n for n in page
            if (n.texts or MENTIONS_HASH in n.state)
            and (redo or n.state.get(MENTIONS_HASH) != extraction_hash(n, pipeline_name))
        ]  # fmt: skip
        summary.unchanged += len(page) - len(todo)
        summary.extracted += len(todo)
        return functools.partial(write, _find(nlp, todo, pipeline_name, summary)) if todo else None

    each_page(settings, driver, es, labels, page_size, handle, progress)
    summary.seconds = time.monotonic() - started
    return summary

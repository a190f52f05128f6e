"""Search quality on a generated scenario: recall@10 and MRR of queries made from its ground truth.

``polegraph demo generate`` writes, beside the records, what is true about them (``ground_truth.json``,
``truth/records.jsonl``, ``truth/humans.jsonl``). From that truth, with a seeded generator and never by
hand, this module makes three categories of queries, each broken down by the kind of variation:

``name``
    The watched people of the scenario (those its own name query sets are about: the network and a
    few frequent people of each force), their first forename and surname typed as investigators type
    them: as they are, surname first (``KHAN, Mohammed``), in swapped order, with one keying error in
    the forename or the surname, with a nickname or a transliteration of the forename, with another
    spelling of the surname.

    *Relevant*: that human's Person nodes (``records.jsonl`` says which human each is) whose record
    writes them under that name or a recognised variant of it. The record's written names (its
    ``full_name``, ``forenames`` and ``surname``, read from the graph as loaded) must hold the true
    forename and the true surname, each as it is, as a member of one of its variant groups (the
    spellings the generator itself draws from), or with one keying error (one letter changed, added
    or dropped, or two swapped). A record that names the human by something else — a street name,
    "Mum", a forename with an emoji, the middle name alone — is not a record of *that name*: linking
    it to the human is the linker's work (issue #6), not the search's.

``name_dob``
    The same names with the human's date of birth typed after them (``Mohammed Khan 19/05/1987``),
    as an investigator tells one person from the others of that name; same relevant records. In a
    large population a name alone is shared by other humans, whose records of it no search can tell
    apart: there the name-alone figure measures the population as much as the search.

``identifier``
    Each watched phone, registration and postcode, every PNC ID and IMEI the records hold (a seeded
    sample when there are many), written in every common format other than the stored one (phones:
    national, compact, +44, +44 (0), 0044, 44…, dashed; marks and postcodes: spaced, compact, lower
    case; PNC IDs: the short form; IMEIs: grouped, dashed, without the check digit).

    *Relevant*: the identifier's own node (``Phone``, ``Vehicle``, ``Postcode``, ``Device``) — what
    an investigator typing a number is looking for first; for a PNC ID, which has no node of its own,
    the Person nodes of its human that hold it (the truth names the human's records; the node says
    which nominal of the record was written with it).

``text``
    Every paraphrase the scenario wrote for its planted intelligence texts, run as hybrid searches
    (BM25 and kNN fused) when an encoder is given, else lexically. *Relevant*: the records that carry
    the planted text.

Only records the principal may read count (an analyst of every force still may not read another
force's handling-code C records): a query whose relevant records it may read none of is left out.
Recall@10 is the share of the relevant records among the first ten hits, out of ``min(10, relevant)``
(a name with forty records cannot have them all in ten); MRR is the mean reciprocal rank of the first
relevant hit within the first ``DEPTH``. Each miss is reported with the rank the record did reach,
what it holds, and how many of the hits above it are other humans under the same name.
"""

from __future__ import annotations

import json
import random
import re
import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from neo4j import Driver
from rapidfuzz.distance import OSA

from polegraph.config import Settings
from polegraph.scenario.rand import stream
from polegraph.scenario.spelling import typo, variants_of
from polegraph.scenario.truth import read_records
from polegraph.search.hybrid import Encoder
from polegraph.search.query import MAX_PAGE, search
from polegraph.security.policy import Principal, es_filter
from polegraph.types.reference import data_text
from polegraph.types.text import fold
from polegraph.types.variants import VARIANTS_FILE

TOP = 10
DEPTH = MAX_PAGE  # how deep a miss is looked for (its rank is reported when found there)
AIMS: Mapping[str, float] = {"name": 0.95, "name_dob": 0.95, "identifier": 0.95, "text": 0.8}
READ_CHUNK = 5000
SAMPLE = 40  # PNC IDs and IMEIs sampled per scenario (there are hundreds in a large one)

# The node an identifier query looks for, by kind: (uid prefix, how the uid writes the value).
_OWN_NODE = {"phone": "phone", "vrm": "vehicle", "postcode": "postcode", "imei": "device"}


@dataclass(frozen=True, slots=True)
class QualityQuery:
    """One query made from the truth, and the records that answer it."""

    category: str  # name | identifier | text
    kind: str  # the variation: typo_surname, phone_0044, paraphrase ...
    text: str
    relevant: frozenset[str]
    about: str  # what is sought: a human's id, an identifier, a planted text's id


@dataclass(frozen=True, slots=True)
class Miss:
    """A relevant record that was not among the first ``TOP`` hits, and why."""

    query: QualityQuery
    uid: str
    rank: int | None  # its rank within the first DEPTH hits, None when not there
    reason: str


@dataclass
class Figures:
    """Recall@10 and reciprocal ranks of one group of queries."""

    recalls: list[float] = field(default_factory=list)
    reciprocal_ranks: list[float] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.recalls)

    @property
    def recall(self) -> float:
        return statistics.mean(self.recalls) if self.recalls else 0.0

    @property
    def mrr(self) -> float:
        return statistics.mean(self.reciprocal_ranks) if self.reciprocal_ranks else 0.0


@dataclass
class QualityReport:
    """Figures per category and per (category, kind), and every miss."""

    categories: dict[str, Figures] = field(default_factory=dict)
    kinds: dict[tuple[str, str], Figures] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)
    unreadable: int = 0  # queries left out: every relevant record is one the principal may not read

    def below_aim(self) -> dict[str, float]:
        """The categories whose recall@10 is under ``AIMS``, with their recall."""
        return {c: f.recall for c, f in self.categories.items() if f.recall < AIMS[c]}


# --- the truth ------------------------------------------------------------------------------------


@dataclass
class Truth:
    """What the queries are made from: a scenario's ground truth, read once."""

    folder: Path
    summary: dict[str, Any]
    humans: dict[str, dict[str, Any]]  # person_id -> true details (watched people and PNC holders)
    human_of: dict[str, str]  # Person uid -> person_id, for every identified nominal
    uids_of: dict[str, list[str]]  # person_id -> Person uids
    planted: dict[str, list[str]]  # planted text id -> source keys of the records carrying it
    pnc_holders: dict[str, set[str]]  # PNC ID -> Person uids whose record holds it for its human
    held: set[tuple[str, str]]  # (kind, value) of every identifier the records hold


def read_truth(folder: Path, files: Collection[str] | None = None) -> Truth:
    """The ground truth of the scenario in ``folder``, of the records in ``files`` (all when None).

    Streamed; memory grows with the people and the mentions (fine for evaluation sizes).
    """
    summary: dict[str, Any] = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    all_humans: dict[str, dict[str, Any]] = {}
    with (folder / summary["humans"]).open(encoding="utf-8") as handle:
        for line in handle:
            entry = json.loads(line)
            all_humans[entry["person_id"]] = entry
    human_of: dict[str, str] = {}
    uids_of: dict[str, list[str]] = defaultdict(list)
    planted: dict[str, list[str]] = defaultdict(list)
    pnc_holders: dict[str, set[str]] = defaultdict(set)
    held: set[tuple[str, str]] = set()
    for entry in read_records(folder / summary["records"]):
        if entry.get("expected_quarantined") or (files is not None and entry["file"] not in files):
            continue
        if entry.get("planted") and entry["planted"] != "network":
            planted[entry["planted"]].append(entry["source_key"])
        ids = {(kind, value) for kind, value in entry["identifiers"]}
        held |= ids
        for human in entry["humans"]:
            uid = human["person_uid"]
            if not uid or not human["identified"]:
                continue
            human_of[uid] = human["person_id"]
            uids_of[human["person_id"]].append(uid)
            pnc = all_humans.get(human["person_id"], {}).get("pnc_id")
            if pnc and ("pnc_id", pnc) in ids:
                pnc_holders[pnc].add(uid)
    watched = {q["person_id"] for q in summary["name_queries"]}
    humans = {p: all_humans[p] for p in watched if p in all_humans}
    return Truth(folder, summary, humans, human_of, dict(uids_of), dict(planted), dict(pnc_holders), held)


# --- names ----------------------------------------------------------------------------------------


@cache
def _variant_sections() -> dict[str, str]:
    """Folded name -> the kind of variation its group is (nickname, transliteration, surname spelling).

    Read from the section headings of the variants file, which group its lines by what they are.
    """
    kinds: dict[str, str] = {}
    kind = "transliteration"
    for line in data_text(VARIANTS_FILE).splitlines():
        heading = line.lower()
        if heading.startswith("# ---"):
            if "surname" in heading:
                kind = "surname_spelling"
            elif "nickname" in heading or "shortened" in heading:
                kind = "nickname"
            else:
                kind = "transliteration"
            continue
        if line.strip() and not line.startswith("#"):
            for cell in line.split(",")[1:]:
                if cell.strip():
                    kinds.setdefault(_fold_name(cell), kind)
    return kinds


def _fold_name(text: str) -> str:
    return fold(text.replace("'", "").replace("\u2019", "")).replace(" ", "")


def _name_words(text: str) -> list[str]:
    return [w for w in fold(re.sub("['\u2019]", "", text)).split(" ") if w]


def recognised(written: str, true: str) -> bool:
    """Whether the written name word stands for the true one: as it is, a variant, or one keying error."""
    if written == true:
        return True
    if written in {_fold_name(v) for v in variants_of(true)}:
        return True
    return len(true) >= 4 and OSA.distance(written, true) <= 1


def records_name(written: Sequence[str], forename: str, surname: str) -> bool:
    """Whether a record's written name words hold the true forename and surname (each recognised)."""
    words = [w for text in written for w in _name_words(text)]
    first, last = _fold_name(forename), _fold_name(surname)
    for i, word in enumerate(words):
        if recognised(word, last) and any(recognised(w, first) for j, w in enumerate(words) if j != i):
            return True
    return False


def written_names(driver: Driver, database: str, uids: Iterable[str]) -> dict[str, list[str]]:
    """The names each Person node holds as its record wrote them (aliases left out)."""
    query = (
        "UNWIND $uids AS uid MATCH (p:Person {uid: uid}) "
        "RETURN p.uid AS uid, [x IN [p.full_name, p.forenames, p.surname] WHERE x IS NOT NULL] AS names"
    )
    with driver.session(database=database) as session:
        rows = session.run(query, uids=sorted(set(uids)))
        return {str(r["uid"]): [str(n) for n in r["names"]] for r in rows}


def _name_forms(forename: str, surname: str, rng: random.Random) -> Iterator[tuple[str, str]]:
    yield "exact", f"{forename} {surname}"
    yield "surname_first", f"{surname.upper()}, {forename}"
    yield "order_swapped", f"{surname} {forename}"
    for kind, word, place in (("typo_forename", forename, 0), ("typo_surname", surname, 1)):
        wrong = typo(word, rng)
        if wrong != word:
            yield kind, f"{wrong} {surname}" if place == 0 else f"{forename} {wrong}"
    sections = _variant_sections()
    for place, word in ((0, forename), (1, surname)):
        by_kind: dict[str, list[str]] = defaultdict(list)
        for variant in variants_of(word):
            if _fold_name(variant) != _fold_name(word):
                by_kind[sections.get(_fold_name(variant), "transliteration")].append(variant)
        for kind, options in sorted(by_kind.items()):
            chosen = rng.choice(options)
            yield kind, f"{chosen} {surname}" if place == 0 else f"{forename} {chosen}"


def name_queries(truth: Truth, driver: Driver, database: str, seed: int) -> list[QualityQuery]:
    """Name queries for every watched person with at least one record of their name."""
    rng = stream(seed, "search-quality", "names")
    watched = sorted({q["person_id"] for q in truth.summary["name_queries"]})
    uids = [uid for person in watched for uid in truth.uids_of.get(person, ())]
    names = written_names(driver, database, uids)
    queries: list[QualityQuery] = []
    for person in watched:
        human = truth.humans[person]
        forename, surname = human["forenames"][0], human["surname"]
        relevant = frozenset(
            uid
            for uid in truth.uids_of.get(person, ())
            if records_name(names.get(uid, []), forename, surname)
        )
        if not relevant:
            continue
        day, month, year = human["dob"][8:10], human["dob"][5:7], human["dob"][:4]
        for kind, text in _name_forms(forename, surname, rng):
            queries.append(QualityQuery("name", kind, text, relevant, person))
            dated = f"{text} {day}/{month}/{year}"
            queries.append(QualityQuery("name_dob", kind, dated, relevant, person))
    return queries


# --- identifiers ----------------------------------------------------------------------------------


def _phone_forms(e164: str) -> list[tuple[str, str]]:
    national = e164[3:]
    area, rest = (national[:4], national[4:]) if national.startswith("7") else (national[:3], national[3:])
    rest = f"{rest[:3]} {rest[3:]}" if len(rest) == 7 and not national.startswith("7") else rest
    dashed = rest.replace(" ", "-")
    return [
        ("phone_national", f"0{area} {rest}"), ("phone_compact", f"0{national}"),
        ("phone_plus44", f"+44 {area} {rest}"), ("phone_plus44_0", f"+44 (0){area} {rest}"),
        ("phone_0044", f"0044 {area} {rest}"), ("phone_44digits", f"44{national}"),
        ("phone_dashed", f"0{area}-{dashed}"),
    ]  # fmt: skip


def identifier_forms(kind: str, value: str) -> list[tuple[str, str]]:
    """(variation, query) for every common way of writing ``value`` other than the stored one."""
    if kind == "phone":
        forms = _phone_forms(value) if value.startswith("+44") else []
    elif kind == "vrm":
        spaced = f"{value[:4]} {value[4:]}" if len(value) == 7 else value
        forms = [("vrm_spaced", spaced), ("vrm_lower", value.lower()), ("vrm_spaced_lower", spaced.lower())]
    elif kind == "postcode":
        compact = value.replace(" ", "")
        forms = [
            ("postcode_compact", compact),
            ("postcode_lower", value.lower()),
            ("postcode_compact_lower", compact.lower()),
        ]
    elif kind == "pnc_id":
        year, rest = value.split("/")
        forms = [("pnc_short", f"{year[2:]}/{rest.lstrip('0')}"), ("pnc_lower", value.lower())]
    elif kind == "imei":
        forms = [
            ("imei_grouped", f"{value[:2]} {value[2:8]} {value[8:14]} {value[14:]}"),
            ("imei_dashed", f"{value[:2]}-{value[2:8]}-{value[8:14]}-{value[14:]}"),
            ("imei_14_digits", value[:14]),
        ]
    else:
        forms = []
    return [(variation, text) for variation, text in forms if text != value]


def pnc_holding(driver: Driver, database: str, candidates: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Of the nominals the truth gives each PNC ID, those whose node holds it.

    A record's truth lists the identifiers of the humans it names, not which nominal, nor whether
    the layout has a column for them (the separate intelligence layout has no PNC ID column): the
    node, as loaded, says whether this nominal was written with it.
    """
    query = "UNWIND $uids AS uid MATCH (p:Person {uid: uid}) RETURN p.uid AS uid, p.pnc_id AS pnc"
    uids = sorted({u for holders in candidates.values() for u in holders})
    with driver.session(database=database) as session:
        held = {str(r["uid"]): r["pnc"] for r in session.run(query, uids=uids)}
    holding = {pnc: {u for u in holders if held.get(u) == pnc} for pnc, holders in candidates.items()}
    return {pnc: holders for pnc, holders in holding.items() if holders}


def identifier_queries(truth: Truth, driver: Driver, database: str, seed: int) -> list[QualityQuery]:
    """Queries for the watched identifiers and a seeded sample of PNC IDs and IMEIs, in every format."""
    rng = stream(seed, "search-quality", "identifiers")
    watched = [(q["kind"], q["stored"]) for q in truth.summary["identifier_queries"]]
    wanted = [w for w in watched if w in truth.held]
    holders = pnc_holding(driver, database, truth.pnc_holders)
    pncs = sorted(holders)
    imeis = sorted(value for kind, value in truth.held if kind == "imei")
    wanted += [("pnc_id", p) for p in rng.sample(pncs, min(SAMPLE, len(pncs)))]
    wanted += [("imei", i) for i in rng.sample(imeis, min(SAMPLE, len(imeis)))]
    queries: list[QualityQuery] = []
    for kind, value in wanted:
        if kind == "pnc_id":
            relevant = frozenset(holders[value])
        else:
            relevant = frozenset({f"{_OWN_NODE[kind]}:{value}"})
        for variation, text in identifier_forms(kind, value):
            queries.append(QualityQuery("identifier", variation, text, relevant, value))
    return queries


# --- planted intelligence -------------------------------------------------------------------------


def narrative_uids(driver: Driver, database: str, source_keys: Iterable[str]) -> dict[str, list[str]]:
    """Source key -> the uids of the text-bearing nodes it asserted."""
    query = (
        "UNWIND $keys AS key MATCH (n:Event) WHERE key IN n.source_keys "
        "AND (n:Crime OR n:IntelReport OR n:Message) RETURN key, collect(n.uid) AS uids"
    )
    with driver.session(database=database) as session:
        rows = session.run(query, keys=sorted(set(source_keys)))
        return {str(r["key"]): [str(u) for u in r["uids"]] for r in rows}


def text_queries(truth: Truth, driver: Driver, database: str) -> list[QualityQuery]:
    """Every paraphrase of every planted text, with the records that carry it."""
    keys = [k for ks in truth.planted.values() for k in ks]
    carried = narrative_uids(driver, database, keys)
    queries: list[QualityQuery] = []
    for item in truth.summary["intel_queries"]:
        relevant = frozenset(u for k in truth.planted.get(item["text_id"], ()) for u in carried.get(k, ()))
        if relevant:
            queries += [
                QualityQuery("text", "paraphrase", q, relevant, item["text_id"]) for q in item["queries"]
            ]
    return queries


def quality_queries(truth: Truth, driver: Driver, database: str, seed: int) -> list[QualityQuery]:
    """All three categories, in a fixed order."""
    return [
        *name_queries(truth, driver, database, seed),
        *identifier_queries(truth, driver, database, seed),
        *text_queries(truth, driver, database),
    ]


def sample_queries(queries: Sequence[QualityQuery], per_kind: int, seed: int) -> list[QualityQuery]:
    """At most ``per_kind`` queries of each (category, kind), chosen by a seeded generator, in order."""
    rng = stream(seed, "search-quality", "sample")
    by_kind: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, query in enumerate(queries):
        by_kind[(query.category, query.kind)].append(index)
    chosen = {i for indices in by_kind.values() for i in rng.sample(indices, min(per_kind, len(indices)))}
    return [q for i, q in enumerate(queries) if i in chosen]


# --- running --------------------------------------------------------------------------------------


def _miss_reason(
    query: QualityQuery,
    uid: str,
    rank: int | None,
    above: Sequence[str],
    truth: Truth,
    names: Mapping[str, list[str]],
    depth: int,
) -> str:
    held = " / ".join(names.get(uid, [])) or uid
    where = f"not in the first {depth}" if rank is None else f"rank {rank}"
    if not query.category.startswith("name"):
        return where
    others = sum(1 for u in above if u in truth.human_of and truth.human_of[u] != query.about)
    unlinked = sum(1 for u in above if u.startswith("person:") and u not in truth.human_of)
    detail = f"; {others} other humans' nominals above it" if others else ""
    detail += f", {unlinked} unidentified" if unlinked else ""
    return f"{where}; written {held}{detail}"


def readable(es: Elasticsearch, settings: Settings, principal: Principal, uids: Iterable[str]) -> set[str]:
    """Those of ``uids`` the principal may read: a record it may not is no one's miss."""
    wanted = sorted(set(uids))
    found: set[str] = set()
    for start in range(0, len(wanted), READ_CHUNK):
        chunk = wanted[start : start + READ_CHUNK]
        query = {"bool": {"filter": [es_filter(principal), {"terms": {"uid": chunk}}]}}
        response = es.search(
            index=settings.index_name("entities"), query=query, size=len(chunk), source=False
        )
        found.update(str(hit["_id"]) for hit in response["hits"]["hits"])
    return found


def evaluate(
    es: Elasticsearch,
    settings: Settings,
    principal: Principal,
    queries: Sequence[QualityQuery],
    truth: Truth,
    *,
    encoder: Encoder | None = None,
    names: Mapping[str, list[str]] | None = None,
    depth: int = DEPTH,
) -> QualityReport:
    """Run every query; text queries are hybrid when ``encoder`` is given.

    ``depth`` hits of each are read: how deep a miss's rank and the first relevant hit are looked for.
    """
    report = QualityReport()
    names = names or {}
    allowed = readable(es, settings, principal, (u for q in queries for u in q.relevant))
    for query in queries:
        query = replace(query, relevant=query.relevant & allowed)
        if not query.relevant:
            report.unreadable += 1
            continue
        result = search(
            es, settings, principal, query.text, first=depth,
            encoder=encoder if query.category == "text" else None,
        )  # fmt: skip
        ranked = [h.uid for h in result.hits]
        top = set(ranked[:TOP])
        recall = len(query.relevant & top) / min(TOP, len(query.relevant))
        first = next((r for r, uid in enumerate(ranked, start=1) if uid in query.relevant), None)
        for figures in (
            report.categories.setdefault(query.category, Figures()),
            report.kinds.setdefault((query.category, query.kind), Figures()),
        ):
            figures.recalls.append(recall)
            figures.reciprocal_ranks.append(1.0 / first if first else 0.0)
        if recall < 1.0:
            found = len(query.relevant & top)
            missing = sorted(
                query.relevant - top, key=lambda u: (ranked.index(u) if u in ranked else depth, u)
            )
            for uid in missing[: max(0, min(TOP, len(query.relevant)) - found)]:
                rank = ranked.index(uid) + 1 if uid in ranked else None
                above = ranked[: (rank or depth) - 1]
                reason = _miss_reason(query, uid, rank, above, truth, names, depth)
                report.misses.append(Miss(query, uid, rank, reason))
    return report


def format_report(report: QualityReport) -> list[str]:
    """The figures as printable lines: per category with its aim, then per kind, then the misses."""
    lines = [f"{'category':12} {'kind':26} {'n':>4} {'recall@10':>9} {'MRR':>6}"]
    for category, figures in report.categories.items():
        aim = AIMS[category]
        verdict = "meets" if figures.recall >= aim else "BELOW"
        lines.append(
            f"{category:12} {'(all)':26} {figures.count:>4} {figures.recall:>9.3f} {figures.mrr:>6.3f}"
            f"  aim {aim:.2f}: {verdict}"
        )
        for (cat, kind), kind_figures in sorted(report.kinds.items()):
            if cat == category:
                row = f"{kind_figures.count:>4} {kind_figures.recall:>9.3f} {kind_figures.mrr:>6.3f}"
                lines.append(f"{'':12} {kind:26} {row}")
    if report.unreadable:
        lines.append(
            f"left out: {report.unreadable} queries whose every relevant record the principal may not read"
        )
    if report.misses:
        lines.append(f"misses ({len(report.misses)}):")
        for miss in report.misses:
            q = miss.query
            lines.append(f"  [{q.category}/{q.kind}] {q.text!r} ({q.about}) missed {miss.uid}: {miss.reason}")
    return lines

"""Reading what an investigator typed: identifiers in any format, dates, names and free text.

``parse_query("KHAN, Mohammed 07911 123 456 19/05/1987")`` finds a phone (``+447911123456``), a
date of birth and the name ``KHAN, Mohammed``. Every value is normalised by ``polegraph.types``, the
same code that normalised the records, so the two meet. The query is read token by token, left to
right; at each token the longest run of tokens (up to six) that reads as something is taken. One
run may read as several things ("356938035643809" is an IMEI and could be a phone): each reading
becomes a part, and the search tries them all. Tokens that are nothing else are free text, and
the name when they look like one. Pure: no I/O, never raises.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from polegraph.search.recognise import RECOGNISERS, Part, PartKind, Token, make_run, reference
from polegraph.types.text import ascii_fold

__all__ = ["LABEL_WORDS", "STOPWORDS", "ParsedQuery", "Part", "PartKind", "parse_query"]


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """The typed parts of a query, the names in it and its free text."""

    text: str
    parts: tuple[Part, ...]
    names: tuple[str, ...]  # each as written ("KHAN, Mohammed"), for ``name_keys``
    words: tuple[str, ...]  # free-text words, lower-case, stopwords left out
    free_text: str  # what is left once identifiers and dates are taken out, as written

    @property
    def identifiers(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if p.kind is not PartKind.DATE)

    @property
    def dates(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if p.kind is PartKind.DATE)

    def is_empty(self) -> bool:
        return not self.parts and not self.names and not self.words


# English function words: they carry no evidence in free text and mark prose, not a name.
_STOPWORDS = """
    a an the and or but nor of to in on at by for from with without into onto near about after before
    over under up down off out as than then so is are was were be been being am has have had do does
    did who whom whose which what when where why how that this these those it its he him his she her
    hers they them their theirs we us our you your i me my mine not no any some all
"""
STOPWORDS = frozenset(_STOPWORDS.split())
# Words that announce the value after them ("DOB 19/05/1987", "PNC ID 08/56560Z").
_LABEL_WORDS = """
    dob d.o.b d.o.b. born pnc pncid cro nino ni id no no. number tel tel. mob mob. mobile phone vrm
    reg imei postcode email e-mail
"""
LABEL_WORDS = frozenset(_LABEL_WORDS.split())
_MAX_RUN = 6
_TOKEN = re.compile(r"\S+")
_NAME_TOKEN = re.compile(r"[\"\u201c(]?[^\W\d_]+(?:[-'\u2019.][^\W\d_]+)*\.?[\"\u201d)]?,?")


def _read_parts(text: str, tokens: list[Token]) -> tuple[list[Part], set[int]]:
    parts: list[Part] = []
    used: set[int] = set()
    i = 0
    while i < len(tokens):
        for n in range(min(_MAX_RUN, len(tokens) - i), 0, -1):
            run = make_run(text, tuple(tokens[i : i + n]))
            if not run.joined:
                continue
            found = [p for recognise in RECOGNISERS for p in recognise(run)]
            if found:
                parts.extend(dict.fromkeys(found))
                used.update(range(i, i + n))
                i += n
                break
        else:
            ref = reference(tokens[i])
            if ref is not None:
                parts.append(ref)
                used.add(i)
            i += 1
    return parts, used


def _drop_labels(tokens: list[Token], used: set[int]) -> set[int]:
    """Label words just before a recognised value ("DOB", "PNC ID") are not free text."""
    labels: set[int] = set()
    for i in range(len(tokens) - 2, -1, -1):
        if i in used or i in labels:
            continue
        if tokens[i].core.lower() in LABEL_WORDS and (i + 1 in used or i + 1 in labels):
            labels.add(i)
    return labels


def _names(left: list[Token]) -> tuple[str, ...]:
    """The names among the tokens that are nothing else.

    Tokens with no stopword among them are one name ("Mohammed Khan", "KHAN, Mohammed"); in
    prose ("girl taken to a hotel in Rochdale") the runs of capitalised words are names.
    """
    namelike = [bool(_NAME_TOKEN.fullmatch(t.text)) for t in left]
    stop = [t.core.lower() in STOPWORDS for t in left]
    if left and all(namelike) and not any(stop) and len(left) <= _MAX_RUN:
        return (" ".join(t.text for t in left).strip(" ,"),)
    names: list[str] = []
    run: list[Token] = []
    for index, (token, ok, is_stop) in enumerate(
        [*zip(left, namelike, stop, strict=True), (None, False, True)]
    ):
        capital = token is not None and ok and not is_stop and token.core[:1].isupper()
        if capital and token is not None:
            run.append(token)
            continue
        # A capital on the first word alone is the sentence's, not a name's.
        if run and not (len(run) == 1 and run[0] is left[0] and index == 1):
            names.append(" ".join(t.text for t in run).strip(" ,"))
        run = []
    return tuple(dict.fromkeys(n for n in names if n))


def parse_query(text: str) -> ParsedQuery:
    """Read ``text`` into typed parts, names and free text; never raises."""
    text = unicodedata.normalize("NFC", text)
    tokens = [Token(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    parts, used = _read_parts(text, tokens)
    used |= _drop_labels(tokens, used)
    left = [t for i, t in enumerate(tokens) if i not in used]
    words = []
    for token in left:
        for word in re.findall(r"\w+", ascii_fold(token.text).lower()):
            if word not in STOPWORDS and word not in words:
                words.append(word)
    free_text = " ".join(t.text for t in left)
    return ParsedQuery(text, tuple(parts), _names(left), tuple(words), free_text)

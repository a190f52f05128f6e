"""Person names: parsing, comparison tolerant of spelling, order and nicknames, and search keys."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import JaroWinkler

from polegraph.types.base import Cleaned, PropertyType, register
from polegraph.types.name_parse import PARTICLES, SURNAME_PREFIXES, ParsedName, parse_name
from polegraph.types.phonetic import phonetic_keys, sound_alike
from polegraph.types.reference import data_words
from polegraph.types.text import dampen
from polegraph.types.variants import masculine_forms, share_variant, token_variant_keys

# Arabic articles and "son/daughter of": left out when comparing, so "Ahmed bin Salem" meets
# "Ahmed Salem" and "al-Hassan" meets "Hassan".
_DROPPED = frozenset({"AL", "EL", "BIN", "BINT", "BINTI", "IBN"})
# Written apart or together: "Abdul Rahman" / "Abdulrahman", "van der Berg" / "Vanderberg".
_GLUED = SURNAME_PREFIXES - _DROPPED

# Names so common that agreeing on them says little (the fallback for ``specificity``).
COMMON_NAMES = data_words("common_names.txt")

_WEAK = 0.7  # token pairs below this are treated as not matching at all
_MAX_TOKENS = 8  # longer "names" are free text; comparing them all costs more than it tells


@dataclass(frozen=True, slots=True)
class NameToken:
    """One folded name token as compared, with whether it came from the surname."""

    text: str
    surname: bool


def _match_tokens(words: tuple[str, ...]) -> list[str]:
    parts = [part for word in words for part in word.replace(" ", "-").split("-") if part]
    tokens: list[str] = []
    i = 0
    while i < len(parts):
        if parts[i] in _DROPPED and i + 1 < len(parts):
            i += 1
            continue
        glued = ""
        while i + 1 < len(parts) and parts[i] in _GLUED:
            glued += parts[i]
            i += 1
        tokens.append(glued + parts[i])
        i += 1
    return tokens


@lru_cache(maxsize=65536)
def _parsed(name: str) -> ParsedName:
    return parse_name(name)


@lru_cache(maxsize=65536)
def name_tokens(name: str) -> tuple[NameToken, ...]:
    """The tokens of a name as ``compare`` sees them: particles dropped or glued on."""
    parsed = _parsed(name)
    tokens = [NameToken(t, False) for t in _match_tokens(parsed.forenames)]
    tokens += [NameToken(t, True) for t in _match_tokens(parsed.surname_words)]
    if not tokens:  # a record holding only a nickname or street name
        tokens = [NameToken(t, False) for n in parsed.nicknames for t in _match_tokens((n,))]
    return tuple(tokens)


def token_similarity(a: NameToken, b: NameToken) -> float:
    """Similarity of two name tokens in [0, 1]: variants, initials, sound and spelling."""
    x, y = a.text, b.text
    if x == y:
        return 1.0
    if len(x) == 1 or len(y) == 1:  # an initial agrees with any name it begins
        return 0.8 if x[0] == y[0] else 0.0
    if share_variant(x, y):
        return 0.95
    if a.surname and b.surname and {x, *masculine_forms(x)} & {y, *masculine_forms(y)}:
        return 0.9
    similarity = float(JaroWinkler.similarity(x, y))
    shared = sound_alike(x, y)
    # Sounding alike closes part of the gap to 1: more when both codes agree.
    return similarity + (1.0 - similarity) * (0.5 if shared == 2 else 0.3 if shared else 0.0)


def _has_both_parts(tokens: tuple[NameToken, ...]) -> bool:
    return any(t.surname for t in tokens) and not all(t.surname for t in tokens)


def compare_names(a: str, b: str) -> float:
    """Similarity of two names in [0, 1], regardless of word order; symmetric.

    Tokens are paired greedily by similarity; the score is the mean similarity over the
    shorter name's tokens (pairs under 0.7 count as 0), lowered a little for each extra
    token in the longer name and, when both names have forenames and a surname, for pairing
    a surname with a forename.
    """
    ta, tb = name_tokens(a), name_tokens(b)
    if not ta or not tb:
        return 1.0 if a == b else 0.0
    if (len(ta), a) > (len(tb), b):  # one orientation, so that compare(a, b) == compare(b, a)
        ta, tb = tb, ta
    ta, tb = ta[:_MAX_TOKENS], tb[:_MAX_TOKENS]
    pairs = sorted(
        ((token_similarity(x, y), i, j) for i, x in enumerate(ta) for j, y in enumerate(tb)),
        reverse=True,
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    total = 0.0
    crossed = False
    for similarity, i, j in pairs:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        if similarity >= _WEAK:
            total += similarity
            crossed = crossed or ta[i].surname != tb[j].surname
    score = (total / len(ta)) * math.pow(len(ta) / len(tb), 0.25)
    if crossed and _has_both_parts(ta) and _has_both_parts(tb):
        score *= 0.95  # a single name has no known part, so only then is a swap a swap
    return round(min(1.0, max(0.0, score)), 6)


def _joined(text: str) -> str:
    return text.replace(" ", "").replace("-", "")


def _unique(items: list[str]) -> list[str]:
    return [item for item in dict.fromkeys(items) if item]


def name_keys(name: str) -> dict[str, list[str]]:
    """All search and blocking keys of a name (raw or normalised), by kind.

    ``folded``: the tokens, with particles glued and also without them, and hyphenated
    names joined; ``surname``: the surname's forms; ``phonetic``: prefixed Metaphone and
    NYSIIS codes; ``variant``: variant-group keys (the token itself when in no group);
    ``initials``: all initials in order and each forename initial with the surname;
    ``fingerprint``: the sorted tokens, one string, for order-free exact matching.
    """
    parsed = _parsed(name)
    tokens = name_tokens(name)
    words = (*parsed.forenames, *parsed.surname_words, *parsed.nicknames)
    plain = [p for w in words for p in w.replace(" ", "-").split("-") if p not in PARTICLES]
    joined = [_joined(w) for w in words if "-" in w]
    nickname_tokens = [t for n in parsed.nicknames for t in _match_tokens((n,))]
    folded = _unique([t.text for t in tokens] + plain + joined + nickname_tokens)
    surname_tokens = [t.text for t in tokens if t.surname]
    surname_plain = [p for w in parsed.surname_words for p in w.split("-") if p not in PARTICLES]
    surname = _unique(surname_tokens + surname_plain + [_joined(parsed.surname)])
    variant = _unique(
        [k for t in tokens for k in token_variant_keys(t.text, surname=t.surname)]
        + [k for t in nickname_tokens for k in token_variant_keys(t)]
    )
    forename_initials = [t.text[0] for t in tokens if not t.surname]
    initials = ["".join(t.text[0] for t in tokens)] if tokens else []
    initials += [f"{i} {s}" for i in forename_initials for s in surname_tokens]
    return {
        "folded": folded,
        "surname": surname,
        "phonetic": _unique([k for t in folded for k in phonetic_keys(t)]),
        "variant": variant,
        "initials": _unique(initials),
        "fingerprint": [" ".join(sorted(t.text for t in tokens))] if tokens else [],
    }


class NameType(PropertyType):
    """A person's name, normalised to ``SURNAME, FORENAMES`` in folded capitals."""

    name = "name"
    label = "Name"

    def _clean(self, raw: str, text: str) -> Cleaned:
        parsed = _parsed(text)
        if parsed.is_empty():
            return Cleaned(raw, None, False, "no letters in a script that can be romanised")
        normalised = parsed.normalised()
        if not any(ch.isalpha() for ch in normalised):
            return Cleaned(raw, normalised, False, "no letters")
        flags = () if parsed.forenames else ("single_name",)
        return Cleaned(raw, normalised, True, None, flags)

    def compare(self, a: str, b: str) -> float:
        """See ``compare_names``."""
        return compare_names(a, b)

    def specificity(self, normalised: str) -> float:
        """Rare full names say more than common names or initials."""
        weight = 0.0
        for token in name_tokens(normalised):
            if len(token.text) == 1:
                weight += 0.1
            elif token.text in COMMON_NAMES or COMMON_NAMES & set(token_variant_keys(token.text)):
                weight += 0.3
            else:
                weight += 1.0
        return dampen(0.0, 2.5, weight)

    def keys(self, normalised: str) -> dict[str, list[str]]:
        """See ``name_keys``."""
        return name_keys(normalised)


NAME = register(NameType())

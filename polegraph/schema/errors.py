"""Errors raised by the ontology: a bad YAML file, or an unknown name asked of a good one."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class SchemaError(ValueError):
    """The ontology YAML is invalid; the message names the file, type and property at fault."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        owner: str | None = None,
        prop: str | None = None,
    ) -> None:
        self.file = file
        self.owner = owner
        self.prop = prop
        self.reason = message
        where = [part for part in (file, _quoted("type", owner), _quoted("property", prop)) if part]
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class UnknownSchemaName(SchemaError, LookupError):
    """A label, relationship type or property name that the ontology does not define.

    Raised by the lookup helpers so that callers (the API) can reject a request before the
    name reaches a query string; `suggestions` holds close spellings that do exist.
    """

    def __init__(self, kind: str, name: str, known: Iterable[str], *, owner: str | None = None) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = close_matches(name, known)
        super().__init__(f"unknown {kind} {name!r}{did_you_mean(self.suggestions)}", owner=owner)


def close_matches(name: object, known: Iterable[str]) -> tuple[str, ...]:
    """Up to three known names spelled like `name`, ignoring case ('person' -> 'Person')."""
    if not isinstance(name, str):  # a request may carry anything; suggest nothing
        return ()
    by_folded = {k.casefold(): k for k in known}
    found = difflib.get_close_matches(name.casefold(), list(by_folded), n=3, cutoff=0.6)
    return tuple(by_folded[f] for f in found)


def did_you_mean(suggestions: Iterable[str]) -> str:
    """'; did you mean 'A' or 'B'?' for a message, or '' when there is nothing to suggest."""
    names = list(suggestions)
    return f"; did you mean {' or '.join(map(repr, names))}?" if names else ""


def _quoted(kind: str, name: str | None) -> str | None:
    return f"{kind} {name!r}" if name else None

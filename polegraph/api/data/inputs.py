"""The GraphQL form of the filter input (``polegraph.api.filters``) and of time windows."""

from __future__ import annotations

import datetime as dt

import strawberry

from polegraph.api.filters import MAX_CONDITIONS, MAX_DEPTH, Filter, FilterError, Op, condition, group

FilterOp = strawberry.enum(
    Op, name="FilterOp", description="Filter operators; eq and prefix match any value."
)


@strawberry.input(
    description=(
        "A filter: either a condition (key, op, values) or a group (and / or of filters). Keys are "
        "POLE properties (force, crime_type, sex, occurred_from ...) or label; values are strings."
    )
)
class FilterInput:
    and_: list[FilterInput] | None = strawberry.field(name="and", default=None)
    or_: list[FilterInput] | None = strawberry.field(name="or", default=None)
    key: str | None = None
    op: Op | None = None
    values: list[str] | None = None


def to_filter(given: FilterInput | None) -> Filter | None:
    """The checked filter of a ``FilterInput``; ``FilterError`` says what is wrong."""
    return None if given is None else _to_filter(given, 0)


def _to_filter(given: FilterInput, depth: int) -> Filter:
    if depth > MAX_DEPTH:
        raise FilterError(f"filters nest at most {MAX_DEPTH} groups deep")
    shapes = [given.and_ is not None, given.or_ is not None, given.key is not None or given.op is not None]
    if sum(shapes) != 1:
        raise FilterError("a filter is exactly one of: and, or, or a condition (key, op, values)")
    for op, parts in (("and", given.and_), ("or", given.or_)):
        if parts is not None:
            if len(parts) > MAX_CONDITIONS:
                raise FilterError(f"a filter holds at most {MAX_CONDITIONS} conditions")
            return group(op, [_to_filter(p, depth + 1) for p in parts])
    if given.key is None or given.op is None or given.values is None:
        raise FilterError("a condition needs key, op and values")
    return condition(given.key, given.op, given.values)


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """A window bound as an aware instant (a bound without a zone is taken as UTC)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def check_window(since: dt.datetime | None, until: dt.datetime | None) -> None:
    if since is not None and until is not None and since > until:
        raise FilterError("the window ends (until) before it starts (since)")

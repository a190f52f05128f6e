"""A time window for analytical reads: events whose start falls in ``[start, end)``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from polegraph.errors import PolegraphError


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Half-open ``[start, end)``; an open end (None) is unbounded. Both ends must carry a zone."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None

    def __post_init__(self) -> None:
        for name, value in (("start", self.start), ("end", self.end)):
            # A naive time means a different instant on every server: refuse it rather than guess.
            if value is not None and value.utcoffset() is None:
                raise PolegraphError(f"the window's {name} {value.isoformat()} has no time zone")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise PolegraphError(f"the window ends ({self.end}) before it starts ({self.start})")

    def cypher(self, var: str) -> str:
        """A predicate on event ``var``'s start, with the parameters of ``params``."""
        return (
            f"($w_start IS NULL OR {var}.occurred_from >= $w_start) "
            f"AND ($w_end IS NULL OR {var}.occurred_from < $w_end)"
        )

    def params(self) -> dict[str, dt.datetime | None]:
        return {"w_start": self.start, "w_end": self.end}

    def contains(self, at: dt.datetime) -> bool:
        return (self.start is None or at >= self.start) and (self.end is None or at < self.end)


EVERYTHING = TimeWindow()

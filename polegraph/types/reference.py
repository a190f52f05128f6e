"""Reading the reference lists kept under ``polegraph/types/data/`` (loaded once, cached)."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def data_text(filename: str) -> str:
    """The text of a file in the types' data folder."""
    return resources.files("polegraph.types").joinpath("data", filename).read_text("ascii")


def data_lines(filename: str) -> list[str]:
    """The non-blank lines of a data file that are not ``#`` comments."""
    lines = (line.strip() for line in data_text(filename).splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@cache
def data_words(filename: str) -> frozenset[str]:
    """The whitespace-separated words of a data file, comments left out."""
    return frozenset(word for line in data_lines(filename) for word in line.split())

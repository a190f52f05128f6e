"""The loader registry: ``polegraph load <format> <path>`` finds the loader for a format here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from polegraph.errors import PolegraphError
from polegraph.loaders.records import Bundle, LoadContext, Quarantined


@dataclass(frozen=True)
class LoaderOptions:
    """Format-specific inputs beside the file: a mapping (generic loader), a cell-site list (CDR)."""

    mapping: Path | None = None
    cell_sites: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)


Reader = Callable[[Path, LoadContext, LoaderOptions], Iterator[Bundle | Quarantined]]


@dataclass(frozen=True)
class LoaderSpec:
    """One source format: its name on the command line, what it reads, its default system name."""

    name: str
    description: str
    system: str
    read: Reader


LOADERS: dict[str, LoaderSpec] = {}


def register(name: str, description: str, system: str) -> Callable[[Reader], Reader]:
    """Decorator: make ``read`` the loader of format ``name``."""

    def wrap(read: Reader) -> Reader:
        if name in LOADERS:
            raise ValueError(f"two loaders for the format {name!r}")
        LOADERS[name] = LoaderSpec(name, description, system, read)
        return read

    return wrap


def get_loader(name: str) -> LoaderSpec:
    """The loader for ``name``; an unknown format is an error listing the known ones."""
    import polegraph.loaders.formats  # noqa: F401 — registers every loader

    try:
        return LOADERS[name]
    except KeyError:
        known = ", ".join(sorted(LOADERS))
        raise PolegraphError(f"no loader for the format {name!r}", hint=f"known formats: {known}") from None

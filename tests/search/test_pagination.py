"""Keyset pages: every record once, in one order, even while new records arrive between pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from polegraph.ingest import load_file
from polegraph.search.filters import SearchError
from polegraph.search.query import release_cursor, search
from polegraph.search.results import SearchResult
from tests.conftest import Engines
from tests.search.corpus import WYP_OFFICER

HEADER = (
    "Occurrence Ref,Offence Description,Committed From,MO,"
    "Nominal 1 Role,Nominal 1 Surname,Nominal 1 Forenames,Nominal 1 DOB\n"
)


def pagets(folder: Path, name: str, numbers: range) -> Path:
    """A crime export naming one John PAGET per occurrence: equal names, equal scores."""
    rows = [
        f"WY/25/{n:04d},Theft from a shop,2025-01-{1 + n % 28:02d}T10:00:00,Shoplifting at a supermarket,"
        f"Suspect,PAGET,John,{1 + n % 28:02d}/0{1 + n % 9}/19{60 + n % 40}"
        for n in numbers
    ]
    path = folder / name
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def page(corpus: Engines, after: str | None, first: int = 7) -> SearchResult:
    return search(corpus.es, corpus.settings, WYP_OFFICER, "John Paget", first=first, after=after)


def test_pages_hold_every_record_once_while_records_arrive(corpus: Engines, tmp_path: Path) -> None:
    s = corpus.settings
    load_file(s, corpus.driver, corpus.es, "crime", pagets(tmp_path, "first.csv", range(25)), force="WYP")
    whole = [h.uid for h in page(corpus, None, first=100).hits]
    assert len(whole) == len(set(whole)) == 25

    pages = [page(corpus, None)]
    # Five more PAGETs arrive while the investigator reads: the pages started before them stay as they were.
    load_file(s, corpus.driver, corpus.es, "crime", pagets(tmp_path, "later.csv", range(25, 30)), force="WYP")
    while pages[-1].next_cursor:
        pages.append(page(corpus, pages[-1].next_cursor))
    assert [len(p.hits) for p in pages] == [7, 7, 7, 4]
    assert [h.uid for p in pages for h in p.hits] == whole
    assert all(p.total == 25 for p in pages[1:])
    # Ties (the same name scores the same) are broken by uid, so the order is total.
    assert [h.uid for h in pages[0].hits] == sorted(h.uid for h in pages[0].hits)
    assert page(corpus, None, first=100).total == 30

    # The last page closed its point in time: an old cursor now says the results expired.
    with pytest.raises(SearchError, match="expired"):
        page(corpus, pages[1].next_cursor)
    # So does the cursor of a search the investigator abandoned and released.
    abandoned = page(corpus, None).next_cursor
    assert abandoned is not None
    release_cursor(corpus.es, abandoned)
    with pytest.raises(SearchError, match="expired"):
        page(corpus, abandoned)

"""Fixtures of the NLP tests: the real embedding model (loaded once), and small intelligence files."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from polegraph.config import Settings
from polegraph.ingest import load_file
from polegraph.nlp.embed import SentenceEncoder, load_encoder
from polegraph.nlp.language import LanguageIdentifier
from tests.conftest import Engines

INTEL_COLUMNS = ["URN", "Date Recorded", "Source Type", "Source Evaluation", "Intelligence Assessment",
                 "Handling Code", "Classification", "Sanitised Text"]  # fmt: skip


class CountingEncoder:
    """The real encoder, counting the texts it is asked to encode."""

    def __init__(self, inner: SentenceEncoder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dims(self) -> int:
        return self.inner.dims

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.texts.extend(texts)
        return self.inner.encode(texts)


# The full set (UK_LANGUAGES) loads some thirty language models on first use, which takes longer than
# this suite may; Polish is told apart here from its nearest neighbours, which is the harder task.
TEST_LANGUAGES = ("en", "pl", "cs", "sk", "lt", "ro", "de")


@pytest.fixture(scope="session")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier(TEST_LANGUAGES)


@pytest.fixture(scope="session")
def sentence_encoder(settings: Settings) -> SentenceEncoder:
    """all-MiniLM-L6-v2, loaded once per session (it takes seconds)."""
    return load_encoder(settings)


@pytest.fixture
def encoder(sentence_encoder: SentenceEncoder) -> CountingEncoder:
    return CountingEncoder(sentence_encoder)


def write_intel(path: Path, reports: Sequence[tuple[str, str]], classification: str = "OFFICIAL") -> Path:
    """An intelligence CSV of (URN, text) pairs, graded 2/B/P."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(INTEL_COLUMNS)
        for urn, text in reports:
            writer.writerow([urn, "05/03/2024 18:20", "CHIS", "2", "B", "P", classification, text])
    return path


def load_intel(engines: Engines, path: Path, force: str = "WYP") -> None:
    summary = load_file(engines.settings, engines.driver, engines.es, "intel", path, force=force)
    assert summary.quarantined == 0, summary


def count(engines: Engines, query: str, **params: object) -> int:
    records, _, _ = engines.driver.execute_query(query, params, database_=engines.settings.neo4j_database)
    return int(records[0][0])

"""An on-disk cache of embeddings by content hash: the same text never costs a second encode.

The key is the embedding hash (text and model), so the cache is safe to keep across graph
rebuilds, model changes and deployments: a vector is only ever reused for exactly the text and
model it was computed from. Vectors are stored as float32, the model's own output type, so a
cached vector is bit-for-bit the encoded one. SQLite (standard library) holds it under
``<state dir>/nlp/``; the oldest entries go when it grows past ``max_entries``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType

import numpy as np
import numpy.typing as npt

from polegraph.config import Settings

Vector = npt.NDArray[np.float32]

_LOOKUP_CHUNK = 500  # SQLite's default limit on bound parameters is far above this


def cache_path(settings: Settings) -> Path:
    """Where the embedding cache of a deployment lives."""
    return settings.state_dir / "nlp" / "embeddings.sqlite"


class EmbeddingCache:
    """hash -> vector, persisted; use as a context manager or call ``close()``."""

    def __init__(self, path: Path, dims: int, max_entries: int = 2_000_000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.dims, self.max_entries = path, dims, max_entries
        # Used by the thread that runs the step only; WAL lets another process read meanwhile.
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def get_many(self, hashes: Iterable[str]) -> dict[str, Vector]:
        """The cached vectors of those ``hashes`` that are in the cache."""
        wanted = list(dict.fromkeys(hashes))
        found: dict[str, Vector] = {}
        for start in range(0, len(wanted), _LOOKUP_CHUNK):
            chunk = wanted[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT hash, vector FROM vectors WHERE hash IN ({marks})", chunk)  # noqa: S608 - only '?' marks are interpolated
            for key, blob in rows:
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape == (self.dims,):
                    found[key] = vector
        return found

    def put_many(self, items: Sequence[tuple[str, Vector]]) -> None:
        """Store vectors by hash (replacing any entry of the same hash)."""
        if not items:
            return
        rows = [(key, np.asarray(vec, dtype=np.float32).tobytes()) for key, vec in items]
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO vectors (hash, vector) VALUES (?, ?)", rows)
        self._trim()

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM vectors").fetchone()[0])

    def _trim(self) -> None:
        # Rows are only ever deleted from the oldest end, so the rowid span bounds the count (and,
        # unlike count(*), costs an index lookup, not a scan).
        low, high = self._db.execute("SELECT min(rowid), max(rowid) FROM vectors").fetchone()
        excess = (high - low + 1 if low is not None else 0) - self.max_entries
        if excess > 0:
            self._db.execute(
                "DELETE FROM vectors WHERE rowid IN (SELECT rowid FROM vectors ORDER BY rowid LIMIT ?)",
                (excess,),
            )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

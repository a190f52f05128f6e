"""The audit log: one record per API request, append-only and hash-chained.

Each record carries the hash of the record before it (``prev_hash``) and its own ``hash``, taken
over its canonical JSON; ``seq`` counts from 1. Editing a record breaks its hash, deleting or
reordering records breaks the next record's ``prev_hash`` and ``seq``. The JSONL file under the
state directory is the chain of record; the Elasticsearch audit index holds the same records so
that auditors can query them (``search_audit``) — it is never part of entity search.

One writer at a time: a thread lock inside the process and an exclusive ``flock`` on the file
across processes (several uvicorn workers share one file). The chain head is read from the file's
last line when the log opens, and again whenever another process has appended since.

The API writes the index copy off the response path (``IndexCopier``): a request waits for its
record to be in the file (written, and fsynced when ``audit_fsync`` is on), not for Elasticsearch,
whose ``index`` call was about three quarters of the audit's cost per request. The copies go
through a bounded queue to a thread that sends them in bulk, retries, and counts what it still
cannot write (``polegraph_audit_index_copy_failures`` on ``/metrics``); closing the log drains the
queue. The trade-off: the index trails the file by the queue's lag (milliseconds when Elasticsearch
is healthy), so records cut from the file's end within that window, or whose copy failed, are not
in the index to be compared with. ``compare_with_index`` still finds a tail cut deeper than the
lag, and reports records missing from the index (a failed copy) as a gap in its sequence numbers.
A full queue makes requests wait for room (bounded memory, no silent loss) rather than dropping.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch.helpers import BulkIndexError, bulk

from polegraph.config import Settings
from polegraph.errors import PolegraphError
from polegraph.schema.elasticsearch import AUDIT
from polegraph.security.policy import Principal

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_TAIL_CHUNK = 64 * 1024
_STOP = object()


class AuditError(PolegraphError):
    """The audit log cannot be written or read."""


def record_hash(record: dict[str, Any]) -> str:
    """The sha256 of a record's canonical JSON, its own ``hash`` left out."""
    body = {k: v for k, v in record.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def principal_fields(principal: Principal | None) -> dict[str, Any]:
    """Who made the request, as the record names them (nothing for an unauthenticated one)."""
    if principal is None:
        return {}
    return {
        "user": principal.user,
        "user_force": principal.home_force,
        "roles": sorted(principal.roles),
        "clearance": principal.clearance,
        "readable_forces": sorted(principal.readable_forces),
    }


def _last_line(handle: Any, size: int) -> bytes:
    """The file's last non-empty line, read backwards in chunks (records can be large)."""
    end, buffer = size, b""
    while end > 0:
        start = max(0, end - _TAIL_CHUNK)
        handle.seek(start)
        buffer = handle.read(end - start) + buffer
        end = start
        stripped = buffer.rstrip(b"\n")
        if b"\n" in stripped or end == 0:
            last: bytes = stripped.rsplit(b"\n", 1)[-1]
            return last
    return b""


class IndexCopier:
    """Writes records to the audit index from a thread of its own, in bulk, retrying.

    ``submit`` waits only for room in the bounded queue; ``flush`` waits until every record
    submitted so far has been written or counted as failed; ``close`` drains and stops.
    ``on_failure`` is told how many records could not be written after every attempt.
    """

    def __init__(
        self,
        es: Elasticsearch,
        index: str,
        *,
        on_failure: Callable[[int], None] = lambda count: None,
        capacity: int = 10_000,
        batch: int = 500,
        attempts: int = 3,
        backoff_s: float = 0.2,
    ) -> None:
        self._es, self._index, self._on_failure = es, index, on_failure
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=capacity)
        self._batch, self._attempts, self._backoff_s = batch, attempts, backoff_s
        self.failed = 0
        self._thread = threading.Thread(target=self._run, name="audit-index-copier", daemon=True)
        self._thread.start()

    def submit(self, record: dict[str, Any]) -> None:
        self._queue.put(record)

    def flush(self) -> None:
        self._queue.join()

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _run(self) -> None:
        while True:
            records = [self._queue.get()]
            while len(records) < self._batch:
                try:
                    records.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(r is _STOP for r in records)
            self._write([r for r in records if r is not _STOP])
            for _ in records:
                self._queue.task_done()
            if stop:
                return

    def _write(self, records: list[dict[str, Any]]) -> None:
        pending = records
        for attempt in range(self._attempts):
            if not pending:
                return
            if attempt:
                time.sleep(self._backoff_s * 2 ** (attempt - 1))
            pending = self._send(pending)
        if pending:
            self.failed += len(pending)
            log.error("%d audit records could not be copied to %s", len(pending), self._index)
            self._on_failure(len(pending))

    def _send(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records not written (all of them when the request itself failed)."""
        actions = [{"_index": self._index, "_id": r["event_id"], "_source": r} for r in records]
        try:
            # require_alias: a missing audit index must fail, not be auto-created without its mapping.
            bulk(self._es, actions, require_alias=True, raise_on_error=True)
        except BulkIndexError as exc:
            failed = {str(next(iter(e.values())).get("_id")) for e in exc.errors}
            log.warning("audit index copy: %d of %d records refused", len(failed), len(records))
            return [r for r in records if r["event_id"] in failed]
        except Exception as exc:  # noqa: BLE001  # unreachable, overloaded, refused: retry them all
            log.warning("audit index copy failed: %s", exc)
            return records
        return []


class AuditLog:
    """Appends records to the JSONL file and the audit index, in chain order.

    With ``copier`` the index copy is handed to it (off the caller's path); without, it is
    written before ``append`` returns.
    """

    def __init__(
        self, settings: Settings, es: Elasticsearch | None, *, copier: IndexCopier | None = None
    ) -> None:
        self.path = settings.audit_path
        self._es = es
        self._copier = copier
        self._index = settings.index_name(AUDIT)
        self._fsync = settings.audit_fsync
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(exist_ok=True)
        self._size = -1
        self._seq, self._hash = 0, GENESIS
        with self.path.open("rb") as handle:
            self._recover(handle)

    def _recover(self, handle: Any) -> None:
        size = os.fstat(handle.fileno()).st_size
        if size == self._size:
            return
        line = _last_line(handle, size)
        if line:
            try:
                last = json.loads(line)
                self._seq, self._hash = int(last["seq"]), str(last["hash"])
            except (ValueError, KeyError, TypeError) as exc:
                raise AuditError(
                    f"the last record of {self.path} is unreadable ({exc}); the chain cannot continue",
                    hint="run `polegraph audit verify` and keep the file for investigation",
                ) from exc
        self._size = size

    @property
    def head(self) -> tuple[int, str]:
        """The sequence number and hash of the last record written."""
        return self._seq, self._hash

    def flush(self) -> None:
        """Wait until every record appended so far is in the index, or counted as failed."""
        if self._copier is not None:
            self._copier.flush()

    def append(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Chain ``fields`` onto the log, write them to the file and the index; the record."""
        with self._lock, self.path.open("a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                self._recover(handle)
                record = {**fields, "seq": self._seq + 1, "prev_hash": self._hash}
                record["hash"] = record_hash(record)
                line = (json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n").encode()
                handle.write(line)
                handle.flush()
                if self._fsync:
                    os.fsync(handle.fileno())
                self._seq, self._hash = record["seq"], record["hash"]
                self._size += len(line)
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        if self._copier is not None:
            self._copier.submit(record)
        elif self._es is not None:
            # require_alias: a missing audit index must fail, not be auto-created without its mapping.
            self._es.index(index=self._index, id=record["event_id"], document=record, require_alias=True)
        return record


@dataclass(frozen=True)
class Verification:
    """The result of checking a chain: how many records, and the first broken one (1-based line)."""

    records: int
    broken_line: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_line is None


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as handle:
        yield from enumerate(handle, start=1)


def verify_chain(path: Path) -> Verification:
    """Check every record's hash, ``prev_hash`` and ``seq``; name the first that does not hold."""
    prev_hash, seq, count = GENESIS, 0, 0
    for number, raw in _lines(path):
        try:
            record = json.loads(raw)
            if not isinstance(record, dict):
                raise TypeError("not a JSON object")
        except (ValueError, TypeError) as exc:
            return Verification(count, number, f"not a record: {exc}")
        if record.get("hash") != record_hash(record):
            return Verification(count, number, "the record was altered: its hash does not match its content")
        if record.get("prev_hash") != prev_hash:
            return Verification(
                count, number, "the chain is broken: prev_hash is not the previous record's hash "
                "(a record before it was removed, inserted or moved)",
            )  # fmt: skip
        if record.get("seq") != seq + 1:
            return Verification(count, number, f"sequence {record.get('seq')} follows {seq}")
        prev_hash, seq, count = record["hash"], seq + 1, count + 1
    return Verification(count)


def last_record(path: Path) -> dict[str, Any] | None:
    """The file's last record (None when it is empty)."""
    with path.open("rb") as handle:
        line = _last_line(handle, os.fstat(handle.fileno()).st_size)
    return json.loads(line) if line else None


def compare_with_index(es: Elasticsearch, settings: Settings, path: Path) -> str | None:
    """What the index's copy says that the file alone cannot: records cut from the file's end.

    None when the index's newest record is the file's last one, or an earlier one (the API writes
    the copies in the background, so the index may trail the file), and the index holds every
    record up to it; otherwise what differs.
    """
    hits = es.search(index=settings.index_name(AUDIT), sort=[{"seq": "desc"}], size=1)["hits"]["hits"]
    indexed = hits[0]["_source"] if hits else None
    last = last_record(path)
    if indexed is None:
        return None if last is None else "the audit index holds no record"
    if last is None or indexed["seq"] > last["seq"]:
        return (
            f"the index holds records up to {indexed['seq']} but the file ends at "
            f"{last['seq'] if last else 0}: records were removed from the end of the file"
        )
    if indexed["seq"] == last["seq"] and indexed["hash"] != last["hash"]:
        return f"record {last['seq']} differs between the file and the index"
    # Sequence numbers run 1..n without a gap, so fewer records than the newest one's seq means
    # copies are missing (failed after their retries: /metrics counted them).
    held = es.count(index=settings.index_name(AUDIT))["count"]
    if held < indexed["seq"]:
        return (
            f"the index lacks {indexed['seq'] - held} of records 1 to {indexed['seq']}: "
            "their copies were not written (see polegraph_audit_index_copy_failures)"
        )
    return None


@dataclass(frozen=True)
class AuditPage:
    records: list[dict[str, Any]]
    has_next: bool
    end_cursor: str | None


def audit_cursor(seq: int) -> str:
    """The opaque cursor of the record with sequence number ``seq``."""
    return base64.urlsafe_b64encode(f"audit|{seq}".encode()).decode()


def _after(cursor: str) -> int:
    try:
        kind, _, seq = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        if kind == "audit":
            return int(seq)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise PolegraphError("not an audit log cursor", hint="pass the endCursor of a previous page")


def search_audit(
    es: Elasticsearch,
    settings: Settings,
    principal: Principal,
    *,
    user: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    first: int = 20,
    after: str | None = None,
) -> AuditPage:
    """Audit records, newest first, for an auditor: those of users of forces it may read.

    Records of refused, unauthenticated requests (no user) are shown to every auditor: they are
    what an auditor looks for when someone probes the API.
    """
    principal.require("auditor")
    filters: list[dict[str, Any]] = [
        {
            "bool": {
                "should": [
                    {"terms": {"user_force": sorted(principal.readable_forces)}},
                    {"bool": {"must_not": {"exists": {"field": "user_force"}}}},
                ],
                "minimum_should_match": 1,
            }
        }
    ]
    if user:
        filters.append({"term": {"user": user}})
    if outcome:
        filters.append({"term": {"outcome": outcome}})
    if since or until:
        bounds = {"gte": since.isoformat() if since else None, "lt": until.isoformat() if until else None}
        filters.append({"range": {"timestamp": {k: v for k, v in bounds.items() if v}}})
    body: dict[str, Any] = {
        "query": {"bool": {"filter": filters}},
        "sort": [{"seq": "desc"}],
        "size": first + 1,
    }
    if after:
        body["search_after"] = [_after(after)]
    hits = es.search(index=settings.index_name(AUDIT), **body)["hits"]["hits"]
    records = [hit["_source"] for hit in hits[:first]]
    end = audit_cursor(records[-1]["seq"]) if records else None
    return AuditPage(records, len(hits) > first, end)

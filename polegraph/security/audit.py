"""The audit log: one record per API request, append-only and hash-chained.

Each record carries the hash of the record before it (``prev_hash``) and its own ``hash``, taken
over its canonical JSON; ``seq`` counts from 1. Editing a record breaks its hash, deleting or
reordering records breaks the next record's ``prev_hash`` and ``seq``. The JSONL file under the
state directory is the chain of record; the Elasticsearch audit index holds the same records so
that auditors can query them (``search_audit``) — it is never part of entity search.

One writer at a time: a thread lock inside the process and an exclusive ``flock`` on the file
across processes (several uvicorn workers share one file). The chain head is read from the file's
last line when the log opens, and again whenever another process has appended since.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from polegraph.config import Settings
from polegraph.errors import PolegraphError
from polegraph.schema.elasticsearch import AUDIT
from polegraph.security.policy import Principal

GENESIS = "0" * 64
_TAIL_CHUNK = 64 * 1024


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


class AuditLog:
    """Appends records to the JSONL file and the audit index, in chain order."""

    def __init__(self, settings: Settings, es: Elasticsearch | None) -> None:
        self.path = settings.audit_path
        self._es = es
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
        if self._es is not None:
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

    None when the index's newest record is the file's last one; otherwise what differs.
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

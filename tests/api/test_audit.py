"""The audit log: chained records, tampering detected, the head recovered, the auditors' query."""

from __future__ import annotations

import itertools
import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from pydantic import SecretStr
from typer.testing import CliRunner

from polegraph.cli import app as cli
from polegraph.config import Settings
from polegraph.schema.elasticsearch import AUDIT
from polegraph.search.query import search
from polegraph.security.audit import (
    GENESIS,
    AuditError,
    AuditLog,
    IndexCopier,
    compare_with_index,
    record_hash,
    verify_chain,
)
from polegraph.security.policy import Principal
from tests.api.shell_support import (
    PURPOSE,
    SECRET,
    audit_records,
    bearer,
    shell_client,
    shell_settings,
)
from tests.conftest import Engines


def _file_log(tmp_path: Path, name: str = "audit.jsonl") -> AuditLog:
    return AuditLog(
        Settings(audit_file=tmp_path / name, audit_fsync=False, jwt_secret=SecretStr(SECRET)), None
    )


def _write(log: AuditLog, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        log.append({"event_id": f"e{i}", "request_id": f"r{i}", "user": f"user{i % 3}", "outcome": "ok"})


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_records_are_chained_from_the_genesis(tmp_path: Path) -> None:
    log = _file_log(tmp_path)
    _write(log, 4)
    records = [json.loads(line) for line in _lines(log.path)]
    assert [r["seq"] for r in records] == [1, 2, 3, 4]
    assert records[0]["prev_hash"] == GENESIS
    for before, after in itertools.pairwise(records):
        assert after["prev_hash"] == before["hash"]
    assert all(r["hash"] == record_hash(r) for r in records)
    assert verify_chain(log.path).ok
    assert verify_chain(log.path).records == 4


def _tampered(tmp_path: Path, change: Any) -> Any:
    log = _file_log(tmp_path)
    _write(log, 5)
    lines = _lines(log.path)
    log.path.write_text("".join(change(lines)), encoding="utf-8")
    return verify_chain(log.path)


def _edit(lines: list[str], index: int, **fields: Any) -> list[str]:
    record = json.loads(lines[index])
    record.update(fields)
    lines[index] = json.dumps(record) + "\n"
    return lines


def _edit_and_rehash(lines: list[str]) -> list[str]:
    record = json.loads(lines[2])
    record["user"] = "someone.else"
    record["hash"] = record_hash(record)
    lines[2] = json.dumps(record) + "\n"
    return lines


@pytest.mark.parametrize(
    ("change", "line", "reason"),
    [
        (lambda lines: _edit(lines, 2, user="someone.else"), 3, "altered"),
        (lambda lines: _edit(lines, 0, outcome="refused"), 1, "altered"),
        # Whoever recomputes the edited record's hash breaks the link to the next one.
        (_edit_and_rehash, 4, "chain is broken"),
        (lambda lines: lines[:1] + lines[2:], 2, "chain is broken"),
        (lambda lines: lines[1:], 1, "chain is broken"),
        (lambda lines: [lines[0], lines[2], lines[1], *lines[3:]], 2, "chain is broken"),
        (lambda lines: [*lines[:3], '{"seq": 4, "trunc', *lines[4:]], 4, "not a record"),
        (lambda lines: [*lines[:3], lines[2], *lines[3:]], 4, "chain is broken"),
    ],
    ids=[
        "edit",
        "edit first",
        "edit and rehash",
        "delete",
        "delete first",
        "reorder",
        "garbage",
        "duplicate",
    ],
)
def test_tampering_is_detected_at_the_first_broken_record(
    tmp_path: Path, change: Any, line: int, reason: str
) -> None:
    result = _tampered(tmp_path, change)
    assert not result.ok
    assert result.broken_line == line
    assert reason in result.reason


def test_audit_verify_command_names_the_broken_line(tmp_path: Path) -> None:
    log = _file_log(tmp_path)
    _write(log, 3)
    runner = CliRunner()
    intact = runner.invoke(cli, ["audit", "verify", str(log.path)])
    assert intact.exit_code == 0
    assert "3 records, chain intact" in " ".join(intact.output.split())
    log.path.write_text("".join(_edit(_lines(log.path), 1, user="x")), encoding="utf-8")
    broken = runner.invoke(cli, ["audit", "verify", str(log.path)])
    assert broken.exit_code == 1
    assert "broken at line 2" in " ".join(broken.output.split())
    missing = runner.invoke(cli, ["audit", "verify", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 1


def test_the_head_is_recovered_when_the_log_reopens(tmp_path: Path) -> None:
    first = _file_log(tmp_path)
    _write(first, 3)
    reopened = _file_log(tmp_path)
    assert reopened.head == first.head
    assert reopened.head[0] == 3
    _write(reopened, 2, start=3)
    assert verify_chain(reopened.path).records == 5
    assert verify_chain(reopened.path).ok


def test_large_records_are_read_back_from_the_tail(tmp_path: Path) -> None:
    log = _file_log(tmp_path)
    log.append({"event_id": "big", "variables": {"text": "x" * 200_000}})
    log.append({"event_id": "bigger", "variables": {"text": "y" * 300_000}})
    assert _file_log(tmp_path).head == log.head


def test_writers_sharing_one_file_keep_one_chain(tmp_path: Path) -> None:
    # Two logs on one file stand for two worker processes; threads for concurrent requests.
    logs = [_file_log(tmp_path), _file_log(tmp_path)]

    def work(n: int) -> None:
        _write(logs[n % 2], 25, start=n * 100)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = verify_chain(logs[0].path)
    assert result.ok, result
    assert result.records == 100


def test_an_unreadable_last_record_stops_the_log_from_opening(tmp_path: Path) -> None:
    log = _file_log(tmp_path)
    _write(log, 2)
    with log.path.open("a", encoding="utf-8") as handle:
        handle.write('{"seq": 3, "hash": \n')
    with pytest.raises(AuditError, match="unreadable"):
        _file_log(tmp_path)


AUDIT_LOG = """query Page($filter: AuditLogFilter, $first: Int!, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) {
    edges {
      cursor
      node { seq user userForce purpose outcome operationHash query returnedCount hash prevHash }
    }
    pageInfo { hasNextPage endCursor }
  }
}"""


def _clear_audit_index(es: Elasticsearch, settings: Settings) -> None:
    es.delete_by_query(
        index=settings.index_name(AUDIT), query={"match_all": {}}, refresh=True, conflicts="proceed"
    )


def test_auditors_query_the_log_of_the_forces_they_may_read(
    engines: Engines, es_client: Elasticsearch, tmp_path: Path
) -> None:
    # The engines fixture recreated every index, the audit index included: it starts empty.
    settings = shell_settings(engines.settings, tmp_path)
    auditor = bearer(settings, user="e.auditor", force="GMP", roles=("auditor",))
    with shell_client(settings) as client:
        for user, force in (("a.gmp", "GMP"), ("b.gmp", "GMP"), ("c.wyp", "WYP")):
            client.post(
                "/graphql",
                json={"query": "{ me { user } }"},
                headers={**bearer(settings, user=user, force=force), **PURPOSE},
            )
        client.post("/graphql", json={"query": "{ me { user } }"})  # no token
        client.app.state.audit.flush()  # the index copies are written off the response path
        es_client.indices.refresh(index=settings.index_name(AUDIT))
        # The auditor's own requests are audited too; the pages below look at what came before.
        time.sleep(0.01)
        until = datetime.now(UTC).isoformat()
        time.sleep(0.01)

        def page(**variables: Any) -> Any:
            variables["filter"] = {"until": until, **variables.get("filter", {})}
            response = client.post(
                "/graphql", json={"query": AUDIT_LOG, "variables": {"first": 10, **variables}},
                headers={**auditor, **PURPOSE},
            )  # fmt: skip
            assert response.status_code == 200, response.text
            return response.json()["data"]["auditLog"]

        everything = page()
        seen = [(e["node"]["user"], e["node"]["outcome"]) for e in everything["edges"]]
        # Newest first; the WYP user's record is not the GMP auditor's to read; the refused,
        # unauthenticated request is shown to every auditor.
        assert seen == [(None, "unauthenticated"), ("b.gmp", "ok"), ("a.gmp", "ok")]
        file_records = {r["seq"]: r for r in audit_records(settings)}
        for edge in everything["edges"]:
            node = edge["node"]
            assert node["hash"] == file_records[node["seq"]]["hash"]
            assert node["prevHash"] == file_records[node["seq"]]["prev_hash"]
        assert page(filter={"user": "a.gmp"})["edges"][0]["node"]["purpose"] == PURPOSE["X-Purpose"]
        assert len(page(filter={"outcome": "unauthenticated"})["edges"]) == 1
        first = page(first=2)
        assert first["pageInfo"]["hasNextPage"] is True
        rest = page(first=2, after=first["pageInfo"]["endCursor"])
        assert [e["node"]["user"] for e in rest["edges"]] == ["a.gmp"]
        assert rest["pageInfo"]["hasNextPage"] is False

        investigator = client.post(
            "/graphql",
            json={"query": AUDIT_LOG, "variables": {"first": 5}},
            headers={**bearer(settings), **PURPOSE},
        )
        assert investigator.status_code == 200
        assert investigator.json()["data"] is None
        error = investigator.json()["errors"][0]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert error["path"] == ["auditLog"]
        bad_cursor = client.post(
            "/graphql", json={"query": AUDIT_LOG, "variables": {"first": 5, "after": "bm90IGEgY3Vyc29y"}},
            headers={**auditor, **PURPOSE},
        )  # fmt: skip
        assert bad_cursor.json()["errors"][0]["message"] == "not an audit log cursor"

    # What the audit index holds is never an entity search result.
    admin = Principal("e.auditor", "GMP", clearance="TOP SECRET", roles=frozenset({"admin"}))
    result = search(es_client, settings, admin, "OP TRIDENT")
    assert result.hits == ()
    assert result.total == 0
    assert dict(result.restricted) == {}


def test_records_cut_from_the_end_are_found_against_the_index(engines: Engines, tmp_path: Path) -> None:
    # The chain alone cannot show that its last records were removed or rewritten; the index's copy can.
    settings = shell_settings(engines.settings, tmp_path)
    log = AuditLog(settings, engines.es)
    _write(log, 3)
    engines.es.indices.refresh(index=settings.index_name(AUDIT))
    assert compare_with_index(engines.es, settings, log.path) is None
    original = _lines(log.path)
    log.path.write_text("".join(original[:2]), encoding="utf-8")
    assert verify_chain(log.path).ok
    assert "removed from the end" in (compare_with_index(engines.es, settings, log.path) or "")
    last = json.loads(original[2])
    last["user"] = "someone.else"
    last["hash"] = record_hash(last)
    log.path.write_text("".join(original[:2]) + json.dumps(last) + "\n", encoding="utf-8")
    assert verify_chain(log.path).ok
    assert "record 3 differs" in (compare_with_index(engines.es, settings, log.path) or "")


def test_the_index_copier_drains_its_queue_when_closed(engines: Engines, tmp_path: Path) -> None:
    settings = shell_settings(engines.settings, tmp_path)
    copier = IndexCopier(engines.es, settings.index_name(AUDIT))
    log = AuditLog(settings, engines.es, copier=copier)
    _write(log, 40)
    # The file holds every record as soon as append returns; the index gets them on close.
    assert verify_chain(log.path).records == 40
    copier.close()
    engines.es.indices.refresh(index=settings.index_name(AUDIT))
    assert engines.es.count(index=settings.index_name(AUDIT))["count"] == 40
    assert copier.failed == 0
    assert compare_with_index(engines.es, settings, log.path) is None


def test_copies_that_cannot_be_written_are_retried_counted_and_found(
    engines: Engines, tmp_path: Path
) -> None:
    settings = shell_settings(engines.settings, tmp_path)
    counted: list[int] = []
    copier = IndexCopier(engines.es, settings.index_name(AUDIT), on_failure=counted.append, backoff_s=0.01)
    log = AuditLog(settings, engines.es, copier=copier)
    _write(log, 2)
    log.flush()
    index = engines.es.indices.get_alias(name=settings.index_name(AUDIT))
    concrete = next(iter(index))
    # The index refuses writes for a while: records 3 and 4 exhaust their retries.
    engines.es.indices.put_settings(index=concrete, settings={"index.blocks.write": True})
    try:
        _write(log, 2, start=2)
        log.flush()
    finally:
        engines.es.indices.put_settings(index=concrete, settings={"index.blocks.write": False})
    _write(log, 1, start=4)
    copier.close()
    assert sum(counted) == copier.failed == 2
    engines.es.indices.refresh(index=settings.index_name(AUDIT))
    assert verify_chain(log.path).records == 5
    assert "lacks 2 of records 1 to 5" in (compare_with_index(engines.es, settings, log.path) or "")


def test_an_unwritable_index_copy_is_counted_on_metrics_not_refused(stack: Settings, tmp_path: Path) -> None:
    # A prefix with no audit index: Elasticsearch refuses the copy (require_alias), after the
    # file has the record; the response leaves, and /metrics counts the failed copy.
    settings = shell_settings(stack, tmp_path, index_prefix="polegraph-test-no-audit")
    with shell_client(settings) as client:
        response = client.post(
            "/graphql", json={"query": "{ me { user } }"}, headers={**bearer(settings), **PURPOSE}
        )
        assert response.status_code == 200
        assert response.json()["data"]["me"]["user"] == "a.investigator"
        client.app.state.audit.flush()
        metrics = client.get("/metrics").text
    assert "polegraph_audit_index_copy_failures_total 1.0" in metrics
    assert "polegraph_audit_write_failures_total 0.0" in metrics
    assert [r["outcome"] for r in audit_records(settings)] == ["ok"]

"""A `polegraph load` process killed with SIGKILL half-way, then run again, gives exactly the graph
and index of an uninterrupted load: nothing duplicated, nothing lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from polegraph.ingest import load_file
from tests.conftest import Engines, empty

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)
TYPES = ["Burglary", "Violence and sexual offences", "Vehicle crime", "Shoplifting", "Drugs"]


def _street_file(path: Path, rows: int) -> Path:
    rng = random.Random(11)
    lines = [HEADER]
    for i in range(rows):
        crime_id = f"{i:064x}" if i % 10 else ""  # every tenth row is anti-social behaviour
        lon, lat = -1.5 - rng.randrange(300) / 1000, 53.7 + rng.randrange(300) / 1000
        kind = "Anti-social behaviour" if not crime_id else rng.choice(TYPES)
        lines.append(
            f"{crime_id},2026-02,West Yorkshire Police,West Yorkshire Police,{lon:.6f},{lat:.6f},"
            f"On or near Street {i % 97},E0100{i % 50:04d},Leeds {i % 50:03d}A,{kind},,"
        )
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def _snapshot(engines: Engines) -> tuple[dict[str, int], int, int, int]:
    db = engines.settings.neo4j_database
    labels, _, _ = engines.driver.execute_query(
        "MATCH (n) WHERE NOT n:LoadJournal UNWIND labels(n) AS l RETURN l, count(*) AS c", database_=db
    )
    edges = engines.driver.execute_query("MATCH ()-[r]->() RETURN count(r) AS c", database_=db).records
    engines.es.indices.refresh(index="polegraph-test-*")
    docs = engines.es.count(index="polegraph-test-entities")["count"]
    sources = engines.es.count(index="polegraph-test-source_records")["count"]
    return {r["l"]: r["c"] for r in labels}, edges[0]["c"], docs, sources


def _journal_batches(engines: Engines) -> int:
    records, _, _ = engines.driver.execute_query("MATCH (j:LoadJournal) RETURN max(j.batches) AS b")
    return int(records[0]["b"] or 0)


def test_sigkill_half_way_then_rerun_equals_uninterrupted(engines: Engines, tmp_path: Path) -> None:
    path = _street_file(tmp_path / "street.csv", 3000)
    uninterrupted = load_file(
        engines.settings, engines.driver, engines.es, "police-uk-street", path, force="WYP", batch_size=100
    )
    expected = _snapshot(engines)
    assert uninterrupted.read == uninterrupted.loaded + uninterrupted.quarantined == 3000

    empty(engines)
    s = engines.settings
    env = {
        **os.environ, "POLEGRAPH_NEO4J_URI": s.neo4j_uri, "POLEGRAPH_ES_HOSTS": ",".join(s.es_hosts),
        "POLEGRAPH_INDEX_PREFIX": s.index_prefix, "POLEGRAPH_STATE_DIR": str(s.state_dir),
    }  # fmt: skip
    cmd = [sys.executable, "-m", "polegraph.cli", "load", "police-uk-street", str(path), "--force", "WYP",
           "--batch-size", "100"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while _journal_batches(engines) < 5 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, "the load finished before it could be killed; use a larger file"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    killed_at = _journal_batches(engines)
    assert 5 <= killed_at < 30
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "resumed an interrupted load" in rerun.stdout
    assert _snapshot(engines) == expected

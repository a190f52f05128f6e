"""Linking jobs: extract the nominals, score the candidate pairs, write the links; resumable.

A job is a ``LinkJob`` node with its parameters, status, stage and figures. Each stage leaves its
result where a rerun finds it (the persons and the scored pairs as Parquet under
``<state dir>/linking/<job id>``, the model on the job node, a checkpoint after every batch of
links written), so running the same command again after a crash continues from the last stage
instead of starting over. An incremental job compares only the persons not yet linked against
everyone, with the model of the last complete job, and marks them linked when it ends.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from neo4j import Driver
from splink import DuckDBAPI
from splink.internals.database_api import DatabaseAPI

from polegraph.config import Settings
from polegraph.errors import PolegraphError
from polegraph.linking import clusters, model, store
from polegraph.linking.features import FEATURE_COLUMNS, feature_row
from polegraph.security.policy import Principal

Progress = Callable[[str, int, int | None], None]
"""Called as work advances: (stage, done, total or None)."""

BATCH = 1000
JOB_ROLES = ("analyst", "intelligence_unit", "supervisor", "admin")


@dataclass(frozen=True)
class Thresholds:
    """Match probability at or above which a link is accepted, and the floor of the review band.

    The trained model's probabilities are close to calibrated (on the generated scenario the pairs
    scored 0.8 to 0.9 are about nine in ten true), and almost all accepted pairs score near 1, so
    accepting from 0.8 keeps the accepted links' precision above 0.99 (0.996 to 0.999 at 10k and
    100k persons, two seeds: bench/results/linking.md) while finding more of them than 0.9 did. A
    name alone never links, and links that would join contradicting records go to review.
    """

    accept: float = 0.8
    review: float = 0.5

    def band(self, pair: model.ScoredPair) -> str:
        """ACCEPTED above the threshold unless only names agree (a name alone never links); else REVIEW."""
        accepted = pair.probability >= self.accept and model.beyond_names(pair.explanation)
        return store.ACCEPTED if accepted else store.REVIEW


def bands(
    scored: Iterable[model.ScoredPair],
    rows: Mapping[str, Mapping[str, Any]],
    thresholds: Thresholds,
    different: Iterable[tuple[str, str]] = (),
    joined: Iterable[tuple[str, str]] = (),
) -> list[tuple[model.ScoredPair, str]]:
    """Each scored pair with its band: ``Thresholds.band``, except that an accepted link that would
    make one resolved person of contradicting records goes to review, saying why in its explanation
    (``clusters.held_back``). ``rows`` are the feature rows by uid, ``different`` analysts' DIFFERENT
    pairs, ``joined`` the pairs already joined that stay joined.
    """
    first = [(pair, thresholds.band(pair)) for pair in scored]
    accepted = [p for p, band in first if band == store.ACCEPTED]
    held = clusters.held_back(accepted, rows, different, joined)
    banded: list[tuple[model.ScoredPair, str]] = []
    for pair, band in first:
        reason = held.get((pair.uid_a, pair.uid_b))
        if reason:
            note = {"level": reason, "agrees": False, "weight": 0.0, "values": []}
            pair, band = (
                replace(pair, explanation={**pair.explanation, "resolved_person": note}),
                store.REVIEW,
            )
        banded.append((pair, band))
    return banded


@dataclass
class LinkJob:
    """A linking job's record: parameters, where it got to, and its figures."""

    job_id: str
    forces: list[str]
    incremental: bool
    status: str = "RUNNING"
    stage: str = "started"
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    finished_at: str | None = None
    persons: int = 0
    new_persons: int = 0
    pairs_compared: int = 0
    links_accepted: int = 0
    links_review: int = 0
    batches_written: int = 0
    trained: bool = False
    model_version: str | None = None
    duration_s: float = 0.0
    error: str | None = None

    def record(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "job_id"}


def _save(driver: Driver, database: str, job: LinkJob, **extra: Any) -> None:
    driver.execute_query(
        "MERGE (j:LinkJob {job_id: $id}) SET j += $props",
        id=job.job_id, props={**job.record(), **extra}, database_=database,
    )  # fmt: skip


_FIELDS = frozenset(LinkJob.__dataclass_fields__)


def _job(props: dict[str, Any]) -> LinkJob:
    return LinkJob(**{k: v for k, v in props.items() if k in _FIELDS})


def _unfinished(driver: Driver, database: str, forces: list[str], incremental: bool) -> LinkJob | None:
    records, _, _ = driver.execute_query(
        "MATCH (j:LinkJob) WHERE j.status <> 'COMPLETE' AND j.forces = $forces AND j.incremental = $inc "
        "RETURN properties(j) AS j ORDER BY j.started_at DESC LIMIT 1",
        forces=forces, inc=incremental, database_=database,
    )  # fmt: skip
    return _job(dict(records[0]["j"])) if records else None


def _last_model(driver: Driver, database: str) -> dict[str, Any] | None:
    records, _, _ = driver.execute_query(
        "MATCH (j:LinkJob {status: 'COMPLETE'}) WHERE j.model IS NOT NULL "
        "RETURN j.model AS m ORDER BY j.finished_at DESC LIMIT 1",
        database_=database,
    )  # fmt: skip
    return dict(json.loads(records[0]["m"])) if records else None


def _extract(driver: Driver, database: str, job: LinkJob, workdir: Path, progress: Progress) -> None:
    rows: list[dict[str, Any]] = []
    for person, labels in store.read_persons(driver, database, job.forces or None):
        rows.append({**feature_row(person), "labels": json.dumps(labels)})
        if len(rows) % store.PAGE == 0:
            progress("read persons", len(rows), None)
    workdir.mkdir(parents=True, exist_ok=True)
    schema = model.SCHEMA.append(pa.field("labels", pa.string()))
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), workdir / "persons.parquet")
    job.persons, job.new_persons = len(rows), sum(1 for r in rows if r["is_new"])
    job.stage = "extracted"
    progress("read persons", len(rows), len(rows))


_SCORED = pa.schema(
    [("a", pa.string()), ("b", pa.string()), ("probability", pa.float64()), ("match_weight", pa.float64()),
     ("band", pa.string()), ("explanation", pa.string())]
)  # fmt: skip


def _score(
    driver: Driver, database: str, job: LinkJob, workdir: Path, thresholds: Thresholds,
    db_api: DatabaseAPI[Any], progress: Progress,
) -> dict[str, Any]:  # fmt: skip
    persons = pq.read_table(workdir / "persons.parquet", columns=list(FEATURE_COLUMNS)).to_pylist()
    saved = _last_model(driver, database) if job.incremental else None
    if job.incremental and saved is None:
        raise PolegraphError(
            "an incremental link needs the model of a complete job",
            hint="run `polegraph link` once without --incremental",
        )
    linker = model.make_linker(db_api, persons, saved, incremental=job.incremental)
    decided = store.decided_pairs(driver, database)
    if saved is None:
        progress("train", 0, None)
        job.trained = model.train(db_api, linker, len(persons), decided["SAME"])
        progress("train", 1, 1)
    trained = saved or model.saved_model(linker)
    job.model_version = model.model_version(trained)
    progress("block", 0, None)
    job.pairs_compared = model.block(db_api, linker)
    progress("block", 1, 1)
    progress("score", 0, job.pairs_compared)
    rows = {row["unique_id"]: row for row in persons}
    # Links that stay: analysts' SAME decisions, and for an incremental job what earlier jobs resolved.
    joined = decided["SAME"] + (store.resolved_links(driver, database, job.forces) if job.incremental else [])
    scored = [
        {"a": p.uid_a, "b": p.uid_b, "probability": p.probability, "match_weight": p.match_weight,
         "band": band, "explanation": json.dumps(p.explanation, sort_keys=True)}
        for p, band in bands(
            model.predict(linker, thresholds.review), rows, thresholds, decided["DIFFERENT"], joined
        )
    ]  # fmt: skip
    pq.write_table(pa.Table.from_pylist(scored, schema=_SCORED), workdir / "scored.parquet")
    job.links_accepted = sum(1 for s in scored if s["band"] == store.ACCEPTED)
    job.links_review = len(scored) - job.links_accepted
    job.stage = "scored"
    progress("score", job.pairs_compared, job.pairs_compared)
    return trained


def _write(driver: Driver, database: str, job: LinkJob, workdir: Path, progress: Progress) -> None:
    scored = pq.read_table(workdir / "scored.parquet").to_pylist()
    labels = {
        r["unique_id"]: (r["force"], json.loads(r["labels"]))
        for r in pq.read_table(
            workdir / "persons.parquet", columns=["unique_id", "force", "labels"]
        ).to_pylist()
    }
    batches = [scored[i : i + BATCH] for i in range(0, len(scored), BATCH)]
    for number in range(job.batches_written, len(batches)):
        rows = [
            {**row, "labels": store.link_labels(*labels[row["a"]], *labels[row["b"]])}
            for row in batches[number]
        ]
        store.write_links(driver, database, rows, job.job_id, job.model_version or "")
        job.batches_written = number + 1
        _save(driver, database, job)  # the checkpoint: a rerun starts at the next batch
        progress("write links", min(len(scored), job.batches_written * BATCH), len(scored))
    job.stage = "written"


def _finish(driver: Driver, database: str, job: LinkJob, workdir: Path) -> None:
    persons = pq.read_table(workdir / "persons.parquet", columns=["unique_id", "is_new"]).to_pylist()
    uids = [p["unique_id"] for p in persons if p["is_new"] or not job.incremental]
    for i in range(0, len(uids), store.PAGE):
        store.mark_linked(driver, database, uids[i : i + store.PAGE], job.job_id)
    if not job.incremental:
        store.drop_stale_links(driver, database, job.job_id, job.forces or None)
    job.status, job.stage = "COMPLETE", "complete"
    job.finished_at = datetime.now(UTC).isoformat()


def run_link_job(
    settings: Settings,
    driver: Driver,
    *,
    forces: Sequence[str] = (),
    incremental: bool = False,
    thresholds: Thresholds = Thresholds(),
    progress: Progress | None = None,
    db_api: DatabaseAPI[Any] | None = None,
) -> LinkJob:
    """Link the persons of ``forces`` (all when empty), resuming an unfinished job with the same
    parameters. ``db_api`` is the Splink backend (DuckDB in process by default; Spark at scale).
    """
    database, report = settings.neo4j_database, progress or (lambda *_: None)
    wanted = sorted({f.strip().upper() for f in forces if f.strip()})
    job = _unfinished(driver, database, wanted, incremental) or LinkJob(
        f"linkjob:{uuid.uuid4().hex[:16]}", wanted, incremental
    )
    job.status, job.error = "RUNNING", None
    workdir = settings.state_dir / "linking" / job.job_id.replace(":", "-")
    started = time.monotonic() - job.duration_s
    _save(driver, database, job)
    try:
        if job.stage == "started":
            _extract(driver, database, job, workdir, report)
            _save(driver, database, job)
        if job.stage == "extracted":
            trained = _score(driver, database, job, workdir, thresholds, db_api or DuckDBAPI(), report)
            _save(driver, database, job, model=json.dumps(trained))
        if job.stage == "scored":
            _write(driver, database, job, workdir, report)
        _finish(driver, database, job, workdir)
    except BaseException as exc:
        job.status, job.error = "FAILED", f"{type(exc).__name__}: {exc}"
        raise
    finally:
        job.duration_s = round(time.monotonic() - started, 3)
        _save(driver, database, job)
    return job


def link_jobs(
    principal: Principal, driver: Driver, database: str, first: int = 20,
    after: tuple[str, str] | None = None,
) -> list[LinkJob]:  # fmt: skip
    """The latest linking jobs with their status and figures (newest first); ``after`` is the
    (started_at, job_id) of the last job of the previous page.
    """
    principal.require(*JOB_ROLES)
    started, job_id = after or (None, "")
    records, _, _ = driver.execute_query(
        "MATCH (j:LinkJob) WHERE $started IS NULL OR j.started_at < $started "
        "OR (j.started_at = $started AND j.job_id > $id) "
        "RETURN properties(j) AS j ORDER BY j.started_at DESC, j.job_id LIMIT $first",
        started=started, id=job_id, first=first, database_=database, routing_="r",
    )  # fmt: skip
    return [_job(dict(r["j"])) for r in records]

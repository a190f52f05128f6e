"""When saved queries run: cron schedules (croniter, in UTC) and the queries due now."""

from __future__ import annotations

from datetime import UTC, datetime

from croniter import CroniterBadCronError, croniter
from neo4j import Driver

from polegraph.errors import PolegraphError


class BadSchedule(PolegraphError):
    """A schedule that is not a cron expression."""

    code = "BAD_USER_INPUT"


def check_schedule(schedule: str) -> str:
    """``schedule`` if it is a valid five-field cron expression; ``BadSchedule`` otherwise."""
    if len(schedule.split()) != 5 or not croniter.is_valid(schedule):
        raise BadSchedule(
            f"not a cron schedule: {schedule!r}", hint="five fields, e.g. '0 * * * *' for every hour (UTC)"
        )
    return schedule


def next_run(schedule: str, after: float) -> float:
    """The first time the schedule fires strictly after ``after`` (epoch seconds, UTC)."""
    try:
        following = croniter(schedule, datetime.fromtimestamp(after, UTC)).get_next(datetime)
    except CroniterBadCronError as exc:
        raise BadSchedule(f"not a cron schedule: {schedule!r} ({exc})") from None
    return following.timestamp()


def due_queries(driver: Driver, database: str, now: float, limit: int = 1000) -> list[str]:
    """The ids of the enabled, scheduled queries whose next run is due, oldest first.

    Suspended ones are included: their run checks the owner again, and clears the suspension when
    the owner is back (enabled, or seen again).
    """
    records, _, _ = driver.execute_query(
        "MATCH (q:SavedQuery) WHERE q.enabled AND q.schedule IS NOT NULL "
        "AND q.next_run_at <= $now RETURN q.id AS id ORDER BY q.next_run_at LIMIT $limit",
        now=now, limit=limit, database_=database,
    )  # fmt: skip
    return [str(r["id"]) for r in records]

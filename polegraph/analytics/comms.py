"""Communications analysis: contacts, patterns over time, common contacts and contact chains.

A subject is a phone, account or e-mail address, or a person (through all their numbers and
accounts, and those of every nominal confirmed to be the same human). Results are computed from
the calls and messages the principal may read; the time of day is read in ``zone`` (UK time by
default), because "late at night" is local.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from neo4j import Driver

from polegraph.errors import PolegraphError
from polegraph.graph.comms import (
    CommEvent,
    ContactTotal,
    activity,
    communication_events,
    contact_totals,
    subject_endpoints,
)
from polegraph.graph.describe import NodeSummary, describe
from polegraph.graph.window import EVERYTHING, TimeWindow
from polegraph.security.policy import Principal

UK = "Europe/London"


@dataclass
class Contact:
    """One counterpart of the subject(s): how often, how long, when first and last, which way."""

    node: NodeSummary
    events: int = 0
    calls: int = 0
    messages: int = 0
    duration_seconds: int = 0
    outgoing: int = 0
    incoming: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None


@dataclass
class CommunicationsSummary:
    """The communications of a set of subjects over a window."""

    subjects: list[NodeSummary]
    endpoints: list[NodeSummary]  # the phones, accounts and addresses the subjects stand for
    window: TimeWindow
    zone: str
    events: int = 0
    calls: int = 0
    messages: int = 0
    contacts: list[Contact] = field(default_factory=list)  # ranked: events, then duration
    weekday_hour: list[list[int]] = field(
        default_factory=lambda: [[0] * 24 for _ in range(7)]
    )  # Monday first
    daily: list[tuple[dt.date, int]] = field(default_factory=list)
    new_contacts: list[Contact] = field(default_factory=list)  # first contact on or after ``new_since``
    new_since: dt.datetime | None = None


def resolve_subjects(
    driver: Driver, database: str, principal: Principal, subjects: Iterable[str]
) -> dict[str, set[str]]:
    """Each readable subject and its endpoints; a subject the principal cannot read is refused."""
    wanted = set(subjects)
    if not wanted:
        raise PolegraphError("name at least one subject (a phone, account, e-mail address or person)")
    found = subject_endpoints(driver, database, principal, wanted)
    missing = wanted - found.keys()
    if missing:
        # The same answer whether it does not exist or may not be read: existence is not disclosed.
        raise PolegraphError(f"no such subject: {', '.join(sorted(missing))}")
    return found


def _ranked(contacts: Iterable[Contact]) -> list[Contact]:
    return sorted(contacts, key=lambda c: (-c.events, -c.duration_seconds, c.node.uid))


def summarise(
    totals: Sequence[ContactTotal],
    buckets: Sequence[tuple[dt.datetime, int, int]],
    *,
    zone: str = UK,
    new_since: dt.datetime | None = None,
) -> CommunicationsSummary:
    """The summary from per-contact totals and time buckets; contacts named by uid only (no I/O)."""
    local = ZoneInfo(zone)
    summary = CommunicationsSummary([], [], EVERYTHING, zone, new_since=new_since)
    daily: Counter[dt.date] = Counter()
    matrix = summary.weekday_hour
    for start, events, calls in buckets:
        at = start.astimezone(local)
        matrix[at.weekday()][at.hour] += events
        daily[at.date()] += events
        summary.events += events
        summary.calls += calls
    summary.messages = summary.events - summary.calls
    summary.daily = sorted(daily.items())
    contacts = [
        Contact(
            NodeSummary(t.uid, "", t.uid), events=t.events, calls=t.calls, messages=t.events - t.calls,
            duration_seconds=t.call_seconds, outgoing=t.outgoing, incoming=t.events - t.outgoing,
            first=t.first, last=t.last,
        )
        for t in totals
    ]  # fmt: skip
    summary.contacts = _ranked(contacts)
    if new_since is not None:
        summary.new_contacts = [c for c in summary.contacts if c.first is not None and c.first >= new_since]
    return summary


def communications(
    driver: Driver,
    database: str,
    principal: Principal,
    subjects: Sequence[str],
    *,
    window: TimeWindow = EVERYTHING,
    new_since: dt.datetime | None = None,
    zone: str = UK,
    top: int | None = None,
) -> CommunicationsSummary:
    """Contacts ranked by count and duration, a weekday-by-hour matrix, a daily series, new contacts.

    "New" contacts are those first in touch on or after ``new_since`` within the window: with an
    open window start, never in touch before.
    """
    resolved = resolve_subjects(driver, database, principal, subjects)
    endpoints = set().union(*resolved.values())
    summary = summarise(
        contact_totals(driver, database, principal, endpoints, window),
        activity(driver, database, principal, endpoints, window),
        zone=zone,
        new_since=new_since,
    )
    summary.window = window
    if top is not None:
        summary.contacts = summary.contacts[:top]
    shown = [*summary.contacts, *summary.new_contacts]
    names = describe(driver, database, principal, [*resolved, *endpoints, *(c.node.uid for c in shown)])
    for contact in shown:
        contact.node = names.get(contact.node.uid, contact.node)
    summary.subjects = [names[s] for s in sorted(resolved) if s in names]
    summary.endpoints = [names[e] for e in sorted(endpoints) if e in names]
    return summary


@dataclass(frozen=True)
class CommonContact:
    """A counterpart that two or more subjects were in touch with, and how often with each."""

    node: NodeSummary
    events_by_subject: dict[str, int]


def common_contacts(
    driver: Driver,
    database: str,
    principal: Principal,
    subjects: Sequence[str],
    *,
    window: TimeWindow = EVERYTHING,
    min_subjects: int = 2,
) -> list[CommonContact]:
    """Counterparts in touch with at least ``min_subjects`` of the subjects, most shared first."""
    if len(set(subjects)) < 2:
        raise PolegraphError("common contacts need two or more subjects")
    resolved = resolve_subjects(driver, database, principal, subjects)
    every = set().union(*resolved.values())
    per_subject: dict[str, Counter[str]] = defaultdict(Counter)
    for subject, endpoints in resolved.items():
        for total in contact_totals(driver, database, principal, endpoints, window):
            if total.uid not in every:  # one subject calling another is not a common contact
                per_subject[total.uid][subject] = total.events
    shared = {uid: counts for uid, counts in per_subject.items() if len(counts) >= min_subjects}
    names = describe(driver, database, principal, shared)
    found = [CommonContact(names.get(uid, NodeSummary(uid, "", uid)), dict(c)) for uid, c in shared.items()]
    return sorted(
        found, key=lambda c: (-len(c.events_by_subject), -sum(c.events_by_subject.values()), c.node.uid)
    )


@dataclass(frozen=True)
class ContactChain:
    """A → B, then B → C no later than ``max_gap`` after: the relay of a message or instruction."""

    origin: str
    relay: str
    target: str
    first_event: str
    second_event: str
    first_at: dt.datetime
    second_at: dt.datetime


def contact_chains(
    driver: Driver,
    database: str,
    principal: Principal,
    origin: str,
    *,
    max_gap: dt.timedelta,
    window: TimeWindow = EVERYTHING,
    limit: int = 1000,
) -> list[ContactChain]:
    """Chains origin → relay → target where the relay's contact follows within ``max_gap``.

    Contact here is directed: the origin called or messaged the relay, who then called or
    messaged someone other than the origin.
    """
    if max_gap <= dt.timedelta(0):
        raise PolegraphError("max_gap must be positive")
    endpoints = resolve_subjects(driver, database, principal, [origin])[origin]
    first_leg = communication_events(driver, database, principal, endpoints, window)
    relays: dict[str, list[CommEvent]] = defaultdict(list)
    for event in first_leg:
        if endpoints.intersection(event.senders):
            for relay in event.recipients:
                if relay not in endpoints:
                    relays[relay].append(event)
    if not relays:
        return []
    second_leg = communication_events(driver, database, principal, relays, window)
    chains: list[ContactChain] = []
    sent_by: dict[str, list[CommEvent]] = defaultdict(list)
    for event in sorted(second_leg, key=lambda e: e.at):
        for sender in event.senders:
            sent_by[sender].append(event)
    for relay, incoming in relays.items():
        onward = sent_by.get(relay, [])
        for first in incoming:
            for second in onward:
                if second.at <= first.at:
                    continue
                if second.at - first.at > max_gap:
                    break
                for target in second.recipients:
                    if target not in endpoints and target != relay:
                        chains.append(
                            ContactChain(origin, relay, target, first.uid, second.uid, first.at, second.at)
                        )
    chains.sort(key=lambda c: (c.first_at, c.second_at, c.target))
    return chains[:limit]

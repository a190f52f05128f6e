"""What the phone loaders share: extraction records and their graph; the load's time zone, call durations.

UFDR and XRY readers turn what a tool wrote into ``Record``s of one ``Extraction`` (the handset);
``ExtractionGraph`` turns them into bundles by one set of rules, reading times with
``types.event_time``. Parties of the handset's own calls and SMS are Phones (E.164); of app
messages, Accounts (a WhatsApp handle is its E.164 number, and the account is registered to that
Phone by ``HAS_PHONE``). The handset's owner anchors the
extraction: where a record leaves out the owner's side (an inbox SMS names only its sender), the
owner's phone, or the owner's account in that chat, fills it. A contact is a Person "as saved by the
owner": the saved name is an alias, ``HAS_PHONE {saved_as}`` carries it to the number, and the
extraction's owner ``KNOWS`` that person.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from polegraph.errors import PolegraphError
from polegraph.loaders.base import LoaderOptions
from polegraph.loaders.nominals import BundleBuilder, add_object
from polegraph.loaders.records import Bundle, LoadContext, Quarantined, SourceRecord, source_uid, value_uid
from polegraph.types import PHONE, TimeError, event_time, fold, parse_zone

if TYPE_CHECKING:
    from polegraph.loaders.records import Node


_HMS = re.compile(r"(?:(\d{1,4}):)?(\d{1,2}):(\d{2})(?:[.,]\d+)?")
_UNITS = re.compile(r"(?:(\d+)\s*h\w*)?\s*(?:(\d+)\s*m\w*)?\s*(?:(\d+)\s*s\w*)?", re.IGNORECASE)


def option_zone(options: LoaderOptions) -> dt.tzinfo | None:
    """The zone the load's ``timezone`` option names for times written without one (None if unset)."""
    name = options.extra.get("timezone", "").strip()
    try:
        return parse_zone(name)
    except TimeError as exc:
        raise PolegraphError(f"the timezone option: {exc}", hint="e.g. Europe/London, UTC, +01:00") from None


def duration_seconds(raw: str) -> int | None:
    """``83``, ``83.0``, ``00:01:23``, ``1:23`` or ``1m 23s`` as whole seconds; None when unreadable."""
    text = raw.strip()
    if not text:
        return None
    if match := _HMS.fullmatch(text):
        return int(match[1] or 0) * 3600 + int(match[2]) * 60 + int(match[3])
    try:
        value = float(text)
    except ValueError:
        units = _UNITS.fullmatch(text)
        if units is None or not any(units.groups()):
            return None
        return sum(int(n or 0) * f for n, f in zip(units.groups(), (3600, 60, 1), strict=True))
    return round(value) if math.isfinite(value) and 0 <= value < 10**8 else None


@dataclass(frozen=True, slots=True)
class Party:
    """One end of a call or message as the tool recorded it; ``role`` is FROM, TO or empty."""

    identifier: str
    name: str = ""
    role: str = ""
    is_owner: bool = False


@dataclass(frozen=True, slots=True)
class Record:
    """One call, message, contact or chat of an extraction; fields of other kinds stay empty."""

    kind: str  # call | message | contact | chat
    record_id: str
    file: str
    line: int  # line in a text export, element number in a report
    payload: dict[str, Any]
    app: str = ""
    time: str = ""
    direction: str = ""  # as written: Incoming, Sent, Inbox, Dialed...
    parties: tuple[Party, ...] = ()
    participants: tuple[Party, ...] = ()  # of the chat a message belongs to
    deleted: bool = False
    duration: str = ""
    video: bool = False
    message_type: str = ""
    body: str = ""
    thread_id: str = ""
    attachments: tuple[str, ...] = ()
    name: str = ""  # a contact's name as saved
    entries: tuple[tuple[str, str, str], ...] = ()  # a contact's (phone|email|account, category, value)
    dayfirst: bool = True


@dataclass(frozen=True, slots=True)
class Extraction:
    """The extracted handset, as the report's device information describes it."""

    extraction_id: str
    payload: dict[str, Any] = field(default_factory=dict)
    owner_phone: str = ""
    imei: str = ""
    imsi: str = ""
    make: str = ""
    model: str = ""
    owner_name: str = ""


# The handset's own telephony: parties are phone numbers, not app accounts.
_NATIVE = frozenset(
    {"", "PHONE", "NATIVE", "NATIVE MESSAGES", "MESSAGES", "SMS", "MMS", "CALL LOG", "TELEPHONY", "DEFAULT",
     "SIM", "DIALER", "CONTACTS", "PHONEBOOK", "PHONE BOOK", "ANDROID", "IOS", "SMS MMS", "PHONE CALLS"}
)  # fmt: skip
_JID = re.compile(r"@(?:s\.whatsapp\.net|c\.us|whatsapp\.net)$", re.IGNORECASE)
_PHONE_SHAPE = re.compile(r"\+?[\d\s().-]{7,24}")
_OUTGOING = re.compile(r"\b(?:OUTGOING|OUT|SENT|OUTBOX|DIALL?ED|SUBMIT|DRAFT|CANCELL?ED|UNSENT)\b")
_INCOMING = re.compile(r"\b(?:INCOMING|IN|RECEIVED|INBOX|DELIVER|MISSED|REJECTED|DECLINED|ANSWERED)\b")
_OTHER_END = {"INCOMING": "FROM", "OUTGOING": "TO"}  # where the other party stands
_OWNER_END = {"OUTGOING": "FROM", "INCOMING": "TO"}
_CALL_LINKS = {"FROM": ("CALLED", "CALLER"), "TO": ("CALLED", "CALLEE")}
_MESSAGE_LINKS = {"FROM": ("SENT", ""), "TO": ("RECEIVED", "")}
_USAGE = {"MOBILE": "MOBILE", "CELL": "MOBILE", "IPHONE": "MOBILE", "HOME": "HOME", "WORK": "WORK"}


def platform(app: str) -> str | None:
    """Platform code of an app (``WhatsApp`` → ``WHATSAPP``); None for the handset's own telephony."""
    code = fold(app)
    return None if code in _NATIVE else code.replace(" ", "_")


@lru_cache(maxsize=65536)  # an extraction names the same few accounts thousands of times
def account_handle(identifier: str) -> str:
    """A handle normalised across platforms: a number-shaped one (a WhatsApp JID) in E.164."""
    local = _JID.sub("", identifier.strip())
    if _PHONE_SHAPE.fullmatch(local):
        cleaned = PHONE.clean(local)
        if cleaned.valid and cleaned.normalised:
            return cleaned.normalised
    return " ".join(identifier.strip().lstrip("@").lower().split())


def direction(text: str) -> str | None:
    """OUTGOING or INCOMING from how a tool wrote the folder, type or direction; None if unknown."""
    said = fold(text)
    if _OUTGOING.search(said):
        return "OUTGOING"
    return "INCOMING" if _INCOMING.search(said) else None


class ExtractionGraph:
    """The bundles of one extraction's records, anchored on the handset and its owner."""

    def __init__(self, ctx: LoadContext, extraction: Extraction, zone: dt.tzinfo | None) -> None:
        self.ctx, self.extraction, self.zone = ctx, extraction, zone
        record_id = f"{extraction.extraction_id}:device"
        self.source = SourceRecord(ctx.system, ctx.force, record_id, 0, extraction.payload)
        self.owner_uid = source_uid("Person", self.source, "owner")
        # Accounts already tied to their number by an earlier record of this extraction: the link
        # is asserted once per extraction, not by each of an account's thousands of messages.
        self._numbered: set[str] = set()

    def device_bundle(self) -> Bundle:
        """The handset, its number and its owner (a Person known only as the user of the handset)."""
        ext = self.extraction
        b = BundleBuilder(self.source)
        owner = b.node("Person", self.owner_uid, {"aliases": [ext.owner_name] if ext.owner_name else []})
        phone = add_object(b, "Phone", ext.owner_phone) if ext.owner_phone else None
        device = add_object(b, "Device", ext.imei) if ext.imei else None
        if phone is not None:
            b.node("Phone", phone.uid, {"imsi": ext.imsi or None})
            b.edge("HAS_PHONE", owner, phone, {"usage": "MOBILE"})
        if device is not None:
            b.node("Device", device.uid, {"make": ext.make or None, "model": ext.model or None})
            b.edge("USES_DEVICE", owner, device)
            if phone is not None:
                b.edge("USES_DEVICE", phone, device)
        return b.bundle()

    def bundle(self, rec: Record) -> Bundle | Quarantined:
        """The bundle of one record, or why it cannot be loaded."""
        raw = json.dumps(rec.payload, ensure_ascii=False, default=str)
        try:
            when = event_time(rec.time, default_zone=self.zone, dayfirst=rec.dayfirst) if rec.time else None
        except TimeError as exc:
            return Quarantined(rec.file, rec.line, "time", str(exc), raw)
        b = BundleBuilder(SourceRecord(self.ctx.system, self.ctx.force, rec.record_id, rec.line, rec.payload))
        if rec.kind == "contact" and not self._contact(b, rec):
            return Quarantined(rec.file, rec.line, None, "a contact with no name, number or account", raw)
        if rec.kind == "chat":
            for party in rec.participants:
                self._party(b, party, rec.app)
        if rec.kind in ("call", "message"):
            self._event(b, rec, when)
        return b.bundle()

    def _party(self, b: BundleBuilder, party: Party, app: str, *, call: bool = False) -> Node | None:
        ident, code = party.identifier.strip(), platform(app)
        if not ident or code is not None:
            return self._account(b, code, ident) if ident and code else None
        if "@" in ident and not _JID.search(ident):
            return None if call else add_object(b, "Email", ident)  # CALLED runs from phones and accounts
        return add_object(b, "Phone", ident)

    def _account(self, b: BundleBuilder, code: str, ident: str) -> Node:
        handle = account_handle(ident)
        props = {"platform": code, "handle": handle, "raw_values": [ident]}
        account = b.node("Account", value_uid("Account", f"{code}:{handle}"), props)
        # A handle that is a phone number (a WhatsApp JID, a Signal number) is registered to that
        # number: the account meets the Phone that custody, call data or a contact list recorded.
        numbered = handle.startswith("+") and account.uid not in self._numbered
        if numbered and (phone := add_object(b, "Phone", handle)) is not None:
            b.edge("HAS_PHONE", account, phone)
            self._numbered.add(account.uid)
        return account

    def _owner(self, b: BundleBuilder, rec: Record, call: bool) -> Node | None:
        for party in (*rec.parties, *rec.participants):
            if party.is_owner:
                return self._party(b, party, rec.app, call=call)
        if platform(rec.app) is None and self.extraction.owner_phone:
            return add_object(b, "Phone", self.extraction.owner_phone)
        return None

    def _event(self, b: BundleBuilder, rec: Record, when: dt.datetime | None) -> None:
        call = rec.kind == "call"
        senders = {p.identifier for p in rec.parties if p.role == "FROM"}
        owner_ids = {p.identifier for p in (*rec.parties, *rec.participants) if p.is_owner}
        way = direction(rec.direction)
        if way is None and senders and owner_ids:  # a chat message says who wrote it, not which way it went
            way = "OUTGOING" if senders & owner_ids else "INCOMING"
        ends: dict[str, list[Node]] = {"FROM": [], "TO": []}
        for party in rec.parties:  # a party with no role is the other end of a call or message
            role = party.role or _OTHER_END.get(way or "", "")
            if role and (node := self._party(b, party, rec.app, call=call)) is not None:
                ends[role].append(node)
        if not call and not ends["TO"] and rec.participants:  # into a chat: its other members get it
            sent_by = senders | (owner_ids if way == "OUTGOING" else set())
            others = (self._party(b, p, rec.app) for p in rec.participants if p.identifier not in sent_by)
            ends["TO"] = [n for n in others if n is not None]
        owner_side = _OWNER_END.get(way or "")
        if owner_side and not ends[owner_side] and (owner := self._owner(b, rec, call)) is not None:
            ends[owner_side].append(owner)
        if call:
            seconds = duration_seconds(rec.duration)
            props: dict[str, Any] = {
                "call_type": "VIDEO" if rec.video else "VOICE", "direction": way or "UNKNOWN",
                "duration_seconds": seconds, "occurred_from": when,
                "occurred_to": when + dt.timedelta(seconds=seconds or 0) if when else None,
            }  # fmt: skip
            event = b.node("Call", source_uid("Call", b.source), props)
        else:
            props = {
                "message_type": rec.message_type or "SMS", "app": rec.app or None, "body": rec.body or None,
                "thread_id": rec.thread_id or None, "deleted": rec.deleted,
                "attachments": list(rec.attachments), "occurred_from": when, "occurred_to": when,
            }  # fmt: skip
            event = b.node("Message", source_uid("Message", b.source), props)
        for side, nodes in ends.items():
            rel, role = (_CALL_LINKS if call else _MESSAGE_LINKS)[side]
            for node in nodes:
                b.edge(rel, node, event, {"role": role} if role else None)

    def _contact(self, b: BundleBuilder, rec: Record) -> bool:
        name = " ".join(rec.name.split())
        person = b.node("Person", source_uid("Person", b.source), {"aliases": [name] if name else []})
        linked = False
        for kind, category, value in rec.entries:
            if kind == "phone" and (phone := add_object(b, "Phone", value)) is not None:
                usage = _USAGE.get(fold(category), "OTHER" if category else None)
                b.edge("HAS_PHONE", person, phone, {"usage": usage, "saved_as": name or None})
            elif kind == "email" and (email := add_object(b, "Email", value)) is not None:
                b.edge("HAS_EMAIL", person, email)
            elif kind == "account" and (code := platform(category or rec.app)) is not None:
                b.edge("HAS_ACCOUNT", person, self._account(b, code, value))
            else:
                continue
            linked = True
        if not (name or linked):
            return False
        b.edge("KNOWS", b.node("Person", self.owner_uid, {}), person)
        return True

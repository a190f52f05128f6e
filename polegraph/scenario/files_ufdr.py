"""Cellebrite-style UFDR phone extractions: a ZIP whose ``report.xml`` is written as it goes.

The layout follows the public structure the UFDR loader reads (namespace
``http://pa.cellebrite.com/report/2.0``; ``project > decodedData > modelType > model``; parties with
Identifier, Name, Role and IsPhoneOwner). Model ids are UUIDs derived from the seed, so the file is
the same byte for byte on every run and the ground truth can name each record as the loader keys it
(``ufdr:<project id>:<model type>:<model id>``). Planted bad records: a call whose time cannot be
read and a contact with neither name nor number.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from polegraph.scenario.output import ExportFile, FileStats
from polegraph.scenario.population import Human
from polegraph.scenario.records import Planted
from polegraph.scenario.truth import Ledger, Mention, person_uid

NAMESPACE = "http://pa.cellebrite.com/report/2.0"
_ZIP_TIME = (2024, 9, 2, 9, 0, 0)


@dataclass(frozen=True, slots=True)
class Party:
    """One end of a call, message or chat as the handset recorded it."""

    identifier: str
    name: str = ""
    human: Human | None = None
    owner: bool = False


@dataclass(frozen=True, slots=True)
class Item:
    """A call, SMS or contact of the extraction (fields unused by a kind stay empty)."""

    kind: str  # Call, SMS, Contact
    time: dt.datetime | None
    direction: str = ""  # Outgoing, Incoming, Missed / Inbox, Sent
    party: Party | None = None
    duration: int = 0
    body: str = ""
    app: str = "Phone"


@dataclass(frozen=True, slots=True)
class Chat:
    """An app chat: its members and its messages (time, sender identifier, body)."""

    app: str
    chat_id: str
    members: tuple[Party, ...]
    messages: tuple[tuple[dt.datetime, str, str], ...]


@dataclass(frozen=True, slots=True)
class Extraction:
    """One handset's extraction: owner, device details, what was decoded."""

    label: str
    exhibit: str
    owner: Human
    phone: str
    imei: str
    imsi: str
    make: str
    model: str
    owner_name: str
    items: tuple[Item, ...]
    chats: tuple[Chat, ...]
    planted: Planted | None = None


def _field(name: str, value: str | None, kind: str = "String") -> str:
    if value is None:
        return f"<field name={quoteattr(name)} type={quoteattr(kind)} />"
    return f'<field name={quoteattr(name)} type="{kind}"><value type="{kind}">{escape(value)}</value></field>'


def _model(kind: str, model_id: str, body: str, *, deleted: bool = False) -> str:
    state = "Deleted" if deleted else "Intact"
    attributes = f'type="{kind}" id="{model_id}" deleted_state="{state}" decoding_confidence="High"'
    return f"<model {attributes}>{body}</model>"


def _nested(tag: str, kind: str, name: str, inner: str) -> str:
    return f'<{tag} type="{kind}" name="{name}">{inner}</{tag}>'


def _when(time: dt.datetime) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


class UfdrExport:
    """Writes one extraction as a UFDR, with the truth of each model."""

    def __init__(self, root: Path, seed: int, relpath: str, force: str, ledger: Ledger) -> None:
        self.seed = seed
        self.export = ExportFile(root, relpath, fmt="ufdr", force=force, system="UFDR", ledger=ledger)
        self.count = 0

    def _id(self, ext: Extraction, label: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"polegraph-scenario:{self.seed}:{ext.label}:{label}"))

    def write(self, ext: Extraction) -> FileStats:
        with zipfile.ZipFile(self.export.path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            info = zipfile.ZipInfo("report.xml", _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as out:
                for piece in self._report(ext):
                    out.write(piece.encode("utf-8"))
        return self.export.stats

    def _note(
        self,
        ext: Extraction,
        kind: str,
        model_id: str,
        humans: list[Mention],
        ids: list[tuple[str, str]],
        *,
        bad: str = "",
        text: str = "",
    ) -> None:
        self.count += 1
        record_id = f"ufdr:{self._id(ext, 'project')}:{kind}:{model_id}"
        self.export.note(
            self.count,
            "" if bad else record_id,
            mentions=humans,
            identifiers=ids,
            planted=ext.planted,
            quarantined=bad,
            text=text,
        )

    def _report(self, ext: Extraction) -> Iterator[str]:
        project = self._id(ext, "project")
        yield '<?xml version="1.0" encoding="utf-8"?>\n'
        yield (
            f'<project id="{project}" name={quoteattr(ext.exhibit)} reportVersion="7.60.0.0" '
            f'extractionType="AdvancedLogical" xmlns="{NAMESPACE}">\n<metadata section="Device Info">'
        )
        for name, value in (
            ("DeviceInfoSelectedManufacturer", ext.make),
            ("DeviceInfoDetectedModel", ext.model),
            ("MSISDN", ext.phone),
            ("IMEI", ext.imei),
            ("IMSI", ext.imsi),
            ("Owner Name", ext.owner_name),
        ):
            yield f'<item name="{name}" sourceExtraction="0">{escape(value)}</item>'
        yield "</metadata>\n<decodedData>\n"
        # The handset itself is the loader's first record (the owner, the number, the IMEI).
        owner_uid = person_uid(self.export.force, "UFDR", f"ufdr:{project}:device", "owner")
        self.export.note(
            0,
            f"ufdr:{project}:device",
            mentions=[Mention(ext.owner.person_id, owner_uid, "OWNER")],
            identifiers=[("phone", ext.phone), ("imei", ext.imei)],
            planted=ext.planted,
        )
        for kind in ("Call", "SMS", "Contact"):
            models = [self._item(ext, n, item) for n, item in enumerate(ext.items) if item.kind == kind]
            if kind == "Call":
                models.append(self._bad_call(ext))
            if kind == "Contact":
                models.append(self._bad_contact(ext))
            yield f'<modelType type="{kind}">' + "".join(models) + "</modelType>\n"
        yield '<modelType type="Chat">'
        for c, chat in enumerate(ext.chats):
            yield from self._chat(ext, c, chat)
        yield "</modelType>\n</decodedData>\n</project>\n"

    def _party(self, ext: Extraction, label: str, p: Party, role: str = "") -> str:
        fields = (
            _field("Identifier", p.identifier) + _field("Role", role or None) + _field("Name", p.name or None)
        )
        fields += _field("IsPhoneOwner", "True" if p.owner else "False", "Boolean")
        return f'<model type="Party" id="{self._id(ext, label)}">{fields}</model>'

    def _item(self, ext: Extraction, n: int, item: Item) -> str:
        model_id = self._id(ext, f"item{n}")
        p = item.party
        assert p is not None
        humans = [Mention(p.human.person_id, None, "PARTY")] if p.human else []
        ids = [("phone", p.identifier)] if p.identifier.startswith("+") else []
        if item.kind == "Contact":
            uid = person_uid(self.export.force, "UFDR", f"ufdr:{self._id(ext, 'project')}:Contact:{model_id}")
            humans = [Mention(p.human.person_id, uid, "CONTACT", ("saved_as",))] if p.human else []
            # Numbers are saved the way the owner typed them; call logs hold the network's E.164.
            typed = (
                f"0{p.identifier[3:7]} {p.identifier[7:]}" if p.identifier.startswith("+44") else p.identifier
            )
            entry = (
                f'<model type="PhoneNumber" id="{self._id(ext, f"item{n}-entry")}">'
                f"{_field('Category', 'Mobile')}{_field('Value', typed)}</model>"
            )
            body = _field("Source", "Phone") + _field("Name", p.name)
            body += f'<multiModelField type="ContactEntry" name="Entries">{entry}</multiModelField>'
        else:
            assert item.time is not None
            role = ("To" if item.direction in ("Outgoing", "Sent") else "From") if item.kind == "Call" else ""
            body = _field("Source", item.app) + _field("TimeStamp", _when(item.time), "TimeStamp")
            if item.kind == "Call":
                body += _field("Type", item.direction) + _field(
                    "Duration", f"00:{item.duration // 60:02d}:{item.duration % 60:02d}"
                )
            else:
                body += _field("Folder", item.direction) + _field("Body", item.body)
            body += _nested("multiModelField", "Party", "Parties", self._party(ext, f"item{n}-p", p, role))
        self._note(ext, item.kind, model_id, humans, ids, text=item.body)
        return _model(item.kind, model_id, body)

    def _bad_call(self, ext: Extraction) -> str:
        model_id = self._id(ext, "bad-call")
        self._note(ext, "Call", model_id, [], [], bad="the call's time cannot be read")
        body = (
            _field("Source", "Phone") + _field("Type", "Outgoing") + _field("TimeStamp", "sometime last week")
        )
        return _model("Call", model_id, body, deleted=True)

    def _bad_contact(self, ext: Extraction) -> str:
        model_id = self._id(ext, "bad-contact")
        self._note(ext, "Contact", model_id, [], [], bad="a contact with no name, number or account")
        return _model("Contact", model_id, _field("Source", "Phone"), deleted=True)

    def _chat(self, ext: Extraction, c: int, chat: Chat) -> Iterator[str]:
        chat_model = self._id(ext, f"chat{c}")
        yield f'<model type="Chat" id="{chat_model}" deleted_state="Intact" decoding_confidence="High">'
        yield _field("Source", chat.app) + _field("Id", chat.chat_id) + _field("Name", None)
        members = "".join(self._party(ext, f"chat{c}-m{m}", p) for m, p in enumerate(chat.members))
        yield f'<multiModelField type="Party" name="Participants">{members}</multiModelField>'
        yield '<multiModelField type="InstantMessage" name="Messages">'
        by_id = {p.identifier: p for p in chat.members}
        everyone = [Mention(p.human.person_id, None, "MEMBER") for p in chat.members if p.human]
        for m, (time, sender, body) in enumerate(chat.messages):
            model_id = self._id(ext, f"chat{c}-msg{m}")
            who = by_id[sender]
            fields = (
                _field("Source", chat.app)
                + _field("TimeStamp", _when(time), "TimeStamp")
                + _field("Body", body)
            )
            fields += _nested("modelField", "Party", "From", self._party(ext, f"chat{c}-msg{m}-from", who))
            self._note(ext, "InstantMessage", model_id, everyone, [], text=body)
            yield _model("InstantMessage", model_id, fields)
        yield "</multiModelField></model>"
        # The chat itself completes after its messages: the loader yields it last.
        self._note(ext, "Chat", chat_model, everyone, [])

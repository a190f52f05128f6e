"""Cellebrite UFDR: a ZIP whose ``report.xml`` lists what was decoded from a handset.

``report.xml`` (namespace ``http://pa.cellebrite.com/report/2.0``) holds ``project > decodedData >
modelType > model``; a model's children are ``field``/``multiField`` (values) and
``modelField``/``multiModelField`` (nested models: a call's Parties, a chat's Messages). Reports
reach gigabytes, so the XML is streamed out of the ZIP with ``iterparse`` and every model is
dropped from the tree once read: memory holds one model (one message of a chat, not the chat), never
the report. Calls, SMS/MMS, chats, instant messages and contacts are loaded (see ``ufdr_models``);
other models (locations, web history, files...) are not this loader's business and are passed over.

A file that is not a UFDR, a damaged or truncated ZIP, a ZIP without ``report.xml`` and XML that
breaks mid-stream each stop the load with one FormatError naming the file (and line and column);
a model that cannot be read goes to quarantine with its element number and id.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree as ET

from polegraph.loaders.base import LoaderOptions, register
from polegraph.loaders.csvio import FormatError
from polegraph.loaders.records import Bundle, LoadContext, Quarantined
from polegraph.loaders.ufdr_models import Extraction, ExtractionGraph, Party, Record, option_zone

NAMESPACE = "http://pa.cellebrite.com/report/2.0"
# What a damaged archive raises while it is read (zipfile does not wrap its codecs' errors).
_ARCHIVE_ERRORS = (
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, lzma.LZMAError, EOFError, OSError,
    NotImplementedError, RuntimeError, ValueError,
)  # fmt: skip
_MAX_DEPTH = 12  # models nest a few levels (chat > message > party); deeper is not a report
_ROLES = {"FROM": "FROM", "TO": "TO", "CC": "TO", "BCC": "TO"}
_DEVICE_ITEMS = {
    "owner_phone": re.compile(r"msisdn|phone ?number|own ?number", re.IGNORECASE),
    "imei": re.compile(r"imei", re.IGNORECASE),
    "imsi": re.compile(r"imsi", re.IGNORECASE),
    "make": re.compile(r"manufacturer|vendor", re.IGNORECASE),
    "model": re.compile(r"model", re.IGNORECASE),
    "owner_name": re.compile(r"owner ?name", re.IGNORECASE),
}


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


@dataclass(frozen=True, slots=True)
class Model:
    """One ``model`` element as plain data: its field values and nested models by name."""

    type: str
    id: str
    attrs: dict[str, str]
    fields: dict[str, list[str]]
    models: dict[str, list[Model]]

    def field(self, name: str) -> str:
        """The first value of a field, stripped ("" when absent)."""
        values = self.fields.get(name) or [""]
        return values[0].strip()

    def payload(self) -> dict[str, Any]:
        """The model as received, for the source record."""
        fields = {k: v[0] if len(v) == 1 else v for k, v in self.fields.items()}
        nested = {k: [m.payload() for m in ms] for k, ms in self.models.items()}
        return {"model": self.type, "attributes": self.attrs, "fields": fields, **nested}


def read_model(elem: ET.Element, skip: str = "", depth: int = 0) -> Model:
    """Read a ``model`` element (and its nested models, except the field named ``skip``)."""
    fields: dict[str, list[str]] = {}
    models: dict[str, list[Model]] = {}
    for child in elem:
        kind, name = _local(child.tag), child.get("name", "")
        if kind in ("field", "multiField"):
            fields[name] = [v.text or "" for v in child if _local(v.tag) == "value"]
        elif kind in ("modelField", "multiModelField") and name != skip and depth < _MAX_DEPTH:
            models[name] = [read_model(m, depth=depth + 1) for m in child if _local(m.tag) == "model"]
    return Model(elem.get("type", ""), elem.get("id", ""), dict(elem.attrib), fields, models)


def _parties(models: list[Model], role: str = "") -> tuple[Party, ...]:
    return tuple(
        Party(
            m.field("Identifier"),
            m.field("Name"),
            role or _ROLES.get(m.field("Role").upper(), ""),
            m.field("IsPhoneOwner").lower() == "true",
        )
        for m in models
    )


def _open_report(path: Path, stack: ExitStack) -> tuple[IO[bytes], str]:
    """The report's XML as a stream, and how to name it in messages."""
    if not path.is_file():
        raise FormatError(f"{path} does not exist or is not a file")
    with path.open("rb") as handle:
        head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):  # a report.xml already taken out of its UFDR
        return stack.enter_context(path.open("rb")), str(path)
    if not head.startswith(b"PK"):
        raise FormatError(
            f"{path} is not a UFDR (not a ZIP archive)", hint="a UFDR is the ZIP Cellebrite writes"
        )
    try:
        archive = stack.enter_context(zipfile.ZipFile(path))
        # A damaged central directory can give a member an empty name: not a file to look at.
        names = [i.filename for i in archive.infolist() if i.filename and not i.filename.endswith("/")]
        reports = [n for n in names if n.replace("\\", "/").rsplit("/", 1)[-1].lower() == "report.xml"]
        if not reports:
            shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
            raise FormatError(f"{path} has no report.xml", hint=f"the archive holds: {shown or 'nothing'}")
        name = min(reports, key=lambda n: n.count("/"))
        return stack.enter_context(archive.open(name)), f"{path}!{name}"
    except _ARCHIVE_ERRORS as exc:
        raise FormatError(f"{path} is a damaged or truncated ZIP archive: {exc}") from None


def _events(stream: IO[bytes], label: str) -> Iterator[tuple[str, ET.Element]]:
    # Python's expat (2.4+) refuses entity-expansion bombs and ElementTree never fetches external
    # entities, so a hostile report cannot reach out or blow up memory.
    events = ET.iterparse(stream, events=("start", "end"))  # noqa: S314
    while True:
        try:
            event, elem = next(events)
        except StopIteration:
            return
        except ET.ParseError as exc:
            line, column = exc.position
            raise FormatError(f"{label}: malformed XML at line {line}, column {column}: {exc}") from None
        except _ARCHIVE_ERRORS as exc:
            raise FormatError(f"{label}: the archive is damaged or truncated: {exc}") from None
        yield event, elem


class _Report:
    """Walks one report: device information first, then each model as it completes."""

    def __init__(self, path: Path, label: str, ctx: LoadContext, options: LoaderOptions) -> None:
        self.path, self.label, self.ctx = path, label, ctx
        self.zone = option_zone(options)
        self.project: dict[str, str] = {}
        self.metadata: dict[str, dict[str, str]] = {}
        self.extractions: list[dict[str, str]] = []
        self.graph: ExtractionGraph | None = None
        self.count = 0
        self.chat: tuple[ET.Element, int, Model] | None = None

    def records(self, stream: IO[bytes]) -> Iterator[Bundle | Quarantined]:
        stack: list[ET.Element] = []
        for event, elem in _events(stream, self.label):
            if event == "start":
                if not stack:
                    if _local(elem.tag) != "project":
                        raise FormatError(
                            f"{self.label}: the root is <{_local(elem.tag)}>, not a Cellebrite <project>"
                        )
                    self.project = dict(elem.attrib)
                stack.append(elem)
                continue
            stack.pop()
            if stack:
                yield from self._end(elem, stack)
        if self.graph is None:  # a report with no decoded data still names its handset
            yield self._start()

    def _end(self, elem: ET.Element, stack: list[ET.Element]) -> Iterator[Bundle | Quarantined]:
        parent = stack[-1]
        tag, parent_tag = _local(elem.tag), _local(parent.tag)
        if tag == "model" and parent_tag == "modelType":
            yield from self._model(read_model(elem))
            parent.remove(elem)
        elif (
            tag == "model" and parent_tag == "multiModelField" and parent.get("name") == "Messages"
            and len(stack) == 5 and stack[-2].get("type") == "Chat"
        ):  # fmt: skip
            yield from self._model(read_model(elem), self._chat(stack[-2]))
            parent.remove(elem)  # a chat of a million messages is never held whole
        elif len(stack) <= 2 and parent_tag != "metadata":
            if tag == "metadata":
                items = {i.get("name", ""): (i.text or "").strip() for i in elem if _local(i.tag) == "item"}
                self.metadata.setdefault(elem.get("section", ""), {}).update(items)
            elif tag == "extractionInfo":
                self.extractions.append(dict(elem.attrib))
            parent.remove(elem)  # tagged files and other sections: read past, never held

    def _chat(self, elem: ET.Element) -> Model:
        # The chat's own fields and participants, read once (again if more arrive after messages).
        if self.chat is None or self.chat[0] is not elem or self.chat[1] != len(elem):
            self.chat = (elem, len(elem), read_model(elem, skip="Messages"))
        return self.chat[2]

    def _start(self) -> Bundle:
        items = {
            name: value for section in self.metadata.values() for name, value in section.items() if value
        }
        device = {
            key: next((v for name, v in items.items() if pattern.search(name)), "")
            for key, pattern in _DEVICE_ITEMS.items()
        }
        ext_id = self.project.get("id") or device["imei"] or device["owner_phone"] or self.path.stem
        payload = {"project": self.project, "metadata": self.metadata, "extractions": self.extractions}
        self.graph = ExtractionGraph(self.ctx, Extraction(f"ufdr:{ext_id}", payload, **device), self.zone)
        return self.graph.device_bundle()

    def _model(self, model: Model, chat: Model | None = None) -> Iterator[Bundle | Quarantined]:
        if self.graph is None:
            yield self._start()
        assert self.graph is not None
        self.count += 1
        record = self._record(model, chat, self.graph.extraction.extraction_id)
        if record is not None:
            yield self.graph.bundle(record)

    def _record(self, model: Model, chat: Model | None, ext_id: str) -> Record | None:
        payload = model.payload()
        if chat is not None:
            payload["chat_id"] = chat.field("Id") or chat.id
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:20]
        common: dict[str, Any] = {
            "record_id": f"{ext_id}:{model.type}:{model.id or digest}",
            "file": self.label,
            "line": self.count,
            "payload": payload,
            "app": model.field("Source") or (chat.field("Source") if chat else ""),
            "deleted": model.attrs.get("deleted_state", "").lower() == "deleted",
        }
        time = model.field("TimeStamp") or model.field("StartTime") or model.field("DateSent")
        if model.type == "Call":
            return Record(
                "call",
                **common,
                time=time,
                direction=model.field("Type") or model.field("Direction"),
                parties=_parties(model.models.get("Parties", [])),
                duration=model.field("Duration"),
                video=model.field("VideoCall").lower() == "true",
            )
        if model.type in ("SMS", "MMS"):
            way = model.field("Folder") or model.field("Type") or model.field("Status")
            return Record(
                "message",
                **common,
                time=time,
                direction=way,
                message_type=model.type,
                parties=_parties(model.models.get("Parties", [])),
                body=model.field("Body"),
            )
        if model.type == "InstantMessage":
            parties = (
                *_parties(model.models.get("From", []), "FROM"),
                *_parties(model.models.get("To", []), "TO"),
                *_parties(model.models.get("Parties", [])),
            )
            files = [a.field("Filename") or a.field("URL") for a in model.models.get("Attachments", [])]
            return Record(
                "message",
                **common,
                time=time,
                direction=model.field("Type") or model.field("Direction"),
                parties=parties,
                message_type="CHAT",
                body=model.field("Body"),
                participants=_parties(chat.models.get("Participants", [])) if chat else (),
                thread_id=payload.get("chat_id") or model.field("ChatId"),
                attachments=tuple(f for f in files if f),
            )
        if model.type == "Chat":
            return Record(
                "chat",
                **common,
                participants=_parties(model.models.get("Participants", [])),
                thread_id=model.field("Id") or model.id,
            )
        if model.type == "Contact":
            kinds = {"PhoneNumber": "phone", "EmailAddress": "email", "UserID": "account"}
            entries = tuple(
                (kinds[m.type], m.field("Category") or m.field("Domain"), m.field("Value"))
                for m in model.models.get("Entries", [])
                if m.type in kinds and m.field("Value")
            )
            return Record("contact", **common, name=model.field("Name"), entries=entries)
        return None


@register("ufdr", "Cellebrite UFDR phone extraction (report.xml streamed from the ZIP)", "UFDR")
def read(path: Path, ctx: LoadContext, options: LoaderOptions) -> Iterator[Bundle | Quarantined]:
    """Stream the bundles of one UFDR (see the module docstring)."""
    with ExitStack() as stack:
        stream, label = _open_report(path, stack)
        yield from _Report(path, label, ctx, options).records(stream)

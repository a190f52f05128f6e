"""MSAB XRY text exports: one file per category, each a run of ``Key: Value`` blocks.

A folder holds ``General Information.txt`` (the handset: IMEI, MSISDN...), ``Calls.txt``,
``Messages.txt``, ``Contacts.txt`` and others; a single file can be loaded too, its category read
from its name. A block starts with a title line (``#12``) and ends at a blank line; ``From``,
``To`` and ``Participant`` lines alone open a namespace for the ``Tel``/``Name`` keys after them;
lines that are not a key continue the text before them. Exports are UTF-16 with a byte-order mark,
or UTF-8/Windows-1252, with either line ending.

Dates are read day-first unless a file shows month-first dates (a 13th month day somewhere, e.g.
``1/30/2020 1:23:54 PM UTC+4``); the ``dayfirst`` loader option decides files that show neither.
An SMS sent in segments arrives as one block per segment carrying ``Reference Number``,
``Segment Number`` and ``Segments``: the segments are joined in order into one message (a message
whose segments did not all survive is loaded with those that did, and the payload lists the
missing ones). Categories this loader does not read (web history, pictures...) are quarantined
once per file, so the load report shows what was left out.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polegraph.loaders.base import LoaderOptions, register
from polegraph.loaders.csvio import FormatError, sniff_binary
from polegraph.loaders.records import Bundle, LoadContext, Quarantined
from polegraph.loaders.ufdr_models import Extraction, ExtractionGraph, Party, Record, option_zone

_CATEGORIES = (
    ("device", ("device", "general", "summary", "case")),
    ("calls", ("call",)),
    ("messages", ("message", "sms", "mms", "text", "chat")),
    ("contacts", ("contact", "phonebook", "addressbook")),
)
_PAIR = re.compile(r"([^:\t]{1,60}?)[ \t]*:[ \t]*(.*)")
_NAMESPACES = {"from": "FROM", "to": "TO", "participant": "PARTICIPANT", "participants": "PARTICIPANT"}
_TITLE = re.compile(r"(?:[\w -]{0,40}\s)?#\s*\d+")
_TEXT_KEYS = frozenset({"text", "message", "body", "note", "notes"})
# Keys that end a multi-line text; any other "word:" inside a text is part of the text.
_KNOWN_KEYS = _TEXT_KEYS | frozenset(
    {"type", "folder", "status", "time", "date", "duration", "tel", "number", "name", "name (matched)",
     "from", "to", "direction", "deleted", "storage", "index", "reference number", "segment number",
     "segments", "service center", "application", "related application", "source", "video", "subject",
     "first name", "last name", "mobile", "home", "work", "phone", "telephone", "email", "e-mail",
     "group", "account", "user id"}
)  # fmt: skip
_PARTY_KEYS = frozenset({"tel", "number", "phone number", "name", "name (matched)"})
_NUMBER_KEYS = {"tel": "", "number": "", "phone number": "", "from": "FROM", "to": "TO"}
_CONTACT_PHONES = frozenset({"tel", "mobile", "home", "work", "phone", "telephone", "number", "fax"})
_SLASHED_DATE = re.compile(r"(?<![\d/.])(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})(?![\d/.])")
_DEVICE_KEYS = {
    "owner_phone": ("msisdn", "phone number", "own number"),
    "imei": ("imei", "imei/meid", "imei/esn"),
    "imsi": ("imsi", "subscriber id (imsi)"),
    "make": ("manufacturer", "make"),
    "model": ("model", "device model"),
    "owner_name": ("owner", "owner name"),
}


def category(path: Path) -> str | None:
    """The category of an export file from its name (``Messages-SMS.txt`` → ``messages``)."""
    stem = re.sub(r"[^a-z]", "", path.stem.lower())
    return next((name for name, prefixes in _CATEGORIES if stem.startswith(prefixes)), None)


def _utf16(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _lines(path: Path) -> Iterator[str]:
    if _utf16(path):
        with path.open("rb") as handle, io.TextIOWrapper(handle, encoding="utf-16", errors="replace") as text:
            yield from (line.rstrip("\r\n") for line in text)
        return
    sniff_binary(path, "an XRY text export")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle):
            raw = raw[3:] if number == 0 and raw.startswith(codecs.BOM_UTF8) else raw
            try:
                yield raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:  # Windows-1252 bytes from older exports: keep the characters
                yield raw.decode("cp1252", errors="replace").rstrip("\r\n")


@dataclass
class Entry:
    """One block: its title, its (namespace, key, value) pairs and its lines as received."""

    line: int
    title: str = ""
    pairs: list[tuple[str, str, str]] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)

    def get(self, *keys: str) -> str:
        """The first non-empty value of any of ``keys``, stripped."""
        return next((v.strip() for _, k, v in self.pairs if k in keys and v.strip()), "")

    def payload(self) -> dict[str, Any]:
        """The block as received: values by key (``from.tel`` inside a namespace), repeats as lists."""
        out: dict[str, Any] = {"title": self.title} if self.title else {}
        for ns, key, value in self.pairs:
            if key == "-":
                continue
            name = f"{ns.lower()}.{key}" if ns != "-" else key
            previous = out.get(name)
            out[name] = (
                value
                if previous is None
                else [*(previous if isinstance(previous, list) else [previous]), value]
            )
        return out

    @property
    def in_text(self) -> bool:
        return bool(self.pairs) and self.pairs[-1][1] in _TEXT_KEYS


def entries(path: Path) -> Iterator[Entry]:
    """The blocks of a file. A blank line inside a message's text does not end it: what follows is
    the text's next paragraph unless it opens a block (a title like ``#12`` or a known key)."""
    current: Entry | None = None
    gap = False
    for number, line in enumerate(_lines(path), 1):
        if not line.strip():
            gap = current is not None
            continue
        if current is not None and gap and not (current.in_text and not _opens_block(line)):
            if current.pairs:
                yield current
            current = None
        if current is None:
            current = Entry(number)
        elif gap:  # a paragraph break inside a text
            ns, key, value = current.pairs[-1]
            current.pairs[-1] = (ns, key, value + "\n")
        gap = False
        current.raw.append(line)
        _add_line(current, line)
    if current is not None and current.pairs:
        yield current


def _opens_block(line: str) -> bool:
    match = _PAIR.fullmatch(line.strip())
    return bool(_TITLE.fullmatch(line.strip())) or (
        match is not None and " ".join(match[1].lower().split()) in _KNOWN_KEYS
    )


def _add_line(entry: Entry, line: str) -> None:
    stripped = line.strip()
    namespace = _NAMESPACES.get(stripped.lower())
    match = _PAIR.fullmatch(line.lstrip())  # a segment's text may end in the space before the next
    key = " ".join(match[1].lower().split()) if match else ""
    if namespace is not None and not entry.in_text:
        entry.pairs.append((namespace, "-", ""))  # marks where the namespace opens
    elif match and (key in _KNOWN_KEYS or not entry.in_text):
        # A namespace holds for the party keys right after it (Tel, Name), not for the rest.
        last = entry.pairs[-1] if entry.pairs else ("-", "", "")
        ns = last[0] if key in _PARTY_KEYS and (last[1] == "-" or last[1] in _PARTY_KEYS) else "-"
        entry.pairs.append((ns, key, match[2] if key in _TEXT_KEYS else match[2].strip()))
    elif entry.pairs:  # a text that runs over lines
        ns, key, value = entry.pairs[-1]
        entry.pairs[-1] = (ns, key, f"{value}\n{line}")
    elif not entry.title:
        entry.title = stripped


def _dayfirst(path: Path, default: bool) -> bool:
    """Whether a file writes its dates day-first: a day over 12 settles it either way."""
    for line in _lines(path):
        for first, second, _ in _SLASHED_DATE.findall(line):
            if int(first) > 12:
                return True
            if int(second) > 12:
                return False
    return default


def _parties(entry: Entry) -> tuple[Party, ...]:
    parties: list[Party] = []
    for ns, key, value in entry.pairs:
        if key in _NUMBER_KEYS and value.strip():
            role = _NUMBER_KEYS[key] or {"FROM": "FROM", "TO": "TO"}.get(ns, "")
            parties.append(Party(value.strip(), role=role))
        elif key in ("name", "name (matched)") and parties and not parties[-1].name:
            parties[-1] = Party(parties[-1].identifier, value.strip(), parties[-1].role)
    return tuple(parties)


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 6 else None


def _digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogatepass")).hexdigest()[:20]


def _contact_entries(entry: Entry, app: str) -> tuple[tuple[str, str, str], ...]:
    found: list[tuple[str, str, str]] = []
    for _, key, value in entry.pairs:
        if key in _CONTACT_PHONES and value.strip():
            found.append(
                ("phone", "" if key in ("tel", "number", "phone", "telephone") else key, value.strip())
            )
        elif key in ("email", "e-mail") and value.strip():
            found.append(("email", "", value.strip()))
        elif key in ("account", "user id") and value.strip():
            found.append(("account", app, value.strip()))
    return tuple(found)


def _record(kind: str, rid: str, path: Path, parts: list[tuple[int, Entry]], dayfirst: bool) -> Record:
    """One record from one block, or from the segments of one SMS in segment order."""
    first = parts[0][1]
    payload: dict[str, Any] = first.payload()
    if first.get("reference number"):
        total = _int(first.get("segments")) or max(n for n, _ in parts)
        present = {n for n, _ in parts}
        payload = {
            "segments": [e.payload() for _, e in parts],
            "missing_segments": [n for n in range(1, total + 1) if n not in present],
        }
    flags = f"{first.get('storage')} {first.get('status')}".lower()
    app = first.get("application", "related application", "source", "app")
    common: dict[str, Any] = {
        "record_id": rid, "file": str(path), "line": first.line, "payload": payload, "dayfirst": dayfirst,
        "app": app, "time": first.get("time", "date"),
        "deleted": first.get("deleted").lower() in ("yes", "true", "deleted") or "deleted" in flags,
    }  # fmt: skip
    way = first.get("type", "folder", "direction", "status")
    if kind == "calls":
        video = "video" in way.lower() or first.get("video").lower() in ("yes", "true")
        duration = first.get("duration")
        return Record(
            "call", **common, direction=way, parties=_parties(first), duration=duration, video=video
        )
    if kind == "messages":
        body = "".join(next((v for _, k, v in e.pairs if k in _TEXT_KEYS), "") for _, e in parts)
        return Record(
            "message", **common, direction=way, parties=_parties(first), body=body, message_type="SMS"
        )
    name = first.get("name") or " ".join(filter(None, (first.get("first name"), first.get("last name"))))
    return Record("contact", **common, name=name, entries=_contact_entries(first, app))


class _Export:
    """Reads the files of one export into records, joining SMS segments."""

    def __init__(self, root: Path, ctx: LoadContext, options: LoaderOptions) -> None:
        self.root, self.ctx = root, ctx
        self.zone = option_zone(options)
        self.default_dayfirst = options.extra.get("dayfirst", "true").strip().lower() not in (
            "false",
            "no",
            "0",
        )
        self.files = sorted(root.glob("*.txt")) if root.is_dir() else [root]
        if not self.files:
            raise FormatError(f"{root} holds no .txt files: not an XRY text export")
        for path in self.files:  # a UFDR or a binary file given by mistake stops the load at once
            if not _utf16(path):
                sniff_binary(path, "an XRY text export")
        self.seen: dict[str, int] = {}
        fields: dict[str, str] = {}
        for path in (p for p in self.files if category(p) == "device"):
            for entry in entries(path):
                fields.update({key: value.strip() for _, key, value in entry.pairs if key != "-"})
        found = {
            name: next((fields[k] for k in keys if fields.get(k)), "") for name, keys in _DEVICE_KEYS.items()
        }
        # Without device information the folder's name is all that tells two exports apart.
        ident = (
            found["imei"] or found["owner_phone"] or (root if root.is_dir() else root.parent).resolve().name
        )
        self.graph = ExtractionGraph(ctx, Extraction(f"xry:{ident}", {"device": fields}, **found), self.zone)

    def read(self) -> Iterator[Bundle | Quarantined]:
        yield self.graph.device_bundle()
        for path in self.files:
            kind = category(path)
            if kind is None:
                reason = "not a category the XRY loader reads (calls, messages, contacts, device information)"
                yield Quarantined(str(path), 0, None, reason, path.name)
            elif kind != "device":
                yield from self._file(path, kind)

    def _file(self, path: Path, kind: str) -> Iterator[Bundle | Quarantined]:
        dayfirst = _dayfirst(path, self.default_dayfirst)
        prefix = f"{self.graph.extraction.extraction_id}:{kind}"
        pending: dict[tuple[str, ...], dict[int, Entry]] = {}

        def emit(parts: list[tuple[int, Entry]]) -> Bundle | Quarantined:
            rid = f"{prefix}:{_digest([line for _, e in parts for line in e.raw])}"
            return self.graph.bundle(_record(kind, rid, path, parts, dayfirst))

        for entry in entries(path):
            digest = _digest(entry.raw)
            if digest in self.seen:
                reason = f"exact duplicate of line {self.seen[digest]}"
                yield Quarantined(str(path), entry.line, None, reason, "\n".join(entry.raw))
                continue
            self.seen[digest] = entry.line
            ref, seg = _int(entry.get("reference number")), _int(entry.get("segment number"))
            if kind != "messages" or ref is None or seg is None:
                yield emit([(1, entry)])
                continue
            key = (str(ref), entry.get("segments"), *sorted(p.identifier for p in _parties(entry)))
            if seg in pending.get(key, {}):  # the reference number came round again: a new message
                yield emit(sorted(pending.pop(key).items()))
            group = pending.setdefault(key, {})
            group[seg] = entry
            total = _int(entry.get("segments"))
            if total is not None and len(group) >= total:
                yield emit(sorted(pending.pop(key).items()))
        for group in sorted(pending.values(), key=lambda g: min(e.line for e in g.values())):
            yield emit(sorted(group.items()))


@register("xry", "MSAB XRY text export (a folder of category files, or one file)", "XRY")
def read(path: Path, ctx: LoadContext, options: LoaderOptions) -> Iterator[Bundle | Quarantined]:
    """Stream the bundles of one XRY export (see the module docstring)."""
    if not path.exists():
        raise FormatError(f"{path} does not exist")
    yield from _Export(path, ctx, options).read()

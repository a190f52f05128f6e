"""XRY loader: a folder of category files, multipart SMS, date orders, encodings and wrong input."""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polegraph.loaders.csvio import FormatError
from polegraph.loaders.records import Bundle
from polegraph.loaders.xry import category, entries
from tests.loaders.test_cdr import FIXTURES, Item, bundles, edges, nodes, quarantined, read_items

EXPORT = FIXTURES / "xry" / "exhibit_DB1"
OWNER_PHONE, JADE_PHONE = "phone:+447700900456", "phone:+447700900123"
UTC = dt.UTC


def by_kind(items: list[Item]) -> dict[str, list[Bundle]]:
    found: dict[str, list[Bundle]] = {}
    for bundle in bundles(items):
        found.setdefault(bundle.source.record_id.split(":")[2], []).append(bundle)
    return found


def message(items: list[Item], start: str) -> Bundle:
    return next(
        b
        for b in bundles(items)
        if any(str(n.props.get("body", "")).startswith(start) for n in nodes(b, "Message"))
    )


def test_counts_per_category_and_what_was_left_out() -> None:
    items = read_items("xry", EXPORT)
    assert {kind: len(found) for kind, found in by_kind(items).items()} == {
        "device": 1, "calls": 3, "contacts": 3, "messages": 5,
    }  # fmt: skip
    left = sorted((Path(q.file).name, q.line, q.reason.split(" (")[0]) for q in quarantined(items))
    assert left == [
        ("Calls.txt", 20, "'3/26/2021 9:00:00 PM"),
        ("Contacts.txt", 19, "a contact with no name, number or account"),
        ("Messages-SMS.txt", 82, "exact duplicate of line 3"),
        ("Web History.txt", 0, "not a category the XRY loader reads"),
    ]


def test_device_information_from_a_utf16_file() -> None:
    (device,) = by_kind(read_items("xry", EXPORT))["device"]
    assert device.source.record_id == "xry:490154203237518:device"
    props = {n.label: n.props for n in device.nodes}
    assert (props["Device"]["imei"], props["Device"]["model"]) == ("490154203237518", "SM-A125F")
    assert (props["Phone"]["e164"], props["Phone"]["imsi"]) == ("+447700900456", "234159876543210")
    assert props["Person"] == {"aliases": ["Dan"]}


def test_segments_are_joined_in_order() -> None:
    items = read_items("xry", EXPORT)
    joined = message(items, "yeah come round")
    body = nodes(joined, "Message")[0].props["body"]
    assert body == "yeah come round about 8. use the back door, dont knock. bring your mate if u want"
    assert [e.start_uid for e in edges(joined, "SENT")] == [OWNER_PHONE]  # Sent folder: the owner wrote it
    assert [e.start_uid for e in edges(joined, "RECEIVED")] == [JADE_PHONE]
    segments = joined.source.payload["segments"]
    assert [s["segment number"] for s in segments] == ["1", "2", "3"]
    assert joined.source.payload["missing_segments"] == []
    assert joined.source.line == 25  # where segment 1 is


def test_a_message_missing_segments_loads_what_survived() -> None:
    partial = message(read_items("xry", EXPORT), "are u awake")
    assert partial.source.payload["missing_segments"] == [2]
    assert [e.start_uid for e in edges(partial, "SENT")] == ["phone:+447700900999"]


def test_text_over_lines_paragraphs_and_windows_1252() -> None:
    items = read_items("xry", EXPORT)
    long = nodes(message(items, "first line"), "Message")[0].props["body"]
    assert long == "first line\nremember: say nothing\n\nthird paragraph after a blank line"
    cafe = nodes(message(items, "meet at the"), "Message")[0].props
    assert (cafe["body"], cafe["deleted"]) == ("meet at the café at 5", True)


def test_month_first_files_are_recognised() -> None:
    calls = by_kind(read_items("xry", EXPORT))["calls"]
    times = sorted(nodes(b, "Call")[0].props["occurred_from"] for b in calls)
    assert times == [
        dt.datetime(2021, 3, 14, 18, 20, tzinfo=UTC),
        dt.datetime(2021, 3, 25, 11, 5, 12, tzinfo=UTC),
        dt.datetime(2021, 3, 27, 19, 0, tzinfo=UTC),  # 8 PM at UTC+1
    ]
    video = next(b for b in calls if nodes(b, "Call")[0].props["call_type"] == "VIDEO")
    assert [e.start_uid for e in edges(video, "CALLED")] == ["account:WHATSAPP:+447700900123"]


def test_the_device_clock_needs_a_zone_option() -> None:
    items = read_items("xry", EXPORT, timezone="Europe/London")
    assert len(by_kind(items)["calls"]) == 4
    missed = next(b for b in by_kind(items)["calls"] if b.source.line == 20)
    assert nodes(missed, "Call")[0].props["occurred_from"] == dt.datetime(2021, 3, 26, 21, 0, tzinfo=UTC)


def test_contacts_keep_the_saved_names() -> None:
    contacts = by_kind(read_items("xry", EXPORT))["contacts"]
    aliases = sorted(nodes(b, "Person")[0].props["aliases"][0] for b in contacts)
    assert aliases == ["Jade 💕", "Kuba W", "Snap Kuba"]
    jade = next(b for b in contacts if nodes(b, "Person")[0].props["aliases"] == ["Jade 💕"])
    assert [(e.end_uid, e.props["saved_as"]) for e in edges(jade, "HAS_PHONE")] == [(JADE_PHONE, "Jade 💕")]


def test_one_file_alone_and_empty_exports() -> None:
    items = read_items("xry", EXPORT / "Messages-SMS.txt")
    assert {kind: len(found) for kind, found in by_kind(items).items()} == {"device": 1, "messages": 5}
    assert by_kind(items)["device"][0].source.record_id == "xry:exhibit_DB1:device"
    empty = read_items("xry", FIXTURES / "xry" / "empty_export")
    assert [b.source.record_id for b in bundles(empty)] == ["xry:empty_export:device"]


def test_wrong_input(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"holds no \.txt files"):
        read_items("xry", tmp_path)
    with pytest.raises(FormatError, match="does not exist"):
        read_items("xry", tmp_path / "gone")
    with pytest.raises(FormatError, match="is a ZIP archive"):
        read_items("xry", FIXTURES / "ufdr" / "sample.ufdr")


def test_categories_from_file_names() -> None:
    names = {"Calls.txt": "calls", "Messages-SMS.txt": "messages", "Text Messages.txt": "messages",
             "Contacts-Phonebook.txt": "contacts", "Device-General Information.txt": "device",
             "Web History.txt": None}  # fmt: skip
    assert {name: category(Path(name)) for name in names} == names


def test_blocks_and_namespaces(tmp_path: Path) -> None:
    path = tmp_path / "Messages.txt"
    path.write_text(
        "Messages\n\n#1\nFrom\nTel:\t+44 7700 900123\nName:\tJade\nTo\nTel:\t07700900456\nText:\thi\n"
    )
    (entry,) = entries(path)
    assert entry.title == "#1"
    assert entry.payload() == {"title": "#1", "from.tel": "+44 7700 900123", "from.name": "Jade",
                               "to.tel": "07700900456", "text": "hi"}  # fmt: skip


_line = st.one_of(
    st.sampled_from(["", "#1", "From", "To", "Text:\thi", "Reference Number:\t7", "Segment Number:\t1",
                     "Segments:\t2", "Time:\t14/03/2021 10:00 UTC", "Tel:\t07700900123", "Type:\tSent"]),
    st.text(alphabet=st.characters(exclude_characters="\x00"), max_size=30),  # NUL: a binary file
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["Messages.txt", "Calls.txt", "Contacts.txt", "General Information.txt"]),
       st.lists(_line, max_size=30))  # fmt: skip
def test_random_exports_give_records_or_quarantine(name: str, lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
        read_items("xry", Path(tmp))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_give_format_errors_or_records(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "Messages.txt").write_bytes(data)
        with contextlib.suppress(FormatError):
            read_items("xry", Path(tmp))

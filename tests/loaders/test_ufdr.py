"""UFDR loader: the sample extraction, owner anchoring, contacts, wrong files, streaming in bounded memory."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import tempfile
import tracemalloc
import zipfile
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polegraph.loaders.base import LoaderOptions
from polegraph.loaders.csvio import FormatError
from polegraph.loaders.records import Bundle, LoadContext
from polegraph.loaders.ufdr import read as read_ufdr
from tests.loaders.test_cdr import CDR, FIXTURES, Item, bundles, edges, nodes, quarantined, read_items

SAMPLE = FIXTURES / "ufdr" / "sample.ufdr"
OWNER_PHONE, DAN_PHONE = "phone:+447700900123", "phone:+447700900456"


def _fixture_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_fixture", FIXTURES / "ufdr" / "make_fixture.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_fixture = _fixture_builder()


def by_model(items: list[Item]) -> dict[str, list[Bundle]]:
    found: dict[str, list[Bundle]] = {}
    for bundle in bundles(items):
        found.setdefault(bundle.source.record_id.split(":")[2], []).append(bundle)
    return found


def with_body(items: list[Item], text: str) -> Bundle:
    return next(b for b in bundles(items) if any(n.props.get("body") == text for n in nodes(b, "Message")))


def ends(bundle: Bundle) -> tuple[list[str], list[str]]:
    return [e.start_uid for e in edges(bundle, "SENT")], [e.start_uid for e in edges(bundle, "RECEIVED")]


def test_counts_per_model() -> None:
    items = read_items("ufdr", SAMPLE)
    counts = {model: len(found) for model, found in by_model(items).items()}
    assert counts == {"device": 1, "Call": 3, "SMS": 3, "InstantMessage": 9, "Chat": 3, "Contact": 3}
    reasons = sorted((q.line, q.reason) for q in quarantined(items))
    assert reasons == [
        (4, "no time of day in 'sometime last week'"),
        (23, "a contact with no name, number or account"),
    ]
    assert all(q.file.endswith("sample.ufdr!report.xml") for q in quarantined(items))
    labels = Counter(n.label for b in bundles(items) for n in b.nodes if n.label in ("Call", "Message"))
    assert labels == {"Call": 3, "Message": 12}


def test_the_device_anchors_the_extraction() -> None:
    (device,) = by_model(read_items("ufdr", SAMPLE))["device"]
    assert {n.uid: n.label for n in device.nodes} == {
        device.nodes[0].uid: "Person", OWNER_PHONE: "Phone", "device:356938035643809": "Device",
    }  # fmt: skip
    assert device.nodes[0].props == {"aliases": ["Jade"]}
    assert [(e.type, e.end_uid) for e in device.edges] == [
        ("HAS_PHONE", OWNER_PHONE), ("USES_DEVICE", "device:356938035643809"),
        ("USES_DEVICE", "device:356938035643809"),
    ]  # fmt: skip
    assert device.source.payload["metadata"]["Device Info"]["MSISDN"] == "+447700900123"


def test_calls_take_the_owner_where_the_report_leaves_it_out() -> None:
    calls = sorted(by_model(read_items("ufdr", SAMPLE))["Call"], key=lambda b: b.source.line)
    roles = [{e.props["role"]: e.start_uid for e in edges(b, "CALLED")} for b in calls]
    assert roles[0] == {"CALLER": OWNER_PHONE, "CALLEE": DAN_PHONE}
    assert roles[1] == {
        "CALLER": "phone:+447700900789",
        "CALLEE": OWNER_PHONE,
    }  # missed: only the caller given
    assert roles[2] == {
        "CALLER": "account:WHATSAPP:+447700900456"
    }  # the owner's WhatsApp account is not known
    video = nodes(calls[2], "Call")[0].props
    assert (video["call_type"], video["direction"], video["duration_seconds"]) == ("VIDEO", "INCOMING", 250)


def test_sms_sides_and_flags() -> None:
    items = read_items("ufdr", SAMPLE)
    assert ends(with_body(items, "where r u? come to the flat after school")) == ([DAN_PHONE], [OWNER_PHONE])
    assert ends(with_body(items, "ok")) == ([OWNER_PHONE], [DAN_PHONE])  # "07700 900456" in the report
    deleted = with_body(items, "delete these msgs")
    assert nodes(deleted, "Message")[0].props["deleted"] is True


def test_chats_in_two_languages_with_accounts() -> None:
    items = read_items("ufdr", SAMPLE)
    me, dan = "account:WHATSAPP:+447700900123", "account:WHATSAPP:+447700900456"
    assert ends(with_body(items, "u free tonight?")) == ([dan], [me])  # written by Dan: the owner got it
    assert ends(with_body(items, "ok x")) == ([me], [dan])
    photo = nodes(with_body(items, "just the lads. dont tell ur mum"), "Message")[0].props
    assert (photo["attachments"], photo["app"]) == (["IMG-20210316-WA0004.jpg"], "WhatsApp")
    polish = with_body(items, "Nie mów nikomu, że się spotykamy.")
    assert ends(polish) == (["account:SNAPCHAT:kuba_99"], ["account:SNAPCHAT:jade.x"])
    assert nodes(polish, "Message")[0].props["thread_id"] == "kuba_99"
    group = with_body(items, "Będę z kolegą")
    assert ends(group) == (["account:WHATSAPP:+447700900999"], [me, dan])  # everyone else in the group
    assert nodes(group, "Message")[0].props["message_type"] == "CHAT"


def test_a_numbered_account_is_registered_to_its_phone_once_per_extraction() -> None:
    items = read_items("ufdr", SAMPLE)
    registered = Counter(
        (e.start_uid, e.end_uid) for b in bundles(items) for e in edges(b, "HAS_PHONE")
        if e.start_uid.startswith("account:")
    )  # fmt: skip
    # WhatsApp handles are numbers: each meets the Phone other systems record, asserted once.
    assert registered == {
        ("account:WHATSAPP:+447700900123", OWNER_PHONE): 1,
        ("account:WHATSAPP:+447700900456", DAN_PHONE): 1,
        ("account:WHATSAPP:+447700900999", "phone:+447700900999"): 1,
    }
    # A username is not a number: the Snapchat accounts stay accounts only.
    assert not any("SNAPCHAT" in start for start, _ in registered)


def test_contacts_are_persons_as_saved_by_the_owner() -> None:
    items = read_items("ufdr", SAMPLE)
    contacts = {nodes(b, "Person")[0].props["aliases"][0]: b for b in by_model(items)["Contact"]}
    assert set(contacts) == {"Dan ❤️", "Uncle K", "Kuba"}
    (has_phone,) = edges(contacts["Dan ❤️"], "HAS_PHONE")
    assert (has_phone.end_uid, has_phone.props) == (DAN_PHONE, {"usage": "MOBILE", "saved_as": "Dan ❤️"})
    assert [e.end_uid for e in edges(contacts["Uncle K"], "HAS_EMAIL")] == ["email:k.uncle@example.com"]
    assert [e.end_uid for e in edges(contacts["Kuba"], "HAS_ACCOUNT")] == ["account:SNAPCHAT:kuba_99"]
    owner = by_model(items)["device"][0].nodes[0].uid
    assert all(edges(b, "KNOWS")[0].start_uid == owner for b in contacts.values())
    assert contacts["Uncle K"].source.payload["fields"]["Notes"] == ["gives lifts", "has a car"]


def test_the_owner_phone_is_the_cdr_target_node() -> None:
    cdr_phones = {n.uid for n in nodes(read_items("cdr", CDR), "Phone")}
    ufdr_phones = {n.uid for n in nodes(read_items("ufdr", SAMPLE), "Phone")}
    assert {OWNER_PHONE, DAN_PHONE} <= cdr_phones & ufdr_phones


def test_the_fixture_is_what_its_script_writes(tmp_path: Path) -> None:
    rebuilt = tmp_path / "sample.ufdr"
    make_fixture.write_ufdr(rebuilt, make_fixture.report(make_fixture.sample_decoded()))
    with zipfile.ZipFile(SAMPLE) as old, zipfile.ZipFile(rebuilt) as new:
        assert old.read("report.xml") == new.read("report.xml")
        assert old.namelist() == new.namelist()


def test_a_bare_report_xml_reads_the_same(tmp_path: Path) -> None:
    xml = tmp_path / "report.xml"
    with zipfile.ZipFile(SAMPLE) as archive:
        xml.write_bytes(archive.read("report.xml"))
    items = read_items("ufdr", xml)
    assert [b.source.key for b in bundles(items)] == [
        b.source.key for b in bundles(read_items("ufdr", SAMPLE))
    ]


def _zip(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "exhibit.ufdr"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_wrong_and_damaged_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"operator_a_447700900123\.csv is not a UFDR"):
        read_items("ufdr", CDR)
    truncated = tmp_path / "truncated.ufdr"
    truncated.write_bytes(SAMPLE.read_bytes()[: SAMPLE.stat().st_size // 2])
    with pytest.raises(FormatError, match=r"truncated\.ufdr is a damaged or truncated ZIP"):
        read_items("ufdr", truncated)
    with pytest.raises(FormatError, match=r"has no report\.xml") as caught:
        read_items("ufdr", _zip(tmp_path, {"files/a.jpg": b"x"}))
    assert "files/a.jpg" in str(caught.value)
    with pytest.raises(FormatError, match=r"the root is <html>, not a Cellebrite <project>"):
        read_items("ufdr", _zip(tmp_path, {"report.xml": b"<html><body/></html>"}))
    with pytest.raises(FormatError, match="does not exist"):
        read_items("ufdr", tmp_path / "nothing.ufdr")


def test_xml_broken_mid_stream_stops_with_its_line(tmp_path: Path) -> None:
    with zipfile.ZipFile(SAMPLE) as archive:
        xml = archive.read("report.xml").decode()
    cut = xml.index('<modelType type="Contact">')
    broken = _zip(tmp_path, {"report.xml": (xml[:cut] + "<model type='Contact'><field>").encode()})
    ctx = LoadContext("WYP", "UFDR", "test", str(broken))
    seen: list[Item] = []
    with pytest.raises(
        FormatError, match=r"exhibit\.ufdr!report\.xml: malformed XML at line \d+, column \d+"
    ):
        seen.extend(read_ufdr(broken, ctx, LoaderOptions()))
    assert len(bundles(seen)) == 1 + 3 + 3 + 9 + 3  # what came before the break was read


def test_a_damaged_member_is_a_format_error(tmp_path: Path) -> None:
    data = bytearray(SAMPLE.read_bytes())
    start = data.index(b"report.xml") + len("report.xml") + 200  # inside the compressed report
    data[start : start + 64] = bytes(64)
    damaged = tmp_path / "damaged.ufdr"
    damaged.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=r"damaged\.ufdr"):
        read_items("ufdr", damaged)


def test_streaming_holds_one_model_not_the_report(tmp_path: Path) -> None:
    big = tmp_path / "big.ufdr"
    messages, sms = 3_000, 750
    make_fixture.write_ufdr(big, make_fixture.report(make_fixture.large_decoded(messages, sms)))
    with zipfile.ZipFile(big) as archive:
        xml_size = archive.getinfo("report.xml").file_size
    assert xml_size > 4_000_000
    ctx = LoadContext("WYP", "UFDR", "test", str(big))
    count = 0
    tracemalloc.start()
    try:
        for _ in read_ufdr(big, ctx, LoaderOptions()):
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 1 + messages + 1 + sms  # device, messages, the chat, SMS
    assert peak < 2_000_000, f"peak {peak:,} bytes while streaming {xml_size:,} bytes of XML"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_give_format_errors(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.ufdr"
        path.write_bytes(data)
        with contextlib.suppress(FormatError):
            read_items("ufdr", path)


_SAMPLE_BYTES = SAMPLE.read_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, len(_SAMPLE_BYTES) - 1), st.integers(0, 255)), min_size=1, max_size=8)
)
def test_damaged_archives_give_format_errors_or_records(flips: list[tuple[int, int]]) -> None:
    data = bytearray(_SAMPLE_BYTES)
    for at, value in flips:
        data[at] = value
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.ufdr"
        path.write_bytes(bytes(data))
        with contextlib.suppress(FormatError):
            read_items("ufdr", path)


_XML = zipfile.ZipFile(io.BytesIO(_SAMPLE_BYTES)).read("report.xml").decode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(_XML)), st.integers(0, 40), st.text(max_size=20))
def test_edited_reports_give_format_errors_or_records(at: int, cut: int, insert: str) -> None:
    xml = _XML[:at] + insert + _XML[at + cut :]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.ufdr"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("report.xml", xml.encode("utf-8", "surrogatepass"))
        with contextlib.suppress(FormatError):
            read_items("ufdr", path)

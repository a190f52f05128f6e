"""ANPR loader: reads in UTC, VRMs as read, camera sites as places, hits and lists."""

from __future__ import annotations

from polegraph.loaders.records import Bundle
from polegraph.types import anpr_key
from tests.loaders.test_nominals import (
    FIXTURES,
    bundles_of,
    csv_record_count,
    edges,
    node,
    quarantined_of,
    read_all,
)

READS = FIXTURES / "anpr" / "anpr_reads.csv"


def reads() -> list[Bundle]:
    return bundles_of(read_all("anpr", READS))


def by_id() -> dict[str, Bundle]:
    return {b.source.record_id: b for b in reads()}


def test_every_read_is_a_bundle_or_quarantined() -> None:
    items = read_all("anpr", READS)
    assert len(items) == csv_record_count(READS) == 8
    assert len(bundles_of(items)) == 6
    assert [(q.line, q.field) for q in quarantined_of(items)] == [(6, "vrm"), (7, "read_time")]


def test_a_read_its_vehicle_and_its_camera_site() -> None:
    read = by_id()["R-0000001"]
    props = node(read, "AnprRead").props
    assert props == {
        "read_id": "R-0000001", "vrm_as_read": "AB12CDE", "occurred_from": "2024-03-02T21:47:13+00:00",
        "occurred_to": "2024-03-02T21:47:13+00:00", "camera_id": "CAM-0113-04",
        "travel_direction": "Northbound", "lane": 1, "confidence": 0.97, "hit": True,
        "hit_list": "Local intelligence", "latitude": 53.8129, "longitude": -1.5197,
    }  # fmt: skip
    (seen,) = edges(read, "INVOLVED_IN")
    assert (seen.start_uid, seen.props) == ("vehicle:AB12CDE", {"role": "READ"})
    site = node(read, "Place").props
    assert site["place_type"] == "CAMERA_SITE"
    assert site["site_id"] == "LS-HAREHILLS-01"
    assert [e.end_uid for e in edges(read, "READ_AT")] == ["place:camera:LSHAREHILLS01"]


def test_times_are_utc_and_confidences_fractions() -> None:
    found = {r: node(b, "AnprRead").props for r, b in by_id().items()}
    assert found["R-0000002"]["occurred_from"] == "2024-03-03T06:41:02+00:00"
    assert found["R-0000003"]["occurred_from"] == "2024-03-08T05:12:44+00:00"  # day-first, no zone: UTC
    assert (found["R-0000002"]["confidence"], found["R-0000003"]["confidence"]) == (0.71, 0.88)
    assert (found["R-0000002"]["hit"], found["R-0000003"]["hit"]) == (False, True)
    assert found["R-0000003"]["hit_list"] == "PNC stolen"


def test_misreads_and_foreign_marks() -> None:
    misread = node(by_id()["R-0000002"], "Vehicle").props
    assert misread["vrm"] == "A812CDE"
    assert anpr_key("A812CDE") == anpr_key("AB12CDE")  # the index's confusion key meets the true mark
    foreign = node(by_id()["R-0000004"], "Vehicle").props
    assert foreign["valid"] is False


def test_reads_without_an_id_get_a_stable_one_and_the_camera_as_site() -> None:
    (derived,) = [r for r in by_id() if r.startswith("derived:")]
    assert derived in by_id()  # the same id on every read of the file
    assert node(by_id()[derived], "Place").uid == "place:camera:CAM027401"


def test_one_camera_site_across_reads() -> None:
    sites = {node(b, "Place").uid for b in reads() if node(b, "AnprRead").props["camera_id"] == "CAM-0113-04"}
    assert sites == {"place:camera:LSHAREHILLS01"}

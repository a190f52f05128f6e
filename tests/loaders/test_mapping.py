"""The generic mapping loader on a force's occurrence and nominal exports (tests/fixtures/mapping)."""

from __future__ import annotations

from pathlib import Path

import pytest

from polegraph.loaders.base import LoaderOptions, get_loader
from polegraph.loaders.check import bundle_problems
from polegraph.loaders.mapping import mapping_plan, read_with_mapping
from polegraph.loaders.mapping_spec import MappingError, read_mapping
from polegraph.loaders.records import Bundle, LoadContext, Node, Quarantined

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mapping"


def read_all(mapping: Path, data: Path, force: str = "WYP") -> tuple[list[Bundle], list[Quarantined]]:
    ctx = LoadContext(force=force, system="MAPPING", load_id="test", source_file=str(data))
    items = list(read_with_mapping(read_mapping(mapping), data, ctx))
    bundles = [i for i in items if isinstance(i, Bundle)]
    for bundle in bundles:
        assert bundle_problems(bundle) == []
    return bundles, [i for i in items if isinstance(i, Quarantined)]


def node(bundle: Bundle, label: str) -> Node:
    (found,) = [n for n in bundle.nodes if n.label == label]
    return found


@pytest.fixture(scope="module")
def nominals() -> dict[str, Bundle | Quarantined]:
    """The nominal export's results by nominal ref (quarantined rows by line)."""
    bundles, bad = read_all(FIXTURES / "nominals.yaml", FIXTURES / "nominals.csv")
    return {b.source.payload["Nominal Ref"]: b for b in bundles} | {f"line {q.line}": q for q in bad}


def test_the_registered_format_reads_with_the_mapping_option(tmp_path: Path) -> None:
    spec = get_loader("mapping")
    ctx = LoadContext(force="WYP", system=spec.system, load_id="t", source_file="occurrences.csv")
    options = LoaderOptions(mapping=FIXTURES / "occurrences.yaml")
    items = list(spec.read(FIXTURES / "occurrences.csv", ctx, options))
    assert [type(i).__name__ for i in items] == ["Bundle", "Bundle", "Bundle", "Quarantined"]
    # The mapping's system names the records, not the registry's placeholder.
    first = items[0]
    assert isinstance(first, Bundle)
    assert first.source.key == "src:WYP:NICHE-TEST:occurrence:OCC/1001/24"
    with pytest.raises(MappingError, match="needs a mapping file"):
        list(spec.read(FIXTURES / "occurrences.csv", ctx, LoaderOptions()))


def test_an_explicit_system_overrides_the_mappings() -> None:
    ctx = LoadContext(force="WYP", system="NICHE-EAST", load_id="t", source_file="occurrences.csv")
    items = list(
        read_with_mapping(read_mapping(FIXTURES / "occurrences.yaml"), FIXTURES / "occurrences.csv", ctx)
    )
    assert isinstance(items[0], Bundle)
    assert items[0].source.system == "NICHE-EAST"
    assert items[0].nodes[0].uid == "crime:WYP:NICHE-EAST:occurrence:OCC/1001/24"


def test_occurrences_become_crimes_at_their_addresses() -> None:
    bundles, bad = read_all(FIXTURES / "occurrences.yaml", FIXTURES / "occurrences.csv")
    burglary = bundles[0]
    crime = node(burglary, "Crime")
    assert crime.uid == "crime:WYP:NICHE-TEST:occurrence:OCC/1001/24"
    assert crime.props == {
        "reference": "OCC/1001/24",
        "crime_type": "Burglary dwelling",
        "offence_code": "028/01",
        "occurred_from": "2024-02-03T22:15:00+00:00",  # UK local time, GMT in February
        "occurred_to": "2024-02-04T06:30:00+00:00",
        "status": "Under investigation",
        "mo_text": 'Entry via rear window; "tools" left',  # a quoted cell with quotes inside
        "county_lines_flag": False,  # a constant, cleaned as the boolean it is
    }
    address = node(burglary, "Address")
    assert address.uid == "address:12 HIGH STREET LEEDS LS1 4DY"
    assert address.props["postcode"] == "LS1 4DY"
    (edge,) = burglary.edges
    assert (edge.type, edge.start_uid, edge.end_uid, edge.props) == (
        "OCCURRED_AT", crime.uid, address.uid, {"role": "SCENE"},
    )  # fmt: skip
    # A Zulu timestamp keeps its zone; a lower-case postcode is normalised; no location, no Address.
    assert node(bundles[1], "Crime").props["occurred_from"] == "2024-02-10T14:05:00+00:00"
    assert node(bundles[1], "Address").props["postcode"] == "LS2 9JT"
    assert [n.label for n in bundles[2].nodes] == ["Crime"]
    assert bundles[2].edges == ()
    # A row without its record id is quarantined with the file, line, column and reason.
    (q,) = bad
    assert (q.line, q.field, q.reason) == (5, "Occurrence Ref", "the record id is empty")
    assert q.raw.startswith(",Theft from vehicle")


def test_a_nominal_row_makes_a_person_their_identifiers_and_their_part_in_the_crime(
    nominals: dict[str, Bundle | Quarantined],
) -> None:
    khan = nominals["N1"]
    assert isinstance(khan, Bundle)
    person = node(khan, "Person")
    assert person.uid == "person:WYP:NICHE-TEST:nominal:OCC/1001/24:N1"
    assert person.props == {
        "surname": "KHAN",
        "forenames": "MOHAMMED IMRAN",  # read with the surname, not guessed from word order
        "full_name": "KHAN, MOHAMMED IMRAN",
        "dob": "1990-03-01",  # day first
        "sex": "MALE",
        "aliases": ["MO", "IMMY"],
    }
    phones = {n.uid: n.props for n in khan.nodes if n.label == "Phone"}
    assert phones == {
        "phone:+447911123456": {"e164": "+447911123456", "valid": True, "raw_values": ["07911 123456"]},
        "phone:+441134960000": {"e164": "+441134960000", "valid": True, "raw_values": ["0113 496 0000"]},
    }
    assert node(khan, "Vehicle").uid == "vehicle:AB12CDE"
    edges = {(e.type, e.end_uid): e for e in khan.edges}
    involved = edges[("INVOLVED_IN", "crime:WYP:NICHE-TEST:occurrence:OCC/1001/24")]
    assert involved.props == {"role": "SUSPECT", "role_raw": "S"}
    assert involved.discriminator == "SUSPECT"  # one edge per role
    assert edges[("HAS_PHONE", "phone:+441134960000")].props == {"usage": "HOME"}
    assert ("LIVES_AT", "address:12 HIGH STREET LEEDS LS1 4DY") in edges
    assert ("DRIVES", "vehicle:AB12CDE") in edges


def test_records_meet_on_values_and_the_source_record_keeps_every_column(
    nominals: dict[str, Bundle | Quarantined],
) -> None:
    khan, smith, oneill = nominals["N1"], nominals["N2"], nominals["N3"]
    assert isinstance(khan, Bundle)
    assert isinstance(smith, Bundle)
    assert isinstance(oneill, Bundle)
    # "07911 123456" and "+44 (0)7911 123456" are one phone.
    assert node(smith, "Phone").uid == "phone:+447911123456"
    assert khan.source.payload["Officer Notes"] == "known to police"  # not mapped, still kept
    assert khan.source.payload["Custody Photo"] == "photo1.jpg"
    assert oneill.source.payload["_extra"] == ["extra cell"]  # a cell beyond the header
    assert oneill.source.line == 4


def test_bad_values_are_left_out_but_the_row_loads(nominals: dict[str, Bundle | Quarantined]) -> None:
    oneill, bloggs = nominals["N3"], nominals["N4"]
    assert isinstance(oneill, Bundle)
    assert isinstance(bloggs, Bundle)
    person = node(oneill, "Person")
    assert "dob" not in person.props  # 31/02/1979 is no date; the payload keeps it
    assert oneill.source.payload["DOB"] == "31/02/1979"
    assert person.props["surname"] == "ONEILL"
    assert node(oneill, "Phone").props["valid"] is True  # an Ofcom drama number is accepted
    # A phone cell with no digits names no phone; a role outside the codes becomes OTHER.
    assert [n.label for n in bloggs.nodes] == ["Person"]
    (role,) = [e for e in bloggs.edges if e.type == "INVOLVED_IN"]
    assert role.props == {"role": "REPORTING_PERSON", "role_raw": "Reporting person"}


def test_conditions_choose_which_nodes_and_edges_a_row_makes(
    nominals: dict[str, Bundle | Quarantined],
) -> None:
    smith = nominals["N2"]
    assert isinstance(smith, Bundle)
    assert not any(n.label == "Vehicle" for n in smith.nodes)  # empty VRM: no vehicle
    witness = nominals["N3"]
    assert isinstance(witness, Bundle)
    assert not any(e.type == "LIVES_AT" for e in witness.edges)  # `when: Home Address`
    cafe = nominals["N7"]
    assert isinstance(cafe, Bundle)
    assert node(cafe, "Person").props["full_name"] == "CAFE, RENEE"  # a Windows-1252 line, read
    assert cafe.source.payload["Surname"] == "Café"


def test_rows_that_cannot_load_are_quarantined_with_their_reason(
    nominals: dict[str, Bundle | Quarantined],
) -> None:
    empty_ref, no_surname, unknown_crime = nominals["line 6"], nominals["line 7"], nominals["line 8"]
    assert isinstance(empty_ref, Quarantined)
    assert isinstance(no_surname, Quarantined)
    assert isinstance(unknown_crime, Quarantined)
    assert (empty_ref.field, empty_ref.reason) == ("Nominal Ref", "the record id is empty")
    assert no_surname.field == "Surname"
    assert no_surname.reason == "entities.person.properties.surname: empty"
    assert unknown_crime.field == "Occurrence Ref"
    assert "no Crime with id OCC/9999/24 in" in unknown_crime.reason
    assert unknown_crime.file.endswith("nominals.csv")
    assert len(nominals) == 8


def test_edge_only_files_find_their_ends_in_the_node_files_id_spaces_included() -> None:
    ids = FIXTURES / "ids"
    phones, _ = read_all(ids / "phones.yaml", ids / "phones.csv")
    people, _ = read_all(ids / "people.yaml", ids / "people.csv")
    links, bad = read_all(ids / "person_phone.yaml", ids / "person_phone.csv")
    made = {n.uid for b in phones + people for n in b.nodes}
    edges = [e for b in links for e in b.edges]
    # Phones are keyed by value, so the edge ends are the E.164 uids the node file made from the ids.
    assert [(e.start_uid, e.end_uid) for e in edges] == [
        ("person:WYP:ADMIN-TEST:person:p1", "phone:+447911123456"),
        ("person:WYP:ADMIN-TEST:person:p2", "phone:+447911123456"),
        ("person:WYP:ADMIN-TEST:person:p3", "phone:+441134960000"),
    ]
    assert {e.start_uid for e in edges} | {e.end_uid for e in edges} <= made
    # p9 is in no node file: quarantined. 07000 000000 is not either, but `missing: skip`.
    assert [(q.line, q.field) for q in bad] == [(5, ":START_ID(Person)")]
    assert "no Person with id p9 in" in bad[0].reason
    assert len(links) == 4
    assert links[-1].edges == ()
    assert links[-1].source.payload == {
        ":START_ID(Person)": "p1", ":END_ID(Phone)": "07000 000000", "since": "", ":TYPE": "HAS_PHONE",
    }  # fmt: skip


def test_an_edge_file_needs_its_node_files_beside_it(tmp_path: Path) -> None:
    ids = FIXTURES / "ids"
    alone = tmp_path / "person_phone.csv"
    alone.write_bytes((ids / "person_phone.csv").read_bytes())
    ctx = LoadContext(force="WYP", system="MAPPING", load_id="t", source_file=str(alone))
    with pytest.raises(MappingError, match=r"people\.yaml: file: .*needs exactly one file"):
        list(read_with_mapping(read_mapping(ids / "person_phone.yaml"), alone, ctx))
    # ... or in the folder named by ref_dir.
    items = list(read_with_mapping(read_mapping(ids / "person_phone.yaml"), alone, ctx, ref_dir=ids))
    assert len(items) == 5


def test_an_empty_file_loads_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "occurrences.csv"
    empty.write_bytes(b"")
    assert read_all(FIXTURES / "occurrences.yaml", empty) == ([], [])
    empty.write_bytes(b"\r\n\r\n")
    assert read_all(FIXTURES / "occurrences.yaml", empty) == ([], [])


def test_a_plan_loads_the_files_a_mapping_refers_to_first() -> None:
    plan = [(csv.name, mapping.name) for csv, mapping in mapping_plan(FIXTURES, FIXTURES)]
    # nominals.csv sorts first by name, but refers to occurrences.csv: it must wait for it.
    assert plan == [("occurrences.csv", "occurrences.yaml"), ("nominals.csv", "nominals.yaml")]
    ids = FIXTURES / "ids"
    assert [csv.name for csv, _ in mapping_plan(ids, ids)] == ["people.csv", "phones.csv", "person_phone.csv"]

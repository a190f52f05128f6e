"""A mapping that does not fit the ontology or its file stops the load with the file and key named."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from polegraph.loaders.mapping import read_with_mapping
from polegraph.loaders.mapping_spec import MappingError, read_mapping
from polegraph.loaders.records import Bundle, LoadContext

HEADER = "Ref,Name,Mobile,Role,When\n"

PERSON = """\
system: TEST
record_id: Ref
entities:
  person:
    label: Person
    properties:
      full_name: Name
"""


def write(tmp_path: Path, text: str, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def check(tmp_path: Path, text: str, pattern: str) -> MappingError:
    path = write(tmp_path, text)
    with pytest.raises(MappingError) as caught:
        read_mapping(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message  # the mapping file is named first
    assert re.search(pattern, message), message
    return caught.value


@pytest.mark.parametrize(
    ("old", "new", "pattern"),
    [
        (
            "label: Person",
            "label: Persn",
            r"entities\.person\.label: 'Persn' is not an entity type; did you mean 'Person'",
        ),
        ("label: Person", "label: Entity", r"'Entity' is not an entity type"),  # abstract
        ("label: Person", "label: SourceRecord", r"'SourceRecord' is not an entity type"),
        (
            "full_name: Name",
            "fullname: Name",
            r"properties\.fullname: Person has no property 'fullname'; did you mean 'full_name'",
        ),
        ("full_name: Name", "uid: Name", r"properties\.uid: 'uid' is set by polegraph"),
        ("full_name: Name", "source_keys: Name", r"'source_keys' is set by polegraph"),
        (
            "    properties:",
            "    proprties:",
            r"entities\.person\.proprties: unknown key; did you mean 'properties'",
        ),
        (
            "full_name: Name",
            "full_name: {column: Name, value: x}",
            r"give exactly one of column, join or value",
        ),
        (
            "full_name: Name",
            "full_name: {colum: Name}",
            r"full_name\.colum: unknown key; did you mean 'column'",
        ),
        (
            "full_name: Name",
            "full_name: {column: Name, as: adress}",
            r"full_name\.as: unknown property type 'adress'",
        ),
        (
            "full_name: Name",
            "full_name: {column: Name, split: ';'}",
            r"only a property that holds a list can be split",
        ),
        ("full_name: Name", "full_name: {column: Name, period_end: true}", r"only for datetime properties"),
        (
            "full_name: Name",
            "full_name: {column: Name, otherwise: X}",
            r"otherwise: only for properties with a list",
        ),
        (
            "full_name: Name",
            "sex: {column: Name, values: {M: MAN}}",
            r"'MAN' \(for 'M'\) is not one of MALE, FEMALE",
        ),
        ("full_name: Name", "sex: {value: BLOKE}", r"'BLOKE' \(for 'value'\) is not one of"),
        (
            "    label: Person",
            "    label: Person\n    uid: value",
            r"entities\.person\.uid: Person has no key properties",
        ),
        (
            "    label: Person",
            "    label: Person\n    uid: maybe",
            r"uid: expected value or record, found 'maybe'",
        ),
        ("system: TEST", "system: 'NICHE:WEST'", r"system: letters, digits"),
        ("system: TEST", "", r"system: expected text, found None"),
        ("record_id: Ref", "record_id: []", r"record_id: expected a column name"),
        (
            "record_id: Ref",
            "record_id: Ref\nrecords: x",
            r"\(top\)\.records: unknown key; did you mean 'record_id'",
        ),
    ],
)
def test_the_mapping_is_checked_against_the_ontology(
    tmp_path: Path, old: str, new: str, pattern: str
) -> None:
    assert old in PERSON
    check(tmp_path, PERSON.replace(old, new), pattern)


def test_a_property_hint_lists_what_the_type_has(tmp_path: Path) -> None:
    error = check(tmp_path, PERSON.replace("full_name: Name", "shoe_size: Name"), "no property 'shoe_size'")
    assert error.hint is not None
    assert "surname" in error.hint
    assert "source_keys" not in error.hint


PHONE_CALL = """\
system: TEST
record_id: Ref
entities:
  person:
    label: Person
    properties:
      full_name: Name
  phone:
    label: Phone
    properties:
      e164: Mobile
relationships:
  - type: HAS_PHONE
    from: person
    to: phone
"""


@pytest.mark.parametrize(
    ("old", "new", "pattern"),
    [
        (
            "type: HAS_PHONE",
            "type: HAS_PHONES",
            r"relationships\[0\]\.type: unknown relationship type 'HAS_PHONES'; did you mean 'HAS_PHONE'",
        ),
        (
            "from: person\n    to: phone",
            "from: phone\n    to: person",
            r"relationships\[0\]: HAS_PHONE runs Person\|Place\|Account -> Phone, not Phone -> Person",
        ),
        (
            "to: phone",
            "to: fone",
            r"relationships\[0\]\.to: no entity 'fone' in this mapping; did you mean 'phone'",
        ),
        (
            "    to: phone",
            "    to: phone\n    properties: {usage: {value: PAGER}}",
            r"'PAGER' \(for 'value'\) is not one of MOBILE",
        ),
        (
            "    to: phone",
            "    to: phone\n    properties: {role: {value: X}}",
            r"properties\.role: HAS_PHONE has no property 'role'",
        ),
        (
            "      e164: Mobile",
            "      imsi: Mobile",
            r"entities\.phone\.properties: Phone is identified by e164: map e164",
        ),
        ("relationships:", "relationships: {}\nx:", r"unknown key"),
    ],
)
def test_relationships_are_checked_against_the_ontology(
    tmp_path: Path, old: str, new: str, pattern: str
) -> None:
    assert old in PHONE_CALL
    check(tmp_path, PHONE_CALL.replace(old, new), pattern)


def test_broken_yaml_is_named(tmp_path: Path) -> None:
    check(tmp_path, "system: [unclosed\n", r"cannot read the mapping")
    check(tmp_path, "- a list\n", r"\(top\): expected a mapping of system")


def test_references_must_name_a_mapping_that_can_be_referred_to(tmp_path: Path) -> None:
    write(tmp_path, PERSON, "people.yaml")  # no file:, no id:
    ref = PERSON + "  other:\n    ref: {target}\n    id: Ref\n"
    check(
        tmp_path, ref.format(target="nowhere.yaml"), r"entities\.other\.ref: no mapping file .*nowhere\.yaml"
    )
    check(tmp_path, ref.format(target="people.yaml"), r"people\.yaml must give `file:` and person's `id:`")
    check(
        tmp_path,
        ref.format(target="people.yaml#nobody"),
        r"name one of the entities of people\.yaml after '#': person",
    )
    good = PERSON.replace("record_id: Ref", "record_id: Ref\nfile: people.csv").replace(
        "    label: Person", "    label: Person\n    id: [Ref, Name]"
    )
    write(tmp_path, good, "people.yaml")
    check(
        tmp_path, ref.format(target="people.yaml"), r"entities\.other\.id: person is identified by 2 column"
    )
    circle = "system: T\nfile: a.csv\nrecord_id: R\nentities:\n  x: {ref: m.yaml, id: R}\n"
    check(tmp_path, circle, r"entities\.x\.ref: mappings refer to each other in a circle")


def test_columns_are_checked_against_the_files_header(tmp_path: Path) -> None:
    mapping = write(tmp_path, PERSON.replace("full_name: Name", "full_name: Nmae"))
    data = tmp_path / "people.csv"
    data.write_text(HEADER + "1,Ann,,,\n", encoding="utf-8")
    ctx = LoadContext(force="WYP", system="MAPPING", load_id="t", source_file=str(data))
    with pytest.raises(MappingError) as caught:
        list(read_with_mapping(read_mapping(mapping), data, ctx))
    assert str(caught.value).startswith(
        f"{mapping}: entities.person.properties.full_name: no column 'Nmae' in"
    )
    assert caught.value.hint == "the header is: Ref, Name, Mobile, Role, When"


def test_columns_match_by_their_normalised_names_when_unambiguous(tmp_path: Path) -> None:
    mapping = write(tmp_path, PERSON.replace("record_id: Ref", "record_id: ref").replace(": Name", ": NAME "))
    data = tmp_path / "people.csv"
    data.write_text(HEADER + "1,Ann Archer,,,\n", encoding="utf-8")
    ctx = LoadContext(force="WYP", system="MAPPING", load_id="t", source_file=str(data))
    (bundle,) = read_with_mapping(read_mapping(mapping), data, ctx)
    assert isinstance(bundle, Bundle)
    assert bundle.nodes[0].props == {"full_name": "ARCHER, ANN"}
    # ":ID" and "id" normalise alike: each must then be written exactly.
    data.write_text(":ID,id,Name\n1,x,Ann\n", encoding="utf-8")
    with pytest.raises(MappingError, match="no column 'ref'"):
        list(read_with_mapping(read_mapping(mapping), data, ctx))

"""Columns to nodes: the persons (nominals), identifiers and places a police record names.

Shared by the crime, intelligence, custody, missing-person and ANPR loaders. Fields are read by
``loaders.fields`` under the aliases forces use, and every value is cleaned by ``polegraph.types``.
Objects and locations are keyed by value, persons by source record. A bad identifier never drops a
record: an object keeps ``valid: false``; a person's PNC ID, CRO or NINO that fails its check is left
off the node (Person has no validity flag and the linker must not match on it) and stays in the
source record's payload.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Re-exported for callers that import the field readers and ``when`` from here.
from polegraph.loaders.fields import Fields, integer, pick, pick_list
from polegraph.loaders.fields import coordinates as coordinates
from polegraph.loaders.fields import csv_rows as csv_rows
from polegraph.loaders.fields import flag as flag
from polegraph.loaders.fields import numbered as numbered
from polegraph.loaders.records import Bundle, Edge, Node, SourceRecord, source_uid, value_uid
from polegraph.types import ADDRESS, CRO, DATE, EMAIL, IMEI, NAME, NINO, PHONE, PNC_ID, POSTCODE, UPRN, VRM
from polegraph.types.base import PropertyType
from polegraph.types.datetime import when as when
from polegraph.types.name_parse import parse_name
from polegraph.types.postcode import extract_postcode
from polegraph.types.text import fold

_SEX = {
    **dict.fromkeys(("M", "MALE", "MAN", "BOY"), "MALE"),
    **dict.fromkeys(("F", "FEMALE", "WOMAN", "GIRL"), "FEMALE"),
    **dict.fromkeys(("X", "OTHER", "NON BINARY", "I", "INDETERMINATE"), "OTHER"),
    **dict.fromkeys(("U", "UNKNOWN", "NOT KNOWN", "NK", "NOT STATED", "NS"), "UNKNOWN"),
}
_IC_CODE = re.compile(r"(?:IC\s*)?([1-69])(?![0-9])")
# What exports write where nothing was recorded: kept absent so that "missing" stays countable.
_NOT_RECORDED = frozenset({"", "N A", "NONE", "NULL", "NIL", "UNKNOWN", "NOT RECORDED", "NOT KNOWN"})
# A nominal's own identifiers: (object label, relationship from the person, column aliases).
_PERSON_LINKS = (
    ("Phone", "HAS_PHONE", ("phones", "phone", "mobile", "telephone", "phone_number", "tel")),
    ("Email", "HAS_EMAIL", ("email", "emails", "email_address")),
    ("Vehicle", "DRIVES", ("vrm", "vrms", "vehicle", "vehicles", "vehicle_registration", "registration")),
    ("Device", "USES_DEVICE", ("imei", "imeis", "device_imei")),
)


# -- nodes -------------------------------------------------------------------------------------


class BundleBuilder:
    """Collects the nodes and edges of one source record; a value named twice gives one node."""

    def __init__(self, source: SourceRecord) -> None:
        self.source = source
        self._nodes: dict[str, Node] = {}
        self._edges: dict[str, Edge] = {}

    def node(self, label: str, uid: str, props: Mapping[str, Any]) -> Node:
        """Add the node ``uid``, or merge into it: raw values accumulate, a prop's first value wins."""
        clean = {k: v for k, v in props.items() if v is not None and v != [] and v != ""}
        old = self._nodes.get(uid)
        if old is not None:
            raws = [*old.props.get("raw_values", []), *clean.get("raw_values", [])]
            clean = {**clean, **old.props}
            if raws:
                clean["raw_values"] = list(dict.fromkeys(raws))
        node = Node(label, uid, clean)
        self._nodes[uid] = node
        return node

    def edge(self, rel: str, start: Node, end: Node, props: Mapping[str, Any] | None = None) -> None:
        """Add an edge; its ``role`` or ``association`` tells two edges between one pair apart."""
        clean = {k: v for k, v in (props or {}).items() if v is not None and v != ""}
        discriminator = str(clean.get("role", clean.get("association", "")))
        edge = Edge(rel, start.label, start.uid, end.label, end.uid, clean, discriminator)
        self._edges.setdefault(edge.key, edge)

    def bundle(self, labels: dict[str, Any] | None = None) -> Bundle:
        """The bundle; ``labels`` are the record's own security labels, overriding the load's."""
        return Bundle(self.source, tuple(self._nodes.values()), tuple(self._edges.values()), labels or None)


_OBJECTS: dict[str, tuple[str, PropertyType]] = {
    "Phone": ("e164", PHONE),  # invalid: not an allocated range (drama numbers are valid)
    "Device": ("imei", IMEI),  # invalid: wrong length or Luhn check digit
    "Email": ("email", EMAIL),
    "Vehicle": ("vrm", VRM),  # invalid: no UK format (foreign plate or misread)
}


def add_object(b: BundleBuilder, label: str, raw: str) -> Node | None:
    """A Phone, Device, Email or Vehicle keyed by its normalised value, with ``valid`` and the raw value.

    None when nothing usable is left of ``raw``: the record loads without the node.
    """
    key, kind = _OBJECTS[label]
    cleaned = kind.clean(raw)
    if cleaned.normalised is None:
        return None
    props = {key: cleaned.normalised, "valid": cleaned.valid, "raw_values": [raw.strip()]}
    return b.node(label, value_uid(label, cleaned.normalised), props)


def add_vehicle(b: BundleBuilder, raw: str, fields: Fields | None = None) -> Node | None:
    """A Vehicle keyed by VRM, with make, model, colour and VIN as recorded when ``fields`` hold them."""
    node = add_object(b, "Vehicle", raw)
    if node is None or not fields:
        return node
    details = {
        "make": pick(fields, "make", "vehicle_make"),
        "model": pick(fields, "model", "vehicle_model"),
        "colour": pick(fields, "colour", "color", "vehicle_colour"),
        "vehicle_type": pick(fields, "vehicle_type", "type", "body_type"),
        "vin": pick(fields, "vin", "chassis_number").upper(),
    }
    return b.node("Vehicle", node.uid, {**node.props, **details})


def _valid_postcode(raw: str) -> str | None:
    cleaned = POSTCODE.clean(raw) if raw else None
    if cleaned is None or not cleaned.valid or cleaned.normalised is None or " " not in cleaned.normalised:
        return None  # outward codes and bad postcodes stay in the payload only
    return cleaned.normalised


def add_location(
    b: BundleBuilder, address: str, postcode: str = "", uprn: str = "", geo: Mapping[str, float] | None = None
) -> Node | None:
    """The most specific location named: an Address (by UPRN, else by address key) or a Postcode.

    An Address is linked to its Postcode by IN_POSTCODE. None when nothing usable is named.
    """
    postcode_norm = _valid_postcode(postcode)
    key_text = ADDRESS.normalise(address) if address else None
    if key_text is not None:
        in_text, _ = extract_postcode(key_text)
        if in_text is None and postcode_norm:
            key_text = f"{key_text} {postcode_norm}"
        postcode_norm = _valid_postcode(in_text or "") or postcode_norm
    postcode_node = None
    if postcode_norm:
        postcode_node = b.node("Postcode", value_uid("Postcode", postcode_norm), {"postcode": postcode_norm})
    uprn_clean = UPRN.clean(uprn)
    uprn_norm = uprn_clean.normalised if uprn_clean.valid else None
    if uprn_norm is None and key_text is None:
        return postcode_node
    key = f"uprn:{uprn_norm}" if uprn_norm else str(key_text)
    props = {"address_key": key, "uprn": uprn_norm, "full_address": key_text, "postcode": postcode_norm}
    node = b.node("Address", value_uid("Address", key), {**props, **(geo or {})})
    if postcode_node is not None:
        b.edge("IN_POSTCODE", node, postcode_node)
    return node


# -- persons -----------------------------------------------------------------------------------


def _checked_id(kind: PropertyType, raw: str) -> str | None:
    cleaned = kind.clean(raw) if raw else None
    return cleaned.normalised if cleaned is not None and cleaned.valid else None


def _recorded(raw: str) -> str | None:
    return None if fold(raw) in _NOT_RECORDED else raw


def _ic_code(raw: str) -> str | None:
    match = _IC_CODE.match(raw.strip().upper())
    return f"IC{match.group(1)}" if match else None


def _ethnicity(fields: Fields) -> dict[str, str | None]:
    self_defined = pick(fields, "self_defined_ethnicity", "sde", "ethnicity_self_defined", "self_defined")
    officer = pick(fields, "officer_defined_ethnicity", "ode", "ic_code", "officer_ethnicity", "ic")
    either = pick(fields, "ethnicity", "ethnic_code", "ethnic_origin")
    # One column for both: an IC code is the officer's view, anything else the person's own.
    if either and _ic_code(either):
        officer = officer or either
    elif either:
        self_defined = self_defined or either
    return {"self_defined_ethnicity": _recorded(self_defined), "officer_defined_ethnicity": _ic_code(officer)}


def _placeholder(name: str) -> bool:
    folded = fold(name)
    return folded in _NOT_RECORDED or folded.split(" ", 1)[0] in ("UNKNOWN", "UNK", "NK", "UNIDENTIFIED")


def _names(fields: Fields) -> dict[str, Any]:
    surname = pick(fields, "surname", "family_name", "last_name", "lastname")
    forenames = " ".join(
        filter(None, [pick(fields, "forenames", "forename", "first_name", "first_names", "given_names"),
                      pick(fields, "middle_name", "middle_names")])
    )  # fmt: skip
    written = pick(fields, "name", "full_name", "nominal_name", "person_name", "subject_name")
    # "UNKNOWN", "Unknown male 20s": an unidentified nominal described, not a name (kept in the payload).
    surname, forenames, written = ("" if _placeholder(n) else n for n in (surname, forenames, written))
    if surname:  # separate columns say which part is the surname; a single name column may not
        written = f"{surname}, {forenames}" if forenames else surname
    elif forenames and not written:
        return {"forenames": NAME.normalise(forenames)}
    cleaned = NAME.clean(written) if written else None
    if cleaned is None or cleaned.normalised is None:
        return {}
    parsed = parse_name(cleaned.normalised)
    return {
        "full_name": cleaned.normalised,
        "forenames": " ".join(parsed.forenames) or None,
        "surname": parsed.surname or None,
        "nicknames": list(parsed.nicknames),
    }


def person_props(fields: Fields) -> dict[str, Any]:
    """The Person properties a nominal's fields hold, normalised (empty when they name no one)."""
    names = _names(fields)
    aliases = [NAME.normalise(a) for a in pick_list(fields, "aliases", "alias", "aka", "other_names")]
    aliases += [NAME.normalise(a) for a in pick_list(fields, "nicknames", "nickname", "street_name")]
    aliases += [NAME.normalise(n) for n in names.pop("nicknames", [])]
    dob = pick(fields, "dob", "date_of_birth", "birth_date", "d_o_b", "birthdate")
    props: dict[str, Any] = {
        **names,
        "aliases": [a for a in dict.fromkeys(aliases) if a],
        "dob": DATE.normalise(dob) if dob else None,
        "age": integer(pick(fields, "age", "age_at_offence", "age_at_time", "age_at_arrest")),
        "sex": _SEX.get(fold(pick(fields, "sex", "gender"))),
        **_ethnicity(fields),
        "nationality": [n.upper() for n in pick_list(fields, "nationality", "nationalities")],
        "place_of_birth": pick(fields, "place_of_birth", "birth_place", "pob"),
        "pnc_id": _checked_id(PNC_ID, pick(fields, "pnc_id", "pnc", "pnc_no", "pnc_number", "pncid")),
        "cro": _checked_id(CRO, pick(fields, "cro", "cro_no", "cro_number", "cro_id")),
        "nino": _checked_id(NINO, pick(fields, "nino", "ni_number", "ni_no", "national_insurance_number")),
        "warning_markers": pick_list(fields, "warning_markers", "warnings", "markers"),
    }
    return {k: v for k, v in props.items() if v not in (None, "", [])}


def add_person(b: BundleBuilder, fields: Fields, part: str) -> Node | None:
    """A nominal's Person node with its phones, e-mail, home address, vehicles and handsets.

    ``part`` tells the nominals of one record apart (``n1``, ``subject2``, ``detained``). None when
    the fields name no one and nothing about anyone.
    """
    props = person_props(fields)
    links = [(label, rel, pick_list(fields, *names)) for label, rel, names in _PERSON_LINKS]
    address = pick(fields, "address", "home_address", "full_address", "address_line", "current_address")
    postcode = pick(fields, "postcode", "home_postcode", "post_code", "address_postcode")
    uprn = pick(fields, "uprn", "home_uprn", "address_uprn")
    if not (props or any(raws for _, _, raws in links) or address or postcode or uprn):
        return None
    person = b.node("Person", source_uid("Person", b.source, part), props)
    for label, rel, raws in links:
        for raw in raws:
            if (node := add_object(b, label, raw)) is not None:
                b.edge(rel, person, node)
    home = add_location(b, address, postcode, uprn)
    if home is not None and home.label == "Address":
        b.edge("LIVES_AT", person, home)
    elif home is not None:  # a postcode alone: where they live, but LIVES_AT needs an address
        b.edge("ASSOCIATED_WITH", person, home, {"association": "OTHER"})
    return person

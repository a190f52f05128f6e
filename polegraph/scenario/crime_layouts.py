"""The three crime export layouts: the columns (or JSON fields) each writes for one occurrence.

Niche writes numbered nominal groups (``Nominal 1 Surname``...), Athena groups by role
(``Victim 1 Name``, ``Suspect 2 PNC``) with one name column, Connect nests nominals, vehicles and
phones in JSON lines. ``nominal_parts`` says which nominals a layout can hold and the uid part the
crime loader gives each (``nominal1``, ``suspect2``, ``n3``).
"""

from __future__ import annotations

import random
from typing import Any

from polegraph.scenario.nominal import Named, Rendered
from polegraph.scenario.records import Occurrence
from polegraph.scenario.spelling import swapped_order
from polegraph.scenario.written import local_time_text, phone_text, postcode_text, vrm_text

Written = list[tuple[str, Named, Rendered | None]]  # (uid part, nominal, what was written)

LAYOUTS = ("niche", "athena", "connect")
SYSTEMS = {"niche": "NICHE", "athena": "ATHENA", "connect": "CONNECT"}
_ROLE_TEXT = {
    "VICTIM": "Victim",
    "SUSPECT": "Suspect",
    "WITNESS": "Witness",
    "OFFENDER": "Offender",
    "REPORTING_PERSON": "Reporting Person",
    "ARRESTED": "Arrested",
}
# Athena groups nominals by role, with a fixed number of column groups per role.
_ATHENA_GROUPS = {
    "VICTIM": ("victim", 1),
    "SUSPECT": ("suspect", 2),
    "ARRESTED": ("suspect", 2),
    "OFFENDER": ("suspect", 2),
    "WITNESS": ("witness", 1),
    "REPORTING_PERSON": ("reporting_person", 1),
}
_NICHE_NOMINALS = 4
_NICHE_FIELDS = (
    "Role",
    "Surname",
    "Forenames",
    "DOB",
    "Sex",
    "Phone",
    "PNC ID",
    "Aliases",
    "Address",
    "Postcode",
)
_ATHENA_FIELDS = ("Name", "DOB", "Phone", "PNC", "Aliases", "Address", "Postcode")
_OCCURRENCE = (
    "HO Offence Code",
    "Offence Description",
    "Reported Date",
    "Committed From",
    "Committed To",
    "Address",
    "Postcode",
    "Latitude",
    "Longitude",
    "MO",
    "Status",
    "Outcome Code",
    "CSE",
    "CCE",
    "DA",
    "County Lines",
)


def niche_header() -> list[str]:
    header = ["Occurrence Ref", *_OCCURRENCE]
    header += [f"Nominal {n} {f}" for n in range(1, _NICHE_NOMINALS + 1) for f in _NICHE_FIELDS]
    header += [f"Vehicle {n} {f}" for n in (1, 2) for f in ("VRM", "Make", "Model", "Colour", "Role")]
    return [*header, "Phone 1", "Phone 1 Role", "Phone 2", "Phone 2 Role"]


def athena_header() -> list[str]:
    header = [
        "Crime Number",
        "Offence",
        "Offence Code",
        "Date Reported",
        "Date Committed",
        "Date To",
        "Location",
        "Scene Address",
        "Postcode",
        "MO",
        "Flags",
        "Status",
        "Outcome",
    ]
    for group, count in dict(_ATHENA_GROUPS.values()).items():
        label = group.replace("_", " ").title()
        header += [f"{label} {n} {f}" for n in range(1, count + 1) for f in _ATHENA_FIELDS]
    return [*header, "Vehicle 1 VRM", "Vehicle 1 Make", "Vehicle 1 Colour", "Vehicle 1 Role", "Phone 1"]


def nominal_parts(layout: str, occ: Occurrence) -> list[tuple[str, Named]]:
    """(uid part the loader gives the nominal, nominal) for the nominals this layout can hold."""
    if layout == "niche":
        return [(f"nominal{n}", named) for n, named in enumerate(occ.nominals[:_NICHE_NOMINALS], 1)]
    if layout == "connect":
        return [(f"n{n}", named) for n, named in enumerate(occ.nominals, 1)]
    used: dict[str, int] = {}
    parts: list[tuple[str, Named]] = []
    for named in occ.nominals:
        group, limit = _ATHENA_GROUPS[named.role]
        used[group] = used.get(group, 0) + 1
        if used[group] <= limit:
            parts.append((f"{group}{used[group]}", named))
    return parts


def csv_values(
    layout: str, ref: str, occ: Occurrence, written: Written, rng: random.Random
) -> dict[str, str]:
    """The Niche or Athena row of one occurrence, by column name."""
    scene = occ.scene
    values: dict[str, str] = {}
    phone_cols: tuple[str, ...]
    if layout == "niche":
        values |= {
            "Occurrence Ref": ref,
            "HO Offence Code": occ.offence_code,
            "Offence Description": occ.crime_type,
            "Reported Date": local_time_text(occ.reported, rng),
            "Committed From": local_time_text(occ.committed_from, rng),
            "Committed To": local_time_text(occ.committed_to, rng) if occ.committed_to else "",
            "Address": scene.line() if scene else occ.scene_description,
            "Postcode": postcode_text(scene.postcode, rng) if scene else "",
            "Latitude": f"{scene.latitude:.5f}" if scene else "",
            "Longitude": f"{scene.longitude:.5f}" if scene else "",
            "MO": occ.mo,
            "Status": occ.status,
            "Outcome Code": occ.outcome,
            **{
                col: "Y" if flag in occ.flags else "N"
                for col, flag in (
                    ("CSE", "CSE"),
                    ("CCE", "CCE"),
                    ("DA", "DA"),
                    ("County Lines", "County Lines"),
                )
            },
        }
        for part, named, r in written:
            values |= _niche_nominal(part.removeprefix("nominal"), named, r)
        phone_cols = ("Phone 1", "Phone 2")
    else:
        values |= {
            "Crime Number": ref,
            "Offence": occ.crime_type,
            "Offence Code": occ.offence_code,
            "Date Reported": local_time_text(occ.reported, rng, iso_share=0.5),
            "Date Committed": local_time_text(occ.committed_from, rng, iso_share=0.5),
            "Date To": local_time_text(occ.committed_to, rng) if occ.committed_to else "",
            "Location": occ.scene_description,
            "Scene Address": scene.line() if scene else "",
            "Postcode": postcode_text(scene.postcode, rng) if scene else "",
            "MO": occ.mo,
            "Flags": "; ".join(occ.flags),
            "Status": occ.status,
            "Outcome": occ.outcome,
        }
        for part, named, r in written:
            values |= _athena_nominal(part, named, r)
        phone_cols = ("Phone 1",)
    for n, (vehicle, role) in enumerate(occ.vehicles[: 2 if layout == "niche" else 1], 1):
        values |= {
            f"Vehicle {n} VRM": vrm_text(vehicle.vrm, rng),
            f"Vehicle {n} Make": vehicle.make,
            f"Vehicle {n} Colour": vehicle.colour,
            f"Vehicle {n} Role": role,
        }
        if layout == "niche":
            values[f"Vehicle {n} Model"] = vehicle.model
    for column, (number, role) in zip(phone_cols, occ.phones, strict=False):
        values[column] = phone_text(number, rng)
        if layout == "niche":
            values[f"{column} Role"] = role
    return values


def connect_object(
    ref: str, force: str, occ: Occurrence, written: Written, rng: random.Random
) -> dict[str, Any]:
    """The Connect JSON object of one occurrence."""
    scene = occ.scene
    obj: dict[str, Any] = {
        "reference": ref,
        "force": force,
        "crime_type": occ.crime_type,
        "offence_code": occ.offence_code,
        "reported": occ.reported.isoformat(),
        "committed_from": occ.committed_from.isoformat(),
        "committed_to": occ.committed_to.isoformat() if occ.committed_to else None,
        "location": {
            "address": scene.line(),
            "postcode": scene.postcode,
            "latitude": scene.latitude,
            "longitude": scene.longitude,
        }
        if scene
        else {"description": occ.scene_description},
        "mo": occ.mo,
        "status": occ.status,
        "outcome_code": occ.outcome,
        "flags": list(occ.flags),
        "nominals": [_connect_nominal(named, r) for _, named, r in written],
        "vehicles": [
            {
                "vrm": vrm_text(v.vrm, rng),
                "make": v.make,
                "model": v.model,
                "colour": v.colour,
                "role": role,
            }
            for v, role in occ.vehicles
        ],
        "phones": [{"number": phone_text(p, rng), "role": role} for p, role in occ.phones],
    }
    return obj


def _niche_nominal(n: str, named: Named, r: Rendered | None) -> dict[str, str]:
    prefix = f"Nominal {n} "
    values = {prefix + "Role": _ROLE_TEXT[named.role]}
    if r is None:
        sex = named.human.sex if named.human else ""
        return values | {
            prefix + "Forenames": named.description or "Unknown",
            prefix + "Surname": "UNKNOWN",
            prefix + "Sex": sex,
        }
    return values | {
        prefix + "Surname": r.name.surname.upper(),
        prefix + "Forenames": r.name.forenames,
        prefix + "DOB": r.dob,
        prefix + "Sex": r.sex,
        prefix + "Phone": r.phone,
        prefix + "PNC ID": r.pnc_id,
        prefix + "Aliases": r.alias,
        prefix + "Address": r.address,
        prefix + "Postcode": r.postcode,
    }


def _athena_nominal(part: str, named: Named, r: Rendered | None) -> dict[str, str]:
    group, n = part.rstrip("0123456789"), part[len(part.rstrip("0123456789")) :]
    prefix = f"{group.replace('_', ' ').title()} {n} "
    if r is None:
        return {prefix + "Name": named.description or "Unknown"}
    styles = {"surname_first": r.name.surname_first, "natural": r.name.natural}
    name = styles[r.name_style]() if r.name_style in styles else swapped_order(r.name)
    return {
        prefix + "Name": name,
        prefix + "DOB": r.dob,
        prefix + "Phone": r.phone,
        prefix + "PNC": r.pnc_id,
        prefix + "Aliases": r.alias,
        prefix + "Address": r.address,
        prefix + "Postcode": r.postcode,
    }


def _connect_nominal(named: Named, r: Rendered | None) -> dict[str, Any]:
    role = _ROLE_TEXT[named.role]
    if r is None or named.human is None:
        return {
            "role": role,
            "name": named.description or "Unknown",
            "sex": named.human.sex if named.human else None,
        }
    address = (
        {"line1": r.address.rsplit(", ", 1)[0], "town": r.address.rsplit(", ", 1)[-1], "postcode": r.postcode}
        if r.address
        else None
    )
    return {
        "role": role,
        "surname": r.name.surname,
        "forenames": r.name.forenames,
        "dob": r.dob or None,
        "sex": r.sex,
        "phones": [r.phone] if r.phone else [],
        "pnc_id": r.pnc_id or None,
        "aliases": [r.alias] if r.alias else [],
        "address": address,
    }

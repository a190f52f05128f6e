"""A person as one record writes them: the nominal's fields, distorted the way real records are.

``render`` decides which of a person's details a record holds (a witness statement rarely has a
PNC ID; a custody record nearly always does) and how each is written. What was written is
returned with the list of distortions, for the ground truth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from polegraph.scenario.population import Human
from polegraph.scenario.rand import chance
from polegraph.scenario.spelling import WrittenName, write_dob, write_name
from polegraph.scenario.written import phone_text, postcode_text, vrm_text


@dataclass(frozen=True, slots=True)
class Named:
    """A person a record names, in a role; ``human`` None is someone the record could not identify."""

    human: Human | None
    role: str
    description: str = ""  # how an unidentified person is described ("unknown male 20s")
    care: float = 1.0  # below 1: a hurried entry, more errors
    detail: float = 0.6  # share of optional details (phone, address...) the record holds
    alias: str = ""  # a street name the record gives


@dataclass(frozen=True, slots=True)
class Rendered:
    """The written fields of one nominal; empty strings where the record holds nothing."""

    name: WrittenName
    dob: str
    sex: str
    phone: str
    phone_e164: str | None
    address: str
    postcode: str
    pnc_id: str
    cro: str
    nino: str
    alias: str
    vrm: str
    ethnicity_self: str
    ethnicity_officer: str
    distortions: tuple[str, ...]
    name_style: str = "separate"  # how a single name column writes it: surname_first, natural, order_swapped


def render(
    human: Human,
    rng: random.Random,
    *,
    care: float = 1.0,
    detail: float = 0.6,
    record_ids: float = 0.3,
    alias: str = "",
) -> Rendered:
    """The fields a record writes for ``human``; ``record_ids`` is the chance of PNC/CRO/NINO."""
    name = write_name(human.forenames, human.surname, rng, care=care)
    dob, dob_distortions = write_dob(human.dob, rng, care=care)
    phone_e164 = human.mobile or human.landline
    phone = phone_text(phone_e164, rng) if phone_e164 and chance(rng, detail) else ""
    with_address = chance(rng, detail)
    address = (human.home.abbreviated() if chance(rng, 0.2) else human.home.line()) if with_address else ""
    postcode = postcode_text(human.home.postcode, rng) if with_address and chance(rng, 0.85) else ""
    pnc = ""
    if human.pnc_id and chance(rng, record_ids):
        # The short form (15/12345F) is what officers type; systems print the long one.
        year, rest = human.pnc_id.split("/")
        pnc = human.pnc_id if chance(rng, 0.6) else f"{year[2:]}/{rest.lstrip('0')}"
    cro = human.cro if human.cro and chance(rng, record_ids * 0.5) else ""
    nino = human.nino if human.nino and chance(rng, record_ids * 0.3) else ""
    if nino and chance(rng, 0.5):
        nino = f"{nino[:2]} {nino[2:4]} {nino[4:6]} {nino[6:8]} {nino[8:]}"
    vrm = vrm_text(human.vehicle.vrm, rng) if human.vehicle and chance(rng, detail * 0.4) else ""
    sex = rng.choice(("M", "Male")) if human.sex == "M" else rng.choice(("F", "Female"))
    distortions = name.distortions + dob_distortions + (("no_phone",) if phone_e164 and not phone else ())
    return Rendered(
        name=name,
        dob=dob,
        sex=sex,
        phone=phone,
        phone_e164=phone_e164 if phone else None,
        address=address,
        postcode=postcode,
        pnc_id=pnc,
        cro=cro,
        nino=nino,
        alias=alias or ((human.street_name or "") if chance(rng, 0.5) else ""),
        vrm=vrm,
        ethnicity_self=human.self_defined_ethnicity if chance(rng, 0.5) else "",
        ethnicity_officer=human.officer_defined_ethnicity if chance(rng, 0.6) else "",
        distortions=distortions,
    )

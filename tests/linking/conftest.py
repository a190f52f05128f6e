"""Nominals for the linking tests, loaded through the real custody loader into the real engines."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from polegraph.ingest import load_file
from polegraph.loaders.base import LoaderOptions
from polegraph.scenario.truth import person_uid
from polegraph.security.policy import Principal
from tests.conftest import Engines

_HEADER = ["Custody Number", "Arrest Date/Time", "Surname", "Forenames", "DOB", "Sex", "PNC ID",
           "Home Address", "Postcode", "Mobile", "Disposal"]  # fmt: skip


@dataclass(frozen=True)
class Nominal:
    """One person in custody, as a force's custody system exports them."""

    ref: str
    surname: str
    forenames: str
    dob: str
    sex: str = "M"
    phone: str = ""
    address: str = ""
    postcode: str = ""
    pnc: str = ""


def load_custody(
    engines: Engines, tmp_path: Path, force: str, nominals: list[Nominal], *,
    classification: str = "OFFICIAL", handling_code: str | None = None,
) -> list[str]:  # fmt: skip
    """Load the nominals as one custody file of ``force``; returns their Person uids."""
    path = tmp_path / f"{force}-{nominals[0].ref.replace('/', '_')}.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(_HEADER)
        for n in nominals:
            writer.writerow([n.ref, "01/06/2024 10:00", n.surname, n.forenames, n.dob, n.sex, n.pnc,
                             n.address, n.postcode, n.phone, "Charged"])  # fmt: skip
    summary = load_file(
        engines.settings, engines.driver, engines.es, "custody", path, force=force,
        classification=classification, handling_code=handling_code,
        handling_conditions="Not for onward sharing" if handling_code == "C" else None,
        options=LoaderOptions(),
    )  # fmt: skip
    assert summary.loaded == len(nominals), summary
    return [person_uid(force, "CUSTODY", n.ref, "detained") for n in nominals]


def analyst(force: str, *readable: str, clearance: str = "OFFICIAL-SENSITIVE") -> Principal:
    """An analyst of ``force`` who may also read ``readable`` forces."""
    return Principal(
        f"analyst.{force.lower()}", force, frozenset(readable), clearance, frozenset({"analyst"})
    )


# People who are nobody's duplicate: the term frequencies of a handful of test persons alone
# would make every name look common.
BACKGROUND = [
    Nominal(f"BG/{i:03d}", surname, forename, f"{1960 + i % 40}-{1 + i % 12:02d}-{1 + i % 27:02d}",
            phone=f"07700 9{i:05d}", postcode=postcode)
    for i, (surname, forename, postcode) in enumerate(
        (s, f, p)
        for s in ("SMITH", "JONES", "TAYLOR", "BROWN", "WILSON", "EVANS", "THOMAS", "REID", "PATEL", "NOWAK")
        for f, p in (("Oliver", "LS1 4AP"), ("Amelia", "M4 5JD"), ("Jack", "BD7 1DP"), ("Grace", "PR1 2HE"))
    )
]  # fmt: skip

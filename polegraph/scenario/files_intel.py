"""Intelligence report exports in two layouts: graded in separate columns, or in one ``Grading`` cell.

Subjects are numbered column groups (``Subject 1 Name`` ...), phones and registrations sit in list
columns, and the sanitised text names people, numbers and vehicles the way officers write them.
Planted bad records: a grade that is not a 3x5x2 code, and a report with no URN.
"""

from __future__ import annotations

import random
from pathlib import Path

from polegraph.scenario.forces import Force
from polegraph.scenario.nominal import render
from polegraph.scenario.output import CsvExport, FileStats, nominal_facts
from polegraph.scenario.rand import stream
from polegraph.scenario.records import IntelReport
from polegraph.scenario.truth import Ledger, Mention
from polegraph.scenario.written import local_time_text, phone_text, postcode_text, vrm_text

LAYOUTS = ("separate", "combined")
_SUBJECTS = 3
_SEPARATE = [
    "URN",
    "Date Recorded",
    "Date of Intelligence",
    "Submitting Officer",
    "Source Type",
    "Grading Scheme",
    "Source Evaluation",
    "Intelligence Assessment",
    "Handling Code",
    "Handling Conditions",
    "Classification",
    "Sanitised Text",
]
_SEPARATE += [f"Subject {n} {f}" for n in range(1, _SUBJECTS + 1) for f in ("Name", "DOB", "Role", "Phone")]
_SEPARATE += ["Phones", "VRMs", "Location", "Postcode"]
_COMBINED = [
    "Reference",
    "Recorded",
    "Intel Date",
    "Officer",
    "Source",
    "Grading",
    "Conditions",
    "Protective Marking",
    "Intelligence Text",
]
_COMBINED += [
    f"Subject {n} {f}"
    for n in range(1, _SUBJECTS + 1)
    for f in ("Surname", "Forenames", "DOB", "PNC ID", "Role")
]
_COMBINED += ["Phone Numbers", "Vehicles", "Location Address", "Location Postcode"]


class IntelExport:
    """One force's intelligence export."""

    def __init__(self, root: Path, seed: int, force: Force, layout: str, ledger: Ledger) -> None:
        self.force, self.layout = force, layout
        self.rng = stream(seed, "intel-file", force.code)
        header = _SEPARATE if layout == "separate" else _COMBINED
        self.csv = CsvExport(
            root,
            f"{force.code}/intel_{layout}.csv",
            header,
            fmt="intel",
            force=force.code,
            system="INTEL",
            ledger=ledger,
        )
        self.count = 0

    def write(self, report: IntelReport) -> None:
        self.count += 1
        rng = self.rng
        urn = f"{self.force.code}-INT-{report.recorded.year % 100}-{self.count:06d}"
        mentions: list[Mention] = [Mention(h.person_id, None, "MENTIONED") for h in report.about]
        ids: list[tuple[str, str]] = [("phone", p) for p in report.phones] + [("vrm", v) for v in report.vrms]
        values: dict[str, str] = {}
        for n, named in enumerate(report.subjects[:_SUBJECTS], 1):
            assert named.human is not None
            r = render(named.human, rng, care=named.care, detail=0.4, record_ids=0.4)
            mention, found = nominal_facts(self.csv, urn, f"subject{n}", named, r)
            if mention is not None:
                mentions = [m for m in mentions if m.person_id != mention.person_id] + [mention]
            ids += found
            role = named.role.title()
            if self.layout == "separate":
                values |= {
                    f"Subject {n} Name": r.name.natural() if rng.random() < 0.5 else r.name.surname_first(),
                    f"Subject {n} DOB": r.dob,
                    f"Subject {n} Role": role,
                    f"Subject {n} Phone": r.phone,
                }
            else:
                values |= {
                    f"Subject {n} Surname": r.name.surname.upper(),
                    f"Subject {n} Forenames": r.name.forenames,
                    f"Subject {n} DOB": r.dob,
                    f"Subject {n} PNC ID": r.pnc_id,
                    f"Subject {n} Role": role,
                }
        g = report.grading
        phones = "; ".join(phone_text(p, rng) for p in report.phones)
        vrms = "; ".join(vrm_text(v, rng) for v in report.vrms)
        place = report.location
        if place is not None:
            ids.append(("postcode", place.postcode))
        recorded = local_time_text(report.recorded, rng)
        occurred = report.occurred.strftime("%d/%m/%Y") if report.occurred else ""
        if self.layout == "separate":
            values |= {
                "URN": urn,
                "Date Recorded": recorded,
                "Date of Intelligence": occurred,
                "Submitting Officer": report.officer,
                "Source Type": report.source_type,
                "Grading Scheme": g.scheme,
                "Source Evaluation": g.source,
                "Intelligence Assessment": g.intelligence,
                "Handling Code": g.handling,
                "Handling Conditions": g.conditions,
                "Classification": report.classification,
                "Sanitised Text": report.text,
                "Phones": phones,
                "VRMs": vrms,
                "Location": place.line() if place else "",
                "Postcode": postcode_text(place.postcode, rng) if place else "",
            }
        else:
            values |= {
                "Reference": urn,
                "Recorded": recorded,
                "Intel Date": occurred,
                "Officer": report.officer,
                "Source": report.source_type,
                "Grading": _combined_grade(report, rng),
                "Conditions": g.conditions,
                "Protective Marking": report.classification,
                "Intelligence Text": report.text,
                "Phone Numbers": phones,
                "Vehicles": vrms,
                "Location Address": place.line() if place else "",
                "Location Postcode": postcode_text(place.postcode, rng) if place else "",
            }
        line = self.csv.row(values)
        self.csv.note(line, urn, mentions=mentions, identifiers=ids, planted=report.planted, text=report.text)

    def write_bad(self, rng: random.Random) -> None:
        """Plant reports the loader must quarantine: an impossible grade, then a missing URN."""
        self.count += 1
        urn = f"{self.force.code}-INT-24-{self.count:06d}"
        text = "Information that stolen bikes are being sold from a garage."
        if self.layout == "separate":
            bad = {
                "URN": urn,
                "Source Evaluation": "4",
                "Intelligence Assessment": "B",
                "Sanitised Text": text,
            }
        else:
            bad = {"Reference": urn, "Grading": "4/F/P", "Intelligence Text": text}
        line = self.csv.row(bad)
        self.csv.note(line, urn, quarantined="grading is not a 3x5x2 code")
        column = "Sanitised Text" if self.layout == "separate" else "Intelligence Text"
        line = self.csv.row({column: "Youths gathering at the precinct most evenings."})
        self.csv.note(line, "", quarantined="no report URN")

    def close(self) -> FileStats:
        self.csv.close()
        return self.csv.stats


def _combined_grade(report: IntelReport, rng: random.Random) -> str:
    """The grading in one cell, as older exports print it: ``2/B/P``, ``2BP`` or ``3x5x2: 2BP``."""
    g = report.grading
    if g.scheme == "5x5x5":
        return f"{g.source}{g.intelligence} {g.handling}"
    codes = (g.source, g.intelligence, g.handling)
    return rng.choice(("/".join(codes), "".join(codes), "3x5x2: " + "".join(codes)))

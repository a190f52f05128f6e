"""Custody exports (one detention per row) and missing-person exports (one episode per row).

Both name one person per record, with the identifiers custody is strict about (PNC ID, CRO, NINO,
both ethnicities) or the child's home and care status; a missing-person record also names, when
there was one, the adult the child was found with (name, date of birth, mobile). Column names differ
between forces, as they do between custody and missing-person systems. Planted bad records: a
detention with neither custody nor arrest/summons number, an episode with no reference.
"""

from __future__ import annotations

import random
from pathlib import Path

from polegraph.scenario.addresses import Address
from polegraph.scenario.forces import Force
from polegraph.scenario.nominal import Named, render
from polegraph.scenario.output import CsvExport, FileStats, nominal_facts
from polegraph.scenario.rand import chance, stream
from polegraph.scenario.records import Detention, Episode
from polegraph.scenario.truth import Ledger, Mention
from polegraph.scenario.written import local_time_text, postcode_text

_CUSTODY = (
    "Custody Number",
    "ASN",
    "Arrest Date/Time",
    "Place of Arrest",
    "Arrest Postcode",
    "Booked In",
    "Released",
    "Custody Suite",
    "Surname",
    "Forenames",
    "Aliases",
    "DOB",
    "Sex",
    "Self Defined Ethnicity",
    "Officer Defined Ethnicity",
    "PNC ID",
    "CRO Number",
    "NINO",
    "Home Address",
    "Postcode",
    "Mobile",
    "Offences",
    "Devices Seized",
    "Disposal",
)
# The same fields under another system's names (every one an alias the custody loader knows).
_CUSTODY_ALT = dict(
    zip(
        _CUSTODY,
        (
            "Custody Ref",
            "Arrest Summons No",
            "Arrest Time",
            "Arrest Location",
            "Arrest Location Postcode",
            "Arrival Time",
            "Release Time",
            "Station",
            "Family Name",
            "Given Names",
            "AKA",
            "Date of Birth",
            "Gender",
            "SDE",
            "IC Code",
            "PNC",
            "CRO",
            "NI Number",
            "Current Address",
            "Post Code",
            "Telephone",
            "Charges",
            "Seized IMEIs",
            "Outcome",
        ),
        strict=True,
    )
)
_MISSING = (
    "MFH Ref",
    "Episode No",
    "Surname",
    "Forename",
    "DOB",
    "Gender",
    "Ethnicity",
    "Home Address",
    "Postcode",
    "Mobile",
    "Reported Missing",
    "Last Seen",
    "Last Seen Location",
    "Missing From",
    "Missing From Address",
    "Risk Level",
    "Risk Factors",
    "LAC",
    "Date Found",
    "Found Location",
    "Found Postcode",
    "Found With",
    "Found With DOB",
    "Found With Mobile",
)


class CustodyExport:
    """One force's custody export."""

    def __init__(self, root: Path, seed: int, force: Force, variant: int, ledger: Ledger) -> None:
        self.force, self.variant = force, variant
        self.rng = stream(seed, "custody-file", force.code)
        header = [self._col(c) for c in _CUSTODY]
        self.csv = CsvExport(
            root,
            f"{force.code}/custody.csv",
            header,
            fmt="custody",
            force=force.code,
            system="CUSTODY",
            ledger=ledger,
            crlf=variant == 1,
        )
        self.count = 0

    def _col(self, name: str) -> str:
        return _CUSTODY_ALT[name] if self.variant == 1 else name

    def write(self, d: Detention) -> None:
        self.count += 1
        rng = self.rng
        number = f"{self.force.prefix}/C/{d.arrested_at.year % 100}/{self.count:06d}"
        asn = f"{d.arrested_at.year % 100}{self.force.prefix}{self.count:07d}{'ABCDEFGHJK'[self.count % 10]}"
        assert d.detained.human is not None
        r = render(
            d.detained.human, rng, care=d.detained.care, detail=0.9, record_ids=0.9, alias=d.detained.alias
        )
        mention, ids = nominal_facts(self.csv, number, "detained", d.detained, r)
        ids += [("imei", imei) for imei in d.devices]
        values = {
            "Custody Number": number,
            "ASN": asn,
            "Arrest Date/Time": local_time_text(d.arrested_at, rng),
            "Place of Arrest": d.arrest_place.line(),
            "Arrest Postcode": postcode_text(d.arrest_place.postcode, rng),
            "Booked In": local_time_text(d.booked_in, rng),
            "Released": local_time_text(d.released, rng) if d.released else "",
            "Custody Suite": d.suite,
            "Surname": r.name.surname.upper(),
            "Forenames": r.name.forenames,
            "Aliases": r.alias,
            "DOB": r.dob,
            "Sex": r.sex,
            "Self Defined Ethnicity": r.ethnicity_self,
            "Officer Defined Ethnicity": r.ethnicity_officer,
            "PNC ID": r.pnc_id,
            "CRO Number": r.cro,
            "NINO": r.nino,
            "Home Address": r.address,
            "Postcode": r.postcode,
            "Mobile": r.phone,
            "Offences": "; ".join(d.offences),
            "Devices Seized": "; ".join(d.devices),
            "Disposal": d.disposal,
        }
        line = self.csv.row({self._col(k): v for k, v in values.items()})
        self.csv.note(line, number, mentions=[mention] if mention else [], identifiers=ids, planted=d.planted)

    def write_bad(self, rng: random.Random) -> None:
        """Plant a detention with neither a custody number nor an ASN."""
        line = self.csv.row({self._col("Surname"): "UNKNOWN", self._col("Offences"): "Drunk and disorderly"})
        self.csv.note(line, "", quarantined="no custody or arrest/summons number")

    def close(self) -> FileStats:
        self.csv.close()
        return self.csv.stats


class MissingExport:
    """One force's missing-person export."""

    def __init__(self, root: Path, seed: int, force: Force, ledger: Ledger) -> None:
        self.force = force
        self.rng = stream(seed, "missing-file", force.code)
        # The found-with columns draw from their own stream: the other columns are written as before.
        self.company_rng = stream(seed, "missing-file-found-with", force.code)
        self.csv = CsvExport(
            root,
            f"{force.code}/missing.csv",
            _MISSING,
            fmt="missing",
            force=force.code,
            system="MISSING",
            ledger=ledger,
        )
        self.count = 0

    def write(self, e: Episode) -> None:
        self.count += 1
        rng = self.rng
        reference = f"MFH/{self.force.code}/{e.reported.year % 100}/{self.count:05d}"
        record_id = f"{reference}#{e.episode}"
        assert e.missing.human is not None
        r = render(e.missing.human, rng, care=e.missing.care, detail=0.8, record_ids=0.0)
        mention, ids = nominal_facts(self.csv, record_id, "missing", e.missing, r)
        found = e.found_place
        found_line = found.line() if isinstance(found, Address) else (found or "")
        found_postcode = postcode_text(found.postcode, rng) if isinstance(found, Address) else ""
        if isinstance(found, Address):
            ids.append(("postcode", found.postcode))
        values = {
            "MFH Ref": reference,
            "Episode No": str(e.episode),
            "Surname": r.name.surname.upper(),
            "Forename": r.name.forenames,
            "DOB": r.dob,
            "Gender": r.sex,
            "Ethnicity": r.ethnicity_self,
            "Home Address": r.address,
            "Postcode": r.postcode,
            "Mobile": r.phone,
            "Reported Missing": local_time_text(e.reported, rng),
            "Last Seen": local_time_text(e.last_seen_at, rng),
            "Last Seen Location": e.last_seen_place,
            "Missing From": e.missing_from,
            "Missing From Address": e.missing_from_address.line(),
            "Risk Level": e.risk_level,
            "Risk Factors": "; ".join(e.risk_factors),
            "LAC": "Y" if e.looked_after else "N",
            "Date Found": local_time_text(e.found_at, rng) if e.found_at else "",
            "Found Location": found_line,
            "Found Postcode": found_postcode,
        }
        company, company_mention, company_ids = self._found_with(record_id, e.found_with)
        line = self.csv.row({**values, **company})
        mentions = [m for m in (mention, company_mention) if m is not None]
        self.csv.note(line, record_id, mentions=mentions, identifiers=ids + company_ids, planted=e.planted)

    def _found_with(
        self, record_id: str, named: Named | None
    ) -> tuple[dict[str, str], Mention | None, list[tuple[str, str]]]:
        """The found-with columns (name, DOB, mobile), their truth and the identifiers written."""
        if named is None or named.human is None:
            return {}, None, []
        rng = self.company_rng
        r = render(named.human, rng, care=named.care, detail=named.detail, record_ids=0.0)
        mention, found = nominal_facts(self.csv, record_id, "found_with", named, r)
        name = r.name
        written = (
            f"{name.surname.upper()}, {name.forenames}"
            if chance(rng, 0.5)
            else f"{name.forenames} {name.surname.title()}"
        )
        columns = {"Found With": written, "Found With DOB": r.dob, "Found With Mobile": r.phone}
        return columns, mention, [i for i in found if i[0] == "phone"]  # the only identifier written

    def write_bad(self, rng: random.Random) -> None:
        """Plant an episode with no reference."""
        line = self.csv.row(
            {"Surname": "SMITH", "Forename": "Kayla", "DOB": "31/02/2011", "Risk Level": "Low"}
        )
        self.csv.note(line, "", quarantined="no missing-person reference")

    def close(self) -> FileStats:
        self.csv.close()
        return self.csv.stats

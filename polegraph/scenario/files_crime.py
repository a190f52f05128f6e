"""Crime exports in three layouts: Niche (CSV, numbered nominals), Athena (CSV, role-named groups)
and Connect (JSON lines, nominals, vehicles and phones nested); the columns are in ``crime_layouts``.

Each force uses one layout, so the loaders' column aliases and both of the crime loader's input
forms are exercised. Planted bad records: an occurrence without a reference (CSV) and a line cut
off mid-object (JSON lines); both must be quarantined.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

from polegraph.scenario.crime_layouts import (
    SYSTEMS,
    Written,
    athena_header,
    connect_object,
    csv_values,
    niche_header,
    nominal_parts,
)
from polegraph.scenario.forces import Force
from polegraph.scenario.nominal import Named, Rendered, render
from polegraph.scenario.output import CsvExport, ExportFile, FileStats, nominal_facts
from polegraph.scenario.rand import stream
from polegraph.scenario.records import Occurrence
from polegraph.scenario.truth import Ledger, Mention


class CrimeExport:
    """One force's crime export in its layout; ``write`` assigns each occurrence its reference."""

    def __init__(self, root: Path, seed: int, force: Force, layout: str, ledger: Ledger) -> None:
        self.force, self.layout = force, layout
        self.rng = stream(seed, "crime-file", force.code)
        system = SYSTEMS[layout]
        name = f"{force.code}/crime_{layout}.{'jsonl' if layout == 'connect' else 'csv'}"
        self.csv: CsvExport | None = None
        if layout == "connect":
            self.export = ExportFile(root, name, fmt="crime", force=force.code, system=system, ledger=ledger)
            self._jsonl = self.export.path.open("w", encoding="utf-8", newline="\n")
            self.line = 0
        else:
            header = niche_header() if layout == "niche" else athena_header()
            self.csv = CsvExport(
                root,
                name,
                header,
                fmt="crime",
                force=force.code,
                system=system,
                ledger=ledger,
                crlf=layout == "athena",
            )
            self.export = self.csv
        self.count = 0

    def reference(self, occ: Occurrence) -> str:
        self.count += 1
        yy = occ.reported.year % 100
        if self.layout == "niche":
            return f"{self.force.prefix}/{yy}/{self.count:06d}"
        if self.layout == "athena":
            return f"CRI-{self.force.code}-{self.count:07d}"
        return f"CON/{self.force.code}/{yy}/{self.count:06d}"

    def _nominal(self, named: Named) -> Rendered | None:
        if named.human is None or named.description:
            return None
        ids = 0.6 if named.role in ("SUSPECT", "ARRESTED", "OFFENDER") else 0.03
        rendered = render(
            named.human, self.rng, care=named.care, detail=named.detail, record_ids=ids, alias=named.alias
        )
        if self.layout != "athena":
            return rendered
        # One name column: systems print "KHAN, Mohammed"; users also type "Mohammed Khan", or
        # "KHAN Mohammed", which a parser reads with the forename as the surname.
        style = self.rng.choice(("surname_first",) * 5 + ("natural",) * 4 + ("order_swapped",))
        distortions = rendered.distortions + (("order_swapped",) if style == "order_swapped" else ())
        return replace(rendered, name_style=style, distortions=distortions)

    def write(self, occ: Occurrence) -> None:
        ref = self.reference(occ)
        mentions: list[Mention] = []
        ids: list[tuple[str, str]] = [("phone", p) for p, _ in occ.phones]
        ids += [("vrm", v.vrm) for v, _ in occ.vehicles]
        written: Written = []
        for part, named in nominal_parts(self.layout, occ):
            rendered = self._nominal(named)
            # A described nominal keeps its sex in the Niche and Connect layouts: the loader makes a Person.
            mention, found = nominal_facts(
                self.export, ref, part, named, rendered, described_node=self.layout != "athena"
            )
            if mention is not None:
                mentions.append(mention)
            ids += found
            written.append((part, named, rendered))
        if occ.scene is not None:
            ids.append(("postcode", occ.scene.postcode))
        if self.csv is None:
            obj = connect_object(ref, self.force.code, occ, written, self.rng)
            line = self._write_json(json.dumps(obj, ensure_ascii=False))
        else:
            line = self.csv.row(csv_values(self.layout, ref, occ, written, self.rng))
        self.export.note(line, ref, mentions=mentions, identifiers=ids, planted=occ.planted, text=occ.mo)

    def _write_json(self, text: str) -> int:
        self.line += 1
        self._jsonl.write(text + "\n")
        return self.line

    def write_bad(self, rng: random.Random) -> None:
        """Plant a record the loader must quarantine."""
        if self.layout == "connect":
            ref = f"CON/{self.force.code}/24/{900000 + self.export.stats.records:06d}"
            line = self._write_json(
                f'{{"reference": "{ref}", "crime_type": "Theft from motor vehicle", "nomin'
            )
            self.export.note(line, ref, quarantined="not a JSON object (line cut off)")
            return
        assert self.csv is not None
        column = "Occurrence Ref" if self.layout == "niche" else "Crime Number"
        other = "Offence Description" if self.layout == "niche" else "Offence"
        line = self.csv.row({column: "", other: rng.choice(("Theft - shoplifting", "Criminal damage"))})
        self.export.note(line, "", quarantined="no occurrence reference")

    def close(self) -> FileStats:
        if self.csv is not None:
            self.csv.close()
        else:
            self._jsonl.close()
        return self.export.stats

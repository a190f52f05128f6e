"""The records the search tests run on: two forces' crime and intelligence exports, as CSV files.

West Yorkshire (WYP) and Greater Manchester (GMP) both hold records about a Mohammed/Muhammad
KHAN; each force has a report only it may read (handling code C) and a SECRET one. Everything is
loaded through the real loaders (``polegraph.ingest.load_file``); the narratives are then embedded
by the real model, the vectors written to the graph, and the index rebuilt from the graph.
"""

from __future__ import annotations

from pathlib import Path

from polegraph.security.policy import Principal

WYP_CRIMES = """\
Occurrence Ref,Offence Description,Committed From,Address,Postcode,MO,Nominal 1 Role,Nominal 1 Surname,\
Nominal 1 Forenames,Nominal 1 Aliases,Nominal 1 DOB,Nominal 1 Phone,Nominal 1 Email,Nominal 1 VRM,\
Nominal 1 PNC ID,Nominal 1 NINO,Nominal 1 Address,Nominal 1 Postcode
WY/24/1001,Child sexual exploitation,2024-03-01T21:00:00,"Premier Inn, Rochdale",OL16 1AA,\
Girl aged 14 taken to a hotel in Rochdale by older men,Suspect,KHAN,Mohammed Imran,Mo,19/05/1987,\
07911 123456,M.Khan87@Example.com,YX65 ABC,08/56560Z,JT 45 67 89 D,"12 High Street, Rochdale",OL16 1AA
WY/24/1002,Theft from the person,2024-03-04T10:00:00,"Bus station, Leeds",LS2 7HR,\
Phone snatched from the victim's hand,Victim,KHAN,Muhammad,,1987,07700 900111,,,,,,
WY/24/1003,Burglary dwelling,2024-02-10T02:00:00,"3 Oak Avenue, Leeds",LS6 2QT,\
Rear window forced and jewellery taken,Suspect,SMITH,William,,04/03/1990,,,,,,\
"3 Oak Avenue, Leeds",LS6 2QT
WY/24/1004,Assault,2024-02-12T23:00:00,"Kirkgate, Leeds",LS1 6BR,Punched outside a takeaway,Victim,\
O'NEILL,Sean,,11/11/1979,,,,,,,
WY/24/1005,Fraud by false representation,2024-01-05T09:00:00,,,Online fraud using a cloned card,Suspect,\
JOHNSTONE,Katherine,,22/08/1975,,,,,,,
WY/24/1006,Possession of cannabis,2024-01-20T15:00:00,"Roundhay Road, Leeds",LS8 5AB,Cannabis found in a car,\
Suspect,HUSSAIN,Mohammed Ali,,01/01/1985,,,,,,,
WY/24/1007,Criminal damage,2024-01-22T01:00:00,,,Shop window smashed,Suspect,KHAN,Amir,,1990,,,,,,,
"""

INTEL_HEADER = (
    "URN,Date Recorded,Date of Intelligence,Submitting Officer,Source Type,Grading Scheme,Source Evaluation,"
    "Intelligence Assessment,Handling Code,Handling Conditions,Classification,Sanitised Text,Subject 1 Name,"
    "Subject 1 DOB,Subject 1 Role,Phones,VRMs\n"
)
WYP_INTEL = INTEL_HEADER + (
    "WY-INT-1,02/03/2024,01/03/2024,PC 101,CHIS,3x5x2,2,B,P,,OFFICIAL,"
    "A 14 year old girl was taken by two older men to a hotel in Rochdale late at night.,"
    "Mohammed KHAN,19/05/1987,Subject,07911123456,\n"
    "WY-INT-2,03/03/2024,03/03/2024,DC 202,Officer,3x5x2,1,A,C,Not to be shared outside the WYP CSE team,"
    "OFFICIAL-SENSITIVE,KHAN is believed to supply cannabis from a flat on Oak Avenue in Leeds; he drives "
    "YX65 ABC and answers 07911 123456.,,,,,\n"
    "WY-INT-3,04/03/2024,04/03/2024,DS 303,CHIS,3x5x2,2,A,P,,SECRET,"
    "Covert source reports a girl moved between hotels in Rochdale and Oldham.,,,,,\n"
)
GMP_INTEL = INTEL_HEADER + (
    "GM-INT-1,05/03/2024,05/03/2024,PC 11,Public,3x5x2,3,C,P,,OFFICIAL,"
    "Young girl picked up from her care home by an older man in a black Audi and driven to a hotel.,"
    "Muhammad Khan,1987,Subject,07700 900222,BD51 SMR\n"
    "GM-INT-2,06/03/2024,06/03/2024,PC 12,Officer,3x5x2,2,B,C,GMP only,OFFICIAL,"
    "Mohammed Khan seen with a missing child at a Manchester hotel.,,,,,\n"
    "GM-INT-3,07/03/2024,07/03/2024,DS 13,CHIS,3x5x2,1,A,P,,SECRET,"
    "Girl taken to a hotel in Rochdale; the source is highly sensitive.,,,,,\n"
)

# (format, file name, text, force)
FILES = (
    ("crime", "wyp_crimes.csv", WYP_CRIMES, "WYP"),
    ("intel", "wyp_intel.csv", WYP_INTEL, "WYP"),
    ("intel", "gmp_intel.csv", GMP_INTEL, "GMP"),
)

WYP_OFFICER = Principal("w.officer", "WYP", clearance="OFFICIAL-SENSITIVE", roles=frozenset({"investigator"}))
GMP_OFFICER = Principal("g.officer", "GMP", clearance="OFFICIAL", roles=frozenset({"investigator"}))
# Reads GMP's records under a sharing agreement, but not those GMP shares only under conditions.
WYP_ANALYST = Principal(
    "w.analyst", "WYP", frozenset({"GMP"}), clearance="OFFICIAL-SENSITIVE", roles=frozenset({"analyst"})
)

KHAN_CRIME = "person:WYP:CRIME:WY/24/1001:nominal1"  # KHAN, Mohammed Imran, 19/05/1987, the identifiers
KHAN_1987 = "person:WYP:CRIME:WY/24/1002:nominal1"  # KHAN, Muhammad, 1987
SMITH = "person:WYP:CRIME:WY/24/1003:nominal1"  # SMITH, William, 04/03/1990
ONEILL = "person:WYP:CRIME:WY/24/1004:nominal1"
JOHNSTONE = "person:WYP:CRIME:WY/24/1005:nominal1"
HUSSAIN = "person:WYP:CRIME:WY/24/1006:nominal1"  # HUSSAIN, Mohammed Ali: a Mohammed who is not a Khan
AMIR_KHAN = "person:WYP:CRIME:WY/24/1007:nominal1"  # a Khan who is not a Mohammed
WY_INT_1 = "intelreport:WYP:INTEL:WY-INT-1"
WY_INT_2 = "intelreport:WYP:INTEL:WY-INT-2"
WY_INT_3 = "intelreport:WYP:INTEL:WY-INT-3"
GM_INT_1 = "intelreport:GMP:INTEL:GM-INT-1"
GM_INT_2 = "intelreport:GMP:INTEL:GM-INT-2"
GM_INT_3 = "intelreport:GMP:INTEL:GM-INT-3"


def write_files(folder: Path) -> list[tuple[str, Path, str]]:
    """The corpus files written to ``folder``: (format, path, force)."""
    written = []
    for fmt, name, text, force in FILES:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append((fmt, path, force))
    return written

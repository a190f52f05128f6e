"""Property types: one place that knows how each kind of value is cleaned, compared and keyed.

Loaders call ``clean`` (never raises; invalid values come back flagged with a reason),
search indexes ``keys`` and ``name_keys``, and the linker calls ``compare`` on normalised
values. Types are looked up by the names the schema uses: ``get_type("phone")``.
"""

from polegraph.types.address import ADDRESS, UPRN, AddressType, UprnType, house_numbers
from polegraph.types.base import TYPES, Cleaned, PropertyType, UnknownPropertyType, get_type
from polegraph.types.date import DATE, DateType, PartialDate, birth_years, dob_forms
from polegraph.types.datetime import (
    DATETIME,
    UK_TIME,
    DateTimeType,
    TimeError,
    event_time,
    parse_datetime,
    parse_zone,
    when,
)
from polegraph.types.email import EMAIL, EmailType, mailbox_key
from polegraph.types.imei import IMEI, ImeiType, imei_tac
from polegraph.types.name import NAME, NameType, compare_names, name_keys
from polegraph.types.name_parse import ParsedName, parse_name
from polegraph.types.nino import NINO, NinoType
from polegraph.types.phone import PHONE, PhoneType, find_phones, is_drama_number, phone_variants
from polegraph.types.pnc import CRO, PNC_ID, CroType, PncIdType
from polegraph.types.postcode import (
    POSTCODE,
    PostcodeType,
    extract_postcode,
    postcode_area,
    postcode_district,
    postcode_sector,
)
from polegraph.types.text import ascii_fold, fold
from polegraph.types.vrm import VRM, VrmType, anpr_key, vrm_format

__all__ = [
    "ADDRESS",
    "CRO",
    "DATE",
    "DATETIME",
    "EMAIL",
    "IMEI",
    "NAME",
    "NINO",
    "PHONE",
    "PNC_ID",
    "POSTCODE",
    "TYPES",
    "UK_TIME",
    "UPRN",
    "VRM",
    "AddressType",
    "Cleaned",
    "CroType",
    "DateTimeType",
    "DateType",
    "EmailType",
    "ImeiType",
    "NameType",
    "NinoType",
    "ParsedName",
    "PartialDate",
    "PhoneType",
    "PncIdType",
    "PostcodeType",
    "PropertyType",
    "TimeError",
    "UnknownPropertyType",
    "UprnType",
    "VrmType",
    "anpr_key",
    "ascii_fold",
    "birth_years",
    "compare_names",
    "dob_forms",
    "event_time",
    "extract_postcode",
    "find_phones",
    "fold",
    "get_type",
    "house_numbers",
    "imei_tac",
    "is_drama_number",
    "mailbox_key",
    "name_keys",
    "parse_datetime",
    "parse_name",
    "parse_zone",
    "phone_variants",
    "postcode_area",
    "postcode_district",
    "postcode_sector",
    "vrm_format",
    "when",
]

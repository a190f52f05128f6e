"""Properties every type keeps on any input: no exceptions, stable normal forms, sane scores."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polegraph.types import TYPES, compare_names, find_phones, get_type, name_keys, phone_variants

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d %B %Y", "%Y%m%d", "%m/%Y", "%Y", "%d-%b-%y", "%B %d, %Y"]

# Input shaped like each type (so that the valid paths are exercised), mixed with any text.
SHAPED: dict[str, st.SearchStrategy[str]] = {
    "phone": st.from_regex(r"(\+|00)?[0-9 ()\-]{0,16}", fullmatch=True),
    "vrm": st.text(alphabet=ALNUM + " -", max_size=10),
    "postcode": st.text(alphabet=ALNUM + " ", max_size=9),
    "imei": st.from_regex(r"(IMEI:? )?[0-9 \-]{0,18}[A-Z]?", fullmatch=True),
    "email": st.from_regex(
        r"[<'\" ]?[a-zA-Z0-9.+_-]{0,8}@?[a-z0-9-]{0,6}(\.[a-z]{1,3}){0,2}[>;. ]?", fullmatch=True
    ),
    "pnc_id": st.from_regex(r"[0-9]{0,4}/?[0-9]{0,7}[A-Z]?", fullmatch=True),
    "cro": st.from_regex(r"(SF ?)?[0-9]{0,6}/?[0-9]{0,6}[A-Z]?", fullmatch=True),
    "nino": st.from_regex(r"[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Z]?", fullmatch=True),
    "date": st.builds(
        lambda d, fmt: d.strftime(fmt),
        st.dates(dt.date(1800, 1, 1), dt.date(2199, 12, 31)),
        st.sampled_from(DATE_FORMATS),
    )
    | st.from_regex(r"[0-9]{1,4}[/.\- ]?[0-9]{0,2}[/.\- ]?[0-9]{0,4}", fullmatch=True),
    "name": st.text(
        alphabet=st.characters(categories=["L", "Zs"]) | st.sampled_from(list(",-'\"().")),
        max_size=40,
    ),
    "address": st.text(alphabet=ALNUM + " ,.-/", max_size=50)
    | st.sampled_from(["12 High St, Manchester M1 1AE", "Flat 3, 4 St Johns Rd", "M1 1AE B2 2BB"]),
    "uprn": st.from_regex(r"0*[0-9]{0,13}(\.0)?", fullmatch=True),
}
assert set(SHAPED) == set(TYPES)

TYPE_NAMES = sorted(TYPES)
EXAMPLES = settings(max_examples=120, deadline=None)


def values_for(name: str) -> st.SearchStrategy[str]:
    return SHAPED[name] | st.text(max_size=40)


@pytest.mark.parametrize("name", TYPE_NAMES)
@EXAMPLES
@given(data=st.data())
def test_clean_never_raises_and_explains_itself(name: str, data: st.DataObject) -> None:
    raw = data.draw(values_for(name))
    cleaned = get_type(name).clean(raw)
    assert cleaned.raw == raw
    if cleaned.valid:
        assert cleaned.normalised is not None
        assert cleaned.reason is None
    else:
        assert cleaned.reason


@pytest.mark.parametrize("name", TYPE_NAMES)
@EXAMPLES
@given(data=st.data())
def test_normalisation_is_idempotent(name: str, data: st.DataObject) -> None:
    prop_type = get_type(name)
    cleaned = prop_type.clean(data.draw(values_for(name)))
    if cleaned.normalised is None:
        return
    again = prop_type.clean(cleaned.normalised)
    assert again.normalised == cleaned.normalised
    if cleaned.valid:
        assert again.valid


@pytest.mark.parametrize("name", TYPE_NAMES)
@EXAMPLES
@given(data=st.data())
def test_compare_is_symmetric_and_bounded(name: str, data: st.DataObject) -> None:
    prop_type = get_type(name)
    a = prop_type.normalise(data.draw(values_for(name)))
    b = prop_type.normalise(data.draw(values_for(name)))
    if a is None or b is None:
        return
    score = prop_type.compare(a, b)
    assert 0.0 <= score <= 1.0
    assert prop_type.compare(b, a) == score
    assert prop_type.compare(a, a) == 1.0


@pytest.mark.parametrize("name", TYPE_NAMES)
@EXAMPLES
@given(data=st.data())
def test_specificity_and_keys_are_well_formed(name: str, data: st.DataObject) -> None:
    prop_type = get_type(name)
    normalised = prop_type.normalise(data.draw(values_for(name)))
    if normalised is None:
        return
    assert 0.0 <= prop_type.specificity(normalised) <= 1.0
    keys = prop_type.keys(normalised)
    assert keys
    for kind, values in keys.items():
        assert isinstance(kind, str)
        assert all(isinstance(value, str) and value for value in values)


@EXAMPLES
@given(a=st.text(max_size=40), b=st.text(max_size=40))
def test_name_functions_take_any_text(a: str, b: str) -> None:
    score = compare_names(a, b)
    assert 0.0 <= score <= 1.0
    assert compare_names(b, a) == score
    for values in name_keys(a).values():
        assert len(values) == len(set(values))


@EXAMPLES
@given(query=st.text(max_size=30))
def test_phone_helpers_take_any_text(query: str) -> None:
    for variant in phone_variants(query) + find_phones(query):
        assert variant.startswith("+")
        assert variant[1:].isdigit()

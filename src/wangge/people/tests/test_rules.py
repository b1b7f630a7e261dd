"""The importer's fast paths for ID numbers and mobile phones must accept
and refuse exactly what the core validators accept and refuse."""

import datetime as dt
import random

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from wangge.core.idnumbers import make_id_number
from wangge.core.validators import normalize_id_number, normalize_phone
from wangge.people import rules


def _core_id(value):
    try:
        return normalize_id_number(value)
    except ValidationError as exc:
        return ("error", " ".join(exc.messages))


def _fast_id(value):
    try:
        return rules.id_number(value).value
    except rules.Invalid as exc:
        return ("error", exc.message)


def _mutations(number: str) -> list[str]:
    out = [number, number.lower(), f" {number[:6]} {number[6:]} ", number[:17], number + "1"]
    out.append(number[:17] + random.choice("0123456789X"))
    out.append("00" + number[2:])  # no such province
    out.append(number[:10] + "13" + number[12:])  # month 13
    out.append(number[:6] + "1880" + number[10:])
    out.append(number[:6] + "2999" + number[10:])  # in the future
    out.append(number[:12] + "31" + number[14:])
    out.append(number[:5] + "A" + number[6:])
    return out


@settings(max_examples=150, deadline=None)
@given(
    born=st.dates(min_value=dt.date(1890, 1, 1), max_value=dt.date(2024, 12, 31)),
    seq=st.integers(0, 99),
    sex=st.sampled_from("MF"),
    region=st.sampled_from(["330402", "110101", "540102", "820000", "990000", "000000"]),
)
def test_fast_id_number_path_agrees_with_core_validator(born, seq, sex, region):
    for value in _mutations(make_id_number(region, born, seq, sex)):
        assert _fast_id(value) == _core_id(value), value


def test_fast_id_number_path_gives_the_same_birth_date_and_sex():
    number = make_id_number("330402", dt.date(1956, 3, 18), 12, "F")
    parsed = rules.id_number(number)
    assert (parsed.birth_date, parsed.sex) == (dt.date(1956, 3, 18), "F")


@pytest.mark.parametrize("seed", range(3))
def test_mobile_prefix_cache_agrees_with_phonenumbers(seed):
    rng = random.Random(seed)
    for _ in range(400):
        value = "1" + "".join(rng.choice("0123456789") for _ in range(10))
        try:
            expected = normalize_phone(value)
        except ValidationError as exc:
            expected = ("error", " ".join(exc.messages))
        try:
            got = rules.phone(value).value
        except rules.Invalid as exc:
            got = ("error", exc.message)
        assert got == expected, value


def test_fixed_lines_and_formats_still_go_through_phonenumbers():
    assert rules.phone("0573-8201 2345").value == "057382012345"
    assert rules.phone("+86 138 5731 2345").value == "13857312345"
    with pytest.raises(rules.Invalid):
        rules.phone("12345")

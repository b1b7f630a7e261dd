"""Validation of the identifiers grid workers type in: each returns the
normalized value or raises ValidationError with a Chinese message."""

from __future__ import annotations

import datetime as dt

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from stdnum.cn import ric, uscc

# Province-level prefixes of GB/T 2260 (plus 71/81/82 for Taiwan, HK, Macao).
PROVINCE_PREFIXES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)


def normalize_id_number(value: str) -> str:
    """18-digit 居民身份证号: format, check digit, birth date, province.

    Deliberately not python-stdnum's county-by-birth-year check: it rejects
    real numbers of people born before their county code existed (IDs were
    first issued in 1984-85 with the codes of that day)."""
    value = (value or "").strip().upper().replace(" ", "")
    if not value:
        raise ValidationError("身份证号不能为空", code="required")
    if len(value) != 18:
        raise ValidationError(
            "身份证号应为18位（当前%(n)d位）", code="length", params={"n": len(value)}
        )
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise ValidationError("身份证号只能由数字和末位X组成", code="format")
    if ric.calc_check_digit(value) != value[17]:
        raise ValidationError("身份证号校验位错误", code="checksum")
    if value[:2] not in PROVINCE_PREFIXES:
        raise ValidationError("身份证号的地区码无效", code="region")
    try:
        birth = ric.get_birth_date(value)
    except Exception as exc:
        raise ValidationError("身份证号中的出生日期无效", code="birth_date") from exc
    if birth > timezone.localdate() or birth.year < 1890:
        raise ValidationError("身份证号中的出生日期无效", code="birth_date")
    return value


def id_number_birth_date(value: str) -> dt.date:
    return ric.get_birth_date(value)


def id_number_sex(value: str) -> str:
    return "M" if int(value[16]) % 2 else "F"


def normalize_phone(value: str) -> str:
    """Mainland mobile (11 digits, 1[3-9]x) or fixed line with area code."""
    raw = (value or "").strip().replace(" ", "").replace("-", "")
    if not raw:
        raise ValidationError("电话号码不能为空", code="required")
    if raw.startswith("+86"):
        raw = raw[3:]
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("电话号码格式错误", code="format") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError("电话号码无效", code="invalid")
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    digits = "".join(ch for ch in national if ch.isdigit())
    return digits


def normalize_uscc(value: str) -> str:
    value = (value or "").strip().upper().replace(" ", "")
    if not value:
        raise ValidationError("统一社会信用代码不能为空", code="required")
    if len(value) != 18:
        raise ValidationError(
            "统一社会信用代码应为18位（当前%(n)d位）", code="length", params={"n": len(value)}
        )
    try:
        uscc.validate(value)
    except Exception as exc:
        if type(exc).__name__ == "InvalidChecksum":
            raise ValidationError("统一社会信用代码校验位错误", code="checksum") from exc
        raise ValidationError("统一社会信用代码格式错误", code="format") from exc
    return value

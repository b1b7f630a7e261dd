"""Building valid identifiers (for generated data and tests): 身份证号 with
its ISO 7064 MOD 11-2 check digit, 统一社会信用代码 with its GB 32100 check."""

from __future__ import annotations

import datetime as dt

_RIC_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_RIC_CHECK = "10X98765432"


def ric_check_digit(first17: str) -> str:
    return _RIC_CHECK[sum(int(c) * w for c, w in zip(first17, _RIC_WEIGHTS, strict=True)) % 11]


def make_id_number(region: str, birth: dt.date, seq: int, sex: str) -> str:
    """region: 6 digits; seq: 0-99 (the two digits before the sex digit);
    sex 'M' gives an odd 17th digit, 'F' an even one."""
    sex_digit = (seq * 7 + 1) % 10
    if (sex == "M") != (sex_digit % 2 == 1):
        sex_digit = (sex_digit + 1) % 10
    first17 = f"{region}{birth:%Y%m%d}{seq % 100:02d}{sex_digit}"
    return first17 + ric_check_digit(first17)


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def _org_check(code8: str) -> str:
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(code8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(region: str, serial: int, kind: str = "91") -> str:
    """kind: registration authority + type, e.g. '91' enterprise, '92'
    individual business, '12' public institution, '11' agency, '52' social org."""
    org8 = f"{serial % 10**8:08d}"
    body = f"{kind}{region}{org8}{_org_check(org8)}"
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_ALPHABET[(31 - total % 31) % 31]

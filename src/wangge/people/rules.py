"""Field rules for base data, shared by the services (one row at a time) and
the importers (100k rows at a time): each function takes what a person typed
and returns the normalized value, or raises `Invalid` with a zh-Hans message.

Placement lives here too: a row sits in a grid and maybe a micro-grid; its
`district`, `grid`, `micro_grid` and `area_path` columns are derived from them."""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils import timezone

from wangge.areas.models import Area, GridKind, Level
from wangge.areas.paths import STEP
from wangge.core import crypto
from wangge.core.masking import mask_id_number, mask_phone
from wangge.core.validators import (
    PROVINCE_PREFIXES,
    id_number_birth_date,
    id_number_sex,
    normalize_id_number,
    normalize_phone,
    normalize_uscc,
)

from .models import Building, Organization, Resident


class Invalid(Exception):
    """One field's value is wrong; `message` is what the person reads."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# ---------------------------------------------------------------- text fields


def text(value: str | None, *, label: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(f"{label}不能为空")
    if len(value) > max_length:
        raise Invalid(f"{label}不能超过{max_length}个字")
    return value


def building_code(value: str | None) -> str:
    """楼栋编码: up to 5 digits, stored zero-padded to 5."""
    value = (value or "").strip()
    if not value:
        raise Invalid("楼栋编码不能为空")
    if not value.isdigit() or len(value) > 5:
        raise Invalid("楼栋编码应为1-5位数字")
    return value.zfill(5)


def positive_int(value, *, label: str, maximum: int, required: bool = False) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(f"{label}不能为空")
        return None
    try:
        number = int(str(value).strip())
    except ValueError as exc:
        raise Invalid(f"{label}应为整数") from exc
    if number < 0 or number > maximum:
        raise Invalid(f"{label}应在0到{maximum}之间")
    return number


def coordinate(value, *, label: str, low: float, high: float) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip())
    except ValueError as exc:
        raise Invalid(f"{label}应为数字") from exc
    if not low <= number <= high:
        raise Invalid(f"{label}应在{low:g}到{high:g}之间")
    return number


def lng(value) -> float | None:
    return coordinate(value, label="经度", low=73.0, high=136.0)


def lat(value) -> float | None:
    return coordinate(value, label="纬度", low=3.0, high=54.0)


def choice(value: str | None, choices, *, label: str, aliases: dict[str, str] | None = None):
    """Accept a choice by its Chinese label (what a grid worker sees), by an
    alias, or by its code (what the API sends)."""
    value = (value or "").strip()
    if not value:
        raise Invalid(f"{label}不能为空")
    by_label, codes, options = _choice_maps(choices)
    if value in by_label:
        return by_label[value]
    if aliases and value in aliases:
        return aliases[value]
    if value in codes:
        return value
    raise Invalid(f"{label}“{value}”无效，应为：{options}")


@lru_cache(maxsize=32)
def _choice_maps(choices) -> tuple[dict[str, str], frozenset[str], str]:
    """Label → code, the codes, and the labels for a message: computed once
    per choices class (labels are lazy translations, slow to render 100k times)."""
    by_label = {str(lbl): code for code, lbl in choices.choices}
    return by_label, frozenset(choices.values), "、".join(by_label)


TRUE_WORDS = frozenset(["是", "Y", "YES", "TRUE", "1", "党员", "中共党员", "√"])
FALSE_WORDS = frozenset(["否", "N", "NO", "FALSE", "0", "", "群众", "×"])


def yes_no(value, *, label: str) -> bool:
    if isinstance(value, bool):
        return value
    word = (value or "").strip().upper()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise Invalid(f"{label}应填“是”或“否”")


RELATIONSHIP_ALIASES = {"本人": "head", "妻": "spouse", "夫": "spouse", "妻子": "spouse",
                        "丈夫": "spouse", "子": "child", "女": "child", "儿子": "child",
                        "女儿": "child", "父亲": "parent", "母亲": "parent", "孙子": "grandchild",
                        "孙女": "grandchild", "外孙": "grandchild", "外孙女": "grandchild",
                        "祖父": "grandparent", "祖母": "grandparent", "兄弟": "sibling",
                        "姐妹": "sibling"}  # fmt: skip
RESIDENCE_ALIASES = {"户籍人口": "registered", "人户一致": "registered", "户籍": "registered",
                     "人户分离": "away", "流动人口": "migrant", "流动": "migrant"}  # fmt: skip
BUILDING_KIND_ALIASES = {"住宅": "residential", "商业": "commercial", "商住": "mixed"}


def relationship(value: str | None) -> str:
    return choice(value, Resident.Relationship, label="与户主关系", aliases=RELATIONSHIP_ALIASES)


def residence(value: str | None) -> str:
    if not (value or "").strip():
        return Resident.Residence.REGISTERED
    return choice(value, Resident.Residence, label="居住类型", aliases=RESIDENCE_ALIASES)


def building_kind(value: str | None) -> str:
    if not (value or "").strip():
        return Building.Kind.RESIDENTIAL
    return choice(value, Building.Kind, label="楼栋类型", aliases=BUILDING_KIND_ALIASES)


def organization_kind(value: str | None) -> str:
    return choice(value, Organization.Kind, label="单位类型")


SCIENTIFIC = re.compile(r"^\d+(\.\d+)?E\+?\d+$", re.IGNORECASE)


# ------------------------------------------------------------------- identity


@dataclass(frozen=True, slots=True)
class IdNumber:
    value: str
    sex: str
    birth_date: dt.date
    hash: str
    masked: str

    def encrypt(self) -> str:
        return crypto.encrypt(self.value)


ID_SHAPE = re.compile(r"\d{17}[\dX]")
_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RIC_CHECK = "10X98765432"


@lru_cache(maxsize=4)
def _today(_hour: int) -> dt.date:
    return timezone.localdate()


def _quick_id_number(value: str) -> dt.date | None:
    """The birth date of a well-formed, valid ID number, or None when the
    full validator must decide (and word the error). Checks exactly what
    `normalize_id_number` checks, ~10x faster, for 100k-row imports."""
    if not ID_SHAPE.fullmatch(value) or value[:2] not in PROVINCE_PREFIXES:
        return None
    total = sum(int(c) * w for c, w in zip(value, _RIC_WEIGHTS, strict=False))
    if _RIC_CHECK[total % 11] != value[17]:
        return None
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None
    if birth.year < 1890 or birth > _today(int(time.time() // 3600)):
        return None
    return birth


def id_number(value: str | None) -> IdNumber:
    raw = (value or "").strip()
    if SCIENTIFIC.match(raw):
        raise Invalid("身份证号被保存成了科学计数法数字，末几位已丢失；请把该列设为文本后重新填写")
    number = raw.upper().replace(" ", "")
    birth = _quick_id_number(number)
    if birth is None:
        try:
            number = normalize_id_number(raw)
        except ValidationError as exc:
            raise Invalid(_message(exc)) from exc
        birth = id_number_birth_date(number)
    return IdNumber(
        value=number,
        sex=id_number_sex(number),
        birth_date=birth,
        hash=crypto.keyed_hash(number),
        masked=mask_id_number(number),
    )


@dataclass(frozen=True, slots=True)
class Phone:
    value: str
    hash: str
    masked: str

    def encrypt(self) -> str:
        return crypto.encrypt(self.value)


NO_PHONE = Phone("", "", "")


MOBILE = re.compile(r"1\d{10}")


@lru_cache(maxsize=65536)
def _mobile_prefix_valid(prefix: str) -> bool:
    """Whether an 11-digit mobile number is valid depends only on its first
    digits (at most five in the numbering plan; seven are used here), so
    phonenumbers runs once per prefix instead of once per row."""
    try:
        normalize_phone(prefix + "0" * (11 - len(prefix)))
    except ValidationError:
        return False
    return True


def _normalize_phone(raw: str) -> str:
    compact = raw.replace(" ", "").replace("-", "")
    compact = compact.removeprefix("+86")
    if MOBILE.fullmatch(compact) and _mobile_prefix_valid(compact[:7]):
        return compact
    try:
        return normalize_phone(raw)
    except ValidationError as exc:
        raise Invalid(_message(exc)) from exc


def phone(value: str | None, *, required: bool = False) -> Phone:
    raw = (value or "").strip()
    if not raw and not required:
        return NO_PHONE
    if SCIENTIFIC.match(raw):
        raise Invalid("电话号码被保存成了科学计数法数字；请把该列设为文本后重新填写")
    number = _normalize_phone(raw)
    return Phone(number, crypto.keyed_hash(number), mask_phone(number))


def clear_phone(value: str | None) -> str:
    """A phone stored in clear (an organization's contact number)."""
    return phone(value).value


def uscc(value: str | None) -> str:
    try:
        return normalize_uscc(value or "")
    except ValidationError as exc:
        raise Invalid(_message(exc)) from exc


def check_sex_and_birth(number: IdNumber, sex: str | None, birth_date: dt.date | None) -> None:
    """Sex and birth date come from the ID number; a given value must agree."""
    if sex and sex != number.sex:
        raise Invalid("性别与身份证号不一致")
    if birth_date and birth_date != number.birth_date:
        raise Invalid("出生日期与身份证号不一致")


CARE_SEPARATORS = re.compile(r"[、,，;；/\s]+")


def care_group_names(value: str | None) -> list[str]:
    return [name for name in CARE_SEPARATORS.split((value or "").strip()) if name]


# ------------------------------------------------------------------ placement


@dataclass(frozen=True, slots=True)
class Place:
    district_id: int
    grid_id: int
    micro_grid_id: int | None
    area_path: str

    def apply(self, obj) -> None:
        obj.district_id = self.district_id
        obj.grid_id = self.grid_id
        obj.micro_grid_id = self.micro_grid_id
        obj.area_path = self.area_path

    def differs(self, obj) -> bool:
        return (obj.grid_id, obj.micro_grid_id, obj.area_path) != (
            self.grid_id,
            self.micro_grid_id,
            self.area_path,
        )

    @classmethod
    def of(cls, obj) -> Place:
        return cls(obj.district_id, obj.grid_id, obj.micro_grid_id, obj.area_path)


DISTRICT_PATH_LENGTH = 2 * STEP


def check_grid(grid: Area, micro_grid: Area | None) -> None:
    if grid.level != Level.GRID:
        raise Invalid("所选区域不是网格")
    if micro_grid is None:
        return
    if micro_grid.level != Level.MICRO_GRID:
        raise Invalid("所选区域不是微网格")
    if grid.grid_kind == GridKind.DEDICATED:
        raise Invalid("专属网格不设微网格")
    if micro_grid.parent_id != grid.pk:
        raise Invalid("微网格不属于所选网格")


def place_in(grid: Area, micro_grid: Area | None, district_id: int | None = None) -> Place:
    """The placement columns for a row in `grid` (and `micro_grid`)."""
    check_grid(grid, micro_grid)
    if district_id is None:
        district_id = (
            Area.objects.filter(path=grid.path[:DISTRICT_PATH_LENGTH])
            .values_list("pk", flat=True)
            .get()
        )
    return Place(
        district_id=district_id,
        grid_id=grid.pk,
        micro_grid_id=micro_grid.pk if micro_grid else None,
        area_path=micro_grid.path if micro_grid else grid.path,
    )

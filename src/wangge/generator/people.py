"""Households and the people in them: composition, ages on a realistic
pyramid, ID numbers unique by construction, phones, care groups."""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import random
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

from django.conf import settings

from wangge.core.idnumbers import make_id_number

from .names import names

# Ages are counted from a fixed day, so a seed gives the same city whenever
# it is generated.
REFERENCE_DATE = dt.date(2025, 6, 30)
REF_ORDINAL = REFERENCE_DATE.toordinal()
DAYS_PER_YEAR = 365.2425

# Population by five-year age band (China, 7th census 2020, per mille),
# 0-4 … 95-99.
_PYRAMID_5Y = [
    54, 63, 62, 53, 53, 60, 87, 70, 66, 80, 86, 72, 52, 51, 35, 23, 16, 8, 3, 1,
]  # fmt: skip
PYRAMID = [w / 5 for w in _PYRAMID_5Y for _ in range(5)]  # per single year 0..99


class AgeSampler:
    def __init__(self, weights: list[float] = PYRAMID):
        self.weights = weights

    @lru_cache(maxsize=256)  # noqa: B019 - one sampler per process, few ranges
    def _cum(self, lo: int, hi: int) -> tuple[list[int], list[float]]:
        ages = list(range(lo, hi + 1))
        return ages, list(accumulate(self.weights[a] for a in ages))

    def age(self, rng: random.Random, lo: int, hi: int) -> int:
        lo, hi = max(lo, 0), min(hi, len(self.weights) - 1)
        if hi <= lo:
            return lo
        ages, cum = self._cum(lo, hi)
        return ages[bisect.bisect_right(cum, rng.random() * cum[-1])]


ages = AgeSampler()


def birth_ordinal(rng: random.Random, age: int) -> int:
    """A birth day for someone `age` years old on the reference date."""
    return REF_ORDINAL - int(age * DAYS_PER_YEAR) - int(rng.random() * 365)


# -- ID numbers ---------------------------------------------------------------------

_BASE_ORDINAL = dt.date(1900, 1, 1).toordinal()
_SLOTS = (REF_ORDINAL - _BASE_ORDINAL + 1) * 2


class IdAllocator:
    """身份证号 unique by construction: every (region, birth day, sex) has
    a counter for the two sequence digits; when one is full (100 people
    of the same sex born the same day in the same county), the next day is
    used. Memory: 92 KB per region code seen."""

    def __init__(self) -> None:
        self._counters: dict[str, bytearray] = {}

    def reserve(self, id_number: str) -> None:
        """Mark an existing number's sequence (and every lower one) as taken
        for its region, birth day and sex."""
        try:
            ordinal = dt.date(
                int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14])
            ).toordinal()
            seq = int(id_number[14:16])
            sex = "M" if int(id_number[16]) % 2 else "F"
        except (ValueError, IndexError):
            return
        if not _BASE_ORDINAL <= ordinal <= REF_ORDINAL:
            return  # never allocated: nothing to avoid
        counters = self._counters.get(id_number[:6])
        if counters is None:
            counters = self._counters[id_number[:6]] = bytearray(_SLOTS)
        idx = (ordinal - _BASE_ORDINAL) * 2 + (sex == "F")
        counters[idx] = max(counters[idx], seq + 1)

    def allocate(self, region: str, ordinal: int, sex: str) -> tuple[str, int]:
        """-> (id number, the birth ordinal actually used)."""
        counters = self._counters.get(region)
        if counters is None:
            counters = self._counters[region] = bytearray(_SLOTS)
        step = 1
        while True:
            idx = (ordinal - _BASE_ORDINAL) * 2 + (sex == "F")
            seq = counters[idx]
            if seq < 100:
                counters[idx] = seq + 1
                return make_id_number(region, dt.date.fromordinal(ordinal), seq, sex), ordinal
            if ordinal + step > REF_ORDINAL:
                step = -1
            ordinal += step


# -- phones ---------------------------------------------------------------------------

MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "198",
    "199",
]


def mobile(rng: random.Random) -> str:
    return MOBILE_PREFIXES[int(rng.random() * len(MOBILE_PREFIXES))] + (
        f"{int(rng.random() * 100_000_000):08d}"
    )


def staff_mobile(n: int) -> str:
    """A distinct valid mobile number for every 0 <= n < 3.2e9: n -> (prefix,
    k) is a bijection, and so is each of the two scramblings below."""
    p, k = n % len(MOBILE_PREFIXES), n // len(MOBILE_PREFIXES)
    prefix = MOBILE_PREFIXES[(p * 7 + 3) % len(MOBILE_PREFIXES)]  # 7 is coprime to 32
    return prefix + f"{(k * 73_939_133 + 12_345_678) % 100_000_000:08d}"  # coprime to 10**8


# -- where migrants come from ---------------------------------------------------------

# Province code -> share of migrants (Jiaxing draws most from these).
MIGRANT_PROVINCES = {
    "34": 22,  # 安徽
    "41": 14,  # 河南
    "36": 10,  # 江西
    "52": 10,  # 贵州
    "51": 9,  # 四川
    "43": 7,  # 湖南
    "42": 7,  # 湖北
    "32": 6,  # 江苏
    "33": 6,  # 浙江 (other cities)
    "53": 5,  # 云南
    "45": 4,  # 广西
}
COUNTIES_PER_PROVINCE = 30


@dataclass(frozen=True)
class Region:
    code: str
    address: str  # 安徽省阜阳市临泉县


def _csv(name: str) -> list[dict[str, str]]:
    path = Path(settings.NODE_MODULES) / "china-division" / "dist" / name
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=4)
def migrant_regions(exclude_city4: str) -> tuple[tuple[Region, ...], tuple[int, ...]]:
    """Counties migrants come from (a fixed sample per province, from the
    real codes in china-division) and cumulative weights."""
    provinces = {r["code"]: r["name"] for r in _csv("provinces.csv")}
    cities = {r["code"]: r["name"] for r in _csv("cities.csv")}
    by_province: dict[str, list[Region]] = {p: [] for p in MIGRANT_PROVINCES}
    for r in _csv("areas.csv"):
        p = r["provinceCode"]
        if p not in by_province or r["cityCode"] == exclude_city4 or r["name"] == "市辖区":
            continue
        city = cities.get(r["cityCode"], "")
        city = "" if city in ("市辖区", "县", "省直辖县级行政区划") else city
        address = "".join(ch for ch in f"{provinces[p]}{city}{r['name']}" if ch not in "\\\t\n\r")
        by_province[p].append(Region(r["code"], address))
    regions: list[Region] = []
    weights: list[int] = []
    for p, share in MIGRANT_PROVINCES.items():
        pool = sorted(by_province[p], key=lambda x: x.code)
        pick = random.Random(f"counties:{p}").sample(pool, min(COUNTIES_PER_PROVINCE, len(pool)))
        regions.extend(sorted(pick, key=lambda x: x.code))
        weights.extend([share] * len(pick))
    return tuple(regions), tuple(accumulate(weights))


# -- households -------------------------------------------------------------------------

# Household types: (name, weight urban, weight rural, weight migrant).
HOUSEHOLD_TYPES = [
    ("single_young", 12, 7, 26),
    ("single_elderly", 8, 9, 0),
    ("couple_young", 9, 6, 19),
    ("couple_elderly", 14, 18, 1),
    ("nuclear", 36, 31, 40),
    ("three_gen", 14, 25, 5),
    ("shared", 7, 4, 9),
]
_TYPE_NAMES = [t[0] for t in HOUSEHOLD_TYPES]
_TYPE_CUM = {
    "urban": list(accumulate(t[1] for t in HOUSEHOLD_TYPES)),
    "rural": list(accumulate(t[2] for t in HOUSEHOLD_TYPES)),
    "migrant": list(accumulate(t[3] for t in HOUSEHOLD_TYPES)),
}


@dataclass(slots=True)
class Member:
    relationship: str
    sex: str
    age: int
    surname: str = ""


def _other(sex: str) -> str:
    return "F" if sex == "M" else "M"


def household_type(rng: random.Random, profile: str) -> str:
    cum = _TYPE_CUM[profile]
    return _TYPE_NAMES[bisect.bisect_right(cum, rng.random() * cum[-1])]


def members(rng: random.Random, kind: str) -> list[Member]:
    """Who lives in a household of this type (head first)."""
    r = rng.random
    a = ages.age
    if kind == "single_young":
        return [Member("head", "M" if r() < 0.55 else "F", a(rng, 18, 40))]
    if kind == "single_elderly":
        return [Member("head", "F" if r() < 0.62 else "M", a(rng, 65, 99))]
    if kind == "couple_young":
        h = a(rng, 22, 40)
        return [Member("head", "M", h), Member("spouse", "F", max(20, h - int(r() * 5)))]
    if kind == "couple_elderly":
        h = a(rng, 58, 95)
        return [Member("head", "M", h), Member("spouse", "F", max(50, h - int(r() * 6)))]
    if kind == "shared":
        n = 2 + int(r() * 3)
        return [Member("head" if i == 0 else "other", "M" if r() < 0.6 else "F", a(rng, 18, 50)) for i in range(n)]  # fmt: skip
    head_sex = "M" if r() < 0.8 else "F"
    h = a(rng, 27, 60) if kind == "nuclear" else a(rng, 30, 60)
    out = [Member("head", head_sex, h), Member("spouse", _other(head_sex), max(20, h - 3 + int(r() * 6)))]  # fmt: skip
    x = r()
    n_children = 1 if x < 0.55 else (2 if x < 0.95 else 3)
    for _ in range(n_children):
        out.append(Member("child", "M" if r() < 0.52 else "F", a(rng, 0, min(h - 20, 30))))
    if kind == "three_gen":
        for sex in ("M", "F") if r() < 0.55 else (("F",) if r() < 0.6 else ("M",)):
            out.append(Member("parent", sex, min(99, h + 22 + int(r() * 12))))
    return out


def name_members(rng: random.Random, people: list[Member], *, local: bool) -> None:
    """Surnames: children and the head's father carry the family name."""
    family = names.surname(rng, local=local)
    for m in people:
        if m.relationship in ("head", "child") or (m.relationship == "parent" and m.sex == "M"):
            m.surname = family if rng.random() < 0.9 else names.surname(rng, local=local)
        else:
            m.surname = names.surname(rng, local=local)

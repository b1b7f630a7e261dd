"""Organizations: the one a dedicated grid is named after (a school, a
hospital, a market, an agency, an office tower, a factory), the tenants
and stalls inside it, and the shops of ordinary grids."""

from __future__ import annotations

import random
from dataclasses import dataclass

from wangge.areas.models import DedicatedKind
from wangge.people.models import Organization

from .names import BRAND_WORDS, BUILDING_TOWERS, INDUSTRIES, SHOP_KINDS, STALL_GOODS, names

Kind = Organization.Kind

# USCC registration authority + type: 11 agency, 12 public institution,
# 52 social organization, 91 enterprise, 92 individual business.
USCC_TYPE = {
    Kind.AGENCY: "11",
    Kind.SCHOOL: "12",
    Kind.HOSPITAL: "12",
    Kind.SOCIAL: "52",
    Kind.ENTERPRISE: "91",
    Kind.MARKET: "91",
    Kind.OTHER: "91",
    Kind.SHOP: "92",
}


def short(name: str) -> str:
    """南湖区 -> 南湖, 建设街道 -> 建设, 新塍镇 -> 新塍, 芦席汇社区 -> 芦席汇."""
    for suffix in ("街道", "社区", "新区", "镇", "乡", "区", "县", "市", "村"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@dataclass
class Place:
    city: str
    district: str
    street: str
    community: str


@dataclass
class OrgSpec:
    name: str
    kind: str
    employees: int
    uscc_type: str = ""

    def __post_init__(self):
        self.uscc_type = self.uscc_type or USCC_TYPE[self.kind]


def _brand(rng: random.Random) -> str:
    return BRAND_WORDS[int(rng.random() * len(BRAND_WORDS))]


def company(rng: random.Random, p: Place) -> str:
    industry = rng.choice(INDUSTRIES)
    head = rng.choice(["浙江", p.city, short(p.city), short(p.district)])
    return f"{head}{_brand(rng)}{industry}{rng.choice(['有限公司', '有限公司', '股份有限公司'])}"


def dedicated(rng: random.Random, kind: str, p: Place) -> tuple[str, list[OrgSpec]]:
    """(the grid's title, the organizations in it: the main one first)."""
    b = _brand(rng)
    town = p.street.endswith("镇")
    if kind == DedicatedKind.SCHOOL:
        name = rng.choice(
            [
                f"{p.city}{p.district}{short(p.street)}中心小学",
                f"{p.city}{b}实验小学",
                f"{p.district}{b}中学",
                f"{p.city}{short(p.district)}{b}学校",
                f"{short(p.street)}{b}幼儿园",
            ]
        )
        return name, [OrgSpec(name, Kind.SCHOOL, rng.randint(40, 260))]
    if kind == DedicatedKind.HOSPITAL:
        public = [
            f"{p.district}第{rng.choice('一二三')}人民医院",
            f"{p.street}{'卫生院' if town else '社区卫生服务中心'}",
            f"{p.district}中医医院",
        ]
        if rng.random() < 0.3:
            name = f"{p.city}{b}医院"
            return name, [OrgSpec(name, Kind.HOSPITAL, rng.randint(60, 400), "91")]
        name = rng.choice(public)
        return name, [OrgSpec(name, Kind.HOSPITAL, rng.randint(60, 1200))]
    if kind == DedicatedKind.MARKET:
        name = f"{short(p.street)}{b}农贸市场"
        orgs = [OrgSpec(f"{p.city}{b}市场管理有限公司", Kind.MARKET, rng.randint(8, 40))]
        for _ in range(rng.randint(10, 40)):
            owner = names.surname(rng)
            goods = rng.choice(STALL_GOODS)
            orgs.append(OrgSpec(f"{p.district}{owner}记{goods}摊", Kind.SHOP, rng.randint(1, 3)))
        return name, orgs
    if kind == DedicatedKind.AGENCY:
        name = rng.choice(
            [
                f"{p.street}{'人民政府' if town else '办事处'}",
                f"{p.street}便民服务中心",
                f"{p.district}人民法院{short(p.street)}法庭",
                f"{p.district}行政服务中心",
                f"{p.district}{rng.choice(['税务局', '自然资源和规划分局', '市场监督管理局', '人力资源和社会保障局'])}",
            ]
        )
        return name, [OrgSpec(name, Kind.AGENCY, rng.randint(20, 300))]
    if kind == DedicatedKind.OFFICE_TOWER:
        tower = f"{b}{rng.choice(BUILDING_TOWERS)}"
        orgs = [OrgSpec(f"{p.city}{b}物业服务有限公司", Kind.ENTERPRISE, rng.randint(10, 60))]
        for _ in range(rng.randint(8, 30)):
            orgs.append(OrgSpec(company(rng, p), Kind.ENTERPRISE, rng.randint(5, 200)))
        return tower, orgs
    # enterprise
    name = company(rng, p)
    return name, [OrgSpec(name, Kind.ENTERPRISE, rng.randint(80, 3000))]


def shop(rng: random.Random, p: Place, *, rural: bool) -> OrgSpec:
    if rural and rng.random() < 0.3:
        return OrgSpec(company(rng, p), Kind.ENTERPRISE, rng.randint(10, 120))
    owner = names.surname(rng)
    return OrgSpec(f"{p.district}{owner}记{rng.choice(SHOP_KINDS)}", Kind.SHOP, rng.randint(1, 8))

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema
from pydantic import Field

from wangge.areas.schemas import AreaBrief


class OrgIn(Schema):
    area_id: int
    kind: str = Field(description="committee / general_branch / branch / group")
    name: str = Field(max_length=200)
    parent_id: int | None = None
    secretary: str = ""


class OrgOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    area: AreaBrief
    parent_id: int | None
    secretary: str
    is_active: bool


class BastionOut(Schema):
    period: str
    score: float = Field(description="堡垒指数 0–100")
    members: int
    member_mean: float | None = Field(description="党员先锋指数平均值")
    households: int
    linked_households: int
    visited_households: int | None
    ratings: int
    satisfied: int
    parts: dict[str, float | None] = Field(description="各分项得分 0–1（无数据为 null，不计入）")


class OrgDetailOut(OrgOut):
    children: list[OrgOut]
    bastion: BastionOut


class MemberIn(Schema):
    org_id: int
    resident_id: int | None = None
    user_id: int | None = None
    status: str = "formal"
    joined_on: dt.date | None = None
    in_service: bool = False
    workplace: str = ""


class MemberOut(Schema):
    id: int
    name: str
    org_id: int
    org_name: str
    status: str
    in_service: bool
    workplace: str
    links: int


class VanguardOut(Schema):
    period: str
    score: float = Field(description="先锋指数 0–100")
    visits: int
    cases_reported: int
    cases_handled: int
    service_hours: Decimal
    rating: float | None
    ratings: int
    parts: dict[str, float | None]


class LinkOut(Schema):
    id: int
    household_id: int
    address: str
    since: dt.date


class RegistrationOut(Schema):
    id: int
    community: AreaBrief
    registered_on: dt.date


class ActivityOut(Schema):
    title: str
    area_name: str
    starts_at: dt.datetime
    hours: Decimal


class MemberDetailOut(MemberOut):
    vanguard: VanguardOut
    household_links: list[LinkOut]
    registration: RegistrationOut | None
    activities: list[ActivityOut]


class LinkIn(Schema):
    household_id: int
    since: dt.date | None = None


class RegistrationIn(Schema):
    community_id: int
    registered_on: dt.date | None = None


class CoverageOut(Schema):
    area: AreaBrief
    households: int
    linked: int
    rate: float | None
    members: int

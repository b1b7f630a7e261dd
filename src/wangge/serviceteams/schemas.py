from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema
from pydantic import Field

from wangge.areas.schemas import AreaBrief


class TeamMemberOut(Schema):
    id: int
    name: str
    duty: str
    is_leader: bool
    phone: str = Field(description="工作人员、外部专业人员为工作电话；居民为脱敏号码")
    source: str = Field(description="staff / resident / external")


class TeamOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    level: str
    area: AreaBrief
    services: list[str]
    promise: str
    phone: str
    is_active: bool


class TeamDetailOut(TeamOut):
    members: list[TeamMemberOut]
    grids: list[AreaBrief]


class TeamIn(Schema):
    area_id: int
    name: str = Field(max_length=200)
    kind: str = Field(description="management / professional / volunteer")
    services: list[str] = Field(
        default_factory=list, description="服务内容，如 帮孤助残、家电维修、法律服务"
    )
    promise: str = ""
    phone: str = ""


class TeamPatch(Schema):
    name: str | None = None
    services: list[str] | None = None
    promise: str | None = None
    phone: str | None = None
    is_active: bool | None = None


class MemberIn(Schema):
    user_id: int | None = Field(default=None, description="工作人员账号")
    resident_id: int | None = Field(default=None, description="居民（志愿者）")
    name: str = Field(default="", description="外部专业人员姓名")
    work_phone: str = Field(default="", description="外部专业人员工作电话")
    duty: str = ""
    is_leader: bool = False


class GridsIn(Schema):
    grid_ids: list[int]


class ServiceDayIn(Schema):
    area_id: int
    date: dt.date
    theme: str = Field(max_length=200)


class ServiceDayOut(Schema):
    id: int
    area: AreaBrief
    month: dt.date
    date: dt.date
    theme: str


class ActivityIn(Schema):
    team_id: int
    area_id: int
    title: str = Field(max_length=200)
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str = ""
    capacity: int = 0
    service_day_id: int | None = None


class ActivityOut(Schema):
    id: int
    title: str
    team_id: int
    team_name: str
    area: AreaBrief
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    status: str
    service_day_theme: str
    signed: int
    attended: int
    my_status: str = Field(description="本人报名状态：空、signed、attended、cancelled")


class SignupOut(Schema):
    id: int
    name: str
    status: str
    signed_at: dt.datetime
    checked_in_at: dt.datetime | None
    hours: Decimal


class ActivityDetailOut(ActivityOut):
    signups: list[SignupOut]


class CheckInIn(Schema):
    signup_id: int
    hours: Decimal | None = Field(default=None, description="服务时长（小时），默认为活动时长")


class HoursOut(Schema):
    hours: Decimal
    activities: int


class CardProfileIn(Schema):
    promises: list[str] = Field(default_factory=list)
    hotline: str = ""


class CardProfileOut(Schema):
    area: AreaBrief
    promises: list[str]
    hotline: str

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from wangge.areas.schemas import AreaBrief


class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=150, description="用户名或手机号")
    password: str = Field(min_length=1, max_length=256)
    label: str = Field(default="", max_length=100, description="用途，如“网格通 App”")
    days: int = Field(default=30, ge=1, le=365, description="有效天数")


class TokenOut(Schema):
    token: str = Field(description="Bearer 令牌，只返回这一次")
    token_type: str = "Bearer"
    expires_at: dt.datetime
    user_id: int
    kind: str


class RoleOut(Schema):
    id: int
    role: str
    role_label: str
    area: AreaBrief
    department_id: int | None = None


class HouseholdBrief(Schema):
    id: int
    address: str


class MeOut(Schema):
    id: int
    username: str
    name: str
    kind: str
    phone: str | None
    is_superuser: bool
    resident_status: str
    home_grid: AreaBrief | None
    household: HouseholdBrief | None = Field(default=None, description="已核实居民的本户")
    roles: list[RoleOut]
    scope_paths: list[str] = Field(
        description="可见区域的路径前缀；超级管理员为空且 unrestricted 为真"
    )
    unrestricted: bool


class RegisterIn(Schema):
    phone: str = Field(max_length=20)
    password: str = Field(max_length=256)
    name: str = Field(max_length=50)
    grid_id: int


class RegisteredOut(Schema):
    id: int
    resident_status: str
    home_grid: AreaBrief


class PendingResidentOut(Schema):
    id: int
    name: str
    phone_masked: str
    home_grid: AreaBrief
    registered_at: dt.datetime


class VerifyIn(Schema):
    resident_id: int = Field(description="居民档案 ID")


class RejectIn(Schema):
    reason: str = Field(default="", max_length=200)


class ResidentUserOut(Schema):
    id: int
    name: str
    resident_status: str
    resident_id: int | None

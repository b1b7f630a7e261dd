from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from wangge.areas.schemas import AreaBrief


class MemberOut(Schema):
    assignment_id: int
    user_id: int
    name: str
    role: str
    role_label: str
    phone: str = Field(description="工作电话（印在民情联系卡上，不脱敏）")
    area_id: int
    area_name: str


class GridTeamOut(Schema):
    grid: AreaBrief
    leader: MemberOut | None = Field(description="网格长")
    worker: MemberOut | None = Field(description="专职网格员")
    instructor: MemberOut | None = Field(description="网格指导员")
    members: list[MemberOut] = Field(description="兼职网格员、微网格长、网格助理员等（N）")
    incomplete: bool = Field(description="缺少网格长或专职网格员")
    missing: list[str] = Field(description="缺少的角色")
    missing_labels: list[str]


class IncompleteTeamOut(Schema):
    grid_id: int
    grid_code: str
    grid_name: str
    missing: list[str]
    missing_labels: list[str]


class DepartmentOut(Schema):
    id: int
    name: str
    short_name: str
    level: str
    level_label: str
    area: AreaBrief
    phone: str


class AssignmentIn(Schema):
    user_id: int
    role: str = Field(description="角色代码，如 grid_worker")
    area_id: int
    department_id: int | None = None


class AssignmentOut(Schema):
    id: int
    user_id: int
    user_name: str
    role: str
    role_label: str
    area: AreaBrief
    department_id: int | None
    is_active: bool
    created_at: dt.datetime

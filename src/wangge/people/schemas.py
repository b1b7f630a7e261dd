"""API shapes of base data. Personal data leaves only masked (`id_number`,
`phone` are the stored masked copies); `care_groups` is null with
`care_groups_masked: true` where the actor's role does not see care groups."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

Kind = Literal["buildings", "households", "residents", "organizations"]


class PlaceOut(Schema):
    grid_id: int
    grid_name: str
    micro_grid_id: int | None
    micro_grid_name: str | None


# ------------------------------------------------------------------ buildings


class BuildingOut(PlaceOut):
    id: int
    code: str = Field(description="网格内5位楼栋编码")
    name: str
    address: str
    kind: str
    kind_label: str
    floors: int | None
    lng: float | None
    lat: float | None


class BuildingIn(Schema):
    grid_id: int
    micro_grid_id: int | None = Field(default=None, description="专属网格不设微网格")
    code: str = Field(description="1-5位数字，存为5位")
    name: str
    address: str
    kind: str = Field(default="residential", description="类型编码或中文名称")
    floors: int | None = None
    lng: float | None = None
    lat: float | None = None


class BuildingPatch(Schema):
    grid_id: int | None = None
    micro_grid_id: int | None = None
    code: str | None = None
    name: str | None = None
    address: str | None = None
    kind: str | None = None
    floors: int | None = None
    lng: float | None = None
    lat: float | None = None


class BuildingPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[BuildingOut]


# ----------------------------------------------------------------- households


class HouseholdOut(PlaceOut):
    id: int
    building_id: int
    building_code: str
    building_name: str
    unit: str
    room: str
    size: int
    address: str


class HouseholdIn(Schema):
    building_id: int
    unit: str = ""
    room: str
    size: int = 1
    address: str = Field(default="", description="不填则由楼栋地址、单元和室号组成")


class HouseholdPatch(Schema):
    building_id: int | None = None
    unit: str | None = None
    room: str | None = None
    size: int | None = None
    address: str | None = None


class HouseholdPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[HouseholdOut]


# ------------------------------------------------------------------ residents


class ResidentOut(PlaceOut):
    id: int
    household_id: int
    address: str
    name: str
    sex: str
    sex_label: str
    birth_date: dt.date
    age: int
    id_number: str = Field(description="脱敏的身份证号；明文须调用 unmask")
    phone: str = Field(description="脱敏的电话；明文须调用 unmask")
    relationship: str
    relationship_label: str
    residence: str
    residence_label: str
    registered_address: str
    is_party_member: bool
    care_groups: list[str] | None = Field(description="重点人群；无权查看时为 null")
    care_groups_masked: bool


class ResidentIn(Schema):
    household_id: int
    name: str
    id_number: str = Field(description="18位身份证号；性别和出生日期由它得出")
    phone: str = ""
    relationship: str = Field(description="与户主关系：编码或中文名称")
    residence: str = "registered"
    registered_address: str = ""
    is_party_member: bool = False
    sex: Literal["M", "F"] | None = Field(default=None, description="可不填；填写须与身份证号一致")
    birth_date: dt.date | None = Field(default=None, description="可不填；填写须与身份证号一致")
    care_groups: list[str] | None = Field(default=None, description="重点人群编码或名称")


class ResidentPatch(Schema):
    household_id: int | None = None
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    relationship: str | None = None
    residence: str | None = None
    registered_address: str | None = None
    is_party_member: bool | None = None


class ResidentPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ResidentOut]


class CareGroupsIn(Schema):
    groups: list[str] = Field(description="重点人群编码或名称；空列表表示移出全部")


class UnmaskIn(Schema):
    fields: list[Literal["id_number", "phone"]] = Field(
        default=["id_number", "phone"], min_length=1
    )
    reason: str = Field(min_length=1, max_length=200, description="查看事由，记入审计")


class UnmaskOut(Schema):
    id: int
    id_number: str | None
    phone: str | None


class CareGroupOut(Schema):
    id: int
    code: str
    name: str
    builtin: bool


# -------------------------------------------------------------- organizations


class OrganizationOut(PlaceOut):
    id: int
    name: str
    uscc: str
    kind: str
    kind_label: str
    address: str
    contact_name: str
    contact_phone: str = Field(description="无权查看明文的角色看到脱敏号码")
    employees: int | None
    lng: float | None
    lat: float | None


class OrganizationIn(Schema):
    grid_id: int
    micro_grid_id: int | None = None
    name: str
    uscc: str = Field(description="18位统一社会信用代码")
    kind: str
    address: str
    contact_name: str = ""
    contact_phone: str = ""
    employees: int | None = None
    lng: float | None = None
    lat: float | None = None


class OrganizationPatch(Schema):
    grid_id: int | None = None
    micro_grid_id: int | None = None
    name: str | None = None
    uscc: str | None = None
    kind: str | None = None
    address: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    employees: int | None = None
    lng: float | None = None
    lat: float | None = None


class OrganizationPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[OrganizationOut]


# ------------------------------------------------------------- import report


class RowErrorOut(Schema):
    row: int | None = Field(description="Excel 中的行号（第1行为表头）；整个文件的问题为 null")
    column: str = Field(description="列名")
    message: str = Field(description="问题说明")


class ImportReportOut(Schema):
    kind: Kind
    ok: bool
    code: str = Field(description="ok / invalid_rows / invalid_file / file_too_large")
    message: str
    file_name: str
    rows: int
    created: int
    updated: int
    unchanged: int
    households_created: int
    dry_run: bool
    written: bool
    error_count: int
    errors: list[RowErrorOut] = Field(description="最多列出前1000处")

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema
from pydantic import BaseModel


class Out(BaseModel):
    """A response built from dicts and keyword arguments only, never from
    ORM objects. A plain pydantic model: ninja's `Schema` runs a wrapping
    validator over every nested object to read attributes of ORM instances,
    which made up ~40% of the board's CPU for its 200 rows."""


class CategoryOut(Schema):
    code: str
    name: str
    handling: str
    handling_label: str
    deadline_days: int
    response_hours: int
    departments: list[str]
    grid_may_self_handle: bool
    anonymous_allowed: bool


class MajorOut(Schema):
    code: str
    name: str
    children: list[CategoryOut]


class AreaRef(Out):
    id: int
    code: str
    name: str
    level: str


class CaseIn(Schema):
    description: str = Field(description="问题描述")
    category: str | None = Field(None, description="事项类别编码（4位）；不填则自动推荐")
    lng: float | None = Field(None, description="经度（WGS-84）")
    lat: float | None = Field(None, description="纬度（WGS-84）")
    area_id: int | None = Field(None, description="无定位时选择所在区域")
    address: str = ""
    building_id: int | None = None
    anonymous: bool = Field(False, description="匿名（仅线索举报类事项）")
    proxy_resident_id: int | None = Field(None, description="代办：为该居民上报（网格员）")
    found_on_visit: bool = Field(False, description="走访中发现（网格员）")
    idempotency_key: str = Field("", description="幂等键；也可用 Idempotency-Key 请求头")


class CaseOut(Out):
    id: int
    number: str
    status: str
    status_label: str
    category: str
    category_name: str
    handling: str
    handling_label: str
    source: str
    area: AreaRef
    alert: str
    supervised: bool
    due_at: datetime | None
    created_at: datetime
    department: str | None
    duplicate_of_id: int | None
    version: int


class ReporterOut(Schema):
    name: str
    phone: str
    anonymous: bool
    merged_from: int | None


class CaseDepartmentOut(Schema):
    department_id: int
    department: str
    role: str
    respond_by: datetime | None
    responded_at: datetime | None
    response: str


class AttachmentOut(Schema):
    id: int
    kind: str
    url: str
    content_type: str
    width: int
    height: int
    size: int


class CaseDetailOut(CaseOut):
    description: str
    lng: float | None
    lat: float | None
    address: str
    place: str
    level_area: AreaRef
    team: str
    assignee_id: int | None
    accepted_at: datetime | None
    registered_at: datetime | None
    dispatched_at: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    warn_at: datetime | None
    escalations: int
    rework_count: int
    extension_count: int
    extension_days: int | None
    extension_reason: str
    park_reason: str
    void_reason: str
    rating: int | None
    rating_comment: str
    merged_into_id: int | None
    reporters: list[ReporterOut]
    departments: list[CaseDepartmentOut]
    attachments: list[AttachmentOut]
    moves: list[str] = Field(description="当前用户此刻可执行的操作")


class CaseCreatedOut(Schema):
    created: bool = Field(description="false：相同幂等键的重复提交，返回原工单")
    case: CaseOut
    attachments: list[AttachmentOut]


class CaseListOut(Out):
    count: int = Field(description="总数（超过 10000 时为 10000，见 count_capped）")
    count_capped: bool
    items: list[CaseOut]


class EventOut(Schema):
    id: int
    kind: str
    label: str
    from_status: str
    to_status: str
    actor: str
    at: datetime
    note: str
    data: dict[str, Any]
    attachments: list[AttachmentOut]


class BoardItemOut(Out):
    number: str
    category: str
    place: str
    grid: str
    status: str
    status_label: str
    is_open: bool
    due_at: datetime | None
    alert: str
    days_open: int
    reported_at: date


class BoardGridOut(Out):
    id: int
    name: str
    code: str
    open: int
    cleared: bool


class BoardOut(Out):
    area: AreaRef
    open: int
    items: list[BoardItemOut]
    grids: list[BoardGridOut]


class MetricsOut(Schema):
    start: datetime
    end: datetime
    cases: int
    due: int
    closed: int
    closure_rate: float | None
    on_time_rate: float | None
    rework_rate: float | None
    extension_rate: float | None
    satisfaction_rate: float | None
    rated: int
    avg_hours_to_accept: float | None
    avg_hours_to_handle: float | None
    self_handled_share: float | None
    # Only with department_id: cases as lead / assist / whistled, whistle calls
    # and the share answered by their response deadline.
    department_roles: dict[str, int] | None = None
    whistle_calls: int | None = None
    whistle_response_rate: float | None = None


class ImportOut(Schema):
    created: int
    skipped: int
    case_ids: list[int]
    skipped_ids: list[str]
    errors: list[dict[str, Any]]


class NotificationOut(Schema):
    id: int
    case_id: int | None
    kind: str
    text: str
    created_at: datetime
    read_at: datetime | None

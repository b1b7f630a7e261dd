from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema


class QuotaRuleIn(Schema):
    name: str = Field(max_length=100, description="规则名称")
    role: str = Field(description="适用角色，如 grid_worker、street_cadre")
    area_id: int | None = Field(default=None, description="适用区域；空=全部区域（仅市级管理员）")
    valid_from: date
    household_visits_per_year: int | None = Field(default=None, description="每户每年走访次数下限")
    households_per_month: int | None = Field(default=None, description="每人每月走访户数下限")
    households_per_year: int | None = Field(default=None, description="每人每年走访户数下限")
    group_visits_per_month: int | None = Field(default=None, description="每人每月集体走访下限")
    fixed_days: list[int] = Field(default_factory=list, description="固定进格日，如 [5, 15, 25]")


class QuotaRuleOut(Schema):
    id: int
    name: str
    role: str
    role_label: str
    area_id: int | None
    area_name: str
    valid_from: date
    household_visits_per_year: int | None
    households_per_month: int | None
    households_per_year: int | None
    group_visits_per_month: int | None
    fixed_days: list[int]
    is_active: bool


class VisitIn(Schema):
    household_id: int
    visited_at: datetime | None = None
    lng: float | None = None
    lat: float | None = None
    people_met: str = Field(default="", max_length=200)
    notes: str = Field(default="", max_length=2000)
    issues: str = Field(default="", max_length=2000)
    create_case: bool = Field(default=False, description="把发现的问题直接转为工单")
    category: str | None = Field(default=None, description="工单事项类别编码（选填）")
    idempotency_key: str = Field(default="", max_length=80)


class GroupVisitIn(Schema):
    area_id: int
    topic: str = Field(max_length=100)
    place: str = Field(default="", max_length=200)
    participants: int | None = None
    visited_at: datetime | None = None
    lng: float | None = None
    lat: float | None = None
    notes: str = Field(default="", max_length=2000)
    issues: str = Field(default="", max_length=2000)
    create_case: bool = False
    category: str | None = None
    idempotency_key: str = Field(default="", max_length=80)


class VisitOut(Schema):
    id: int
    kind: str
    household_id: int | None
    address: str
    area_path: str
    visitor_id: int
    visitor: str
    visited_at: datetime
    distance_m: float | None
    far_from_building: bool
    topic: str
    place: str
    people_met: str
    participants: int | None
    notes: str
    issues: str
    case_id: int | None
    created: bool = False


class VisitTargetOut(Schema):
    role: str
    role_label: str
    households_target: int
    households_done: int
    group_visits_target: int
    group_visits_done: int
    fixed_days: list[int]
    due_households: int


class PlanItemOut(Schema):
    household_id: int
    address: str
    grid_id: int
    status: str
    due_on: date
    last_visit_at: datetime | None
    visited_at: datetime | None
    worker_id: int | None


class PlanOut(Schema):
    month: date
    generated: bool
    due: int
    overdue: int
    done: int
    targets: list[VisitTargetOut]
    items: list[PlanItemOut]
    total: int


class PlanItemsOut(Schema):
    items: list[PlanItemOut]
    total: int


class VisitCoverageRow(Schema):
    area_id: int
    name: str
    code: str
    level: str
    households: int
    visited: int
    rate: float | None


class VisitCoverageOut(Schema):
    period: str
    households: int
    visited: int
    rate: float | None
    rows: list[VisitCoverageRow]


class VisitWorkerCoverageOut(Schema):
    user_id: int
    name: str
    role: str
    role_label: str
    grid_id: int
    grid_name: str
    households: int
    visited: int
    rate: float | None


class CarePairIn(Schema):
    resident_id: int
    group: str = Field(description="重点人群编码，如 elderly_alone")
    carer_kind: str = Field(description="party_member / volunteer / worker")
    carer_user_id: int | None = None
    carer_resident_id: int | None = None
    carer_name: str = Field(default="", max_length=50)
    carer_phone: str = Field(default="", max_length=20)
    since: date | None = None


class CarePairOut(Schema):
    id: int
    resident_id: int
    resident_name: str
    group: str
    group_name: str
    grid_id: int
    carer_kind: str
    carer_name: str
    carer_phone: str
    interval_days: int
    since: date
    last_contact_at: datetime | None
    next_due_at: datetime
    overdue: bool
    is_active: bool


class CarePairsOut(Schema):
    items: list[CarePairOut]
    total: int


class CareContactIn(Schema):
    mode: str = Field(description="visit / phone / video / other")
    at: datetime | None = None
    notes: str = Field(default="", max_length=2000)
    lng: float | None = None
    lat: float | None = None
    idempotency_key: str = Field(default="", max_length=80)


class CareContactOut(Schema):
    id: int
    pair_id: int
    mode: str
    at: datetime
    notes: str
    next_due_at: datetime
    created: bool


class CareServiceIn(Schema):
    kind: str = Field(description="meals / repair / medical_escort / cleaning / shopping / other")
    hours: Decimal = Decimal(0)
    at: datetime | None = None
    notes: str = Field(default="", max_length=2000)
    idempotency_key: str = Field(default="", max_length=80)


class CareServiceOut(Schema):
    id: int
    pair_id: int
    kind: str
    kind_label: str
    hours: Decimal
    at: datetime
    notes: str
    created: bool


class WorkerEvaluationRow(Schema):
    rank: int
    user_id: int
    name: str
    grid_id: int
    grid_name: str
    coverage: float | None = Field(description="本月计划户走访完成率")
    on_time: float | None = Field(description="按期处置率")
    satisfaction: float | None = Field(description="满意率（4–5分占比）")
    online: float | None = Field(description="在线率（工作时间）")
    planned: int
    visited: int
    cases_handled: int
    ratings: int
    score: float | None
    eligible: bool = Field(description="在线率达标，可参评十佳")
    top_ten: bool


class WorkerEvaluationOut(Schema):
    street_id: int
    street: str
    month: date
    weights: dict[str, float]
    online_threshold: float
    rows: list[WorkerEvaluationRow]

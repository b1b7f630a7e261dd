"""/api/v1/visits: quota rules, visits (household and group), the monthly
plan, coverage (入户率), overdue lists, care pairs with contacts and service
records. Thin: parse, access_*, one service or selector call."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from ninja import Query, Router, Status

from wangge.accounts.auth import BearerAuth, SessionAuth
from wangge.areas.models import Area
from wangge.areas.schemas import ErrorOut
from wangge.core.errors import DomainError
from wangge.teams.roles import Role
from wangge.teams.scope import scope_for

from . import selectors, services
from .models import CarePair, PlanItem, QuotaRule, ServiceRecord, Visit
from .schemas import (
    CareContactIn,
    CareContactOut,
    CarePairIn,
    CarePairOut,
    CarePairsOut,
    CareServiceIn,
    CareServiceOut,
    GroupVisitIn,
    PlanItemsOut,
    PlanOut,
    QuotaRuleIn,
    QuotaRuleOut,
    VisitCoverageOut,
    VisitIn,
    VisitOut,
    VisitWorkerCoverageOut,
    WorkerEvaluationOut,
)

router = Router(tags=["走访与结对"], auth=[BearerAuth(), SessionAuth()])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _key(request, body_key: str) -> str:
    return (request.headers.get("Idempotency-Key") or body_key or "").strip()


def _area(actor, area_id: int | None) -> Area | None:
    """An area id from a request: only inside the actor's areas."""
    if area_id is None:
        return None
    area = (
        Area.objects.filter(pk=area_id, is_active=True).only("pk", "path", "level", "name").first()
    )
    if area is None or not scope_for(actor).covers(area.path):
        raise DomainError("not_found", services.NOT_FOUND, status=404)
    return area


def _month(value: str | None) -> date:
    if not value:
        return services.month_start(timezone.localdate())
    start, _ = services.period_bounds(value)
    if len(value) != 7 or value[4] != "-" or value[5] == "Q":
        raise DomainError("bad_month", "月份格式应为 2026-11", status=422)
    return start


# ---------------------------------------------------------------- rules
def _rule_out(r: QuotaRule) -> dict:
    return {
        "id": r.pk,
        "name": r.name,
        "role": r.role,
        "role_label": str(Role(r.role).label),
        "area_id": r.area_id,
        "area_name": r.area.name if r.area_id else "全部区域",
        "valid_from": r.valid_from,
        "household_visits_per_year": r.household_visits_per_year,
        "households_per_month": r.households_per_month,
        "households_per_year": r.households_per_year,
        "group_visits_per_month": r.group_visits_per_month,
        "fixed_days": r.fixed_days,
        "is_active": r.is_active,
    }


@router.get("/rules", response={200: list[QuotaRuleOut], **ERRORS}, summary="走访指标规则")
def rules(request):
    return [_rule_out(r) for r in selectors.rule_list(actor=request.auth)]


@router.post("/rules", response={201: QuotaRuleOut, **ERRORS}, summary="新建走访指标规则")
def rule_create(request, payload: QuotaRuleIn):
    data = services.RuleInput(
        **payload.dict(exclude={"area_id", "fixed_days"}),
        area=_area(request.auth, payload.area_id),
        fixed_days=tuple(payload.fixed_days),
    )
    return Status(201, _rule_out(services.rule_create(actor=request.auth, data=data)))


@router.post(
    "/rules/{rule_id}/deactivate", response={200: QuotaRuleOut, **ERRORS}, summary="停用规则"
)
def rule_deactivate(request, rule_id: int):
    rule = selectors.access_rule(actor=request.auth, rule_id=rule_id)
    return _rule_out(services.rule_deactivate(actor=request.auth, rule=rule))


# ---------------------------------------------------------------- visits
def _visit_out(v: Visit, created: bool = False) -> dict:
    return {
        "id": v.pk,
        "kind": v.kind,
        "household_id": v.household_id,
        "address": v.household.address if v.household_id else v.place,
        "area_path": v.area_path,
        "visitor_id": v.visitor_id,
        "visitor": v.visitor.name or v.visitor.username,
        "visited_at": v.visited_at,
        "distance_m": v.distance_m,
        "far_from_building": v.far_from_building,
        "topic": v.topic,
        "place": v.place,
        "people_met": v.people_met,
        "participants": v.participants,
        "notes": v.notes,
        "issues": v.issues,
        "case_id": v.case_id,
        "created": created,
    }


@router.post("/", response={200: VisitOut, 201: VisitOut, **ERRORS}, summary="登记入户走访")
def visit_create(request, payload: VisitIn):
    visit, created = services.visit_record(
        actor=request.auth,
        **payload.dict(exclude={"idempotency_key"}),
        idempotency_key=_key(request, payload.idempotency_key),
    )
    return Status(201 if created else 200, _visit_out(visit, created))


@router.post("/group", response={200: VisitOut, 201: VisitOut, **ERRORS}, summary="登记集体走访")
def group_visit_create(request, payload: GroupVisitIn):
    area = _area(request.auth, payload.area_id)
    visit, created = services.group_visit_record(
        actor=request.auth,
        area=area,
        **payload.dict(exclude={"idempotency_key", "area_id"}),
        idempotency_key=_key(request, payload.idempotency_key),
    )
    return Status(201 if created else 200, _visit_out(visit, created))


@router.get("/", response={200: list[VisitOut], **ERRORS}, summary="走访记录")
def visit_list(request, area_id: int | None = None, mine: bool = False):
    selectors._staff(request.auth)
    rows = selectors.visit_list(actor=request.auth, area=_area(request.auth, area_id), mine=mine)
    return [_visit_out(v) for v in rows]


# ---------------------------------------------------------------- plan, coverage
def _item_out(p: PlanItem) -> dict:
    h = getattr(p, "household_row", None)
    return {
        "household_id": p.household_id,
        "address": h.address if h else "",
        "grid_id": p.grid_id,
        "status": p.status,
        "due_on": p.due_on,
        "last_visit_at": p.last_visit_at,
        "visited_at": p.visited_at,
        "worker_id": p.worker_id,
    }


@router.get("/plan", response={200: PlanOut, **ERRORS}, summary="我的本月走访计划")
def plan(
    request,
    month: str | None = None,
    status: str | None = Query(None, pattern="^(due|overdue)$"),
    offset: int = Query(0, ge=0),
    limit: int = Query(30, ge=1, le=200),
):
    selectors._staff(request.auth)
    m = _month(month)
    summary = selectors.plan_summary(actor=request.auth, month=m)
    items, total = selectors.plan_items(
        actor=request.auth, month=m, status=status, offset=offset, limit=limit
    )
    return {
        "month": summary.month,
        "generated": summary.generated,
        "due": summary.due,
        "overdue": summary.overdue,
        "done": summary.done,
        "targets": summary.targets,
        "items": [_item_out(p) for p in items],
        "total": total,
    }


@router.get("/overdue", response={200: PlanItemsOut, **ERRORS}, summary="超期未走访户")
def overdue(
    request,
    month: str | None = None,
    area_id: int | None = None,
    offset: int = Query(0, ge=0),
    limit: int = Query(30, ge=1, le=200),
):
    selectors._staff(request.auth)
    items, total = selectors.plan_items(
        actor=request.auth,
        month=_month(month),
        mine=False,
        status=PlanItem.Status.OVERDUE,
        open_only=True,
        area=_area(request.auth, area_id),
        offset=offset,
        limit=limit,
    )
    return {"items": [_item_out(p) for p in items], "total": total}


@router.get("/coverage", response={200: VisitCoverageOut, **ERRORS}, summary="入户率")
def coverage(request, period: str | None = None, area_id: int | None = None):
    selectors._staff(request.auth)
    return selectors.coverage(actor=request.auth, period=period, area=_area(request.auth, area_id))


@router.get(
    "/coverage/workers",
    response={200: list[VisitWorkerCoverageOut], **ERRORS},
    summary="网格员入户率",
)
def worker_coverage(request, period: str | None = None, area_id: int | None = None):
    selectors._staff(request.auth)
    return selectors.worker_coverage(
        actor=request.auth, period=period, area=_area(request.auth, area_id)
    )


@router.get(
    "/evaluation", response={200: WorkerEvaluationOut, **ERRORS}, summary="网格员月度考评与十佳排名"
)
def evaluation(request, street_id: int, month: str | None = None):
    from .evaluation import street_evaluation

    street = Area.objects.filter(pk=street_id).only("pk", "path", "level", "name").first()
    return street_evaluation(actor=request.auth, street=street, month=_month(month))


@router.get("/{visit_id}", response={200: VisitOut, **ERRORS}, summary="一次走访")
def visit_detail(request, visit_id: int):
    return _visit_out(selectors.access_visit(actor=request.auth, visit_id=visit_id))


# ---------------------------------------------------------------- care
def _pair_out(p: CarePair) -> dict:
    return {
        "id": p.pk,
        "resident_id": p.resident_id,
        "resident_name": p.resident.name,
        "group": p.group.code,
        "group_name": p.group.name,
        "grid_id": p.grid_id,
        "carer_kind": p.carer_kind,
        "carer_name": p.carer_name,
        "carer_phone": p.carer_phone_masked,
        "interval_days": p.interval_days,
        "since": p.since,
        "last_contact_at": p.last_contact_at,
        "next_due_at": p.next_due_at,
        "overdue": p.next_due_at < timezone.now(),
        "is_active": p.is_active,
    }


@router.get("/care/pairs", response={200: CarePairsOut, **ERRORS}, summary="结对关爱")
def pairs(
    request,
    overdue: bool = False,
    offset: int = Query(0, ge=0),
    limit: int = Query(30, ge=1, le=200),
):
    rows, total = selectors.care_pairs(
        actor=request.auth, overdue=overdue, offset=offset, limit=limit
    )
    return {"items": [_pair_out(p) for p in rows], "total": total}


@router.post("/care/pairs", response={201: CarePairOut, **ERRORS}, summary="建立结对")
def pair_create(request, payload: CarePairIn):
    pair = services.care_pair_create(actor=request.auth, **payload.dict())
    return Status(201, _pair_out(pair))


@router.get("/care/pairs/{pair_id}", response={200: CarePairOut, **ERRORS}, summary="一个结对")
def pair_detail(request, pair_id: int):
    return _pair_out(selectors.access_pair(actor=request.auth, pair_id=pair_id))


@router.post(
    "/care/pairs/{pair_id}/contacts",
    response={200: CareContactOut, 201: CareContactOut, **ERRORS},
    summary="登记结对联系",
)
def contact_create(request, pair_id: int, payload: CareContactIn):
    pair = selectors.access_pair(actor=request.auth, pair_id=pair_id)
    contact, created = services.care_contact_record(
        actor=request.auth,
        pair=pair,
        **payload.dict(exclude={"idempotency_key"}),
        idempotency_key=_key(request, payload.idempotency_key),
    )
    pair.refresh_from_db(fields=["next_due_at"])
    return Status(
        201 if created else 200,
        {
            "id": contact.pk,
            "pair_id": pair.pk,
            "mode": contact.mode,
            "at": contact.at,
            "notes": contact.notes,
            "next_due_at": pair.next_due_at,
            "created": created,
        },
    )


@router.post(
    "/care/pairs/{pair_id}/services",
    response={200: CareServiceOut, 201: CareServiceOut, **ERRORS},
    summary="登记关爱服务",
)
def service_create(request, pair_id: int, payload: CareServiceIn):
    pair = selectors.access_pair(actor=request.auth, pair_id=pair_id)
    rec, created = services.service_record_create(
        actor=request.auth,
        pair=pair,
        **payload.dict(exclude={"idempotency_key"}),
        idempotency_key=_key(request, payload.idempotency_key),
    )
    return Status(
        201 if created else 200,
        {
            "id": rec.pk,
            "pair_id": pair.pk,
            "kind": rec.kind,
            "kind_label": str(ServiceRecord.Kind(rec.kind).label),
            "hours": rec.hours,
            "at": rec.at,
            "notes": rec.notes,
            "created": created,
        },
    )

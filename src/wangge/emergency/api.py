"""/api/v1/emergency: 平战转换 — switch on, progress by grid, assign
emergency workers, fill the household checklist, switch back."""

from __future__ import annotations

from ninja import Header, Query, Router, Status

from wangge.accounts.auth import BearerAuth, SessionAuth
from wangge.accounts.models import User
from wangge.areas import selectors as area_selectors
from wangge.areas.schemas import ErrorOut
from wangge.core.errors import DomainError, PermissionDenied
from wangge.people import selectors as people
from wangge.teams.scope import scope_for

from . import selectors, services
from .models import EmergencyMode
from .schemas import (
    AnswerIn,
    AnswerOut,
    AssignIn,
    AssignOut,
    EndIn,
    ModeDetailOut,
    ModeIn,
    ModeOut,
)

router = Router(tags=["平战转换"], auth=[BearerAuth(), SessionAuth()])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _staff(request) -> None:
    if not scope_for(request.auth).is_staff_scope:
        raise PermissionDenied("not_allowed", "仅工作人员可用")


def _out(m: EmergencyMode) -> dict:
    return {
        "id": m.pk,
        "area_id": m.area_id,
        "area": m.area.name,
        "reason": m.reason,
        "status": m.status,
        "households": m.households,
        "started_at": m.started_at,
        "ended_at": m.ended_at,
        "fields": m.fields,
        "summary": m.summary,
    }


def _answer(a, done: bool = False) -> dict:
    return {
        "id": a.pk,
        "household_id": a.household_id,
        "address": a.household.address,
        "answers": a.answers,
        "alert": a.alert,
        "case_id": a.case_id,
        "filled_at": a.filled_at,
        "done": done,
    }


@router.get("/", response={200: list[ModeOut], **ERRORS})
def mode_list(request, status: str | None = None):
    """与本人辖区相关的应急模式（进行中与已归档）。"""
    _staff(request)
    return [_out(m) for m in selectors.mode_list(actor=request.auth, status=status)]


@router.post("/", response={201: ModeOut, **ERRORS})
def mode_start(request, payload: ModeIn):
    """镇街或区县转入应急状态：原因与入户排查清单字段（调度员定义，校验后保存）。"""
    mode = services.emergency_start(
        actor=request.auth, area=payload.area_id, reason=payload.reason, fields=payload.fields
    )
    return Status(201, _out(mode))


@router.get("/{mode_id}", response={200: ModeDetailOut, **ERRORS})
def mode_detail(request, mode_id: int):
    """应急模式与按网格的排查进度。"""
    mode = selectors.access_mode(actor=request.auth, mode_id=mode_id)
    return {**_out(mode), "progress": selectors.mode_progress(actor=request.auth, mode=mode)}


@router.post("/{mode_id}/assign", response={200: AssignOut, **ERRORS})
def mode_assign(request, mode_id: int, payload: AssignIn):
    """编入应急网格员（机关干部）到应急区域内的网格。"""
    mode = selectors.access_mode(actor=request.auth, mode_id=mode_id)
    user = User.objects.filter(pk=payload.user_id, kind="staff").first()
    if user is None:
        raise DomainError("bad_user", "只能编入在职的工作人员", status=422)
    grid = area_selectors.access_area(actor=request.auth, area_id=payload.grid_id)
    a = services.emergency_assign(actor=request.auth, mode=mode, user=user, grid=grid)
    return {"id": a.pk, "user_id": a.user_id, "grid_id": a.grid_id}


@router.post("/{mode_id}/end", response={200: ModeOut, **ERRORS})
def mode_end(request, mode_id: int, payload: EndIn):
    """恢复常态：归档排查清单与结果，撤回应急网格员。"""
    mode = selectors.access_mode(actor=request.auth, mode_id=mode_id)
    return _out(services.emergency_end(actor=request.auth, mode=mode, note=payload.note))


@router.post("/{mode_id}/answers", response={200: AnswerOut, **ERRORS})
def answer_fill(
    request,
    mode_id: int,
    payload: AnswerIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
):
    """填报（或更正）一户的排查清单；同一 Idempotency-Key 重发返回首次结果。"""
    mode = selectors.access_mode(actor=request.auth, mode_id=mode_id)
    household = people.access_household(request.auth, payload.household_id)
    answer, done = services.checklist_fill(
        actor=request.auth,
        mode=mode,
        household=household,
        answers=payload.answers,
        idempotency_key=idempotency_key,
    )
    return _answer(answer, done)


@router.get("/{mode_id}/answers", response={200: list[AnswerOut], **ERRORS})
def answer_list(request, mode_id: int, alerts: bool = False, limit: int = Query(100, ge=1, le=500)):
    mode = selectors.access_mode(actor=request.auth, mode_id=mode_id)
    return [
        _answer(a)
        for a in selectors.answer_list(
            actor=request.auth, mode=mode, alerts_only=alerts, limit=limit
        )
    ]

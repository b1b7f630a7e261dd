"""/api/v1/notices: send, list, read receipts, live progress, households
reached by phone or at the door. Thin: parse, access, one call."""

from __future__ import annotations

from django.urls import reverse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from wangge.accounts.auth import BearerAuth, SessionAuth
from wangge.areas import selectors as area_selectors
from wangge.areas.schemas import ErrorOut
from wangge.core.errors import DomainError, PermissionDenied
from wangge.people import selectors as people
from wangge.teams.scope import scope_for

from . import selectors, services
from .models import Notice
from .schemas import (
    NoticeDetailOut,
    NoticeIn,
    NoticeOut,
    ProgressOut,
    ReachIn,
    ReachOut,
    ReadOut,
    UnreachedOut,
)

router = Router(tags=["知事"], auth=[BearerAuth(), SessionAuth()])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _out(n: Notice) -> dict:
    return {
        "id": n.pk,
        "area_id": n.area_id,
        "area": n.area.name,
        "title": n.title,
        "urgency": n.urgency,
        "audience": n.audience,
        "status": n.status,
        "created_at": n.created_at,
        "reach_by": n.reach_by,
        "households": n.households,
        "staff": n.staff,
        "read_at": getattr(n, "read_at", None),
    }


def _staff(request) -> None:
    if not scope_for(request.auth).is_staff_scope:
        raise PermissionDenied("not_allowed", "仅工作人员可用")


@router.get("/", response={200: list[NoticeOut], **ERRORS})
def notice_list(request):
    """工作人员：发往本辖区的通知；居民：发给本户的通知（含阅读时间）。"""
    if scope_for(request.auth).is_staff_scope:
        rows = selectors.notice_list(actor=request.auth)
    else:
        rows = selectors.resident_notices(actor=request.auth)
    return [_out(n) for n in rows]


@router.post("/", response={201: NoticeOut, **ERRORS})
def notice_send(request, payload: Form[NoticeIn], attachments: File[list[UploadedFile]] = None):
    """发布通知（后台分发到每户，请求立即返回）。范围不在辖区内：404，什么也不写。"""
    notice = services.notice_send(
        actor=request.auth,
        area=payload.area_id,
        title=payload.title,
        body=payload.body,
        urgency=payload.urgency,
        audience=payload.audience,
        care_groups=payload.care_groups,
        include_staff=payload.include_staff,
        reach_minutes=payload.reach_minutes,
        attachments=attachments or (),
    )
    notice.refresh_from_db()
    return Status(201, _out(notice))


@router.get("/unreached", response={200: UnreachedOut, **ERRORS})
def unreached(request, limit: int = Query(50, ge=1, le=200)):
    """超过触达时限仍未触达的本辖区住户（网格员上门或电话告知）。"""
    _staff(request)
    data = selectors.unreached(actor=request.auth, limit=limit)
    return {
        "total": data["total"],
        "rows": [
            {
                "notice_id": r.notice_id,
                "title": r.notice_obj.title,
                "household_id": r.household_id,
                "address": r.household.address,
                "reach_by": r.notice_obj.reach_by,
            }
            for r in data["rows"]
        ],
    }


@router.get("/{notice_id}", response={200: NoticeDetailOut, **ERRORS})
def notice_detail(request, notice_id: int):
    notice = selectors.access_notice(actor=request.auth, notice_id=notice_id)
    return {
        **_out(notice),
        "body": notice.body,
        "care_groups": notice.care_groups,
        "reach_minutes": notice.reach_minutes,
        "fanout_seconds": notice.fanout_seconds,
        "attachments": [
            {
                "id": a.pk,
                "name": a.name,
                "size": a.size,
                "content_type": a.content_type,
                "url": reverse("notices:attachment", args=[notice.pk, a.pk]),
            }
            for a in notice.attachments.order_by("pk")
        ],
    }


@router.post("/{notice_id}/read", response={200: ReadOut, **ERRORS})
def notice_read(request, notice_id: int):
    """阅读回执：居民记入本户，工作人员记入本人。重复调用不改变任何内容。"""
    notice = selectors.access_notice(actor=request.auth, notice_id=notice_id)
    return {"recorded": services.notice_read(actor=request.auth, notice=notice)}


@router.get("/{notice_id}/progress", response={200: ProgressOut, **ERRORS})
def notice_progress(request, notice_id: int, area_id: int | None = None):
    """每户触达进度：合计、按下级区域、触达最少的网格。"""
    notice = selectors.access_notice(actor=request.auth, notice_id=notice_id)
    if not selectors.may_follow(actor=request.auth, notice=notice):
        raise DomainError("not_found", selectors.NOT_FOUND, status=404)
    area = None
    if area_id is not None:
        area = area_selectors.access_area(actor=request.auth, area_id=area_id)
        if not area.path.startswith(notice.area_path):
            raise DomainError("not_found", selectors.NOT_FOUND, status=404)
    return selectors.notice_progress(notice=notice, area=area)


@router.post("/{notice_id}/reach", response={200: ReachOut, **ERRORS})
def notice_reach(request, notice_id: int, payload: ReachIn):
    """网格员登记已电话（phone）或上门（in_person）告知某户。"""
    _staff(request)
    notice = selectors.access_notice(actor=request.auth, notice_id=notice_id)
    household = people.access_household(request.auth, payload.household_id)
    recorded = services.delivery_reach(
        actor=request.auth, notice=notice, household=household, via=payload.via
    )
    return {"recorded": recorded}

"""/api/v1/cases: intake, moves, timeline, lists, the public board, metrics,
hotline import, notifications. Thin: parse, access, one service call."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.http import FileResponse, Http404
from django.utils import timezone
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from wangge.accounts.auth import BearerAuth, SessionAuth
from wangge.areas.models import Area
from wangge.areas.schemas import ErrorOut
from wangge.core.errors import DomainError, PermissionDenied
from wangge.core.masking import mask_name
from wangge.teams.scope import scope_for

from . import selectors, services
from .flow import MOVE_LABELS, TABLE, Move, allowed
from .models import CaseAttachment, Handling, Notification
from .models import Status as CaseStatus
from .schemas import (
    AreaRef,
    AttachmentOut,
    BoardOut,
    CaseCreatedOut,
    CaseDepartmentOut,
    CaseDetailOut,
    CaseIn,
    CaseListOut,
    CaseOut,
    EventOut,
    ImportOut,
    MajorOut,
    MetricsOut,
    NotificationOut,
    ReporterOut,
)
from .workdays import TZ

# Bearer first: a phone app's POST carries a token and no session, and must
# not be stopped by the session cookie's CSRF check; browsers still get it.
router = Router(tags=["工单"], auth=[BearerAuth(), SessionAuth()])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
EVENT_LABELS = {
    "report": "上报",
    "merge_in": "合并重复工单",
    "yellow": "黄灯预警",
    "red": "红灯超期",
    "whistle_overdue": "吹哨响应超时",
    **{m.value: label for m, label in MOVE_LABELS.items()},
}
IMPORT_ROLES = {"dispatcher", "city_admin", "street_cadre"}
LIST_COUNT_CAP = 10_000


def _area(a) -> AreaRef:
    return AreaRef(id=a.pk, code=a.code, name=a.name, level=a.level)


def _att(a: CaseAttachment) -> AttachmentOut:
    return AttachmentOut(
        id=a.pk,
        kind=a.kind,
        url=f"/api/v1/cases/attachments/{a.pk}",
        content_type=a.content_type,
        width=a.width,
        height=a.height,
        size=a.size,
    )


def _case_out(c) -> dict:
    return {
        "id": c.pk,
        "number": c.number,
        "status": c.status,
        "status_label": str(CaseStatus(c.status).label),
        "category": c.category.code,
        "category_name": c.category.name,
        "handling": c.handling,
        "handling_label": str(Handling(c.handling).label),
        "source": c.source,
        "area": _area(c.area),
        "alert": c.alert,
        "supervised": c.supervised,
        "due_at": c.due_at,
        "created_at": c.created_at,
        "department": c.department.name if c.department_id else None,
        "duplicate_of_id": c.duplicate_of_id,
        "version": c.version,
    }


def _detail(request, c) -> CaseDetailOut:
    staff = scope_for(request.auth).is_staff_scope
    who = services.who_is(request.auth, c)
    moves = [m.value for m in Move if all(allowed(m, c.status, who))]
    reporters = []
    if staff:
        for r in c.reporters.all():
            reporters.append(
                ReporterOut(
                    name="匿名"
                    if r.anonymous
                    else mask_name(r.name or (str(r.user) if r.user_id else "")),
                    phone="" if r.anonymous else r.phone_masked or "",
                    anonymous=r.anonymous,
                    merged_from=r.from_case_id,
                )
            )
    depts = [
        CaseDepartmentOut(
            department_id=d.department_id,
            department=d.department.name,
            role=d.role,
            respond_by=d.respond_by,
            responded_at=d.responded_at,
            response=d.response,
        )
        for d in c.departments.select_related("department").order_by("pk")
    ]
    atts = [_att(a) for a in c.attachments.order_by("pk")]
    return CaseDetailOut(
        **_case_out(c),
        description=c.description,
        lng=c.lng,
        lat=c.lat,
        address=c.address if staff else "",
        place=c.building.name if c.building_id else c.area.name,
        level_area=_area(c.level_area),
        team=c.team,
        assignee_id=c.assignee_id,
        accepted_at=c.accepted_at,
        registered_at=c.registered_at,
        dispatched_at=c.dispatched_at,
        handled_at=c.handled_at,
        closed_at=c.closed_at,
        warn_at=c.warn_at,
        escalations=c.escalations,
        rework_count=c.rework_count,
        extension_count=c.extension_count,
        extension_days=c.extension_days,
        extension_reason=c.extension_reason,
        park_reason=c.park_reason,
        void_reason=c.void_reason,
        rating=c.rating,
        rating_comment=c.rating_comment,
        merged_into_id=c.merged_into_id,
        reporters=reporters,
        departments=depts,
        attachments=atts,
        moves=moves,
    )


# ---------------------------------------------------------------- catalogue
@router.get("/categories", response=list[MajorOut], auth=None)
def categories(request):
    """事项清单（大类与小类）。"""
    out = []
    for major in selectors.category_tree():
        children = [c for c in major.children.all() if c.is_active]
        out.append(
            {
                "code": major.code,
                "name": major.name,
                "children": [
                    {
                        "code": c.code,
                        "name": c.name,
                        "handling": c.handling,
                        "handling_label": str(Handling(c.handling).label),
                        "deadline_days": c.deadline_days,
                        "response_hours": c.response_hours,
                        "departments": c.departments,
                        "grid_may_self_handle": c.grid_may_self_handle,
                        "anonymous_allowed": c.anonymous_allowed,
                    }
                    for c in sorted(children, key=lambda c: c.code)
                ],
            }
        )
    return out


@router.get("/categories/suggest", response=list[dict], auth=None)
def suggest(request, text: str = Query(..., max_length=2000)):
    """根据描述推荐事项类别。"""
    return [{"code": c.code, "name": c.name} for c in services.category_suggest(text=text, limit=3)]


# ---------------------------------------------------------------- intake
@router.post("/", response={200: CaseCreatedOut, 201: CaseCreatedOut, **ERRORS})
def report(
    request,
    payload: Form[CaseIn],
    photos: File[list[UploadedFile]] = None,
):
    """上报工单（multipart/form-data，最多 9 张照片，每张不超过 10 MB）。
    相同幂等键重复提交返回原工单（200）。"""
    area = None
    if payload.area_id is not None:
        area = Area.objects.filter(pk=payload.area_id, is_active=True).first()
        if area is None:
            raise DomainError("unknown_area", "区域不存在", status=422)
    key = request.headers.get("Idempotency-Key", "") or payload.idempotency_key
    case, created = services.case_report(
        actor=request.auth,
        description=payload.description,
        category=payload.category or None,
        lng=payload.lng,
        lat=payload.lat,
        area=area,
        address=payload.address,
        building=payload.building_id,
        photos=photos or [],
        anonymous=payload.anonymous,
        proxy_for=payload.proxy_resident_id,
        found_on_visit=payload.found_on_visit,
        idempotency_key=key,
    )
    # The reporter just made (or re-sent) it: no second access check needed,
    # and a light answer keeps intake fast; GET /cases/{id} has the detail.
    atts = [_att(a) for a in case.attachments.order_by("pk")] if (photos or not created) else []
    return Status(
        201 if created else 200,
        {"created": created, "case": CaseOut(**_case_out(case)), "attachments": atts},
    )


@router.post("/import", response={200: ImportOut, **ERRORS})
def import_batch(request, file: File[UploadedFile]):
    """导入 12345 热线工单批次（CSV / XLSX / JSON），按工单编号幂等；
    任一行有误则整批不导入，返回逐行错误。"""
    from django.conf import settings

    from .imports import import_hotline

    scope = scope_for(request.auth)
    if not (scope.unrestricted or scope.roles & IMPORT_ROLES):
        raise PermissionDenied("not_allowed", "仅指挥中心可导入热线工单")
    if file.size > settings.WANGGE_IMPORT_MAX_BYTES:
        raise DomainError("file_too_large", "文件过大", status=422)
    result = import_hotline(actor=request.auth, name=file.name or "", data=file.read())
    if result.errors:
        raise DomainError(
            "invalid_rows",
            f"有 {len(result.errors)} 处错误，未导入任何工单",
            status=422,
            details=result.errors,
        )
    return result.as_dict()


# ---------------------------------------------------------------- reads
@router.get("/", response={200: CaseListOut, 401: ErrorOut})
def case_list(
    request,
    status: str | None = None,
    open: bool | None = None,
    category: str | None = None,
    area_id: int | None = None,
    department_id: int | None = None,
    alert: str | None = None,
    duplicates: bool | None = None,
    q: str | None = None,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
):
    """本人可见的工单（按辖区范围过滤）。"""
    count, items = selectors.case_page(
        actor=request.auth,
        offset=offset,
        limit=limit,
        cap=LIST_COUNT_CAP,
        filters=selectors.CaseFilters(
            status=status,
            open=open,
            category=category,
            area_id=area_id,
            department_id=department_id,
            alert=alert,
            duplicates=duplicates,
            q=q,
        ),
    )
    # Counting a whole city's history is slow and nobody pages that far:
    # count up to the cap and say so.
    return {
        "count": min(count, LIST_COUNT_CAP),
        "count_capped": count > LIST_COUNT_CAP,
        "items": [CaseOut(**_case_out(c)) for c in items],
    }


@router.get("/board/{area_id}", response={200: BoardOut, 404: ErrorOut}, auth=None)
def board(request, area_id: int):
    """挂牌销账公示栏：编号、类别、位置（到楼栋）、状态、时限、已办天数；无在办工单的网格显示清零。
    不含任何个人信息。"""
    area = Area.objects.filter(pk=area_id, is_active=True).first()
    if area is None:
        raise Http404
    return selectors.board(area=area)


@router.get("/metrics", response={200: MetricsOut, **ERRORS})
def metrics(
    request,
    start: str = Query(..., description="开始日期 YYYY-MM-DD（含）"),
    end: str = Query(..., description="结束日期 YYYY-MM-DD（不含）"),
    area_id: int | None = None,
    department_id: int | None = None,
):
    """办结率、按期办结率、返工率、延期率、满意率、平均受理/处置时长、网格自办占比。"""
    if not scope_for(request.auth).is_staff_scope:
        raise PermissionDenied("not_allowed", "仅工作人员可查看统计")
    try:
        s = datetime.combine(datetime.fromisoformat(start).date(), time(0), tzinfo=TZ)
        e = datetime.combine(datetime.fromisoformat(end).date(), time(0), tzinfo=TZ)
    except ValueError as exc:
        raise DomainError("bad_date", "日期格式应为 YYYY-MM-DD", status=422) from exc
    if e <= s or e - s > timedelta(days=3660):
        raise DomainError("bad_period", "统计区间不正确", status=422)
    area = None
    if area_id is not None:
        from wangge.areas.selectors import access_area

        area = access_area(actor=request.auth, area_id=area_id)
    return selectors.metrics(
        actor=request.auth, start=s, end=e, area=area, department_id=department_id
    )


@router.get("/notifications", response=list[NotificationOut])
def notifications(request, unread: bool = False, limit: int = Query(50, ge=1, le=200)):
    """我的消息。"""
    qs = Notification.objects.filter(user=request.auth)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return list(qs.order_by("-created_at", "-pk")[:limit])


@router.post("/notifications/{notification_id}/read", response={204: None, 404: ErrorOut})
def notification_read(request, notification_id: int):
    n = Notification.objects.filter(user=request.auth, pk=notification_id).update(
        read_at=timezone.now()
    )
    if not n:
        raise Http404
    return Status(204, None)


PHOTO_RESPONSE = {
    "responses": {
        200: {
            "description": "图片（JPEG、PNG 或 WebP）",
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}}
                for t in ("image/jpeg", "image/png", "image/webp")
            },
        }
    }
}


@router.get(
    "/attachments/{attachment_id}",
    response={200: None, 401: ErrorOut, 404: ErrorOut},
    openapi_extra=PHOTO_RESPONSE,
)
def attachment(request, attachment_id: int):
    """照片（仅对能查看该工单的用户）。"""
    att = CaseAttachment.objects.filter(pk=attachment_id).only("case_id").first()
    if att is None:
        raise Http404
    selectors.access_case(actor=request.auth, case_id=att.case_id)
    att = CaseAttachment.objects.get(pk=attachment_id)
    return FileResponse(att.file.open("rb"), content_type=att.content_type)


@router.get("/{case_id}", response={200: CaseDetailOut, 401: ErrorOut, 404: ErrorOut})
def case_detail(request, case_id: int):
    case = selectors.access_case(actor=request.auth, case_id=case_id)
    return _detail(request, case)


@router.get("/{case_id}/timeline", response={200: list[EventOut], 401: ErrorOut, 404: ErrorOut})
def timeline(request, case_id: int):
    """工单全过程记录（居民只看到公开步骤）。"""
    case = selectors.access_case(actor=request.auth, case_id=case_id)
    staff = scope_for(request.auth).is_staff_scope
    out = []
    for e in selectors.case_timeline(actor=request.auth, case=case):
        if e.actor_id is None:
            actor = "系统"
        elif staff:
            actor = str(e.actor)
        else:
            actor = "本人" if e.actor_id == request.auth.pk else "工作人员"
        out.append(
            EventOut(
                id=e.pk,
                kind=e.kind,
                label=EVENT_LABELS.get(e.kind, e.kind),
                from_status=e.from_status,
                to_status=e.to_status,
                actor=actor,
                at=e.at,
                note=e.note,
                data=e.data if staff else {},
                attachments=[_att(a) for a in e.attachments.all()],
            )
        )
    return out


def _ids(value: str | None) -> list[int]:
    if not value:
        return []
    try:
        return [int(v) for v in value.replace("，", ",").split(",") if v.strip()]
    except ValueError as exc:
        raise DomainError("bad_value", "部门编号格式不正确", status=422) from exc


@router.post("/{case_id}/moves/{move}", response={200: CaseDetailOut, **ERRORS})
def case_move(
    request,
    case_id: int,
    move: str,
    version: Form[int | None] = None,
    note: Form[str] = "",
    reason: Form[str] = "",
    days: Form[int | None] = None,
    rating: Form[int | None] = None,
    team: Form[str] = "",
    department_id: Form[int | None] = None,
    assignee_id: Form[int | None] = None,
    due_at: Form[str] = "",
    handling: Form[str] = "",
    category: Form[str] = "",
    target_id: Form[int | None] = None,
    lead_department_id: Form[int | None] = None,
    assist_department_ids: Form[str] = "",
    department_ids: Form[str] = "",
    photos: File[list[UploadedFile]] = None,
):
    """执行一步流转（受理、作废、立案、派遣、处置、反馈、核查、结案、评价、归档、延期、挂账、
    督办、吹哨、联办、上报、合并）。传入 version 可防止覆盖他人刚做的操作（409）。"""
    case = selectors.access_case(actor=request.auth, case_id=case_id)
    if move not in TABLE:
        raise DomainError("unknown_move", f"未知的操作“{move}”", status=422)
    params = {
        k: v
        for k, v in {
            "reason": reason,
            "days": days,
            "rating": rating,
            "team": team,
            "department_id": department_id,
            "assignee_id": assignee_id,
            "due_at": due_at,
            "handling": handling,
            "category": category,
            "target_id": target_id,
            "lead_department_id": lead_department_id,
            "assist_department_ids": _ids(assist_department_ids),
            "department_ids": _ids(department_ids),
        }.items()
        if v not in (None, "", [])
    }
    services.case_move(
        case_id=case.pk,
        move=move,
        actor=request.auth,
        version=version,
        note=note,
        photos=photos or [],
        **params,
    )
    return _detail(request, selectors.access_case(actor=request.auth, case_id=case.pk))

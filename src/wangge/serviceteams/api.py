"""/api/v1/serviceteams: 组团服务 — teams, members, grids, service days,
activities with sign-up and check-in, service hours, contact card profiles."""

from __future__ import annotations

from decimal import Decimal

from ninja import Query, Router, Status

from wangge.areas.schemas import AreaBrief, ErrorOut
from wangge.areas.selectors import access_area
from wangge.core.errors import DomainError
from wangge.teams.scope import scope_for

from . import selectors, services
from .models import ActivitySignup, ServiceTeam
from .schemas import (
    ActivityDetailOut,
    ActivityIn,
    ActivityOut,
    CardProfileIn,
    CardProfileOut,
    CheckInIn,
    GridsIn,
    HoursOut,
    MemberIn,
    ServiceDayIn,
    ServiceDayOut,
    SignupOut,
    TeamDetailOut,
    TeamIn,
    TeamMemberOut,
    TeamOut,
    TeamPatch,
)

router = Router(tags=["组团服务"])

READ = {401: ErrorOut, 404: ErrorOut}
WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _brief(area) -> AreaBrief:
    return AreaBrief(id=area.id, level=area.level, code=area.code, name=area.name)


def _team(t: ServiceTeam) -> dict:
    return {
        "id": t.pk,
        "name": t.name,
        "kind": t.kind,
        "kind_label": str(ServiceTeam.Kind(t.kind).label),
        "level": t.level,
        "area": _brief(t.area),
        "services": t.service_list,
        "promise": t.promise,
        "phone": t.phone,
        "is_active": t.is_active,
    }


def _team_detail(t: ServiceTeam) -> TeamDetailOut:
    return TeamDetailOut(
        **_team(t),
        members=[TeamMemberOut(**m) for m in selectors.team_members(team=t)],
        grids=[_brief(g) for g in selectors.team_grids(team=t)],
    )


def _staff_only(actor) -> None:
    if not scope_for(actor).is_staff_scope:
        raise DomainError("forbidden", "仅工作人员可用", status=403)


@router.get("/", response={200: list[TeamOut], **READ})
def team_list(
    request,
    area_id: int | None = Query(None, description="区域 ID：该区域内或联系该区域网格的团队"),
    kind: str = Query("", description="management / professional / volunteer"),
):
    """服务团队列表。"""
    area = access_area(actor=request.auth, area_id=area_id) if area_id is not None else None
    return [_team(t) for t in selectors.team_list(actor=request.auth, area=area, kind=kind)[:500]]


@router.post("/", response={201: TeamDetailOut, **WRITE})
def team_create(request, payload: TeamIn):
    """新建服务团队（镇街、村社区干部）。"""
    _staff_only(request.auth)
    area = access_area(actor=request.auth, area_id=payload.area_id)
    team = services.team_create(
        actor=request.auth,
        area=area,
        name=payload.name,
        kind=payload.kind,
        services=payload.services,
        promise=payload.promise,
        phone=payload.phone,
    )
    return Status(201, _team_detail(team))


# Static paths before /{team_id}.
@router.get("/service-days", response={200: list[ServiceDayOut], **READ})
def service_day_list(request, area_id: int | None = Query(None)):
    """网格服务日（每月一天，含主题）。"""
    area = access_area(actor=request.auth, area_id=area_id) if area_id is not None else None
    return [
        ServiceDayOut(id=d.pk, area=_brief(d.area), month=d.month, date=d.date, theme=d.theme)
        for d in selectors.service_day_list(actor=request.auth, area=area)[:200]
    ]


@router.post("/service-days", response={200: ServiceDayOut, **WRITE})
def service_day_set(request, payload: ServiceDayIn):
    """设置某区域某月的服务日与主题（同月再设即修改）。"""
    _staff_only(request.auth)
    area = access_area(actor=request.auth, area_id=payload.area_id)
    d = services.service_day_set(
        actor=request.auth, area=area, date=payload.date, theme=payload.theme
    )
    return ServiceDayOut(id=d.pk, area=_brief(area), month=d.month, date=d.date, theme=d.theme)


def _activity(a, counts: dict, mine: dict) -> dict:
    c = counts.get(a.pk, {"signed": 0, "attended": 0})
    return {
        "id": a.pk,
        "title": a.title,
        "team_id": a.team_id,
        "team_name": a.team.name,
        "area": _brief(a.area),
        "place": a.place,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "capacity": a.capacity,
        "status": a.status,
        "service_day_theme": a.service_day.theme if a.service_day_id else "",
        "signed": c["signed"],
        "attended": c["attended"],
        "my_status": mine.get(a.pk, ""),
    }


def _mine(actor, ids: list[int]) -> dict[int, str]:
    return dict(
        ActivitySignup.objects.filter(activity_id__in=ids, user=actor).values_list(
            "activity_id", "status"
        )
    )


@router.get("/activities", response={200: list[ActivityOut], **READ})
def activity_list(
    request,
    area_id: int | None = Query(None),
    team_id: int | None = Query(None),
):
    """服务活动（本人可见范围内）。"""
    actor = request.auth
    area = access_area(actor=actor, area_id=area_id) if area_id is not None else None
    team = selectors.access_team(actor=actor, team_id=team_id) if team_id is not None else None
    rows = list(selectors.activity_list(actor=actor, area=area, team=team)[:500])
    ids = [a.pk for a in rows]
    counts, mine = selectors.activity_counts(activity_ids=ids), _mine(actor, ids)
    return [_activity(a, counts, mine) for a in rows]


@router.post("/activities", response={201: ActivityOut, **WRITE})
def activity_create(request, payload: ActivityIn):
    """发布服务活动。"""
    actor = request.auth
    _staff_only(actor)
    team = selectors.access_team(actor=actor, team_id=payload.team_id)
    area = access_area(actor=actor, area_id=payload.area_id)
    day = None
    if payload.service_day_id is not None:
        day = selectors.service_day_list(actor=actor).filter(pk=payload.service_day_id).first()
        if day is None:
            raise selectors.not_found()
    a = services.activity_create(
        actor=actor,
        team=team,
        area=area,
        title=payload.title,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        place=payload.place,
        capacity=payload.capacity,
        service_day=day,
    )
    return Status(201, _activity(a, {}, {}))


def _detail(actor, a) -> ActivityDetailOut:
    counts = selectors.activity_counts(activity_ids=[a.pk])
    return ActivityDetailOut(
        **_activity(a, counts, _mine(actor, [a.pk])),
        signups=[
            SignupOut(
                id=s.pk,
                name=s.name,
                status=s.status,
                signed_at=s.signed_at,
                checked_in_at=s.checked_in_at,
                hours=s.hours,
            )
            for s in selectors.activity_signups(actor=actor, activity=a)
        ],
    )


@router.get("/activities/{activity_id}", response={200: ActivityDetailOut, **READ})
def activity_detail(request, activity_id: int):
    """活动详情与报名名单（居民只看到本人）。"""
    a = selectors.access_activity(actor=request.auth, activity_id=activity_id)
    return _detail(request.auth, a)


@router.post("/activities/{activity_id}/signup", response={201: SignupOut, **WRITE})
def activity_signup(request, activity_id: int):
    """报名。"""
    a = selectors.access_activity(actor=request.auth, activity_id=activity_id)
    s = services.activity_signup(actor=request.auth, activity=a)
    return Status(
        201,
        SignupOut(
            id=s.pk,
            name=s.name,
            status=s.status,
            signed_at=s.signed_at,
            checked_in_at=None,
            hours=s.hours,
        ),
    )


@router.delete("/activities/{activity_id}/signup", response={204: None, **WRITE})
def activity_signup_cancel(request, activity_id: int):
    """取消报名（签到前）。"""
    a = selectors.access_activity(actor=request.auth, activity_id=activity_id)
    services.activity_signup_cancel(actor=request.auth, activity=a)
    return Status(204, None)


@router.post("/activities/{activity_id}/checkin", response={200: SignupOut, **WRITE})
def activity_check_in(request, activity_id: int, payload: CheckInIn):
    """签到并记录服务时长（组织者或网格团队）。"""
    actor = request.auth
    _staff_only(actor)
    a = selectors.access_activity(actor=actor, activity_id=activity_id)
    s = services.activity_check_in(
        actor=actor, activity=a, signup_id=payload.signup_id, hours=payload.hours
    )
    return SignupOut(
        id=s.pk,
        name=s.name,
        status=s.status,
        signed_at=s.signed_at,
        checked_in_at=s.checked_in_at,
        hours=s.hours,
    )


@router.get("/hours/me", response={200: HoursOut, **READ})
def my_hours(request):
    """本人累计服务时长（签到记入，后续计入积分）。"""
    actor = request.auth
    hours = selectors.hours_by_user(user_ids=[actor.pk]).get(actor.pk, Decimal(0))
    n = ActivitySignup.objects.filter(user=actor, status=ActivitySignup.Status.ATTENDED).count()
    return HoursOut(hours=hours, activities=n)


@router.put("/card-profiles/{area_id}", response={200: CardProfileOut, **WRITE})
def card_profile_set(request, area_id: int, payload: CardProfileIn):
    """设置区域的民情联系卡服务承诺与监督电话。"""
    _staff_only(request.auth)
    area = access_area(actor=request.auth, area_id=area_id)
    p = services.card_profile_set(
        actor=request.auth, area=area, promises=payload.promises, hotline=payload.hotline
    )
    return CardProfileOut(area=_brief(area), promises=p.promises.splitlines(), hotline=p.hotline)


@router.get("/{team_id}", response={200: TeamDetailOut, **READ})
def team_detail(request, team_id: int):
    """服务团队详情：成员、服务内容、联系网格。"""
    return _team_detail(selectors.access_team(actor=request.auth, team_id=team_id))


@router.patch("/{team_id}", response={200: TeamDetailOut, **WRITE})
def team_update(request, team_id: int, payload: TeamPatch):
    team = selectors.access_team(actor=request.auth, team_id=team_id)
    team = services.team_update(actor=request.auth, team=team, **payload.dict(exclude_unset=True))
    return _team_detail(team)


@router.post("/{team_id}/members", response={201: TeamDetailOut, **WRITE})
def team_member_add(request, team_id: int, payload: MemberIn):
    team = selectors.access_team(actor=request.auth, team_id=team_id)
    services.team_member_add(actor=request.auth, team=team, **payload.dict())
    return Status(201, _team_detail(team))


@router.delete("/{team_id}/members/{member_id}", response={204: None, **WRITE})
def team_member_remove(request, team_id: int, member_id: int):
    team = selectors.access_team(actor=request.auth, team_id=team_id)
    services.team_member_remove(actor=request.auth, team=team, member_id=member_id)
    return Status(204, None)


@router.put("/{team_id}/grids", response={200: TeamDetailOut, **WRITE})
def team_grids_set(request, team_id: int, payload: GridsIn):
    """设置团队联系的网格。"""
    team = selectors.access_team(actor=request.auth, team_id=team_id)
    services.team_grids_set(actor=request.auth, team=team, grid_ids=payload.grid_ids)
    return _team_detail(team)

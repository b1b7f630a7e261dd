"""/api/v1/party: 党建引领 — organizations, members, 党员联户, 双报到,
先锋指数 and 堡垒指数 (staff only)."""

from __future__ import annotations

from django.db.models import Count
from ninja import Query, Router, Status

from wangge.areas.schemas import AreaBrief, ErrorOut
from wangge.areas.selectors import access_area

from . import indices, selectors, services
from .models import PartyMember, PartyOrg
from .schemas import ActivityOut as PartyActivityOut
from .schemas import (
    BastionOut,
    CoverageOut,
    LinkIn,
    LinkOut,
    MemberDetailOut,
    MemberIn,
    MemberOut,
    OrgDetailOut,
    OrgIn,
    OrgOut,
    RegistrationIn,
    RegistrationOut,
    VanguardOut,
)

router = Router(tags=["党建"])

READ = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _brief(area) -> AreaBrief:
    return AreaBrief(id=area.id, level=area.level, code=area.code, name=area.name)


def _org(o: PartyOrg) -> OrgOut:
    return OrgOut(
        id=o.pk,
        name=o.name,
        kind=o.kind,
        kind_label=str(PartyOrg.Kind(o.kind).label),
        area=_brief(o.area),
        parent_id=o.parent_id,
        secretary=o.secretary,
        is_active=o.is_active,
    )


def _member(m: PartyMember, links: int) -> dict:
    return {
        "id": m.pk,
        "name": m.name,
        "org_id": m.org_id,
        "org_name": m.org.name,
        "status": m.status,
        "in_service": m.in_service,
        "workplace": m.workplace,
        "links": links,
    }


@router.get("/orgs", response={200: list[OrgOut], **READ})
def org_list(request, area_id: int | None = Query(None), kind: str = Query("")):
    """党组织（辖区内及上级）。"""
    selectors.staff_only(request.auth)
    area = access_area(actor=request.auth, area_id=area_id) if area_id is not None else None
    return [_org(o) for o in selectors.org_list(actor=request.auth, area=area, kind=kind)[:1000]]


@router.post("/orgs", response={201: OrgOut, **WRITE})
def org_create(request, payload: OrgIn):
    """新建党组织（党委→党总支→党支部→党小组）。"""
    actor = request.auth
    selectors.staff_only(actor)
    area = access_area(actor=actor, area_id=payload.area_id)
    parent = (
        selectors.access_org(actor=actor, org_id=payload.parent_id)
        if payload.parent_id is not None
        else None
    )
    org = services.org_create(
        actor=actor,
        area=area,
        kind=payload.kind,
        name=payload.name,
        parent=parent,
        secretary=payload.secretary,
    )
    return Status(201, _org(org))


@router.get("/orgs/{org_id}", response={200: OrgDetailOut, **READ})
def org_detail(
    request, org_id: int, period: str | None = Query(None, description="2026 或 2026-11")
):
    """党组织详情与堡垒指数。"""
    actor = request.auth
    selectors.staff_only(actor)
    org = selectors.access_org(actor=actor, org_id=org_id)
    start, end, label = indices.period_bounds(period)
    b = indices.bastion(org, start, end)
    children = selectors.org_list(actor=actor).filter(parent=org)
    return OrgDetailOut(
        **_org(org).dict(),
        children=[_org(c) for c in children],
        bastion=BastionOut(
            period=label, **{k: v for k, v in b.__dict__.items() if k not in ("org_id", "name")}
        ),
    )


@router.get("/members", response={200: list[MemberOut], **READ})
def member_list(request, org_id: int | None = Query(None), area_id: int | None = Query(None)):
    """党员名册。"""
    actor = request.auth
    selectors.staff_only(actor)
    org = selectors.access_org(actor=actor, org_id=org_id) if org_id is not None else None
    area = access_area(actor=actor, area_id=area_id) if area_id is not None else None
    rows = list(selectors.member_list(actor=actor, org=org, area=area)[:1000])
    counts = dict(
        PartyMember.objects.filter(pk__in=[m.pk for m in rows])
        .values_list("pk")
        .annotate(n=Count("links"))
    )
    return [MemberOut(**_member(m, counts.get(m.pk, 0))) for m in rows]


@router.post("/members", response={201: MemberOut, **WRITE})
def member_add(request, payload: MemberIn):
    """登记党员（从居民或工作人员中选择）。"""
    actor = request.auth
    selectors.staff_only(actor)
    org = selectors.access_org(actor=actor, org_id=payload.org_id)
    m = services.member_add(
        actor=actor,
        org=org,
        resident_id=payload.resident_id,
        user_id=payload.user_id,
        status=payload.status,
        joined_on=payload.joined_on,
        in_service=payload.in_service,
        workplace=payload.workplace,
    )
    return Status(201, MemberOut(**_member(m, 0)))


def _member_detail(actor, m: PartyMember, period: str | None) -> MemberDetailOut:
    start, end, label = indices.period_bounds(period)
    v = indices.vanguard([m], start, end)[0]
    links = selectors.member_links(member=m)
    reg = selectors.member_registration(member=m)
    return MemberDetailOut(
        **_member(m, len(links)),
        vanguard=VanguardOut(
            period=label,
            **{k: val for k, val in v.__dict__.items() if k not in ("member_id", "name")},
        ),
        household_links=[
            LinkOut(
                id=link.pk,
                household_id=link.household_id,
                address=link.household.address,
                since=link.since,
            )
            for link in links
        ],
        registration=None
        if reg is None
        else RegistrationOut(
            id=reg.pk, community=_brief(reg.community), registered_on=reg.registered_on
        ),
        activities=[
            PartyActivityOut(
                title=s.activity.title,
                area_name=s.activity.area.name,
                starts_at=s.activity.starts_at,
                hours=s.hours,
            )
            for s in selectors.member_activities(member=m)
        ],
    )


@router.get("/members/{member_id}", response={200: MemberDetailOut, **READ})
def member_detail(
    request, member_id: int, period: str | None = Query(None, description="2026 或 2026-11")
):
    """党员详情：联户、双报到、活动与先锋指数。"""
    selectors.staff_only(request.auth)
    m = selectors.access_member(actor=request.auth, member_id=member_id)
    return _member_detail(request.auth, m, period)


@router.post("/members/{member_id}/links", response={201: LinkOut, **WRITE})
def link_add(request, member_id: int, payload: LinkIn):
    """党员联户：联系一户。"""
    selectors.staff_only(request.auth)
    m = selectors.access_member(actor=request.auth, member_id=member_id)
    link = services.link_add(
        actor=request.auth, member=m, household_id=payload.household_id, since=payload.since
    )
    return Status(
        201,
        LinkOut(
            id=link.pk,
            household_id=link.household_id,
            address=link.household.address,
            since=link.since,
        ),
    )


@router.delete("/members/{member_id}/links/{link_id}", response={204: None, **WRITE})
def link_remove(request, member_id: int, link_id: int):
    selectors.staff_only(request.auth)
    m = selectors.access_member(actor=request.auth, member_id=member_id)
    services.link_remove(actor=request.auth, member=m, link_id=link_id)
    return Status(204, None)


@router.post("/members/{member_id}/dual-registration", response={201: RegistrationOut, **WRITE})
def dual_register(request, member_id: int, payload: RegistrationIn):
    """在职党员到居住地社区双报到。"""
    actor = request.auth
    selectors.staff_only(actor)
    m = selectors.access_member(actor=actor, member_id=member_id)
    community = access_area(actor=actor, area_id=payload.community_id)
    reg = services.dual_register(
        actor=actor, member=m, community=community, registered_on=payload.registered_on
    )
    return Status(
        201,
        RegistrationOut(id=reg.pk, community=_brief(community), registered_on=reg.registered_on),
    )


@router.get("/coverage", response={200: CoverageOut, **READ})
def coverage(request, area_id: int = Query(..., description="区域 ID")):
    """党员联户覆盖率。"""
    selectors.staff_only(request.auth)
    area = access_area(actor=request.auth, area_id=area_id)
    return CoverageOut(area=_brief(area), **selectors.link_coverage(actor=request.auth, area=area))

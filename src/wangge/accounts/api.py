"""/api/v1/auth: tokens, the current user, resident sign-up and checking."""

from __future__ import annotations

from django.contrib.auth import authenticate
from ninja import Router, Status

from wangge.areas.models import Area, Level
from wangge.areas.schemas import AreaBrief, ErrorOut
from wangge.core.errors import DomainError
from wangge.core.masking import mask_phone
from wangge.teams.scope import scope_for

from . import selectors, services
from .schemas import (
    MeOut,
    PendingResidentOut,
    RegisteredOut,
    RegisterIn,
    RejectIn,
    ResidentUserOut,
    RoleOut,
    TokenIn,
    TokenOut,
    VerifyIn,
)

router = Router(tags=["账号"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _brief(area) -> AreaBrief | None:
    if area is None:
        return None
    return AreaBrief(id=area.id, level=area.level, code=area.code, name=area.name)


@router.post("/token", auth=None, response={200: TokenOut, 401: ErrorOut, 422: ErrorOut})
def token_create(request, payload: TokenIn):
    """用户名（或手机号）+ 密码换取 Bearer 令牌。"""
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        raise DomainError("bad_credentials", "用户名/手机号或密码错误", status=401)
    raw = services.token_issue(user=user, label=payload.label, days=payload.days)
    token = user.api_tokens.get(key_hash=user.api_tokens.model.hash(raw))
    return TokenOut(token=raw, expires_at=token.expires_at, user_id=user.pk, kind=user.kind)


@router.delete("/token", response={204: None, 400: ErrorOut, 401: ErrorOut})
def token_delete(request):
    """吊销当前请求所用的令牌。"""
    token = getattr(request, "api_token", None)
    if token is None:
        raise DomainError("no_token", "当前请求没有使用令牌", status=400)
    services.token_revoke(token=token)
    return Status(204, None)


@router.get("/me", response={200: MeOut, 401: ErrorOut})
def me(request):
    """当前用户：类型、角色及其区域、可见范围。"""
    from wangge.teams.models import RoleAssignment

    user = request.auth
    scope = scope_for(user)
    assignments = (
        RoleAssignment.objects.filter(user=user, is_active=True)
        .select_related("area")
        .order_by("area__path", "role")
    )
    household = None
    if scope.household_id:
        from wangge.people.models import Household

        hh = Household.objects.filter(pk=scope.household_id).values("id", "address").first()
        household = hh
    return MeOut(
        id=user.pk,
        username=user.username,
        name=user.name,
        kind=user.kind,
        phone=user.phone,
        is_superuser=user.is_superuser,
        resident_status=user.resident_status,
        home_grid=_brief(user.home_grid) if user.home_grid_id else None,
        household=household,
        roles=[
            RoleOut(
                id=a.pk,
                role=a.role,
                role_label=a.get_role_display(),
                area=_brief(a.area),
                department_id=a.department_id,
            )
            for a in assignments
        ],
        scope_paths=list(scope.paths)
        if scope.is_staff_scope
        else ([scope.home_grid_path] if scope.home_grid_path else []),
        unrestricted=scope.unrestricted,
    )


@router.post(
    "/residents/register", auth=None, response={201: RegisteredOut, 409: ErrorOut, 422: ErrorOut}
)
def resident_register(request, payload: RegisterIn):
    """居民注册（手机号 + 密码），待所在网格的网格员核实。"""
    grid = Area.objects.filter(pk=payload.grid_id, level=Level.GRID, is_active=True).first()
    if grid is None:
        raise DomainError("invalid_grid", "所选网格不存在", status=422)
    user = services.resident_register(
        phone=payload.phone, password=payload.password, name=payload.name, grid=grid
    )
    out = RegisteredOut(id=user.pk, resident_status=user.resident_status, home_grid=_brief(grid))
    return Status(201, out)


@router.get(
    "/residents/pending", response={200: list[PendingResidentOut], 401: ErrorOut, 403: ErrorOut}
)
def residents_pending(request):
    """本辖区待核实的居民账号。"""
    if not scope_for(request.auth).is_staff_scope:
        raise DomainError("forbidden", "仅工作人员可用", status=403)
    return [
        PendingResidentOut(
            id=u.pk,
            name=u.name,
            phone_masked=mask_phone(u.phone or ""),
            home_grid=_brief(u.home_grid),
            registered_at=u.date_joined,
        )
        for u in selectors.pending_residents(actor=request.auth)[:500]
    ]


def _resident_user_out(user) -> ResidentUserOut:
    return ResidentUserOut(
        id=user.pk,
        name=user.name,
        resident_status=user.resident_status,
        resident_id=user.resident_id,
    )


@router.post("/residents/{user_id}/verify", response={200: ResidentUserOut, **ERRORS})
def resident_verify(request, user_id: int, payload: VerifyIn):
    """核实居民账号：绑定到本网格的居民档案。"""
    from wangge.people.models import Resident

    user = selectors.access_resident_user(actor=request.auth, user_id=user_id)
    scope = scope_for(request.auth)
    resident = Resident.objects.filter(scope.q("area_path"), pk=payload.resident_id).first()
    if resident is None:
        raise services.not_found()
    user = services.resident_verify(actor=request.auth, user=user, resident=resident)
    return _resident_user_out(user)


@router.post("/residents/{user_id}/reject", response={200: ResidentUserOut, **ERRORS})
def resident_reject(request, user_id: int, payload: RejectIn):
    """驳回居民账号的注册。"""
    user = selectors.access_resident_user(actor=request.auth, user_id=user_id)
    user = services.resident_reject(actor=request.auth, user=user, reason=payload.reason)
    return _resident_user_out(user)

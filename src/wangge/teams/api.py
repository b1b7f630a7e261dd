"""/api/v1/teams: grid teams, incomplete teams, departments, assignments."""

from __future__ import annotations

from ninja import Query, Router, Status

from wangge.areas.schemas import AreaBrief, ErrorOut
from wangge.areas.selectors import access_area
from wangge.core.errors import DomainError
from wangge.teams.scope import scope_for

from . import selectors, services
from .roles import Role
from .schemas import (
    AssignmentIn,
    AssignmentOut,
    DepartmentOut,
    GridTeamOut,
    IncompleteTeamOut,
    MemberOut,
)

router = Router(tags=["队伍"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _brief(area) -> AreaBrief:
    return AreaBrief(id=area.id, level=area.level, code=area.code, name=area.name)


def _labels(roles: list[str]) -> list[str]:
    return [str(Role(r).label) for r in roles]


def _member(m) -> MemberOut | None:
    return None if m is None else MemberOut(**m.__dict__)


@router.get("/grids/{area_id}", response={200: GridTeamOut, 401: ErrorOut, 404: ErrorOut})
def grid_team(request, area_id: int):
    """网格的 1+1+1+N 服务团队。"""
    grid = selectors.access_grid(actor=request.auth, grid_id=area_id)
    team = selectors.grid_team(actor=request.auth, grid=grid)
    return GridTeamOut(
        grid=_brief(grid),
        leader=_member(team.leader),
        worker=_member(team.worker),
        instructor=_member(team.instructor),
        members=[_member(m) for m in team.members],
        incomplete=team.incomplete,
        missing=team.missing,
        missing_labels=_labels(team.missing),
    )


@router.get(
    "/incomplete",
    response={200: list[IncompleteTeamOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def incomplete(request, area_id: int | None = Query(None, description="区域 ID（默认全部辖区）")):
    """缺少网格长或专职网格员的网格。"""
    area = access_area(actor=request.auth, area_id=area_id) if area_id is not None else None
    if not scope_for(request.auth).is_staff_scope:
        raise DomainError("forbidden", "仅工作人员可用", status=403)
    return [
        IncompleteTeamOut(**t.__dict__, missing_labels=_labels(t.missing))
        for t in selectors.incomplete_teams(actor=request.auth, area=area)
    ]


@router.get("/departments", response={200: list[DepartmentOut], 401: ErrorOut})
def departments(request):
    """与本人辖区相关的职能部门。"""
    return [
        DepartmentOut(
            id=d.pk,
            name=d.name,
            short_name=d.short_name,
            level=d.level,
            level_label=d.get_level_display(),
            area=_brief(d.area),
            phone=d.phone,
        )
        for d in selectors.department_list(actor=request.auth)
    ]


def _assignment_out(a) -> AssignmentOut:
    return AssignmentOut(
        id=a.pk,
        user_id=a.user_id,
        user_name=str(a.user),
        role=a.role,
        role_label=a.get_role_display(),
        area=_brief(a.area),
        department_id=a.department_id,
        is_active=a.is_active,
        created_at=a.created_at,
    )


@router.post("/assignments", response={201: AssignmentOut, **ERRORS})
def assignment_create(request, payload: AssignmentIn):
    """给工作人员分配角色（需要在该区域有人员管理权限）。"""
    from wangge.accounts.selectors import access_staff_user

    area = access_area(actor=request.auth, area_id=payload.area_id)
    user = access_staff_user(actor=request.auth, user_id=payload.user_id)
    department = None
    if payload.department_id is not None:
        department = selectors.access_department(
            actor=request.auth, department_id=payload.department_id
        )
    if payload.role not in Role.values:
        raise DomainError("invalid_role", "未知角色", status=422)
    assignment = services.role_assign(
        actor=request.auth, user=user, role=payload.role, area=area, department=department
    )
    return Status(201, _assignment_out(assignment))


@router.delete("/assignments/{assignment_id}", response={204: None, **ERRORS})
def assignment_delete(request, assignment_id: int):
    """撤销角色分配。"""
    assignment = selectors.access_assignment(actor=request.auth, assignment_id=assignment_id)
    services.role_revoke(actor=request.auth, assignment=assignment)
    return Status(204, None)

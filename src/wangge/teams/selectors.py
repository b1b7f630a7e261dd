"""Reads of teams: grid teams (1+1+1+N), incomplete teams in a subtree,
departments an actor works with. Every read goes through the scope rule."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from wangge.areas.models import Area, Level
from wangge.areas.paths import ancestor_paths, subtree_q
from wangge.core.errors import DomainError

from .models import Department, RoleAssignment
from .roles import TEAM_CORE, TEAM_MEMBERS, TEAM_REQUIRED, Role
from .scope import Scope, scope_for

NOT_FOUND_MESSAGE = "未找到，或不在您的管辖范围内"


def _not_found() -> DomainError:
    return DomainError("not_found", NOT_FOUND_MESSAGE, status=404)


def grid_visible(scope: Scope, grid_path: str) -> bool:
    """A grid's team is visible to staff whose areas cover the grid, to staff
    assigned inside it (a micro-grid leader belongs to the grid's team) and to
    the residents of the grid (the team is printed on the contact card)."""
    if scope.covers(grid_path):
        return True
    if any(p.startswith(grid_path) for p in scope.paths):
        return True
    return scope.home_grid_path == grid_path


def access_grid(*, actor, grid_id: int) -> Area:
    scope = scope_for(actor)
    grid = Area.objects.filter(pk=grid_id, level=Level.GRID).first()
    if grid is None or not grid_visible(scope, grid.path):
        raise _not_found()
    return grid


def access_assignment(*, actor, assignment_id: int) -> RoleAssignment:
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        raise _not_found()
    assignment = (
        RoleAssignment.objects.filter(scope.q("area_path"), pk=assignment_id)
        .select_related("user", "area")
        .first()
    )
    if assignment is None:
        raise _not_found()
    return assignment


@dataclass(frozen=True)
class Member:
    assignment_id: int
    user_id: int
    name: str
    role: str
    role_label: str
    phone: str
    area_id: int
    area_name: str


@dataclass(frozen=True)
class GridTeam:
    grid: Area
    leader: Member | None
    worker: Member | None
    instructor: Member | None
    members: list[Member]
    missing: list[str] = field(default_factory=list)

    @property
    def incomplete(self) -> bool:
        return bool(self.missing)


_ROLE_ORDER = {r: i for i, r in enumerate((*TEAM_CORE, *TEAM_MEMBERS))}


def grid_team(*, actor, grid: Area) -> GridTeam:
    """The 1+1+1+N team of one grid: leader, full-time worker, instructor,
    then the N (part-time workers, micro-grid leaders, assistants). Work
    phones are shown in clear: they are printed on the contact card."""
    if grid.level != Level.GRID or not grid_visible(scope_for(actor), grid.path):
        raise _not_found()
    return published_grid_team(grid=grid)


def published_grid_team(*, grid: Area) -> GridTeam:
    """The team of a grid as its contact card publishes it (names, roles,
    work phones), without a scope check: for the public page the card's QR
    code opens. Callers check that `grid` is an active grid."""
    rows = (
        RoleAssignment.objects.filter(
            subtree_q(grid.path, "area_path"),
            is_active=True,
            user__is_active=True,
            role__in=[*TEAM_CORE, *TEAM_MEMBERS],
        )
        .select_related("user", "area")
        .order_by("created_at", "pk")
    )
    core: dict[str, Member] = {}
    members: list[Member] = []
    for a in rows:
        m = Member(
            assignment_id=a.pk,
            user_id=a.user_id,
            name=a.user.name or a.user.username,
            role=a.role,
            role_label=str(Role(a.role).label),
            phone=a.user.phone or "",
            area_id=a.area_id,
            area_name=a.area.name,
        )
        # Core roles count only when held at the grid itself.
        if a.role in TEAM_CORE and a.area_id == grid.pk and a.role not in core:
            core[a.role] = m
        else:
            members.append(m)
    members.sort(key=lambda m: (_ROLE_ORDER[m.role], m.area_id, m.assignment_id))
    return GridTeam(
        grid=grid,
        leader=core.get(Role.GRID_LEADER),
        worker=core.get(Role.GRID_WORKER),
        instructor=core.get(Role.GRID_INSTRUCTOR),
        members=members,
        missing=[r.value for r in TEAM_REQUIRED if r not in core],
    )


@dataclass(frozen=True)
class IncompleteTeam:
    grid_id: int
    grid_code: str
    grid_name: str
    missing: list[str]


def incomplete_teams(*, actor, area: Area | None = None) -> list[IncompleteTeam]:
    """Grids under `area` (default: all of the actor's areas) whose team lacks
    a leader or a full-time worker. Two queries, whatever the subtree's size."""
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        return []
    if area is not None and not scope.covers(area.path):
        raise _not_found()
    grid_filter = Q(level=Level.GRID, is_active=True) & scope.q("path")
    held_filter = Q(is_active=True, user__is_active=True, role__in=list(TEAM_REQUIRED))
    held_filter &= scope.q("area_path")
    if area is not None:
        grid_filter &= subtree_q(area.path, "path")
        held_filter &= subtree_q(area.path, "area_path")
    held: dict[int, set[str]] = defaultdict(set)
    for area_id, role in RoleAssignment.objects.filter(held_filter).values_list("area_id", "role"):
        held[area_id].add(role)
    out = []
    for gid, code, name in (
        Area.objects.filter(grid_filter).order_by("path").values_list("id", "code", "name")
    ):
        missing = [r.value for r in TEAM_REQUIRED if r not in held[gid]]
        if missing:
            out.append(IncompleteTeam(gid, code, name, missing))
    return out


def department_list(*, actor) -> QuerySet[Department]:
    """Departments serving the actor's areas or any area above them, and
    those inside the actor's areas. Residents: those serving their grid."""
    scope = scope_for(actor)
    if scope.unrestricted:
        return Department.objects.filter(is_active=True).order_by("area_path", "name")
    if scope.is_staff_scope:
        paths = list(scope.paths)
        q = scope.q("area_path")
    elif scope.home_grid_path:
        paths = [scope.home_grid_path]
        q = Q(pk__in=[])
    else:
        return Department.objects.none()
    above = {a for p in paths for a in [*ancestor_paths(p), p]}
    return (
        Department.objects.filter(q | Q(area_path__in=above), is_active=True)
        .select_related("area")
        .order_by("area_path", "name")
    )


def access_department(*, actor, department_id: int) -> Department:
    dept = department_list(actor=actor).filter(pk=department_id).first()
    if dept is None:
        raise _not_found()
    return dept

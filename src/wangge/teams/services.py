"""Writes to teams: role assignments and departments. The area path copied
onto each row (the scope key) is always set here, from the area."""

from __future__ import annotations

from django.db import transaction

from wangge.areas.models import Area, Level
from wangge.core.errors import Conflict, DomainError, PermissionDenied

from .models import Department, RoleAssignment
from .roles import ROLE_CAPS, Role
from .scope import scope_for

NOT_FOUND_MESSAGE = "未找到，或不在您的管辖范围内"

# Department level <-> the level of the area it serves.
DEPARTMENT_AREA_LEVEL = {
    Department.Level.CITY: Level.CITY,
    Department.Level.DISTRICT: Level.DISTRICT,
    Department.Level.STREET: Level.STREET,
}


def _not_found() -> DomainError:
    return DomainError("not_found", NOT_FOUND_MESSAGE, status=404)


def _forget_scope(user) -> None:
    if hasattr(user, "_wangge_scope"):
        del user._wangge_scope


def _require_manager(actor, path: str) -> None:
    """`actor=None` is the system (management commands, data loading)."""
    if actor is None:
        return
    scope = scope_for(actor)
    if not scope.covers(path):
        raise _not_found()
    if not scope.manages_users(path):
        raise PermissionDenied("forbidden", "您没有在该区域管理人员的权限")


def role_assign_check(*, actor, user, role: str, area: Area, department=None) -> None:
    """Every rule of role_assign, without writing: admin forms call it in
    clean() so errors show on the form."""
    _require_manager(actor, area.path)
    if role not in ROLE_CAPS:
        raise DomainError("invalid_role", "未知角色", status=422)
    if user.kind != "staff":
        raise DomainError("not_staff", "只能给工作人员分配角色", status=422)
    if not user.is_active:
        raise DomainError("inactive_user", "该账号已停用", status=422)
    if not area.is_active:
        raise DomainError("inactive_area", "该区域已停用", status=422)
    levels = ROLE_CAPS[role].levels
    if area.level not in levels:
        allowed = "、".join(str(Level(lv).label) for lv in levels)
        raise DomainError(
            "bad_level",
            f"“{Role(role).label}”只能分配在{allowed}层级，“{area.name}”是{Level(area.level).label}",
            status=422,
        )
    if role == Role.DEPARTMENT_STAFF and department is None:
        raise DomainError("department_required", "职能部门人员必须指定所属部门", status=422)
    if department is not None:
        if not department.is_active:
            raise DomainError("inactive_department", "该部门已停用", status=422)
        # The department must serve this area: its area is the area or above it.
        if not area.path.startswith(department.area_path):
            raise DomainError(
                "bad_department", f"“{department.name}”不服务“{area.name}”", status=422
            )
    if RoleAssignment.objects.filter(user=user, role=role, area=area, is_active=True).exists():
        raise Conflict("duplicate", f"{user}已在“{area.name}”担任{Role(role).label}")


@transaction.atomic
def role_assign(*, actor, user, role: str, area: Area, department=None) -> RoleAssignment:
    role_assign_check(actor=actor, user=user, role=role, area=area, department=department)
    assignment, created = RoleAssignment.objects.select_for_update().get_or_create(
        user=user,
        role=role,
        area=area,
        defaults={"area_path": area.path, "department": department, "is_active": True},
    )
    if not created:
        assignment.is_active = True
        assignment.area_path = area.path
        assignment.department = department
        assignment.save(update_fields=["is_active", "area_path", "department"])
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    _forget_scope(user)
    return assignment


@transaction.atomic
def role_revoke(*, actor, assignment: RoleAssignment) -> RoleAssignment:
    """Ends an assignment; the row stays (inactive) as history."""
    _require_manager(actor, assignment.area_path)
    if (
        actor is not None
        and actor.pk == assignment.user_id
        and ROLE_CAPS[assignment.role].manages_users
    ):
        raise DomainError("self_revoke", "不能撤销自己的管理角色", status=422)
    if assignment.is_active:
        assignment.is_active = False
        assignment.save(update_fields=["is_active"])
    _forget_scope(assignment.user)
    return assignment


def _check_department_area(level: str, area: Area) -> None:
    expected = DEPARTMENT_AREA_LEVEL.get(level)
    if expected is None:
        raise DomainError("invalid_level", "部门层级无效", status=422)
    if area.level != expected:
        raise DomainError(
            "bad_level",
            f"{Department.Level(level).label}部门的服务区域必须是{Level(expected).label}",
            status=422,
        )


def department_check(*, actor, name: str, level: str, area: Area, exclude=None) -> str:
    """Every rule of department_create/update, without writing; returns the
    cleaned name."""
    _require_manager(actor, area.path)
    name = (name or "").strip()
    if not name:
        raise DomainError("invalid", "部门名称不能为空", status=422)
    _check_department_area(level, area)
    clash = Department.objects.filter(area=area, name=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise Conflict("duplicate", f"“{area.name}”已有名为“{name}”的部门")
    return name


@transaction.atomic
def department_create(
    *,
    actor,
    name: str,
    level: str,
    area: Area,
    short_name: str = "",
    phone: str = "",
) -> Department:
    name = department_check(actor=actor, name=name, level=level, area=area)
    return Department.objects.create(
        name=name,
        short_name=(short_name or "").strip(),
        level=level,
        area=area,
        area_path=area.path,
        phone=(phone or "").strip(),
    )


_UNSET = object()


@transaction.atomic
def department_update(
    *,
    actor,
    department: Department,
    name=_UNSET,
    short_name=_UNSET,
    phone=_UNSET,
    is_active=_UNSET,
) -> Department:
    """The serving area is fixed: a department moving is a new department."""
    _require_manager(actor, department.area_path)
    if name is not _UNSET:
        department.name = department_check(
            actor=actor,
            name=name,
            level=department.level,
            area=department.area,
            exclude=department,
        )
    if short_name is not _UNSET:
        department.short_name = (short_name or "").strip()
    if phone is not _UNSET:
        department.phone = (phone or "").strip()
    if is_active is not _UNSET:
        department.is_active = bool(is_active)
    department.area_path = department.area.path
    department.save()
    return department

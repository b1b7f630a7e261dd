"""Roles and what each may do. One table, read by the scope rule, masking,
the admin and the API; a city changes who holds a role, not what it means."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GRID_LEADER = "grid_leader", _("网格长")
    GRID_WORKER = "grid_worker", _("专职网格员")
    PART_TIME_WORKER = "part_time_worker", _("兼职网格员")
    MICRO_GRID_LEADER = "micro_grid_leader", _("微网格长")
    GRID_INSTRUCTOR = "grid_instructor", _("网格指导员")
    GRID_ASSISTANT = "grid_assistant", _("网格助理员")
    COMMUNITY_CADRE = "community_cadre", _("村社区干部")
    STREET_CADRE = "street_cadre", _("镇街干部")
    DISPATCHER = "dispatcher", _("指挥中心调度员")
    DEPARTMENT_STAFF = "department_staff", _("职能部门人员")
    LEADER = "leader", _("领导（只读）")
    CITY_ADMIN = "city_admin", _("市级管理员")
    EMERGENCY_WORKER = "emergency_worker", _("应急网格员")


@dataclass(frozen=True)
class Caps:
    # Levels at which the role may be assigned.
    levels: tuple[str, ...]
    # Sees clear ID numbers and phones after an audited unmask call.
    may_unmask: bool = False
    # Sees which care groups a resident belongs to (masked otherwise).
    sees_care: bool = False
    # May create and edit base data (buildings, households, residents, orgs).
    edits_base_data: bool = False
    # May import and export base data files.
    imports: bool = False
    # May manage users and role assignments in their subtree.
    manages_users: bool = False
    # Read-only everywhere.
    read_only: bool = False


GRID_LEVELS = ("grid",)
ROLE_CAPS: dict[str, Caps] = {
    Role.GRID_LEADER: Caps(
        GRID_LEVELS, may_unmask=True, sees_care=True, edits_base_data=True, imports=True
    ),
    Role.GRID_WORKER: Caps(
        GRID_LEVELS, may_unmask=True, sees_care=True, edits_base_data=True, imports=True
    ),
    Role.PART_TIME_WORKER: Caps(GRID_LEVELS, sees_care=True, edits_base_data=True),
    Role.MICRO_GRID_LEADER: Caps(("micro_grid",), sees_care=True),
    Role.GRID_INSTRUCTOR: Caps(GRID_LEVELS, read_only=True),
    Role.GRID_ASSISTANT: Caps(("grid", "micro_grid")),
    Role.COMMUNITY_CADRE: Caps(
        ("community",),
        may_unmask=True,
        sees_care=True,
        edits_base_data=True,
        imports=True,
        manages_users=True,
    ),
    Role.STREET_CADRE: Caps(("street",), sees_care=True, imports=True, manages_users=True),
    Role.DISPATCHER: Caps(("city", "district", "street")),
    Role.DEPARTMENT_STAFF: Caps(("city", "district", "street")),
    Role.LEADER: Caps(("city", "district", "street", "community"), read_only=True),
    Role.CITY_ADMIN: Caps(
        ("city",),
        may_unmask=True,
        sees_care=True,
        edits_base_data=True,
        imports=True,
        manages_users=True,
    ),
    # 平战转换: cadres who join a grid while its street or district is in
    # emergency mode (granted and withdrawn by wangge.emergency).
    Role.EMERGENCY_WORKER: Caps(GRID_LEVELS),
}

# The 1+1+1+N grid team: these must be present, the rest are the N.
TEAM_REQUIRED = (Role.GRID_LEADER, Role.GRID_WORKER)
TEAM_CORE = (Role.GRID_LEADER, Role.GRID_WORKER, Role.GRID_INSTRUCTOR)
TEAM_MEMBERS = (Role.PART_TIME_WORKER, Role.MICRO_GRID_LEADER, Role.GRID_ASSISTANT)

"""Scope-matrix entries for /api/v1/emergency (see teams/tests/matrix.py).

Each side's street is in emergency mode, with one answered household."""

from __future__ import annotations

from django.utils import timezone

from wangge.teams.roles import ROLE_CAPS
from wangge.teams.tests.matrix import AdminObject, Principal, Route, staff_read

COMMAND = {"dispatcher", "street_cadre", "city_admin"}
SAFE = {"all_safe": "1", "needs_help": "0"}
FIELDS = [{"key": "all_safe", "label": "全户人员平安", "type": "bool", "required": True}]


def populate(side, matrix) -> None:
    from wangge.emergency.checklist import DEFAULT_FIELDS, validate_fields
    from wangge.emergency.models import ChecklistAnswer, ChecklistGrid, EmergencyMode

    now = timezone.now()
    mode = EmergencyMode.objects.create(
        area=side.street,
        area_path=side.street.path,
        reason=f"{side.street.name}防台应急",
        fields=validate_fields(DEFAULT_FIELDS),
        households=1,
        started_by=side.staff,
        started_at=now,
    )
    ChecklistGrid.objects.create(
        mode=mode, grid=side.grid, grid_path=side.grid.path, households=1, answered=1
    )
    ChecklistAnswer.objects.create(
        mode=mode,
        household=side.household,
        grid=side.grid,
        area_path=side.household.area_path,
        answers={"all_safe": True, "needs_help": False},
        filled_by=side.staff,
        filled_at=now,
    )
    side.extra["emergency"] = mode
    side.extra["emergency_answer"] = mode.answers.get()


def _command_expect(ok: int):
    def expect(p: Principal, m) -> int:
        if p.kind == "resident":
            return 404
        if not p.covers(m.world.own.grid):
            return 404
        if not p.covers(m.world.own.street):
            return 404
        return ok if p.role in COMMAND else 403

    return expect


def start_expect(p: Principal, m) -> int:
    if p.kind == "resident":
        return 403
    if not p.covers(m.world.own.street):
        return 404
    # The own street is already in emergency mode: a second start is a conflict.
    return 409 if p.role in COMMAND else 403


def staff_object(p: Principal, m) -> int:
    return 200 if p.kind == "staff" else 404


def fill_expect(p: Principal, m) -> int:
    if p.kind == "resident":
        return 404
    return 403 if ROLE_CAPS[p.role].read_only else 200


PARAMS = {"mode_id": lambda s, p, m: s.extra["emergency"].pk}

ROUTES = {
    "GET /emergency/": Route(expect=staff_read),
    "POST /emergency/": Route(
        body=lambda s, p, m: {"area_id": s.street.pk, "reason": "暴雨", "fields": FIELDS},
        objects=True,
        expect=start_expect,
        foreign_expect=lambda p, m: 403 if p.kind == "resident" else 404,
    ),
    "GET /emergency/{mode_id}": Route(expect=staff_object),
    "POST /emergency/{mode_id}/assign": Route(
        body=lambda s, p, m: {"user_id": s.staff.pk, "grid_id": s.grid.pk},
        expect=_command_expect(200),
    ),
    "POST /emergency/{mode_id}/end": Route(
        body=lambda s, p, m: {"note": ""}, expect=_command_expect(200)
    ),
    "POST /emergency/{mode_id}/answers": Route(
        body=lambda s, p, m: {"household_id": s.household.pk, "answers": SAFE},
        expect=fill_expect,
    ),
    "GET /emergency/{mode_id}/answers": Route(expect=staff_object),
}

ADMIN_OBJECTS = {
    "emergency.emergencymode": AdminObject(
        get=lambda s, p, m: s.extra["emergency"], path=lambda o: o.area_path
    ),
    "emergency.checklistanswer": AdminObject(
        get=lambda s, p, m: s.extra["emergency_answer"], path=lambda o: o.area_path
    ),
}

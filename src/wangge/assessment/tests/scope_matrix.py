"""Scope-matrix entries for assessment: an area's or department's figures
are for staff whose areas cover it; residents see none (404). Proactive
tasks sit at a grid: staff covering it see them; grid teams and dispatchers
act on them, read-only roles get 403."""

from __future__ import annotations

from wangge.cases.services import REPORTER_ROLES
from wangge.teams.tests.matrix import Route, at_grid, place_read, staff_object, staff_read


def _district(side):
    return side.district


def populate(side, matrix) -> None:
    from django.utils import timezone

    from wangge.assessment.models import ProactiveTask

    side.extra["proactive"] = ProactiveTask.objects.create(
        rule="rising",
        key=f"matrix:{side.grid.path}",
        area=side.grid,
        area_path=side.grid.path,
        title=f"{side.grid.name}近7天工单明显增多",
        reason="矩阵测试",
        created_at=timezone.now(),
    )


def _act(ok: int):
    def expect(p, m) -> int:
        if p.kind == "resident" or not p.covers(m.world.own.grid):
            return 404
        return ok if p.role in REPORTER_ROLES or p.role == "city_admin" else 403

    return expect


PARAMS = {"task_id": lambda s, p, m: s.extra["proactive"].pk}

ROUTES = {
    "GET /assessment/indices": Route(expect=staff_read),
    "GET /assessment/areas/{area_id}/indices": Route(expect=staff_object),
    "GET /assessment/areas/{area_id}/ranking": Route(
        params={"area_id": lambda s, p, m: s.grid.pk}, expect=place_read(at_grid, 404)
    ),
    "GET /assessment/departments/{department_id}/indices": Route(expect=place_read(_district, 404)),
    "GET /assessment/departments": Route(expect=staff_read),
    "GET /assessment/proactive": Route(expect=staff_read),
    "GET /assessment/classifier/corrections": Route(expect=staff_read),
    "POST /assessment/proactive/{task_id}/case": Route(body=lambda s, p, m: {}, expect=_act(201)),
    "POST /assessment/proactive/{task_id}/dismiss": Route(
        body=lambda s, p, m: {"reason": "已处理"}, expect=_act(200)
    ),
}

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

    from wangge.assessment.models import Campaign, ProactiveTask

    side.extra["eval_campaign"] = Campaign.objects.create(
        name=f"{side.district.name}互评",
        area=side.district,
        area_path=side.district.path,
        start=timezone.localdate(),
        end=timezone.localdate(),
        created_by=side.assignment.user,
    )
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


def _campaign_create(p, m) -> int:
    if p.kind == "resident" or not p.covers(m.world.own.street):
        return 404
    return 201 if p.role in ("city_admin", "dispatcher", "street_cadre") else 403


def _rate(p, m) -> int:
    if p.kind == "resident" or not (
        p.area.path.startswith(m.world.own.district.path)
        or m.world.own.district.path.startswith(p.area.path)
    ):
        return 404
    inside = p.area.path.startswith(m.world.own.district.path)
    return 201 if inside and p.role in ("community_cadre", "street_cadre", "dispatcher") else 403


def _close(p, m) -> int:
    if p.kind == "resident" or not (
        p.area.path.startswith(m.world.own.district.path)
        or m.world.own.district.path.startswith(p.area.path)
    ):
        return 404
    if p.role not in ("city_admin", "dispatcher", "street_cadre"):
        return 403
    return 200 if m.world.own.district.path.startswith(p.area.path) else 403


PARAMS = {
    "task_id": lambda s, p, m: s.extra["proactive"].pk,
    "campaign_id": lambda s, p, m: s.extra["eval_campaign"].pk,
}

ROUTES = {
    "GET /assessment/indices": Route(expect=staff_read),
    "GET /assessment/areas/{area_id}/indices": Route(expect=staff_object),
    "GET /assessment/areas/{area_id}/ranking": Route(
        params={"area_id": lambda s, p, m: s.grid.pk}, expect=place_read(at_grid, 404)
    ),
    "GET /assessment/areas/{area_id}/workers": Route(
        params={"area_id": lambda s, p, m: s.grid.pk}, expect=place_read(at_grid, 404)
    ),
    "GET /assessment/departments/{department_id}/indices": Route(expect=place_read(_district, 404)),
    "GET /assessment/departments": Route(expect=staff_read),
    "GET /assessment/proactive": Route(expect=staff_read),
    "GET /assessment/classifier/corrections": Route(expect=staff_read),
    "GET /assessment/campaigns": Route(expect=staff_read),
    "POST /assessment/campaigns": Route(
        body=lambda s, p, m: {
            "name": "季度互评",
            "area_id": s.street.pk,
            "start": "2026-10-01",
            "end": "2026-12-31",
        },
        objects=True,
        expect=_campaign_create,
    ),
    "POST /assessment/campaigns/{campaign_id}/close": Route(body=lambda s, p, m: {}, expect=_close),
    "POST /assessment/campaigns/{campaign_id}/evaluations": Route(
        body=lambda s, p, m: {"score": 4, "department_id": s.department.pk}, expect=_rate
    ),
    "POST /assessment/proactive/{task_id}/case": Route(body=lambda s, p, m: {}, expect=_act(201)),
    "POST /assessment/proactive/{task_id}/dismiss": Route(
        body=lambda s, p, m: {"reason": "已处理"}, expect=_act(200)
    ),
}

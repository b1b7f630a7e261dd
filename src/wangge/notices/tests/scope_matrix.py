"""Scope-matrix entries for /api/v1/notices (see teams/tests/matrix.py).

Each side gets a notice to its grid, fanned out, already past its reach
time: the own side's household (the matrix resident's) has a delivery."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from wangge.teams.roles import ROLE_CAPS
from wangge.teams.tests.matrix import AdminObject, Principal, Route, staff_read

SENDERS = {
    "grid_leader",
    "grid_worker",
    "community_cadre",
    "street_cadre",
    "dispatcher",
    "city_admin",
}


def populate(side, matrix) -> None:
    from wangge.notices.models import Notice
    from wangge.notices.services import notice_fan_out

    now = timezone.now()
    notice = Notice.objects.create(
        area=side.grid,
        area_path=side.grid.path,
        title=f"{side.grid.name}停水通知",
        body="明天停水",
        created_by=side.staff,
        created_at=now - timedelta(hours=2),
        reach_by=now - timedelta(hours=1),
    )
    notice_fan_out(notice_id=notice.pk)
    side.extra["notice"] = notice


def _covers_grid(p: Principal, m) -> bool:
    return p.covers(m.world.own.grid)


def send_expect(p: Principal, m) -> int:
    if p.kind == "resident":
        return 403
    if not _covers_grid(p, m):
        return 404
    return 201 if p.role in SENDERS else 403


def progress_expect(p: Principal, m) -> int:
    return 200 if p.kind == "staff" and _covers_grid(p, m) else 404


def reach_expect(p: Principal, m) -> int:
    if p.kind == "resident":
        return 403
    return 403 if ROLE_CAPS[p.role].read_only else 200


PARAMS = {"notice_id": lambda s, p, m: s.extra["notice"].pk}

ROUTES = {
    "GET /notices/": Route(),
    "POST /notices/": Route(
        form=lambda s, p, m: {"area_id": s.grid.pk, "title": "停电通知", "body": "今晚停电"},
        objects=True,
        expect=send_expect,
        foreign_expect=lambda p, m: 403 if p.kind == "resident" else 404,
    ),
    "GET /notices/unreached": Route(expect=staff_read),
    "GET /notices/{notice_id}": Route(),
    "POST /notices/{notice_id}/read": Route(),
    "GET /notices/{notice_id}/progress": Route(expect=progress_expect),
    "POST /notices/{notice_id}/reach": Route(
        body=lambda s, p, m: {"household_id": s.household.pk, "via": "phone"},
        expect=reach_expect,
        foreign_expect=lambda p, m: 403 if p.kind == "resident" else 404,
    ),
}

ADMIN_OBJECTS = {
    "notices.notice": AdminObject(
        get=lambda s, p, m: s.extra["notice"], path=lambda o: o.area_path
    ),
    "notices.gridprogress": AdminObject(
        get=lambda s, p, m: s.extra["notice"].progress.get(), path=lambda o: o.grid_path
    ),
}

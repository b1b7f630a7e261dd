"""Scope-matrix entries for 组团服务 (see teams/tests/matrix.py).

Each side has a volunteer team at its community serving its grid, with an
outside member; a service day at the community; an activity in the grid
(starting in an hour) with one sign-up; a card profile at the community."""

from __future__ import annotations

import datetime as dt
import itertools

from wangge.teams.tests.matrix import AdminObject, Principal, Route

_n = itertools.count(1)


def populate(side, matrix) -> None:
    from django.utils import timezone

    from wangge.serviceteams import services
    from wangge.serviceteams.models import ActivitySignup, CardProfile, ServiceDay

    admin = _superuser()
    team = services.team_create(
        actor=admin,
        area=side.community,
        name=f"{side.community.name}帮孤助残志愿队",
        kind="volunteer",
        services=["帮孤助残", "家电维修"],
    )
    services.team_grids_set(actor=admin, team=team, grid_ids=[side.grid.pk])
    member = services.team_member_add(
        actor=admin, team=team, name=f"{side.community.name}律师", work_phone="13900001111"
    )
    start = timezone.now() + dt.timedelta(hours=1)
    day = ServiceDay.objects.create(
        area=side.community,
        area_path=side.community.path,
        month=timezone.localdate().replace(day=1),
        date=timezone.localdate(),
        theme=f"{side.community.name}服务日",
    )
    activity = services.activity_create(
        actor=admin,
        team=team,
        area=side.grid,
        title=f"{side.grid.name}义务维修",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
    )
    signup = ActivitySignup.objects.create(
        activity=activity,
        user=side.assignment.user,
        name=side.assignment.user.name,
        area_path=activity.area_path,
    )
    profile = CardProfile.objects.create(
        area=side.community, area_path=side.community.path, hotline="0573-12345"
    )
    side.extra.update(
        st_team=team,
        st_member=member,
        st_day=day,
        st_activity=activity,
        st_signup=signup,
        st_profile=profile,
    )


def _superuser():
    from wangge.accounts.models import User

    user = User.objects.filter(username="st-matrix-root").first()
    if user is None:
        user = User.objects.create_superuser(username="st-matrix-root", password="x-Wangge-2026")
    return user


def _expect_manage(where, *, ok: int, caps=("manages_users",), resident: int = 403):
    def expect(p: Principal, m) -> int:
        if p.kind == "resident":
            return resident
        if not p.covers(where(m.world.own)):
            return 404
        return ok if any(getattr(p.caps, c) for c in caps) else 403

    return expect


def _team_write(ok: int):
    """Team writes need manages_users on the team's community; a grid's
    team sees the team (it serves their grid) but gets 404 like any outsider."""
    return _expect_manage(lambda s: s.community, ok=ok, resident=404)


def _team_read(p: Principal, m) -> int:
    if p.kind == "resident":
        return 200
    return 200 if p.covers(m.world.own.grid) else 404


def _activity_read(p: Principal, m) -> int:
    """Activities are seen from above (covering the grid) and from inside it."""
    if p.kind == "resident":
        return 200
    grid = m.world.own.grid
    return 200 if p.covers(grid) or p.area.path.startswith(grid.path) else 404


def _ok(status: int):
    def expect(p: Principal, m) -> int:
        return status if _activity_read(p, m) == 200 else 404

    return expect


def _staff_only_foreign(p: Principal, m) -> int:
    return 403 if p.kind == "resident" else 404


def _signed_up(s, p, m):
    """The activity, after signing the caller up (inside the call's savepoint)."""
    from wangge.serviceteams.models import ActivitySignup

    activity = s.extra["st_activity"]
    if p.user is not None:
        ActivitySignup.objects.create(
            activity=activity, user=p.user, name="矩阵", area_path=activity.area_path
        )
    return activity.pk


PARAMS = {
    "team_id": lambda s, p, m: s.extra["st_team"].pk,
    "member_id": lambda s, p, m: s.extra["st_member"].pk,
    "activity_id": lambda s, p, m: s.extra["st_activity"].pk,
}


def _activity_body(s, p, m) -> dict:
    from django.utils import timezone

    start = timezone.now() + dt.timedelta(days=1)
    return {
        "team_id": s.extra["st_team"].pk,
        "area_id": s.grid.pk,
        "title": "政策宣讲",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
    }


ROUTES = {
    "GET /serviceteams/": Route(),
    "POST /serviceteams/": Route(
        body=lambda s, p, m: {
            "area_id": s.community.pk,
            "name": f"新团队{next(_n)}",
            "kind": "volunteer",
        },
        objects=True,
        expect=_expect_manage(lambda s: s.community, ok=201),
        foreign_expect=_staff_only_foreign,
    ),
    "GET /serviceteams/service-days": Route(),
    "POST /serviceteams/service-days": Route(
        body=lambda s, p, m: {
            "area_id": s.community.pk,
            "date": "2026-12-05",
            "theme": "关爱独居老人",
        },
        objects=True,
        expect=_expect_manage(lambda s: s.community, ok=200),
        foreign_expect=_staff_only_foreign,
    ),
    "GET /serviceteams/activities": Route(),
    "POST /serviceteams/activities": Route(
        body=_activity_body,
        objects=True,
        expect=_expect_manage(lambda s: s.grid, ok=201),
        foreign_expect=_staff_only_foreign,
    ),
    "GET /serviceteams/activities/{activity_id}": Route(expect=_activity_read),
    "POST /serviceteams/activities/{activity_id}/signup": Route(expect=_ok(201)),
    "DELETE /serviceteams/activities/{activity_id}/signup": Route(
        params={"activity_id": _signed_up}, expect=_ok(204)
    ),
    "POST /serviceteams/activities/{activity_id}/checkin": Route(
        body=lambda s, p, m: {"signup_id": s.extra["st_signup"].pk, "hours": "1.5"},
        expect=_expect_manage(lambda s: s.grid, ok=200, caps=("manages_users", "edits_base_data")),
        foreign_expect=_staff_only_foreign,
    ),
    "GET /serviceteams/hours/me": Route(),
    "PUT /serviceteams/card-profiles/{area_id}": Route(
        params={"area_id": lambda s, p, m: s.community.pk},
        body=lambda s, p, m: {"promises": ["有求必应"], "hotline": "0573-82000000"},
        expect=_expect_manage(lambda s: s.community, ok=200),
        foreign_expect=_staff_only_foreign,
    ),
    "GET /serviceteams/{team_id}": Route(expect=_team_read),
    "PATCH /serviceteams/{team_id}": Route(
        body=lambda s, p, m: {"promise": "一呼即应"}, expect=_team_write(200)
    ),
    "POST /serviceteams/{team_id}/members": Route(
        body=lambda s, p, m: {"name": "外聘技师", "work_phone": "13900002222", "duty": "家电维修"},
        expect=_team_write(201),
    ),
    "DELETE /serviceteams/{team_id}/members/{member_id}": Route(expect=_team_write(204)),
    "PUT /serviceteams/{team_id}/grids": Route(
        body=lambda s, p, m: {"grid_ids": [s.grid.pk]}, expect=_team_write(200)
    ),
}

ADMIN_OBJECTS = {
    "serviceteams.serviceteam": AdminObject(
        lambda s, p, m: s.extra["st_team"], lambda o: o.area_path
    ),
    "serviceteams.serviceday": AdminObject(
        lambda s, p, m: s.extra["st_day"], lambda o: o.area_path
    ),
    "serviceteams.serviceactivity": AdminObject(
        lambda s, p, m: s.extra["st_activity"], lambda o: o.area_path
    ),
    "serviceteams.cardprofile": AdminObject(
        lambda s, p, m: s.extra["st_profile"], lambda o: o.area_path
    ),
}

"""Scope-matrix entries for /api/v1/staffing and the staffing pages and
admin (see teams/tests/matrix.py). Each side's worker is its part-time grid
worker (`side.staff`, at the grid), with a recruitment, a training and a
certificate."""

from __future__ import annotations

import datetime as dt
import itertools

from wangge.teams.tests.matrix import AdminObject, Route, at_grid, place_write, staff_read

_seq = itertools.count(1)


def populate(side, matrix) -> None:
    from wangge.staffing.models import Certificate, Recruitment, Training

    common = {"worker": side.staff, "area": side.grid, "area_path": side.grid.path}
    side.extra["staff_recruitment"] = Recruitment.objects.create(
        **common, recruited_on=dt.date(2024, 3, 1), channel="public", notes=f"{side.grid.name}招聘"
    )
    side.extra["staff_training"] = Training.objects.create(
        **common, course=f"{side.grid.name}培训", held_on=dt.date(2026, 3, 1), hours=8
    )
    side.extra["staff_certificate"] = Certificate.objects.create(
        **common,
        name="社会工作者职业水平证书",
        number=f"{side.grid.code}-{next(_seq)}",
        issuer="人社局",
        issued_on=dt.date(2024, 6, 1),
        expires_on=dt.date(2027, 6, 1),
    )


def _worker_read(p, m) -> int:
    if p.kind != "staff":
        return 404
    return 200 if p.covers(m.world.own.grid) else 404


PARAMS = {
    "worker_id": lambda s, p, m: s.staff.pk,
    "certificate_id": lambda s, p, m: s.extra["staff_certificate"].pk,
}

ROUTES = {
    "GET /staffing/workers": Route(expect=staff_read),
    "GET /staffing/certificates/expiring": Route(expect=staff_read),
    "GET /staffing/workers/{worker_id}": Route(expect=_worker_read),
    "PUT /staffing/workers/{worker_id}/recruitment": Route(
        body=lambda s, p, m: {"recruited_on": "2025-01-02", "channel": "community"},
        expect=place_write(at_grid, "manages_users", ok=200),
    ),
    "POST /staffing/workers/{worker_id}/trainings": Route(
        body=lambda s, p, m: {"course": "矛盾调解", "held_on": "2026-05-01", "hours": 4},
        expect=place_write(at_grid, "manages_users", ok=201),
    ),
    "POST /staffing/workers/{worker_id}/certificates": Route(
        body=lambda s, p, m: {
            "name": "调解员证",
            "number": f"T-{next(_seq)}",
            "issuer": "司法局",
            "issued_on": "2025-01-01",
            "expires_on": "2028-01-01",
        },
        expect=place_write(at_grid, "manages_users", ok=201),
    ),
    "DELETE /staffing/workers/{worker_id}/certificates/{certificate_id}": Route(
        expect=place_write(at_grid, "manages_users", ok=204)
    ),
}

ADMIN_OBJECTS = {
    f"staffing.{name}": AdminObject(
        get=lambda s, p, m, key=key: s.extra[key], path=lambda o: o.area_path
    )
    for name, key in (
        ("recruitment", "staff_recruitment"),
        ("training", "staff_training"),
        ("certificate", "staff_certificate"),
    )
}


# Pages are listed in tests/test_page_matrix.py PAGES; their parameter:
PAGE_PARAMS = {"worker_id": lambda s, p, m: s.staff.pk}

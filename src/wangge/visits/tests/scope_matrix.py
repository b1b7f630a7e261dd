"""Scope-matrix entries for /api/v1/visits and the visits admin (see
teams/tests/matrix.py). Each side gets a quota rule on its grid, a visit to
its household and a care pair for its resident (elderly living alone)."""

from __future__ import annotations

import datetime as dt
import itertools

from wangge.teams.roles import ROLE_CAPS
from wangge.teams.tests.matrix import (
    AdminObject,
    Principal,
    Route,
    at_micro_grid,
    own_area,
    staff_read,
)
from wangge.visits.services import CARE_ROLES, VISIT_ROLES

_seq = itertools.count(1)


def populate(side, matrix) -> None:
    from django.utils import timezone

    from wangge.people.models import CareGroup
    from wangge.visits.models import CareFrequency, CarePair, QuotaRule, Visit

    if not CareFrequency.objects.exists():
        import importlib

        from django.apps import apps

        importlib.import_module("wangge.visits.migrations.0002_defaults").seed(apps, None)
    group = CareGroup.objects.get(code="elderly_alone")
    side.resident.care_links.get_or_create(group=group)
    side.extra["visit_rule"] = QuotaRule.objects.create(
        name=f"{side.grid.name}走访规则",
        role="grid_worker",
        area=side.grid,
        area_path=side.grid.path,
        household_visits_per_year=6,
        valid_from=dt.date(2026, 1, 1),
    )
    side.extra["visit"] = Visit.objects.create(
        kind="household",
        household=side.household,
        district_id=side.household.district_id,
        grid_id=side.household.grid_id,
        area_path=side.household.area_path,
        visitor=side.assignment.user,
        visited_at=timezone.now(),
        notes=f"{side.building.name}走访",
    )
    side.extra["care_pair"] = CarePair.objects.create(
        resident=side.resident,
        group=group,
        district_id=side.resident.district_id,
        grid_id=side.resident.grid_id,
        area_path=side.resident.area_path,
        carer_kind="volunteer",
        carer_name=f"{side.grid.name}志愿者",
        interval_days=7,
        since=dt.date(2026, 11, 1),
        next_due_at=timezone.now(),
    )


def _same_level(side, p: Principal):
    return getattr(side, p.area.level) if p.area is not None else side.grid


def _rule_body(s, p, m) -> dict:
    area = _same_level(s, p) if p.kind == "staff" else s.grid
    return {
        "name": f"{area.name}规则",
        "role": "grid_worker",
        "area_id": area.pk,
        "valid_from": "2026-01-01",
        "households_per_month": 20,
    }


def _rule_expect(p: Principal, m) -> int:
    if p.kind != "staff":
        return 404
    return 201 if p.caps.manages_users else 403


def _rule_seen(p: Principal, m) -> int:
    """A rule on the own grid: seen by staff covering it or inside it."""
    grid = m.world.own.grid
    if p.kind != "staff":
        return 404
    if not (p.covers(grid) or p.area.path.startswith(grid.path)):
        return 404
    return 200 if p.caps.manages_users else 403


def _visit_expect(p: Principal, m) -> int:
    if p.kind != "staff":
        return 404
    if not p.covers(m.world.own.micro_grid):
        return 404
    return 201 if p.role in VISIT_ROLES else 403


def _care_resident(s, p, m) -> dict:
    """A new resident in the side's household, in the elderly group (each
    call pairs someone new: one active pair per resident and group)."""
    from wangge.people.models import CareGroup
    from wangge.teams.tests.world import make_resident

    r = make_resident(s.household, name=f"{s.grid.name}老人{next(_seq)}")
    r.care_links.create(group=CareGroup.objects.get(code="elderly_alone"))
    return {
        "resident_id": r.pk,
        "group": "elderly_alone",
        "carer_kind": "volunteer",
        "carer_name": "志愿者",
        "carer_phone": "13900001111",
    }


def _pair_create_expect(p: Principal, m) -> int:
    if p.kind != "staff" or not p.covers(m.world.own.micro_grid):
        return 404
    return 201 if p.role in CARE_ROLES else 403


def _care_expect(ok: int):
    """Pairs are seen where the role sees care groups; contacts and service
    records are written by the roles that visit."""

    def expect(p: Principal, m) -> int:
        if p.kind != "staff" or not p.covers(m.world.own.micro_grid):
            return 404
        if not ROLE_CAPS[p.role].sees_care:
            return 404
        return ok if ok == 200 or p.role in VISIT_ROLES else 403

    return expect


PARAMS = {
    "rule_id": lambda s, p, m: s.extra["visit_rule"].pk,
    "visit_id": lambda s, p, m: s.extra["visit"].pk,
    "pair_id": lambda s, p, m: s.extra["care_pair"].pk,
}

ROUTES = {
    "GET /visits/rules": Route(expect=staff_read),
    "POST /visits/rules": Route(body=_rule_body, expect=_rule_expect, objects=True),
    "POST /visits/rules/{rule_id}/deactivate": Route(expect=_rule_seen),
    "POST /visits/": Route(
        body=lambda s, p, m: {"household_id": s.household.pk, "notes": "入户"},
        expect=_visit_expect,
        objects=True,
    ),
    "POST /visits/group": Route(
        body=lambda s, p, m: {"area_id": own_area(s, p, m).pk, "topic": "座谈"},
        expect=_visit_expect,
        objects=True,
    ),
    "GET /visits/": Route(expect=staff_read),
    "GET /visits/plan": Route(expect=staff_read),
    "GET /visits/overdue": Route(expect=staff_read),
    "GET /visits/coverage": Route(expect=staff_read),
    "GET /visits/coverage/workers": Route(expect=staff_read),
    "GET /visits/{visit_id}": Route(
        expect=lambda p, m: (
            404 if p.kind != "staff" else (200 if p.covers(at_micro_grid(m.world.own)) else 404)
        )
    ),
    "GET /visits/care/pairs": Route(expect=staff_read),
    "GET /visits/evaluation": Route(
        query=lambda s, p, m: {"street_id": s.street.pk},
        expect=lambda p, m: 200 if p.kind == "staff" and p.covers(m.world.own.street) else 404,
        objects=True,
    ),
    "POST /visits/care/pairs": Route(body=_care_resident, expect=_pair_create_expect, objects=True),
    "GET /visits/care/pairs/{pair_id}": Route(expect=_care_expect(200)),
    "POST /visits/care/pairs/{pair_id}/contacts": Route(
        body=lambda s, p, m: {"mode": "phone", "notes": "电话问候"}, expect=_care_expect(201)
    ),
    "POST /visits/care/pairs/{pair_id}/services": Route(
        body=lambda s, p, m: {"kind": "meals", "hours": 1}, expect=_care_expect(201)
    ),
}


def _care_visible(p: Principal, obj) -> bool:
    from wangge.areas.models import Area

    return p.caps.sees_care and p.covers(Area.objects.get(path=obj.area_path))


def _rule_visible(p: Principal, obj) -> bool:
    from wangge.areas.models import Area

    return p.covers(Area.objects.get(path=obj.area_path))


ADMIN_OBJECTS = {
    "visits.quotarule": AdminObject(
        get=lambda s, p, m: s.extra["visit_rule"], path=lambda o: o.area_path
    ),
    "visits.visit": AdminObject(get=lambda s, p, m: s.extra["visit"], path=lambda o: o.area_path),
    "visits.carepair": AdminObject(
        get=lambda s, p, m: s.extra["care_pair"], path=lambda o: o.area_path, visible=_care_visible
    ),
    "visits.carefrequency": AdminObject(
        get=lambda s, p, m: (
            __import__("wangge.visits.models", fromlist=["CareFrequency"])
            .CareFrequency.objects.order_by("pk")
            .first()
        ),
        path=None,
    ),
}

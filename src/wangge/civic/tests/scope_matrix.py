"""Scope-matrix entries for /api/v1/civic and the civic admin (see
teams/tests/matrix.py). Each side gets a service and a venue in its
community, and a booking of that venue by a resident living there."""

from __future__ import annotations

import datetime as dt

from wangge.points.tests.scope_matrix import side_voter
from wangge.teams.roles import ROLE_CAPS
from wangge.teams.tests.matrix import AdminObject, Principal, Route

VENUE_ROLES = {"community_cadre", "street_cadre", "city_admin"}


def _at(days: int, hour: int) -> dt.datetime:
    from django.utils import timezone

    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 30), tzinfo=timezone.get_current_timezone())


def populate(side, matrix) -> None:
    from wangge.civic.models import Service, Venue
    from wangge.civic.services import booking_create

    voter = side_voter(side, matrix)
    side.extra["service"] = Service.objects.create(
        area=side.community,
        name=f"{side.community.name}居住证明",
        location=f"{side.community.name}服务大厅",
    )
    venue = Venue.objects.create(
        area=side.community, name=f"{side.community.name}党群服务中心会议室"
    )
    side.extra["venue"] = venue
    side.extra["booking"] = booking_create(
        actor=voter, venue=venue, starts_at=_at(1, 9), slots=1, purpose="楼组议事会", people=10
    )


def _community(ok_resident: int, staff):
    def expect(p: Principal, m) -> int:
        if p.kind == "resident":
            return ok_resident
        if not p.covers(m.world.own.community):
            return 404
        return staff(p)

    return expect


PARAMS = {
    "venue_id": lambda s, p, m: s.extra["venue"].pk,
    "booking_id": lambda s, p, m: s.extra["booking"].pk,
}

ROUTES = {
    "GET /civic/services": Route(),
    "GET /civic/venues": Route(),
    "GET /civic/bookings": Route(),
    "GET /civic/venues/{venue_id}/slots": Route(expect=_community(200, lambda p: 200)),
    "POST /civic/bookings": Route(
        body=lambda s, p, m: {
            "venue_id": s.extra["venue"].pk,
            "starts_at": _at(2, 10).isoformat(),
            "slots": 1,
            "purpose": "志愿者培训",
            "people": 5,
        },
        objects=True,
        expect=_community(201, lambda p: 403 if ROLE_CAPS[p.role].read_only else 201),
    ),
    "POST /civic/bookings/{booking_id}/cancel": Route(
        expect=_community(200, lambda p: 200 if p.role in VENUE_ROLES else 403)
    ),
}

ADMIN_OBJECTS = {
    "civic.service": AdminObject(lambda s, p, m: s.extra["service"], lambda o: o.area_path),
    "civic.venue": AdminObject(lambda s, p, m: s.extra["venue"], lambda o: o.area_path),
    "civic.booking": AdminObject(lambda s, p, m: s.extra["booking"], lambda o: o.area_path),
}

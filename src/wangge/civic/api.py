"""/api/v1/civic: 办事 — the service directory, venues, their free slots,
bookings."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Router, Schema, Status

from wangge.accounts.auth import BearerAuth, SessionAuth
from wangge.areas.schemas import ErrorOut
from wangge.core.errors import DomainError

from . import selectors, services
from .models import Booking

router = Router(tags=["办事"], auth=[BearerAuth(), SessionAuth()])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ServiceOut(Schema):
    id: int
    name: str
    category: str
    area: str | None
    description: str
    location: str
    hours: str
    documents: str
    online_url: str
    hotline: str


class VenueOut(Schema):
    id: int
    name: str
    area: str
    address: str
    capacity: int
    slot_minutes: int
    opens: dt.time
    closes: dt.time
    description: str


class SlotOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    taken: bool
    past: bool


class BookingIn(Schema):
    venue_id: int
    starts_at: dt.datetime
    slots: int = 1
    purpose: str
    people: int = 1


class BookingOut(Schema):
    id: int
    venue: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    purpose: str
    people: int
    status: str


def _booking(b: Booking) -> dict:
    return {
        "id": b.pk,
        "venue": b.venue.name,
        "starts_at": b.starts_at,
        "ends_at": b.ends_at,
        "purpose": b.purpose,
        "people": b.people,
        "status": b.status,
    }


@router.get("/services", response=list[ServiceOut], summary="办事指南（含 12345、96345 热线）")
def service_list(request):
    return [
        {
            "id": s.pk,
            "name": s.name,
            "category": s.category,
            "area": s.area.name if s.area_id else None,
            "description": s.description,
            "location": s.location,
            "hours": s.hours,
            "documents": s.documents,
            "online_url": s.online_url,
            "hotline": s.hotline,
        }
        for s in selectors.services_for(actor=request.auth)
    ]


@router.get("/venues", response=list[VenueOut], summary="可预约的场地（党群服务中心等）")
def venue_list(request):
    return [
        {
            "id": v.pk,
            "name": v.name,
            "area": v.area.name,
            "address": v.address,
            "capacity": v.capacity,
            "slot_minutes": v.slot_minutes,
            "opens": v.opens,
            "closes": v.closes,
            "description": v.description,
        }
        for v in selectors.venues_for(actor=request.auth)
    ]


@router.get(
    "/venues/{venue_id}/slots", response={200: list[SlotOut], **ERRORS}, summary="某日的时段"
)
def venue_slots(request, venue_id: int, date: dt.date | None = None):
    venue = selectors.access_venue(actor=request.auth, venue_id=venue_id)
    day = date or timezone.localdate()
    if abs((day - timezone.localdate()).days) > 366:
        raise DomainError("bad_date", "日期超出范围", status=422)
    return selectors.day_slots(venue, day)


@router.get("/bookings", response=list[BookingOut], summary="我的预约；场地管理人员看辖区内的预约")
def booking_list(request):
    mine = selectors.bookings_of(actor=request.auth)
    seen = {b.pk for b in mine}
    return [_booking(b) for b in mine] + [
        _booking(b) for b in selectors.bookings_at(actor=request.auth) if b.pk not in seen
    ]


@router.post(
    "/bookings", response={201: BookingOut, **ERRORS}, summary="预约场地（按时段，不可重复预约）"
)
def booking_create(request, payload: BookingIn):
    venue = selectors.access_venue(actor=request.auth, venue_id=payload.venue_id)
    b = services.booking_create(
        actor=request.auth,
        venue=venue,
        starts_at=payload.starts_at,
        slots=payload.slots,
        purpose=payload.purpose,
        people=payload.people,
    )
    return Status(201, _booking(b))


@router.post(
    "/bookings/{booking_id}/cancel", response={200: BookingOut, **ERRORS}, summary="取消预约"
)
def booking_cancel(request, booking_id: int):
    booking = selectors.access_booking(actor=request.auth, booking_id=booking_id)
    return _booking(services.booking_cancel(actor=request.auth, booking=booking))

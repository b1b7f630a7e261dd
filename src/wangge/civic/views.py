"""办事 pages in the resident H5 (/m/services/…): the directory, venues and
their slots, booking and cancelling. Thin: access, one service call, render."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_POST

from wangge.core.errors import DomainError
from wangge.h5.views import resident_required

from . import selectors, services


@resident_required
def services_page(request):
    return render(
        request,
        "civic/h5_services.html",
        {
            "services": selectors.services_for(actor=request.user),
            "venues": list(selectors.venues_for(actor=request.user)),
            "bookings": selectors.bookings_of(actor=request.user, limit=20),
        },
    )


def _venue_page(request, venue, day: dt.date, *, status: int = 200, error: str = ""):
    today = timezone.localdate()
    return render(
        request,
        "civic/h5_venue.html",
        {
            "venue": venue,
            "day": day,
            "days": [today + dt.timedelta(days=i) for i in range(min(venue.days_ahead, 7) + 1)],
            "slots": selectors.day_slots(venue, day),
            "error": error,
        },
        status=status,
    )


@resident_required
def venue(request, venue_id: int):
    v = selectors.access_venue(actor=request.user, venue_id=venue_id)
    day = parse_date(request.GET.get("date", "")) or timezone.localdate()
    if request.method != "POST":
        return _venue_page(request, v, day)
    starts_at = parse_datetime(request.POST.get("starts_at", ""))
    slots, people = request.POST.get("slots", "1"), request.POST.get("people", "1")
    try:
        if starts_at is None:
            raise DomainError("bad_slot", "请选择时段", status=422)
        services.booking_create(
            actor=request.user,
            venue=v,
            starts_at=starts_at,
            slots=int(slots) if slots.isdigit() else 0,
            purpose=request.POST.get("purpose", ""),
            people=int(people) if people.isdigit() else 0,
        )
    except DomainError as exc:
        return _venue_page(request, v, day, status=exc.status, error=exc.message)
    return redirect("h5:services")


@require_POST
@resident_required
def cancel(request, booking_id: int):
    booking = selectors.access_booking(actor=request.user, booking_id=booking_id)
    with contextlib.suppress(DomainError):  # already cancelled: the list shows it
        services.booking_cancel(actor=request.user, booking=booking)
    return redirect("h5:services")

"""Reads of 办事: the service directory for where the actor lives or works,
venues and their free slots, bookings."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from wangge.teams.scope import scope_for

from .models import BookedSlot, Booking, Service, Venue


def _ancestors(path: str) -> list[str]:
    return [path[:i] for i in range(5, len(path) + 1, 5)]


def _placed(qs: QuerySet, actor) -> QuerySet:
    """Staff: rows under their areas; residents: rows of their grid's
    community, street, district and city (what they can walk to)."""
    scope = scope_for(actor)
    if scope.is_staff_scope:
        return qs.filter(scope.q())
    if not scope.home_grid_path:
        return qs.none()
    return qs.filter(area_path__in=_ancestors(scope.home_grid_path))


def services_for(*, actor) -> list[Service]:
    scope = scope_for(actor)
    everywhere = Service.objects.filter(area__isnull=True, is_active=True)
    local = _placed(Service.objects.filter(area__isnull=False, is_active=True), actor)
    if not scope.is_staff_scope and not scope.home_grid_path:
        local = Service.objects.none()
    rows = list(everywhere) + list(local.select_related("area"))
    return sorted(rows, key=lambda s: (s.area_path != "", -len(s.area_path), s.sort, s.pk))


def venues_for(*, actor) -> QuerySet[Venue]:
    return _placed(Venue.objects.filter(is_active=True), actor).select_related("area")


def access_venue(*, actor, venue_id: int) -> Venue:
    venue = venues_for(actor=actor).filter(pk=venue_id).first()
    if venue is None:
        raise Http404
    return venue


def slot_starts(venue: Venue, day: dt.date) -> list[dt.datetime]:
    """The start times of a venue's slots on a day (local time)."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, venue.opens, tzinfo=tz)
    end = dt.datetime.combine(day, venue.closes, tzinfo=tz)
    step = dt.timedelta(minutes=venue.slot_minutes)
    out = []
    while start + step <= end:
        out.append(start)
        start += step
    return out


def day_slots(venue: Venue, day: dt.date) -> list[dict]:
    starts = slot_starts(venue, day)
    if not starts:
        return []
    taken = set(
        BookedSlot.objects.filter(
            venue=venue, starts_at__gte=starts[0], starts_at__lte=starts[-1]
        ).values_list("starts_at", flat=True)
    )
    now = timezone.now()
    step = dt.timedelta(minutes=venue.slot_minutes)
    return [
        {
            "starts_at": s,
            "ends_at": s + step,
            "taken": s in taken,
            "past": s < now,
        }
        for s in starts
    ]


def bookings_of(*, actor, limit: int = 50) -> list[Booking]:
    return list(
        Booking.objects.filter(user=actor).select_related("venue").order_by("-starts_at")[:limit]
    )


def bookings_at(*, actor, limit: int = 200) -> list[Booking]:
    """Staff: upcoming bookings of the venues under their areas."""
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        return []
    return list(
        Booking.objects.filter(scope.q(), status=Booking.Status.BOOKED, ends_at__gte=timezone.now())
        .select_related("venue", "user")
        .order_by("starts_at")[:limit]
    )


def access_booking(*, actor, booking_id: int) -> Booking:
    scope = scope_for(actor)
    q = Q(user=actor)
    if scope.is_staff_scope:
        q |= scope.q()
    booking = Booking.objects.filter(q, pk=booking_id).select_related("venue").first()
    if booking is None:
        raise Http404
    return booking

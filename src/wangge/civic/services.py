"""Writes of 办事: book and cancel venue slots.

A booking writes one BookedSlot row per slot it takes, under a unique
(venue, starts_at) constraint: of two racing bookings of one slot exactly
one is written, on SQLite and PostgreSQL, with no lock held across the
request."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from wangge.core.errors import Conflict, DomainError, PermissionDenied
from wangge.teams.roles import ROLE_CAPS, Role
from wangge.teams.scope import scope_for

from .models import BookedSlot, Booking, Venue
from .selectors import slot_starts

MAX_SLOTS = 8
# Staff who manage venues and may cancel anyone's booking there.
VENUE_ROLES = {Role.COMMUNITY_CADRE, Role.STREET_CADRE, Role.CITY_ADMIN}


def booking_create(
    *,
    actor,
    venue: Venue,
    starts_at: dt.datetime,
    slots: int,
    purpose: str,
    people: int,
    now: dt.datetime | None = None,
) -> Booking:
    now = now or timezone.now()
    if actor.kind == "resident" and actor.resident_status != "verified":
        raise PermissionDenied("not_verified", "您的账号尚未经网格员核实，暂不能预约场地")
    scope = scope_for(actor)
    if (
        scope.is_staff_scope
        and not scope.unrestricted
        and not any(
            not ROLE_CAPS[g.role].read_only and venue.area_path.startswith(g.path)
            for g in scope.grants
        )
    ):
        raise PermissionDenied("not_allowed", "只读账号不能预约场地")
    purpose = (purpose or "").strip()
    if not purpose or len(purpose) > 200:
        raise DomainError("purpose_required", "请填写用途（200 字以内）", status=422)
    if not isinstance(slots, int) or not 1 <= slots <= MAX_SLOTS:
        raise DomainError("bad_slots", f"一次可预约 1–{MAX_SLOTS} 个连续时段", status=422)
    if not isinstance(people, int) or not 1 <= people <= venue.capacity:
        raise DomainError("bad_people", f"人数须为 1–{venue.capacity}（场地容纳人数）", status=422)
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    local = timezone.localtime(starts_at)
    day_starts = slot_starts(venue, local.date())
    if local not in day_starts:
        raise DomainError(
            "bad_slot",
            f"请按场地时段预约：{venue.opens:%H:%M}–{venue.closes:%H:%M}，每段 {venue.slot_minutes} 分钟",
            status=422,
        )
    first = day_starts.index(local)
    wanted = day_starts[first : first + slots]
    if len(wanted) < slots:
        raise DomainError(
            "after_closing", f"预约不能超过场地关闭时间 {venue.closes:%H:%M}", status=422
        )
    if starts_at <= now:
        raise DomainError("in_past", "不能预约已经开始或过去的时段", status=422)
    if starts_at > now + dt.timedelta(days=venue.days_ahead):
        raise DomainError("too_far", f"最多可提前 {venue.days_ahead} 天预约", status=422)
    step = dt.timedelta(minutes=venue.slot_minutes)
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                venue=venue,
                area_path=venue.area_path,
                user=actor,
                starts_at=wanted[0],
                ends_at=wanted[-1] + step,
                purpose=purpose,
                people=people,
                created_at=now,
            )
            BookedSlot.objects.bulk_create(
                [BookedSlot(venue=venue, booking=booking, starts_at=s) for s in wanted]
            )
    except IntegrityError as exc:
        raise Conflict("slot_taken", "所选时段已被他人预约，请选择其他时段") from exc
    return booking


def booking_cancel(*, actor, booking: Booking) -> Booking:
    own = booking.user_id == actor.pk
    scope = scope_for(actor)
    manager = scope.unrestricted or any(
        g.role in VENUE_ROLES and booking.area_path.startswith(g.path) for g in scope.grants
    )
    if not own and not manager:
        raise PermissionDenied("not_allowed", "只能取消自己的预约")
    with transaction.atomic():
        done = Booking.objects.filter(pk=booking.pk, status=Booking.Status.BOOKED).update(
            status=Booking.Status.CANCELLED, cancelled_at=timezone.now()
        )
        if not done:
            raise Conflict("not_booked", "该预约已取消")
        BookedSlot.objects.filter(booking=booking).delete()
    booking.refresh_from_db()
    return booking

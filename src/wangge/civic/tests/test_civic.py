"""办事: the directory (with the two hotlines everywhere) and venue booking."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.http import Http404
from django.utils import timezone

from wangge.civic import selectors, services
from wangge.civic.models import BookedSlot, Booking, Service, Venue
from wangge.core.errors import DomainError
from wangge.points.tests.people import person


def ensure_hotlines() -> None:
    importlib.import_module("wangge.civic.migrations.0002_hotlines").add(apps, None)


@pytest.fixture
def venue(tree):
    return Venue.objects.create(
        area=tree.community_a1a, name="党群服务中心多功能厅", capacity=30, slot_minutes=60
    )


def tomorrow_at(hour: int, minute: int = 30) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


def test_directory_has_the_hotlines_and_local_services(tree, make_staff):
    ensure_hotlines()
    Service.objects.create(
        area=tree.community_a1a,
        name="居住证明开具",
        location="社区服务大厅",
        documents="身份证、户口簿",
    )
    Service.objects.create(area=tree.community_b1a, name="外区专办事项")
    alice = person(tree.grid_a1a_1, tree.mg_a1a_1_1)
    names = [s.name for s in selectors.services_for(actor=alice.user)]
    assert names[:2] == ["12345 政务服务便民热线", "96345 社会公共服务热线"]
    assert "居住证明开具" in names and "外区专办事项" not in names
    worker_b = make_staff("grid_worker", tree.grid_b1a_1)
    assert "居住证明开具" not in [s.name for s in selectors.services_for(actor=worker_b)]


def test_book_a_slot_and_no_double_booking(tree, venue):
    alice = person(tree.grid_a1a_1, tree.mg_a1a_1_1, name="预约甲")
    bob = person(tree.grid_a1a_2, name="预约乙")
    b = services.booking_create(
        actor=alice.user,
        venue=venue,
        starts_at=tomorrow_at(9),
        slots=2,
        purpose="楼道议事会",
        people=12,
    )
    assert b.ends_at - b.starts_at == dt.timedelta(hours=2)
    with pytest.raises(DomainError) as err:
        services.booking_create(
            actor=bob.user,
            venue=venue,
            starts_at=tomorrow_at(10),
            slots=1,
            purpose="排练",
            people=5,
        )
    assert err.value.code == "slot_taken" and "已被他人预约" in err.value.message
    assert Booking.objects.count() == 1 and BookedSlot.objects.count() == 2
    slots = selectors.day_slots(venue, tomorrow_at(9).date())
    assert [s["taken"] for s in slots[:4]] == [False, True, True, False]  # 8:30 free
    # Cancel frees the slots.
    services.booking_cancel(actor=alice.user, booking=b)
    services.booking_create(
        actor=bob.user, venue=venue, starts_at=tomorrow_at(10), slots=1, purpose="排练", people=5
    )
    with pytest.raises(DomainError):
        services.booking_cancel(actor=bob.user, booking=b)


@pytest.mark.parametrize(
    ("start", "slots", "people", "code"),
    [
        (lambda: tomorrow_at(9, 0), 1, 5, "bad_slot"),  # not on the slot grid
        (lambda: tomorrow_at(19), 2, 5, "after_closing"),
        (lambda: tomorrow_at(9) - dt.timedelta(days=2), 1, 5, "in_past"),
        (lambda: tomorrow_at(9) + dt.timedelta(days=30), 1, 5, "too_far"),
        (lambda: tomorrow_at(9), 1, 99, "bad_people"),
        (lambda: tomorrow_at(9), 0, 5, "bad_slots"),
    ],
)
def test_bad_bookings_write_nothing(tree, venue, start, slots, people, code):
    alice = person(tree.grid_a1a_1, tree.mg_a1a_1_1)
    with pytest.raises(DomainError) as err:
        services.booking_create(
            actor=alice.user,
            venue=venue,
            starts_at=start(),
            slots=slots,
            purpose="活动",
            people=people,
        )
    assert err.value.code == code and not err.value.message.isascii()
    assert Booking.objects.count() == 0 and BookedSlot.objects.count() == 0


def test_venues_of_another_community_are_not_found(tree, venue):
    far = person(tree.grid_b1a_1, tree.mg_b1a_1_1)
    with pytest.raises(Http404):
        selectors.access_venue(actor=far.user, venue_id=venue.pk)

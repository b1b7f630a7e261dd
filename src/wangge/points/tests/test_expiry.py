"""Redemption codes expire: the keeper's check refuses an expired code in
Chinese and changes nothing; the periodic sweep gives the points back with a
compensating ledger entry (the spend stays), returns the stock, once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wangge.core.errors import DomainError
from wangge.points import services
from wangge.points.expiry import code_expires_at, redemptions_expire, refund_source
from wangge.points.models import EntryKind, PointsEntry, Redemption, ShopItem
from wangge.points.services import balance, holder_of

from .people import fund

# Wednesday 25 November 2026, 10:00 local time.
WED = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 0))


def local(d: dt.datetime) -> dt.datetime:
    return timezone.localtime(d).replace(tzinfo=None)


def test_a_code_lasts_until_the_end_of_the_next_exchange_day():
    wed_sat = [3, 6]
    # Issued on a Wednesday (an exchange day): valid through Saturday.
    assert local(code_expires_at(wed_sat, WED)) == dt.datetime(2026, 11, 29, 0, 0)
    # Issued on a Monday: through Wednesday.
    monday = WED - dt.timedelta(days=2)
    assert local(code_expires_at(wed_sat, monday)) == dt.datetime(2026, 11, 26, 0, 0)
    # Two exchange days: Wednesday → Saturday → the next Wednesday.
    assert local(code_expires_at(wed_sat, WED, n=2)) == dt.datetime(2026, 12, 3, 0, 0)
    # A shop open every day: the end of tomorrow.
    assert local(code_expires_at([], WED)) == dt.datetime(2026, 11, 27, 0, 0)


def test_the_number_of_exchange_days_is_a_setting(settings, alice, item):
    settings.WANGGE_POINTS_CODE_EXCHANGE_DAYS = 3
    fund(alice, 100)
    r = services.redemption_create(actor=alice.user, item_id=item.pk)
    today = timezone.localtime(r.created_at).date()
    assert timezone.localtime(r.expires_at).date() == today + dt.timedelta(days=4)


def test_an_expired_code_is_refused_and_its_points_come_back_once(tree, alice, item, make_staff):
    fund(alice, 100)
    r = services.redemption_create(actor=alice.user, item_id=item.pk, quantity=2)
    assert r.expires_at is not None and balance(holder_of(alice.user)) == 40
    keeper = make_staff("community_cadre", tree.community_a1a)
    after = r.expires_at + dt.timedelta(minutes=1)

    # The check after expiry: a clear refusal; nothing changes.
    with pytest.raises(DomainError) as err:
        services.redemption_check(actor=keeper, code=r.code, at=after)
    assert err.value.code == "code_expired" and err.value.status == 409
    assert "过期" in err.value.message and "积分将自动退回" in err.value.message
    assert Redemption.objects.get(pk=r.pk).status == Redemption.Status.PENDING
    assert balance(holder_of(alice.user)) == 40

    # The sweep before expiry does nothing; after it, one refund.
    assert redemptions_expire(now=r.expires_at - dt.timedelta(seconds=1)) == 0
    assert redemptions_expire(now=after) == 1
    r.refresh_from_db()
    assert r.status == Redemption.Status.EXPIRED
    assert balance(holder_of(alice.user)) == 100
    assert ShopItem.objects.get(pk=item.pk).stock == 5
    lines = list(
        PointsEntry.objects.filter(resident=alice.resident)
        .order_by("id")
        .values_list("kind", "amount", "source")
    )
    assert lines[-2:] == [
        (EntryKind.REDEEM, -60, None),  # the spend stays: the ledger is append-only
        (EntryKind.REFUND, 60, refund_source(r.pk)),
    ]
    assert "过期" in PointsEntry.objects.get(source=refund_source(r.pk)).reason

    # Again: nothing more. The code stays refused; it cannot be cancelled either.
    assert redemptions_expire(now=after + dt.timedelta(days=30)) == 0
    assert PointsEntry.objects.filter(kind=EntryKind.REFUND).count() == 1
    with pytest.raises(DomainError) as err:
        services.redemption_check(actor=keeper, code=r.code, at=after)
    assert err.value.code == "code_expired" and "已退回" in err.value.message
    with pytest.raises(DomainError) as err:
        services.redemption_cancel(actor=alice.user, redemption_id=r.pk)
    assert err.value.code == "not_pending"
    assert balance(holder_of(alice.user)) == 100


def test_a_code_checked_in_time_does_not_expire(tree, alice, item, make_staff):
    fund(alice, 100)
    r = services.redemption_create(actor=alice.user, item_id=item.pk)
    keeper = make_staff("community_cadre", tree.community_a1a)
    services.redemption_check(actor=keeper, code=r.code, at=r.expires_at - dt.timedelta(hours=1))
    assert redemptions_expire(now=r.expires_at + dt.timedelta(days=1)) == 0
    assert Redemption.objects.get(pk=r.pk).status == Redemption.Status.FULFILLED
    assert balance(holder_of(alice.user)) == 70


def test_a_cancelled_code_refunds_once_with_the_same_source(alice, item):
    fund(alice, 100)
    r = services.redemption_create(actor=alice.user, item_id=item.pk)
    services.redemption_cancel(actor=alice.user, redemption_id=r.pk)
    assert redemptions_expire(now=r.expires_at + dt.timedelta(days=1)) == 0
    assert PointsEntry.objects.get(kind=EntryKind.REFUND).source == refund_source(r.pk)
    assert balance(holder_of(alice.user)) == 100


def test_the_resident_sees_until_when_the_code_is_valid(client, alice, item):
    fund(alice, 100)
    r = services.redemption_create(actor=alice.user, item_id=item.pk)
    client.force_login(alice.user)
    page = client.get("/m/points/").content.decode()
    last_day = timezone.localtime(r.expires_at) - dt.timedelta(seconds=1)
    assert f"有效期至 {last_day.month}月{last_day.day}日" in page
    [mine] = client.get("/api/v1/points/redemptions").json()
    assert mine["expires_at"] is not None and mine["code"] == r.code

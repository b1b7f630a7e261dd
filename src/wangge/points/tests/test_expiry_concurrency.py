"""Expiry races on PostgreSQL (each thread its own connection and
transaction): a keeper's check against the expiry sweep, and two sweeps
against the holder's cancel. Every code ends in exactly one state and the
points come back at most once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from wangge.core.errors import DomainError
from wangge.points import services
from wangge.points.expiry import redemptions_expire
from wangge.points.models import EntryKind, PointsEntry, Redemption, ShopItem
from wangge.points.services import balance, holder_of

from .people import fund

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="parallel transactions need PostgreSQL"
    ),
]


def together(*calls) -> list:
    """Run the calls at once, one thread (and connection) each; each
    outcome is the return value or the DomainError's code."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait()
            out[i] = calls[i]()
        except DomainError as exc:
            out[i] = exc.code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_check_racing_the_sweep_gives_one_outcome(tree, alice, item, make_staff):
    item.stock = 20
    item.save()
    fund(alice, 300)
    keeper = make_staff("community_cadre", tree.community_a1a)
    codes = [services.redemption_create(actor=alice.user, item_id=item.pk) for _ in range(6)]
    expiry = codes[0].expires_at
    in_time, late = expiry - dt.timedelta(seconds=1), expiry + dt.timedelta(seconds=1)
    for r in codes:
        # The keeper checks at the last second; the sweep runs just after midnight.
        together(
            lambda r=r: services.redemption_check(actor=keeper, code=r.code, at=in_time).status,
            lambda: redemptions_expire(now=late),
        )
    states = list(Redemption.objects.values_list("status", flat=True))
    refunds = PointsEntry.objects.filter(kind=EntryKind.REFUND).count()
    fulfilled = states.count(Redemption.Status.FULFILLED)
    assert fulfilled + states.count(Redemption.Status.EXPIRED) == 6
    assert refunds == 6 - fulfilled
    assert balance(holder_of(alice.user)) == 300 - 30 * fulfilled
    assert ShopItem.objects.get(pk=item.pk).stock == 20 - fulfilled


def test_two_sweeps_and_a_cancel_refund_once(alice, item):
    item.stock = 20
    item.save()
    fund(alice, 300)
    codes = [services.redemption_create(actor=alice.user, item_id=item.pk) for _ in range(8)]
    late = codes[0].expires_at + dt.timedelta(minutes=5)

    def cancel_all() -> int:
        done = 0
        for r in codes:
            try:
                services.redemption_cancel(actor=alice.user, redemption_id=r.pk)
                done += 1
            except DomainError:
                pass
        return done

    swept_a, swept_b, cancelled = together(
        lambda: redemptions_expire(now=late), lambda: redemptions_expire(now=late), cancel_all
    )
    assert swept_a + swept_b + cancelled == 8, (swept_a, swept_b, cancelled)
    refunds = PointsEntry.objects.filter(kind=EntryKind.REFUND)
    assert refunds.count() == 8 and len(set(refunds.values_list("source", flat=True))) == 8
    assert balance(holder_of(alice.user)) == 300
    assert ShopItem.objects.get(pk=item.pk).stock == 20
    assert not Redemption.objects.filter(status=Redemption.Status.PENDING).exists()

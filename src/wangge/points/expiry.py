"""Redemption codes expire. A code is valid until the end of the shop's
N-th exchange day after the day it was issued (N =
`WANGGE_POINTS_CODE_EXCHANGE_DAYS`, default 1: "the end of the next exchange
day"; the rest of the issuing day counts too). A keeper checking an expired
code gets 409 `code_expired` in Chinese and nothing changes; the periodic
task (`points.tasks`, every 10 minutes) marks pending codes past their
expiry `expired`, returns the stock and writes a compensating `refund`
entry (the ledger is append-only: the spend stays, the refund is a new
line). Each refund carries the source `redemption:<id>:refund`, unique in
the ledger, and the status moves with a conditional UPDATE under the
holder's lock, so a check, a cancel and two sweeps racing over one code
give exactly one outcome and at most one refund."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import EntryKind, PointsEntry, Redemption, ShopItem

DEFAULT_EXCHANGE_DAYS = 1
BATCH = 500


def exchange_days_valid() -> int:
    n = getattr(settings, "WANGGE_POINTS_CODE_EXCHANGE_DAYS", DEFAULT_EXCHANGE_DAYS)
    return max(1, int(n))


def code_expires_at(weekdays: list[int], issued: dt.datetime, n: int | None = None) -> dt.datetime:
    """The end (local midnight) of the n-th exchange day after `issued`'s
    day. A shop with no exchange day: n days."""
    n = n or exchange_days_valid()
    day = timezone.localtime(issued).date()
    days = set(weekdays) or set(range(1, 8))
    seen = 0
    while seen < n:
        day += dt.timedelta(days=1)
        if day.isoweekday() in days:
            seen += 1
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(end, timezone.get_current_timezone())


def refund_source(redemption_id: int) -> str:
    return f"redemption:{redemption_id}:refund"


def refund(redemption: Redemption, *, status: str, reason: str, actor=None) -> PointsEntry | None:
    """Inside the caller's transaction, under the holder's lock: move a
    pending redemption to `status` (cancelled or expired), put the stock
    back and write the compensating entry. None when it was not pending
    any more (someone else got there first): nothing written."""
    done = Redemption.objects.filter(pk=redemption.pk, status=Redemption.Status.PENDING).update(
        status=status
    )
    if not done:
        return None
    ShopItem.objects.filter(pk=redemption.item_id).update(stock=F("stock") + redemption.quantity)
    spent = redemption.entry
    return PointsEntry.objects.create(
        resident_id=spent.resident_id,
        worker_id=spent.worker_id,
        grid_id=spent.grid_id,
        district_id=spent.district_id,
        area_path=spent.area_path,
        kind=EntryKind.REFUND,
        amount=redemption.points,
        reason=reason[:200],
        source=refund_source(redemption.pk),
        created_by=actor,
    )


def redemptions_expire(*, now: dt.datetime | None = None, limit: int | None = None) -> int:
    """Expire every pending code past its expiry; returns how many. Each
    code in its own transaction (a failure leaves the others done)."""
    from .services import Holder, _lock

    now = now or timezone.now()
    ids = Redemption.objects.filter(status=Redemption.Status.PENDING, expires_at__lte=now)
    ids = list(ids.order_by("expires_at", "pk").values_list("pk", flat=True)[: limit or None])
    expired = 0
    for pk in ids:
        r = Redemption.objects.select_related("item", "entry").get(pk=pk)
        with transaction.atomic():
            _lock(Holder(r.resident_id, r.worker_id, 0, r.entry.area_path))
            entry = refund(
                r,
                status=Redemption.Status.EXPIRED,
                reason=f"兑换码过期未领取，积分退回（{r.item.name} ×{r.quantity}）",
            )
        expired += entry is not None
    return expired

"""Races, through parallel HTTP requests on PostgreSQL (each thread its own
connection and transaction): no double spend, no overselling, one vote per
household, no double booking. SQLite serialises writers (IMMEDIATE
transactions), so these run on PostgreSQL only."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from wangge.accounts.services import token_issue
from wangge.civic.models import BookedSlot, Booking, Venue
from wangge.deliberation.models import Vote
from wangge.points.models import EntryKind, PointsEntry, Redemption, Shop, ShopItem
from wangge.points.services import balance, resident_holder

from .people import fund, household_with, open_topic, person

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="parallel transactions need PostgreSQL"
    ),
]


def race(requests: list[tuple[object, str, dict]]) -> list[tuple[int, dict]]:
    """Send (user, url, body) POSTs at once from one thread each."""
    tokens = [token_issue(user=u, label="race") for u, _, _ in requests]
    barrier = threading.Barrier(len(requests))
    out: list = [None] * len(requests)

    def run(i: int) -> None:
        _, url, body = requests[i]
        client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[i]}")
        try:
            barrier.wait()
            r = client.post(url, data=json.dumps(body), content_type="application/json")
            out[i] = (r.status_code, r.json())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


@pytest.fixture
def shop(tree):
    return Shop.objects.create(community=tree.community_a1a, name="积分超市")


def test_no_double_spend(tree, shop):
    p = person(tree.grid_a1a_1, tree.mg_a1a_1_1)
    fund(p, 100)
    item = ShopItem.objects.create(shop=shop, name="食用油", price=30, stock=100)
    results = race([(p.user, "/api/v1/points/redemptions", {"item_id": item.pk})] * 8)
    codes = sorted(status for status, _ in results)
    assert codes == [201] * 3 + [409] * 5, results
    assert {b["code"] for s, b in results if s == 409} == {"insufficient_points"}
    assert balance(resident_holder(p.resident)) == 10
    assert Redemption.objects.count() == 3
    assert ShopItem.objects.get(pk=item.pk).stock == 97


def test_no_overselling(tree, shop):
    people = [person(tree.grid_a1a_1, tree.mg_a1a_1_1, name=f"抢购{i}") for i in range(8)]
    for p in people:
        fund(p, 100)
    item = ShopItem.objects.create(shop=shop, name="电饭煲", price=50, stock=3)
    results = race([(p.user, "/api/v1/points/redemptions", {"item_id": item.pk}) for p in people])
    codes = sorted(status for status, _ in results)
    assert codes == [201] * 3 + [409] * 5, results
    assert {b["code"] for s, b in results if s == 409} == {"out_of_stock"}
    assert ShopItem.objects.get(pk=item.pk).stock == 0
    # Losers keep their points: nothing half-written.
    assert PointsEntry.objects.filter(kind=EntryKind.REDEEM).count() == 3
    assert sorted(balance(resident_holder(p.resident)) for p in people) == [50] * 3 + [100] * 5


@pytest.mark.parametrize("buyers", ["two residents", "one resident twice"])
def test_two_redemptions_of_the_last_item(tree, shop, buyers):
    a = person(tree.grid_a1a_1, tree.mg_a1a_1_1, name="先到")
    b = a if buyers == "one resident twice" else person(tree.grid_a1a_1, tree.mg_a1a_1_1, name="后到")
    for p in {a.user.pk: a, b.user.pk: b}.values():
        fund(p, 100)
    item = ShopItem.objects.create(shop=shop, name="最后一桶油", price=40, stock=1)
    url = "/api/v1/points/redemptions"
    results = race([(a.user, url, {"item_id": item.pk}), (b.user, url, {"item_id": item.pk})])
    assert sorted(status for status, _ in results) == [201, 409], results
    (lost,) = [body for status, body in results if status == 409]
    assert lost["code"] == "out_of_stock" and "库存不足" in lost["message"], lost
    assert ShopItem.objects.get(pk=item.pk).stock == 0
    assert Redemption.objects.filter(item=item).count() == 1
    assert PointsEntry.objects.filter(kind=EntryKind.REDEEM).count() == 1
    # The loser paid nothing: one price taken in all.
    balances = {p.user.pk: balance(resident_holder(p.resident)) for p in (a, b)}
    assert sum(balances.values()) == (60 if a is b else 160), balances


def test_one_resident_votes_twice_at_once(tree, make_staff):
    (voter,) = household_with(tree.grid_a1a_1, tree.mg_a1a_1_1, names=("急性子",))
    leader = make_staff("grid_leader", tree.grid_a1a_1)
    topic = open_topic(tree.grid_a1a_1, leader)
    url = f"/api/v1/topics/{topic.pk}/votes"
    results = race([(voter.user, url, {"choice": "yes"}), (voter.user, url, {"choice": "no"})])
    assert sorted(status for status, _ in results) == [201, 409], results
    (lost,) = [body for status, body in results if status == 409]
    assert lost["code"] == "already_voted" and "已经投过票" in lost["message"], lost
    assert Vote.objects.count() == 1
    assert PointsEntry.objects.filter(rule="vote").count() == 1


def test_one_vote_per_household_under_a_race(tree, make_staff):
    family = household_with(tree.grid_a1a_1, tree.mg_a1a_1_1, names=("甲", "乙", "丙", "丁"))
    leader = make_staff("grid_leader", tree.grid_a1a_1)
    topic = open_topic(tree.grid_a1a_1, leader)
    url = f"/api/v1/topics/{topic.pk}/votes"
    results = race([(m.user, url, {"choice": "yes"}) for m in family])
    codes = sorted(status for status, _ in results)
    assert codes == [201, 409, 409, 409], results
    assert {b["code"] for s, b in results if s == 409} == {"already_voted"}
    assert Vote.objects.count() == 1
    assert PointsEntry.objects.filter(rule="vote").count() == 1


def test_no_double_booking(tree):
    venue = Venue.objects.create(area=tree.community_a1a, name="党群服务中心会议室")
    people = [person(tree.grid_a1a_1, tree.mg_a1a_1_1, name=f"预约{i}") for i in range(6)]
    day = timezone.localdate() + dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(14, 30), tzinfo=timezone.get_current_timezone())
    # Overlapping requests: one or two slots starting at 13:30 or 14:30.
    bodies = [
        {
            "venue_id": venue.pk,
            "starts_at": (start - dt.timedelta(hours=i % 2)).isoformat(),
            "slots": 1 + i % 2,
            "purpose": "活动",
            "people": 5,
        }
        for i in range(6)
    ]
    results = race(
        [(p.user, "/api/v1/civic/bookings", b) for p, b in zip(people, bodies, strict=True)]
    )
    ok = [b for s, b in results if s == 201]
    assert 1 <= len(ok) <= 2, results
    assert {b["code"] for s, b in results if s == 409} == {"slot_taken"}
    # Whatever won, no slot is held twice and no booking lost its slots.
    assert BookedSlot.objects.count() == sum(
        (b.ends_at - b.starts_at) // dt.timedelta(hours=1) for b in Booking.objects.all()
    )
    assert Booking.objects.count() == len(ok)

"""Points: rules with caps, awards from real events, the append-only ledger,
redemption with one-time codes, rankings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wangge.cases.tests.conftest import report, walk_to, world  # noqa: F401 - fixture
from wangge.core.errors import DomainError
from wangge.points import selectors, services
from wangge.points.models import EntryKind, PointsEntry, PointsRule, Redemption, RuleKind, ShopItem
from wangge.points.services import Holder, balance, holder_of, points_award, resident_holder

from .people import fund, person


def test_rules_are_data_per_city_and_caps_hold(tree, alice):
    holder = resident_holder(alice.resident)
    paid = [
        points_award(holder=holder, kind=RuleKind.REPORT_VALID, reason=f"报事{i}") for i in range(5)
    ]
    # Default rule: +5 a valid report, at most 20 a day.
    assert [e.amount if e else None for e in paid] == [5, 5, 5, 5, None]
    assert balance(holder) == 20
    rule = PointsRule.objects.get(city=tree.city, kind=RuleKind.VOTE)
    rule.points, rule.monthly_cap = 7, 10
    rule.save()
    first = points_award(holder=holder, kind=RuleKind.VOTE, reason="表决1")
    second = points_award(holder=holder, kind=RuleKind.VOTE, reason="表决2")
    assert (first.amount, second.amount) == (7, 3)  # capped at the month's remaining 3
    # The next day the daily cap starts again; the monthly one does not.
    tomorrow = timezone.now() + dt.timedelta(days=1)
    again = points_award(holder=holder, kind=RuleKind.REPORT_VALID, reason="次日报事", at=tomorrow)
    assert again.amount == 5


def test_the_same_event_pays_once(alice):
    holder = resident_holder(alice.resident)
    assert points_award(holder=holder, kind=RuleKind.VOTE, reason="表决", source="vote:1:1")
    assert points_award(holder=holder, kind=RuleKind.VOTE, reason="表决", source="vote:1:1") is None
    assert PointsEntry.objects.count() == 1


def test_a_residents_report_earns_when_accepted_and_when_closed(world, alice):  # noqa: F811
    case = walk_to(world, report(world, actor=alice.user), "closed")
    entries = list(PointsEntry.objects.filter(resident=alice.resident).order_by("id"))
    assert [(e.rule, e.amount) for e in entries] == [
        (RuleKind.REPORT_VALID, 5),
        (RuleKind.CASE_USEFUL, 10),
    ]
    assert case.number in entries[1].reason


def test_ledger_rows_cannot_be_changed_or_deleted_in_the_database(alice):
    fund(alice, 10)
    entry = PointsEntry.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        PointsEntry.objects.filter(pk=entry.pk).update(amount=1000)
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
        c.execute("DELETE FROM points_pointsentry")
    entry.refresh_from_db()
    assert entry.amount == 10


def test_redeem_check_once_and_cancel(tree, alice, item, make_staff):
    fund(alice, 100)
    r = services.redemption_create(actor=alice.user, item_id=item.pk, quantity=2)
    assert r.points == 60 and len(r.code) == 8 and r.code.isdigit()
    assert balance(holder_of(alice.user)) == 40
    item.refresh_from_db()
    assert item.stock == 3
    keeper = make_staff("community_cadre", tree.community_a1a)
    done = services.redemption_check(actor=keeper, code=r.code)
    assert done.status == Redemption.Status.FULFILLED and done.fulfilled_by == keeper
    with pytest.raises(DomainError) as err:
        services.redemption_check(actor=keeper, code=r.code)
    assert err.value.code == "code_used"
    # A keeper elsewhere: the code does not exist for them.
    other = make_staff("community_cadre", tree.community_b1a)
    from django.http import Http404

    with pytest.raises(Http404):
        services.redemption_check(actor=other, code=r.code)
    # Cancelling a pending one returns points and stock, as new entries.
    r2 = services.redemption_create(actor=alice.user, item_id=item.pk)
    services.redemption_cancel(actor=alice.user, redemption_id=r2.pk)
    assert balance(holder_of(alice.user)) == 40
    assert ShopItem.objects.get(pk=item.pk).stock == 3
    kinds = list(PointsEntry.objects.order_by("id").values_list("kind", "amount"))
    assert kinds[-2:] == [(EntryKind.REDEEM, -30), (EntryKind.REFUND, 30)]


def test_code_is_checked_only_on_exchange_days(tree, alice, item, make_staff):
    fund(alice, 100)
    shop = item.shop
    shop.exchange_days = "6"
    shop.save()
    r = services.redemption_create(actor=alice.user, item_id=item.pk)
    keeper = make_staff("community_cadre", tree.community_a1a)
    friday = timezone.make_aware(dt.datetime(2026, 11, 27, 10, 0))
    with pytest.raises(DomainError) as err:
        services.redemption_check(actor=keeper, code=r.code, at=friday)
    assert err.value.code == "not_exchange_day" and "周六" in err.value.message
    saturday = friday + dt.timedelta(days=1)
    assert services.redemption_check(actor=keeper, code=r.code, at=saturday).fulfilled_at


@pytest.mark.parametrize(
    ("points", "stock", "quantity", "code"),
    [(20, 5, 1, "insufficient_points"), (100, 1, 2, "out_of_stock"), (100, 5, 0, "bad_quantity")],
)
def test_bad_redemptions_write_nothing(alice, item, points, stock, quantity, code):
    fund(alice, points)
    ShopItem.objects.filter(pk=item.pk).update(stock=stock)
    with pytest.raises(DomainError) as err:
        services.redemption_create(actor=alice.user, item_id=item.pk, quantity=quantity)
    assert err.value.code == code and not err.value.message.isascii()
    assert PointsEntry.objects.count() == 1 and Redemption.objects.count() == 0
    assert ShopItem.objects.get(pk=item.pk).stock == stock


def test_a_shop_in_another_community_is_not_found(tree, item):
    from django.http import Http404

    far = person(tree.grid_a1b_1, tree.mg_a1b_1_1, name="李四")
    fund(far, 100)
    with pytest.raises(Http404):
        services.redemption_create(actor=far.user, item_id=item.pk)


def test_part_time_workers_have_a_ledger_and_volunteer_hours(tree, make_staff):
    worker = make_staff("part_time_worker", tree.grid_a1a_1)
    leader = make_staff("grid_leader", tree.grid_a1a_1)
    holder = services.access_holder(actor=leader, worker_id=worker.pk)
    entry = services.points_award_volunteer(actor=leader, holder=holder, hours=3, note="敬老院帮扶")
    assert entry.amount == 30 and entry.worker == worker
    assert balance(holder_of(worker)) == 30
    # The daily cap (80) cuts the next award to what is left, then refuses.
    capped = services.points_award_volunteer(actor=leader, holder=holder, hours=6, note="再次")
    assert capped.amount == 50
    with pytest.raises(DomainError) as err:
        services.points_award_volunteer(actor=leader, holder=holder, hours=1, note="第三次")
    assert err.value.code == "cap_reached"
    with pytest.raises(DomainError):
        services.points_correct(actor=leader, holder=holder, amount=-5, reason="录错")
    cadre = make_staff("community_cadre", tree.community_a1a)
    with pytest.raises(DomainError) as err:
        services.points_correct(actor=cadre, holder=holder, amount=-500, reason="录错")
    assert err.value.code == "insufficient_points"
    services.points_correct(actor=cadre, holder=holder, amount=-5, reason="录错")
    assert balance(holder) == balance(holder_of(worker))


def test_rankings_per_grid_and_of_grids(tree):
    a = person(tree.grid_a1a_1, tree.mg_a1a_1_1, name="王小明")
    b = person(tree.grid_a1a_1, tree.mg_a1a_1_1, name="赵大海")
    c = person(tree.grid_a1a_2, name="钱多多")
    for p, n in ((a, 1), (b, 3), (c, 3)):
        for i in range(n):
            points_award(
                holder=resident_holder(p.resident), kind=RuleKind.REPORT_VALID, reason=f"{i}"
            )
    since = selectors.period_start("month")
    rows = selectors.residents_ranking(grid=tree.grid_a1a_1, since=since)
    assert [(r["name"], r["points"]) for r in rows] == [("赵**", 15), ("王**", 5)]
    grids = selectors.grids_ranking(area=tree.community_a1a, since=since)
    assert [(g["name"], g["points"], g["households"]) for g in grids] == [
        (tree.grid_a1a_2.name, 15, 1),  # 1500 per 100 households
        (tree.grid_a1a_1.name, 20, 2),  # 1000 per 100 households
    ]


OPS = st.lists(
    st.tuples(st.sampled_from(["earn", "redeem", "correct", "cancel"]), st.integers(1, 4)),
    max_size=25,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_balance_is_the_sum_of_entries_and_never_negative(tree, make_staff, ops):
    with transaction.atomic():
        p = person(tree.grid_a1a_1, tree.mg_a1a_1_1, name="周全")
        from wangge.points.models import Shop

        shop = Shop.objects.create(community=tree.community_a1a, name="超市")
        item = ShopItem.objects.create(shop=shop, name="米", price=7, stock=6)
        cadre = make_staff("community_cadre", tree.community_a1a)
        holder: Holder = holder_of(p.user)
        for op, n in ops:
            try:
                if op == "earn":
                    points_award(
                        holder=holder, kind=RuleKind.VOLUNTEER_HOUR, reason="志愿", units=n
                    )
                elif op == "redeem":
                    services.redemption_create(actor=p.user, item_id=item.pk, quantity=n)
                elif op == "correct":
                    services.points_correct(
                        actor=cadre, holder=holder, amount=-3 * n, reason="更正"
                    )
                else:
                    pending = Redemption.objects.filter(status="pending").first()
                    if pending:
                        services.redemption_cancel(actor=p.user, redemption_id=pending.pk)
            except DomainError:
                pass
            amounts = list(
                PointsEntry.objects.filter(resident=p.resident).values_list("amount", flat=True)
            )
            assert balance(holder) == sum(amounts) >= 0
            taken = sum(
                r.quantity for r in Redemption.objects.filter(item=item).exclude(status="cancelled")
            )
            assert ShopItem.objects.get(pk=item.pk).stock == 6 - taken
        transaction.set_rollback(True)


def test_entry_needs_exactly_one_holder(tree, alice, make_staff):
    worker = make_staff("part_time_worker", tree.grid_a1a_1)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(
            resident=alice.resident,
            worker=worker,
            grid=tree.grid_a1a_1,
            district_id=alice.resident.district_id,
            area_path=tree.grid_a1a_1.path,
            kind=EntryKind.EARN,
            amount=1,
            reason="x",
        )

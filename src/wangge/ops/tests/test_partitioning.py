"""`wangge partition` (and its older name `partition-cases`) on PostgreSQL:
the large per-district tables become LIST partitions by district, and the
app's flows keep working on them. The conversion runs inside the test's
transaction, so it is rolled back after."""

import re

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from wangge.cases.tests.conftest import IN_MG_B1A_1_1, report, walk_to
from wangge.ops.partitioning import is_partitioned, partitions

postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="PostgreSQL native partitioning"
)


def _where(table, ids):
    with connection.cursor() as c:
        c.execute(
            f"SELECT id, tableoid::regclass::text FROM {table} WHERE id = ANY(%s)", [list(ids)]
        )
        return dict(c.fetchall())


def _constraints(table):
    with connection.cursor() as c:
        c.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass",
            [table],
        )
        return dict(c.fetchall())


@pytest.mark.django_db
def test_partitioning_needs_postgres():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite behaviour")
    with pytest.raises(CommandError, match="partition_postgres_only"):
        call_command("partition_cases")


@postgres_only
@pytest.mark.django_db
def test_cases_and_events_partitioned_by_district(world, capsys):
    w, t = world, world.tree
    a = walk_to(w, report(w), "dispatched")
    b = report(w, actor=w.outsider, point=IN_MG_B1A_1_1, description="河道有漂浮垃圾")
    assert (a.district_id, b.district_id) == (t.district_a.pk, t.district_b.pk)

    call_command("partition_cases")
    out = capsys.readouterr().out
    assert "cases_case：2 行" in out and "cases_caseevent：" in out
    assert "cases_caseevent.cases_caseevent_case_id" in out.replace("外键改为（id, district_id）复合键：", "")
    assert "cases_casereporter" in out  # dropped: no district column there

    with connection.cursor() as c:
        assert is_partitioned(c, "cases_case") and is_partitioned(c, "cases_caseevent")
    names = dict(partitions("cases_case"))
    assert f"cases_case_{t.district_a.code}" in names and "cases_case_default" in names
    assert names[f"cases_case_{t.district_b.code}"] == f"FOR VALUES IN ('{t.district_b.pk}')"
    assert _where("cases_case", [a.pk, b.pk]) == {
        a.pk: f"cases_case_{t.district_a.code}",
        b.pk: f"cases_case_{t.district_b.code}",
    }
    # Keys carry the district; the events' key to their case is composite.
    assert _constraints("cases_case")["cases_case_pkey"] == "PRIMARY KEY (id, district_id)"
    fk = [d for d in _constraints("cases_caseevent").values() if "REFERENCES cases_case(" in d]
    assert fk == ["FOREIGN KEY (case_id, district_id) REFERENCES cases_case(id, district_id) DEFERRABLE INITIALLY DEFERRED"]

    # The case engine on the partitioned tables: new ids continue, moves append events.
    d = walk_to(w, report(w, description="小区路灯不亮"), "closed")
    c = walk_to(w, report(w, description="楼道堆放杂物"), "handling")
    assert c.pk > b.pk
    events = list(a.events.values_list("pk", flat=True)) + list(d.events.values_list("pk", flat=True))
    assert len(events) > 10
    assert set(_where("cases_caseevent", events).values()) == {f"cases_caseevent_{t.district_a.code}"}
    # Idempotent intake still finds the earlier case (unique per district now).
    from wangge.cases.services import case_report

    again, created = case_report(actor=w.resident, description="楼道堆放杂物，影响通行", category="0101",
                                 lng=120.06, lat=30.25, idempotency_key="k-1")
    same, created2 = case_report(actor=w.resident, description="楼道堆放杂物，影响通行", category="0101",
                                 lng=120.06, lat=30.25, idempotency_key="k-1")
    assert created and not created2 and same.pk == again.pk
    # Deleting a case cascades through the ORM (events, reporters) as before.
    from wangge.cases.models import Case, CaseEvent

    Case.objects.filter(pk=c.pk).delete()
    assert not CaseEvent.objects.filter(case_id=c.pk).exists()

    # A second run finds them partitioned and does nothing.
    call_command("partition_cases")
    assert "已分区，跳过" in capsys.readouterr().out


# ------------------------------------------------- all the large tables


def _partition_of(table, where, params):
    with connection.cursor() as c:
        c.execute(f"SELECT DISTINCT tableoid::regclass::text FROM {table} WHERE {where}", params)
        return {r[0] for r in c.fetchall()}


def _plan(sql, params):
    with connection.cursor() as c:
        c.execute("EXPLAIN (COSTS OFF) " + sql, params)
        return "\n".join(r[0] for r in c.fetchall())


@pytest.mark.django_db
def test_partition_command_needs_postgres():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite behaviour")
    with pytest.raises(CommandError, match="partition_postgres_only"):
        call_command("partition", "--tables", "cases,points")


@postgres_only
@pytest.mark.django_db
def test_unknown_table_is_refused_and_nothing_changes():
    with pytest.raises(CommandError, match="partition_no_table"):
        call_command("partition", "--tables", "cases,no_such_table")
    with connection.cursor() as c:
        assert not is_partitioned(c, "cases_case")  # the whole conversion rolled back


@postgres_only
@pytest.mark.django_db
def test_large_tables_partitioned_and_the_flows_run_on_them(world, make_staff, capsys):
    """cases, case events, notice deliveries, visits and the points ledger
    become LIST partitions by district; then a notice is delivered and
    reached, visits recorded, points earned, redeemed and refunded, cases
    moved, and every row lands in its district's partition."""
    from wangge.notices.models import Delivery
    from wangge.notices.services import delivery_reach, notice_fan_out, notice_read, notice_send
    from wangge.points import services as points
    from wangge.points.ledger import install_triggers
    from wangge.points.models import EntryKind, PointsEntry, RuleKind, Shop, ShopItem
    from wangge.points.tests.people import fund, person
    from wangge.visits.models import Visit
    from wangge.visits.services import visit_record

    w, t = world, world.tree
    A, B = t.district_a, t.district_b
    before = report(w)
    alice, bob = person(t.grid_a1a_1, name="张三"), person(t.grid_b1a_1, name="李四")
    fund(alice, 100)
    fund(bob, 50)
    points.rules_ensure(t.city)

    call_command("partition")  # all groups
    out = capsys.readouterr().out
    tables = ["cases_case", "cases_caseevent", "notices_delivery", "visits_visit", "points_pointsentry"]
    for table in tables:
        assert f"{table}：" in out
        with connection.cursor() as c:
            assert is_partitioned(c, table), table
        names = dict(partitions(table))
        assert {f"{table}_{A.code}", f"{table}_{B.code}", f"{table}_default"} <= set(names)
    assert "points_pointsentry：2 行" in out
    # Its own triggers come back (the ledger guard; the assessment totals' too).
    assert re.search(r"触发器已重建：.*\bpoints_entry_append_only\b", out)
    # Keys with the partition key; deliveries keep their natural key.
    assert _constraints("notices_delivery")["notices_delivery_pkey"] == (
        "PRIMARY KEY (notice_id, grid_id, household_id, district_id)"
    )
    assert _constraints("points_pointsentry")["points_pointsentry_pkey"] == "PRIMARY KEY (id, district_id)"
    with connection.cursor() as c:
        c.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'visit_visitor_key'")
        assert "(visitor_id, idempotency_key, district_id) WHERE" in c.fetchone()[0]
    # No foreign key from these tables into another large table crosses districts.
    with connection.cursor() as c:
        c.execute(
            "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conparentid = 0 AND conrelid = ANY(%s::regclass[]) "
            "AND confrelid = ANY(%s::regclass[])",
            [tables, tables],
        )
        for _, defn in c.fetchall():
            assert "district_id" in defn, defn

    # The ledger is still append-only (trigger on the parent, cloned to each partition).
    with pytest.raises(DatabaseError, match="只能追加"), transaction.atomic(), connection.cursor() as c:
        c.execute(f"UPDATE points_pointsentry_{A.code} SET amount = 1")
    install_triggers(connection)  # what every migrate does: works on the partitioned table
    with pytest.raises(DatabaseError, match="只能追加"), transaction.atomic():
        PointsEntry.objects.filter(resident=bob.resident).delete()

    # Notices: a city-wide notice, fanned out, read and reached.
    admin = make_staff("city_admin", t.city)
    notice = notice_send(actor=admin, area=t.city, title="台风防御通知", body="请做好防范")
    notice_fan_out(notice_id=notice.pk, chunk=1)
    assert _partition_of("notices_delivery", "household_id = %s", [alice.household.pk]) == {
        f"notices_delivery_{A.code}"
    }
    assert _partition_of("notices_delivery", "household_id = %s", [bob.household.pk]) == {
        f"notices_delivery_{B.code}"
    }
    assert Delivery.objects.filter(notice=notice).count() >= 2
    assert notice_read(actor=alice.user, notice=notice)
    assert delivery_reach(actor=w.outsider, notice=notice, household=bob.household, via="phone")
    row = Delivery.objects.get(notice=notice, household_id=bob.household.pk)
    assert row.district_id == B.pk and row.reached_via == "phone"
    assert Delivery.objects.get(notice=notice, household_id=alice.household.pk).read_at

    # Visits in both districts, replayed by idempotency key.
    va, _ = visit_record(actor=w.grid_worker, household_id=alice.household.pk, idempotency_key="v1")
    vb, _ = visit_record(actor=w.outsider, household_id=bob.household.pk)
    again, created = visit_record(actor=w.grid_worker, household_id=alice.household.pk, idempotency_key="v1")
    assert not created and again.pk == va.pk and Visit.objects.count() == 2
    assert _where("visits_visit", [va.pk, vb.pk]) == {
        va.pk: f"visits_visit_{A.code}",
        vb.pk: f"visits_visit_{B.code}",
    }

    # Points: earned (once per source), redeemed, refunded; a worker's own ledger.
    earned = points.points_award(
        holder=points.resident_holder(bob.resident), kind=RuleKind.VOTE, reason="表决", source="vote:9:1"
    )
    assert points.points_award(
        holder=points.resident_holder(bob.resident), kind=RuleKind.VOTE, reason="表决", source="vote:9:1"
    ) is None
    worker_entry = points.points_correct(
        actor=w.community_cadre, holder=points.worker_holder(w.part_time), amount=5, reason="补录"
    )
    shop = Shop.objects.create(community=t.community_a1a, name="积分超市")
    item = ShopItem.objects.create(shop=shop, name="大米", price=30, stock=5)
    r = points.redemption_create(actor=alice.user, item_id=item.pk)
    points.redemption_cancel(actor=alice.user, redemption_id=r.pk)
    assert points.balance(points.resident_holder(alice.resident)) == 100
    refund = PointsEntry.objects.get(kind=EntryKind.REFUND)
    assert _where("points_pointsentry", [earned.pk, worker_entry.pk, r.entry_id, refund.pk]) == {
        earned.pk: f"points_pointsentry_{B.code}",
        worker_entry.pk: f"points_pointsentry_{A.code}",
        r.entry_id: f"points_pointsentry_{A.code}",
        refund.pk: f"points_pointsentry_{A.code}",
    }

    # Cases: the earlier case and a new one move through the engine.
    walk_to(w, before, "closed")
    new = report(w, actor=w.outsider, point=IN_MG_B1A_1_1, description="河道有漂浮垃圾")
    assert _partition_of("cases_caseevent", "case_id = %s", [before.pk]) == {f"cases_caseevent_{A.code}"}
    assert _partition_of("cases_caseevent", "case_id = %s", [new.pk]) == {f"cases_caseevent_{B.code}"}

    # Pruning: a district-scoped query reads that district's partition only.
    for table in tables:
        plan = _plan(f"SELECT count(*) FROM {table} WHERE district_id = %s", [A.pk])
        assert f"{table}_{A.code}" in plan and f"{table}_{B.code}" not in plan, plan
        assert f"{table}_default" not in plan, plan
    plan = _plan("SELECT * FROM visits_visit WHERE district_id = %s AND visitor_id = %s", [B.pk, 1])
    assert f"visits_visit_{B.code}" in plan and f"visits_visit_{A.code}" not in plan

"""`wangge partition-cases` on PostgreSQL: cases and case events become LIST
partitions by district, and the case engine keeps working on them. The
conversion runs inside the test's transaction, so it is rolled back after."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

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

"""Partition pruning for the scope rule (docs/scale.md, step 2): on the
tables partitioned by district, scoped reads carry `district_id IN (the
districts of the grants)` beside the `area_path` ranges.

(a) On either engine, partitioned or not, the extra predicate never changes
    a result: for users at city, district, street, grid level (and one with
    grants in two districts, and a department's staff) the selectors return
    exactly what the path ranges alone return.
(b) On PostgreSQL with the tables partitioned (`wangge partition`), the
    plans of a street cadre's reads — case list (count and page), case
    timeline, live feed (case events), visit list and visit, unreached
    deliveries, the ledger's list — touch one partition of each table."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wangge.cases.tests.conftest import IN_MG_B1A_1_1, report, walk_to

TABLES = ["cases_case", "cases_caseevent", "notices_delivery", "visits_visit", "points_pointsentry"]


def _fresh(user):
    """The user again, without the scope cached on the object."""
    return type(user).objects.get(pk=user.pk)


def _as_partitioned(user):
    """The user again, their scope read as on a partitioned database: the
    selectors add the district predicate whatever the tables are."""
    import dataclasses

    from wangge.teams.scope import scope_for

    user = _fresh(user)
    user._wangge_scope = dataclasses.replace(scope_for(user), partitioned=True)
    return user


@pytest.fixture
def rows(world, make_staff):
    """Rows of the five tables in both districts, and users of every level."""
    from wangge.notices.models import Notice
    from wangge.notices.services import notice_fan_out, notice_send
    from wangge.points.tests.people import fund, person
    from wangge.teams.models import RoleAssignment
    from wangge.visits.services import visit_record

    w, t = world, world.tree
    in_a = walk_to(w, report(w), "dispatched")
    in_b = report(w, actor=w.outsider, point=IN_MG_B1A_1_1, description="河道有漂浮垃圾")
    alice, bob = person(t.grid_a1a_1, name="张三"), person(t.grid_b1a_1, name="李四")
    fund(alice, 100)
    fund(bob, 50)
    visit_record(actor=w.grid_worker, household_id=alice.household.pk)
    visit_record(actor=w.outsider, household_id=bob.household.pk)
    admin = make_staff("city_admin", t.city)
    notice = notice_send(actor=admin, area=t.city, title="台风防御通知", body="请做好防范")
    notice_fan_out(notice_id=notice.pk)
    # Due now: the unreached list reads its deliveries.
    Notice.objects.filter(pk=notice.pk).update(reach_by=timezone.now())
    street_cadre = make_staff("street_cadre", t.street_a1)
    both = make_staff("street_cadre", t.street_a1)
    RoleAssignment.objects.create(
        user=both, role="grid_worker", area=t.grid_b1a_1, area_path=t.grid_b1a_1.path
    )
    users = {
        "city": admin,
        "district": w.leader,
        "district_dispatcher": w.district_dispatcher,
        "street": street_cadre,
        "community": w.community_cadre,
        "grid": w.grid_worker,
        "grid_b": w.outsider,
        "two_districts": both,
        "department": w.zf_staff,
    }
    return {"world": w, "cases": (in_a, in_b), "users": users, "alice": alice, "bob": bob}


@pytest.mark.django_db
def test_grants_know_their_district(rows):
    from wangge.cases.models import Case
    from wangge.teams.scope import scope_for

    t, u = rows["world"].tree, rows["users"]
    A, B = t.district_a.pk, t.district_b.pk
    expected = {
        "city": None,  # above the districts: no narrowing
        "district": (A,),
        "street": (A,),
        "community": (A,),
        "grid": (A,),
        "grid_b": (B,),
        "two_districts": tuple(sorted((A, B))),
        "department": (A,),
    }
    for level, ids in expected.items():
        # Not partitioned (this test database): the queries stay as they were.
        scope = scope_for(_fresh(u[level]))
        assert not scope.partitioned and scope.district_ids is None, level
        sql = str(Case.objects.filter(scope.q(district="district_id")).query)
        assert "district_id" not in sql.split(" WHERE ")[1], level
        scope = scope_for(_as_partitioned(u[level]))
        assert scope.district_ids == ids, level
        sql = str(Case.objects.filter(scope.q(district="district_id")).query)
        assert ("district_id" in sql.split(" WHERE ")[1]) == (ids is not None), level


@pytest.mark.django_db
def test_the_district_predicate_never_changes_a_result(rows):
    """Every scoped read of the five tables, per user: with the district
    predicate (what the selectors do on a partitioned database) == the path
    ranges alone."""
    from wangge.areas.paths import subtree_q
    from wangge.cases import selectors as cases
    from wangge.cases.models import Case, CaseDepartment, CaseEvent
    from wangge.console.selectors import feed
    from wangge.notices.models import Delivery
    from wangge.notices.selectors import unreached
    from wangge.points.models import PointsEntry
    from wangge.teams.scope import scope_for, scoped
    from wangge.visits.models import Visit
    from wangge.visits.selectors import visit_list

    in_a, in_b = rows["cases"]
    seen = {}
    for level, user in rows["users"].items():
        user = _as_partitioned(user)
        scope = scope_for(user)
        for model in (Case, Visit, PointsEntry):
            paths_only = set(model.objects.filter(scope.q()).values_list("pk", flat=True))
            narrowed = set(
                model.objects.filter(scope.q(district="district_id")).values_list("pk", flat=True)
            )
            assert (
                narrowed
                == paths_only
                == set(scoped(model.objects.all(), user).values_list("pk", flat=True))
            )
            seen[level, model.__name__] = paths_only
        # Deliveries: scoped through the household's path.
        paths_only = set(
            Delivery.objects.filter(scope.q("household__area_path")).values_list(
                "household_id", flat=True
            )
        )
        narrowed = set(
            Delivery.objects.filter(
                scope.q("household__area_path", district="district_id")
            ).values_list("household_id", flat=True)
        )
        assert narrowed == paths_only, level
        seen[level, "Delivery"] = paths_only

        # The selectors, against the path ranges alone.
        visible = cases.visible_cases(user)
        expected_cases = seen[level, "Case"]
        if level == "department":  # the department's own cases in its area
            [g] = scope.grants
            expected_cases = {
                c.pk
                for c in Case.objects.filter(subtree_q(g.path, "area_path"))
                if c.department_id == g.department_id
                or CaseDepartment.objects.filter(case=c, department_id=g.department_id).exists()
            }
        assert set(visible.values_list("pk", flat=True)) == expected_cases, level
        count, page = cases.case_page(actor=user, cap=100)
        assert count == len(expected_cases) and {c.pk for c in page} == expected_cases, level
        events = set(
            CaseEvent.objects.filter(case_id__in=expected_cases).values_list("pk", flat=True)
        )
        assert {e.pk for e in feed(actor=user, limit=100)} == events, level
        for pk in expected_cases:
            case = cases.access_case(actor=user, case_id=pk)
            assert [e.pk for e in cases.case_timeline(actor=user, case=case)] == list(
                case.events.order_by("at", "pk").values_list("pk", flat=True)
            )
        assert {v.pk for v in visit_list(actor=user)} == seen[level, "Visit"], level
        got = unreached(actor=user)
        assert {r.household_id for r in got["rows"]} == seen[level, "Delivery"], level

    # Not vacuous: each district's users see that district's rows only, the
    # city and the two-district user both.
    assert seen["street", "Case"] == {in_a.pk} and seen["grid_b", "Case"] == {in_b.pk}
    assert seen["city", "Case"] == seen["two_districts", "Case"] == {in_a.pk, in_b.pk}
    alice, bob = rows["alice"].household.pk, rows["bob"].household.pk
    assert seen["grid", "Delivery"] == {alice} and seen["grid_b", "Delivery"] == {bob}
    for model in ("Visit", "PointsEntry"):
        assert len(seen["city", model]) == 2 and len(seen["street", model]) == 1, model
        assert seen["street", model] | seen["grid_b", model] == seen["two_districts", model]


# ------------------------------------------------- (b) PostgreSQL: pruning

postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="PostgreSQL native partitioning"
)


def _plans(run) -> list[tuple[str, str]]:
    """(sql, plan) of each SELECT `run()` sends."""
    with CaptureQueriesContext(connection) as ctx:
        run()
    out = []
    with connection.cursor() as c:
        for q in ctx.captured_queries:
            sql = q["sql"]
            if sql.lstrip().upper().startswith("SELECT"):
                c.execute("EXPLAIN (COSTS OFF) " + sql)
                out.append((sql, "\n".join(r[0] for r in c.fetchall())))
    return out


def _partitions_read(plan: str, table: str) -> set[str]:
    import re

    # Partitions are named by district code; `cases_case_1` is an alias.
    return set(re.findall(rf"\b({table}_(?:\d{{12}}|default))\b", plan))


@postgres_only
@pytest.mark.django_db
def test_a_street_cadres_reads_touch_one_partition(rows, capsys):
    from wangge.cases import selectors as cases
    from wangge.console.selectors import feed
    from wangge.notices.selectors import unreached
    from wangge.points.models import PointsEntry
    from wangge.teams.scope import scope_for, scoped
    from wangge.visits.selectors import access_visit, visit_list

    t = rows["world"].tree
    call_command("partition")
    capsys.readouterr()
    in_a = rows["cases"][0]
    cadre = _fresh(rows["users"]["street"])
    one = {table: f"{table}_{t.district_a.code}" for table in TABLES}

    visit = visit_list(actor=cadre)[0]
    reads = {
        "case list": lambda: cases.case_page(actor=cadre, cap=100),
        "case list (open)": lambda: cases.case_page(
            actor=cadre, filters=cases.CaseFilters(open=True), cap=100
        ),
        "case": lambda: cases.access_case(actor=cadre, case_id=in_a.pk),
        "timeline": lambda: cases.case_timeline(actor=cadre, case=in_a),
        "feed": lambda: feed(actor=cadre),
        "visit list": lambda: visit_list(actor=cadre),
        "visit": lambda: access_visit(actor=cadre, visit_id=visit.pk),
        "unreached": lambda: unreached(actor=cadre),
        "ledger": lambda: list(scoped(PointsEntry.objects.all(), cadre)),
    }
    touched = set()
    for name, run in reads.items():
        plans = _plans(run)
        assert plans, name
        for sql, plan in plans:
            for table in TABLES:
                if f'"{table}"' in sql:
                    assert _partitions_read(plan, table) == {one[table]}, (name, sql, plan)
                    touched.add(table)
    assert touched == set(TABLES)

    # Without the predicate (the path ranges alone) every partition is read:
    # what the predicate saves.
    scope = scope_for(cadre)
    from wangge.cases.models import Case

    [(_, plan)] = _plans(lambda: list(Case.objects.filter(scope.q())))
    assert {one["cases_case"], "cases_case_default", f"cases_case_{t.district_b.code}"} <= (
        _partitions_read(plan, "cases_case")
    )

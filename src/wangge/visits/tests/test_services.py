import datetime as dt

import pytest

from wangge.cases.models import Case, Source
from wangge.cases.workdays import TZ
from wangge.core.errors import DomainError
from wangge.people.models import CareGroup
from wangge.visits import selectors, services
from wangge.visits.models import (
    CareContact,
    CarePair,
    CoverageCount,
    PlanItem,
    QuotaRule,
    Visit,
    VisitedHousehold,
    WorkerPlan,
)
from wangge.visits.services import RuleInput

from .conftest import B_LAT, B_LNG

pytestmark = pytest.mark.django_db


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=TZ)


# ---------------------------------------------------------------- rules
def rule(**kw):
    base = {
        "name": "测试规则",
        "role": "grid_worker",
        "area": None,
        "valid_from": dt.date(2026, 1, 1),
    }
    base.update(kw)
    return RuleInput(**base)


def test_seeded_defaults_are_the_issue_figures(vworld):
    by_role = {r.role: r for r in QuotaRule.objects.filter(is_active=True, area_path="")}
    assert by_role["grid_worker"].household_visits_per_year == 4
    assert by_role["grid_worker"].fixed_days == [5, 15, 25]
    assert by_role["street_cadre"].households_per_month == 10
    assert by_role["street_cadre"].group_visits_per_month == 4
    assert by_role["community_cadre"].households_per_month == 15


@pytest.mark.parametrize(
    "kw, field",
    [
        ({}, "rule"),
        ({"households_per_month": 10, "households_per_year": 100}, "households_per_year"),
        ({"fixed_days": (5, 15, 30)}, "fixed_days"),
        ({"fixed_days": (5, 5)}, "fixed_days"),
        ({"role": "street_cadre", "household_visits_per_year": 4}, "household_visits_per_year"),
        ({"household_visits_per_year": 0}, "household_visits_per_year"),
    ],
)
def test_contradictory_rules_are_refused_and_nothing_is_written(vworld, kw, field):
    before = QuotaRule.objects.count()
    with pytest.raises(DomainError) as e:
        services.rule_create(actor=vworld.street, data=rule(area=vworld.tree.street_a1, **kw))
    assert e.value.code == "rule_invalid"
    assert field in e.value.details
    assert "走访指标规则有误" in e.value.message
    assert QuotaRule.objects.count() == before


def test_rule_for_a_role_that_never_holds_the_area_is_refused(vworld):
    with pytest.raises(DomainError) as e:
        services.rule_create(
            actor=vworld.street,
            data=rule(role="street_cadre", area=vworld.tree.community_a1a, households_per_month=5),
        )
    assert "永远不会生效" in e.value.details["area"]


def test_rule_create_scope_and_conflict(vworld):
    t = vworld.tree
    r = services.rule_create(
        actor=vworld.community,
        data=rule(area=t.community_a1a, household_visits_per_year=6),
    )
    assert r.area_path == t.community_a1a.path
    with pytest.raises(DomainError) as e:  # second active rule, same role and area
        services.rule_create(
            actor=vworld.community, data=rule(area=t.community_a1a, households_per_month=3)
        )
    assert e.value.code == "rule_exists" and e.value.status == 409
    with pytest.raises(DomainError) as e:  # a grid worker may not set quotas
        services.rule_create(
            actor=vworld.worker, data=rule(area=t.grid_a1a_1, households_per_month=3)
        )
    assert e.value.status == 403
    with pytest.raises(DomainError) as e:  # foreign area: not found
        services.rule_create(
            actor=vworld.community, data=rule(area=t.grid_b1a_1, households_per_month=3)
        )
    assert e.value.status == 404


# ---------------------------------------------------------------- visits
def test_visit_in_own_grid_checks_the_place(vworld, now):
    h = vworld.households[0]
    near, created = services.visit_record(
        actor=vworld.worker, household_id=h.pk, lng=B_LNG + 0.0005, lat=B_LAT,
        people_met="张秀英", notes="身体尚可", idempotency_key="k1", now=now,
    )  # fmt: skip
    assert created and 40 < near.distance_m < 60 and not near.far_from_building
    far, _ = services.visit_record(
        actor=vworld.worker, household_id=h.pk, lng=B_LNG + 0.01, lat=B_LAT, now=now
    )
    assert far.distance_m > 900 and far.far_from_building
    again, created = services.visit_record(
        actor=vworld.worker, household_id=h.pk, idempotency_key="k1", now=now
    )
    assert not created and again.pk == near.pk
    assert Visit.objects.count() == 2


def test_visit_outside_the_workers_grid_writes_nothing(vworld, now):
    with pytest.raises(DomainError) as e:
        services.visit_record(actor=vworld.worker, household_id=vworld.household_x.pk, now=now)
    assert e.value.code == "household_outside_grid" and e.value.status == 404
    assert "不在您负责的网格内" in e.value.message
    with pytest.raises(DomainError) as e:  # a dispatcher sees it but does not visit
        services.visit_record(
            actor=vworld.dispatcher, household_id=vworld.households[0].pk, now=now
        )
    assert e.value.status == 403
    assert not Visit.objects.exists() and not VisitedHousehold.objects.exists()


def test_issues_found_become_a_case_in_one_step(vworld, now):
    visit, _ = services.visit_record(
        actor=vworld.worker, household_id=vworld.households[0].pk,
        issues="楼道堆放杂物，堵塞消防通道", create_case=True, idempotency_key="v-case", now=now,
    )  # fmt: skip
    case = Case.objects.get(pk=visit.case_id)
    assert case.source == Source.VISIT and case.building_id == vworld.building.pk
    assert case.grid_id == vworld.tree.grid_a1a_1.pk
    # A repeat of the same key makes neither a second visit nor a second case.
    services.visit_record(
        actor=vworld.worker, household_id=vworld.households[0].pk,
        issues="楼道堆放杂物，堵塞消防通道", create_case=True, idempotency_key="v-case", now=now,
    )  # fmt: skip
    assert Case.objects.count() == 1 and Visit.objects.count() == 1


def test_a_refused_case_rolls_the_visit_back(vworld, now):
    with pytest.raises(DomainError) as e:
        services.visit_record(
            actor=vworld.worker, household_id=vworld.households[0].pk,
            issues="问题", create_case=True, category="no-such", now=now,
        )  # fmt: skip
    assert e.value.code == "unknown_category"
    assert not Visit.objects.exists() and not Case.objects.exists()
    assert not VisitedHousehold.objects.exists()


def test_bad_times_are_refused(vworld, now):
    for when, code in ((now + dt.timedelta(hours=1), "time_in_future"),
                       (now - dt.timedelta(days=40), "time_too_old"), ("昨天", "bad_time")):  # fmt: skip
        with pytest.raises(DomainError) as e:
            services.visit_record(
                actor=vworld.worker, household_id=vworld.households[0].pk, visited_at=when, now=now
            )
        assert e.value.code == code


def test_group_visit(vworld, now):
    v, _ = services.group_visit_record(
        actor=vworld.street, area=vworld.tree.community_a1a, topic="垃圾分类座谈",
        place="芦席汇社区活动室", participants=12, now=now,
    )  # fmt: skip
    assert v.kind == "group" and v.household_id is None and v.grid_id is None
    with pytest.raises(DomainError) as e:
        services.group_visit_record(
            actor=vworld.street, area=vworld.tree.community_a1a, topic="", now=now
        )
    assert e.value.code == "topic_required"
    with pytest.raises(DomainError) as e:
        services.group_visit_record(
            actor=vworld.worker, area=vworld.tree.grid_b1a_1, topic="x", now=now
        )
    assert e.value.status == 404


# ---------------------------------------------------------------- plan and coverage
def test_plan_marks_due_and_overdue_and_coverage_follows_visits(vworld, now):
    h0, h1, h2 = vworld.households
    # h0 visited 2026-09-01 (next due 12-01: not on November's plan), h1 on
    # 2026-08-20 (due 11-19: due), h2 never (due from the rule's start: overdue).
    Visit.objects.create(kind="household", household=h0, district=vworld.tree.district_a,
                         grid=vworld.tree.grid_a1a_1, area_path=h0.area_path,
                         visitor=vworld.worker, visited_at=at(2026, 9, 1))  # fmt: skip
    Visit.objects.create(kind="household", household=h1, district=vworld.tree.district_a,
                         grid=vworld.tree.grid_a1a_1, area_path=h1.area_path,
                         visitor=vworld.worker, visited_at=at(2026, 8, 20))  # fmt: skip
    # Rows written around visit_record (an import): the coverage sets are rebuilt.
    services.coverage_refresh(period="2026", rebuild=True)
    result = services.plan_generate(month=dt.date(2026, 11, 1))
    items = {p.household_id: p for p in PlanItem.objects.filter(month=dt.date(2026, 11, 1))}
    assert set(items) == {h1.pk, h2.pk, vworld.household_x.pk}
    assert items[h1.pk].status == "due" and items[h1.pk].due_on == dt.date(2026, 11, 19)
    assert items[h2.pk].status == "overdue" and items[h2.pk].worker_id == vworld.worker.pk
    assert items[vworld.household_x.pk].worker_id == vworld.outsider.pk
    assert result.plan_items == 3 and result.overdue == 2
    # Targets: the street cadre 10 households + 4 group visits; community cadre 15.
    wp = {p.user_id: p for p in WorkerPlan.objects.filter(month=dt.date(2026, 11, 1))}
    assert (wp[vworld.street.pk].households_target, wp[vworld.street.pk].group_visits_target) == (
        10,
        4,
    )
    assert wp[vworld.community.pk].households_target == 15
    assert (
        wp[vworld.worker.pk].fixed_days == [5, 15, 25] and wp[vworld.worker.pk].due_households == 2
    )

    summary = selectors.plan_summary(actor=vworld.worker, month=dt.date(2026, 11, 1))
    assert (summary.due, summary.overdue, summary.done) == (1, 1, 0)
    services.visit_record(actor=vworld.worker, household_id=h2.pk, now=now)
    summary = selectors.plan_summary(actor=vworld.worker, month=dt.date(2026, 11, 1))
    assert summary.done == 1 and summary.open == 1

    cov = selectors.coverage(actor=vworld.street, period="2026-11")
    assert cov["households"] == 3 and cov["visited"] == 1  # street A1 only
    cov_year = selectors.coverage(actor=vworld.leader, period="2026")
    assert cov_year["rows"][0]["visited"] == 3 and cov_year["rate"] == 1.0
    # The incremental counters agree with a set-based rebuild.
    before = list(
        CoverageCount.objects.order_by("period", "grid_id").values_list(
            "period", "grid_id", "households", "visited"
        )
    )
    for p in ("2026-11", "2026-Q4", "2026"):
        services.coverage_refresh(period=p, rebuild=True)
    after = list(
        CoverageCount.objects.order_by("period", "grid_id").values_list(
            "period", "grid_id", "households", "visited"
        )
    )
    assert before == after


def test_more_specific_rule_wins(vworld):
    services.rule_create(
        actor=vworld.community,
        data=rule(area=vworld.tree.grid_a1a_1, household_visits_per_year=12),
    )
    services.plan_generate(month=dt.date(2026, 11, 1))
    items = PlanItem.objects.filter(month=dt.date(2026, 11, 1))
    assert {p.interval_days for p in items if p.grid_id == vworld.tree.grid_a1a_1.pk} == {30}
    assert items.get(household_id=vworld.household_x.pk).interval_days == 91


def test_coverage_scope(vworld):
    services.plan_generate(month=dt.date(2026, 11, 1))
    with pytest.raises(DomainError) as e:
        selectors.coverage(actor=vworld.worker, period="2026-11", area=vworld.tree.grid_b1a_1)
    assert e.value.status == 404
    with pytest.raises(DomainError) as e:
        selectors.coverage(actor=vworld.worker, period="2026-13")
    assert e.value.code == "bad_period"


# ---------------------------------------------------------------- care
def test_care_pair_needs_a_care_group(vworld):
    with pytest.raises(DomainError) as e:
        services.care_pair_create(
            actor=vworld.worker, resident_id=vworld.party.pk, group="elderly_alone",
            carer_kind="worker", carer_user_id=vworld.worker.pk,
        )  # fmt: skip
    assert e.value.code == "not_in_care_group" and "不在“孤寡老人”重点人群中" in e.value.message
    assert not CarePair.objects.exists()


def test_care_pair_contacts_and_alerts(vworld, now, django_capture_on_commit_callbacks):
    from wangge.cases.models import Notification

    pair = services.care_pair_create(
        actor=vworld.worker, resident_id=vworld.elderly.pk, group="elderly_alone",
        carer_kind="party_member", carer_resident_id=vworld.party.pk, since=dt.date(2026, 11, 1),
    )  # fmt: skip
    assert pair.interval_days == 7 and pair.carer_name == "党员钱"
    with pytest.raises(DomainError) as e:
        services.care_pair_create(
            actor=vworld.worker, resident_id=vworld.elderly.pk, group="elderly_alone",
            carer_kind="volunteer", carer_name="志愿者孙", carer_phone="13900001111",
        )  # fmt: skip
    assert e.value.code == "pair_exists"
    with pytest.raises(DomainError):  # not a party member
        services.care_pair_create(
            actor=vworld.worker, resident_id=vworld.elderly.pk, group="elderly_alone",
            carer_kind="party_member", carer_resident_id=vworld.elderly.pk,
        )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        first = services.care_sweep(now=now)
    assert first.alerted_pairs == 1 and first.notices == 1
    assert Notification.objects.filter(user=vworld.leader, kind="care_overdue").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.care_sweep(now=now).alerted_pairs == 0  # idempotent
    assert selectors.care_overdue_count(actor=vworld.leader) == 1

    contact, created = services.care_contact_record(
        actor=vworld.worker,
        pair=pair,
        mode="visit",
        notes="送去米面",
        idempotency_key="c1",
        now=now,
    )
    pair.refresh_from_db()
    assert created and pair.alerted_at is None and pair.next_due_at == now + dt.timedelta(days=7)
    assert services.care_contact_record(
        actor=vworld.worker, pair=pair, mode="visit", idempotency_key="c1", now=now
    ) == (contact, False)
    assert CareContact.objects.count() == 1
    rec, _ = services.service_record_create(
        actor=vworld.worker, pair=pair, kind="medical_escort", hours="2.5", now=now
    )
    assert str(rec.hours) == "2.5"
    with pytest.raises(DomainError) as e:
        services.service_record_create(actor=vworld.worker, pair=pair, kind="massage", now=now)
    assert e.value.code == "bad_kind"
    with pytest.raises(DomainError) as e:  # a worker elsewhere
        services.care_contact_record(actor=vworld.outsider, pair=pair, mode="phone", now=now)
    assert e.value.status == 403


def test_care_groups_have_frequencies(vworld):
    assert {g.code: g.frequency.interval_days for g in CareGroup.objects.filter(builtin=True)} == {
        "elderly_alone": 7, "disabled": 14, "hardship": 30,
    }  # fmt: skip


# ---------------------------------------------------------------- evaluation
def test_monthly_evaluation_and_top_ten(vworld, make_staff, settings):
    from wangge.cases.models import Case
    from wangge.cases.services import case_report
    from wangge.visits.evaluation import street_evaluation
    from wangge.worker.services import presence_record
    from wangge.worker.tests.conftest import walk

    t = vworld.tree
    other = make_staff("grid_worker", t.grid_a1b_1, name="李网格")
    month = dt.date(2026, 11, 1)
    services.plan_generate(month=month)
    services.visit_record(
        actor=vworld.worker, household_id=vworld.households[0].pk, now=at(2026, 11, 16)
    )
    # Online on Monday 2026-11-16 from 09:00 to 12:00 (180 of the day's working minutes).
    for m in range(180):
        presence_record(user=vworld.worker, at=at(2026, 11, 16, 9) + dt.timedelta(minutes=m))
    # A case of the grid, dispatched to the grid team, handled in time, rated 5.
    case, _ = case_report(
        actor=vworld.worker, description="楼道堆放杂物", category="0101", area=t.mg_a1a_1_1
    )
    walk(case, vworld.dispatcher, vworld.worker, "handled")
    Case.objects.filter(pk=case.pk).update(rating=5)
    settings.WANGGE_ONLINE_RATE_THRESHOLD = 0.0
    with pytest.raises(DomainError):
        street_evaluation(actor=vworld.worker, street=t.street_a1, month=month)
    result = street_evaluation(actor=vworld.street, street=t.street_a1, month=month)
    rows = {r["user_id"]: r for r in result["rows"]}
    assert set(rows) == {vworld.worker.pk, other.pk}
    me = rows[vworld.worker.pk]
    assert me["coverage"] == round(1 / 3, 4) and me["planned"] == 3 and me["visited"] == 1
    assert me["online"] is not None and me["online"] > 0
    assert (me["cases_handled"], me["on_time"], me["satisfaction"]) == (1, 1.0, 1.0)
    assert rows[other.pk]["coverage"] is None and rows[other.pk]["online"] == 0
    assert me["rank"] == 1 and me["top_ten"]
    settings.WANGGE_ONLINE_RATE_THRESHOLD = 0.99
    result = street_evaluation(actor=vworld.street, street=t.street_a1, month=month)
    assert not any(r["top_ten"] for r in result["rows"])
    assert result["online_threshold"] == 0.99

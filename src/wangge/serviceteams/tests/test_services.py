import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from wangge.core.errors import DomainError
from wangge.serviceteams import selectors, services
from wangge.serviceteams.models import (
    ActivitySignup,
    ServiceActivity,
    ServiceDay,
    ServiceTeam,
    ServiceTeamGrid,
    ServiceTeamMember,
)
from wangge.teams.tests.world import make_building, make_household, make_resident


@pytest.fixture
def cadre(tree, make_staff):
    return make_staff("community_cadre", tree.community_a1a, name="社区书记", phone="13700000001")


@pytest.fixture
def team(tree, cadre):
    return services.team_create(
        actor=cadre,
        area=tree.community_a1a,
        name="芦席汇帮孤助残队",
        kind="volunteer",
        services=["帮孤助残", "家电维修", "帮孤助残"],
        phone="0573-82000001",
    )


def _start(hours=1):
    return timezone.now() + dt.timedelta(hours=hours)


def test_team_create_keeps_level_services_and_phone(team, tree):
    assert team.level == "community" and team.area_path == tree.community_a1a.path
    assert team.service_list == ["帮孤助残", "家电维修"]
    assert team.phone == "057382000001"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "army"}, "invalid_kind"),
        ({"name": "  "}, "required"),
        ({"phone": "12"}, "invalid_phone"),
        ({"services": ["x" * 51]}, "too_long"),
    ],
)
def test_team_create_rejects_bad_input_and_writes_nothing(tree, cadre, kwargs, code):
    args = {"name": "法律服务队", "kind": "professional", **kwargs}
    with pytest.raises(DomainError) as err:
        services.team_create(actor=cadre, area=tree.community_a1a, **args)
    assert err.value.code == code and err.value.status == 422
    assert not ServiceTeam.objects.exists()


def test_team_only_at_district_street_community(tree, make_staff):
    admin = make_staff("city_admin", tree.city)
    with pytest.raises(DomainError) as err:
        services.team_create(actor=admin, area=tree.grid_a1a_1, name="队", kind="management")
    assert err.value.code == "invalid_level"
    assert "区县、镇街或村社区" in err.value.message


def test_team_create_needs_manages_users_and_scope(tree, make_staff):
    worker = make_staff("grid_worker", tree.grid_a1a_1)
    foreign = make_staff("community_cadre", tree.community_b1a)
    with pytest.raises(DomainError) as err:
        services.team_create(actor=worker, area=tree.community_a1a, name="队", kind="volunteer")
    assert err.value.status == 404  # the community lies outside the worker's grid
    with pytest.raises(DomainError) as err:
        services.team_create(actor=foreign, area=tree.community_a1a, name="队", kind="volunteer")
    assert err.value.status == 404
    street_dispatcher = make_staff("dispatcher", tree.street_a1)
    with pytest.raises(DomainError) as err:
        services.team_create(
            actor=street_dispatcher, area=tree.community_a1a, name="队", kind="volunteer"
        )
    assert err.value.status == 403


def test_duplicate_team_name_is_a_conflict(team, tree, cadre):
    with pytest.raises(DomainError) as err:
        services.team_create(actor=cadre, area=tree.community_a1a, name=team.name, kind="volunteer")
    assert err.value.status == 409 and ServiceTeam.objects.count() == 1


def test_members_staff_resident_external(team, tree, cadre, make_staff):
    worker = make_staff("grid_worker", tree.grid_a1a_1, name="王网格", phone="13700000002")
    hh = make_household(make_building(tree.grid_a1a_1, tree.mg_a1a_1_1))
    resident = make_resident(hh, name="李志愿", phone="13812345678")
    services.team_member_add(actor=cadre, team=team, user_id=worker.pk, is_leader=True, duty="队长")
    services.team_member_add(actor=cadre, team=team, resident_id=resident.pk, duty="队员")
    services.team_member_add(actor=cadre, team=team, name="赵律师", work_phone="139 0000 1111")
    rows = selectors.team_members(team=team)
    assert [(r["name"], r["phone"], r["source"]) for r in rows] == [
        ("王网格", "13700000002", "staff"),
        ("李志愿", "138****5678", "resident"),
        ("赵律师", "13900001111", "external"),
    ]
    with pytest.raises(DomainError) as err:
        services.team_member_add(actor=cadre, team=team, user_id=worker.pk)
    assert err.value.status == 409


def test_member_must_live_or_work_inside(team, tree, cadre, make_staff):
    foreign_hh = make_household(make_building(tree.grid_b1a_1, tree.mg_b1a_1_1))
    foreign_resident = make_resident(foreign_hh, name="外区居民", region="330411")
    foreign_staff = make_staff("grid_worker", tree.grid_b1a_1)
    for kwargs, code in (
        ({"resident_id": foreign_resident.pk}, "invalid_resident"),
        ({"user_id": foreign_staff.pk}, "invalid_user"),
        ({"name": "无电话"}, "required"),
    ):
        with pytest.raises(DomainError) as err:
            services.team_member_add(actor=cadre, team=team, **kwargs)
        assert err.value.code == code
    assert not ServiceTeamMember.objects.exists()


def test_grids_set_replaces_and_validates_all_or_nothing(team, tree, cadre):
    services.team_grids_set(
        actor=cadre, team=team, grid_ids=[tree.grid_a1a_1.pk, tree.grid_a1a_2.pk]
    )
    assert set(ServiceTeamGrid.objects.values_list("grid_id", flat=True)) == {
        tree.grid_a1a_1.pk,
        tree.grid_a1a_2.pk,
    }
    with pytest.raises(DomainError) as err:
        services.team_grids_set(
            actor=cadre, team=team, grid_ids=[tree.grid_a1a_1.pk, tree.mg_a1a_1_1.pk]
        )
    assert err.value.code == "not_a_grid"
    with pytest.raises(DomainError) as err:
        services.team_grids_set(actor=cadre, team=team, grid_ids=[tree.grid_b1a_1.pk])
    assert err.value.status == 404
    assert ServiceTeamGrid.objects.count() == 2
    services.team_grids_set(actor=cadre, team=team, grid_ids=[tree.grid_a1a_2.pk])
    assert list(ServiceTeamGrid.objects.values_list("grid_id", flat=True)) == [tree.grid_a1a_2.pk]


def test_a_grid_worker_and_the_grids_residents_see_the_team(team, tree, cadre, make_staff):
    services.team_grids_set(actor=cadre, team=team, grid_ids=[tree.grid_a1a_1.pk])
    worker = make_staff("grid_worker", tree.grid_a1a_1)
    other = make_staff("grid_worker", tree.grid_a1a_2)
    assert list(selectors.team_list(actor=worker)) == [team]
    assert list(selectors.team_list(actor=other)) == []


def test_service_day_one_per_month_moves_and_validates(tree, cadre):
    d = services.service_day_set(
        actor=cadre, area=tree.community_a1a, date=dt.date(2026, 12, 5), theme="关爱独居老人"
    )
    d2 = services.service_day_set(
        actor=cadre, area=tree.community_a1a, date=dt.date(2026, 12, 15), theme="家电义修"
    )
    assert d2.pk == d.pk and ServiceDay.objects.get().theme == "家电义修"
    assert d2.month == dt.date(2026, 12, 1)
    with pytest.raises(DomainError) as err:
        services.service_day_set(
            actor=cadre, area=tree.community_a1a, date=dt.date(2027, 1, 5), theme=""
        )
    assert err.value.code == "required" and ServiceDay.objects.count() == 1


def test_activity_validation(team, tree, cadre, make_staff):
    s = _start()
    base = {"actor": cadre, "team": team, "area": tree.grid_a1a_1, "title": "义务理发"}
    with pytest.raises(DomainError) as err:
        services.activity_create(**base, starts_at=s, ends_at=s)
    assert err.value.code == "invalid_time" and "晚于" in err.value.message
    with pytest.raises(DomainError) as err:
        services.activity_create(**base, starts_at=s, ends_at=s + dt.timedelta(hours=25))
    assert err.value.code == "invalid_time"
    with pytest.raises(DomainError) as err:
        street = make_staff("street_cadre", tree.street_a1)
        services.activity_create(
            **{**base, "actor": street, "area": tree.grid_a1b_1},
            starts_at=s,
            ends_at=s + dt.timedelta(hours=1),
        )
    assert err.value.code == "outside_team_area"
    day = services.service_day_set(
        actor=cadre, area=tree.community_a1a, date=(s + dt.timedelta(days=3)).date(), theme="主题"
    )
    with pytest.raises(DomainError) as err:
        services.activity_create(
            **base, starts_at=s, ends_at=s + dt.timedelta(hours=1), service_day=day
        )
    assert err.value.code == "service_day_date"
    assert not ServiceActivity.objects.exists()


def _activity(team, tree, cadre, **kw):
    s = kw.pop("starts_at", _start())
    return services.activity_create(
        actor=cadre,
        team=team,
        area=tree.grid_a1a_1,
        title="家电义修",
        starts_at=s,
        ends_at=s + dt.timedelta(hours=2, minutes=30),
        **kw,
    )


def test_signup_capacity_and_twice(team, tree, cadre, make_staff):
    activity = _activity(team, tree, cadre, capacity=1)
    a = make_staff("grid_worker", tree.grid_a1a_1)
    b = make_staff("grid_worker", tree.grid_a1a_1)
    services.activity_signup(actor=a, activity=activity)
    with pytest.raises(DomainError) as err:
        services.activity_signup(actor=a, activity=activity)
    assert err.value.code == "already_signed"
    with pytest.raises(DomainError) as err:
        services.activity_signup(actor=b, activity=activity)
    assert err.value.code == "activity_full" and err.value.message == "名额已满"
    services.activity_signup_cancel(actor=a, activity=activity)
    services.activity_signup(actor=b, activity=activity)
    assert ActivitySignup.objects.filter(status="signed").count() == 1


def test_check_in_credits_hours(team, tree, cadre, make_staff):
    activity = _activity(team, tree, cadre)
    a = make_staff("grid_worker", tree.grid_a1a_1)
    b = make_staff("part_time_worker", tree.grid_a1a_1)
    sa = services.activity_signup(actor=a, activity=activity)
    sb = services.activity_signup(actor=b, activity=activity)
    leader = make_staff("grid_leader", tree.grid_a1a_1)
    now = activity.starts_at
    services.activity_check_in(actor=leader, activity=activity, signup_id=sa.pk, now=now)
    services.activity_check_in(
        actor=leader, activity=activity, signup_id=sb.pk, hours="1.25", now=now
    )
    sa.refresh_from_db()
    sb.refresh_from_db()
    assert (sa.status, sa.hours, sb.hours) == ("attended", Decimal("2.5"), Decimal("1.3"))
    assert selectors.hours_by_user(user_ids=[a.pk, b.pk]) == {
        a.pk: Decimal("2.5"),
        b.pk: Decimal("1.3"),
    }


@pytest.mark.parametrize(
    ("hours", "code"), [("0", "invalid_hours"), ("3", "invalid_hours"), ("abc", "invalid_hours")]
)
def test_check_in_rejects_bad_hours(team, tree, cadre, make_staff, hours, code):
    activity = _activity(team, tree, cadre)
    a = make_staff("grid_worker", tree.grid_a1a_1)
    s = services.activity_signup(actor=a, activity=activity)
    with pytest.raises(DomainError) as err:
        services.activity_check_in(
            actor=cadre, activity=activity, signup_id=s.pk, hours=hours, now=activity.starts_at
        )
    assert err.value.code == code
    s.refresh_from_db()
    assert s.status == "signed" and s.hours == 0


def test_check_in_time_window_and_rights(team, tree, cadre, make_staff):
    activity = _activity(team, tree, cadre, starts_at=_start(5))
    a = make_staff("grid_worker", tree.grid_a1a_1)
    s = services.activity_signup(actor=a, activity=activity)
    with pytest.raises(DomainError) as err:
        services.activity_check_in(actor=cadre, activity=activity, signup_id=s.pk)
    assert err.value.code == "too_early"
    mgl = make_staff("micro_grid_leader", tree.mg_a1a_1_1)
    with pytest.raises(DomainError) as err:
        services.activity_check_in(
            actor=mgl, activity=activity, signup_id=s.pk, now=activity.starts_at
        )
    assert err.value.status == 404


def test_hours_window_by_activity_date(team, tree, cadre, make_staff):
    activity = _activity(team, tree, cadre)
    a = make_staff("grid_worker", tree.grid_a1a_1)
    s = services.activity_signup(actor=a, activity=activity)
    services.activity_check_in(
        actor=cadre, activity=activity, signup_id=s.pk, now=activity.starts_at
    )
    day = timezone.localtime(activity.starts_at).date()
    assert selectors.hours_by_user(user_ids=[a.pk], start=day, end=day + dt.timedelta(days=1))
    assert not selectors.hours_by_user(user_ids=[a.pk], start=day + dt.timedelta(days=1))


def test_cancel_refused_after_attendance(team, tree, cadre, make_staff):
    activity = _activity(team, tree, cadre)
    a = make_staff("grid_worker", tree.grid_a1a_1)
    s = services.activity_signup(actor=a, activity=activity)
    services.activity_check_in(
        actor=cadre, activity=activity, signup_id=s.pk, now=activity.starts_at
    )
    with pytest.raises(DomainError) as err:
        services.activity_cancel(actor=cadre, activity=activity)
    assert err.value.code == "has_attendance"
    activity.refresh_from_db()
    assert activity.status == "open"

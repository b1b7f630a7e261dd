"""先锋指数 and 堡垒指数 counted by hand (the weights and targets in
party.indices.DEFAULTS; docs/teams-at-work.md)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from wangge.cases.models import Case
from wangge.cases.services import case_report
from wangge.party import indices, services
from wangge.party.models import PartyMember, PartyOrg
from wangge.serviceteams.models import ActivitySignup, ServiceActivity, ServiceTeam
from wangge.teams.tests.world import make_building, make_household, make_resident

START, END = dt.date(2026, 1, 1), dt.date(2027, 1, 1)


def at(month, day=1, hour=10):
    return timezone.make_aware(dt.datetime(2026, month, day, hour))


@pytest.fixture
def world(tree, make_staff):
    from wangge.visits.models import Visit

    grid = tree.grid_a1a_1
    cadre = make_staff("community_cadre", tree.community_a1a)
    worker = make_staff("grid_worker", grid, name="党员网格员")
    other = make_staff("grid_leader", grid)
    committee = services.org_create(
        actor=cadre, area=tree.community_a1a, kind="committee", name="芦席汇社区党委"
    )
    branch = services.org_create(
        actor=cadre, area=grid, kind="branch", name="第一网格党支部", parent=committee
    )
    building = make_building(grid, tree.mg_a1a_1_1)
    hh = [make_household(building, room=f"{i}01") for i in range(1, 5)]
    resident = make_resident(hh[3], name="退休党员")
    a = services.member_add(actor=cadre, org=branch, user_id=worker.pk)
    b = services.member_add(actor=cadre, org=branch, resident_id=resident.pk)
    services.link_add(actor=cadre, member=a, household_id=hh[0].pk, since=dt.date(2026, 1, 5))
    services.link_add(actor=cadre, member=b, household_id=hh[1].pk, since=dt.date(2026, 1, 5))
    # 6 visits in 2026 (to households 1 and 2, three each), one in 2025 (not counted).
    for i in range(7):
        h = hh[i % 2]
        Visit.objects.create(
            kind="household",
            household=h,
            district=tree.district_a,
            grid=grid,
            area_path=h.area_path,
            visitor=worker,
            visited_at=at(2 + i) if i < 6 else timezone.make_aware(dt.datetime(2025, 12, 30)),
        )
    # Created directly (as a bulk load would): the visits app's coverage
    # counters, which 堡垒指数 reads for a whole year, rebuilt as after one.
    from wangge.visits.services import coverage_refresh

    coverage_refresh(period="2026", rebuild=True)
    # 2 cases reported by the member, rated 5 and 3 in 2026.
    reported = [
        case_report(actor=worker, description=f"路灯不亮{i}", area=grid, at=at(3, 1 + i))[0]
        for i in range(2)
    ]
    for c, r in zip(reported, (5, 3), strict=True):
        Case.objects.filter(pk=c.pk).update(rating=r, rated_at=at(4))
    # 5 cases handled by the member in 2026 (target 4: capped), reported by someone else.
    for i in range(5):
        c, _ = case_report(actor=other, description=f"垃圾堆放{i}", area=grid, at=at(5, 1 + i))
        Case.objects.filter(pk=c.pk).update(assignee=worker, handled_at=at(5, 2 + i))
    # 2 service hours.
    team = ServiceTeam.objects.create(
        name="志愿队",
        kind="volunteer",
        area=tree.community_a1a,
        level="community",
        area_path=tree.community_a1a.path,
    )
    activity = ServiceActivity.objects.create(
        team=team,
        area=grid,
        area_path=grid.path,
        title="义诊",
        starts_at=at(6),
        ends_at=at(6, hour=13),
    )
    ActivitySignup.objects.create(
        activity=activity,
        user=worker,
        name="党员网格员",
        status="attended",
        hours=Decimal(2),
        area_path=grid.path,
    )
    return {"a": a, "b": b, "branch": branch, "committee": committee, "worker": worker}


def test_vanguard_by_hand(world):
    a, b = indices.vanguard([world["a"], world["b"]], START, END)
    assert (a.visits, a.cases_reported, a.cases_handled, a.service_hours) == (6, 2, 5, Decimal(2))
    assert (a.rating, a.ratings) == (4.0, 2)
    # 100 × (0.25×6/12 + 0.15×2/4 + 0.20×1 + 0.25×2/8 + 0.15×(4−1)/4) = 57.5
    assert a.score == 57.5
    # Nothing done, no rating (left out): 0.
    assert (b.score, b.rating, b.parts["rating"]) == (0.0, None, None)


def test_bastion_by_hand(world):
    x = indices.bastion(world["branch"], START, END)
    assert (x.members, x.member_mean) == (2, 28.8)  # (57.5 + 0) / 2 = 28.75
    assert (x.households, x.linked_households, x.visited_households) == (4, 2, 2)
    assert (x.ratings, x.satisfied) == (2, 1)
    # 100 × (0.40×0.2875 + 0.20×2/4 + 0.20×2/4 + 0.20×1/2) = 41.5
    assert x.score == 41.5
    # Any other span (not a month, quarter or year): the visits themselves,
    # February to April: households 1, 2, 1 (one visit a month) → 2.
    y = indices.bastion(world["branch"], dt.date(2026, 2, 1), dt.date(2026, 5, 1))
    assert y.visited_households == 2
    y = indices.bastion(world["branch"], dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    assert y.visited_households == 0  # a month: its counters (none were built for it)
    # The committee counts its branch's members and the whole community's households.
    c = indices.bastion(world["committee"], START, END)
    assert c.members == 2 and c.households == 4


def test_weights_are_settings(world, settings):
    settings.WANGGE_PARTY_INDEX = {"vanguard": {"weights": {"rating": 0}}}
    (a,) = indices.vanguard([world["a"]], START, END)
    # 100 × (0.125 + 0.075 + 0.2 + 0.0625) / 0.85 = 54.41…
    assert a.score == 54.4
    settings.WANGGE_PARTY_INDEX = {"vanguard": {"targets": {"visits": 6}}}
    (a,) = indices.vanguard([world["a"]], START, END)
    assert a.score == 57.5 + 12.5


@pytest.mark.parametrize(
    "bad",
    [
        {"vanguard": {"weights": {"charisma": 1}}},
        {"vanguard": {"weights": {"visits": -1}}},
        {"vanguard": {"targets": {"visits": 0}}},
        {
            "bastion": {
                "weights": {
                    "members": 0,
                    "link_coverage": 0,
                    "visit_coverage": 0,
                    "satisfaction": 0,
                }
            }
        },
        {"heroism": {}},
    ],
)
def test_bad_weights_are_refused(settings, bad):
    settings.WANGGE_PARTY_INDEX = bad
    with pytest.raises(ImproperlyConfigured):
        indices.config()


def test_period_parsing():
    assert indices.period_bounds("2026-12")[:2] == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))
    assert indices.period_bounds("2026")[:2] == (START, END)
    from wangge.core.errors import DomainError

    with pytest.raises(DomainError) as err:
        indices.period_bounds("2026-13")
    assert "统计期" in err.value.message


def test_visits_left_out_without_the_app(world, monkeypatch):
    monkeypatch.setattr(indices, "visits_installed", lambda: False)
    (a,) = indices.vanguard([world["a"]], START, END)
    # 100 × (0.075 + 0.2 + 0.0625 + 0.1125) / 0.75 = 60.0
    assert a.parts["visits"] is None and a.score == 60.0
    assert PartyOrg.objects.count() == 2


@pytest.mark.parametrize("with_visits", [True, False])
def test_totals_in_the_database_agree_with_each_members_index(world, monkeypatch, with_visits):
    """`vanguard_totals` (what rankings and 堡垒指数 use: grouped in the
    database) adds up to the same scores as `vanguard` member by member,
    including a member counted through their resident's H5 account and a
    rated case the member both reported and handled (counted once)."""
    from wangge.points.tests.people import verified_user

    a, b, worker = world["a"], world["b"], world["worker"]
    h5 = verified_user(b.resident)
    c, _ = case_report(actor=worker, description="楼道堆物", area=world["branch"].area, at=at(7))
    Case.objects.filter(pk=c.pk).update(
        created_by=h5, assignee=worker, handled_at=at(7, 2), rating=2, rated_at=at(7, 3)
    )
    c, _ = case_report(actor=worker, description="井盖松动", area=world["branch"].area, at=at(8))
    Case.objects.filter(pk=c.pk).update(
        assignee=worker, handled_at=at(8, 2), rating=1, rated_at=at(8, 3)
    )
    if not with_visits:
        monkeypatch.setattr(indices, "visits_installed", lambda: False)
    each = {x.member_id: x for x in indices.vanguard([a, b], START, END)}
    assert each[b.pk].cases_reported == 1 and each[b.pk].score > 0
    assert each[a.pk].ratings == 4  # 5, 3, 2 (handled) and 1 (reported and handled: once)
    totals = indices.vanguard_totals(PartyMember.objects.filter(pk__in=[a.pk, b.pk]), START, END)
    expected = each[a.pk].score + each[b.pk].score
    ((org, (n, total)),) = totals.by_org().items()
    assert (org, n) == (world["branch"].pk, 2)
    assert total == pytest.approx(expected, abs=1e-9)
    ((path, (n, total)),) = totals.by_path().items()
    assert (path, n) == (a.area_path, 2) and total == pytest.approx(expected, abs=1e-9)
    # And the branch's 堡垒指数 takes its members' mean from those totals.
    x = indices.bastion(world["branch"], START, END)
    assert x.member_mean == round(expected / 2, 1)

"""The demo history (`wangge demo`'s cases, visits, care, points, surveys,
presence, party and evaluations) on a small street: written once, the same
for the same seed, the rollup agrees with the cases it was rebuilt from,
and every index of the street has a value."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.assessment.demo import assessment_demo
from wangge.assessment.indices import Period, month_period
from wangge.assessment.selectors import area_indices
from wangge.cases.models import CLOSED_STATUSES, Case
from wangge.teams.tests.world import make_building, make_household, make_resident

pytestmark = pytest.mark.django_db


def _people(t):
    from wangge.people.models import CareGroup, ResidentCareGroup

    group = CareGroup.objects.get_or_create(code="elderly_alone", defaults={"name": "孤寡老人"})[0]
    from wangge.visits.models import CareFrequency

    CareFrequency.objects.update_or_create(group=group, defaults={"interval_days": 7})
    for grid, mg in (
        (t.grid_a1a_1, t.mg_a1a_1_1),
        (t.grid_a1a_1, t.mg_a1a_1_2),
        (t.grid_a1a_2, None),
    ):
        b = make_building(grid, mg, name=f"{grid.pk}-{mg.pk if mg else 0}幢")
        for i in range(30):
            h = make_household(b, room=f"{i + 1:02d}01")
            r = make_resident(h, name=f"居民{i}")
            if i % 3 == 0:
                ResidentCareGroup.objects.create(resident=r, group=group)


def test_demo_history_is_consistent_and_feeds_every_index(world, make_staff):
    w, t = world, world.tree
    # A worker on the second grid too (visits and care pairs need one).
    make_staff("grid_worker", t.grid_a1a_2)
    _people(t)
    now = timezone.now()
    result = assessment_demo(street=t.street_a1, seed=7, now=now)
    assert result.cases > 100 and result.visits and result.care_pairs and result.points
    assert result.survey_answers and result.presence_days
    # Once only.
    assert assessment_demo(street=t.street_a1, seed=7, now=now).cases == 0
    # Hand count of the closure rate over six months of the street's cases.
    local = timezone.localdate()
    period = Period(local - timedelta(days=200), local)
    cases = list(Case.objects.filter(area_path__startswith=t.street_a1.path))
    in_period = [
        c for c in cases if period.start <= timezone.localtime(c.created_at).date() <= period.end
    ]
    valid = [c for c in in_period if c.status not in ("voided", "merged")]
    closed = [c for c in valid if c.status in CLOSED_STATUSES]
    data = area_indices(actor=w.dispatcher, area_id=t.street_a1.pk, period=period)
    by = {i["code"]: i for i in data["indices"]}
    assert by["closure"]["raw"]["total"] == len(in_period)
    assert by["closure"]["value"] == round(100 * len(closed) / len(valid), 2)
    this_month = month_period(local.year, local.month)
    month = {
        i["code"]: i["value"]
        for i in area_indices(actor=w.dispatcher, area_id=t.street_a1.pk, period=this_month)[
            "indices"
        ]
    }
    for code in ("visit_coverage", "awareness", "points", "online", "closure", "composite"):
        assert month[code] is not None, code


def test_demo_cases_are_deterministic(world):
    import random

    from wangge.assessment.demo import _cases

    t = world.tree
    now = timezone.now()

    def run():
        _cases(t.street_a1, random.Random(3), now)
        rows = list(
            Case.objects.order_by("created_at", "pk").values_list(
                "created_at", "category_id", "status", "area_path", "rating", "due_at"
            )
        )
        Case.objects.all().delete()
        return rows

    first = run()
    assert first and first == run()

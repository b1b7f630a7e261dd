"""网格员考核 (`assessment.workers`): each grid worker's indices over a
period agree with a hand count; the ranking, its scope and the report sheet."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.assessment.indices import month_period
from wangge.assessment.workers import visit_target, worker_ranking
from wangge.cases.models import Case
from wangge.cases.services import case_report
from wangge.cases.workdays import china
from wangge.core.errors import DomainError
from wangge.teams.tests.world import make_building, make_household

pytestmark = pytest.mark.django_db


def _month():
    t = timezone.localdate()
    return month_period(t.year, t.month)


def _working_days_so_far(period):
    cal, today = china(), timezone.localdate()
    return [
        period.start + timedelta(days=i)
        for i in range((min(period.end, today) - period.start).days + 1)
        if cal.is_working_day(period.start + timedelta(days=i))
    ]


def test_worker_indices_agree_with_a_hand_count(world, client):
    from wangge.visits.services import visit_record
    from wangge.worker.models import PresenceDay

    w, t = world, world.tree
    now = timezone.now()
    grid = t.grid_a1a_1
    # Reported by the grid worker: two cases this month; one rated 5.
    mine = [
        case_report(actor=w.grid_worker, description=f"占道经营{i}", area=grid)[0] for i in range(2)
    ]
    Case.objects.filter(pk=mine[0].pk).update(rating=5, rated_at=now)
    # Handled by the grid worker: one in time, one late (rated 2), one with
    # no deadline (in time); and one handled by the part-time worker.
    handled = [
        case_report(actor=w.dispatcher, description=f"垃圾{i}", area=grid)[0] for i in range(4)
    ]
    Case.objects.filter(pk=handled[0].pk).update(
        assignee=w.grid_worker, handled_at=now, due_at=now + timedelta(hours=2)
    )
    Case.objects.filter(pk=handled[1].pk).update(
        assignee=w.grid_worker,
        handled_at=now,
        due_at=now - timedelta(hours=2),
        rating=2,
        rated_at=now,
    )
    Case.objects.filter(pk=handled[2].pk).update(assignee=w.grid_worker, handled_at=now)
    Case.objects.filter(pk=handled[3].pk).update(assignee=w.part_time, handled_at=now)
    # A case the grid worker both reported and handled, rated 4: one rating.
    Case.objects.filter(pk=mine[1].pk).update(
        assignee=w.grid_worker, handled_at=now, rating=4, rated_at=now
    )
    # Visits: three by the grid worker to two households.
    building = make_building(grid, t.mg_a1a_1_1)
    hh = [make_household(building, room=f"{i}01") for i in (1, 2)]
    for h in (hh[0], hh[0], hh[1]):
        visit_record(actor=w.grid_worker, household_id=h.pk, visited_at=now)
    period = _month()
    days = _working_days_so_far(period)
    per_day = china().day_seconds() // 60
    if days:  # two hours online on the first working day
        PresenceDay.objects.create(
            user=w.grid_worker, day=days[0], count=120, first_seen=now, last_seen=now
        )
    data = worker_ranking(actor=w.dispatcher, area_id=t.street_a1.pk, period=period)
    rows = {r["user_id"]: r for r in data["rows"]}
    assert set(rows) == {w.grid_worker.pk, w.part_time.pk}
    g = rows[w.grid_worker.pk]
    v = g["values"]
    # By hand: reported 2; handled 4 (in time: 0, 2, 3 → 3 of 4 = 75 %);
    # ratings 5, 2, 4 → 2 of 3 satisfied; visits 3, households 2.
    assert (v["reported"], v["handled"], v["on_time"]) == (2, 4, 75.0)
    assert v["satisfaction"] == round(100 * 2 / 3, 2)
    assert (v["visits"], v["households_visited"]) == (3, 2)
    expected = len(days) * per_day
    assert g["raw"]["expected_minutes"] == expected
    online = round(100 * 120 / expected, 2) if days else None
    assert v["online"] == online
    visit_score = min(100.0, 100 * 2 / visit_target(period))
    parts = [75.0, round(100 * 2 / 3, 2), visit_score] + ([online] if days else [])
    assert v["composite"] == round(sum(parts) / len(parts), 2)
    p = rows[w.part_time.pk]["values"]
    assert (p["reported"], p["handled"], p["on_time"], p["satisfaction"]) == (0, 1, 100.0, None)
    assert g["rank"] == 1 and data["formulas"]["on_time"].startswith("按期办结率")
    # Ranked by another index; an unknown one is refused in Chinese.
    by_handled = worker_ranking(
        actor=w.dispatcher, area_id=t.street_a1.pk, period=period, by="handled"
    )
    assert [r["user_id"] for r in by_handled["rows"]] == [w.grid_worker.pk, w.part_time.pk]
    with pytest.raises(DomainError) as err:
        worker_ranking(actor=w.dispatcher, area_id=t.street_a1.pk, period=period, by="charm")
    assert "排序指标" in err.value.message
    # Scope: an area outside the actor's is a 404, through the API too.
    with pytest.raises(DomainError) as err:
        worker_ranking(actor=w.outsider_dispatcher, area_id=t.street_a1.pk, period=period)
    assert err.value.status == 404
    client.force_login(w.dispatcher)
    resp = client.get(f"/api/v1/assessment/areas/{t.street_a1.pk}/workers?by=visits")
    assert resp.status_code == 200
    assert resp.json()["rows"][0]["values"]["visits"] == 3
    client.force_login(w.outsider_dispatcher)
    assert client.get(f"/api/v1/assessment/areas/{t.street_a1.pk}/workers").status_code == 404
    # The street's monthly report has the sheet.
    from openpyxl import load_workbook

    client.force_login(w.dispatcher)
    month = f"{period.start:%Y-%m}"
    xlsx = client.get(f"/screen/{t.street_a1.pk}/report.xlsx?month={month}")
    sheet = load_workbook(io.BytesIO(xlsx.content))["网格员"]
    names = [r[1] for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]]
    assert names[0] == w.grid_worker.name

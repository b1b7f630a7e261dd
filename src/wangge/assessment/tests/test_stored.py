"""The slow indices' stored month totals (`assessment.stored`): used while
fresh and only then, replaced whole or not at all, refreshed by the
periodic task and the command. That they agree with the hand counts is
shown by test_other_indices, which runs every test both ways."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone

from wangge.assessment import stored
from wangge.assessment.indices import Subject, month_period
from wangge.assessment.models import AreaIndexMonth, IndexMonthRun
from wangge.assessment.selectors import area_indices, ranking
from wangge.teams.tests.world import make_building, make_household

pytestmark = pytest.mark.django_db


def _this_month():
    t = timezone.localdate()
    return month_period(t.year, t.month)


def _visited(world, grid, n_visits):
    from wangge.visits.services import visit_record

    building = make_building(grid, None, name=f"{grid.pk}-{n_visits}幢")
    hh = [make_household(building, room=f"{i + 1}01") for i in range(4)]
    for h in hh[:n_visits]:
        visit_record(actor=world.grid_worker, household_id=h.pk, visited_at=timezone.now())
    return hh


def _coverage(world, area, period=None):
    cache.clear()
    data = area_indices(actor=world.dispatcher, area_id=area.pk, period=period or _this_month())
    return next(i for i in data["indices"] if i["code"] == "visit_coverage")["raw"]


def _grid_coverage(world, parent, level="grid"):
    cache.clear()
    rows = ranking(actor=world.dispatcher, area_id=parent.pk, level=level, period=_this_month())
    return {r["name"]: r["values"]["visit_coverage"] for r in rows["rows"]}


def test_the_stored_month_is_read_while_fresh_and_not_after(world):
    from wangge.visits.services import visit_record

    t = world.tree
    hh = _visited(world, t.grid_a1a_1, 1)
    result = stored.refresh_month(timezone.localdate())
    areas = AreaIndexMonth.objects.filter(month=timezone.localdate().replace(day=1))
    # Every area from the city down to the grids (no micro-grids), each with
    # every stored source.
    assert result["areas"] == areas.count() > 0
    assert max(a.depth for a in areas) == stored.MAX_DEPTH
    assert set(areas.get(area_path=t.grid_a1a_1.path).counts) == set(stored.STORED_SOURCES)
    # A visit after the refresh: the stored month still says 1 of 4 …
    visit_record(actor=world.grid_worker, household_id=hh[1].pk, visited_at=timezone.now())
    assert _coverage(world, t.grid_a1a_1) == {"households": 4, "visited": 1}
    assert _grid_coverage(world, t.street_a1)[t.grid_a1a_1.name] == 25.0
    # The ranking says when those were counted.
    when = ranking(actor=world.dispatcher, area_id=t.street_a1.pk, period=_this_month())
    run = IndexMonthRun.objects.get(month=timezone.localdate().replace(day=1))
    assert when["stored_at"] == timezone.localtime(run.computed_at).isoformat()
    # … until the run is older than the allowed age: counted live again.
    IndexMonthRun.objects.update(computed_at=timezone.now() - timedelta(minutes=91))
    when = ranking(actor=world.dispatcher, area_id=t.street_a1.pk, period=_this_month())
    assert when["stored_at"] is None
    assert _coverage(world, t.grid_a1a_1) == {"households": 4, "visited": 2}
    assert _grid_coverage(world, t.street_a1)[t.grid_a1a_1.name] == 50.0
    # A refresh brings the stored rows up to date.
    stored.refresh_month(timezone.localdate())
    IndexMonthRun.objects.update(computed_at=timezone.now() - timedelta(minutes=89))
    assert _grid_coverage(world, t.street_a1)[t.grid_a1a_1.name] == 50.0


def test_other_formulas_or_a_new_area_or_micro_grids_are_counted_live(world, settings):
    from wangge.areas.models import Area

    t = world.tree
    _visited(world, t.grid_a1a_1, 1)
    stored.refresh_month(timezone.localdate())
    row = AreaIndexMonth.objects.get(area_path=t.grid_a1a_1.path)
    row.counts["visits"] = {"households": 4, "visited": 3}  # marks what was read from here
    row.save()
    assert _coverage(world, t.grid_a1a_1) == {"households": 4, "visited": 3}
    # Micro-grids: live (nothing stored below the grids).
    assert stored.lookup(["visits"], [Subject(t.mg_a1a_1_1.path)], _this_month()) is None
    # Not one calendar month: live.
    today = timezone.localdate()
    days = month_period(today.year, today.month)
    part = type(days)(days.start, days.end - timedelta(days=1))
    assert stored.lookup(["visits"], [Subject(t.grid_a1a_1.path)], part) is None
    # Departments: live.
    assert stored.lookup(["visits"], [Subject(department_id=1)], _this_month()) is None
    # Other party index settings: the stored 先锋/堡垒 were computed with
    # other formulas, so nothing stored is read until the next refresh.
    settings.WANGGE_PARTY_INDEX = {"vanguard": {"targets": {"visits": 20}}}
    assert _coverage(world, t.grid_a1a_1) == {"households": 4, "visited": 1}
    del settings.WANGGE_PARTY_INDEX
    assert _coverage(world, t.grid_a1a_1)["visited"] == 3
    # An area created after the run: its ranking is counted live.
    grid = Area.objects.get(pk=t.grid_a1a_1.pk)
    AreaIndexMonth.objects.filter(area_path=grid.path).delete()
    assert _grid_coverage(world, t.street_a1)[grid.name] == 25.0


def test_a_closed_month_stays_valid_once_computed_after_its_end(world):
    t = world.tree
    _visited(world, t.grid_a1a_1, 2)
    last = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    period = month_period(last.year, last.month)
    stored.refresh_month(last)
    # Computed just after the month ended, however long ago: valid.
    end = stored._month_end(last)
    IndexMonthRun.objects.update(computed_at=end + timedelta(seconds=1))
    assert stored.run_for(period) is not None
    # Computed before the month ended (and long ago): not valid.
    IndexMonthRun.objects.update(computed_at=end - timedelta(hours=1))
    assert stored.run_for(period) is None


def test_a_failed_refresh_keeps_the_previous_rows(world, monkeypatch):
    t = world.tree
    _visited(world, t.grid_a1a_1, 1)
    stored.refresh_month(timezone.localdate())
    before = list(AreaIndexMonth.objects.order_by("pk").values_list("area_path", "counts"))
    run = IndexMonthRun.objects.get()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(AreaIndexMonth.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        stored.refresh_month(timezone.localdate())
    after = list(AreaIndexMonth.objects.order_by("pk").values_list("area_path", "counts"))
    assert after == before
    assert IndexMonthRun.objects.get().computed_at == run.computed_at


def test_the_periodic_task_refreshes_this_month_and_the_last(world):
    from wangge.assessment.tasks import refresh_index_months

    _visited(world, world.tree.grid_a1a_1, 1)
    done = refresh_index_months.call()
    this = timezone.localdate().replace(day=1)
    last = (this - timedelta(days=1)).replace(day=1)
    assert [d["month"] for d in done] == [this.isoformat(), last.isoformat()]
    assert set(IndexMonthRun.objects.values_list("month", flat=True)) == {this, last}
    # Half an hour later: this month again; last month's run is recent and
    # was computed after it ended, so it is left alone.
    again = refresh_index_months.call()
    assert [d["month"] for d in again] == [this.isoformat()]


def test_the_command_refreshes_a_month_and_rejects_a_bad_one(world):
    out = StringIO()
    call_command("assessment_refresh", "--month", "2026-03", stdout=out)
    assert "2026-03：" in out.getvalue()
    assert IndexMonthRun.objects.filter(month=date(2026, 3, 1)).exists()
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("assessment_refresh", "--month", "三月")

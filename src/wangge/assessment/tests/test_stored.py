"""The slow indices' stored totals (`assessment.stored`): used while fresh
and only then, for a month, a quarter or a year; replaced whole or not at
all; refreshed by the periodic task and the command. That they agree with
the hand counts is shown by test_other_indices, which runs every test both
ways."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone

from wangge.assessment import stored
from wangge.assessment.indices import Period, Subject, month_period
from wangge.assessment.models import AreaIndexTotals, StoredIndexRun
from wangge.assessment.selectors import area_indices, ranking
from wangge.teams.tests.world import make_building, make_household

pytestmark = pytest.mark.django_db


def _this_month():
    t = timezone.localdate()
    return month_period(t.year, t.month)


def _key(period=None) -> str:
    return stored.period_key(period or _this_month())


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


def _grid_coverage(world, parent, period=None):
    cache.clear()
    rows = ranking(
        actor=world.dispatcher, area_id=parent.pk, level="grid", period=period or _this_month()
    )
    return {r["name"]: r["values"]["visit_coverage"] for r in rows["rows"]}


def test_period_keys():
    assert stored.period_key(month_period(2026, 11)) == "2026-11"
    assert stored.period_key(Period(date(2026, 10, 1), date(2026, 12, 31))) == "2026-Q4"
    assert stored.period_key(Period(date(2026, 1, 1), date(2026, 12, 31))) == "2026"
    assert stored.period_key(Period(date(2026, 11, 2), date(2026, 11, 30))) is None
    assert stored.period_key(Period(date(2026, 10, 1), date(2026, 11, 30))) is None
    assert stored.key_period("2026-Q1") == Period(date(2026, 1, 1), date(2026, 3, 31))
    assert stored.current_keys(date(2026, 11, 26)) == ["2026-11", "2026-Q4", "2026"]
    for bad in ("2026-13", "2026-Q5", "26", "二〇二六"):
        with pytest.raises(ValueError):
            stored.key_period(bad)


def test_the_stored_totals_are_read_while_fresh_and_not_after(world):
    from wangge.visits.services import visit_record

    t = world.tree
    hh = _visited(world, t.grid_a1a_1, 1)
    result = stored.refresh(_key())
    areas = AreaIndexTotals.objects.filter(period=_key())
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
    run = StoredIndexRun.objects.get(period=_key())
    assert when["stored_at"] == timezone.localtime(run.computed_at).isoformat()
    # … until the run is older than the allowed age: counted live again.
    StoredIndexRun.objects.update(computed_at=timezone.now() - timedelta(minutes=91))
    when = ranking(actor=world.dispatcher, area_id=t.street_a1.pk, period=_this_month())
    assert when["stored_at"] is None
    assert _coverage(world, t.grid_a1a_1) == {"households": 4, "visited": 2}
    assert _grid_coverage(world, t.street_a1)[t.grid_a1a_1.name] == 50.0
    # A refresh brings the stored rows up to date.
    stored.refresh(_key())
    StoredIndexRun.objects.update(computed_at=timezone.now() - timedelta(minutes=89))
    assert _grid_coverage(world, t.street_a1)[t.grid_a1a_1.name] == 50.0


def test_a_year_is_stored_like_a_month(world):
    from wangge.visits.services import visit_record

    t = world.tree
    hh = _visited(world, t.grid_a1a_1, 1)
    today = timezone.localdate()
    year = Period(date(today.year, 1, 1), date(today.year, 12, 31))
    stored.refresh(str(today.year))
    visit_record(actor=world.grid_worker, household_id=hh[1].pk, visited_at=timezone.now())
    # The year's stored figure (read from the year's rows, not the month's).
    assert _grid_coverage(world, t.street_a1, year)[t.grid_a1a_1.name] == 25.0
    assert not AreaIndexTotals.objects.filter(period=_key()).exists()
    StoredIndexRun.objects.update(computed_at=timezone.now() - timedelta(minutes=91))
    assert _grid_coverage(world, t.street_a1, year)[t.grid_a1a_1.name] == 50.0


def test_other_formulas_or_a_new_area_or_micro_grids_are_counted_live(world, settings):
    from wangge.areas.models import Area

    t = world.tree
    _visited(world, t.grid_a1a_1, 1)
    stored.refresh(_key())
    row = AreaIndexTotals.objects.get(area_path=t.grid_a1a_1.path)
    row.counts["visits"] = {"households": 4, "visited": 3}  # marks what was read from here
    row.save()
    assert _coverage(world, t.grid_a1a_1) == {"households": 4, "visited": 3}
    # Micro-grids: live (nothing stored below the grids).
    assert stored.lookup(["visits"], [Subject(t.mg_a1a_1_1.path)], _this_month()) is None
    # Not a calendar month, quarter or year: live.
    days = _this_month()
    part = Period(days.start, days.end - timedelta(days=1))
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
    AreaIndexTotals.objects.filter(area_path=grid.path).delete()
    assert _grid_coverage(world, t.street_a1)[grid.name] == 25.0


def test_a_closed_period_stays_valid_once_computed_after_its_end(world):
    t = world.tree
    _visited(world, t.grid_a1a_1, 2)
    last = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    period = month_period(last.year, last.month)
    key = stored.period_key(period)
    stored.refresh(key)
    # Computed just after the month ended, however long ago: valid.
    end = stored._end(key)
    StoredIndexRun.objects.update(computed_at=end + timedelta(seconds=1))
    assert stored.run_for(period) is not None
    # Computed before the month ended (and long ago): not valid.
    StoredIndexRun.objects.update(computed_at=end - timedelta(hours=1))
    assert stored.run_for(period) is None


def test_a_failed_refresh_keeps_the_previous_rows(world, monkeypatch):
    t = world.tree
    _visited(world, t.grid_a1a_1, 1)
    stored.refresh(_key())
    before = list(AreaIndexTotals.objects.order_by("pk").values_list("area_path", "counts"))
    run = StoredIndexRun.objects.get()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(AreaIndexTotals.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        stored.refresh(_key())
    after = list(AreaIndexTotals.objects.order_by("pk").values_list("area_path", "counts"))
    assert after == before
    assert StoredIndexRun.objects.get().computed_at == run.computed_at


def test_the_periodic_task_refreshes_this_period_and_the_last(world):
    from wangge.assessment.tasks import refresh_index_totals

    _visited(world, world.tree.grid_a1a_1, 1)
    now = timezone.localtime()
    done = refresh_index_totals.call()
    this = stored.current_keys(now.date())
    assert [d["period"] for d in done[:3]] == this
    # And the previous month, quarter and year (none stored yet).
    assert len(done) == 6
    assert set(StoredIndexRun.objects.values_list("period", flat=True)) == {
        d["period"] for d in done
    }
    # Half an hour later: this month, quarter and year again; the previous
    # ones were computed after they ended, today: left alone.
    again = refresh_index_totals.call()
    assert [d["period"] for d in again] == this


def test_the_command_refreshes_a_period_and_rejects_a_bad_one(world):
    out = StringIO()
    call_command("assessment_refresh", "--period", "2026-Q1", stdout=out)
    assert "2026-Q1：" in out.getvalue()
    assert StoredIndexRun.objects.filter(period="2026-Q1").exists()
    with pytest.raises(CommandError, match="2026-Q4"):
        call_command("assessment_refresh", "--period", "三月")

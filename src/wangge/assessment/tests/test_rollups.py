"""The rollup kept by the case engine's hook equals the one rebuilt from
scratch, and the indices read from it agree with a hand count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.assessment import rollups
from wangge.assessment.indices import Period
from wangge.assessment.models import COUNTERS, CaseRollup, CaseRollupMonth
from wangge.assessment.selectors import area_indices, department_indices, ranking
from wangge.cases.tests.conftest import IN_MG_A1A_1_2, move, photo, report, walk_to

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        (str(r["day"]), r["depth"], r["area_path"], r["department_id"], r["category_id"]): tuple(
            r[c] for c in COUNTERS
        )
        for r in CaseRollup.objects.values()
        if any(r[c] for c in COUNTERS)
    }


def month_snapshot() -> dict:
    return {
        (str(r["month"]), r["depth"], r["area_path"], r["department_id"]): tuple(
            r[c] for c in COUNTERS
        )
        for r in CaseRollupMonth.objects.values()
        if any(r[c] for c in COUNTERS)
    }


def make_cases(w):
    """A mix touching every counter; returns them by name."""
    c = {}
    c["rated5"] = walk_to(w, report(w), "rated")
    c["rated2"] = walk_to(w, report(w, actor=w.resident2, point=IN_MG_A1A_1_2), "closed")
    c["rated2"] = move(c["rated2"], "rate", w.resident2, rating=2, note="不满意")
    c["voided"] = walk_to(w, report(w, description="重复的报告"), "voided")
    c["merged"] = walk_to(w, report(w, description="另一处垃圾"), "merged")
    # Sent back once, then closed late (deadline moved into the past first).
    r = walk_to(w, report(w, category="0102", description="路灯不亮"), "handled")
    r = move(r, "verify_fail", w.grid_worker, note="没修好")
    r = move(r, "report_back", w.zf_staff, note="已更换灯泡", photos=[photo()])
    r = move(r, "verify_pass", w.grid_worker, note="已修好")
    type(r).objects.filter(pk=r.pk).update(due_at=timezone.now() - timedelta(hours=1))
    c["reworked_late"] = move(r, "close", w.dispatcher)
    # Extended and supervised, still open.
    e = walk_to(w, report(w, description="井盖破损"), "handling")
    e = move(e, "extension_request", w.zf_staff, days=3, reason="需采购配件")
    e = move(e, "extension_approve", w.dispatcher)
    c["extended"] = move(e, "supervise", w.dispatcher, note="尽快处理")
    # Category changed at registration, handled by the grid team.
    g = move(report(w, description="楼道堆物"), "accept", w.dispatcher)
    c["recat"] = move(g, "register", w.dispatcher, category="0103")
    c["open"] = report(w, description="噪音扰民")
    return c


def test_incremental_equals_rebuild(world):
    make_cases(world)
    incremental, months = snapshot(), month_snapshot()
    assert incremental and months  # the hook wrote rows
    rollups.rebuild()
    assert snapshot() == incremental
    assert month_snapshot() == months
    # Each month row is the sum of its day rows over every category.
    sums: dict = {}
    for (day, depth, path, dept, _cat), vec in incremental.items():
        key = (day[:8] + "01", depth, path, dept)
        sums[key] = tuple(a + b for a, b in zip(sums.get(key, (0,) * len(vec)), vec, strict=True))
    assert months == {k: v for k, v in sums.items() if any(v)}


def test_a_move_that_changes_nothing_counted_writes_nothing(world, django_assert_num_queries):
    case = report(world)
    before = snapshot()
    move(case, "accept", world.dispatcher)
    assert snapshot() == before


def test_indices_agree_with_a_hand_count(world):
    w = world
    cases = make_cases(w)
    t = timezone.localdate()
    period = Period(t - timedelta(days=1), t)
    data = area_indices(actor=w.dispatcher, area_id=w.tree.street_a1.pk, period=period)
    by = {i["code"]: i for i in data["indices"]}
    # By hand: 10 cases (the 8 above, plus the merge target and... count them).
    all_cases = list(
        type(cases["open"]).objects.filter(area_path__startswith=w.tree.street_a1.path)
    )
    total = len(all_cases)
    voided = sum(c.status == "voided" for c in all_cases)
    merged = sum(c.status == "merged" for c in all_cases)
    closed = [c for c in all_cases if c.status in ("closed", "rated", "archived")]
    valid = total - voided - merged
    assert (total, voided, merged, len(closed)) == (9, 1, 1, 3)
    assert by["closure"]["raw"]["total"] == 9
    assert by["closure"]["value"] == round(100 * 3 / 7, 2)
    # on time: two of the three closed (the reworked one closed after its deadline)
    assert by["on_time"]["value"] == round(100 * 2 / 3, 2)
    # satisfaction: one 5 and one 2
    assert by["satisfaction"]["value"] == 50.0
    assert by["satisfaction"]["raw"]["rated"] == 2
    assert by["rework"]["value"] == round(100 * 1 / valid, 2)
    assert by["extension"]["value"] == round(100 * 1 / valid, 2)
    assert by["supervision"]["value"] == round(100 * 1 / valid, 2)
    assert "满意率" in by["satisfaction"]["formula"]
    comp = by["composite"]
    expected = (0.35 * 200 / 3 + 0.25 * 300 / 7 + 0.25 * 50 + 0.15 * (100 - 100 / 7)) / 1.0
    assert comp["value"] == round(expected, 2)
    # The previous period had nothing: no trend.
    assert by["closure"]["trend"]["change"] is None


def test_department_indices_count_the_lead_department(world):
    w = world
    walk_to(w, report(w), "closed")
    walk_to(w, report(w, description="第二件"), "handling", team="grid")
    t = timezone.localdate()
    data = department_indices(
        actor=w.district_dispatcher, department_id=w.dept_zf.pk, period=Period(t, t)
    )
    by = {i["code"]: i for i in data["indices"]}
    assert by["closure"]["raw"]["total"] == 1
    assert by["closure"]["value"] == 100.0


def test_ranking_lists_every_grid_with_and_without_cases(world):
    w = world
    walk_to(w, report(w), "closed")
    report(w, point=IN_MG_A1A_1_2, description="另一件")
    t = timezone.localdate()
    data = ranking(
        actor=w.district_dispatcher,
        area_id=w.tree.district_a.pk,
        level="grid",
        period=Period(t, t),
        by="closure",
    )
    names = [r["name"] for r in data["rows"]]
    assert names[0] == w.tree.grid_a1a_1.name
    assert data["rows"][0]["values"]["closure"] == 50.0
    assert data["rows"][0]["total"] == 2
    assert data["count"] == 3  # every grid of district A, with or without cases
    assert data["rows"][-1]["rank"] is None


def test_figures_outside_scope_are_404(world):
    from wangge.core.errors import DomainError

    t = timezone.localdate()
    with pytest.raises(DomainError) as exc:
        area_indices(actor=world.dispatcher, area_id=world.tree.district_a.pk, period=Period(t, t))
    assert exc.value.status == 404
    with pytest.raises(DomainError):
        area_indices(actor=world.outsider, area_id=world.tree.grid_a1a_1.pk, period=Period(t, t))


def test_online_rate_from_presence_agrees_with_a_hand_count(world):
    from datetime import date, datetime

    from wangge.cases.workdays import TZ
    from wangge.worker.models import PresenceDay

    w = world
    # Mon 2 – Sun 8 November 2026: five working days of 7.5 hours (the calendar's).
    per_day = 450
    period = Period(date(2026, 11, 2), date(2026, 11, 8))
    seen = datetime(2026, 11, 2, 9, tzinfo=TZ)
    for day, user, minutes in (
        (date(2026, 11, 2), w.grid_worker, 240),
        (date(2026, 11, 3), w.grid_worker, 600),  # counted as 450
        (date(2026, 11, 7), w.grid_worker, 300),  # a Saturday: not counted
        (date(2026, 11, 4), w.part_time, 120),
    ):
        PresenceDay.objects.create(
            user=user, day=day, count=minutes, first_seen=seen, last_seen=seen
        )
    data = area_indices(actor=w.dispatcher, area_id=w.tree.grid_a1a_1.pk, period=period)
    online = next(i for i in data["indices"] if i["code"] == "online")
    assert online["raw"] == {
        "workers": 2,
        "working_days": 5,
        "online_minutes": 240 + per_day + 120,
        "expected_minutes": 2 * 5 * per_day,
    }
    assert online["value"] == round(100 * 810 / 4500, 2)


def test_split_period_whole_months_and_edge_days():
    from datetime import date

    from wangge.assessment.selectors import split_period

    assert split_period(Period(date(2026, 11, 1), date(2026, 11, 30))) == (
        (date(2026, 11, 1), date(2026, 11, 1)),
        [],
    )
    assert split_period(Period(date(2026, 10, 15), date(2026, 12, 10))) == (
        (date(2026, 11, 1), date(2026, 11, 1)),
        [
            Period(date(2026, 10, 15), date(2026, 10, 31)),
            Period(date(2026, 12, 1), date(2026, 12, 10)),
        ],
    )
    assert split_period(Period(date(2025, 12, 1), date(2026, 2, 28))) == (
        (date(2025, 12, 1), date(2026, 2, 1)),
        [],
    )
    p = Period(date(2026, 11, 3), date(2026, 11, 25))
    assert split_period(p) == (None, [p])


def test_months_and_days_together_agree_with_a_hand_count(world):
    """Cases spread over three months: figures over a whole month (month
    table), a few days (day table) and a span crossing both equal counts by
    hand from the cases."""
    from wangge.cases.models import Case
    from wangge.cases.workdays import TZ

    w = world
    make_cases(w)
    ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    for i, pk in enumerate(ids):  # 0, 35 and 70 days back, in turn
        Case.objects.filter(pk=pk).update(created_at=now - timedelta(days=35 * (i % 3)))
    rollups.rebuild()
    t = timezone.localdate()
    first = t.replace(day=1)
    last_month_end = first - timedelta(days=1)
    periods = [
        Period(last_month_end.replace(day=1), last_month_end),
        Period(t - timedelta(days=80), t),
        Period(t - timedelta(days=40), t - timedelta(days=30)),
        Period(first, t),
    ]
    street = w.tree.street_a1
    for period in periods:
        data = area_indices(actor=w.dispatcher, area_id=street.pk, period=period)
        raw = next(i for i in data["indices"] if i["code"] == "closure")["raw"]
        mine = [
            c
            for c in Case.objects.filter(area_path__startswith=street.path)
            if period.start <= c.created_at.astimezone(TZ).date() <= period.end
        ]
        closed = sum(c.status in ("closed", "rated", "archived") for c in mine)
        assert (raw["total"], raw["closed"]) == (len(mine), closed), period
        rows = ranking(
            actor=w.district_dispatcher, area_id=w.tree.district_a.pk, level="grid", period=period
        )["rows"]
        in_district = Case.objects.filter(area_path__startswith=w.tree.district_a.path)
        assert sum(r["total"] for r in rows) == sum(
            period.start <= c.created_at.astimezone(TZ).date() <= period.end for c in in_district
        )

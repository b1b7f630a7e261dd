"""入户率, 知晓率, 先锋指数, 堡垒指数 and 积分参与率 as registered indices:
each agrees with a hand count, carries its raw counts, and adds up from
grid to street."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.assessment.indices import Period, month_period
from wangge.assessment.selectors import area_indices, ranking
from wangge.teams.tests.world import make_building, make_household, make_resident

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["live", "stored"], autouse=True)
def counted(request, monkeypatch):
    """Every test here runs twice: counted live, and from the stored totals
    (`stored.py`) refreshed just before each read, so both agree with the
    same hand counts."""
    if request.param == "live":
        yield
        return
    from wangge.assessment import stored

    original, used = stored.lookup, []

    def refreshed(sources, subjects, period):
        key = stored.period_key(period)
        if key is not None:
            stored.refresh(key)
        out = original(sources, subjects, period)
        used.append(out is not None)
        return out

    monkeypatch.setattr(stored, "lookup", refreshed)
    yield
    assert any(used), "the stored totals were never read"


def _this_month() -> Period:
    t = timezone.localdate()
    return month_period(t.year, t.month)


def _index(actor, area, period, code) -> dict:
    data = area_indices(actor=actor, area_id=area.pk, period=period)
    return next(i for i in data["indices"] if i["code"] == code)


def _households(grid, micro_grid, n):
    building = make_building(grid, micro_grid, name=f"{grid.pk}-{n}幢")
    return [make_household(building, room=f"{i + 1}01") for i in range(n)]


def test_visit_coverage_agrees_with_a_hand_count(world):
    from wangge.visits.services import visit_record

    w, t = world, world.tree
    here = _households(t.grid_a1a_1, t.mg_a1a_1_1, 4)
    there = _households(t.grid_a1a_2, None, 1)  # another grid of the street, never visited
    now = timezone.now()
    visit_record(actor=w.grid_worker, household_id=here[0].pk, visited_at=now)
    visit_record(actor=w.grid_worker, household_id=here[0].pk, visited_at=now)  # same household
    visit_record(actor=w.grid_worker, household_id=here[1].pk, visited_at=now)
    assert there
    # By hand: 2 distinct households visited; 4 in the grid, 5 in the street.
    month = _this_month()
    grid = _index(w.dispatcher, t.grid_a1a_1, month, "visit_coverage")
    assert grid["raw"] == {"households": 4, "visited": 2}
    assert grid["value"] == 50.0
    assert "入户率" in grid["formula"]
    street = _index(w.dispatcher, t.street_a1, month, "visit_coverage")
    assert street["raw"] == {"households": 5, "visited": 2}
    assert street["value"] == 40.0
    # Any other period: counted from the visits themselves, same answer.
    today = timezone.localdate()
    days = _index(
        w.dispatcher, t.street_a1, Period(today - timedelta(days=2), today), "visit_coverage"
    )
    assert days["raw"] == {"households": 5, "visited": 2}
    # The previous month had no visits: 0 %, and the trend says better.
    assert street["trend"]["previous"] == 0.0
    assert street["trend"]["better"] is True
    # In the ranking of the street's grids too.
    rows = ranking(actor=w.dispatcher, area_id=t.street_a1.pk, level="grid", period=month)["rows"]
    by_name = {r["name"]: r["values"]["visit_coverage"] for r in rows}
    assert by_name[t.grid_a1a_1.name] == 50.0
    assert by_name[t.grid_a1a_2.name] == 0.0


def test_awareness_from_resident_surveys_agrees_with_a_hand_count(world):
    from wangge.points.tests.people import verified_user
    from wangge.surveys.models import Response
    from wangge.surveys.services import survey_answer, survey_create

    w, t = world, world.tree
    today = timezone.localdate()
    survey = survey_create(
        actor=w.dispatcher,
        name="网格员知晓率调查",
        area_id=t.street_a1.pk,
        start=str(today - timedelta(days=40)),
        end=str(today + timedelta(days=5)),
        questions=["您知道您的网格员是谁吗？", "您知道怎样向网格报事吗？"],
    )
    q1, q2 = survey.questions.all()
    hh = _households(t.grid_a1a_1, t.mg_a1a_1_1, 4)
    people = [verified_user(make_resident(h, name=f"居民{i}")) for i, h in enumerate(hh)]
    answers = [("yes", "yes"), ("yes", "no"), ("no", "no"), ("yes", "yes")]
    for user, (a1, a2) in zip(people, answers, strict=True):
        survey_answer(actor=user, survey_id=survey.pk, answers={q1.pk: a1, q2.pk: a2})
    # The last one answered last month: counted in the previous period.
    last = Response.objects.get(resident=people[3].resident)
    Response.objects.filter(pk=last.pk).update(at=timezone.now() - timedelta(days=35))
    month = _this_month()
    aware = _index(w.dispatcher, t.street_a1, month, "awareness")
    # By hand (this month): 6 answers, 3 知道.
    assert aware["raw"] == {"answers": 6, "yes": 3}
    assert aware["value"] == 50.0
    assert aware["trend"]["previous"] == 100.0
    assert aware["trend"]["better"] is False
    assert _index(w.dispatcher, t.grid_a1a_1, month, "awareness")["raw"] == {"answers": 6, "yes": 3}
    assert _index(w.dispatcher, t.grid_a1a_2, month, "awareness")["value"] is None


def test_party_indices_per_area_agree_with_a_hand_count(world):
    from wangge.party.indices import DEFAULTS
    from wangge.party.models import PartyMember, PartyOrg
    from wangge.visits.services import visit_record

    w, t = world, world.tree
    branch = PartyOrg.objects.create(
        name="第1网格党支部",
        kind=PartyOrg.Kind.BRANCH,
        area=t.grid_a1a_1,
        area_path=t.grid_a1a_1.path,
    )
    for user in (w.grid_worker, w.part_time):
        PartyMember.objects.create(
            org=branch, area_path=t.grid_a1a_1.path, name=user.name, user=user
        )
    hh = _households(t.grid_a1a_1, t.mg_a1a_1_1, 4)
    now = timezone.now()
    for i in range(6):  # six visits by the first member, to two households
        visit_record(actor=w.grid_worker, household_id=hh[i % 2].pk, visited_at=now)
    month = _this_month()
    # By hand, 先锋指数: member 1 made 6 of 12 target visits and nothing else
    # counted (no cases, no service hours, no ratings: left out).
    wv = DEFAULTS["vanguard"]["weights"]
    used = wv["visits"] + wv["cases_reported"] + wv["cases_handled"] + wv["service_hours"]
    m1 = round(100 * wv["visits"] * 6 / 12 / used, 1)
    vanguard = _index(w.dispatcher, t.street_a1, month, "vanguard")
    assert vanguard["raw"]["count"] == 2
    assert vanguard["value"] == round((m1 + 0.0) / 2, 2)
    # 堡垒指数 of the branch: members' mean, no household links (0), 2 of 4
    # households visited, no ratings (left out).
    wb = DEFAULTS["bastion"]["weights"]
    b = round(
        100
        * (wb["members"] * (m1 / 2) / 100 + wb["link_coverage"] * 0 + wb["visit_coverage"] * 0.5)
        / (wb["members"] + wb["link_coverage"] + wb["visit_coverage"]),
        1,
    )
    bastion = _index(w.dispatcher, t.grid_a1a_1, month, "bastion")
    assert bastion["raw"] == {"count": 1, "score_total": b}
    assert bastion["value"] == b
    assert _index(w.dispatcher, t.grid_a1a_2, month, "bastion")["value"] is None


def test_points_participation_agrees_with_a_hand_count(world):
    from wangge.points.models import EntryKind, PointsEntry

    w, t = world, world.tree
    hh = _households(t.grid_a1a_1, t.mg_a1a_1_1, 2)
    residents = [make_resident(h, name=f"居民{i}{j}") for i, h in enumerate(hh) for j in range(2)]
    make_resident(_households(t.grid_a1a_2, None, 1)[0], name="另一网格居民")

    def entry(r, kind, amount, source):
        PointsEntry.objects.create(
            resident=r,
            grid_id=r.grid_id,
            district_id=r.district_id,
            area_path=t.grid_a1a_1.path,
            kind=kind,
            amount=amount,
            reason="测试",
            source=source,
        )

    entry(residents[0], EntryKind.EARN, 5, "t:1")
    entry(residents[0], EntryKind.EARN, 3, "t:2")  # the same resident again
    entry(residents[1], EntryKind.CORRECTION, 10, "t:3")  # not earned by taking part
    month = _this_month()
    grid = _index(w.dispatcher, t.grid_a1a_1, month, "points")
    assert grid["raw"] == {"residents": 4, "participants": 1, "points": 8}
    assert grid["value"] == 25.0
    street = _index(w.dispatcher, t.street_a1, month, "points")
    assert street["raw"] == {"residents": 5, "participants": 1, "points": 8}
    assert street["value"] == 20.0


def test_new_indices_weigh_in_the_composite(world):
    from wangge.assessment.selectors import DEFAULT_WEIGHTS, weights_for

    for code in ("visit_coverage", "awareness", "vanguard", "bastion", "points"):
        assert DEFAULT_WEIGHTS["default"][code] > 0
        assert code in weights_for("grid")
    w, t = world, world.tree
    hh = _households(t.grid_a1a_1, t.mg_a1a_1_1, 2)
    from wangge.visits.services import visit_record

    visit_record(actor=w.grid_worker, household_id=hh[0].pk, visited_at=timezone.now())
    data = area_indices(actor=w.dispatcher, area_id=t.grid_a1a_1.pk, period=_this_month())
    comp = next(i for i in data["indices"] if i["code"] == "composite")
    # Only 入户率 (50 %) has data: the composite is that score.
    assert comp["raw"]["scores"] == {"visit_coverage": 50.0}
    assert comp["value"] == 50.0


def test_monthly_report_lists_the_new_indices_with_raw_counts(world):
    import io

    from openpyxl import load_workbook

    from wangge.assessment.reports import monthly_report, to_excel
    from wangge.visits.services import visit_record

    w, t = world, world.tree
    hh = _households(t.grid_a1a_1, t.mg_a1a_1_1, 2)
    visit_record(actor=w.grid_worker, household_id=hh[0].pk, visited_at=timezone.now())
    data = monthly_report(actor=w.dispatcher, area=t.street_a1, period=_this_month())
    ws = load_workbook(io.BytesIO(to_excel(data)))["指数"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=3, values_only=True) if r[0]}
    for name in ("入户率", "知晓率", "先锋指数", "堡垒指数", "积分参与率", "综合得分"):
        assert name in rows, name
    assert rows["入户率"][1] == 50.0
    assert "households=2" in rows["入户率"][5] and "visited=1" in rows["入户率"][5]

"""Metrics against a hand count of a small, fully known set of cases."""

from __future__ import annotations

from datetime import datetime

from wangge.cases.selectors import metrics
from wangge.cases.workdays import TZ

from .conftest import IN_MG_B1A_1_1, move, photo, report


def at(m, d, hh, mm=0, y=2026):
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def build(world):
    w = world
    # c1: 路灯 → 住建, on time, rated 5. Accepted after 1 h; handled 24 h after dispatch.
    c1 = report(w, category="0602", description="路灯不亮", at=at(3, 2, 9))
    move(c1, "accept", w.dispatcher, at=at(3, 2, 10))
    move(c1, "register", w.dispatcher, at=at(3, 2, 10))
    move(
        c1,
        "dispatch",
        w.dispatcher,
        at=at(3, 2, 10, 30),
        team="department",
        department_id=w.dept_zj.pk,
    )
    move(c1, "handle", w.zj_staff, at=at(3, 2, 11))
    move(c1, "report_back", w.zj_staff, at=at(3, 3, 10, 30), note="修好", photos=[photo()])
    move(c1, "verify_pass", w.grid_worker, at=at(3, 3, 10, 45))
    move(c1, "close", w.dispatcher, at=at(3, 3, 11))
    move(c1, "rate", w.resident, at=at(3, 4, 9), rating=5)
    # c2: 暴露垃圾, grid team, late, reworked once, rated 3. Accepted after 3 h.
    c2 = report(w, category="0101", description="垃圾", at=at(3, 2, 9))
    move(c2, "accept", w.grid_leader, at=at(3, 2, 12))
    move(c2, "register", w.grid_leader, at=at(3, 2, 12))
    move(c2, "dispatch", w.grid_leader, at=at(3, 2, 12, 30), team="grid")
    move(c2, "handle", w.grid_worker, at=at(3, 2, 13))
    move(c2, "report_back", w.grid_worker, at=at(3, 3, 9), note="清了", photos=[photo()])
    move(c2, "verify_fail", w.grid_leader, at=at(3, 3, 9, 15), note="还有残留")
    move(c2, "report_back", w.grid_worker, at=at(3, 3, 10), note="清干净", photos=[photo()])
    move(c2, "verify_pass", w.grid_leader, at=at(3, 3, 10, 30))
    move(c2, "close", w.grid_leader, at=at(3, 3, 11))
    move(c2, "rate", w.resident, at=at(3, 3, 12), rating=3)
    # c3: 路灯 → 住建, extended 2 days, still handling past its deadline. Accepted after 30 min.
    c3 = report(w, category="0602", description="路灯闪烁", at=at(3, 4, 9))
    move(c3, "accept", w.dispatcher, at=at(3, 4, 9, 30))
    move(c3, "register", w.dispatcher, at=at(3, 4, 9, 30))
    move(
        c3, "dispatch", w.dispatcher, at=at(3, 4, 10), team="department", department_id=w.dept_zj.pk
    )
    move(c3, "extension_request", w.zj_staff, at=at(3, 5, 9), days=2, reason="缺配件")
    move(c3, "extension_approve", w.dispatcher, at=at(3, 5, 10))
    move(c3, "handle", w.zj_staff, at=at(3, 5, 11))
    # c4: voided (left out). c5: reported before the period. c6: accepted after 1.5 h only.
    c4 = report(w, category="0101", description="误报", at=at(3, 10, 9))
    move(c4, "void", w.dispatcher, at=at(3, 10, 10), reason="误报")
    report(w, category="0101", description="二月的", at=at(2, 20, 9))
    c6 = report(w, category="0201", description="小广告", at=at(3, 20, 9))
    move(c6, "accept", w.dispatcher, at=at(3, 20, 10, 30))
    # c7: another district, outside the actor's scope.
    report(w, actor=w.outsider, point=IN_MG_B1A_1_1, description="外区", at=at(3, 5, 9))
    return c1, c2, c3


def test_metrics_match_hand_count(world):
    build(world)
    m = metrics(
        actor=world.district_dispatcher, start=at(3, 1, 0), end=at(4, 1, 0), now=at(4, 15, 9)
    )
    assert m["cases"] == 4  # c1 c2 c3 c6
    assert m["due"] == 3  # c1 (5 Mar), c2 (2 Mar), c3 (11 Mar after extension)
    assert m["closed"] == 2
    assert m["closure_rate"] == round(2 / 3, 4)
    assert m["on_time_rate"] == 0.5  # c1 closed on time, c2 late
    assert m["rework_rate"] == 0.5
    assert m["extension_rate"] == round(1 / 3, 4)
    assert m["satisfaction_rate"] == 0.5 and m["rated"] == 2
    assert m["avg_hours_to_accept"] == (1 + 3 + 0.5 + 1.5) / 4
    assert m["avg_hours_to_handle"] == (24 + 21.5) / 2
    assert m["self_handled_share"] == 0.5


def test_metrics_per_department_and_area(world):
    build(world)
    m = metrics(
        actor=world.district_dispatcher,
        start=at(3, 1, 0),
        end=at(4, 1, 0),
        department_id=world.dept_zj.pk,
        now=at(4, 15, 9),
    )
    assert (m["cases"], m["due"], m["closed"], m["closure_rate"]) == (2, 2, 1, 0.5)
    assert m["self_handled_share"] == 0.0
    m = metrics(
        actor=world.district_dispatcher,
        start=at(3, 1, 0),
        end=at(4, 1, 0),
        area=world.tree.community_a1b,
        now=at(4, 15, 9),
    )
    assert m["cases"] == 0 and m["closure_rate"] is None
    # Before c3's extended deadline only c1 and c2 were due.
    m = metrics(
        actor=world.district_dispatcher, start=at(3, 1, 0), end=at(4, 1, 0), now=at(3, 10, 9)
    )
    assert (m["due"], m["closure_rate"]) == (2, 1.0)


def test_metrics_api(client, world):
    build(world)
    client.force_login(world.district_dispatcher)
    r = client.get("/api/v1/cases/metrics", {"start": "2026-03-01", "end": "2026-04-01"})
    assert r.status_code == 200
    body = r.json()
    assert body["cases"] == 4 and body["closure_rate"] == round(2 / 3, 4)
    assert (
        client.get("/api/v1/cases/metrics", {"start": "x", "end": "y"}).json()["code"] == "bad_date"
    )
    client.force_login(world.resident)
    r = client.get("/api/v1/cases/metrics", {"start": "2026-03-01", "end": "2026-04-01"})
    assert r.status_code == 403

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


def build_joint(world):
    """Two more March cases with departments in other roles than lead."""
    w = world
    # c8: 路灯, joint handling: 执法局 leads, 住建 assists; closed on time, rated 4.
    c8 = report(w, category="0602", description="路灯杆倾斜", at=at(3, 6, 9))
    move(c8, "accept", w.dispatcher, at=at(3, 6, 9, 30))
    move(c8, "register", w.dispatcher, at=at(3, 6, 9, 30))
    move(
        c8, "dispatch", w.dispatcher, at=at(3, 6, 10), team="department", department_id=w.dept_zf.pk
    )
    move(
        c8,
        "joint",
        w.dispatcher,
        at=at(3, 6, 10, 30),
        lead_department_id=w.dept_zf.pk,
        assist_department_ids=[w.dept_zj.pk],
    )
    move(c8, "handle", w.zf_staff, at=at(3, 6, 11))
    move(c8, "report_back", w.zf_staff, at=at(3, 9, 10), note="已扶正", photos=[photo()])
    move(c8, "verify_pass", w.dispatcher, at=at(3, 9, 11))
    move(c8, "close", w.dispatcher, at=at(3, 9, 12))
    move(c8, "rate", w.resident, at=at(3, 9, 15), rating=4)
    # c9: 路灯, 执法局 leads; 住建 and 公安 whistled in (response within 8
    # working hours); 住建 answers in time, 公安 never; still handling.
    c9 = report(w, category="0602", description="路灯线路裸露", at=at(3, 9, 9))
    move(c9, "accept", w.dispatcher, at=at(3, 9, 9, 30))
    move(c9, "register", w.dispatcher, at=at(3, 9, 9, 30))
    move(
        c9, "dispatch", w.dispatcher, at=at(3, 9, 10), team="department", department_id=w.dept_zf.pk
    )
    move(c9, "handle", w.zf_staff, at=at(3, 9, 10, 30))
    move(
        c9,
        "whistle",
        w.dispatcher,
        at=at(3, 9, 11),
        department_ids=[w.dept_zj.pk, w.dept_ga.pk],
    )
    move(c9, "whistle_respond", w.zj_staff, at=at(3, 9, 15), note="派人排查线路")
    return c8, c9


def test_department_metrics_count_assisting_and_whistled_departments(world):
    """Hand count, March 2026, as of 15 April (c1 c3 from build, c8 c9 above):

    | dept | lead     | assist | whistled | due | closed (on time) | rated (4–5) | calls (in time) |
    | 住建 | c1, c3   | c8     | c9       | 4   | c1, c8 (2)       | c1 5, c8 4  | 1 (1)           |
    | 执法 | c8, c9   | –      | –        | 2   | c8 (1)           | c8 4        | 0               |
    | 公安 | –        | –      | c9       | 1   | –                | –           | 1 (0)           |
    """
    build(world)
    build_joint(world)

    def m(dept):
        return metrics(
            actor=world.district_dispatcher,
            start=at(3, 1, 0),
            end=at(4, 1, 0),
            department_id=dept.pk,
            now=at(4, 15, 9),
        )

    zj = m(world.dept_zj)
    assert (zj["cases"], zj["due"], zj["closed"]) == (4, 4, 2)
    assert zj["closure_rate"] == 0.5 and zj["on_time_rate"] == 1.0
    assert zj["satisfaction_rate"] == 1.0 and zj["rated"] == 2
    assert zj["extension_rate"] == 0.25  # c3 of the 4 registered
    assert zj["department_roles"] == {"lead": 2, "assist": 1, "whistled": 1}
    assert (zj["whistle_calls"], zj["whistle_response_rate"]) == (1, 1.0)

    zf = m(world.dept_zf)
    assert (zf["cases"], zf["due"], zf["closed"], zf["closure_rate"]) == (2, 2, 1, 0.5)
    assert zf["department_roles"] == {"lead": 2, "assist": 0, "whistled": 0}
    assert (zf["whistle_calls"], zf["whistle_response_rate"]) == (0, None)

    ga = m(world.dept_ga)
    assert (ga["cases"], ga["due"], ga["closed"], ga["closure_rate"]) == (1, 1, 0, 0.0)
    assert ga["department_roles"] == {"lead": 0, "assist": 0, "whistled": 1}
    assert (ga["whistle_calls"], ga["whistle_response_rate"]) == (1, 0.0)

    # Before 公安's response deadline (8 working hours from 9 Mar 11:00 is
    # 10 Mar 11:00) the call is not yet due.
    early = metrics(
        actor=world.district_dispatcher,
        start=at(3, 1, 0),
        end=at(4, 1, 0),
        department_id=world.dept_ga.pk,
        now=at(3, 10, 9),
    )
    assert (early["whistle_calls"], early["whistle_response_rate"]) == (1, None)
    # Without a department the roles are not reported.
    assert "department_roles" not in metrics(
        actor=world.district_dispatcher, start=at(3, 1, 0), end=at(4, 1, 0), now=at(4, 15, 9)
    )

"""Deadlines per handling class on real 2026 dates, the traffic light, the
sweep (idempotent, escalating, continuing past a failure) and notifications."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from wangge.cases import services
from wangge.cases.deadlines import sweep
from wangge.cases.models import Case, CaseEvent, Notification, SmsLog
from wangge.cases.workdays import TZ
from wangge.core.errors import DomainError

from .conftest import move, report


def at(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def registered(world, category, when, **kw):
    case = report(world, category=category, at=when - timedelta(minutes=30))
    case = move(case, "accept", world.dispatcher, at=when - timedelta(minutes=10))
    return move(case, "register", world.dispatcher, at=when, **kw)


def dispatched(world, category, when, **kw):
    case = registered(world, category, when)
    return move(
        case,
        "dispatch",
        world.dispatcher,
        at=when + timedelta(minutes=5),
        team="department",
        department_id=world.dept_zf.pk,
        **kw,
    )


def test_time_limited_over_spring_festival(world):
    # 路灯不亮: 3 working days. Friday 13 Feb 2026 → Sat 14 (调休), Tue 24, Wed 25.
    case = registered(world, "0602", at(2026, 2, 13, 10))
    assert case.handling == "time_limited"
    assert case.due_at == at(2026, 2, 25, 17, 30)
    # 80% of 28.5 working hours = 22.8 h → Wed 25 Feb 10:18.
    assert case.warn_at == at(2026, 2, 25, 10, 18)
    assert case.alert == ""


def test_immediate_same_working_day_and_after_hours(world):
    assert registered(world, "0101", at(2026, 2, 13, 9)).due_at == at(2026, 2, 13, 17, 30)
    # Registered at 18:00 on the last working day before the break: the
    # make-up Saturday is the same-day deadline.
    assert registered(world, "0101", at(2026, 2, 13, 18)).due_at == at(2026, 2, 14, 17, 30)


def test_national_day_2025_make_up_saturday(world):
    # 道路破损: 5 working days from Tue 30 Sep 2025: 9, 10, 11 (Sat 调休), 13, 14 Oct.
    assert registered(world, "0701", at(2025, 9, 30, 16)).due_at == at(2025, 10, 14, 17, 30)


def test_special_needs_dispatcher_deadline(world):
    case = registered(world, "0304", at(2026, 3, 2, 9))  # 违法建设: 特办件
    assert case.handling == "special" and case.due_at is None
    with pytest.raises(DomainError) as exc:
        move(case, "dispatch", world.dispatcher, at=at(2026, 3, 2, 10), team="department")
    assert exc.value.code == "due_required"
    case = move(
        case,
        "dispatch",
        world.dispatcher,
        at=at(2026, 3, 2, 10),
        team="department",
        due_at="2026-03-20T12:00:00+08:00",
    )
    assert case.due_at == at(2026, 3, 20, 12)


def test_undertaken_department_sets_deadline(world):
    case = dispatched(world, "0904", at(2026, 3, 2, 9))  # 物业服务: 承办件, 5 days
    assert case.due_at == at(2026, 3, 9, 17, 30)
    case = move(case, "handle", world.zf_staff, at=at(2026, 3, 2, 11), due_at="2026-03-13T17:30")
    assert case.due_at == at(2026, 3, 13, 17, 30)
    time_limited = dispatched(world, "0602", at(2026, 3, 2, 9))
    with pytest.raises(DomainError) as exc:
        move(time_limited, "handle", world.zf_staff, due_at="2026-03-13T17:30")
    assert exc.value.code == "deadline_not_settable"


def test_proxy_class_from_catalogue(world):
    case = registered(world, "1506", at(2026, 9, 30, 9))  # 证照代办: 代办件, 5 days
    assert case.handling == "proxy"
    # 8, 9, 10 (Sat 调休), 12, 13 Oct 2026.
    assert case.due_at == at(2026, 10, 13, 17, 30)


def test_sweep_yellow_red_escalate_idempotent(world, django_capture_on_commit_callbacks):
    t = world.tree
    case = dispatched(world, "0602", at(2026, 2, 13, 10))
    assert case.due_at == at(2026, 2, 25, 17, 30)
    assert sweep(now=at(2026, 2, 25, 10)).yellow == 0
    with django_capture_on_commit_callbacks(execute=True):
        r = sweep(now=at(2026, 2, 25, 10, 30))
    assert (r.yellow, r.red, r.escalated) == (1, 0, 0)
    assert sweep(now=at(2026, 2, 25, 10, 31)).yellow == 0  # idempotent
    case.refresh_from_db()
    assert case.alert == "yellow"
    staff = set(Notification.objects.filter(kind="yellow").values_list("user_id", flat=True))
    assert staff == {world.zf_staff.pk}

    r = sweep(now=at(2026, 2, 25, 17, 31))
    assert (r.red, r.escalated) == (1, 1)
    case.refresh_from_db()
    assert case.alert == "red" and case.level_area == t.grid_a1a_1 and case.escalations == 1
    again = sweep(now=at(2026, 2, 25, 17, 31))
    assert (again.red, again.escalated) == (0, 0)
    # One more level per further working day overdue (Thu 26, Fri 27).
    assert sweep(now=at(2026, 2, 26, 12)).escalated == 0
    assert sweep(now=at(2026, 2, 26, 17, 31)).escalated == 1
    case.refresh_from_db()
    assert case.level_area == t.street_a1
    assert sweep(now=at(2026, 2, 27, 17, 31)).escalated == 1
    case.refresh_from_db()
    assert case.level_area == t.district_a and case.escalate_at is None
    assert sweep(now=at(2026, 3, 10, 9)).escalated == 0
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds.count("escalate") == 3 and kinds.count("yellow") == 1 and kinds.count("red") == 1


def test_sweep_catches_up_after_downtime(world):
    case = dispatched(world, "0602", at(2026, 2, 13, 10))
    # Nobody ran the sweep until two working days after the deadline.
    r = sweep(now=at(2026, 2, 27, 17, 31))
    assert (r.yellow, r.red) == (0, 1)
    case.refresh_from_db()
    assert case.level_area == world.tree.district_a and case.escalations == 3


def test_sweep_continues_past_a_failure(world, monkeypatch):
    bad = dispatched(world, "0602", at(2026, 2, 13, 10))
    good = dispatched(world, "0602", at(2026, 2, 13, 10))
    real = services.record_event

    def flaky(case, **kw):
        if case.pk == bad.pk:
            raise RuntimeError("disk full")
        return real(case, **kw)

    monkeypatch.setattr(services, "record_event", flaky)
    r = sweep(now=at(2026, 2, 25, 10, 30))
    assert r.yellow == 1 and bad.pk in r.failed
    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.alert == "" and good.alert == "yellow"  # the failed one rolled back
    monkeypatch.setattr(services, "record_event", real)
    assert sweep(now=at(2026, 2, 25, 10, 31)).yellow == 1  # and is picked up next time


def test_extension_and_parking_move_the_deadline(world):
    case = dispatched(world, "0602", at(2026, 2, 13, 10))
    case = move(
        case, "extension_request", world.zf_staff, at=at(2026, 2, 24, 9), days=2, reason="缺配件"
    )
    assert case.extension_days == 2
    case = move(case, "extension_approve", world.dispatcher, at=at(2026, 2, 24, 10))
    assert case.due_at == at(2026, 2, 27, 17, 30) and case.extension_count == 1
    case = move(case, "handle", world.zf_staff, at=at(2026, 2, 24, 11))
    # Parked from Thu 26 Feb 09:30 to Mon 2 Mar 09:30: 6.5 h + 7.5 h + 7.5 h
    # (Sat 28 Feb is a make-up workday) + 1 h = 22.5 h, three working days.
    case = move(case, "park", world.dispatcher, at=at(2026, 2, 26, 9, 30), reason="待供电公司")
    case = move(case, "unpark", world.dispatcher, at=at(2026, 3, 2, 9, 30))
    assert case.events.get(kind="unpark").data["paused_working_seconds"] == 22.5 * 3600
    assert case.due_at == at(2026, 3, 3, 17, 30)
    assert case.status == "handling"


def test_sweep_ignores_parked_cases(world):
    case = dispatched(world, "0602", at(2026, 2, 13, 10))
    move(case, "park", world.dispatcher, at=at(2026, 2, 13, 11), reason="等待协调")
    r = sweep(now=at(2026, 3, 30, 9))
    assert (r.yellow, r.red, r.escalated) == (0, 0, 0)


def test_whistle_response_time(world, django_capture_on_commit_callbacks):
    case = dispatched(world, "0602", at(2026, 2, 13, 10))  # response: 8 working hours
    case = move(
        case,
        "whistle",
        world.grid_leader,
        at=at(2026, 2, 13, 10),
        department_ids=[world.dept_ga.pk],
    )
    row = case.departments.get(department=world.dept_ga, role="whistled")
    assert row.respond_by == at(2026, 2, 14, 10, 30)  # 6 h Friday + 2 h make-up Saturday
    assert sweep(now=at(2026, 2, 14, 10)).whistles_overdue == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=at(2026, 2, 14, 11)).whistles_overdue == 1
    assert sweep(now=at(2026, 2, 14, 12)).whistles_overdue == 0
    assert Notification.objects.filter(kind="whistle_overdue", user=world.ga_staff).exists()
    # The department still reports in afterwards.
    move(case, "whistle_respond", world.ga_staff, note="已派民警到场")
    row.refresh_from_db()
    assert row.responded_at is not None and row.response == "已派民警到场"


def test_departments_must_serve_the_place(world):
    case = registered(world, "0602", at(2026, 3, 2, 9))
    for kw in (
        {"team": "department", "department_id": world.dept_b.pk},  # district B's bureau
        {"team": "department", "department_id": 999999},
    ):
        with pytest.raises(DomainError) as exc:
            move(case, "dispatch", world.dispatcher, **kw)
        assert exc.value.code == "unknown_department"
    with pytest.raises(DomainError) as exc:
        move(case, "whistle", world.dispatcher, department_ids=[world.dept_b.pk])
    assert exc.value.code == "unknown_department"
    with pytest.raises(DomainError) as exc:
        move(case, "dispatch", world.dispatcher, team="grid", assignee_id=world.outsider.pk)
    assert exc.value.code == "unknown_user"
    case.refresh_from_db()
    assert case.status == "registered" and not case.departments.exists()
    case = move(case, "dispatch", world.dispatcher, team="grid", assignee_id=world.part_time.pk)
    assert case.assignee == world.part_time


def test_joint_handling_lead_and_assisting(world):
    case = dispatched(world, "0305", at(2026, 3, 2, 9))
    case = move(
        case,
        "joint",
        world.dispatcher,
        lead_department_id=world.dept_zj.pk,
        assist_department_ids=[world.dept_zf.pk],
    )
    assert case.department == world.dept_zj
    roles = dict(case.departments.values_list("department_id", "role"))
    assert roles[world.dept_zj.pk] == "lead" and roles[world.dept_zf.pk] == "assist"
    move(case, "handle", world.zf_staff)  # an assisting department may act


def test_sweep_archives_after_rating_window(world):
    from .conftest import walk_to

    case = walk_to(world, report(world), "closed")
    assert sweep(now=case.closed_at + timedelta(days=6)).archived == 0
    assert sweep(now=case.closed_at + timedelta(days=7, minutes=1)).archived == 1
    case.refresh_from_db()
    assert case.status == "archived" and case.rating is None
    with pytest.raises(DomainError):
        move(case, "rate", world.resident, rating=5)


def test_rating_window_and_range(world):
    from .conftest import walk_to

    case = walk_to(world, report(world), "closed")
    with pytest.raises(DomainError) as exc:
        move(case, "rate", world.resident, rating=6)
    assert exc.value.code == "bad_value"
    with pytest.raises(DomainError) as exc:
        move(case, "rate", world.resident, rating=5, at=case.closed_at + timedelta(days=8))
    assert exc.value.code == "rating_window_closed"
    with pytest.raises(DomainError) as exc:
        move(case, "rate", world.resident2, rating=5)
    assert exc.value.code == "not_allowed"
    case = move(case, "rate", world.resident, rating=2, note="处理太慢")
    assert case.rating == 2 and case.status == "rated"


def test_reporter_notified_at_public_steps_by_app_and_sms(
    world, django_capture_on_commit_callbacks, caplog
):
    from wangge.cases.services import case_report

    case, _ = case_report(
        actor=world.dispatcher,
        description="热线来电：路灯不亮",
        category="0602",
        area=world.tree.grid_a1a_1,
        source="hotline",
        external_id="12345-0001",
        reporter_name="李先生",
        reporter_phone="13900001111",
        check_scope=False,
    )
    with django_capture_on_commit_callbacks(execute=True), caplog.at_level("INFO", "wangge.sms"):
        move(case, "accept", world.dispatcher)
        move(case, "register", world.dispatcher)  # not a public step
        move(case, "dispatch", world.dispatcher, team="department", department_id=world.dept_zj.pk)
    texts = list(SmsLog.objects.filter(case_id=case.pk).values_list("text", flat=True))
    assert len(texts) == 2 and "已受理" in texts[0] and "已派遣" in texts[1]
    assert all(p == "139****1111" for p in SmsLog.objects.values_list("phone_masked", flat=True))
    assert "139****1111" in caplog.text and "13900001111" not in caplog.text
    # The department's staff got an in-app notice of the dispatch.
    assert Notification.objects.filter(user=world.zj_staff, case_id=case.pk).exists()


def test_periodic_task_runs_sweep_through_tasks_api(world):
    from wangge.cases.tasks import sweep_deadlines

    dispatched(world, "0101", at(2026, 2, 13, 9))  # immediate: due 13 Feb 17:30
    result = sweep_deadlines.enqueue()
    assert result.status == "SUCCESSFUL"
    assert result.return_value["red"] == 1
    assert Case.objects.get().alert == "red"

"""未诉先办: the rules find what they promise, explain it, raise it once,
and a task becomes a case in one step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.assessment.models import ProactiveTask
from wangge.assessment.proactive import run_rules
from wangge.assessment.services import proactive_dismiss, proactive_to_case
from wangge.cases.tests.conftest import IN_MG_A1A_1_1, IN_MG_A1A_1_2, report

pytestmark = pytest.mark.django_db


def near(point, dx_m: float):
    """A point dx_m metres east of `point`."""
    return (point[0] + dx_m / 96_000, point[1])


def test_hotspot_three_of_a_kind_within_200_m(world):
    w = world
    now = timezone.now()
    for i, dx in enumerate((0, 60, 150)):
        report(
            w,
            point=near(IN_MG_A1A_1_1, dx),
            description=f"垃圾堆放{i}",
            at=now - timedelta(days=3 * i + 1),
        )
    # Same place, another category; and one far away: neither joins.
    report(w, point=near(IN_MG_A1A_1_1, 30), category="0102", description="路灯不亮")
    report(w, point=IN_MG_A1A_1_2, description="远处垃圾")
    out = run_rules(only=["hotspot"])
    assert out["hotspot"]["created"] == 1
    task = ProactiveTask.objects.get()
    assert task.rule == "hotspot" and task.area == w.tree.grid_a1a_1
    assert task.evidence["count"] == 3
    assert "200米" in task.reason and "3件" in task.reason
    # Raised once: the next run finds it again and creates nothing.
    assert run_rules(only=["hotspot"])["hotspot"]["created"] == 0


def test_two_cases_are_not_a_hotspot(world):
    report(world, description="一")
    report(world, point=near(IN_MG_A1A_1_1, 50), description="二")
    assert run_rules(only=["hotspot"])["hotspot"]["found"] == 0


def test_rising_week_over_week(world):
    w = world
    now = timezone.now()
    report(w, description="上周一件", at=now - timedelta(days=10))
    for i in range(5):
        report(
            w,
            point=near(IN_MG_A1A_1_1, 300 * i),
            description=f"本周{i}",
            at=now - timedelta(days=1 + i),
        )
    run_rules(only=["rising"])
    task = ProactiveTask.objects.get(rule="rising")
    assert task.area == w.tree.grid_a1a_1
    assert task.evidence["this_week"] == 5 and task.evidence["last_week"] == 1
    assert "增长400%" in task.reason


def test_seasonal_same_micro_grid_last_year(world):
    w = world
    last_year = timezone.now() - timedelta(days=365 - 5)
    for i in range(3):
        report(
            w,
            point=near(IN_MG_A1A_1_1, 400 * i),
            category="0102",
            description=f"去年{i}",
            at=last_year + timedelta(days=i),
        )
    run_rules(only=["seasonal"])
    task = ProactiveTask.objects.get(rule="seasonal")
    assert task.evidence["count"] == 3
    assert w.tree.mg_a1a_1_1.name in task.title
    assert "去年" in task.reason


def test_task_becomes_a_case_in_one_step(world, client):
    w = world
    for i, dx in enumerate((0, 60, 150)):
        report(w, point=near(IN_MG_A1A_1_1, dx), description=f"垃圾{i}")
    run_rules(only=["hotspot"])
    task = ProactiveTask.objects.get()
    client.force_login(w.grid_worker)
    listed = client.get("/api/v1/assessment/proactive").json()
    assert [t["id"] for t in listed] == [task.pk]
    assert listed[0]["why"] == task.reason
    resp = client.post(
        f"/api/v1/assessment/proactive/{task.pk}/case", {}, content_type="application/json"
    )
    assert resp.status_code == 201, resp.content
    task.refresh_from_db()
    assert task.state == "converted" and task.case.category.code == "0101"
    assert "未诉先办" in task.case.description
    again = client.post(
        f"/api/v1/assessment/proactive/{task.pk}/case", {}, content_type="application/json"
    )
    assert again.status_code == 409


def test_outsider_cannot_see_or_convert(world):
    from wangge.core.errors import DomainError

    w = world
    for i, dx in enumerate((0, 60, 150)):
        report(w, point=near(IN_MG_A1A_1_1, dx), description=f"垃圾{i}")
    run_rules(only=["hotspot"])
    task = ProactiveTask.objects.get()
    with pytest.raises(DomainError) as exc:
        proactive_to_case(actor=w.outsider, task_id=task.pk)
    assert exc.value.status == 404
    with pytest.raises(DomainError) as exc:
        proactive_dismiss(actor=w.grid_worker, task_id=task.pk, reason="")
    assert exc.value.code == "reason_required"
    proactive_dismiss(actor=w.grid_worker, task_id=task.pk, reason="已在整治计划中")
    task.refresh_from_db()
    assert task.state == "dismissed"
    assert ProactiveTask.objects.filter(case__isnull=False).count() == 0


def test_findings_sharing_a_key_are_saved_once_in_one_batch(world, django_assert_max_num_queries):
    """Two hot spots seeded in one H3 cell share a key: the first (bigger)
    becomes the task, in one bulk insert (not the row-by-row fallback,
    which took minutes over a city)."""
    from wangge.assessment.proactive import Finding, save_findings

    grid = world.tree.grid_a1a_1.path
    findings = [
        Finding(
            rule="hotspot", key=f"hotspot:test:{i // 2}", grid_path=grid, title=f"{i}", reason="r"
        )
        for i in range(40)
    ]
    with django_assert_max_num_queries(8):
        assert save_findings(findings, timezone.now()) == 20
    assert sorted(ProactiveTask.objects.values_list("title", flat=True)) == sorted(
        str(i) for i in range(0, 40, 2)
    )


def test_care_residents_not_contacted_within_their_frequency(world):
    """Hand count: three pairs (every 30 days); one contacted 10 days ago, one
    40 days ago (overdue 10 days), one never since pairing 35 days ago
    (overdue 5 days): two tasks, explained; a contact clears the next run."""
    from wangge.people.models import CareGroup, ResidentCareGroup
    from wangge.teams.tests.world import make_building, make_household, make_resident
    from wangge.visits.models import CareFrequency
    from wangge.visits.services import care_contact_record, care_pair_create

    w, t = world, world.tree
    group = CareGroup.objects.get_or_create(
        code="elderly_alone", defaults={"name": "孤寡老人", "builtin": True}
    )[0]
    CareFrequency.objects.update_or_create(group=group, defaults={"interval_days": 30})
    building = make_building(t.grid_a1a_1, t.mg_a1a_1_1, name="9幢")
    now = timezone.now()
    today = timezone.localdate()
    pairs = []
    for i, (since_days, contact_days) in enumerate(((60, 10), (60, 40), (35, None))):
        r = make_resident(make_household(building, room=f"9{i}1"), name=f"关爱对象{i}")
        ResidentCareGroup.objects.create(resident=r, group=group)
        pair = care_pair_create(
            actor=w.grid_worker,
            resident_id=r.pk,
            group="elderly_alone",
            carer_kind="worker",
            carer_user_id=w.grid_worker.pk,
            since=today - timedelta(days=since_days),
        )
        if contact_days is not None:
            when = now - timedelta(days=contact_days)
            care_contact_record(actor=w.grid_worker, pair=pair, mode="phone", at=when, now=when)
        pairs.append(pair)
    out = run_rules(only=["care_contact"])
    assert out["care_contact"]["created"] == 2
    tasks = {t_.evidence["pair_id"]: t_ for t_ in ProactiveTask.objects.filter(rule="care_contact")}
    assert set(tasks) == {pairs[1].pk, pairs[2].pk}
    late = tasks[pairs[1].pk]
    assert late.evidence["days_overdue"] == 10
    assert late.area == t.grid_a1a_1
    assert "每30天联系一次" in late.reason and "已超期10天" in late.reason
    assert "关爱对象1" not in late.reason  # the name is masked
    never = tasks[pairs[2].pk]
    assert never.evidence["days_overdue"] == 5 and "从未联系" in never.reason
    assert run_rules(only=["care_contact"])["care_contact"]["created"] == 0  # raised once
    # One step to a case (养老服务需求 for elderly living alone).
    task, case = proactive_to_case(actor=w.grid_worker, task_id=late.pk)
    assert task.state == "converted" and case.category.code == "1502"
    assert case.grid_id == t.grid_a1a_1.pk
    # Contacted now: nothing new to raise for that pair.
    care_contact_record(actor=w.grid_worker, pair=pairs[2], mode="visit", at=now)
    assert run_rules(only=["care_contact"])["care_contact"]["found"] == 1

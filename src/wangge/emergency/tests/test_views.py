"""Emergency pages: the console switches on and shows progress; the grid
worker fills the checklist through the outbox endpoint; switching back."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from wangge.emergency.checklist import DEFAULT_FIELDS
from wangge.emergency.models import ChecklistAnswer, EmergencyMode

pytestmark = pytest.mark.django_db


def _start(client, town):
    client.force_login(town.street_cadre)
    return client.post(
        reverse("emergency-console:start"),
        {
            "area_id": town.tree.street_a1.pk,
            "reason": "暴雨红色预警",
            "fields": json.dumps(DEFAULT_FIELDS, ensure_ascii=False),
        },
    )


def test_console_start_progress_and_end(client, town):
    resp = _start(client, town)
    mode = EmergencyMode.objects.get()
    assert resp["Location"] == reverse("emergency-console:detail", args=[mode.pk])
    page = client.get(resp["Location"]).content.decode()
    assert "暴雨红色预警" in page and "0</span> / 6 户已排查" in page
    data = client.get(reverse("emergency-console:progress", args=[mode.pk]), {"format": "json"})
    assert data.json()["households"] == 6
    client.post(reverse("emergency-console:end", args=[mode.pk]), {"note": "解除预警"})
    page = client.get(reverse("emergency-console:detail", args=[mode.pk])).content.decode()
    assert "已恢复常态" in page and "归档：应排查 6 户" in page


def test_console_refuses_bad_fields_json(client, town):
    client.force_login(town.street_cadre)
    resp = client.post(
        reverse("emergency-console:start"),
        {"area_id": town.tree.street_a1.pk, "reason": "暴雨", "fields": "[{"},
    )
    assert resp.status_code == 422 and "不是有效的 JSON" in resp.content.decode()
    resp = client.post(
        reverse("emergency-console:start"),
        {"area_id": town.tree.street_a1.pk, "reason": "暴雨", "fields": '[{"key": "x"}]'},
    )
    assert resp.status_code == 422 and "须有 1–40 字的名称" in resp.content.decode()
    assert not EmergencyMode.objects.exists()


def test_worker_fills_checklist_through_the_outbox_endpoint(client, town):
    _start(client, town)
    mode = EmergencyMode.objects.get()
    client.force_login(town.grid_worker)
    today = client.get(reverse("worker:today")).content.decode()
    assert "应急状态" in today and "暴雨红色预警" in today
    grid_url = reverse("emergency-worker:grid", args=[mode.pk, town.tree.grid_a1a_1.pk])
    page = client.get(grid_url).content.decode()
    assert page.count('data-testid="household"') == 4 and "全户人员平安" in page
    h = town.households_a1a_1[1]
    url = reverse("emergency-worker:fill", args=[mode.pk, h.pk])
    form = {"all_safe": "0", "needs_help": "1", "tested": "", "note": "独居老人"}
    r1 = client.post(url, form, HTTP_IDEMPOTENCY_KEY="abc")
    r2 = client.post(url, form, HTTP_IDEMPOTENCY_KEY="abc")
    assert r1.status_code == 200 and r1.json()["done"] and r1.json()["case_id"]
    assert r2.json() == {**r1.json(), "done": False}
    assert "最高优先级工单" in r1.json()["message"]
    bad = client.post(url, {"all_safe": "1"}, HTTP_IDEMPOTENCY_KEY="def")
    assert bad.status_code == 422 and bad.json()["code"] == "answer_required"
    foreign = client.post(
        reverse("emergency-worker:fill", args=[mode.pk, town.households_b1a_1[0].pk]),
        form,
        HTTP_IDEMPOTENCY_KEY="ghi",
    )
    assert foreign.status_code == 404
    assert ChecklistAnswer.objects.count() == 1
    assert "需处置" in client.get(grid_url).content.decode()
    # Another street's grid is not reachable through this mode.
    other = reverse("emergency-worker:grid", args=[mode.pk, town.tree.grid_a1b_1.pk])
    assert client.get(other).status_code == 404

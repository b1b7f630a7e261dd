"""The JSON API of notices and emergency mode: errors carry a machine code
and a zh-Hans message; a repeat with the same Idempotency-Key writes nothing."""

from __future__ import annotations

import pytest

from wangge.emergency.checklist import DEFAULT_FIELDS
from wangge.emergency.models import ChecklistAnswer, EmergencyMode
from wangge.notices.models import Notice

pytestmark = pytest.mark.django_db


def test_notice_outside_scope_via_api(client, town):
    client.force_login(town.street_cadre)
    resp = client.post(
        "/api/v1/notices/",
        {"area_id": town.tree.district_b.pk, "title": "通知", "body": "正文"},
    )
    assert resp.status_code == 404
    assert resp.json() == {"code": "outside_scope", "message": "发布范围不在您的管辖范围内"}
    resp = client.post(
        "/api/v1/notices/", {"area_id": town.tree.street_a1.pk, "title": "", "body": "x"}
    )
    assert resp.status_code == 422 and resp.json()["code"] == "title_required"
    assert not Notice.objects.exists()


def test_emergency_via_api(client, town):
    client.force_login(town.street_cadre)
    resp = client.post(
        "/api/v1/emergency/",
        {"area_id": town.tree.street_a1.pk, "reason": "暴雨", "fields": DEFAULT_FIELDS},
        content_type="application/json",
    )
    assert resp.status_code == 201
    mode_id = resp.json()["id"]
    bad = client.post(
        "/api/v1/emergency/",
        {"area_id": town.tree.street_a1.pk, "reason": "再来", "fields": [{"key": "Bad"}]},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["code"] == "bad_field_key"
    client.force_login(town.grid_worker)
    body = {
        "household_id": town.households_a1a_1[0].pk,
        "answers": {"all_safe": True, "needs_help": True},
    }
    r1 = client.post(
        f"/api/v1/emergency/{mode_id}/answers",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="x1",
    )
    r2 = client.post(
        f"/api/v1/emergency/{mode_id}/answers",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="x1",
    )
    assert r1.status_code == r2.status_code == 200
    assert (
        r1.json()["done"] and not r2.json()["done"] and r1.json()["case_id"] == r2.json()["case_id"]
    )
    wrong = client.post(
        f"/api/v1/emergency/{mode_id}/answers",
        {**body, "answers": {"all_safe": "perhaps", "needs_help": False}},
        content_type="application/json",
    )
    assert wrong.status_code == 422 and wrong.json()["message"] == "“全户人员平安”请选择是或否"
    assert ChecklistAnswer.objects.count() == 1
    detail = client.get(f"/api/v1/emergency/{mode_id}").json()
    assert (detail["progress"]["answered"], detail["progress"]["alerts"]) == (1, 1)
    client.force_login(town.street_cadre)
    ended = client.post(
        f"/api/v1/emergency/{mode_id}/end", {"note": "解除"}, content_type="application/json"
    )
    assert ended.json()["status"] == "archived" and ended.json()["summary"]["cases"] == 1
    assert EmergencyMode.objects.get().status == "archived"

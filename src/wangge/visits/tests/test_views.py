import datetime as dt

import pytest
from django.utils import timezone

from wangge.visits import services
from wangge.visits.models import CareContact, CarePair, ServiceRecord, Visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(vworld):
    services.plan_generate(month=timezone.localdate())
    return vworld


def test_today_shows_real_visit_and_care_counts(client, planned):
    w = planned
    CarePair.objects.create(
        resident=w.elderly, group=w.elderly.care_groups.get(), district=w.tree.district_a,
        grid=w.tree.grid_a1a_1, area_path=w.elderly.area_path, carer_kind="worker",
        carer_user=w.worker, carer_name="王网格", interval_days=7, since=dt.date(2026, 1, 1),
        next_due_at=timezone.now() - dt.timedelta(days=1),
    )  # fmt: skip
    client.force_login(w.worker)
    html = client.get("/w/").content.decode()
    assert "走访功能即将上线" not in html
    assert "本月待走访 3 户" in html and "其中超期 3 户" in html
    assert "1 人超期未联系" in html


def test_worker_visits_page_lists_the_plan(client, planned):
    client.force_login(planned.worker)
    r = client.get("/w/visits/")
    html = r.content.decode()
    assert r.status_code == 200
    assert html.count("（超期）") == 3
    assert "固定进格日：每月 5、15、25 日" in html
    assert planned.household_x.address not in html


def test_sync_visit_is_idempotent_and_scoped(client, planned):
    w = planned
    client.force_login(w.worker)
    url = "/w/visits/sync/visit/"
    data = {"household_id": w.households[0].pk, "notes": "身体尚可", "lng": "120.1", "lat": "30.5"}
    r1 = client.post(url, data, headers={"Idempotency-Key": "abc"})
    r2 = client.post(url, data, headers={"Idempotency-Key": "abc"})
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r1.json()["visit"]["id"] == r2.json()["visit"]["id"]
    assert r1.json()["visit"]["far_from_building"] is False
    r = client.post(url, {"household_id": w.household_x.pk}, headers={"Idempotency-Key": "x"})
    assert r.status_code == 404 and r.json()["code"] == "household_outside_grid"
    r = client.post(url, data)
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_required"
    assert Visit.objects.count() == 1


def test_sync_care_records_contact_and_service(client, planned):
    w = planned
    pair = services.care_pair_create(
        actor=w.worker, resident_id=w.elderly.pk, group="elderly_alone",
        carer_kind="worker", carer_user_id=w.worker.pk,
    )  # fmt: skip
    client.force_login(w.worker)
    data = {
        "pair_id": pair.pk,
        "mode": "visit",
        "service_kind": "meals",
        "hours": "1",
        "notes": "送餐",
    }
    r = client.post("/w/visits/sync/care/", data, headers={"Idempotency-Key": "c1"})
    assert r.status_code == 201
    client.post("/w/visits/sync/care/", data, headers={"Idempotency-Key": "c1"})
    assert CareContact.objects.count() == 1 and ServiceRecord.objects.count() == 1
    client.force_login(w.outsider)
    r = client.post("/w/visits/sync/care/", data, headers={"Idempotency-Key": "c2"})
    assert r.status_code == 404


def test_console_coverage_and_overdue(client, planned, now):
    w = planned
    services.visit_record(actor=w.worker, household_id=w.households[0].pk)
    client.force_login(w.street)
    r = client.get("/console/visits/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "共 3 户，已走访 1 户，入户率 33%" in html
    assert "芦席汇社区" in html and "秀洲区" not in html
    r = client.get(f"/console/visits/?area={w.tree.grid_a1a_1.pk}")
    assert "网格员入户率" in r.content.decode() and "王网格" in r.content.decode()
    assert client.get(f"/console/visits/?area={w.tree.grid_b1a_1.pk}").status_code == 404
    html = client.get(f"/console/visits/?area={w.tree.street_a1.pk}").content.decode()
    assert "十佳网格员" in html and "王网格" in html
    client.force_login(w.worker)  # not a console user
    assert client.get("/console/visits/").status_code == 403

"""The write audit: every write through a request is logged with who, when,
from where and what changed, in one INSERT per request; the log refuses
UPDATE and DELETE in the database; sign-in failures and lockouts are logged;
the city administrator reads it in the admin, scoped."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wangge.audit import recorder
from wangge.audit.appendonly import RETENTION_DAYS, maintenance
from wangge.audit.models import AuditEvent, PersonalDataAccess

PASSWORD = "pass-Wangge-2026"
pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(tree, make_staff):
    return make_staff("grid_worker", tree.grid_a1a_1, username="gw1", password=PASSWORD)


def _post(client, url, body, **extra):
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


@pytest.mark.django_db(transaction=True)  # real commits: the autocommit path
def test_a_write_through_the_api_is_logged_with_actor_ip_and_values(client, tree, worker):
    client.force_login(worker)
    before = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        response = _post(
            client,
            "/api/v1/people/buildings",
            {"grid_id": tree.grid_a1a_1.pk, "micro_grid_id": tree.mg_a1a_1_1.pk,
             "code": "55", "name": "审计楼", "address": "审计路1号"},
            REMOTE_ADDR="10.1.2.3",
        )
    assert response.status_code == 201, response.content
    building_id = response.json()["id"]
    inserts = [q for q in queries.captured_queries if 'INSERT INTO "audit_auditevent"' in q["sql"]]
    assert len(inserts) == 1  # one INSERT per request, whatever the number of writes
    event = AuditEvent.objects.get(model="people.building", object_id=str(building_id))
    assert AuditEvent.objects.count() == before + 1
    assert event.kind == "create"
    assert event.actor_id == worker.pk and event.actor_label == "gw1"
    assert event.ip == "10.1.2.3"
    assert event.request == "POST /api/v1/people/buildings"
    assert event.area_path.startswith(tree.grid_a1a_1.path)
    assert event.changes["after"]["name"] == "审计楼"
    assert abs((timezone.now() - event.at).total_seconds()) < 60

    response = client.patch(
        f"/api/v1/people/buildings/{building_id}",
        data=json.dumps({"floors": 9}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    update = AuditEvent.objects.filter(model="people.building", kind="update").get()
    assert update.changes == {"before": {"floors": None}, "after": {"floors": 9}}

    assert client.delete(f"/api/v1/people/buildings/{building_id}").status_code == 204
    deleted = AuditEvent.objects.filter(model="people.building", kind="delete").get()
    assert deleted.changes["before"]["name"] == "审计楼"


def test_refused_writes_leave_no_event(client, tree, worker):
    """A request that fails (here: a duplicate code) rolls back, and so does
    its audit event: nothing is logged that did not happen."""
    from wangge.people.services import building_create

    with transaction.atomic():
        building_create(actor=worker, grid=tree.grid_a1a_1, micro_grid=tree.mg_a1a_1_1,
                        code="56", name="甲", address="路1号")
    count = AuditEvent.objects.count()
    with recorder.context(label="测试"), pytest.raises(Exception):  # noqa: B017, SIM117
        with transaction.atomic():
            building_create(actor=worker, grid=tree.grid_a1a_1, micro_grid=tree.mg_a1a_1_1,
                            code="57", name="乙", address="路2号")
            raise RuntimeError("rolled back")
    assert AuditEvent.objects.count() == count


def test_personal_data_is_never_copied_into_the_log(tree, worker):
    import datetime as dt

    from wangge.core.idnumbers import make_id_number
    from wangge.people.models import Household
    from wangge.people.services import building_create, household_create, resident_create

    id_number = make_id_number("330402", dt.date(1961, 3, 2), 17, "M")
    with recorder.context(label="登记", actor=worker):
        building = building_create(actor=worker, grid=tree.grid_a1a_1,
                                   micro_grid=tree.mg_a1a_1_1, code="58", name="丙",
                                   address="路3号")
        household = household_create(actor=worker, building=building, room="101")
        resident = resident_create(actor=worker, household=Household.objects.get(pk=household.pk),
                                   name="张三", id_number=id_number, relationship="head",
                                   phone="13812345678")
    event = AuditEvent.objects.get(model="people.resident", object_id=str(resident.pk))
    text = json.dumps(event.changes, ensure_ascii=False)
    assert id_number not in text and "13812345678" not in text
    assert event.changes["after"]["id_number_enc"] == "***"
    assert event.actor_label == "gw1"


def test_the_database_refuses_to_change_or_delete_the_log(tree, worker):
    with recorder.context(label="测试", actor=worker):
        recorder.record(kind="login", actor=worker)
    event = AuditEvent.objects.latest("id")
    table = AuditEvent._meta.db_table
    for sql in (f"UPDATE {table} SET actor_label = 'x' WHERE id = %s",
                f"DELETE FROM {table} WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    # The ORM is refused the same way (no application path around it).
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor_label="x")
    access = PersonalDataAccess.objects.create(actor=worker, action="unmask",
                                               subject_type="people.resident")
    with pytest.raises(DatabaseError), transaction.atomic():
        PersonalDataAccess.objects.filter(pk=access.pk).delete()
    # Even under the maintenance switch, an UPDATE stays refused.
    with maintenance(), pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor_label="x")
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "gw1"


def test_rows_past_the_retention_may_be_deleted_and_no_sooner(tree, worker):
    old = AuditEvent.objects.create(
        at=timezone.now() - timedelta(days=RETENTION_DAYS + 1), kind="login", actor_label="old"
    )
    recent = AuditEvent.objects.create(
        at=timezone.now() - timedelta(days=RETENTION_DAYS - 2), kind="login", actor_label="recent"
    )
    AuditEvent.objects.filter(pk=old.pk).delete()
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=recent.pk).delete()


def test_failed_logins_and_the_lockout_are_logged(client, tree, worker):
    for _ in range(5):
        response = client.post("/accounts/login/", {"username": "gw1", "password": "wrong"},
                               REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429
    failures = AuditEvent.objects.filter(kind="login_failed", actor_label="gw1")
    assert failures.count() == 5
    assert {e.ip for e in failures} == {"10.9.9.9"}
    assert AuditEvent.objects.filter(kind="locked_out", actor_label="gw1").exists()
    assert not any("wrong" in json.dumps(e.changes) for e in failures)


def test_a_successful_login_is_logged(client, tree, worker):
    response = client.post("/accounts/login/", {"username": "gw1", "password": PASSWORD})
    assert response.status_code == 302
    event = AuditEvent.objects.get(kind="login")
    assert event.actor_id == worker.pk


def test_a_batch_is_one_event_with_counts(tree, worker):
    from wangge.people.services import building_create

    with recorder.batch(what="导入楼栋", model="people.building", actor=worker,
                        area_path=tree.grid_a1a_1.path) as counts:
        for i in range(3):
            building_create(actor=worker, grid=tree.grid_a1a_1, micro_grid=tree.mg_a1a_1_1,
                            code=f"6{i}", name=f"批{i}", address=f"路{i}号")
        counts["created"] = 3
    events = AuditEvent.objects.filter(model="people.building")
    assert [(e.kind, e.changes) for e in events] == [
        ("batch", {"what": "导入楼栋", "counts": {"created": 3}})
    ]
    assert events[0].actor_id == worker.pk


def test_the_city_administrator_reads_the_log_in_the_admin_scoped(client, tree, make_staff):
    admin_a = make_staff("city_admin", tree.city, username="cityadmin", is_staff=True)
    worker_b = make_staff("grid_worker", tree.grid_b1a_1, username="gwb")
    street_admin = make_staff("street_cadre", tree.street_a1, username="streeta", is_staff=True)
    with recorder.context(label="测试", actor=worker_b):
        recorder.record(kind="update", model="people.building", object_id=1,
                        area_path=tree.mg_b1a_1_1.path)
    event = AuditEvent.objects.get(model="people.building")
    client.force_login(admin_a)
    response = client.get("/admin/audit/auditevent/")
    assert response.status_code == 200
    assert "gwb" in response.content.decode()
    assert client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200
    client.force_login(street_admin)
    # A street cadre manages users in street A1 only: district B's event is not found.
    assert client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 404


def test_an_import_is_one_batch_event_with_counts(tree, worker):
    from wangge.people.importers import import_file
    from wangge.people.layouts import LAYOUTS

    rows = [
        [tree.grid_a1a_1.code, tree.mg_a1a_1_1.code, f"0009{i}", f"导入楼{i}", f"导入路{i}号",
         "住宅楼", "6", "", ""]
        for i in range(3)
    ]
    text = ",".join(LAYOUTS["buildings"].headers) + "\n" + "\n".join(",".join(r) for r in rows)
    report = import_file(actor=worker, kind="buildings", name="楼栋.csv",
                         data=text.encode("utf-8"), area=tree.mg_a1a_1_1)
    assert report.ok and report.written, report.as_dict()
    events = AuditEvent.objects.filter(model="people.building")
    assert [e.kind for e in events] == ["batch"]
    assert events[0].changes["counts"]["created"] == 3
    assert events[0].actor_id == worker.pk

"""The worker app's pages and sync endpoints through Django's test client."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.staticfiles import finders
from PIL import Image

from wangge.audit.models import PersonalDataAccess
from wangge.cases.models import Case, CaseEvent, Source, Status
from wangge.worker.models import MoveReceipt, PresenceDay

from .conftest import photo

pytestmark = pytest.mark.django_db


def post_report(client, key="k-1", **fields):
    data = {"description": "楼道堆放杂物，堵塞消防通道", **fields}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/w/sync/report/", data, **headers)


def post_move(client, case, move, key, **fields):
    return client.post(f"/w/sync/cases/{case.pk}/{move}/", fields, HTTP_IDEMPOTENCY_KEY=key)


# ---------------------------------------------------------------- today
def test_today_shows_the_counts_of_the_workers_grid(client, wworld, django_assert_max_num_queries):
    w = wworld
    client.force_login(w.worker)
    # Session, user, grants, one aggregate for the counts, care groups (2),
    # households, places, and the session's once-a-minute refresh (3).
    # +3 (issue 5): the month's plan counts, whether a plan exists, overdue care contacts.
    with django_assert_max_num_queries(14):
        r = client.get("/w/")
    assert r.status_code == 200
    assert r.context["counts"] == {"handle": 1, "verify": 1, "accept": 1, "red": 0}
    # Care-group residents are a real count; no visit plan was generated here.
    assert r.context["care"]["total"] == 1
    assert r.context["households"] == 1
    html = r.content.decode()
    assert "本月走访计划尚未生成" in html and 'rel="manifest"' in html

    # The worker of the other district counts only their own case.
    client.force_login(w.outsider)
    r = client.get("/w/")
    assert r.context["counts"] == {"handle": 1, "verify": 0, "accept": 0, "red": 0}


def test_a_part_time_worker_handles_but_does_not_verify(client, wworld):
    client.force_login(wworld.part_time)
    r = client.get("/w/")
    assert r.context["counts"]["handle"] == 1 and r.context["counts"]["verify"] == 0


def test_task_lists_hold_the_right_cases(client, wworld, django_assert_max_num_queries):
    w = wworld
    client.force_login(w.worker)
    client.get("/w/")
    ids = {}
    for tab in ("handle", "verify", "accept", "mine"):
        with django_assert_max_num_queries(8):  # no query per row
            r = client.get(f"/w/cases/?tab={tab}")
        ids[tab] = {c.pk for c in r.context["rows"]}
    assert ids["handle"] == {w.dispatched.pk}
    assert ids["verify"] == {w.handled.pk}
    assert ids["accept"] == {w.reported.pk}
    assert ids["mine"] == {w.reported.pk, w.dispatched.pk}


def test_anonymous_users_are_sent_to_log_in_and_residents_are_turned_away(client, wworld):
    r = client.get("/w/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/?next=/w/")
    assert client.post("/w/sync/report/").status_code == 401
    assert client.post("/w/presence/").json()["code"] == "unauthenticated"

    from wangge.accounts.models import User

    resident = User.objects.create_user(username="r1", password="x-Wangge-2026", kind="resident")
    client.force_login(resident)
    assert client.get("/w/").status_code == 403
    assert post_report(client).status_code == 403


# ---------------------------------------------------------------- scope
def test_nothing_of_another_grid_opens_by_url(client, wworld):
    w = wworld
    client.force_login(w.worker)
    assert client.get(f"/w/households/{w.household.pk}/").status_code == 200
    for url in (
        f"/w/households/{w.household_x.pk}/",
        f"/w/residents/{w.resident_x.pk}/",
        f"/w/cases/{w.foreign.pk}/",
        f"/w/report/?proxy={w.resident_x.pk}",
    ):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "陈外区" not in r.content.decode() and "外区垃圾" not in r.content.decode()
    r = client.post(f"/w/residents/{w.resident_x.pk}/unmask/", {"reason": "核实"})
    assert r.status_code == 404
    r = post_move(client, w.foreign, "handle", "k-x")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    w.foreign.refresh_from_db()
    assert w.foreign.status == Status.DISPATCHED
    assert not PersonalDataAccess.objects.exists() and not MoveReceipt.objects.exists()


def test_look_up_shows_masked_data_only(client, wworld):
    client.force_login(wworld.worker)
    r = client.get("/w/people/", {"q": "秀英"})
    html = r.content.decode()
    assert "张秀英" in html and "138****5678" in html and "13812345678" not in html
    assert "陈外区" not in client.get("/w/people/", {"q": "陈"}).content.decode()
    r = client.get("/w/people/", {"kind": "households", "q": "测试路"}, HTTP_HX_REQUEST="true")
    assert r.templates[0].name == "worker/_people_results.html"
    assert [row["id"] for row in r.context["result"].items] == [wworld.household.pk]


# ---------------------------------------------------------------- unmask
def test_unmask_needs_a_reason_and_writes_the_access_log(client, wworld):
    w = wworld
    client.force_login(w.worker)
    url = f"/w/residents/{w.resident.pk}/unmask/"
    r = client.post(url, {"reason": " "})
    assert r.status_code == 422 and "事由" in r.content.decode()
    assert not PersonalDataAccess.objects.exists()

    r = client.post(url, {"reason": "核实身份办理代办"})
    assert r.status_code == 200 and "13812345678" in r.content.decode()
    row = PersonalDataAccess.objects.get()
    assert (row.actor, row.action, row.subject_id, row.reason) == (
        w.worker,
        "unmask",
        w.resident.pk,
        "核实身份办理代办",
    )

    # A part-time worker's role may not see clear values: refused, not logged.
    client.force_login(w.part_time)
    page = client.get(f"/w/residents/{w.resident.pk}/").content.decode()
    assert "查看明文" not in page
    r = client.post(url, {"reason": "好奇"})
    assert r.status_code == 403 and "13812345678" not in r.content.decode()
    assert PersonalDataAccess.objects.count() == 1


# ---------------------------------------------------------------- intake
def test_quick_report_is_made_once_per_key(client, wworld):
    w = wworld
    client.force_login(w.worker)
    before = Case.objects.count()
    r = post_report(client, key="k-42", area_id=w.tree.grid_a1a_1.pk, photos=[photo()])
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["created"] is True and body["case"]["url"] == f"/w/cases/{body['case']['id']}/"
    again = post_report(client, key="k-42", area_id=w.tree.grid_a1a_1.pk, photos=[photo()])
    assert again.status_code == 200 and again.json()["case"]["id"] == body["case"]["id"]
    assert again.json()["created"] is False
    assert Case.objects.count() == before + 1
    case = Case.objects.get(created_by=w.worker, idempotency_key="k-42")
    assert case.source == Source.GRID and case.attachments.count() == 1
    assert post_report(client, key="").json()["code"] == "idempotency_key_required"


def test_proxy_report_and_found_on_a_visit(client, wworld):
    w = wworld
    client.force_login(w.worker)
    page = client.get(f"/w/report/?proxy={w.resident.pk}").content.decode()
    assert "代办对象" in page and "张秀英" in page and "138****5678" in page

    r = post_report(
        client, key="p-1", area_id=w.tree.grid_a1a_1.pk, proxy_resident_id=w.resident.pk
    )
    case = Case.objects.get(pk=r.json()["case"]["id"])
    assert (case.source, case.on_behalf_of_id, case.handling) == (
        Source.PROXY,
        w.resident.pk,
        "proxy",
    )

    r = post_report(client, key="v-1", area_id=w.tree.grid_a1a_1.pk, found_on_visit="1")
    assert Case.objects.get(pk=r.json()["case"]["id"]).source == Source.VISIT

    # A resident of another district cannot be reported for.
    r = post_report(
        client, key="p-2", area_id=w.tree.grid_a1a_1.pk, proxy_resident_id=w.resident_x.pk
    )
    assert r.status_code == 422 and not Case.objects.filter(idempotency_key="p-2").exists()
    # Nor can a place outside the worker's areas.
    r = post_report(client, key="p-3", area_id=w.tree.grid_b1a_1.pk)
    assert r.status_code == 404 and not Case.objects.filter(idempotency_key="p-3").exists()


# ---------------------------------------------------------------- moves
def test_handle_and_report_back_are_made_once_per_key(client, wworld):
    w = wworld
    client.force_login(w.worker)
    case = w.dispatched
    page = client.get(f"/w/cases/{case.pk}/")
    assert [m["move"] for m in page.context["moves"]] == ["handle", "extension_request", "escalate"]

    r = post_move(client, case, "handle", "m-1", version=case.version)
    assert r.status_code == 200 and r.json()["case"]["status"] == "handling"
    # The phone lost the answer and sends it again: same key, nothing new.
    r = post_move(client, case, "handle", "m-1", version=case.version)
    assert r.status_code == 200 and r.json()["created"] is False
    assert CaseEvent.objects.filter(case=case, kind="handle").count() == 1

    case.refresh_from_db()
    r = post_move(client, case, "report_back", "m-2", version=case.version, note="已清理")
    assert r.status_code == 422 and r.json()["code"] == "photos_required"
    r = post_move(
        client, case, "report_back", "m-2", version=case.version, note="已清理", photos=[photo()]
    )
    assert r.status_code == 200 and r.json()["case"]["status"] == "handled"
    r = post_move(
        client, case, "report_back", "m-2", version=case.version, note="已清理", photos=[photo()]
    )
    assert r.status_code == 200 and r.json()["created"] is False
    assert CaseEvent.objects.filter(case=case, kind="report_back").count() == 1
    assert case.attachments.filter(kind="report_back").count() == 1
    # A key that made one move cannot be used for another.
    assert post_move(client, case, "verify_pass", "m-2").json()["code"] == "idempotency_key_reused"


def test_verify_and_send_back_for_rework(client, wworld):
    w = wworld
    client.force_login(w.worker)
    case = w.handled
    moves = [m["move"] for m in client.get(f"/w/cases/{case.pk}/").context["moves"]]
    assert moves == ["verify_pass", "verify_fail"]
    r = post_move(client, case, "verify_fail", "v-1", version=case.version)
    assert r.status_code == 422 and r.json()["code"] == "note_required"
    r = post_move(client, case, "verify_fail", "v-1", version=case.version, note="仍有垃圾")
    assert r.json()["case"]["status"] == "handling"
    case.refresh_from_db()
    assert case.rework_count == 1

    # A stale page (old version) is refused with the engine's message.
    r = post_move(client, case, "escalate", "v-2", version=case.version - 1)
    assert r.status_code == 409 and r.json()["code"] == "stale"
    # Moves that belong to the console are not offered here.
    assert post_move(client, case, "merge", "v-3").json()["code"] == "unknown_move"


# ---------------------------------------------------------------- presence
def test_presence_heartbeat_counts_each_minute_once(client, wworld):
    client.force_login(wworld.worker)
    assert client.post("/w/presence/").status_code == 204
    assert client.post("/w/presence/").status_code == 204
    row = PresenceDay.objects.get(user=wworld.worker)
    assert 1 <= row.count <= 2  # two beats: the same minute, or a minute boundary between them
    assert client.get("/w/presence/").status_code == 405


# ---------------------------------------------------------------- installable
def test_manifest_service_worker_and_icons(client, db):
    m = client.get("/w/manifest.webmanifest")
    assert m["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(m.content)
    assert manifest["start_url"] == "/w/" and manifest["scope"] == "/w/"
    assert manifest["display"] == "standalone" and manifest["short_name"] == "平安通"
    for icon in manifest["icons"]:
        r = client.get(icon["src"])
        img = Image.open(io.BytesIO(r.content))
        assert f"{img.width}x{img.height}" == icon["sizes"] and img.format == "PNG"
    sw = client.get("/w/sw.js")
    assert sw["Content-Type"].startswith("text/javascript")
    assert sw["Service-Worker-Allowed"] == "/w/" and sw["Cache-Control"] == "no-cache"
    body = sw.content.decode()
    config = json.loads(body.split("\n", 1)[0].removeprefix("self.WANGGE = ").rstrip(";"))
    assert "/static/worker/outbox.js" in config["shell"] and config["offline"] == "/w/offline/"
    for url in config["shell"]:
        assert finders.find(url.removeprefix("/static/")), url
    assert client.get("/w/icon-64.png").status_code == 404

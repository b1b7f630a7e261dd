"""The notice pages: console send and progress, the resident's H5 list and
read receipt, the grid worker's Today list and the outbox endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from wangge.notices.models import Delivery, Notice

pytestmark = pytest.mark.django_db


def _send(client, user, area, **extra):
    client.force_login(user)
    data = {"area_id": area.pk, "title": "防汛通知", "body": "今晚有暴雨，请关好门窗。", **extra}
    return client.post(reverse("notices-console:send"), data)


def test_console_sends_and_shows_progress(client, town, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        resp = _send(client, town.street_cadre, town.tree.street_a1, urgency="urgent")
    notice = Notice.objects.get()
    assert resp.status_code == 302
    assert resp["Location"] == reverse("notices-console:detail", args=[notice.pk])
    page = client.get(resp["Location"]).content.decode()
    assert "防汛通知" in page and "0</span> / 6 户已触达" in page
    part = client.get(reverse("notices-console:progress", args=[notice.pk]), {"format": "json"})
    assert part.json()["totals"]["total"] == 6
    # Drill down to a community of the street.
    part = client.get(
        reverse("notices-console:progress", args=[notice.pk]),
        {"area": town.tree.community_a1b.pk},
    )
    assert "新塍村第一网格" in part.content.decode()
    listing = client.get(reverse("notices-console:index")).content.decode()
    assert "防汛通知" in listing


def test_console_refuses_an_area_outside_scope(client, town):
    resp = _send(client, town.street_cadre, town.tree.district_b)
    assert resp.status_code == 404
    assert "发布范围不在您的管辖范围内" in resp.content.decode()
    assert Notice.objects.count() == 0
    resp = _send(client, town.street_cadre, town.tree.street_a1, title="")
    assert resp.status_code == 422 and "请填写标题" in resp.content.decode()
    assert Notice.objects.count() == 0


def test_resident_reads_in_h5(client, town, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _send(client, town.street_cadre, town.tree.street_a1)
    notice = Notice.objects.get()
    client.force_login(town.resident_user)
    page = client.get(reverse("h5:notices")).content.decode()
    assert "防汛通知" in page and "未读" in page
    page = client.get(reverse("notices-h5:detail", args=[notice.pk])).content.decode()
    assert "今晚有暴雨" in page and "阅读回执已发送" in page
    assert "未读" not in client.get(reverse("h5:notices")).content.decode()
    d = Delivery.objects.get(notice=notice, household=town.households_a1a_1[0])
    assert d.read_at is not None and d.reached_via == "read"


def test_worker_today_lists_unreached_and_marks_by_outbox(
    client, town, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _send(client, town.street_cadre, town.tree.grid_a1a_1)
    notice = Notice.objects.get()
    client.force_login(town.grid_worker)
    page = client.get(reverse("worker:today")).content.decode()
    assert "超时未触达" not in page  # not due yet
    Notice.objects.filter(pk=notice.pk).update(reach_by=timezone.now() - timedelta(minutes=5))
    page = client.get(reverse("worker:today")).content.decode()
    assert "超时未触达" in page and "已上门告知" in page
    h = town.households_a1a_1[2]
    data = {"notice_id": notice.pk, "household_id": h.pk, "via": "in_person"}
    resp = client.post(reverse("notices-worker:reach"), data, HTTP_IDEMPOTENCY_KEY="k1")
    assert resp.status_code == 200 and resp.json()["recorded"] is True
    resp = client.post(reverse("notices-worker:reach"), data, HTTP_IDEMPOTENCY_KEY="k1")
    assert resp.json()["recorded"] is False
    bad = client.post(reverse("notices-worker:reach"), {**data, "via": "fax"})
    assert bad.status_code == 422 and bad.json()["code"] == "bad_via"
    foreign = client.post(
        reverse("notices-worker:reach"), {**data, "household_id": town.households_b1a_1[0].pk}
    )
    assert foreign.status_code == 404
    assert Delivery.objects.get(notice=notice, household=h).reached_via == "in_person"
    page = client.get(reverse("notices-worker:index")).content.decode()
    assert "超时未触达的住户（3）" in page


def test_attachment_download_is_scoped(client, town, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(town.street_cadre)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("notices-console:send"),
            {
                "area_id": town.tree.grid_a1a_1.pk,
                "title": "通知",
                "body": "见附件",
                "attachments": SimpleUploadedFile("名单.txt", "张三".encode()),
            },
        )
    notice = Notice.objects.get()
    att = notice.attachments.get()
    url = reverse("notices:attachment", args=[notice.pk, att.pk])
    client.force_login(town.resident_user)
    assert b"".join(client.get(url).streaming_content) == "张三".encode()
    client.force_login(town.foreign_dispatcher)
    assert client.get(url).status_code == 404

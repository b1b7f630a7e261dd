"""The leaders' screen: the page, its data, the live feed and the monthly
report files, each scoped to the viewer."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from wangge.cases.tests.conftest import report, walk_to

pytestmark = pytest.mark.django_db
PASSWORD = "pass-Wangge-2026"


def login(client, user):
    client.force_login(user)
    return client


def test_screen_page_and_data(client, world):
    w = world
    walk_to(w, report(w), "rated")
    login(client, w.leader)
    area = w.tree.district_a
    page = client.get(f"/screen/{area.pk}/")
    assert page.status_code == 200
    assert "基层治理指挥大屏" in page.content.decode()
    month = timezone.localdate().strftime("%Y-%m")
    data = client.get(f"/screen/{area.pk}/data/?month={month}&by=closure").json()
    assert data["area"]["name"] == area.name
    head = {i["code"]: i for i in data["headline"]}
    assert head["closure"]["value"] == 100.0
    assert head["satisfaction"]["raw"]["rated"] == 1
    assert data["ranking"]["level"] == "street"
    assert data["ranking"]["rows"][0]["values"]["closure"] == 100.0
    assert len(data["monthly"]) == 12 and len(data["daily"]) == 30
    assert data["monthly"][-1]["total"] == 1
    assert data["categories"][0]["total"] == 1
    assert data["live"]["reported_today"] == 1
    feed = client.get(f"/screen/{area.pk}/feed/", HTTP_HX_REQUEST="true")
    assert "已结案" in feed.content.decode() or "结案" in feed.content.decode()


def test_screen_redirects_to_the_viewers_area(client, world):
    login(client, world.leader)
    resp = client.get("/screen/")
    assert resp.status_code == 302
    assert resp["Location"].endswith(f"/screen/{world.tree.district_a.pk}/")


def test_screen_is_scoped(client, world):
    login(client, world.dispatcher)  # street A1
    assert client.get(f"/screen/{world.tree.district_a.pk}/").status_code == 404
    assert client.get(f"/screen/{world.tree.district_b.pk}/data/").status_code == 404
    assert client.get(f"/screen/{world.tree.street_a1.pk}/data/").status_code == 200
    login(client, world.grid_worker)  # not a console user
    assert client.get(f"/screen/{world.tree.grid_a1a_1.pk}/").status_code == 403
    client.logout()
    assert client.get(f"/screen/{world.tree.street_a1.pk}/").status_code == 302


def test_bad_period_is_a_zh_error(client, world):
    login(client, world.leader)
    resp = client.get(f"/screen/{world.tree.district_a.pk}/data/?month=2026-13")
    assert resp.status_code == 422
    assert resp.json()["code"] == "bad_period"


def test_monthly_report_excel_and_pdf(client, world):
    w = world
    walk_to(w, report(w), "closed")
    login(client, w.leader)
    month = timezone.localdate().strftime("%Y-%m")
    resp = client.get(f"/screen/{w.tree.district_a.pk}/report.xlsx?month={month}")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames[:2] == ["指数", "镇街排名"]
    rows = list(wb["指数"].iter_rows(values_only=True))
    closure = next(r for r in rows if r[0] == "结案率")
    assert closure[1] == 100.0 and "结案率" in closure[4]
    pdf = client.get(f"/screen/{w.tree.district_a.pk}/report.pdf?month={month}")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    assert client.get(f"/screen/{w.tree.district_a.pk}/report.csv").status_code == 404

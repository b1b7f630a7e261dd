"""The console's case export and the leaders' reports carry who exported
them and when: Excel in the document properties and each sheet's
header/footer; PDF as a footer on every page and a diagonal mark."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from wangge.cases.tests.conftest import (
    report,
    walk_to,
    world,  # noqa: F401  (fixture)
)
from wangge.testing.watermarks import check_xlsx, minutes_between

pytestmark = pytest.mark.django_db


def _check_xlsx(data: bytes, user, minutes: set[str]) -> None:
    check_xlsx(data, username=user.username, minutes=minutes)


def test_console_case_export_is_watermarked(client, world):  # noqa: F811
    report(world)
    client.force_login(world.community_cadre)
    before = timezone.now()
    masked = client.get("/console/export/", {"tab": "all"})
    clear = client.post("/console/export/", {"clear": "1", "tab": "all", "reason": "回访核实"})
    minutes = minutes_between(before, timezone.now())
    for resp in (masked, clear):
        assert resp.status_code == 200
        _check_xlsx(b"".join(resp.streaming_content), world.community_cadre, minutes)


def test_monthly_report_and_feedback_sheet_are_watermarked(client, world):  # noqa: F811
    from wangge.assessment.services import campaign_create

    w = world
    walk_to(w, report(w), "closed")
    client.force_login(w.leader)
    month = timezone.localdate().strftime("%Y-%m")
    before = timezone.now()
    xlsx = client.get(f"/screen/{w.tree.district_a.pk}/report.xlsx?month={month}")
    pdf = client.get(f"/screen/{w.tree.district_a.pk}/report.pdf?month={month}")
    minutes = minutes_between(before, timezone.now())
    _check_xlsx(xlsx.content, w.leader, minutes)
    reader = PdfReader(io.BytesIO(pdf.content))
    for page in reader.pages:  # every page: footer and the diagonal mark
        text = page.extract_text()
        assert text.count(w.leader.username) >= 2, text[-300:]
        assert any(m in text for m in minutes)

    today = timezone.localdate()
    campaign = campaign_create(actor=w.district_dispatcher, name="双向互评", area_id=w.tree.district_a.pk,
                               start=today - timezone.timedelta(days=5), end=today)
    client.force_login(w.district_dispatcher)
    before = timezone.now()
    sheet = client.get(f"/screen/campaigns/{campaign.pk}/departments/{w.dept_zf.pk}/feedback.xlsx")
    assert sheet.status_code == 200
    _check_xlsx(sheet.content, w.district_dispatcher, minutes_between(before, timezone.now()))

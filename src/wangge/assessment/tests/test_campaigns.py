"""Two-way evaluation (双向互评): areas rate departments, departments rate
dispatching; the ratings feed the 互评得分 index and the composite, and each
department gets a feedback sheet."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from wangge.assessment.indices import Period
from wangge.assessment.selectors import area_indices, department_indices
from wangge.assessment.services import campaign_create, evaluation_submit
from wangge.core.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world):
    t = timezone.localdate()
    return campaign_create(
        actor=world.district_dispatcher,
        name="2026年第四季度双向互评",
        area_id=world.tree.district_a.pk,
        start=t - timedelta(days=10),
        end=t,
    )


def test_areas_rate_departments_and_departments_rate_dispatch(world, campaign):
    w = world
    evaluation_submit(
        actor=w.community_cadre,
        campaign_id=campaign.pk,
        score=4,
        comment="响应及时",
        department_id=w.dept_zf.pk,
    )
    evaluation_submit(
        actor=w.dispatcher,
        campaign_id=campaign.pk,
        score=3,
        comment="吹哨后报到偏慢",
        department_id=w.dept_zf.pk,
    )
    with pytest.raises(DomainError) as exc:
        evaluation_submit(
            actor=w.community_cadre, campaign_id=campaign.pk, score=5, department_id=w.dept_zf.pk
        )
    assert exc.value.code == "already_rated"
    evaluation_submit(
        actor=w.zf_staff, campaign_id=campaign.pk, score=5, area_id=w.tree.street_a1.pk
    )
    t = timezone.localdate()
    period = Period(t - timedelta(days=3), t)
    dept = {
        i["code"]: i
        for i in department_indices(
            actor=w.district_dispatcher, department_id=w.dept_zf.pk, period=period
        )["indices"]
    }
    assert dept["peer"]["raw"] == {"ratings": 2, "score_sum": 7}
    assert dept["peer"]["value"] == 70.0
    # No cases: the composite is the peer score alone (weights re-normalised).
    assert dept["composite"]["value"] == 70.0
    street = {
        i["code"]: i
        for i in area_indices(actor=w.dispatcher, area_id=w.tree.street_a1.pk, period=period)[
            "indices"
        ]
    }
    assert street["peer"]["value"] == 100.0


def test_who_may_rate_what(world, campaign):
    w = world
    with pytest.raises(DomainError) as exc:  # a department does not rate departments
        evaluation_submit(
            actor=w.zf_staff, campaign_id=campaign.pk, score=4, department_id=w.dept_ga.pk
        )
    assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:  # outside the district: no such campaign
        evaluation_submit(
            actor=w.outsider_dispatcher, campaign_id=campaign.pk, score=4, department_id=w.dept_b.pk
        )
    assert exc.value.status == 404
    with pytest.raises(DomainError) as exc:
        evaluation_submit(
            actor=w.community_cadre, campaign_id=campaign.pk, score=9, department_id=w.dept_zf.pk
        )
    assert exc.value.code == "bad_value"
    with pytest.raises(DomainError) as exc:  # district B's department is not in the campaign
        evaluation_submit(
            actor=w.community_cadre, campaign_id=campaign.pk, score=4, department_id=w.dept_b.pk
        )
    assert exc.value.code == "unknown_department"


def test_feedback_sheet(world, campaign, client):
    w = world
    evaluation_submit(
        actor=w.community_cadre,
        campaign_id=campaign.pk,
        score=2,
        comment="多次推诿",
        department_id=w.dept_zf.pk,
    )
    client.force_login(w.district_dispatcher)
    resp = client.get(f"/screen/campaigns/{campaign.pk}/departments/{w.dept_zf.pk}/feedback.xlsx")
    assert resp.status_code == 200
    rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
    assert (w.tree.community_a1a.name, 2, "多次推诿") in rows
    assert any(r[0] == "互评得分" and r[1] == 40.0 for r in rows)
    # The same sheet as a PDF to print and file: the rating and the comment.
    from pypdf import PdfReader

    pdf = client.get(f"/screen/campaigns/{campaign.pk}/departments/{w.dept_zf.pk}/feedback.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "考核反馈单" in text and "多次推诿" in text and w.dept_zf.name in text
    url = f"/screen/campaigns/{campaign.pk}/departments/{w.dept_zf.pk}/feedback.doc"
    assert client.get(url).status_code == 404
    client.force_login(w.outsider_dispatcher)
    for fmt in ("xlsx", "pdf"):
        url = f"/screen/campaigns/{campaign.pk}/departments/{w.dept_zf.pk}/feedback.{fmt}"
        assert client.get(url).status_code == 404


def test_closing_a_campaign_stops_ratings_and_keeps_them(world, campaign, client):
    from wangge.assessment.services import campaign_close

    w = world
    evaluation_submit(
        actor=w.community_cadre, campaign_id=campaign.pk, score=5, department_id=w.dept_zf.pk
    )
    # A community cadre sees the campaign (it is over their area) but may not end it;
    # a street dispatcher may end campaigns, but not this district's.
    with pytest.raises(DomainError) as err:
        campaign_close(actor=w.community_cadre, campaign_id=campaign.pk)
    assert err.value.status == 403
    with pytest.raises(DomainError) as err:
        campaign_close(actor=w.dispatcher, campaign_id=campaign.pk)
    assert err.value.status == 403 and "本辖区" in err.value.message
    client.force_login(w.district_dispatcher)
    resp = client.post(f"/api/v1/assessment/campaigns/{campaign.pk}/close")
    assert resp.status_code == 200 and resp.json()["is_open"] is False
    again = client.post(f"/api/v1/assessment/campaigns/{campaign.pk}/close")
    assert again.status_code == 409 and again.json()["message"] == "该互评已结束"
    with pytest.raises(DomainError) as err:
        evaluation_submit(
            actor=w.dispatcher, campaign_id=campaign.pk, score=1, department_id=w.dept_zf.pk
        )
    assert err.value.code == "campaign_closed"
    # What was rated before still counts.
    period = Period(campaign.start, campaign.end)
    peer = next(
        i
        for i in department_indices(
            actor=w.district_dispatcher, department_id=w.dept_zf.pk, period=period
        )["indices"]
        if i["code"] == "peer"
    )
    assert peer["value"] == 100.0

"""双向互评 in the console (/console/campaigns/): each unit rates what it
rates, once, with refusals shown in Chinese; the campaign's owner ends it;
outsiders get a 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.assessment.models import Evaluation
from wangge.assessment.services import campaign_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world):
    t = timezone.localdate()
    return campaign_create(
        actor=world.district_dispatcher,
        name="第四季度双向互评",
        area_id=world.tree.district_a.pk,
        start=t - timedelta(days=10),
        end=t,
    )


def test_a_community_rates_departments_once(world, campaign, client):
    w = world
    client.force_login(w.community_cadre)
    page = client.get("/console/campaigns/").content.decode()
    assert "第四季度双向互评" in page
    page = client.get(f"/console/campaigns/{campaign.pk}/").content.decode()
    # The departments in the district's range, not district B's.
    assert w.dept_zf.name in page and w.dept_zfp.name in page
    assert "结束本次互评" not in page  # not theirs to end
    assert "/feedback.pdf" not in page  # the district's sheets are not the community's
    url = f"/console/campaigns/{campaign.pk}/rate/"
    resp = client.post(url, {"target": f"d:{w.dept_zf.pk}", "score": "4", "comment": "响应及时"})
    assert resp.status_code == 302
    e = Evaluation.objects.get()
    assert (e.department_id, e.score, e.comment, e.rater_area_id) == (
        w.dept_zf.pk,
        4,
        "响应及时",
        w.tree.community_a1a.pk,
    )
    page = client.get(f"/console/campaigns/{campaign.pk}/").content.decode()
    assert "4 分" in page and "响应及时" in page
    # Twice: refused in place, nothing written.
    again = client.post(url, {"target": f"d:{w.dept_zf.pk}", "score": "1"})
    assert again.status_code == 409 and "本单位已评价过该对象" in again.content.decode()
    bad = client.post(url, {"target": f"d:{w.dept_ga.pk}", "score": "9"})
    assert bad.status_code == 422 and "评分必须是 1–5 的整数" in bad.content.decode()
    other = client.post(url, {"target": f"d:{w.dept_b.pk}", "score": "3"})
    assert other.status_code == 422 and "不在本次互评范围内" in other.content.decode()
    for junk in ("d:abc", "x:1", ""):
        resp = client.post(url, {"target": junk, "score": "3"})
        assert resp.status_code == 422 and "请选择被评价的部门或区域" in resp.content.decode()
    assert Evaluation.objects.count() == 1


def test_a_department_rates_dispatching_and_the_owner_ends_the_campaign(world, campaign, client):
    w = world
    client.force_login(w.zf_staff)
    page = client.get(f"/console/campaigns/{campaign.pk}/").content.decode()
    assert "派遣准确性" in page and w.tree.street_a1.name in page
    resp = client.post(
        f"/console/campaigns/{campaign.pk}/rate/",
        {"target": f"a:{w.tree.street_a1.pk}", "score": "2", "comment": "多次派错"},
    )
    assert resp.status_code == 302
    assert Evaluation.objects.get().area_id == w.tree.street_a1.pk
    client.force_login(w.district_dispatcher)
    page = client.get(f"/console/campaigns/{campaign.pk}/").content.decode()
    assert "结束本次互评" in page and "/feedback.pdf" in page
    assert client.post(f"/console/campaigns/{campaign.pk}/close/").status_code == 302
    page = client.get(f"/console/campaigns/{campaign.pk}/").content.decode()
    assert "已结束" in page and "结束本次互评" not in page
    client.force_login(w.community_cadre)
    closed = client.post(
        f"/console/campaigns/{campaign.pk}/rate/", {"target": f"d:{w.dept_zf.pk}", "score": "5"}
    )
    assert closed.status_code == 409 and "该互评已结束" in closed.content.decode()
    client.force_login(w.outsider_dispatcher)
    assert client.get(f"/console/campaigns/{campaign.pk}/").status_code == 404
    assert client.post(f"/console/campaigns/{campaign.pk}/close/").status_code == 404

"""The worker's visit flow in chromium on a phone viewport: Today's counts,
the plan, a visit recorded without signal that arrives once, and a refused
visit (a household outside the grid) that says why."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from wangge.visits import services
from wangge.visits.models import Visit
from wangge.worker.tests.test_browser_worker import login, phone, shot  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visit_made_offline_arrives_once(live_server, phone, vworld):  # noqa: F811
    w = vworld
    services.plan_generate(month=timezone.localdate())
    ctx, page = phone(service_workers="block")
    login(page, live_server.url, "wang")
    expect(page.get_by_test_id("visits-due")).to_have_text("本月待走访 3 户")
    expect(page.get_by_text("其中超期 3 户")).to_be_visible()
    page.get_by_test_id("visits-due").click()
    page.wait_for_url(f"{live_server.url}/w/visits/")
    expect(page.get_by_test_id("visits-open").locator("b")).to_have_text("3")
    expect(page.get_by_test_id("target")).to_contain_text("固定进格日：每月 5、15、25 日")

    ctx.set_offline(True)
    target = w.households[1]
    page.get_by_test_id("plan-list").locator("li").filter(has_text=target.address).get_by_role(
        "button", name="走访"
    ).click()
    expect(page.get_by_label("走访户")).to_have_value(str(target.pk))
    page.get_by_label("见到的人").fill("户主及其老伴")
    page.get_by_label("走访情况").fill("身体尚可，宣传了垃圾分类")
    page.get_by_role("button", name="提交走访记录").click()
    expect(page.get_by_role("status")).to_have_text("已保存在本机，有信号后自动上报")
    expect(page.get_by_test_id("sync-badge")).to_have_text("待同步 1")
    expect(page.get_by_test_id("outbox")).to_contain_text("走访：")
    assert not Visit.objects.exists()
    shot(page, "visit-offline")

    ctx.set_offline(False)  # the "online" event sends what waits
    expect(page.get_by_test_id("sync-badge")).to_be_hidden()
    [visit] = Visit.objects.all()
    assert (visit.household_id, visit.visitor_id) == (target.pk, w.worker.pk)
    assert visit.people_met == "户主及其老伴" and visit.idempotency_key
    page.reload()
    expect(page.get_by_test_id("visits-done").locator("b")).to_have_text("1")
    expect(page.get_by_test_id("visits-open").locator("b")).to_have_text("2")
    expect(page.get_by_test_id("visits-overdue").locator("b")).to_have_text("2")

    # A household outside the worker's grid is refused, says why, and stays
    # on the phone until the worker deletes it; nothing is written.
    page.evaluate(
        """hh => WanggeOutbox.enqueue({url: '/w/visits/sync/visit/', label: '走访：外区',
             fields: [['household_id', String(hh)]], files: []}).then(() => WanggeOutbox.flush())""",
        w.household_x.pk,
    )
    expect(page.get_by_test_id("outbox")).to_contain_text("该户不在您负责的网格内")
    assert Visit.objects.count() == 1
    shot(page, "visits")

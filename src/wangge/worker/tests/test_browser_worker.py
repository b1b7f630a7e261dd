"""The grid worker's app in chromium on a 375×812 phone viewport."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from wangge.audit.models import PersonalDataAccess
from wangge.cases.models import Case, Source

from .conftest import png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PASSWORD = "pass-Wangge-2026"  # make_staff's default


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """The catalogue and the care groups come from data migrations, which a
    transactional test's flush empties: load them again (both idempotent)."""
    from django.apps import apps

    for module, fn in (
        ("wangge.cases.migrations.0002_default_catalogue", "load"),
        ("wangge.people.migrations.0002_builtin_care_groups", "add"),
    ):
        getattr(importlib.import_module(module), fn)(apps, None)


@pytest.fixture
def phone(browser):
    contexts = []

    def make(**options):
        ctx = browser.new_context(
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": 375, "height": 812},
            is_mobile=True,
            has_touch=True,
            **options,
        )
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15000)
        return ctx, page

    yield make
    for ctx in contexts:
        ctx.close()


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/w/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/w/")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"worker-{name}.png"), full_page=True)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_worker_handles_a_case_with_a_photo_verifies_and_sends_back(live_server, phone, wworld):
    w = wworld
    ctx, page = phone()
    login(page, live_server.url, "wang")

    # Today: the counts first.
    expect(page.get_by_test_id("count-handle").locator("b")).to_have_text("1")
    expect(page.get_by_test_id("count-verify").locator("b")).to_have_text("1")
    expect(page.get_by_test_id("count-accept").locator("b")).to_have_text("1")
    expect(page.get_by_text("本月走访计划尚未生成")).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(page, "today")

    # One tap to the task, one to the case, one to start handling.
    page.get_by_test_id("count-handle").click()
    page.get_by_role("link", name="路边暴露垃圾").click()
    expect(page.get_by_test_id("case-status")).to_have_text("已派遣")
    page.get_by_role("button", name="开始处置").click()
    expect(page.get_by_test_id("case-status")).to_have_text("处置中")

    # Report back with a photo taken on the spot.
    page.get_by_label("处置情况").fill("已清理完毕，路面恢复整洁")
    page.get_by_label("现场照片（1–9 张）").set_input_files(
        files=[{"name": "after.png", "mimeType": "image/png", "buffer": png(640, 480)}]
    )
    shot(page, "report-back")
    page.get_by_role("button", name="处置反馈").click()
    expect(page.get_by_test_id("case-status")).to_have_text("已处置")
    expect(page.get_by_role("img", name="现场照片")).to_be_visible()
    case = Case.objects.get(pk=w.dispatched.pk)
    assert case.status == "handled" and case.attachments.filter(kind="report_back").count() == 1

    # Verify it (a full-time worker is a verifier) …
    page.get_by_role("button", name="核查通过").click()
    expect(page.get_by_test_id("case-status")).to_have_text("已核查")
    shot(page, "case")

    # … and send another one back for rework.
    page.goto(f"{live_server.url}/w/cases/?tab=verify")
    page.get_by_role("link", name="绿化带垃圾").click()
    page.get_by_text("退回返工", exact=True).click()
    page.get_by_label("退回原因").fill("绿化带内仍有垃圾袋")
    page.get_by_role("button", name="确认退回返工").click()
    expect(page.get_by_test_id("case-status")).to_have_text("处置中")
    handled = Case.objects.get(pk=w.handled.pk)
    assert handled.status == "handling" and handled.rework_count == 1

    # Installed: the service worker keeps Today for when the signal is gone.
    page.goto(f"{live_server.url}/w/")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")
    page.reload()  # now through the service worker, which keeps a copy
    expect(page.get_by_test_id("count-handle")).to_be_visible()
    ctx.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="今日待办")).to_be_visible()
    expect(page.get_by_text("当前无网络")).to_be_visible()
    shot(page, "today-offline")
    # (Left offline: coming back online would send a heartbeat while the test
    # database is being emptied.)


def test_an_offline_report_waits_on_the_phone_and_arrives_once(live_server, phone, wworld):
    w = wworld
    # Service workers off here: page.route must see the outbox's requests.
    ctx, page = phone(service_workers="block")
    login(page, live_server.url, "wang")
    page.goto(f"{live_server.url}/w/report/")
    text = "北门路灯不亮，晚上行人看不清台阶"
    page.get_by_label("问题描述").fill(text)
    # While there is signal the category is suggested from the text; one tap picks it.
    page.get_by_role("button", name="路灯不亮").click()
    expect(page.get_by_label("事项类别（不选则按描述自动推荐）")).to_have_value("0602")
    ctx.set_offline(True)

    page.get_by_label("走访中发现").check()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status")).to_have_text("已保存在本机，有信号后自动上报")
    expect(page.get_by_test_id("sync-badge")).to_have_text("待同步 1")
    expect(page.get_by_test_id("outbox")).to_contain_text("北门路灯不亮")
    expect(page.get_by_test_id("outbox")).to_contain_text("等待网络")
    shot(page, "offline-waiting")
    assert not Case.objects.filter(description=text).exists()
    [key] = page.evaluate("WanggeOutbox.list().then(items => items.map(i => i.key))")

    # The signal returns, but the first answer is lost on the way back: the
    # server made the case, the phone does not know it and must send again.
    reached = []

    def lose_first_answer(route):
        try:
            response = route.fetch()
        except Exception:
            route.abort()
            return
        reached.append(response.status)
        if len(reached) == 1:
            route.abort()
        else:
            route.fulfill(response=response)

    page.route("**/w/sync/report/", lose_first_answer)
    ctx.set_offline(False)  # the "online" event sends what waits
    for _ in range(100):
        if reached:
            break
        page.wait_for_timeout(100)
    # Tried once without signal, once with the answer lost: still waiting.
    expect(page.get_by_test_id("outbox")).to_contain_text("等待网络（已尝试 2 次）")
    assert Case.objects.filter(description=text).count() == 1
    page.get_by_test_id("outbox").get_by_role("button", name="立即同步").click()
    expect(page.get_by_test_id("sync-badge")).to_be_hidden()
    expect(page.get_by_test_id("outbox")).to_be_hidden()

    assert reached == [201, 200]  # made once, then answered from the key
    cases = Case.objects.filter(created_by=w.worker, idempotency_key=key)
    assert cases.count() == 1
    assert (cases.get().source, cases.get().category.code) == (Source.VISIT, "0602")
    assert Case.objects.filter(description=text).count() == 1

    # Something the server refuses for good stays on the phone, says why,
    # and is only dropped by the worker.
    page.evaluate(
        """WanggeOutbox.enqueue({url: '/w/sync/report/', label: '报事：（空）',
             fields: [['description', ' ']], files: []}).then(() => WanggeOutbox.flush())"""
    )
    expect(page.get_by_test_id("outbox")).to_contain_text("未能提交：请填写问题描述")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("outbox").get_by_role("button", name="删除").click()
    expect(page.get_by_test_id("outbox")).to_be_hidden()


def test_proxy_report_look_up_unmask_and_a_foreign_household(live_server, phone, wworld):
    w = wworld
    ctx, page = phone(service_workers="block")
    login(page, live_server.url, "wang")

    # 代办 in three taps plus typing: 代办 → the resident → 提交.
    page.get_by_role("link", name="代办").click()
    page.get_by_label("居民姓名").fill("秀英")
    page.get_by_role("link", name="张秀英").click()
    expect(page.get_by_test_id("proxy-resident")).to_contain_text("张秀英")
    page.get_by_label("问题描述").fill("独居老人家中水龙头漏水，需要上门维修")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status")).to_contain_text("已上报，工单号")
    case = Case.objects.get(on_behalf_of=w.resident)
    assert case.source == Source.PROXY and case.created_by == w.worker
    shot(page, "proxy-report")

    # Look-up shows masked data; the clear phone needs a reason and is logged.
    page.goto(f"{live_server.url}/w/people/")
    page.get_by_label("姓名或地址").fill("秀英")
    page.get_by_role("link", name="张秀英").click()
    expect(page.get_by_test_id("phone")).to_have_text("138****5678")
    page.get_by_text("查看明文").click()
    page.get_by_label("查看事由").fill("联系老人确认维修时间")
    page.get_by_role("button", name="确认查看").click()
    expect(page.get_by_test_id("unmasked").get_by_test_id("phone")).to_have_text("13812345678")
    assert no_horizontal_scroll(page)
    shot(page, "resident-unmasked")
    access = PersonalDataAccess.objects.get()
    assert (access.actor_id, access.subject_id, access.reason) == (
        w.worker.pk,
        w.resident.pk,
        "联系老人确认维修时间",
    )

    # Another grid's household: not found, and nothing of it on the page.
    response = page.goto(f"{live_server.url}/w/households/{w.household_x.pk}/")
    assert response.status == 404
    assert "陈外区" not in page.content()

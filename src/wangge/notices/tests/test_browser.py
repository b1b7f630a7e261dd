"""In chromium: a notice sent in the console, read by a resident in the H5,
the sender's progress moving without a reload; a grid worker filling the
emergency checklist on the phone (through the outbox) while the console's
progress follows. Screenshots: var/screenshots/notices-*.png (git-ignored)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from wangge.emergency import services as emergency_services
from wangge.emergency.checklist import DEFAULT_FIELDS
from wangge.emergency.models import ChecklistAnswer
from wangge.testing.browser import phone
from wangge.testing.browser import staff_login as browser_staff_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots"
PASSWORD = "pass-Wangge-2026"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"notices-{name}.png"), full_page=True)


def staff_login(page, base: str, path: str, username: str) -> None:
    browser_staff_login(page, base, path, username, PASSWORD)


def test_notice_from_console_to_resident_with_live_progress(live_server, contexts, town, settings):
    settings.WANGGE_CONSOLE_POLL_SECONDS = 1
    base = live_server.url
    console = contexts(viewport={"width": 1400, "height": 1000})
    staff_login(console, base, "/console/notices/", town.street_cadre.username)
    console.get_by_label("发布范围").select_option(label="解放街道（镇街）")
    console.get_by_label("标题").fill("停水通知")
    console.get_by_label("正文").fill("明天 9:00–17:00 停水，请提前储水。")
    console.get_by_role("radio", name="紧急").check()
    console.get_by_role("button", name="发布").click()
    expect(console.get_by_test_id("status")).to_contain_text("已送达：分发 6 户")
    expect(console.get_by_test_id("reached")).to_have_text("0")
    shot(console, "console-sent")

    resident = phone(contexts)
    resident.goto(f"{base}/m/login/")
    resident.get_by_label("手机号").fill(town.resident_user.phone)
    resident.get_by_label("密码", exact=True).fill(PASSWORD)
    resident.get_by_role("button", name="登录").click()
    resident.goto(f"{base}/m/notices/")
    expect(resident.get_by_test_id("unread")).to_be_visible()
    resident.get_by_role("link", name=re.compile("停水通知")).click()
    expect(resident.get_by_test_id("receipt")).to_contain_text("阅读回执已发送")
    shot(resident, "h5-read")

    # The console follows without a reload.
    expect(console.get_by_test_id("reached")).to_have_text("1", timeout=20000)
    expect(console.get_by_test_id("read")).to_have_text("1", timeout=20000)
    resident.goto(f"{base}/m/notices/")
    expect(resident.get_by_test_id("unread")).to_have_count(0)


def test_worker_fills_the_emergency_checklist_on_the_phone(live_server, contexts, town, settings):
    settings.WANGGE_CONSOLE_POLL_SECONDS = 1
    base = live_server.url
    mode = emergency_services.emergency_start(
        actor=town.street_cadre,
        area=town.tree.street_a1,
        reason="台风“梅花”登陆，全街道转入应急状态",
        fields=DEFAULT_FIELDS,
    )
    console = contexts(viewport={"width": 1400, "height": 1000})
    staff_login(console, base, f"/console/emergency/{mode.pk}/", town.street_cadre.username)
    expect(console.get_by_test_id("answered")).to_have_text("0")
    console.wait_for_selector("#e-map[data-loaded='1']")

    worker = phone(contexts)
    staff_login(worker, base, "/w/", town.grid_worker.username)
    expect(worker.get_by_test_id("emergency-today")).to_contain_text("应急状态")
    worker.get_by_role("link", name="入户排查").first.click()
    worker.get_by_role("link", name=re.compile("入户排查")).first.click()
    first = worker.get_by_test_id("household").first
    form = first.locator("form")
    form.locator("fieldset").nth(0).get_by_label("否").check()
    form.locator("fieldset").nth(1).get_by_label("是").check()
    form.get_by_label("情况说明").fill("独居老人，需要转移")
    form.get_by_role("button", name="提交").click()
    expect(worker.get_by_test_id("state").first).to_have_text("需处置", timeout=30000)
    shot(worker, "worker-checklist")

    answer = ChecklistAnswer.objects.get()
    assert answer.alert and answer.case_id
    expect(console.get_by_test_id("answered")).to_have_text("1", timeout=20000)
    expect(console.get_by_test_id("alerts")).to_have_text("1", timeout=20000)
    expect(console.get_by_test_id("alert-list")).to_contain_text("需要帮助：是")
    expect(console.get_by_test_id("alert-list")).to_contain_text("督办·最高优先级")
    shot(console, "console-emergency")

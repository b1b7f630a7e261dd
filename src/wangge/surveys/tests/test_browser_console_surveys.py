"""In chromium: a street cadre finds 居民问卷 in the console's navigation,
gets a Chinese error for a form without a name, starts a survey over a
community, a resident answers it on the phone, the cadre reads the 知晓率
with its raw counts, then closes the survey in place (htmx) and the
resident's H5 no longer offers it. Screenshots: var/screenshots/surveys-*.png."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from wangge.points.tests.people import person
from wangge.testing.browser import phone, staff_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots"
PASSWORD = "pass-Wangge-2026"  # make_staff's default


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"surveys-{name}.png"), full_page=True)


def test_start_read_and_close_a_survey_from_the_console(live_server, contexts, world, make_staff):
    base = live_server.url
    t = world.tree
    cadre = make_staff("street_cadre", t.street_a1, name="街道干部")
    resident = person(t.grid_a1a_1, t.mg_a1a_1_1, name="李居民")
    resident.user.phone = "13700007771"
    resident.user.save()
    today = timezone.localdate()

    console = contexts(viewport={"width": 1400, "height": 1000})
    staff_login(console, base, "/console/", cadre.username, PASSWORD)
    console.get_by_role("link", name="居民问卷").click()
    expect(console.get_by_role("heading", name="居民问卷（知晓率调查）")).to_be_visible()
    expect(console.get_by_test_id("surveys")).to_contain_text("辖区内还没有问卷")

    # No name: the form comes back with a Chinese error and what was typed.
    console.get_by_label("调查范围").select_option(label="芦席汇社区（村社区）")
    console.get_by_label("开始日期").fill(str(today))
    console.get_by_label("结束日期").fill(str(today + timedelta(days=14)))
    console.get_by_label("问题 4").fill("您对网格服务满意吗？")
    console.get_by_label("计入知晓率").nth(3).uncheck()
    console.get_by_role("button", name="发起问卷").click()
    expect(console.get_by_test_id("error")).to_have_text("请填写问卷名称")
    expect(console.get_by_label("问题 4")).to_have_value("您对网格服务满意吗？")
    expect(console.get_by_label("计入知晓率").nth(3)).not_to_be_checked()

    console.get_by_label("问卷名称").fill("2026年冬季网格员知晓率调查")
    console.get_by_role("button", name="发起问卷").click()
    expect(console.get_by_role("status")).to_contain_text("已发起问卷")
    expect(console.get_by_test_id("status")).to_have_text("进行中")
    expect(console.get_by_test_id("overall")).to_contain_text("答卷 0 份")
    survey_url = console.url
    shot(console, "console-started")

    # A resident of the community answers on the phone.
    h5 = phone(contexts)
    h5.goto(f"{base}/m/login/")
    h5.get_by_label("手机号").fill("13700007771")
    h5.get_by_label("密码", exact=True).fill(PASSWORD)
    h5.get_by_role("button", name="登录").click()
    h5.goto(f"{base}/m/surveys/")
    h5.get_by_role("link", name=re.compile("2026年冬季网格员知晓率调查")).click()
    groups = h5.locator("fieldset")
    expect(groups).to_have_count(4)
    for i, choice in enumerate(("知道", "不知道", "知道", "知道")):
        groups.nth(i).get_by_text(choice, exact=True).click()
    h5.get_by_role("button", name=re.compile("提交")).click()
    expect(h5).to_have_url(re.compile(r"/m/surveys/\?done=1"))

    # The cadre reads the result: 2 知道 of 3 awareness answers.
    console.goto(survey_url)
    expect(console.get_by_test_id("overall")).to_have_text(
        "答卷 1 份；知晓类答题 3 次，回答“知道” 2 次；知晓率 66.67%"
    )
    expect(console.get_by_test_id("areas")).to_contain_text("芦席汇社区第一网格")
    expect(console.get_by_text("（不计入知晓率）")).to_be_visible()
    shot(console, "console-results")

    # Closed in place (htmx, after a confirmation): the H5 no longer offers it.
    console.once("dialog", lambda d: d.accept())
    console.get_by_role("button", name="关闭").click()
    expect(console.get_by_test_id("status")).to_have_text("已关闭")
    expect(console.get_by_role("button", name="开启")).to_be_visible()
    assert console.url == survey_url  # swapped, not reloaded
    console.goto(f"{base}/console/surveys/")
    expect(console.get_by_test_id("survey-row")).to_contain_text("已关闭")
    expect(console.get_by_test_id("rate")).to_have_text("66.67%")
    shot(console, "console-list")

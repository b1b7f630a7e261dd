"""The leaders' screen in chromium: numbers, the shaded map, the ranking and
the charts appear; a click on a ranking row drills down to the street."""

from __future__ import annotations

import importlib

import pytest
from django.conf import settings
from playwright.sync_api import expect

from wangge.cases.tests.conftest import report, walk_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-Wangge-2026"
SHOTS = settings.BASE_DIR / "var" / "screenshots"


@pytest.fixture
def catalogue(transactional_db):
    from django.apps import apps

    importlib.import_module("wangge.cases.migrations.0002_default_catalogue").load(apps, None)


def test_screen_shows_indices_map_ranking_and_drills_down(live_server, browser, catalogue, world):
    w = world
    walk_to(w, report(w), "rated")
    report(w, category="0602", description="2幢路灯不亮", point=(120.20, 30.25))
    ctx = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1920, "height": 1080}
    )
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/screen/")
    page.get_by_label("用户名或手机号").fill(w.leader.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/screen/{w.tree.district_a.pk}/")
    page.wait_for_selector("body[data-loaded='1']")
    expect(page.locator(".s-card[data-code='closure'] b")).to_have_text("50%")
    expect(page.locator(".s-card[data-code='satisfaction'] b")).to_have_text("100%")
    expect(page.locator("#s-ranking li").first).to_contain_text(w.tree.street_a1.name)
    expect(page.locator("#s-monthly canvas")).to_have_count(1)
    page.wait_for_function("document.querySelectorAll('#s-map path, #s-map canvas').length > 0")
    expect(page.locator("#s-feed li").first).not_to_have_text("暂无动态")
    # The formula behind a number, one click away.
    page.locator(".s-card[data-code='closure']").click()
    expect(page.locator("#s-explain-formula")).to_contain_text("结案率 = 已结案工单")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "screen-district.png"))
    page.keyboard.press("Escape")
    page.locator("#s-ranking li").first.click()
    page.wait_for_url(f"{live_server.url}/screen/{w.tree.street_a1.pk}/?**")
    page.wait_for_selector("body[data-loaded='1']")
    expect(page.locator("#s-rank-level")).to_contain_text("村社区")
    ctx.close()
